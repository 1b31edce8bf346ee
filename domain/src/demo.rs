//! Demo data for the debug profile (`demo_data = true`) and `seed --demo`: one account per
//! role, participants of the seven pilot municipalities (Caquetá and Meta, PDET), cohorts in
//! every stage with sessions, attendance and scores. Dates are relative to today so the demo
//! always looks current. Idempotent: skipped when the demo coordinator exists.

use crate::accounts::{self, NewUser};
use crate::entities::values::{
    CohortStatus, ConsentKind, DocumentType, EnrolmentStatus, Mark, MarkSource, Modality,
    ProviderKind, Role, SurveyKind,
};
use crate::entities::{
    assessment, attendance_mark, cohort, cohort_department, cohort_instructor, cohort_municipality,
    cohort_session, consent, course, enrolment, participant, score, user,
};
use crate::error::{AppError, AppResult};
use crate::time::{from_local, now, today};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// Demo accounts: (role, email, password, full name, department). Printed in the README.
pub const ACCOUNTS: &[(Role, &str, &str, &str, Option<&str>)] = &[
    (
        Role::Admin,
        "admin@aulaterritorial.example",
        "Admin-Aula-2026",
        "Adriana Salazar Ortiz",
        None,
    ),
    (
        Role::Coordinator,
        "coordinacion@aulaterritorial.example",
        "Coordina-Aula-2026",
        "Julián Andrés Rincón",
        None,
    ),
    (
        Role::Instructor,
        "instructor@aulaterritorial.example",
        "Instruye-Aula-2026",
        "Luz Marina Cárdenas",
        None,
    ),
    (
        Role::Participant,
        "participante@aulaterritorial.example",
        "Participa-Aula-2026",
        "María Fernanda Muñoz Peña",
        None,
    ),
    (
        Role::Reviewer,
        "revisor.caqueta@aulaterritorial.example",
        "Revisa-Aula-2026",
        "Óscar Iván Betancourt",
        Some("18"),
    ),
    // A second gobernación, so the cohort shared by Caquetá and Meta shows each reviewer only
    // the people of their own department.
    (
        Role::Reviewer,
        "revisor.meta@aulaterritorial.example",
        "Revisa-Meta-2026",
        "Diana Carolina Rojas",
        Some("50"),
    ),
    // The liaison (enlace municipal) of El Paujíl, who raises the municipality's demands.
    (
        Role::Liaison,
        "enlace.elpaujil@aulaterritorial.example",
        "Enlace-Paujil-2026",
        "Yurany Andrea Cuéllar",
        Some("18256"),
    ),
    // A coordinator of a territorial direction (its departments are set when the demo loads).
    (
        Role::Coordinator,
        "coordinacion.meta@aulaterritorial.example",
        "Coordina-Meta-2026",
        "Hernán Darío Quintero",
        None,
    ),
    // Issue 32: a coordinator of each other provider (see `PROVIDERS`, same order).
    (
        Role::Coordinator,
        "coordinacion.dnp@aulaterritorial.example",
        "Coordina-DNP-2026",
        "Camilo Esteban Pardo",
        None,
    ),
    (
        Role::Coordinator,
        "coordinacion.funcionpublica@aulaterritorial.example",
        "Coordina-DAFP-2026",
        "Sandra Milena Ocampo",
        None,
    ),
    (
        Role::Coordinator,
        "oferta.gobcaqueta@aulaterritorial.example",
        "Oferta-Caqueta-2026",
        "Wilson Javier Trujillo",
        None,
    ),
];

/// Issue 32: the other providers of the demo, (name, kind, NIT, department); each has the
/// coordinator account of the same position among the last three `ACCOUNTS`.
const PROVIDERS: &[(&str, ProviderKind, Option<&str>, Option<&str>)] = &[
    (
        "Departamento Nacional de Planeación (DNP)",
        ProviderKind::Nacional,
        Some("899999011-0"),
        None,
    ),
    (
        "Departamento Administrativo de la Función Pública",
        ProviderKind::Nacional,
        None,
        None,
    ),
    (
        "Gobernación del Caquetá",
        ProviderKind::Gobernacion,
        None,
        Some("18"),
    ),
];

/// The programme's pilot municipalities (domain brief).
pub const PILOT_MUNICIPALITIES: &[&str] = &[
    "18592", "18256", "18610", "18094", "50325", "50450", "50577",
];

/// (first names, last names, document number, municipality, entity type, position, level).
const PEOPLE: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "María Fernanda",
        "Muñoz Peña",
        "1117512345",
        "18592",
        "alcaldia",
        "Secretaria de Planeación",
        "directivo",
    ),
    (
        "José Ángel",
        "Quintero Díaz",
        "1117523456",
        "18592",
        "alcaldia",
        "Profesional universitario de Hacienda",
        "profesional",
    ),
    (
        "Nubia Esperanza",
        "Galíndez Ruiz",
        "40781234",
        "18592",
        "concejo",
        "Concejala",
        "elegido",
    ),
    (
        "Héctor Fabián",
        "Ordóñez Castaño",
        "1116234567",
        "18256",
        "alcaldia",
        "Tesorero municipal",
        "profesional",
    ),
    (
        "Yurany",
        "Bermúdez Ñáñez",
        "1116245678",
        "18256",
        "personeria",
        "Personera municipal",
        "directivo",
    ),
    (
        "Ramiro",
        "Peña Cuéllar",
        "17654321",
        "18256",
        "junta_accion_comunal",
        "Presidente de JAC vereda La Esperanza",
        "comunidad",
    ),
    (
        "Sandra Milena",
        "Vargas Tovar",
        "1118456789",
        "18610",
        "alcaldia",
        "Técnica administrativa",
        "tecnico",
    ),
    (
        "Luis Eduardo",
        "Chávarro Muñoz",
        "1118467890",
        "18610",
        "alcaldia",
        "Contratista de la oficina de proyectos",
        "contratista",
    ),
    (
        "Ana Lucía",
        "Perdomo Ramírez",
        "1118478901",
        "18610",
        "consejo_territorial_planeacion",
        "Consejera territorial",
        "comunidad",
    ),
    (
        "Édgar",
        "Losada Gutiérrez",
        "1119589012",
        "18094",
        "alcaldia",
        "Secretario de Gobierno",
        "directivo",
    ),
    (
        "Diana Patricia",
        "Rojas Cabrera",
        "1119590123",
        "18094",
        "alcaldia",
        "Auxiliar administrativa",
        "asistencial",
    ),
    (
        "Wilson",
        "Ibáñez Polanía",
        "1119501234",
        "18094",
        "veeduria",
        "Veedor ciudadano",
        "comunidad",
    ),
    (
        "Leidy Johana",
        "Sánchez Arévalo",
        "1121612345",
        "50325",
        "alcaldia",
        "Secretaria de Hacienda",
        "directivo",
    ),
    (
        "Fredy Alonso",
        "Güiza Moreno",
        "1121623456",
        "50325",
        "alcaldia",
        "Profesional de presupuesto",
        "profesional",
    ),
    (
        "Marleny",
        "Castro Umaña",
        "1121634567",
        "50325",
        "concejo",
        "Secretaria del concejo",
        "asistencial",
    ),
    (
        "Jhon Jairo",
        "Álvarez Torres",
        "1122745678",
        "50450",
        "alcaldia",
        "Asesor de despacho",
        "asesor",
    ),
    (
        "Luz Dary",
        "Méndez Ocampo",
        "1122756789",
        "50450",
        "alcaldia",
        "Técnica de tesorería",
        "tecnico",
    ),
    (
        "Camilo Andrés",
        "Núñez Beltrán",
        "1122767890",
        "50450",
        "personeria",
        "Auxiliar de personería",
        "asistencial",
    ),
    (
        "Gloria Inés",
        "Parrado Velásquez",
        "1123878901",
        "50577",
        "alcaldia",
        "Jefa de control interno",
        "directivo",
    ),
    (
        "Orlando",
        "Acuña Herrera",
        "1123889012",
        "50577",
        "alcaldia",
        "Contratista de rendición de cuentas",
        "contratista",
    ),
    (
        "Yeimy Carolina",
        "Ríos Bohórquez",
        "1123890123",
        "50577",
        "junta_accion_comunal",
        "Tesorera de JAC",
        "comunidad",
    ),
];

pub async fn ensure_loaded(db: &DatabaseConnection) -> AppResult<bool> {
    let coordinator_email = ACCOUNTS[1].1;
    if user::Entity::find()
        .filter(user::Column::Email.eq(coordinator_email))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    // The accounts' passwords are hashed before the transaction opens (argon2 is CPU work).
    let mut passwords = Vec::with_capacity(ACCOUNTS.len());
    for (_, _, password, _, _) in ACCOUNTS {
        passwords.push(accounts::passwords::NewPassword::hash(password).await?);
    }
    // One transaction (issue 46): a start that fails half-way leaves no demo data, and the
    // next start loads it whole (the check above would otherwise skip what is missing).
    let txn = crate::db::begin(db).await?;
    load(&txn, passwords).await?;
    // Indicator years after the real ones for the pilots, from the figures of what was just
    // loaded (brought up to date here, as the commit would): marked synthetic wherever they
    // are shown.
    if crate::figures::flush(&*txn).await? {
        crate::instances::bump(&*txn, crate::instances::Cached::Figures).await?;
    }
    let last_year = chrono::Datelike::year(&today()) - 1;
    let pilots: Vec<String> = PILOT_MUNICIPALITIES.iter().map(|c| c.to_string()).collect();
    crate::indicators::synthetic::add_years(&txn, 2024..=last_year, Some(&pilots), 2026).await?;
    crate::db::commit(txn).await?;
    tracing::info!("demo data loaded (accounts in README.md)");
    Ok(true)
}

