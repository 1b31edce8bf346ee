//! The email outbox (`/admin/correos`): a page of emails, how many in each state, retrying a failed one.

use super::*;

/// The outbox page: a page of emails and how many there are in each state.
#[derive(Serialize)]
pub(super) struct OutboxView {
    rows: Vec<OutboxRow>,
    counts: Vec<StatusCount>,
    pager: Pager,
}

/// One email of the outbox (times in Colombia).
#[derive(Serialize)]
pub(super) struct OutboxRow {
    id: i64,
    recipient: String,
    subject: String,
    status: OutboxStatus,
    status_label: &'static str,
    failed: bool,
    attempts: i32,
    last_error: Option<String>,
    created_local: String,
    next_local: String,
    sent_local: Option<String>,
}

/// How many emails are in a state, as a filter link.
#[derive(Serialize)]
pub(super) struct StatusCount {
    value: &'static str,
    label: &'static str,
    count: u64,
    selected: bool,
}

#[get("/admin/correos?<estado>&<pagina>")]
pub(super) async fn outbox_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
    estado: Option<&str>,
    pagina: Option<u64>,
) -> PageResult {
    let status = estado.and_then(OutboxStatus::parse);
    let page_number = crate::api::page_number(pagina);
    let (emails, total) =
        domain::accounts::outbox::page(db.inner(), status, page_number, PER_PAGE).await?;
    let when = domain::format::date_time;
    let rows = emails
        .into_iter()
        .map(|m| OutboxRow {
            id: m.id,
            status: m.status,
            status_label: m.status.label(),
            failed: m.status == OutboxStatus::Failed,
            attempts: m.attempts,
            created_local: when(m.created_at),
            next_local: when(m.next_attempt_at),
            sent_local: m.sent_at.map(when),
            recipient: m.recipient,
            subject: m.subject,
            last_error: m.last_error,
        })
        .collect();
    let mut counts = Vec::new();
    for status in [
        OutboxStatus::Pending,
        OutboxStatus::Sent,
        OutboxStatus::Failed,
    ] {
        let count = domain::accounts::outbox::count(db.inner(), status).await?;
        counts.push(StatusCount {
            value: status.as_str(),
            label: status.label(),
            count,
            selected: Some(status) == estado.and_then(OutboxStatus::parse),
        });
    }
    let query = format!("estado={}", estado.unwrap_or(""));
    page.render(
        "admin_outbox",
        "Correos",
        OutboxView {
            rows,
            counts,
            pager: Pager::new("/admin/correos", &query, page_number, PER_PAGE, total),
        },
    )
}

#[post("/admin/correos/<id>/reintentar", data = "<_form>")]
pub(super) async fn outbox_retry(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let retried = domain::db::write(db, async |txn| {
        domain::accounts::outbox::retry(txn, &admin, id).await
    })
    .await?;
    if !retried {
        return Err(AppError::NotFound.into());
    }
    Ok(Flash::success(
        Redirect::to("/admin/correos"),
        "El correo volverá a intentarse.",
    ))
}
