//! Recording a visit (its attendees, agreements and products as row groups) and marking an
//! agreement done, dropped or pending again.

use super::*;
use crate::web::rows::{Numbered, filled, index, numbered, row_problem};

/// An attendee's row of the visit form: a name and position, or a registered participant's
/// number.
#[derive(FromForm, Serialize, Clone, Default)]
pub(super) struct AttendeeRow {
    #[field(default = String::new())]
    full_name: String,
    #[field(default = String::new())]
    position: String,
    #[field(default = String::new())]
    participant_id: String,
}

/// An agreement's row of the visit form.
#[derive(FromForm, Serialize, Clone, Default)]
pub(super) struct AgreementRow {
    #[field(default = String::new())]
    text: String,
    #[field(default = String::new())]
    owner: String,
    #[field(default = String::new())]
    due_on: String,
}

/// A product's row of the visit form.
#[derive(FromForm, Serialize, Clone, Default)]
pub(super) struct ProductRow {
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    kind: String,
}

/// The visit form: its fields, and its lists as groups of rows (issue 49: no lines to type
/// with separators). «Agregar otra fila» (`more` = `attendees`, `agreements` or `products`)
/// sends the form to draw it again as typed with one more row in that list; nothing is saved.
#[derive(FromForm, Serialize)]
pub(super) struct VisitForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    date: String,
    #[field(default = String::new())]
    modality: String,
    #[field(default = String::new())]
    hours: String,
    #[field(default = String::new())]
    topics: String,
    #[field(default = Vec::new())]
    #[serde(skip)]
    attendees: Vec<AttendeeRow>,
    #[field(default = Vec::new())]
    #[serde(skip)]
    agreements: Vec<AgreementRow>,
    #[field(default = Vec::new())]
    #[serde(skip)]
    products: Vec<ProductRow>,
    #[field(default = String::new())]
    #[serde(skip)]
    more: String,
}
csrf_protected!(VisitForm);

/// Empty row groups of a new visit form: attendees, agreements, products.
pub(super) const VISIT_ROWS: (usize, usize, usize) = (3, 2, 1);

/// The visit form's row groups as drawn: empty ones for a new visit, or those typed.
#[derive(Serialize)]
pub(super) struct VisitRows {
    attendees: Vec<Numbered<AttendeeRow>>,
    agreements: Vec<Numbered<AgreementRow>>,
    products: Vec<Numbered<ProductRow>>,
}

impl VisitRows {
    pub(super) fn empty() -> Self {
        VisitRows::of(&[], &[], &[], "")
    }

    fn of(
        attendees: &[AttendeeRow],
        agreements: &[AgreementRow],
        products: &[ProductRow],
        more: &str,
    ) -> Self {
        VisitRows {
            attendees: numbered(attendees, VISIT_ROWS.0, more == "attendees"),
            agreements: numbered(agreements, VISIT_ROWS.1, more == "agreements"),
            products: numbered(products, VISIT_ROWS.2, more == "products"),
        }
    }
}

impl VisitForm {
    fn rows(&self) -> VisitRows {
        VisitRows::of(
            &self.attendees,
            &self.agreements,
            &self.products,
            &self.more,
        )
    }

    /// The input, and for each list the form index of each row sent (blank rows are left
    /// out), to put the domain's problems (`agreements[1]`) beside their row group.
    fn input(&self) -> (VisitInput, [Vec<usize>; 3]) {
        let attendees = filled(&self.attendees, |a| {
            a.full_name.trim().is_empty()
                && a.position.trim().is_empty()
                && a.participant_id.trim().is_empty()
        });
        let agreements = filled(&self.agreements, |a| {
            a.text.trim().is_empty() && a.owner.trim().is_empty() && a.due_on.trim().is_empty()
        });
        let products = filled(&self.products, |p| p.title.trim().is_empty());
        let input = VisitInput {
            date: Some(self.date.clone()),
            modality: Some(self.modality.clone()),
            hours: self.hours.trim().replace(',', ".").parse().ok(),
            topics: Some(self.topics.clone()),
            attendees: Some(
                attendees
                    .iter()
                    .map(|(_, a)| AttendeeInput {
                        // A number that is not one names nobody: refused as any unknown one.
                        participant_id: match a.participant_id.trim() {
                            "" => None,
                            text => Some(text.parse().unwrap_or(0)),
                        },
                        full_name: Some(a.full_name.trim().to_string()),
                        position: Some(a.position.trim().to_string()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            agreements: Some(
                agreements
                    .iter()
                    .map(|(_, a)| AgreementInput {
                        text: Some(a.text.clone()),
                        owner: Some(a.owner.clone()),
                        due_on: Some(a.due_on.clone()),
                    })
                    .collect(),
            ),
            products: Some(
                products
                    .iter()
                    .map(|(_, p)| ProductInput {
                        title: Some(p.title.clone()),
                        kind: Some(p.kind.clone()),
                    })
                    .collect(),
            ),
        };
        (
            input,
            [index(&attendees), index(&agreements), index(&products)],
        )
    }
}

#[post("/asistencias/<id>/visitas", data = "<form>")]
pub(super) async fn visit_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<VisitForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    // «Agregar otra fila»: the form again as typed, with one more row; nothing is saved.
    if !form.more.is_empty() {
        let (title, mut view) = workspace_view(db.inner(), &staff, id).await?;
        view.visit_rows = form.rows();
        return page
            .render_refused_typed("assistance", &title, view, &[], "visita", &form)
            .map(Either::Right);
    }
    let (input, sent) = form.input();
    let result = domain::db::write(db, async |txn| {
        visits::record(txn, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to(format!("/asistencias/{id}")),
                "Visita registrada.",
            )
        },
        async |errors| {
            let (title, mut view) = workspace_view(db.inner(), &staff, id).await?;
            view.visit_rows = form.rows();
            let lists = [
                ("attendees", &sent[0][..]),
                ("agreements", &sent[1][..]),
                ("products", &sent[2][..]),
            ];
            let errors: Vec<FieldError> =
                errors.into_iter().map(|e| row_problem(e, &lists)).collect();
            let errors = crate::web::form::scoped("visita", errors);
            page.render_refused_typed("assistance", &title, view, &errors, "visita", &form)
        },
    )
    .await
    .map(Either::Left)
}

#[derive(FromForm, Serialize)]
pub(super) struct AgreementForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    done_on: String,
    #[field(default = String::new())]
    note: String,
    #[field(default = String::new())]
    reason: String,
}
csrf_protected!(AgreementForm);

/// An agreement marked done, dropped or pending again from its assistance's page.
#[post("/compromisos/<agreement>", data = "<form>")]
pub(super) async fn agreement_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    agreement: i32,
    form: CsrfForm<AgreementForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    // The page to come back to is the agreement's assistance's, whatever the form says.
    let assistance_id = agreements::assistance_of(db.inner(), &staff, agreement).await?;
    let input = AgreementPatch {
        status: Some(form.status.clone()),
        done_on: Some(form.done_on.clone()),
        note: Some(form.note.clone()),
        reason: Some(form.reason.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        agreements::change_status(txn, &staff, agreement, &input).await
    })
    .await;
    let done = match form.status.as_str() {
        "done" => "Compromiso marcado como cumplido.",
        "dropped" => "Compromiso descartado.",
        _ => "El compromiso vuelve a estar pendiente.",
    };
    let prefix = format!("compromiso-{agreement}");
    back(db, &page, assistance_id, result, done, (&prefix, &form)).await
}