async fn load<C: ConnectionTrait>(
    db: &C,
    passwords: Vec<accounts::passwords::NewPassword>,
) -> AppResult<()> {
    let mut user_ids = Vec::new();
    for ((role, email, _, full_name, department), password) in ACCOUNTS.iter().zip(passwords) {
        let created = accounts::create_user(
            db,
            NewUser {
                email: email.to_string(),
                password,
                full_name: full_name.to_string(),
                role: *role,
                // The fifth field is a reviewer's department or a liaison's municipality.
                department_code: department
                    .filter(|_| *role == Role::Reviewer)
                    .map(str::to_string),
                municipality_code: department
                    .filter(|_| *role == Role::Liaison)
                    .map(str::to_string),
                territorial_direction_id: None,
                provider_id: None,
            },
        )
        .await?;
        user_ids.push(created.id);
    }
    let (coordinator_id, instructor_id, participant_user_id) =
        (user_ids[1], user_ids[2], user_ids[3]);

    let at = now();
    let mut participants = Vec::new();
    for (i, (first, last, document, municipality, entity, position, level)) in
        PEOPLE.iter().enumerate()
    {
        let model = participant::ActiveModel {
            // The first person is the demo participant account.
            user_id: Set((i == 0).then_some(participant_user_id)),
            document_type: Set(DocumentType::Cc),
            document_number: Set(document.to_string()),
            first_names: Set(first.to_string()),
            last_names: Set(last.to_string()),
            email: Set(Some(if i == 0 {
                ACCOUNTS[3].1.to_string()
            } else {
                format!("participante{}@aulaterritorial.example", i + 1)
            })),
            phone: Set(Some(format!("3{:09}", 101_000_000 + i * 7_919))),
            municipality_code: Set(municipality.to_string()),
            entity_type: Set(entity.to_string()),
            entity_name: Set(None),
            position: Set(Some(position.to_string())),
            level: Set(level.to_string()),
            sex: Set(None),
            ethnic_group: Set(None),
            has_disability: Set(None),
            is_conflict_victim: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        let id = participant::Entity::insert(model)
            .exec(db)
            .await?
            .last_insert_id;
        consent::Entity::insert(consent::ActiveModel {
            participant_id: Set(id),
            kind: Set(ConsentKind::DataProcessing),
            text_version: Set(crate::people::DATA_CONSENT_VERSION.to_string()),
            granted_at: Set(at),
            withdrawn_at: Set(None),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        participants.push((id, municipality.to_string(), entity.to_string()));
    }

    let day = today();
    let caqueta: Vec<usize> = (0..12).collect();
    let meta: Vec<usize> = (12..21).collect();

    // 1. In progress: Planeación Territorial for the four Caquetá pilots.
    let planning = DemoCohort {
        course_code: "PT",
        name: "Planeación Territorial · Caquetá PDET 2026-II",
        modality: Modality::Mixta,
        status: CohortStatus::InProgress,
        start: day - Duration::days(28),
        sessions: 6,
        seats: 30,
        venue: "Casa de la Cultura, Florencia (Caquetá) y sala virtual ESAP",
        municipalities: &PILOT_MUNICIPALITIES[..4],
        departments: &[],
        assessments: &[
            ("Diagnóstico del plan de desarrollo", 40),
            ("Plan indicativo", 60),
        ],
    };
    let id = planning.create(db, coordinator_id, instructor_id).await?;
    enrol_with_history(db, id, &participants, &caqueta, instructor_id, false).await?;

    // 2. Closed: Gestión Presupuestal for the three Meta pilots, with results frozen.
    let budget = DemoCohort {
        course_code: "GPR",
        name: "Gestión Presupuestal · Macarena–Guaviare 2026-I",
        modality: Modality::Virtual,
        status: CohortStatus::Closed,
        start: day - Duration::days(90),
        sessions: 5,
        seats: 25,
        venue: "Sala virtual ESAP",
        municipalities: &PILOT_MUNICIPALITIES[4..],
        departments: &[],
        assessments: &[("Taller de POAI", 50), ("Evaluación final", 50)],
    };
    let id = budget.create(db, coordinator_id, instructor_id).await?;
    enrol_with_history(db, id, &participants, &meta, instructor_id, true).await?;

    // 3. Open for enrolment: Rendición de Cuentas for Caquetá and Meta.
    let accountability = DemoCohort {
        course_code: "RPC",
        name: "Rendición Pública de Cuentas · Caquetá y Meta 2027-I",
        modality: Modality::Presencial,
        status: CohortStatus::Open,
        start: day + Duration::days(30),
        sessions: 4,
        seats: 25,
        venue: "Auditorio de la Gobernación del Caquetá, Florencia",
        municipalities: &[],
        departments: &["18", "50"],
        assessments: &[],
    };
    let accountability_id = accountability
        .create(db, coordinator_id, instructor_id)
        .await?;
    for person in [0, 4, 13] {
        enrol(
            db,
            accountability_id,
            &participants[person],
            EnrolmentStatus::Enrolled,
        )
        .await?;
    }
    let liaison = ACCOUNTS
        .iter()
        .position(|account| account.0 == Role::Liaison)
        .map(|i| user_ids[i])
        .ok_or_else(|| AppError::Internal("demo: falta el enlace".into()))?;
    seat_quotas(db, accountability_id, liaison, &participants, &[0, 4, 13]).await?;

    // 4. Draft: Gestión Tributaria, virtual, for the whole country.
    let taxes = DemoCohort {
        course_code: "GT",
        name: "Gestión Tributaria · virtual nacional 2027-I",
        modality: Modality::Virtual,
        status: CohortStatus::Draft,
        start: day + Duration::days(60),
        sessions: 4,
        seats: 200,
        venue: "Sala virtual ESAP",
        municipalities: &[],
        departments: &[],
        assessments: &[],
    };
    taxes.create(db, coordinator_id, instructor_id).await?;

    // 5. Closed two years ago: Gestión Tributaria for the Caquetá pilots, so their pages show
    // indicators before and after training (the later years are synthetic, and say so).
    let earlier = DemoCohort {
        course_code: "GT",
        name: "Gestión Tributaria · Caquetá PDET, primera cohorte",
        modality: Modality::Mixta,
        status: CohortStatus::Closed,
        start: day - Duration::days(730),
        sessions: 5,
        seats: 30,
        venue: "Casa de la Cultura, Florencia (Caquetá) y sala virtual ESAP",
        municipalities: &PILOT_MUNICIPALITIES[..4],
        departments: &[],
        assessments: &[
            ("Estatuto tributario municipal", 50),
            ("Plan de fiscalización", 50),
        ],
    };
    let earlier_id = earlier.create(db, coordinator_id, instructor_id).await?;
    enrol_with_history(db, earlier_id, &participants, &caqueta, instructor_id, true).await?;

    // 6. Issue 47: closed in the first half of the year, Planeación Territorial for the Meta
    // pilots (PDET), certificates issued: what the Meta direction's plan reads as its line
    // ahead of the year's pace.
    let meta_planning = DemoCohort {
        course_code: "PT",
        name: "Planeación Territorial · Meta PDET 2026-I",
        modality: Modality::Mixta,
        status: CohortStatus::Closed,
        start: day - Duration::days(200),
        sessions: 5,
        seats: 25,
        venue: "Auditorio de la ESAP, Villavicencio (Meta) y sala virtual ESAP",
        municipalities: &PILOT_MUNICIPALITIES[4..],
        departments: &[],
        assessments: &[("Diagnóstico territorial", 50), ("Plan indicativo", 50)],
    };
    let meta_planning_id = meta_planning
        .create(db, coordinator_id, instructor_id)
        .await?;
    enrol_with_history(
        db,
        meta_planning_id,
        &participants,
        &meta,
        instructor_id,
        true,
    )
    .await?;
    demo_certificates(
        db,
        meta_planning_id,
        coordinator_id,
        from_local(meta_planning.start + Duration::days(7 * 5), 10, 0),
    )
    .await?;

    // Issue 17: what participants thought. The Meta cohort's satisfaction survey is open (6 of
    // 9 answered); the Caquetá one's closed long ago (10 of 12), and its follow-up is open with
    // the demo participant still to answer it.
    let the_participant = participants[0].0;
    demo_surveys(
        db,
        id,
        SurveyKind::Satisfaction,
        at - Duration::days(3),
        6,
        None,
    )
    .await?;
    let earlier_end = from_local(day - Duration::days(730) + Duration::days(7 * 4 + 1), 9, 0);
    demo_surveys(
        db,
        earlier_id,
        SurveyKind::Satisfaction,
        earlier_end,
        10,
        Some(the_participant),
    )
    .await?;
    demo_surveys(
        db,
        earlier_id,
        SurveyKind::FollowUp,
        at - Duration::days(4),
        6,
        Some(the_participant),
    )
    .await?;

    territory_and_demand(db, &user_ids, accountability_id, earlier_id).await?;
    // Issue 46: the Meta direction's coordinator named, by document, a Caquetá official it
    // does not reach: she is invited, not enrolled (she has no account: nothing was emailed).
    demo_invitation(db, accountability_id, user_ids[7], &participants[1]).await?;
    providers(db, &user_ids, instructor_id, &participants).await?;
    pending_name_change(db, the_participant).await?;
    assistances(db, &user_ids, instructor_id).await?;
    joint_delivery(db, accountability_id).await?;
    plans(db, &user_ids).await?;
    costs(db, &user_ids, id, meta_planning_id).await?;
    // Issue 48: the Caquetá and Meta alliances, kept by each department's reviewer.
    crate::alliances::demo::load(db, user_ids[4], user_ids[5]).await?;
    handover_demo(db, the_participant).await?;
    trainers(db, coordinator_id, instructor_id, &participants).await?;
    demo_descriptors(db).await?;
    knowledge_bank(db, user_ids[1]).await
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

/// Issue 48's demo: the knowledge bank. From ESAP's assistances: El Paujíl's guide to the
/// plan indicativo (the product handed over at its first visit, with its file, public), a
/// link to DNP's territorial portal (material of the Planeación Territorial course), a lesson
/// learned from Mapiripán's closed accompaniment (public) and a good practice from El Paujíl
/// (for accounts), all published by ESAP's coordinator; and a draft template from Puerto Rico
/// waiting for review.
async fn knowledge_bank<C: ConnectionTrait>(db: &C, coordinator_id: i32) -> AppResult<()> {
    use crate::entities::{assistance, assistance_visit, capacity, course, visit_product};
    use crate::knowledge::{self, ResourceInput, files::Upload};
    use sea_orm::QueryOrder;
    let Some(model) = user::Entity::find_by_id(coordinator_id).one(db).await? else {
        return Err(AppError::Internal("demo: falta la coordinación".into()));
    };
    let actor = crate::accounts::actor::Actor::load(db, model, None).await?;
    let capacity_of = async |code: &str| -> AppResult<String> {
        capacity::Entity::find()
            .filter(capacity::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id.to_string())
            .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
    };
    let assistance_in = async |code: &str| -> AppResult<assistance::Model> {
        assistance::Entity::find()
            .filter(assistance::Column::MunicipalityCode.eq(code))
            .filter(assistance::Column::ProviderId.eq(crate::providers::ESAP))
            .order_by_asc(assistance::Column::Id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo: falta la asistencia en {code}")))
    };
    let first_product = async |assistance_id: i32, title: &str| -> AppResult<Option<i32>> {
        let visits: Vec<i32> = assistance_visit::Entity::find()
            .filter(assistance_visit::Column::AssistanceId.eq(assistance_id))
            .all(db)
            .await?
            .into_iter()
            .map(|v| v.id)
            .collect();
        Ok(visit_product::Entity::find()
            .filter(visit_product::Column::VisitId.is_in(visits))
            .filter(visit_product::Column::Title.eq(title))
            .order_by_asc(visit_product::Column::Id)
            .one(db)
            .await?
            .map(|p| p.id))
    };
    let planning = capacity_of("planeacion_territorial").await?;
    let el_paujil = assistance_in("18256").await?;
    let mapiripan = assistance_in("50325").await?;
    let puerto_rico = assistance_in("18592").await.ok();
    let course_pt = course::Entity::find()
        .filter(course::Column::Code.eq("PT"))
        .one(db)
        .await?
        .map(|c| c.id.to_string());
    let guide_product = first_product(el_paujil.id, "Guía para la formulación del plan indicativo")
        .await?
        .map(|id| id.to_string());
    let text = |t: &str| Some(t.to_string());
    let mut published = Vec::new();

    let guide = knowledge::create(
        db,
        &actor,
        &ResourceInput {
            title: "Guía para la formulación del plan indicativo".into(),
            description: "La guía que la ESAP entregó a la Secretaría de Planeación de El Paujíl: \
                cómo pasar del plan de desarrollo al plan indicativo, con metas por año, \
                indicadores y responsables, y cómo presentarlo al consejo territorial de planeación."
                .into(),
            kind: "guia".into(),
            capacity_ids: vec![planning.clone()],
            stage: text("planeacion"),
            municipality_categories: vec!["5".into(), "6".into()],
            visibility: text("publico"),
            assistance_id: Some(el_paujil.id.to_string()),
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
    published.push(guide.id);

    let portal = knowledge::create(
        db,
        &actor,
        &ResourceInput {
            title: "Portal Territorial del DNP: fichas y kit de planeación".into(),
            description: "Fichas de caracterización de cada municipio y el kit de planeación \
                territorial del Departamento Nacional de Planeación, material de apoyo del curso \
                de Planeación Territorial."
                .into(),
            kind: "herramienta".into(),
            url: text("https://portalterritorial.dnp.gov.co/"),
            capacity_ids: vec![planning.clone()],
            stage: text("planeacion"),
            visibility: text("cuentas"),
            course_id: course_pt,
            ..ResourceInput::default()
        },
        None,
    )
    .await?;
    published.push(portal.id);

    let lesson = knowledge::create(
        db,
        &actor,
        &ResourceInput {
            title: "Proyectos que llegan a la fase de inversión: lo que aprendimos en Mapiripán"
                .into(),
            description: "Lección aprendida del acompañamiento de la ESAP a la alcaldía de \
                Mapiripán en la formulación de proyectos de inversión."
                .into(),
            kind: "leccion_aprendida".into(),
            url: text("https://www.esap.edu.co/"),
            capacity_ids: vec![capacity_of("ejecucion_recursos").await?],
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
            assistance_id: Some(mapiripan.id.to_string()),
            ..ResourceInput::default()
        },
        None,
    )
    .await?;
    published.push(lesson.id);

    let practice = knowledge::create(
        db,
        &actor,
        &ResourceInput {
            title: "El tablero de seguimiento en el consejo territorial de planeación".into(),
            description: "Buena práctica de El Paujíl: el seguimiento trimestral del plan de \
                desarrollo se presenta al consejo territorial de planeación con un tablero."
                .into(),
            kind: "buena_practica".into(),
            url: text("https://portalterritorial.dnp.gov.co/"),
            capacity_ids: vec![planning.clone()],
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
            assistance_id: Some(el_paujil.id.to_string()),
            ..ResourceInput::default()
        },
        None,
    )
    .await?;
    published.push(practice.id);

    if let Some(puerto_rico) = puerto_rico {
        knowledge::create(
            db,
            &actor,
            &ResourceInput {
                title: "Plantilla de estatuto de rentas".into(),
                description: "Plantilla para actualizar el estatuto de rentas municipal, \
                    entregada a la alcaldía de Puerto Rico: falta revisarla antes de publicarla."
                    .into(),
                kind: "plantilla".into(),
                capacity_ids: vec![capacity_of("movilizacion_recursos").await?],
                stage: text("financiacion"),
                visibility: text("publico"),
                assistance_id: Some(puerto_rico.id.to_string()),
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
    }
    for id in published {
        knowledge::publish(db, &actor, id).await?;
    }
    Ok(())
}

/// Issue 48's demo: El Paujíl's handover (`/municipios/18256/empalme`) is rich — its
/// assistances already hold an overdue open agreement, pending milestones and products; here
/// one more official trained for it reports having left the alcaldía (the follow-up survey's
/// answer), so the handover shows who is still in the entity and who left. The demo
/// participant is not the one: their own follow-up is still to answer.
async fn handover_demo<C: ConnectionTrait>(db: &C, the_participant: i32) -> AppResult<()> {
    use crate::entities::entity_departure;
    use sea_orm::QueryOrder;
    let place = "18256";
    let gone: Vec<i32> = entity_departure::Entity::find()
        .filter(entity_departure::Column::MunicipalityCode.eq(place))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.participant_id)
        .collect();
    let leaving = enrolment::Entity::find()
        .filter(enrolment::Column::MunicipalityCode.eq(place))
        .filter(enrolment::Column::ParticipantId.ne(the_participant))
        .filter(enrolment::Column::ParticipantId.is_not_in(gone))
        .order_by_desc(enrolment::Column::Id)
        .one(db)
        .await?;
    if let Some(leaving) = leaving {
        entity_departure::Entity::insert(entity_departure::ActiveModel {
            participant_id: Set(leaving.participant_id),
            municipality_code: Set(place.into()),
            reported_at: Set(now() - Duration::days(12)),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Issue 48's demo: a closed cohort that trains trainers in Planeación Territorial for the
/// Caquetá pilots. The demo participant (Puerto Rico) and an official of El Paujíl completed
/// it and were endorsed as replicators; a third (San José del Fragua) completed it and waits
/// for the endorsement; a fourth did not complete it. Their replicas in the pilots: one with
/// the attendees by name, two as a count.
async fn trainers<C: ConnectionTrait>(
    db: &C,
    coordinator_id: i32,
    instructor_id: i32,
    participants: &[(i32, String, String)],
) -> AppResult<()> {
    use crate::entities::values::ReplicaAudience;
    use crate::entities::{
        course_capacity, replica, replica_attendee, replicator, replicator_capacity,
    };
    let day = today();
    let trainers = DemoCohort {
        course_code: "PT",
        name: "Formación de formadores en Planeación Territorial · Caquetá 2026",
        modality: Modality::Presencial,
        status: CohortStatus::Closed,
        start: day - Duration::days(120),
        sessions: 4,
        seats: 20,
        venue: "Auditorio de la Gobernación del Caquetá, Florencia",
        municipalities: &PILOT_MUNICIPALITIES[..4],
        departments: &[],
        assessments: &[("Diseño de una réplica", 100)],
    };
    let cohort_id = trainers.create(db, coordinator_id, instructor_id).await?;
    cohort::Entity::update_many()
        .col_expr(cohort::Column::TrainsTrainers, true.into())
        .filter(cohort::Column::Id.eq(cohort_id))
        .exec(db)
        .await?;
    let sessions = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?;
    let assessments = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?;
    let at = now();
    // (person, completed): the demo participant, El Paujíl, San José del Fragua; Belén not.
    for (person, completed) in [(0, true), (3, true), (6, true), (9, false)] {
        let enrolment_id = enrol(
            db,
            cohort_id,
            &participants[person],
            EnrolmentStatus::Enrolled,
        )
        .await?;
        for (n, session) in sessions.iter().enumerate() {
            let mark = if completed || n == 0 {
                Mark::Presente
            } else {
                Mark::Ausente
            };
            attendance_mark::Entity::insert(attendance_mark::ActiveModel {
                session_id: Set(session.id),
                enrolment_id: Set(enrolment_id),
                status: Set(mark),
                note: Set(None),
                source: Set(MarkSource::Manual),
                recorded_by: Set(Some(instructor_id)),
                recorded_at: Set(session.ends_at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        let tenths = if completed { 45 } else { 28 };
        for item in &assessments {
            score::Entity::insert(score::ActiveModel {
                assessment_id: Set(item.id),
                enrolment_id: Set(enrolment_id),
                score_tenths: Set(tenths),
                recorded_by: Set(Some(instructor_id)),
                recorded_at: Set(at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        let total = sessions.len() as i32;
        enrolment::Entity::update(enrolment::ActiveModel {
            id: Set(enrolment_id),
            status: Set(if completed {
                EnrolmentStatus::Completed
            } else {
                EnrolmentStatus::NotCompleted
            }),
            sessions_total: Set(Some(total)),
            sessions_attended: Set(Some(if completed { total } else { 1 })),
            final_grade_milli: Set(Some(tenths * 100)),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    let course_id = cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?
        .course_id;
    let capacities: Vec<i32> = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.capacity_id)
        .collect();
    let capacity_id = *capacities
        .first()
        .ok_or_else(|| AppError::Internal("demo: el curso PT no tiene capacidades".into()))?;
    let since = day - Duration::days(90);
    let until = crate::trainers::default_until(since);
    let mut replicators = Vec::new();
    for person in [0, 3] {
        let saved = replicator::Entity::insert(replicator::ActiveModel {
            participant_id: Set(participants[person].0),
            cohort_id: Set(cohort_id),
            department_code: Set("18".into()),
            since: Set(since),
            until: Set(until),
            endorsed_by: Set(Some(coordinator_id)),
            endorsed_at: Set(from_local(since, 10, 0)),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        for id in &capacities {
            replicator_capacity::Entity::insert(replicator_capacity::ActiveModel {
                replicator_id: Set(saved),
                capacity_id: Set(*id),
            })
            .exec_without_returning(db)
            .await?;
        }
        replicators.push(saved);
    }
    // (replicator, days ago, municipality, audience, names or a count).
    type DemoReplica<'a> = (usize, i64, &'a str, ReplicaAudience, &'a [&'a str], i32);
    let replicas: [DemoReplica; 3] = [
        (
            0,
            60,
            "18256",
            ReplicaAudience::Servidores,
            &[
                "Luz Dary Ortiz",
                "Fabio Nelson Rojas",
                "Sandra Milena Vargas",
                "Edwin Arley Cuéllar",
                "Nidia Esperanza Toro",
                "Wilmer Andrés Polanía",
            ],
            0,
        ),
        (0, 30, "18592", ReplicaAudience::ConsejoPlaneacion, &[], 18),
        (1, 12, "18094", ReplicaAudience::Jovenes, &[], 25),
    ];
    for (who, ago, place, audience, names, count) in replicas {
        let date = day - Duration::days(ago);
        let id = replica::Entity::insert(replica::ActiveModel {
            replicator_id: Set(replicators[who]),
            date: Set(date),
            municipality_code: Set(place.to_string()),
            department_code: Set("18".into()),
            capacity_id: Set(capacity_id),
            audience: Set(audience),
            people_reached: Set(if names.is_empty() {
                count
            } else {
                names.len() as i32
            }),
            by_count: Set(names.is_empty()),
            recorded_by: Set(None),
            created_at: Set(from_local(date, 18, 0)),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        for name in names {
            replica_attendee::Entity::insert(replica_attendee::ActiveModel {
                replica_id: Set(id),
                full_name: Set(name.to_string()),
                position: Set(None),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        crate::figures::replicas::refresh(db, place).await?;
    }
    // Issue 62: a count beyond what one replica counts alone (`replica_review_attendees`)
    // waits at «Réplicas por revisar» for a coordinator, and counts nowhere until approved.
    replica::Entity::insert(replica::ActiveModel {
        replicator_id: Set(replicators[1]),
        date: Set(day - Duration::days(3)),
        municipality_code: Set("18256".into()),
        department_code: Set("18".into()),
        capacity_id: Set(capacity_id),
        audience: Set(ReplicaAudience::OrganizacionesComunitarias),
        people_reached: Set(140),
        by_count: Set(true),
        recorded_by: Set(None),
        created_at: Set(from_local(day - Duration::days(3), 19, 0)),
        review: Set(crate::entities::values::ReplicaReview::Pending),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The sectoral demands issue 49's demo adds (water, farming), by topic.
const DEMO_WATER_TOPIC: &str = "Proyectos de agua potable y saneamiento básico rural";
const DEMO_FARMING_TOPIC: &str = "Plan de extensión agropecuaria con enfoque de género";

/// Issue 49's demo: CONPES's sectoral and population descriptors on the courses, the
/// assistances and the demands — each by the sector its capacity serves, and the water and
/// farming demands by theirs — so the offer view, the demand map and open data filter by
/// sector.
async fn demo_descriptors<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    use crate::entities::values::{DescriptorKind, DescriptorSubject};
    use crate::entities::{
        assistance, assistance_capacity, capacity, course, course_capacity, demand,
    };
    use std::collections::HashMap;
    let id = async |kind: DescriptorKind, code: &str| -> AppResult<i32> {
        crate::descriptors::id_by_code(db, kind, code)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo: falta el descriptor {code}")))
    };
    let sector_of = |capacity: &str| -> &'static str {
        match capacity {
            "movilizacion_recursos" => "hacienda",
            "gobierno_abierto_transparencia" => "funcion_publica",
            "ordenamiento_territorial" => "vivienda_agua",
            _ => "planeacion",
        }
    };
    let capacity_codes: HashMap<i32, String> = capacity::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code))
        .collect();
    // Every record tagged by its first capacity's sector; the PDET planning course and the
    // sectoral demands also by the groups they serve.
    let mut tags: Vec<(
        DescriptorSubject,
        i32,
        &'static str,
        &'static [&'static str],
    )> = Vec::new();
    for c in course::Entity::find().all(db).await? {
        let first = course_capacity::Entity::find()
            .filter(course_capacity::Column::CourseId.eq(c.id))
            .one(db)
            .await?
            .and_then(|l| capacity_codes.get(&l.capacity_id).cloned())
            .unwrap_or_default();
        let groups: &[&str] = if c.code == "PT" {
            &["victimas", "campesinos"]
        } else {
            &[]
        };
        tags.push((DescriptorSubject::Course, c.id, sector_of(&first), groups));
    }
    for a in assistance::Entity::find().all(db).await? {
        let first = assistance_capacity::Entity::find()
            .filter(assistance_capacity::Column::AssistanceId.eq(a.id))
            .one(db)
            .await?
            .and_then(|l| capacity_codes.get(&l.capacity_id).cloned())
            .unwrap_or_default();
        tags.push((DescriptorSubject::Assistance, a.id, sector_of(&first), &[]));
    }
    for d in demand::Entity::find().all(db).await? {
        let (sector, groups): (&'static str, &'static [&'static str]) = match d.topic.as_str() {
            DEMO_WATER_TOPIC => ("vivienda_agua", &["campesinos"]),
            DEMO_FARMING_TOPIC => ("agricultura", &["mujeres", "campesinos"]),
            _ => (
                sector_of(
                    capacity_codes
                        .get(&d.capacity_id)
                        .map_or("", |c| c.as_str()),
                ),
                &[],
            ),
        };
        tags.push((DescriptorSubject::Demand, d.id, sector, groups));
    }
    for (subject, subject_id, sector, groups) in tags {
        let sector_ids = vec![id(DescriptorKind::Sector, sector).await?];
        let mut group_ids = Vec::new();
        for code in groups {
            group_ids.push(id(DescriptorKind::PopulationGroup, code).await?);
        }
        crate::descriptors::set(
            db,
            subject,
            subject_id,
            crate::descriptors::Chosen {
                sector_ids: Some(&sector_ids),
                population_group_ids: Some(&group_ids),
            },
        )
        .await?;
    }
    Ok(())
}

/// Issue 49's joint delivery: ESAP's open Rendición de Cuentas for Caquetá and Meta is
/// delivered together with Función Pública (the policy's lead: its coordinator reads the
/// cohort and sees it in its offer, «en conjunto con»), and ESAP's accompaniment of Puerto
/// Rico's revenue together with DNP.
async fn joint_delivery<C: ConnectionTrait>(db: &C, accountability_id: i32) -> AppResult<()> {
    use crate::cohorts::overlap::OfferKind;
    use crate::entities::{assistance, provider};
    let named = |part: &'static str| async move {
        provider::Entity::find()
            .filter(provider::Column::Name.contains(part))
            .one(db)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| AppError::Internal(format!("demo: falta el oferente {part}")))
    };
    let function_public = named("Función Pública").await?;
    let dnp = named("(DNP)").await?;
    crate::joint::write(db, OfferKind::Cohort, accountability_id, &[function_public]).await?;
    let revenue = assistance::Entity::find()
        .filter(assistance::Column::ProviderId.eq(crate::providers::ESAP))
        .filter(assistance::Column::MunicipalityCode.eq("18592"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la asistencia de Puerto Rico".into()))?;
    crate::joint::write(db, OfferKind::Assistance, revenue.id, &[dnp]).await
}

/// Issue 47's demo costs: the Meta planning cohort and ESAP's Mapiripán accompaniment answer
/// the Meta plan's territorial planning line (instructors per session, the venue, materials
/// per participant, the trips per visit — executed; the platform committed), so its «Avance»
/// shows the budget's execution and the cost per person certified; the Caquetá cohort carries
/// a planned venue that answers no line. A line is named only where the rules would accept it
/// (`costs::items::answerable_lines`: a demo loaded in January has last year's cohorts).
async fn costs<C: ConnectionTrait>(
    db: &C,
    user_ids: &[i32],
    caqueta_cohort: i32,
    meta_cohort: i32,
) -> AppResult<()> {
    use crate::costs::items::{Target, answerable_lines};
    use crate::entities::values::{AssistanceStatus, CostBasis, CostKind, CostStage};
    use crate::entities::{assistance, cohort, cost_item};
    let (coordinator, meta_coordinator) = (user_ids[1], user_ids[7]);
    let day = today();
    let cohort_of = |id: i32| async move {
        cohort::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo: falta la cohorte {id}")))
    };
    let mapiripan = assistance::Entity::find()
        .filter(assistance::Column::ProviderId.eq(crate::providers::ESAP))
        .filter(assistance::Column::MunicipalityCode.eq("50325"))
        .filter(assistance::Column::Status.eq(AssistanceStatus::Closed))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la asistencia de Mapiripán".into()))?;
    let meta = cohort_of(meta_cohort).await?;
    let caqueta = cohort_of(caqueta_cohort).await?;
    // The territorial planning line (the Meta plan's only line a planning activity answers).
    let line_of = |target: Target| async move {
        Ok::<_, AppError>(
            answerable_lines(db, &target)
                .await?
                .into_iter()
                .find(|l| l.label.contains("Meta"))
                .map(|l| l.id),
        )
    };
    let meta_line = line_of(Target::Cohort(meta.clone())).await?;
    let mapiripan_line = line_of(Target::Assistance(mapiripan.clone())).await?;
    let meta_end = meta.end_date.min(day);
    let rows = [
        (
            Some(meta.id),
            None,
            meta_line,
            CostKind::Instructores,
            CostBasis::PorSesion,
            1_800_000,
            CostStage::Ejecutado,
            meta_end,
            "Honorarios de dos instructores por sesión",
            meta_coordinator,
        ),
        (
            Some(meta.id),
            None,
            meta_line,
            CostKind::Sede,
            CostBasis::Fijo,
            4_500_000,
            CostStage::Ejecutado,
            meta.start_date.min(day),
            "Auditorio y conexión en Villavicencio",
            meta_coordinator,
        ),
        (
            Some(meta.id),
            None,
            meta_line,
            CostKind::Materiales,
            CostBasis::PorParticipante,
            120_000,
            CostStage::Ejecutado,
            meta.start_date.min(day),
            "Guías impresas y cartilla del plan indicativo",
            meta_coordinator,
        ),
        (
            Some(meta.id),
            None,
            meta_line,
            CostKind::Plataforma,
            CostBasis::Fijo,
            2_000_000,
            CostStage::Comprometido,
            meta_end,
            "Sala virtual del segundo semestre",
            meta_coordinator,
        ),
        (
            None,
            Some(mapiripan.id),
            mapiripan_line,
            CostKind::Viajes,
            CostBasis::PorSesion,
            1_350_000,
            CostStage::Ejecutado,
            mapiripan.ends_on.min(day),
            "Transporte y viáticos por visita a Mapiripán",
            coordinator,
        ),
        (
            None,
            Some(mapiripan.id),
            mapiripan_line,
            CostKind::Instructores,
            CostBasis::Fijo,
            6_000_000,
            CostStage::Ejecutado,
            mapiripan.ends_on.min(day),
            "Asesor en planeación territorial",
            coordinator,
        ),
        (
            Some(caqueta.id),
            None,
            None,
            CostKind::Sede,
            CostBasis::Fijo,
            3_000_000,
            CostStage::Planeado,
            caqueta.start_date.min(day),
            "Salón de la Casa de la Cultura de El Paujíl",
            coordinator,
        ),
    ];
    let at = now();
    for (cohort_id, assistance_id, line, kind, basis, amount, stage, on, note, by) in rows {
        cost_item::Entity::insert(cost_item::ActiveModel {
            provider_id: Set(crate::providers::ESAP),
            cohort_id: Set(cohort_id),
            assistance_id: Set(assistance_id),
            plan_line_id: Set(line),
            kind: Set(kind),
            basis: Set(basis),
            amount: Set(amount),
            stage: Set(stage),
            incurred_on: Set(on),
            description: Set(Some(note.to_string())),
            reference: Set(None),
            created_by: Set(Some(by)),
            created_at: Set(at),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Certificates for the completed enrolments of a closed demo cohort, issued at `at` by
/// `issuer` (the snapshot a certificate keeps, as `certificates::issue` writes it; no email:
/// the demo's people have no mailbox).
async fn demo_certificates<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    issuer: i32,
    at: DateTime<Utc>,
) -> AppResult<()> {
    use crate::entities::{capacity, certificate, course_capacity, department, municipality};
    let cohort = cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let course = course::Entity::find_by_id(cohort.course_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut capacity_names = Vec::new();
    for link in course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course.id))
        .all(db)
        .await?
    {
        if let Some(c) = capacity::Entity::find_by_id(link.capacity_id)
            .one(db)
            .await?
        {
            capacity_names.push(c.name);
        }
    }
    let provider = crate::providers::get(db, cohort.provider_id).await?;
    for row in enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .all(db)
        .await?
    {
        let person = participant::Entity::find_by_id(row.participant_id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        let place = municipality::Entity::find_by_id(row.municipality_code.clone())
            .one(db)
            .await?;
        let department_name = match &place {
            Some(m) => department::Entity::find_by_id(m.department_code.clone())
                .one(db)
                .await?
                .map(|d| d.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        certificate::Entity::insert(certificate::ActiveModel {
            code: Set(crate::certificates::code::generate()),
            enrolment_id: Set(row.id),
            cohort_id: Set(cohort_id),
            participant_id: Set(person.id),
            status: Set(crate::entities::values::CertificateStatus::Valid),
            full_name: Set(person.full_name()),
            document_type: Set(person.document_type),
            document_number: Set(person.document_number.clone()),
            course_code: Set(course.code.clone()),
            course_name: Set(course.name.clone()),
            capacity_names: Set(capacity_names.join(", ")),
            hours: Set(course.hours),
            start_date: Set(cohort.start_date),
            end_date: Set(cohort.end_date),
            municipality_code: Set(row.municipality_code.clone()),
            municipality_name: Set(place.map(|m| m.name).unwrap_or_default()),
            department_name: Set(department_name),
            final_grade_milli: Set(row.final_grade_milli),
            sessions_attended: Set(row.sessions_attended.unwrap_or(0)),
            sessions_total: Set(row.sessions_total.unwrap_or(0)),
            issuer: Set(provider.name.clone()),
            issued_at: Set(at),
            issued_by: Set(Some(issuer)),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Issue 47's demo: ESAP's plan of the year for the Dirección Territorial Meta — approved by its
/// committee in January with three lines (budget execution in the Meta pilots, territorial
/// planning in the PDET municipalities, accountability in all of the direction's territory),
/// its first line amended in June with its reason — and DNP's smaller plan, still a draft.
async fn plans<C: ConnectionTrait>(db: &C, user_ids: &[i32]) -> AppResult<()> {
    use crate::entities::values::{BudgetSource, PlanStatus, TargetRule};
    use crate::entities::{
        capacity, course, plan, plan_line, plan_version, provider, territorial_direction,
    };
    use crate::plans::Goals;
    use crate::plans::lines::{Figures, insert_version};
    use chrono::Datelike;
    use sea_orm::ActiveModelTrait;
    let day = today();
    let year = day.year();
    // Dates of this year, never after today (a demo loaded in March has its amendment today).
    let on = |month: u32, dom: u32, hour: u32| {
        let date = NaiveDate::from_ymd_opt(year, month, dom)
            .unwrap_or(day)
            .min(day);
        from_local(date, hour, 0)
    };
    let capacity = |code: &'static str| async move {
        capacity::Entity::find()
            .filter(capacity::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
    };
    let course = |code: &'static str| async move {
        course::Entity::find()
            .filter(course::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| AppError::Internal(format!("demo: falta el curso {code}")))
    };
    let direction = territorial_direction::Entity::find()
        .filter(territorial_direction::Column::Name.eq("Dirección Territorial Meta"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la dirección del Meta".into()))?;
    let dnp = provider::Entity::find()
        .filter(provider::Column::Name.contains("(DNP)"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta el DNP".into()))?;
    let (meta_coordinator, dnp_coordinator) = (user_ids[7], user_ids[8]);
    let codes = |list: &[&str]| list.iter().map(|c| c.to_string()).collect::<Vec<_>>();

    // ESAP · Dirección Territorial Meta: approved in January, amended in June.
    let created = on(1, 15, 9);
    let approved = on(1, 30, 16);
    let amended = on(6, 16, 11);
    let meta = plan::Entity::insert(plan::ActiveModel {
        provider_id: Set(crate::providers::ESAP),
        year: Set(year),
        territorial_direction_id: Set(Some(direction.id)),
        department_code: Set(None),
        name: Set(format!(
            "Plan de formación y asistencia técnica {year} · Dirección Territorial Meta"
        )),
        status: Set(PlanStatus::Amended),
        version: Set(2),
        approval_act: Set(Some(format!(
            "Acta 01 de {year} del Comité Territorial de Formación, 30 de enero"
        ))),
        approved_by: Set(Some(meta_coordinator)),
        approved_at: Set(Some(approved)),
        created_by: Set(Some(meta_coordinator)),
        created_at: Set(created),
        updated_at: Set(amended),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    for (number, reason, at) in [
        (1, None, created),
        (
            2,
            Some(
                "Cooperación internacional aporta $ 20.000.000 para acompañar a las alcaldías de \
                 Mapiripán y Puerto Concordia en el cierre presupuestal (comité territorial del \
                 12 de junio): la línea de gestión presupuestal suma dos asistencias técnicas \
                 cerradas a sus metas."
                    .to_string(),
            ),
            amended,
        ),
    ] {
        plan_version::Entity::insert(plan_version::ActiveModel {
            plan_id: Set(meta),
            number: Set(number),
            reason: Set(reason),
            created_by: Set(Some(meta_coordinator)),
            created_at: Set(at),
        })
        .exec_without_returning(db)
        .await?;
    }
    let budget_line = Figures {
        capacity_id: capacity("ejecucion_recursos").await?,
        course_id: Some(course("GPR").await?),
        rule: None,
        municipalities: codes(&["50325", "50450", "50577"]),
        goals: Goals {
            cohorts: Some(2),
            people_trained: Some(50),
            people_certified: Some(40),
            assistances_closed: None,
            municipalities_reached: Some(3),
        },
        budget: vec![
            (BudgetSource::Inversion, 48_000_000),
            (BudgetSource::Funcionamiento, 12_000_000),
        ],
    };
    let planning_line = Figures {
        capacity_id: capacity("planeacion_territorial").await?,
        course_id: Some(course("PT").await?),
        rule: Some(TargetRule::Pdet),
        municipalities: Vec::new(),
        // Met ahead of the year's pace by the first semester's cohort in the Meta pilots and the
        // Mapiripán accompaniment (the demo's line ahead; the other two are behind).
        goals: Goals {
            cohorts: Some(1),
            people_trained: Some(10),
            people_certified: Some(6),
            assistances_closed: Some(1),
            municipalities_reached: Some(3),
        },
        budget: vec![
            (BudgetSource::Inversion, 95_000_000),
            (BudgetSource::Cooperacion, 30_000_000),
        ],
    };
    let accountability_line = Figures {
        capacity_id: capacity("gobierno_abierto_transparencia").await?,
        course_id: Some(course("RPC").await?),
        rule: None,
        municipalities: Vec::new(),
        goals: Goals {
            cohorts: Some(1),
            people_trained: Some(40),
            people_certified: Some(30),
            assistances_closed: None,
            municipalities_reached: Some(10),
        },
        budget: vec![(BudgetSource::Funcionamiento, 18_000_000)],
    };
    let mut amended_budget_line = budget_line.clone();
    amended_budget_line.goals.assistances_closed = Some(2);
    amended_budget_line
        .budget
        .insert(1, (BudgetSource::Cooperacion, 20_000_000));
    for (position, version_1, version_2) in [
        (1, &budget_line, Some(&amended_budget_line)),
        (2, &planning_line, None),
        (3, &accountability_line, None),
    ] {
        let line = plan_line::ActiveModel {
            plan_id: Set(meta),
            position: Set(position),
            added_in_version: Set(1),
            created_at: Set(created),
            ..Default::default()
        }
        .insert(db)
        .await?;
        insert_version(db, &line, 1, 1, version_1).await?;
        match version_2 {
            Some(changed) => insert_version(db, &line, 2, 2, changed).await?,
            None => insert_version(db, &line, 2, 1, version_1).await?,
        }
    }

    // DNP: a smaller national plan, still a draft.
    let created = on(11, 3, 10);
    let dnp_plan = plan::Entity::insert(plan::ActiveModel {
        provider_id: Set(dnp.id),
        year: Set(year),
        territorial_direction_id: Set(None),
        department_code: Set(None),
        name: Set(format!("Plan de asistencia técnica del DNP {year}")),
        status: Set(PlanStatus::Draft),
        version: Set(1),
        approval_act: Set(None),
        approved_by: Set(None),
        approved_at: Set(None),
        created_by: Set(Some(dnp_coordinator)),
        created_at: Set(created),
        updated_at: Set(created),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    plan_version::Entity::insert(plan_version::ActiveModel {
        plan_id: Set(dnp_plan),
        number: Set(1),
        reason: Set(None),
        created_by: Set(Some(dnp_coordinator)),
        created_at: Set(created),
    })
    .exec_without_returning(db)
    .await?;
    let line = plan_line::ActiveModel {
        plan_id: Set(dnp_plan),
        position: Set(1),
        added_in_version: Set(1),
        created_at: Set(created),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let kit = Figures {
        capacity_id: capacity("planeacion_territorial").await?,
        course_id: Some(course("DNP-KPT").await?),
        rule: None,
        municipalities: codes(&["18094", "18256", "18592", "18610"]),
        goals: Goals {
            cohorts: Some(2),
            people_trained: Some(60),
            people_certified: Some(45),
            assistances_closed: Some(1),
            municipalities_reached: Some(4),
        },
        budget: vec![(BudgetSource::Funcionamiento, 25_000_000)],
    };
    insert_version(db, &line, 1, 1, &kit).await
}

/// Issue 46's demo: the demo participant asked on «Mi perfil» for her surnames as her cédula
/// writes them; the change waits for the coordination of her cohorts («Cambios de nombre»).
async fn pending_name_change<C: ConnectionTrait>(db: &C, participant_id: i32) -> AppResult<()> {
    let person = participant::Entity::find_by_id(participant_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la participante".into()))?;
    crate::people::name_change::request_own(db, &person, &person.first_names, "Muñoz de la Peña")
        .await?;
    Ok(())
}

/// One pending invitation (issue 46) of `cohort_id` to the person `invited`, from `inviter`.
async fn demo_invitation<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    inviter: i32,
    invited: &(i32, String, String),
) -> AppResult<()> {
    use crate::entities::enrolment_invitation;
    use crate::entities::values::InvitationStatus;
    let cohort = cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la cohorte abierta".into()))?;
    let person = participant::Entity::find_by_id(invited.0)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la persona invitada".into()))?;
    enrolment_invitation::Entity::insert(enrolment_invitation::ActiveModel {
        cohort_id: Set(cohort.id),
        named: Set(format!(
            "{}:{}",
            person.document_type.as_str(),
            person.document_number
        )),
        participant_id: Set(Some(person.id)),
        invited_by: Set(Some(inviter)),
        override_reason: Set(None),
        token_hash: Set(None),
        status: Set(InvitationStatus::Pending),
        enrolment_id: Set(None),
        created_at: Set(now() - Duration::days(1)),
        expires_at: Set(crate::enrolment::invitations::expiry(&cohort, false)),
        decided_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Issue 33's demo: ESAP accompanies El Paujíl's alcaldía on planning (in progress: three
/// visits with their agreements and products, a milestone done and one overdue — and it
/// overlaps ESAP's Planeación Territorial and DNP's workshop there) and Puerto Rico's on its
/// own revenue (in progress); ESAP accompanied Mapiripán's alcaldía on planning and Función
/// Pública El Paujíl's concejo on its control role (both closed with the objective reached and
/// evaluated by the entity).
async fn assistances<C: ConnectionTrait>(
    db: &C,
    user_ids: &[i32],
    instructor_id: i32,
) -> AppResult<()> {
    use crate::entities::values::{AgreementStatus, AssistanceStatus, AssistedEntity, ProductKind};
    use crate::entities::{
        assistance, assistance_capacity, assistance_milestone, assistance_staff, assistance_visit,
        capacity, provider, visit_agreement, visit_attendee, visit_product,
    };
    use sea_orm::ActiveModelTrait;
    let at = now();
    let day = today();
    let capacity_id = |code: &'static str| async move {
        capacity::Entity::find()
            .filter(capacity::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
    };
    let function_public = provider::Entity::find()
        .filter(provider::Column::Name.contains("Función Pública"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta Función Pública".into()))?;
    let rows = [
        (
            crate::providers::ESAP,
            "18256",
            AssistedEntity::Alcaldia,
            "planeacion_territorial",
            "Que la Secretaría de Planeación haga seguimiento trimestral al plan de desarrollo con el tablero de indicadores y lo presente al consejo territorial de planeación.",
            day - Duration::days(100),
            day + Duration::days(80),
            AssistanceStatus::InProgress,
            user_ids[1],
        ),
        (
            crate::providers::ESAP,
            "50325",
            AssistedEntity::Alcaldia,
            "planeacion_territorial",
            "Que la alcaldía formule el plan indicativo y el plan de acción de la vigencia con metas medibles.",
            day - Duration::days(260),
            day - Duration::days(40),
            AssistanceStatus::Closed,
            user_ids[1],
        ),
        (
            crate::providers::ESAP,
            "18592",
            AssistedEntity::Alcaldia,
            "movilizacion_recursos",
            "Que la Secretaría de Hacienda actualice el estatuto de rentas y ponga en marcha un plan de fiscalización del impuesto predial.",
            day - Duration::days(60),
            day + Duration::days(120),
            AssistanceStatus::InProgress,
            user_ids[1],
        ),
        (
            function_public.id,
            "18256",
            AssistedEntity::Concejo,
            "gobierno_abierto_transparencia",
            "Que el concejo ejerza el control político del plan de desarrollo con informes de seguimiento trimestrales.",
            day - Duration::days(200),
            day - Duration::days(20),
            AssistanceStatus::Closed,
            user_ids[ACCOUNTS.len() - 2],
        ),
        // Issue 49: a gobernación, by its department (no municipality).
        (
            crate::providers::ESAP,
            "18",
            AssistedEntity::Gobernacion,
            "planeacion_territorial",
            "Que la Secretaría de Planeación de la Gobernación del Caquetá acompañe a sus municipios en el seguimiento de los planes de desarrollo con un tablero común.",
            day - Duration::days(30),
            day + Duration::days(150),
            AssistanceStatus::InProgress,
            user_ids[1],
        ),
    ];
    for (n, (provider_id, place, entity, capacity, objective, starts, ends, status, staff)) in
        rows.into_iter().enumerate()
    {
        // A DANE municipality code starts with its department's.
        let (municipality, department) = match entity.is_departmental() {
            true => (None, place),
            false => (Some(place.to_string()), &place[..2]),
        };
        let closed = status == AssistanceStatus::Closed;
        let council = entity == AssistedEntity::Concejo;
        let summary = if council {
            "El concejo aprobó su agenda de control político y recibió dos informes de seguimiento con la matriz entregada."
        } else {
            "La alcaldía adoptó el plan indicativo por decreto y publicó el plan de acción con sus metas; el equipo de planeación sabe actualizarlos."
        };
        let visits = if place == "18256" && !council { 3 } else { 1 };
        // Issue 62: where the entity accepted through the emailed link, its contact was
        // confirmed by the territory (the department's reviewer, or the municipality's
        // liaison); El Paujíl's alcaldía's is not, so its version 2 waits for its liaison, who
        // accepts it on the page or confirms the contact to have the link sent.
        let contact = format!("contacto.{place}@aulaterritorial.example");
        let confirmer = (place != "18256" || council)
            .then(|| {
                ACCOUNTS.iter().position(|account| match account.0 {
                    Role::Reviewer => account.4 == Some(department),
                    Role::Liaison => municipality.as_deref() == account.4,
                    _ => false,
                })
            })
            .flatten()
            .map(|i| user_ids[i]);
        let saved = assistance::ActiveModel {
            provider_id: Set(provider_id),
            municipality_code: Set(municipality),
            department_code: Set(department.into()),
            entity_type: Set(entity),
            objective: Set(objective.into()),
            starts_on: Set(starts),
            ends_on: Set(ends),
            modality: Set(Modality::Mixta),
            status: Set(status),
            cancellation_reason: Set(None),
            objective_reached: Set(closed.then_some(true)),
            closing_summary: Set(closed.then(|| summary.to_string())),
            contact_confirmed_by: Set(confirmer),
            contact_confirmed_at: Set(confirmer.map(|_| at - Duration::days(69))),
            contact_confirmed_email: Set(confirmer.map(|_| contact.clone())),
            contact_email: Set(Some(contact)),
            evaluation_token_hash: Set(None),
            evaluation_usefulness: Set(closed.then_some(4)),
            evaluation_comment: Set(closed.then(|| {
                if council {
                    "Útil: ahora el concejo pide los informes a tiempo. Faltó una sesión sobre presupuesto."
                } else {
                    "Muy útil: el equipo quedó con las herramientas. Pedimos acompañamiento para la rendición de cuentas."
                }
                .to_string()
            })),
            evaluated_at: Set(closed.then(|| at - Duration::days(10))),
            created_by: Set(Some(staff)),
            created_at: Set(at - Duration::days(70)),
            updated_at: Set(at),
            closed_at: Set(closed.then(|| at - Duration::days(15))),
            ..Default::default()
        }
        .insert(db)
        .await?;
        // Issue 49: the provider brought its assistances in from the spreadsheet it keeps (the
        // import of assistances finds them by this reference; the follow-up shows it).
        crate::entities::imported_record::ActiveModel {
            provider_id: Set(provider_id),
            kind: Set(crate::entities::values::DeliverySource::Assistance),
            reference: Set(format!(
                "AT-{}-{:03}",
                chrono::Datelike::year(&starts),
                n + 1
            )),
            assistance_id: Set(Some(saved.id)),
            cohort_id: Set(None),
            created_at: Set(at - Duration::days(70)),
            ..Default::default()
        }
        .insert(db)
        .await?;
        assistance_capacity::ActiveModel {
            assistance_id: Set(saved.id),
            capacity_id: Set(capacity_id(capacity).await?),
        }
        .insert(db)
        .await?;
        for user_id in [staff, instructor_id] {
            assistance_staff::ActiveModel {
                assistance_id: Set(saved.id),
                user_id: Set(user_id),
            }
            .insert(db)
            .await?;
        }
        for (title, due, done) in [
            (
                "Diagnóstico de la situación",
                starts + Duration::days(20),
                Some(starts + Duration::days(18)),
            ),
            (
                "Propuesta de ajuste entregada",
                day - Duration::days(7),
                closed.then_some(ends - Duration::days(5)),
            ),
            (
                "Socialización con el equipo",
                ends - Duration::days(10),
                closed.then_some(ends - Duration::days(3)),
            ),
        ] {
            assistance_milestone::ActiveModel {
                assistance_id: Set(saved.id),
                title: Set(title.into()),
                due_on: Set(due),
                done_on: Set(done),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        for (n, topics) in [
            "Diagnóstico con el equipo de la entidad y acuerdo del plan de trabajo",
            "Revisión de las metas y de la batería de indicadores",
            "Prueba del tablero de seguimiento con los datos del trimestre",
        ]
        .into_iter()
        .take(visits)
        .enumerate()
        {
            let offset = 14 + 31 * n as i64;
            let visit = assistance_visit::ActiveModel {
                assistance_id: Set(saved.id),
                date: Set(starts + Duration::days(offset)),
                modality: Set(if n == 1 {
                    Modality::Virtual
                } else {
                    Modality::Presencial
                }),
                hours_tenths: Set(if n == 1 { 20 } else { 40 }),
                topics: Set(topics.into()),
                created_by: Set(Some(staff)),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?;
            visit_attendee::ActiveModel {
                visit_id: Set(visit.id),
                participant_id: Set(None),
                full_name: Set("Gloria Inés Vargas".into()),
                position: Set(Some(
                    if council {
                        "Presidenta del concejo"
                    } else if capacity == "planeacion_territorial" {
                        "Secretaria de Planeación"
                    } else {
                        "Secretaria de Hacienda"
                    }
                    .into(),
                )),
                document_number: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await?;
            let done = starts + Duration::days(offset + 14);
            let (status, done_on, note, reason) = if !closed && place == "18256" && n == 1 {
                (
                    AgreementStatus::Dropped,
                    None,
                    None,
                    Some(
                        "La alcaldía adoptó la batería de indicadores del DNP: sus fichas ya traen la línea de base.",
                    ),
                )
            } else if closed || done < day - Duration::days(20) {
                (
                    AgreementStatus::Done,
                    Some(done),
                    Some("Entregado al equipo de la asistencia en la fecha."),
                    None,
                )
            } else {
                (AgreementStatus::Pending, None, None, None)
            };
            visit_agreement::ActiveModel {
                visit_id: Set(visit.id),
                text: Set(match n {
                    0 => "Reunir la información de los últimos tres años",
                    1 => "Ajustar las fichas de los indicadores sin línea de base",
                    _ => "Cargar los datos del trimestre en el tablero",
                }
                .into()),
                owner: Set(if council {
                    "Secretaría del concejo"
                } else if capacity == "planeacion_territorial" {
                    "Secretaría de Planeación"
                } else {
                    "Secretaría de Hacienda"
                }
                .into()),
                due_on: Set(starts + Duration::days(offset + 16)),
                // Issue 49: done two weeks after the visit, except the latest ones still
                // pending (El Paujíl's third, overdue) and El Paujíl's second, dropped.
                status: Set(status),
                done_on: Set(done_on),
                note: Set(note.map(str::to_string)),
                reason: Set(reason.map(str::to_string)),
                status_changed_by: Set((status != AgreementStatus::Pending).then_some(staff)),
                status_changed_at: Set((status != AgreementStatus::Pending).then_some(at)),
                ..Default::default()
            }
            .insert(db)
            .await?;
            // Puerto Rico's alcaldía also agreed a step still ahead: pending, not yet due.
            if place == "18592" && n == 0 {
                visit_agreement::ActiveModel {
                    visit_id: Set(visit.id),
                    text: Set("Presentar al concejo el proyecto de estatuto de rentas".into()),
                    owner: Set("Secretaría de Hacienda".into()),
                    due_on: Set(day + Duration::days(20)),
                    status: Set(AgreementStatus::Pending),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
            visit_product::ActiveModel {
                visit_id: Set(visit.id),
                title: Set(match (council, capacity, n) {
                    (true, _, _) => "Matriz de seguimiento del plan de desarrollo",
                    (false, "planeacion_territorial", 0) => {
                        "Guía para la formulación del plan indicativo"
                    }
                    (false, "planeacion_territorial", 1) => "Plantilla de fichas de indicadores",
                    (false, "planeacion_territorial", _) => {
                        "Tablero de seguimiento del plan de desarrollo"
                    }
                    _ => "Plantilla de estatuto de rentas",
                }
                .into()),
                kind: Set(match (council, n) {
                    (true, _) | (false, 2) => ProductKind::Herramienta,
                    (false, 0) if capacity == "planeacion_territorial" => ProductKind::Documento,
                    _ => ProductKind::Plantilla,
                }),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        agreed_plan(db, &saved, staff, user_ids, capacity, council).await?;
        crate::figures::assistance::refresh(db, place).await?;
    }
    Ok(())
}

/// Issue 49's demo: every assistance starts from a diagnosis and a work plan the entity
/// accepted — El Paujíl's alcaldía by its liaison, the others by their contact through the
/// emailed link. El Paujíl's alcaldía's plan was then changed (a workshop added): its version 2
/// waits for the entity's acceptance, which its liaison gives on the assistance's page.
async fn agreed_plan<C: ConnectionTrait>(
    db: &C,
    saved: &crate::entities::assistance::Model,
    staff: i32,
    user_ids: &[i32],
    capacity: &str,
    council: bool,
) -> AppResult<()> {
    use crate::entities::values::AcceptanceVia;
    use crate::entities::{assistance_diagnosis, assistance_work_plan, work_plan_activity};
    use sea_orm::ActiveModelTrait;
    let liaison = ACCOUNTS
        .iter()
        .position(|account| account.0 == Role::Liaison)
        .map(|i| user_ids[i]);
    let written = saved.created_at;
    let starts = saved.starts_on;
    let (findings, evidence, activities, products): (&str, &str, Vec<&str>, Vec<&str>) = match (
        council, capacity,
    ) {
        (true, _) => (
            "El concejo no recibe informes de avance del plan de desarrollo: aprueba el presupuesto sin saber qué metas van rezagadas, y sus debates de control político no tienen cifras.",
            "Actas de las sesiones del último año y el reglamento interno del concejo.",
            vec![
                "Taller sobre el control político del plan de desarrollo",
                "Agenda de control político del año con el concejo",
                "Primer informe trimestral de seguimiento debatido en sesión",
            ],
            vec![
                "Agenda de control político aprobada",
                "Matriz de seguimiento del plan de desarrollo",
            ],
        ),
        (false, "planeacion_territorial") => (
            "El plan de desarrollo no tiene plan indicativo ni seguimiento: las metas no tienen línea de base y la Secretaría de Planeación no reporta su avance.",
            "Plan de desarrollo adoptado, reporte del último FUT y entrevista con la Secretaría de Planeación.",
            vec![
                "Revisión de las metas y de la batería de indicadores",
                "Formulación del plan indicativo con el equipo de planeación",
                "Prueba del tablero de seguimiento con los datos del trimestre",
            ],
            vec![
                "Plan indicativo adoptado",
                "Tablero de seguimiento del plan de desarrollo",
            ],
        ),
        _ => (
            "El estatuto de rentas es de 2009: no incluye las tarifas del predial actualizadas ni el procedimiento de fiscalización, y la cartera del predial supera el recaudo de dos años.",
            "Estatuto de rentas vigente y estado de la cartera del impuesto predial.",
            vec![
                "Revisión del estatuto de rentas con la Secretaría de Hacienda",
                "Proyecto de estatuto de rentas actualizado",
                "Plan de fiscalización del impuesto predial",
            ],
            vec![
                "Proyecto de estatuto de rentas",
                "Plan de fiscalización del predial",
            ],
        ),
    };
    assistance_diagnosis::ActiveModel {
        assistance_id: Set(saved.id),
        findings: Set(findings.into()),
        evidence: Set(Some(evidence.into())),
        recorded_by: Set(Some(staff)),
        recorded_at: Set(written),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let by_liaison = saved.municipality_code.as_deref() == Some("18256") && !council;
    let span = (saved.ends_on - starts).num_days().max(3);
    let mut versions = vec![(1, activities.clone(), true)];
    if by_liaison && !saved.status.is_final() {
        let mut changed = activities.clone();
        changed.push("Taller de rendición de cuentas con el consejo territorial de planeación");
        versions.push((2, changed, false));
    }
    for (version, activities, accepted) in versions {
        let plan = assistance_work_plan::ActiveModel {
            assistance_id: Set(saved.id),
            version: Set(version),
            products_expected: Set(serde_json::to_string(&products)
                .map_err(|e| AppError::Internal(format!("demo: {e}")))?),
            written_by: Set(Some(staff)),
            written_at: Set(written + Duration::days(7 * version as i64)),
            accepted_by: Set(accepted.then(|| {
                if council {
                    "Gloria Inés Vargas"
                } else {
                    "Jhon Fredy Calderón"
                }
                .to_string()
            })),
            accepted_position: Set(accepted.then(|| {
                if council {
                    "Presidenta del concejo"
                } else {
                    "Alcalde"
                }
                .to_string()
            })),
            accepted_via: Set(accepted.then_some(if by_liaison {
                AcceptanceVia::Liaison
            } else {
                AcceptanceVia::Link
            })),
            accepted_user_id: Set(if accepted && by_liaison {
                liaison
            } else {
                None
            }),
            accepted_at: Set(accepted.then(|| written + Duration::days(10))),
            acceptance_token_hash: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let count = activities.len() as i64;
        for (position, text) in activities.into_iter().enumerate() {
            work_plan_activity::ActiveModel {
                work_plan_id: Set(plan.id),
                position: Set(position as i32),
                text: Set(text.into()),
                due_on: Set(starts + Duration::days(span * (position as i64 + 1) / (count + 1))),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Issue 32's demo: DNP, Función Pública and the Gobernación del Caquetá as providers with a
/// coordinator each; a DNP workshop on planning in El Paujíl while ESAP's Planeación
/// Territorial runs there (the overlap report pairs them); Función Pública's own course; the
/// open demand on the plan indicativo pointed to Función Pública.
async fn providers<C: ConnectionTrait>(
    db: &C,
    user_ids: &[i32],
    instructor_id: i32,
    participants: &[(i32, String, String)],
) -> AppResult<()> {
    use crate::entities::{capacity, course_capacity, demand, demand_referral, provider};
    use sea_orm::ActiveModelTrait;
    let at = now();
    let day = today();
    let mut ids = Vec::new();
    for (position, (name, kind, nit, department)) in PROVIDERS.iter().enumerate() {
        let saved = provider::ActiveModel {
            name: Set(name.to_string()),
            kind: Set(*kind),
            nit: Set(nit.map(str::to_string)),
            department_code: Set(department.map(str::to_string)),
            active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let coordinator = user_ids[ACCOUNTS.len() - PROVIDERS.len() + position];
        let mut account: user::ActiveModel = user::Entity::find_by_id(coordinator)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal("demo: falta un coordinador de oferente".into()))?
            .into();
        account.provider_id = Set(Some(saved.id));
        account.update(db).await?;
        ids.push((saved.id, coordinator));
    }
    let (dnp, dnp_coordinator) = ids[0];
    let (function_public, _) = ids[1];
    let capacity_id = |code: &'static str| async move {
        capacity::Entity::find()
            .filter(capacity::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
    };
    for (provider_id, code, name, description, hours, capacity) in [
        (
            dnp,
            "DNP-KPT",
            "Taller del Kit de Planeación Territorial (KPT)",
            "Uso del Kit de Planeación Territorial del DNP para el seguimiento del plan de desarrollo.",
            16,
            "planeacion_territorial",
        ),
        (
            function_public,
            "DAFP-MIPG",
            "Modelo Integrado de Planeación y Gestión (MIPG) en el municipio",
            "Implementación de las políticas de gestión y desempeño del MIPG y el FURAG en las alcaldías.",
            24,
            "planeacion_territorial",
        ),
    ] {
        let saved = course::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            description: Set(description.into()),
            hours: Set(hours),
            default_modality: Set(Modality::Presencial),
            management_stage: Set(Some("Planeación".into())),
            min_attendance_pct: Set(crate::catalogue::DEFAULT_MIN_ATTENDANCE_PCT),
            pass_mark_tenths: Set(crate::catalogue::DEFAULT_PASS_MARK_TENTHS),
            retired_at: Set(None),
            provider_id: Set(provider_id),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        course_capacity::ActiveModel {
            course_id: Set(saved.id),
            capacity_id: Set(capacity_id(capacity).await?),
        }
        .insert(db)
        .await?;
    }
    // The DNP workshop in El Paujíl, during ESAP's Planeación Territorial there.
    let workshop = DemoCohort {
        course_code: "DNP-KPT",
        name: "Taller KPT · El Paujíl 2026",
        modality: Modality::Presencial,
        status: CohortStatus::InProgress,
        start: day - Duration::days(7),
        sessions: 3,
        seats: 20,
        venue: "Alcaldía de El Paujíl, salón del concejo",
        municipalities: &["18256"],
        departments: &[],
        assessments: &[],
    };
    let workshop_id = workshop.create(db, dnp_coordinator, instructor_id).await?;
    // El Paujíl's people take it too (they are also in ESAP's Planeación Territorial).
    for person in participants.iter().filter(|p| p.1 == "18256") {
        enrol(db, workshop_id, person, EnrolmentStatus::Enrolled).await?;
    }
    // The open demand on the plan indicativo, pointed to Función Pública by the gobernación.
    if let Some(open) = demand::Entity::find()
        .filter(demand::Column::MunicipalityCode.eq("18256"))
        .filter(demand::Column::Status.eq(crate::entities::values::DemandStatus::Open))
        .one(db)
        .await?
    {
        demand_referral::ActiveModel {
            demand_id: Set(open.id),
            provider_id: Set(function_public),
            note: Set("Función Pública acompaña el MIPG en las alcaldías del Caquetá: puede atender el seguimiento al plan indicativo.".into()),
            referred_by: Set(Some(user_ids[4])),
            created_at: Set(at - Duration::days(2)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A survey of `kind` for everyone in `cohort_id`, opened `opens_at`; the first `answered`
/// (never `pending`, the demo participant) answered it, with seeded answers.
async fn demo_surveys<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    kind: SurveyKind,
    opens_at: chrono::DateTime<chrono::Utc>,
    answered: usize,
    pending: Option<i32>,
) -> AppResult<()> {
    use crate::entities::{entity_departure, survey, survey_response};
    use sea_orm::QueryOrder;
    let rows = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .order_by_asc(enrolment::Column::Id)
        .all(db)
        .await?;
    let departments = crate::territory::departments_of(
        db,
        rows.iter().map(|e| e.municipality_code.clone()).collect(),
    )
    .await?;
    let mut count = 0;
    for e in rows {
        let department = departments
            .get(&e.municipality_code)
            .cloned()
            .unwrap_or_default();
        let answers = count < answered && pending != Some(e.participant_id);
        count += usize::from(answers);
        let kind_offset = if kind == SurveyKind::FollowUp { 7 } else { 0 };
        let seeded = crate::surveys::seeded(
            kind,
            e.id,
            cohort_id,
            &department,
            opens_at,
            answers,
            e.id as u64 * 31 + kind_offset,
        );
        survey::Entity::insert(seeded.survey)
            .exec_without_returning(db)
            .await?;
        if let Some(response) = seeded.response {
            survey_response::Entity::insert(response)
                .exec_without_returning(db)
                .await?;
        }
        if seeded.left_entity {
            entity_departure::Entity::insert(entity_departure::ActiveModel {
                participant_id: Set(e.participant_id),
                municipality_code: Set(e.municipality_code.clone()),
                reported_at: Set(opens_at + Duration::days(2)),
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    crate::surveys::tallies::refresh(db, cohort_id).await
}

/// Issue 16's demo: a territorial direction with its coordinator, and the pilots' demands —
/// open ones (one endorsed by the gobernación), one planned in the open Rendición de Cuentas
/// cohort, one met by the closed Gestión Tributaria cohort, one declined.
async fn territory_and_demand<C: ConnectionTrait>(
    db: &C,
    user_ids: &[i32],
    accountability_id: i32,
    taxes_id: i32,
) -> AppResult<()> {
    use crate::entities::values::{DemandPriority, DemandStatus};
    use crate::entities::{
        capacity, demand, territorial_direction, territorial_direction_department,
    };
    use sea_orm::{ActiveModelTrait, QueryOrder};
    let at = now();
    let day = today();
    let direction = territorial_direction::ActiveModel {
        name: Set("Dirección Territorial Meta".into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Meta and the Amazonian and Orinoquian departments east of it.
    for code in ["50", "94", "95", "97", "99"] {
        territorial_direction_department::ActiveModel {
            direction_id: Set(direction.id),
            department_code: Set(code.into()),
        }
        .insert(db)
        .await?;
    }
    let direction_coordinator = user_ids[7];
    let mut model: user::ActiveModel = user::Entity::find_by_id(direction_coordinator)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta el coordinador de la dirección".into()))?
        .into();
    model.territorial_direction_id = Set(Some(direction.id));
    model.update(db).await?;

    let capacity = |code: &'static str| async move {
        capacity::Entity::find()
            .filter(capacity::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
    };
    let (coordinator, reviewer_caqueta, reviewer_meta, liaison) =
        (user_ids[1], user_ids[4], user_ids[5], user_ids[6]);
    // Puerto Rico's people completed the closed Gestión Tributaria cohort (the demo's
    // history makes most of the Caquetá pilots' people complete it).
    let met_place = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(taxes_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .order_by_asc(enrolment::Column::MunicipalityCode)
        .one(db)
        .await?
        .map(|e| e.municipality_code)
        .unwrap_or_else(|| "18592".into());
    let rows = [
        (
            "18256",
            capacity("gobierno_abierto_transparencia").await?,
            "Audiencia pública de rendición de cuentas del plan de desarrollo",
            "El equipo de la alcaldía prepara su primera audiencia pública con las juntas de acción comunal y necesita método para el informe de gestión y el diálogo con la ciudadanía.",
            15,
            Modality::Presencial,
            DemandPriority::Alta,
            DemandStatus::Planned,
            liaison,
            Some(reviewer_caqueta),
            Some(accountability_id),
            None,
            20,
        ),
        (
            "18256",
            capacity("planeacion_territorial").await?,
            "Seguimiento al plan de desarrollo con el plan indicativo",
            "Las secretarías no reportan el avance de las metas a tiempo; se necesita formar a los enlaces de planeación en el plan indicativo y los planes de acción.",
            10,
            Modality::Mixta,
            DemandPriority::Media,
            DemandStatus::Open,
            liaison,
            None,
            None,
            None,
            6,
        ),
        (
            met_place.as_str(),
            capacity("movilizacion_recursos").await?,
            "Actualización del estatuto de rentas y fiscalización del predial",
            "La gobernación pide fortalecer el recaudo propio: el estatuto de rentas no se actualiza desde 2012 y la cartera del predial crece cada año.",
            12,
            Modality::Mixta,
            DemandPriority::Alta,
            DemandStatus::Met,
            reviewer_caqueta,
            Some(reviewer_caqueta),
            Some(taxes_id),
            None,
            800,
        ),
        (
            "50325",
            capacity("ejecucion_recursos").await?,
            "Formulación de proyectos de inversión en la MGA",
            "Los proyectos del municipio se devuelven por errores de formulación; se pide formar al banco de proyectos en la Metodología General Ajustada.",
            8,
            Modality::Virtual,
            DemandPriority::Media,
            DemandStatus::Open,
            reviewer_meta,
            Some(reviewer_meta),
            None,
            None,
            // Open 75 days with nothing planned: stale (issue 32), on the Meta reviewer's home.
            75,
        ),
        // Issue 49: sectoral help, what municipalities ask for most (DNP's 2021 surveys).
        (
            "50350",
            capacity("ejecucion_recursos").await?,
            DEMO_WATER_TOPIC,
            "El acueducto veredal no cumple con la calidad del agua y el plan de saneamiento no tiene proyectos formulados; se pide formar a la secretaría de obras y a la empresa de servicios públicos para formular los proyectos del plan departamental de agua.",
            8,
            Modality::Presencial,
            DemandPriority::Alta,
            DemandStatus::Open,
            reviewer_meta,
            Some(reviewer_meta),
            None,
            None,
            12,
        ),
        (
            "50325",
            capacity("planeacion_territorial").await?,
            DEMO_FARMING_TOPIC,
            "La UMATA necesita planear la asistencia técnica agropecuaria con las asociaciones de mujeres campesinas y articularla con el plan de desarrollo.",
            10,
            Modality::Mixta,
            DemandPriority::Media,
            DemandStatus::Open,
            reviewer_meta,
            Some(reviewer_meta),
            None,
            None,
            9,
        ),
        (
            "18094",
            capacity("ordenamiento_territorial").await?,
            "Revisión del esquema de ordenamiento territorial",
            "El esquema de ordenamiento está vencido y el concejo pide apoyo para su revisión.",
            6,
            Modality::Presencial,
            DemandPriority::Baja,
            DemandStatus::Declined,
            coordinator,
            None,
            None,
            Some(
                "La revisión del EOT es asistencia técnica del Ministerio de Vivienda, no un curso de ESAP; se remitió la solicitud.",
            ),
            120,
        ), // Issue 49: the Gobernación del Caquetá's own demand (a department's DANE code: no
        // municipality), raised by its reviewer.
        (
            "18",
            capacity("planeacion_territorial").await?,
            "Asistencia a los municipios en el seguimiento de sus planes de desarrollo",
            "La Secretaría de Planeación departamental pide formar a su equipo para acompañar a los municipios en el reporte de avance de sus planes de desarrollo.",
            15,
            Modality::Presencial,
            DemandPriority::Alta,
            DemandStatus::Open,
            reviewer_caqueta,
            Some(reviewer_caqueta),
            None,
            None,
            12,
        ),
    ];
    for (
        place,
        capacity_id,
        topic,
        description,
        people,
        modality,
        priority,
        status,
        author,
        endorsed_by,
        cohort_id,
        decline_reason,
        age_days,
    ) in rows
    {
        let created = at - Duration::days(age_days);
        // A municipality's code (its alcaldía) or a department's (its gobernación).
        let governorate = place.len() == 2;
        demand::ActiveModel {
            municipality_code: Set((!governorate).then(|| place.to_string())),
            department_code: Set(place[..2].to_string()),
            entity_type: Set(if governorate {
                crate::entities::values::AssistedEntity::Gobernacion
            } else {
                crate::entities::values::AssistedEntity::Alcaldia
            }),
            capacity_id: Set(capacity_id),
            topic: Set(topic.into()),
            description: Set(description.into()),
            people_estimate: Set(people),
            modality: Set(modality),
            wanted_from: Set(day + Duration::days(30)),
            wanted_to: Set(day + Duration::days(150)),
            priority: Set(priority),
            status: Set(status),
            decline_reason: Set(decline_reason.map(str::to_string)),
            cohort_id: Set(cohort_id),
            created_by: Set(author),
            endorsed_by: Set(endorsed_by),
            endorsed_at: Set(endorsed_by.map(|_| created + Duration::days(2))),
            created_at: Set(created),
            updated_at: Set(created),
            planned_at: Set(cohort_id.map(|_| created + Duration::days(3))),
            met_at: Set((status == DemandStatus::Met).then_some(created + Duration::days(60))),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

struct DemoCohort {
    course_code: &'static str,
    name: &'static str,
    modality: Modality,
    status: CohortStatus,
    start: NaiveDate,
    sessions: i64,
    seats: i32,
    venue: &'static str,
    municipalities: &'static [&'static str],
    departments: &'static [&'static str],
    assessments: &'static [(&'static str, i32)],
}

impl DemoCohort {
    /// Weekly sessions, 14:00–17:00 Bogotá, from the start date.
    async fn create<C: ConnectionTrait>(
        &self,
        db: &C,
        coordinator: i32,
        instructor: i32,
    ) -> AppResult<i32> {
        let course = course::Entity::find()
            .filter(course::Column::Code.eq(self.course_code))
            .one(db)
            .await?
            .ok_or_else(|| {
                AppError::Internal(format!("demo: falta el curso {}", self.course_code))
            })?;
        let end = self.start + Duration::days(7 * (self.sessions - 1));
        let at = now();
        let cohort_id = cohort::Entity::insert(cohort::ActiveModel {
            course_id: Set(course.id),
            provider_id: Set(course.provider_id),
            name: Set(self.name.to_string()),
            modality: Set(self.modality),
            status: Set(self.status),
            start_date: Set(self.start),
            end_date: Set(end),
            enrolment_opens: Set(self.start - Duration::days(35)),
            enrolment_closes: Set(self.start - Duration::days(2)),
            seats: Set(self.seats),
            venue: Set(Some(self.venue.to_string())),
            meeting_url: Set(None),
            min_attendance_pct: Set(course.min_attendance_pct),
            pass_mark_tenths: Set(course.pass_mark_tenths),
            cancellation_reason: Set(None),
            created_by: Set(Some(coordinator)),
            created_at: Set(at),
            updated_at: Set(at),
            closed_at: Set((self.status == CohortStatus::Closed).then_some(at)),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        for code in self.municipalities {
            cohort_municipality::Entity::insert(cohort_municipality::ActiveModel {
                cohort_id: Set(cohort_id),
                municipality_code: Set(code.to_string()),
            })
            .exec_without_returning(db)
            .await?;
        }
        for code in self.departments {
            cohort_department::Entity::insert(cohort_department::ActiveModel {
                cohort_id: Set(cohort_id),
                department_code: Set(code.to_string()),
            })
            .exec_without_returning(db)
            .await?;
        }
        cohort_instructor::Entity::insert(cohort_instructor::ActiveModel {
            cohort_id: Set(cohort_id),
            user_id: Set(instructor),
        })
        .exec_without_returning(db)
        .await?;
        for n in 0..self.sessions {
            let date = self.start + Duration::days(7 * n);
            cohort_session::Entity::insert(cohort_session::ActiveModel {
                cohort_id: Set(cohort_id),
                starts_at: Set(from_local(date, 14, 0)),
                ends_at: Set(from_local(date, 17, 0)),
                topic: Set(format!("Sesión {}: {}", n + 1, self.course_code_topic(n))),
                location: Set(Some(self.venue.to_string())),
                check_in_secret: Set(crate::accounts::secrets::random_hex()),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        for (position, (name, weight)) in self.assessments.iter().enumerate() {
            assessment::Entity::insert(assessment::ActiveModel {
                cohort_id: Set(cohort_id),
                name: Set(name.to_string()),
                weight: Set(*weight),
                position: Set(position as i32 + 1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        Ok(cohort_id)
    }

    fn course_code_topic(&self, n: i64) -> &'static str {
        const TOPICS: &[&str] = &[
            "marco normativo y conceptos",
            "diagnóstico territorial",
            "instrumentos y herramientas",
            "taller práctico",
            "seguimiento y evaluación",
            "socialización de resultados",
        ];
        TOPICS[n as usize % TOPICS.len()]
    }
}

/// Issue 35: the open cohort shared by Caquetá and Meta keeps seats for three pilots until a
/// week before enrolment closes, and El Paujíl's liaison has nominated two people: a registered
/// official of the alcaldía who confirmed, and someone not yet registered who has not.
async fn seat_quotas<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    liaison_id: i32,
    participants: &[(i32, String, String)],
    enrolled: &[usize],
) -> AppResult<()> {
    use crate::entities::values::NominationStatus;
    use crate::entities::{cohort_seat_quota, nomination};
    use sea_orm::ActiveModelTrait;
    for (code, seats) in [("18256", 5), ("50325", 5), ("18592", 3)] {
        cohort_seat_quota::Entity::insert(cohort_seat_quota::ActiveModel {
            cohort_id: Set(cohort_id),
            municipality_code: Set(code.to_string()),
            seats: Set(seats),
        })
        .exec_without_returning(db)
        .await?;
    }
    let cohort = cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la cohorte abierta".into()))?;
    let mut model: cohort::ActiveModel = cohort.clone().into();
    model.quota_release_on = Set(Some(cohort.enrolment_closes - Duration::days(7)));
    model.update(db).await?;
    let official = participants
        .iter()
        .enumerate()
        .find(|(i, p)| p.1 == "18256" && p.2 == "alcaldia" && !enrolled.contains(i))
        .map(|(_, p)| p.0)
        .ok_or_else(|| AppError::Internal("demo: falta un funcionario de El Paujíl".into()))?;
    let person = participant::Entity::find_by_id(official)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta el participante".into()))?;
    let at = now();
    let rows = [
        (
            Some(person.id),
            person.document_number.clone(),
            person.first_names.clone(),
            person.last_names.clone(),
            person.email.clone().unwrap_or_default(),
            NominationStatus::Confirmed,
        ),
        (
            None,
            "1117598765".to_string(),
            "Deisy Johana".to_string(),
            "Losada Cabrera".to_string(),
            "deisy.losada@elpaujil-caqueta.example".to_string(),
            NominationStatus::Pending,
        ),
    ];
    for (participant_id, document, first, last, email, status) in rows {
        nomination::Entity::insert(nomination::ActiveModel {
            cohort_id: Set(cohort_id),
            municipality_code: Set("18256".into()),
            participant_id: Set(participant_id),
            document_type: Set("CC".into()),
            document_number: Set(document),
            first_names: Set(first),
            last_names: Set(last),
            email: Set(email),
            status: Set(status),
            // The demo's emailed links are not known to anyone: a random token's hash.
            confirm_token_hash: Set((status == NominationStatus::Pending).then(|| {
                crate::accounts::secrets::token_hash(&crate::accounts::secrets::random_token())
            })),
            confirmed_at: Set((status == NominationStatus::Confirmed).then_some(at)),
            decision_reason: Set(None),
            decided_by: Set(None),
            decided_at: Set(None),
            enrolment_id: Set(None),
            nominated_by: Set(Some(liaison_id)),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

async fn enrol<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    (participant_id, municipality, entity): &(i32, String, String),
    status: EnrolmentStatus,
) -> AppResult<i32> {
    let at = now();
    Ok(enrolment::Entity::insert(enrolment::ActiveModel {
        cohort_id: Set(cohort_id),
        participant_id: Set(*participant_id),
        status: Set(status),
        waitlist_seq: Set(None),
        municipality_code: Set(municipality.clone()),
        entity_type: Set(entity.clone()),
        eligibility_override: Set(false),
        override_reason: Set(None),
        created_by: Set(None),
        cancelled_at: Set(None),
        cancellation_reason: Set(None),
        sessions_total: Set(None),
        sessions_attended: Set(None),
        final_grade_milli: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id)
}

/// Enrols people and records marks for the sessions that already started and scores for
/// each assessment; for a closed cohort also freezes results (completed or not completed).
async fn enrol_with_history<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    people: &[(i32, String, String)],
    chosen: &[usize],
    instructor: i32,
    closed: bool,
) -> AppResult<()> {
    let sessions = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?;
    let assessments = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?;
    let cohort = cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let at = now();
    for &i in chosen {
        let enrolment_id = enrol(db, cohort_id, &people[i], EnrolmentStatus::Enrolled).await?;
        let mut attended = 0;
        for (j, session) in sessions.iter().enumerate() {
            if session.starts_at > at {
                continue;
            }
            // A fixed, varied pattern: mostly present, some late, excused or absent.
            let mark = match (i * 3 + j * 5) % 11 {
                0 | 7 => Mark::Ausente,
                4 => Mark::Tarde,
                9 => Mark::Excusado,
                _ => Mark::Presente,
            };
            attended += i32::from(mark.counts_as_attended());
            attendance_mark::Entity::insert(attendance_mark::ActiveModel {
                session_id: Set(session.id),
                enrolment_id: Set(enrolment_id),
                status: Set(mark),
                note: Set((mark == Mark::Excusado).then(|| "Incapacidad médica".to_string())),
                source: Set(MarkSource::Manual),
                recorded_by: Set(Some(instructor)),
                recorded_at: Set(session.ends_at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        let scored = if closed {
            assessments.len()
        } else {
            1.min(assessments.len())
        };
        let mut given = std::collections::HashMap::new();
        for (k, item) in assessments.iter().take(scored).enumerate() {
            let tenths = 24 + ((i * 7 + k * 13) % 27) as i32; // 2.4 … 5.0
            given.insert(item.id, tenths);
            score::Entity::insert(score::ActiveModel {
                assessment_id: Set(item.id),
                enrolment_id: Set(enrolment_id),
                score_tenths: Set(tenths),
                recorded_by: Set(Some(instructor)),
                recorded_at: Set(at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        if closed {
            let total = sessions.len() as i32;
            // The one completion rule closing applies (results::evaluate).
            let items: Vec<crate::results::Item> = assessments
                .iter()
                .map(|a| crate::results::Item {
                    id: a.id,
                    name: a.name.clone(),
                    weight: a.weight,
                })
                .collect();
            let (grade, reasons) = crate::results::evaluate(
                crate::results::Rule::of(&cohort),
                total,
                attended,
                &items,
                &given,
            );
            let completed = reasons.is_empty();
            enrolment::Entity::update(enrolment::ActiveModel {
                id: Set(enrolment_id),
                status: Set(if completed {
                    EnrolmentStatus::Completed
                } else {
                    EnrolmentStatus::NotCompleted
                }),
                sessions_total: Set(Some(total)),
                sessions_attended: Set(Some(attended)),
                final_grade_milli: Set(grade),
                ..Default::default()
            })
            .exec(db)
            .await?;
        }
    }
    Ok(())
}
