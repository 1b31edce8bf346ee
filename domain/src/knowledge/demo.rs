//! The demo's knowledge bank (issue 48). From ESAP's assistances: El Paujíl's guide to the
//! plan indicativo (the product handed over at its first visit, with its file, public), a link
//! to DNP's territorial portal (material of the Planeación Territorial course), a lesson learned
//! from Mapiripán's closed accompaniment (public) and a good practice from El Paujíl (for
//! accounts), all published by ESAP's coordinator; and a draft template from Puerto Rico
//! waiting for review.

use super::{ResourceInput, files::Upload};
use crate::accounts::actor::Actor;
use crate::accounts::demo::Accounts;
use crate::entities::{assistance, assistance_visit, capacity, course, user, visit_product};
use crate::error::{AppError, AppResult};
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// The resources, by `accounts.coordinator` (ESAP's coordination).
pub async fn load<C: ConnectionTrait>(db: &C, accounts: &Accounts) -> AppResult<()> {
    let Some(model) = user::Entity::find_by_id(accounts.coordinator)
        .one(db)
        .await?
    else {
        return Err(AppError::Internal("demo: falta la coordinación".into()));
    };
    let actor = Actor::load(db, model, None).await?;
    let planning = capacity_of(db, "planeacion_territorial").await?;
    let el_paujil = assistance_in(db, "18256").await?.id;
    let mapiripan = assistance_in(db, "50325").await?.id;
    let puerto_rico = assistance_in(db, "18592").await.ok();
    let course_pt = course::Entity::find()
        .filter(course::Column::Code.eq("PT"))
        .one(db)
        .await?
        .map(|c| c.id.to_string());
    let guide_product = first_product(
        db,
        el_paujil,
        "Guía para la formulación del plan indicativo",
    )
    .await?
    .map(|id| id.to_string());
    let published = [
        guide(db, &actor, &planning, el_paujil, guide_product).await?,
        portal(db, &actor, &planning, course_pt).await?,
        lesson(db, &actor, mapiripan).await?,
        practice(db, &actor, &planning, el_paujil).await?,
    ];
    if let Some(puerto_rico) = puerto_rico {
        template(db, &actor, puerto_rico.id).await?;
    }
    for id in published {
        super::publish(db, &actor, id).await?;
    }
    Ok(())
}

/// The id of the capacity `code`, as a resource's form sends it.
async fn capacity_of<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<String> {
    capacity::Entity::find()
        .filter(capacity::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|c| c.id.to_string())
        .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
}

/// ESAP's first assistance in the municipality `code`.
async fn assistance_in<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<assistance::Model> {
    assistance::Entity::find()
        .filter(assistance::Column::MunicipalityCode.eq(code))
        .filter(assistance::Column::ProviderId.eq(crate::providers::ESAP))
        .order_by_asc(assistance::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(format!("demo: falta la asistencia en {code}")))
}

/// The first product titled `title` handed over at a visit of `assistance_id`.
async fn first_product<C: ConnectionTrait>(
    db: &C,
    assistance_id: i32,
    title: &str,
) -> AppResult<Option<i32>> {
    let visits: Vec<i32> = assistance_visit::Entity::find()
        .filter(assistance_visit::Column::AssistanceId.eq(assistance_id))
        .all_mapped(db, |v| v.id)
        .await?;
    Ok(visit_product::Entity::find()
        .filter(visit_product::Column::VisitId.is_in(visits))
        .filter(visit_product::Column::Title.eq(title))
        .order_by_asc(visit_product::Column::Id)
        .one(db)
        .await?
        .map(|p| p.id))
}

fn text(t: &str) -> Option<String> {
    Some(t.to_string())
}

/// El Paujíl's guide to the plan indicativo: the product handed over at its first visit,
/// with its file, public.
async fn guide<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    planning: &str,
    el_paujil: i32,
    guide_product: Option<String>,
) -> AppResult<i32> {
    let saved = super::create(
        db,
        actor,
        &ResourceInput {
            title: "Guía para la formulación del plan indicativo".into(),
            description: "La guía que la ESAP entregó a la Secretaría de Planeación de El Paujíl: \
                cómo pasar del plan de desarrollo al plan indicativo, con metas por año, \
                indicadores y responsables, y cómo presentarlo al consejo territorial de planeación."
                .into(),
            kind: "guia".into(),
            capacity_ids: vec![planning.to_string()],
            stage: text("planeacion"),
            municipality_categories: vec!["5".into(), "6".into()],
            visibility: text("publico"),
            assistance_id: Some(el_paujil.to_string()),
            visit_product_id: guide_product,
            ..ResourceInput::default()
        },
        Some(Upload::in_memory(
            "Guía plan indicativo - El Paujíl.pdf",
            demo_pdf(&[
                "Guía para la formulación del plan indicativo",
                "Escuela Superior de Administración Pública (ESAP)",
                "",
                "1. Del plan de desarrollo a las metas de cada año.",
                "2. Un indicador por meta, con su línea base y su fuente.",
                "3. Un responsable por meta y su seguimiento trimestral.",
                "4. Presentación al consejo territorial de planeación.",
            ]),
        )),
    )
    .await?;
    Ok(saved.id)
}

