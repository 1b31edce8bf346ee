//! Starting, closing or cancelling an assistance (closing and cancelling confirmed first).

use super::*;

#[derive(FromForm, Serialize)]
pub(super) struct StatusForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    reason: String,
    objective_reached: Option<String>,
    #[field(default = String::new())]
    summary: String,
    /// Sent by the confirmation page: closing and cancelling act only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(StatusForm);

/// What closing or cancelling will do, said before (issue 45), with what was typed carried
/// to the confirmation's form. The rules are checked first: a change they refuse answers as
/// any refused change does.
pub(super) async fn status_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    staff: &StaffUser,
    id: i32,
    form: &StatusForm,
    input: &StatusInput,
) -> AppResult<PageResult> {
    let facts = assistance::status_change_facts(db, staff, id, input).await?;
    let view = assistance::view(db, id).await?;
    let closing = facts.to == AssistanceStatus::Closed;
    let mut confirmation = Confirmation::new(
        format!(
            "¿{} la asistencia a {} de {}?",
            if closing { "Cerrar" } else { "Cancelar" },
            view.entity_label,
            view.place_name
        ),
        format!("/asistencias/{id}/estado"),
        if closing {
            "Sí, cerrar la asistencia"
        } else {
            "Sí, cancelar la asistencia"
        },
        format!("/asistencias/{id}"),
    )
    .hidden("status", facts.to.as_str());
    if closing {
        confirmation = confirmation
            .hidden(
                "objective_reached",
                form.objective_reached.clone().unwrap_or_default(),
            )
            .hidden("summary", form.summary.clone())
            .fact(format!(
                "Queda cerrada con el objetivo {} y este resumen: «{}».",
                if input.objective_reached == Some(true) {
                    "alcanzado"
                } else {
                    "no alcanzado"
                },
                form.summary.trim()
            ));
    } else {
        confirmation = confirmation.reason("Motivo de la cancelación", true, &form.reason);
    }
    confirmation = confirmation.fact(match facts.visits {
        0 => "No se registran más visitas ni hitos.".to_string(),
        1 => "Su visita queda en el historial; no se registran más visitas ni hitos.".to_string(),
        n => {
            format!("Sus {n} visitas quedan en el historial; no se registran más visitas ni hitos.")
        }
    });
    let met = facts.demands_become == domain::entities::values::DemandStatus::Met;
    confirmation = confirmation.fact(match (facts.demands, met) {
        (0, _) => "No atiende demandas registradas.".to_string(),
        (1, true) => {
            "La demanda que atiende queda atendida (se avisa a quien la registró).".to_string()
        }
        (1, false) => "La demanda que atiende vuelve a quedar abierta.".to_string(),
        (n, true) => format!(
            "Las {n} demandas que atiende quedan atendidas (se avisa a quienes las registraron)."
        ),
        (n, false) => format!("Las {n} demandas que atiende vuelven a quedar abiertas."),
    });
    if closing {
        confirmation = confirmation.fact(match &facts.evaluation_to {
            Some(email) => format!("La entidad recibe en {email} el enlace para evaluarla."),
            None => "La entidad no tiene un correo de contacto confirmado por su territorio: \
                     nadie recibe el enlace para evaluarla; la evalúa su enlace municipal al \
                     ingresar."
                .to_string(),
        });
    }
    Ok(confirmation.fact("No se puede deshacer.").render(
        page,
        if closing {
            "Cerrar la asistencia"
        } else {
            "Cancelar la asistencia"
        },
    ))
}

#[post("/asistencias/<id>/estado", data = "<form>")]
pub(super) async fn status_submit(
    db: &State<DatabaseConnection>,
    notifier: crate::mail::Mailer<'_>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<StatusForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    let input = StatusInput {
        status: Some(form.status.clone()),
        reason: Some(form.reason.clone()),
        objective_reached: match form.objective_reached.as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
        summary: Some(form.summary.clone()),
    };
    let final_state = matches!(
        AssistanceStatus::parse(form.status.trim()),
        Some(AssistanceStatus::Closed | AssistanceStatus::Cancelled)
    );
    // Closing and cancelling have a form each: the problems go beside the one sent.
    let prefix = match form.status.as_str() {
        "closed" => "cierre",
        "cancelled" => "cancelacion",
        _ => "estado",
    };
    if final_state && !form.confirmed {
        return match status_confirmation(db, &page, &staff, id, &form, &input).await {
            Ok(rendered) => rendered.map(Either::Right),
            Err(refused) => back(db, &page, id, Err::<(), _>(refused.0), "", (prefix, &form))
                .await
                .map(Either::Left),
        };
    }
    let result = domain::db::write(db, async |txn| {
        assistance::change_status(txn, &notifier, &staff, id, &input).await
    })
    .await;
    let done = match form.status.as_str() {
        "in_progress" => "La asistencia está en curso.",
        "closed" => "Asistencia cerrada.",
        _ => "Asistencia cancelada.",
    };
    back(db, &page, id, result, done, (prefix, &form))
        .await
        .map(Either::Left)
}
