//! The audit log (`/admin/auditoria`) with its filters.

use super::*;

#[get("/admin/auditoria?<accion>&<tipo>&<objeto>&<actor>&<desde>&<hasta>&<pagina>")]
#[allow(clippy::too_many_arguments)]
pub(super) async fn audit_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
    accion: Option<&str>,
    tipo: Option<&str>,
    objeto: Option<&str>,
    actor: Option<&str>,
    desde: Option<&str>,
    hasta: Option<&str>,
    pagina: Option<u64>,
) -> PageResult {
    let parse_date = |text: Option<&str>, field: &str| -> AppResult<Option<chrono::NaiveDate>> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::invalid(field, "Use fechas con el formato AAAA-MM-DD."))
                .map_err(Into::into),
        }
    };
    let actor_text = actor.map(str::trim).filter(|a| !a.is_empty());
    let actor_id = match actor_text {
        Some(email) => Some(
            domain::accounts::find_by_email(db.inner(), email)
                .await?
                .map_or(-1, |u| u.id),
        ),
        None => None,
    };
    let filter = audit::Filter {
        action: accion.map(str::to_string),
        subject_type: tipo.map(str::to_string),
        subject_id: objeto.map(str::to_string),
        actor_user_id: actor_id,
        from: parse_date(desde, "desde")?,
        to: parse_date(hasta, "hasta")?,
    };
    let page_number = crate::api::page_number(pagina);
    let (entries, total) = audit::list(db.inner(), &filter, page_number, PER_PAGE).await?;
    let query = format!(
        "accion={}&tipo={}&objeto={}&actor={}&desde={}&hasta={}",
        urlencode(accion.unwrap_or("")),
        urlencode(tipo.unwrap_or("")),
        urlencode(objeto.unwrap_or("")),
        urlencode(actor.unwrap_or("")),
        urlencode(desde.unwrap_or("")),
        urlencode(hasta.unwrap_or("")),
    );
    page.render(
        "admin_audit",
        "Auditoría",
        AuditView {
            entries,
            filter: AuditFilter {
                accion: accion.unwrap_or(""),
                tipo: tipo.unwrap_or(""),
                objeto: objeto.unwrap_or(""),
                actor: actor.unwrap_or(""),
                desde: desde.unwrap_or(""),
                hasta: hasta.unwrap_or(""),
            },
            pager: Pager::new("/admin/auditoria", &query, page_number, PER_PAGE, total),
        },
    )
}

/// The audit log page: a page of entries and the filters as typed.
#[derive(Serialize)]
pub(super) struct AuditView<'a> {
    entries: Vec<EntryView>,
    filter: AuditFilter<'a>,
    pager: Pager,
}

/// The audit filters, named as the query string names them.
#[derive(Serialize)]
pub(super) struct AuditFilter<'a> {
    accion: &'a str,
    tipo: &'a str,
    objeto: &'a str,
    actor: &'a str,
    desde: &'a str,
    hasta: &'a str,
}