/// A link to DNP's territorial portal, material of the Planeación Territorial course.
async fn portal<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    planning: &str,
    course_pt: Option<String>,
) -> AppResult<i32> {
    let saved = super::create(
        db,
        actor,
        &ResourceInput {
            title: "Portal Territorial del DNP: fichas y kit de planeación".into(),
            description: "Fichas de caracterización de cada municipio y el kit de planeación \
                territorial del Departamento Nacional de Planeación, material de apoyo del curso \
                de Planeación Territorial."
                .into(),
            kind: "herramienta".into(),
            url: text("https://portalterritorial.dnp.gov.co/"),
            capacity_ids: vec![planning.to_string()],
            stage: text("planeacion"),
            visibility: text("cuentas"),
            course_id: course_pt,
            ..ResourceInput::default()
        },
        None,
    )
    .await?;
    Ok(saved.id)
}

/// A lesson learned from Mapiripán's closed accompaniment, public.
async fn lesson<C: ConnectionTrait>(db: &C, actor: &Actor, mapiripan: i32) -> AppResult<i32> {
    let saved = super::create(
        db,
        actor,
        &ResourceInput {
            title: "Proyectos que llegan a la fase de inversión: lo que aprendimos en Mapiripán"
                .into(),
            description: "Lección aprendida del acompañamiento de la ESAP a la alcaldía de \
                Mapiripán en la formulación de proyectos de inversión."
                .into(),
            kind: "leccion_aprendida".into(),
            url: text("https://www.esap.edu.co/"),
            capacity_ids: vec![capacity_of(db, "ejecucion_recursos").await?],
            stage: text("ejecucion"),
            municipality_categories: vec!["6".into()],
            visibility: text("publico"),
            context: text(
                "Municipio PDET de categoría 6 en el Meta, con una secretaría de planeación de \
                 dos personas y rotación alta de contratistas.",
            ),
            problem: text(
                "Los proyectos se formulaban a última hora para cada convocatoria y la mitad se \
                 devolvía por fallas en la metodología general ajustada (MGA).",
            ),
            what_was_done: text(
                "Un banco de perfiles de proyecto priorizados con la comunidad y tres sesiones \
                 de trabajo sobre la MGA con el equipo, con los proyectos reales del municipio.",
            ),
            what_worked: text(
                "Trabajar sobre los proyectos propios y dejar la plantilla del perfil en la \
                 alcaldía; no funcionó la capacitación general sin casos.",
            ),
            evidence: text(
                "De seis proyectos presentados, cinco pasaron la revisión de viabilidad (antes, \
                 dos de seis).",
            ),
            assistance_id: Some(mapiripan.to_string()),
            ..ResourceInput::default()
        },
        None,
    )
    .await?;
    Ok(saved.id)
}

/// A good practice from El Paujíl, for accounts.
async fn practice<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    planning: &str,
    el_paujil: i32,
) -> AppResult<i32> {
    let saved = super::create(
        db,
        actor,
        &ResourceInput {
            title: "El tablero de seguimiento en el consejo territorial de planeación".into(),
            description: "Buena práctica de El Paujíl: el seguimiento trimestral del plan de \
                desarrollo se presenta al consejo territorial de planeación con un tablero."
                .into(),
            kind: "buena_practica".into(),
            url: text("https://portalterritorial.dnp.gov.co/"),
            capacity_ids: vec![planning.to_string()],
            stage: text("seguimiento_evaluacion"),
            municipality_categories: vec!["6".into()],
            visibility: text("cuentas"),
            context: text("Alcaldía de El Paujíl (Caquetá), municipio PDET de categoría 6."),
            problem: text(
                "El consejo territorial de planeación no recibía información del avance del plan.",
            ),
            what_was_done: text(
                "La Secretaría de Planeación arma cada trimestre el tablero de indicadores y lo \
                 presenta en la sesión del consejo.",
            ),
            what_worked: text(
                "Un tablero de una página, con semáforo por meta, entregado antes de la sesión.",
            ),
            evidence: text("Actas del consejo con las observaciones sobre el avance de cada meta."),
            assistance_id: Some(el_paujil.to_string()),
            ..ResourceInput::default()
        },
        None,
    )
    .await?;
    Ok(saved.id)
}

/// A template from Puerto Rico's accompaniment, a draft waiting for review.
async fn template<C: ConnectionTrait>(db: &C, actor: &Actor, puerto_rico: i32) -> AppResult<()> {
    super::create(
        db,
        actor,
        &ResourceInput {
            title: "Plantilla de estatuto de rentas".into(),
            description: "Plantilla para actualizar el estatuto de rentas municipal, \
                entregada a la alcaldía de Puerto Rico: falta revisarla antes de publicarla."
                .into(),
            kind: "plantilla".into(),
            capacity_ids: vec![capacity_of(db, "movilizacion_recursos").await?],
            stage: text("financiacion"),
            visibility: text("publico"),
            assistance_id: Some(puerto_rico.to_string()),
            ..ResourceInput::default()
        },
        Some(Upload::in_memory(
            "Plantilla estatuto de rentas.csv",
            "impuesto;tarifa;acuerdo\npredial unificado;;\nindustria y comercio;;\n"
                .as_bytes()
                .to_vec(),
        )),
    )
    .await?;
    Ok(())
}

/// A small PDF of one page with `lines` of text (Helvetica; the demo's guide file).
fn demo_pdf(lines: &[&str]) -> Vec<u8> {
    let mut text = String::from("BT /F1 12 Tf 50 780 Td 16 TL\n");
    for line in lines {
        // Latin-1 for the standard font: accents as octal escapes.
        let escaped: String = line
            .chars()
            .map(|c| match c {
                '(' | ')' | '\\' => format!("\\{c}"),
                c if c.is_ascii() => c.to_string(),
                c => format!("\\{:03o}", u32::from(c) & 0xFF),
            })
            .collect();
        text.push_str(&format!("({escaped}) Tj T*\n"));
    }
    text.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", n + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
