//! A certificate as an Open Badges 3.0 `OpenBadgeCredential` (on the W3C Verifiable
//! Credentials Data Model 2.0), built from the certificate's snapshot and its cohort's
//! completion rule, which is fixed once the cohort is closed. The same certificate always
//! gives the same credential (its dates are the issue's, and Ed25519 is deterministic).

use super::contexts::{CREDENTIALS_V2, OPEN_BADGES_V3};
use super::keys::Issuer;
use super::status;
use crate::entities::{certificate, programme_certificate};
use crate::format;
use crate::programmes::certificates::ModuleLine;
use crate::results::Rule;
use serde::Serialize;
use serde_json::{Map, Value};

/// Where a certificate's credential is published (also its `id`).
pub fn credential_url(issuer: &Issuer, code: &str) -> String {
    format!("{}/api/v1/certificates/{code}/credential", issuer.base_url)
}

/// The certificate code a credential URL of this issuer names (the inverse of
/// [`credential_url`]).
pub fn code_of_credential_url(issuer: &Issuer, url: &str) -> Option<String> {
    let prefix = format!("{}/api/v1/certificates/", issuer.base_url);
    url.strip_prefix(&prefix)?
        .strip_suffix("/credential")
        .map(str::to_string)
}

/// «Asistir al menos al 80 % de las sesiones y obtener una nota final de al menos 3,0 sobre
/// 5,0.»: the cohort's completion rule, as the credential's criteria.
pub fn criteria(rule: Rule) -> String {
    format!(
        "Asistir al menos al {} % de las sesiones de la cohorte y obtener una nota final de al \
         menos {} sobre 5,0.",
        rule.min_attendance_pct,
        format::grade_tenths(rule.pass_mark_tenths)
    )
}

/// `part / whole` as a number on 0–100 for a `Percent` result: one decimal at most, rounded
/// half up like the certificate's «87,5 %» (`7/8` → `87.5`, `8/10` → `80`, `2/3` → `66.7`).
pub fn percent_number(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0".into();
    }
    let tenths = (part * 2000 + whole) / (2 * whole);
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// A grade kept in thousandths as a number for a `ScaledScore` result, written as the
/// certificate writes it but with a dot (`4250` → `4.25`, `3000` → `3.0`, `3917` → `3.917`).
pub fn grade_number(milli: i32) -> String {
    format::grade(milli).replacen(',', ".", 1)
}

/// One result of the achievement (Open Badges 3.0 `Result`): attendance, or the final grade.
/// `value` is a number (its `ResultDescription`'s `resultType`); the wording for people is in
/// the credential's description.
#[derive(Serialize)]
struct AchievedResult<'a> {
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    #[serde(rename = "resultDescription")]
    result_description: &'a str,
    value: String,
}

/// An Open Badges 3.0 `OpenBadgeCredential` before its proof.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Credential<'a> {
    #[serde(rename = "@context")]
    context: [&'static str; 2],
    id: String,
    #[serde(rename = "type")]
    kind: [&'static str; 2],
    name: &'a str,
    description: String,
    issuer: Profile<'a>,
    valid_from: String,
    credential_subject: Subject<'a>,
    evidence: [Evidence; 1],
    credential_status: StatusEntry,
}

/// The issuer's profile.
#[derive(Serialize)]
struct Profile<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    name: &'a str,
    url: &'a str,
}

/// The person who earned the badge, and what she achieved.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Subject<'a> {
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    name: &'a str,
    identifier: [IdentityObject<'a>; 1],
    activity_start_date: String,
    activity_end_date: String,
    credits_earned: i32,
    result: Vec<AchievedResult<'a>>,
    achievement: Achievement<'a>,
}

/// The person named (not hashed).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityObject<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    identity_type: &'static str,
    hashed: bool,
    identity_hash: &'a str,
}

/// The course as an achievement: its criteria, capacities and the results it describes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Achievement<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    achievement_type: &'static str,
    name: &'a str,
    description: String,
    human_code: &'a str,
    credits_available: i32,
    in_language: &'static str,
    criteria: Criteria,
    tag: &'a [&'a str],
    result_description: [ResultDescription<'a>; 2],
}

/// What earns the badge, in words.
#[derive(Serialize)]
struct Criteria {
    narrative: String,
}

/// A result the achievement describes: attendance (percent) or the final grade (0 to 5).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultDescription<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    name: &'static str,
    result_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_min: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_max: Option<&'static str>,
}

/// The public verification page as evidence.
#[derive(Serialize)]
struct Evidence {
    id: String,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    name: String,
    narrative: &'static str,
}

/// Where the credential's revocation bit is (`BitstringStatusListEntry`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusEntry {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    status_purpose: &'static str,
    status_list_index: String,
    status_list_credential: String,
}

/// The unsigned credential of a certificate.
pub fn unsigned(issuer: &Issuer, cert: &certificate::Model, rule: Rule) -> Map<String, Value> {
    let achievement_id = format!("{}/cohortes/{}", issuer.base_url, cert.cohort_id);
    let capacities: Vec<&str> = cert
        .capacity_names
        .split(" · ")
        .filter(|s| !s.is_empty())
        .collect();
    let verification_url =
        crate::certificates::issue::verification_url(&issuer.base_url, &cert.code);
    let grade_id = format!("{achievement_id}#nota-final");
    let attendance_id = format!("{achievement_id}#asistencia");
    let mut results = vec![AchievedResult {
        kind: ["Result"],
        result_description: &attendance_id,
        value: percent_number(cert.sessions_attended.into(), cert.sessions_total.into()),
    }];
    let attendance = format::percent(cert.sessions_attended.into(), cert.sessions_total.into());
    let mut outcome = format!("Asistencia: {attendance}.");
    if let Some(milli) = cert.final_grade_milli {
        results.push(AchievedResult {
            kind: ["Result"],
            result_description: &grade_id,
            value: grade_number(milli),
        });
        outcome.push_str(&format!(" Nota final: {} sobre 5,0.", format::grade(milli)));
    }
    // ESAP's credentials read as they always did; another provider's name that provider.
    let by = if cert.issuer == crate::certificates::issue::ISSUER {
        "la ESAP".to_string()
    } else {
        cert.issuer.clone()
    };
    let (list, index) = status::position(cert.id);
    let list_url = status::list_url(issuer, list);
    let credential = Credential {
        context: [CREDENTIALS_V2, OPEN_BADGES_V3],
        id: credential_url(issuer, &cert.code),
        kind: ["VerifiableCredential", "OpenBadgeCredential"],
        name: &cert.course_name,
        description: format!(
            "Certificado de aprobación del curso «{}» ({} horas), expedido por {by} a {}. \
             {outcome} Código de verificación: {}.",
            cert.course_name, cert.hours, cert.full_name, cert.code
        ),
        issuer: Profile {
            id: &issuer.did,
            kind: ["Profile"],
            name: &cert.issuer,
            url: &issuer.base_url,
        },
        valid_from: crate::time::instant(cert.issued_at),
        credential_subject: Subject {
            kind: ["AchievementSubject"],
            name: &cert.full_name,
            identifier: [IdentityObject {
                kind: "IdentityObject",
                identity_type: "name",
                hashed: false,
                identity_hash: &cert.full_name,
            }],
            activity_start_date: cert.start_date.to_string(),
            activity_end_date: cert.end_date.to_string(),
            credits_earned: cert.hours,
            result: results,
            achievement: Achievement {
                id: &achievement_id,
                kind: ["Achievement"],
                achievement_type: "Course",
                name: &cert.course_name,
                description: format!(
                    "Curso de {} horas de {by} para servidores públicos territoriales{}.",
                    cert.hours,
                    if capacities.is_empty() {
                        String::new()
                    } else {
                        format!(", que fortalece: {}", capacities.join(", "))
                    }
                ),
                human_code: &cert.course_code,
                credits_available: cert.hours,
                in_language: "es",
                criteria: Criteria {
                    narrative: criteria(rule),
                },
                tag: &capacities,
                result_description: [
                    ResultDescription {
                        id: &attendance_id,
                        kind: ["ResultDescription"],
                        name: "Asistencia (porcentaje de sesiones)",
                        result_type: "Percent",
                        value_min: Some("0"),
                        value_max: Some("100"),
                    },
                    ResultDescription {
                        id: &grade_id,
                        kind: ["ResultDescription"],
                        name: "Nota final (de 0 a 5)",
                        result_type: "ScaledScore",
                        value_min: Some("0"),
                        value_max: Some("5"),
                    },
                ],
            },
        },
        evidence: [Evidence {
            id: verification_url,
            kind: ["Evidence"],
            name: format!("Verificación pública del certificado {}", cert.code),
            narrative: "Página pública de la ESAP donde cualquier persona consulta el estado \
                        vigente del certificado con su código.",
        }],
        credential_status: StatusEntry {
            id: format!("{list_url}#{index}"),
            kind: "BitstringStatusListEntry",
            status_purpose: status::PURPOSE,
            status_list_index: index.to_string(),
            status_list_credential: list_url,
        },
    };
    match serde_json::to_value(credential) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The signed credential: the proof dated at issue, under the issuer's current key.
pub fn signed(issuer: &Issuer, cert: &certificate::Model, rule: Rule) -> Map<String, Value> {
    super::sign(
        issuer,
        unsigned(issuer, cert, rule),
        &crate::time::instant(cert.issued_at),
    )
}

/// A programme's certificate (issue 64) as an `OpenBadgeCredential` before its proof: the
/// achievement is the programme (`LearningProgram`), its modules named in the description,
/// the criteria and one alignment each (to the module certificate's public page when it has
/// one). No grade nor attendance of its own (each module has its own credential).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgrammeCredential<'a> {
    #[serde(rename = "@context")]
    context: [&'static str; 2],
    id: String,
    #[serde(rename = "type")]
    kind: [&'static str; 2],
    name: &'a str,
    description: String,
    issuer: Profile<'a>,
    valid_from: String,
    credential_subject: ProgrammeSubject<'a>,
    evidence: [Evidence; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgrammeSubject<'a> {
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    name: &'a str,
    identifier: [IdentityObject<'a>; 1],
    activity_start_date: String,
    activity_end_date: String,
    credits_earned: i32,
    achievement: ProgrammeAchievement<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgrammeAchievement<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    achievement_type: &'static str,
    name: &'a str,
    description: String,
    human_code: &'a str,
    credits_available: i32,
    in_language: &'static str,
    criteria: Criteria,
    alignment: Vec<ModuleAlignment>,
}

/// A module of the programme, as an Open Badges `Alignment`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModuleAlignment {
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    target_name: String,
    target_description: String,
    target_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_type: Option<&'static str>,
}

/// The unsigned credential of a programme certificate, from its snapshot.
pub fn programme_unsigned(
    issuer: &Issuer,
    cert: &programme_certificate::Model,
    modules: &[ModuleLine],
) -> Map<String, Value> {
    let achievement_id = format!("{}/programas/{}", issuer.base_url, cert.programme_id);
    let verification_url =
        crate::certificates::issue::verification_url(&issuer.base_url, &cert.code);
    let by = if cert.issuer == crate::certificates::issue::ISSUER {
        "la ESAP".to_string()
    } else {
        cert.issuer.clone()
    };
    let kind = cert.programme_kind.label();
    let names: Vec<String> = modules
        .iter()
        .map(|m| format!("«{}» ({} horas)", m.course_name, m.hours))
        .collect();
    let alignment = modules
        .iter()
        .map(|m| ModuleAlignment {
            kind: ["Alignment"],
            target_name: m.course_name.clone(),
            target_description: match &m.certificate_code {
                Some(code) => format!(
                    "Módulo {} · {} horas · certificado {code}",
                    m.status.label().to_lowercase(),
                    m.hours
                ),
                None => format!(
                    "Módulo {} · {} horas",
                    m.status.label().to_lowercase(),
                    m.hours
                ),
            },
            target_url: match &m.certificate_code {
                Some(code) => crate::certificates::issue::verification_url(&issuer.base_url, code),
                None => achievement_id.clone(),
            },
            target_type: m.certificate_code.as_ref().map(|_| "ceterms:Credential"),
        })
        .collect();
    let credential = ProgrammeCredential {
        context: [CREDENTIALS_V2, OPEN_BADGES_V3],
        id: credential_url(issuer, &cert.code),
        kind: ["VerifiableCredential", "OpenBadgeCredential"],
        name: &cert.programme_name,
        description: format!(
            "Certificado del {} «{}» ({} horas), expedido por {by} a {}. Código de \
             verificación: {}.",
            kind.to_lowercase(),
            cert.programme_name,
            cert.hours,
            cert.full_name,
            cert.code
        ),
        issuer: Profile {
            id: &issuer.did,
            kind: ["Profile"],
            name: &cert.issuer,
            url: &issuer.base_url,
        },
        valid_from: crate::time::instant(cert.issued_at),
        credential_subject: ProgrammeSubject {
            kind: ["AchievementSubject"],
            name: &cert.full_name,
            identifier: [IdentityObject {
                kind: "IdentityObject",
                identity_type: "name",
                hashed: false,
                identity_hash: &cert.full_name,
            }],
            activity_start_date: cert.start_date.to_string(),
            activity_end_date: cert.end_date.to_string(),
            credits_earned: cert.hours,
            achievement: ProgrammeAchievement {
                id: achievement_id.clone(),
                kind: ["Achievement"],
                achievement_type: "LearningProgram",
                name: &cert.programme_name,
                description: format!(
                    "{kind} de {} horas de {by} para servidores públicos territoriales, con los \
                     módulos {}.",
                    cert.hours,
                    names.join(", ")
                ),
                human_code: &cert.programme_code,
                credits_available: cert.hours,
                in_language: "es",
                criteria: Criteria {
                    narrative: format!(
                        "Completar o tener reconocidos los módulos que exige el programa: {}.",
                        names.join(", ")
                    ),
                },
                alignment,
            },
        },
        evidence: [Evidence {
            id: verification_url,
            kind: ["Evidence"],
            name: format!("Verificación pública del certificado {}", cert.code),
            narrative: "Página pública de la ESAP donde cualquier persona consulta el estado \
                        vigente del certificado con su código.",
        }],
    };
    match serde_json::to_value(credential) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The signed credential of a programme certificate, dated at issue.
pub fn programme_signed(
    issuer: &Issuer,
    cert: &programme_certificate::Model,
    modules: &[ModuleLine],
) -> Map<String, Value> {
    super::sign(
        issuer,
        programme_unsigned(issuer, cert, modules),
        &crate::time::instant(cert.issued_at),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::contexts;
    use crate::entities::values::{CertificateStatus, DocumentType};

    fn certificate() -> certificate::Model {
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        certificate::Model {
            id: 7,
            code: "7KQ9-M3XR-T2HW-PZ4N-C8DV".into(),
            enrolment_id: 1,
            cohort_id: 3,
            participant_id: 1,
            status: CertificateStatus::Valid,
            full_name: "María Fernanda Muñoz Peña".into(),
            document_type: DocumentType::Cc,
            document_number: "1117512345".into(),
            course_code: "GP".into(),
            course_name: "Gestión Presupuestal".into(),
            capacity_names: "Gestión presupuestal · Rendición de cuentas".into(),
            hours: 40,
            start_date: day(1),
            end_date: day(29),
            municipality_code: "18094".into(),
            municipality_name: "Belén de los Andaquíes".into(),
            department_name: "Caquetá".into(),
            final_grade_milli: Some(4250),
            sessions_attended: 7,
            sessions_total: 8,
            issuer: crate::certificates::issue::ISSUER.into(),
            issued_at: chrono::DateTime::parse_from_rfc3339("2026-11-02T15:04:05-05:00")
                .unwrap()
                .to_utc(),
            issued_by: None,
            revoked_at: None,
            revoked_by: None,
            revocation_reason: None,
            superseded_by_id: None,
        }
    }

    fn issuer() -> Issuer {
        let seed = [3u8; 32];
        Issuer::new(
            "https://aula.esap.edu.co/",
            ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap(),
            Vec::new(),
        )
    }

    const RULE: Rule = Rule {
        min_attendance_pct: 80,
        pass_mark_tenths: 30,
    };

    /// Every property the credential writes is a term of the embedded contexts (so a JSON-LD
    /// processor reads it as the vocabulary intends, and none is dropped as undefined).
    #[test]
    fn every_term_is_defined_by_the_embedded_contexts() {
        fn walk(value: &Value, terms: &std::collections::BTreeSet<String>, path: &str) {
            match value {
                Value::Object(map) => {
                    for (key, inner) in map {
                        if !key.starts_with('@') {
                            assert!(terms.contains(key), "{path}.{key} is not defined");
                        }
                        walk(inner, terms, &format!("{path}.{key}"));
                    }
                }
                Value::Array(items) => items.iter().for_each(|i| walk(i, terms, path)),
                _ => {}
            }
        }
        let terms = contexts::defined_terms();
        let credential = Value::Object(signed(&issuer(), &certificate(), RULE));
        walk(&credential, &terms, "");
        for kind in [
            "OpenBadgeCredential",
            "Profile",
            "AchievementSubject",
            "Achievement",
            "Result",
            "ResultDescription",
            "Evidence",
            "IdentityObject",
            "BitstringStatusListEntry",
        ] {
            assert!(terms.contains(kind), "{kind}");
        }
    }

    fn programme_certificate() -> (programme_certificate::Model, Vec<ModuleLine>) {
        use crate::programmes::certificates::ModuleCounted;
        let base = certificate();
        let modules = vec![
            ModuleLine {
                course_name: "Planeación Territorial".into(),
                hours: 40,
                status: ModuleCounted::Completed,
                certificate_code: Some("7KQ9-M3XR-T2HW-PZ4N-C8DV".into()),
            },
            ModuleLine {
                course_name: "Gestión Presupuestal".into(),
                hours: 32,
                status: ModuleCounted::Recognised,
                certificate_code: None,
            },
        ];
        let cert = programme_certificate::Model {
            id: 2,
            code: "M3XR-7KQ9-T2HW-PZ4N-C8DV".into(),
            programme_enrolment_id: 1,
            edition_id: 1,
            programme_id: 4,
            participant_id: 1,
            status: CertificateStatus::Valid,
            full_name: base.full_name,
            document_type: DocumentType::Cc,
            document_number: base.document_number,
            programme_code: "DGPT".into(),
            programme_name: "Diplomado en Gestión Pública Territorial".into(),
            programme_kind: crate::entities::values::ProgrammeKind::Diplomado,
            hours: 72,
            start_date: base.start_date,
            end_date: base.end_date,
            municipality_code: base.municipality_code,
            municipality_name: base.municipality_name,
            department_name: base.department_name,
            modules: serde_json::to_string(&modules).unwrap(),
            issuer: base.issuer,
            issued_at: base.issued_at,
            issued_by: None,
            revoked_at: None,
            revoked_by: None,
            revocation_reason: None,
        };
        (cert, modules)
    }

    /// A programme's credential too uses only terms of the embedded contexts, and its
    /// achievement is the programme, naming its modules.
    #[test]
    fn a_programme_credential_is_a_learning_program_in_defined_terms() {
        let issuer = issuer();
        let (cert, modules) = programme_certificate();
        let credential = Value::Object(programme_signed(&issuer, &cert, &modules));
        let terms = contexts::defined_terms();
        fn walk(value: &Value, terms: &std::collections::BTreeSet<String>, path: &str) {
            match value {
                Value::Object(map) => {
                    for (key, inner) in map {
                        if !key.starts_with('@') {
                            assert!(terms.contains(key), "{path}.{key} is not defined");
                        }
                        walk(inner, terms, &format!("{path}.{key}"));
                    }
                }
                Value::Array(items) => items.iter().for_each(|i| walk(i, terms, path)),
                _ => {}
            }
        }
        walk(&credential, &terms, "");
        assert!(terms.contains("Alignment"));
        contexts::check(&credential).unwrap();
        let achievement = &credential["credentialSubject"]["achievement"];
        assert_eq!(achievement["achievementType"], "LearningProgram");
        assert_eq!(
            achievement["alignment"][0]["targetName"],
            "Planeación Territorial"
        );
        assert_eq!(
            achievement["alignment"][0]["targetUrl"],
            "https://aula.esap.edu.co/verificar/7KQ9-M3XR-T2HW-PZ4N-C8DV"
        );
        assert!(
            achievement["criteria"]["narrative"]
                .as_str()
                .unwrap()
                .contains("«Gestión Presupuestal» (32 horas)")
        );
        assert_eq!(
            credential["id"],
            "https://aula.esap.edu.co/api/v1/certificates/M3XR-7KQ9-T2HW-PZ4N-C8DV/credential"
        );
        assert!(
            super::super::proof::verify(credential.as_object().unwrap(), |m| issuer.resolve(m))
                .is_ok()
        );
    }

    #[test]
    fn the_credential_states_the_certificate() {
        let issuer = issuer();
        let credential = Value::Object(unsigned(&issuer, &certificate(), RULE));
        assert_eq!(credential["issuer"]["id"], "did:web:aula.esap.edu.co");
        assert_eq!(credential["validFrom"], "2026-11-02T20:04:05Z");
        assert_eq!(
            credential["id"],
            "https://aula.esap.edu.co/api/v1/certificates/7KQ9-M3XR-T2HW-PZ4N-C8DV/credential"
        );
        let subject = &credential["credentialSubject"];
        assert_eq!(subject["name"], "María Fernanda Muñoz Peña");
        assert_eq!(subject["activityEndDate"], "2026-10-29");
        assert_eq!(subject["achievement"]["creditsAvailable"], 40);
        assert_eq!(
            subject["achievement"]["tag"],
            serde_json::json!(["Gestión presupuestal", "Rendición de cuentas"])
        );
        assert_eq!(
            subject["achievement"]["criteria"]["narrative"],
            "Asistir al menos al 80 % de las sesiones de la cohorte y obtener una nota final de al menos 3,0 sobre 5,0."
        );
        // Results are numbers written with a dot; the wording is in the description.
        assert_eq!(subject["result"][0]["value"], "87.5");
        assert_eq!(subject["result"][1]["value"], "4.25");
        let described = &subject["achievement"]["resultDescription"];
        assert_eq!(described[0]["resultType"], "Percent");
        assert_eq!(described[0]["valueMax"], "100");
        assert_eq!(described[1]["resultType"], "ScaledScore");
        assert_eq!(described[1]["valueMax"], "5");
        for result in subject["result"].as_array().unwrap() {
            let value = result["value"].as_str().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{value}");
        }
        let description = credential["description"].as_str().unwrap();
        assert!(
            description.contains("Asistencia: 87,5 %. Nota final: 4,25 sobre 5,0."),
            "{description}"
        );
        assert_eq!(credential["credentialStatus"]["statusListIndex"], "6");
        assert_eq!(
            credential["credentialStatus"]["statusListCredential"],
            "https://aula.esap.edu.co/api/v1/credentials/status/1"
        );
        assert!(
            !credential.to_string().contains("1117512345"),
            "no document number"
        );
        // Signed, it carries both proofs and verifies under the issuer's key; signing again
        // gives the same bytes; a changed result fails.
        let signed_once = signed(&issuer, &certificate(), RULE);
        assert_eq!(signed_once, signed(&issuer, &certificate(), RULE));
        let suites: Vec<&str> = signed_once["proof"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["cryptosuite"].as_str())
            .collect();
        assert_eq!(suites, ["eddsa-jcs-2022", "eddsa-rdfc-2022"]);
        assert!(super::super::proof::verify(&signed_once, |m| issuer.resolve(m)).is_ok());
        let mut rdfc_only = signed_once.clone();
        rdfc_only["proof"] = signed_once["proof"][1].clone();
        assert!(super::super::proof::verify(&rdfc_only, |m| issuer.resolve(m)).is_ok());
        rdfc_only["credentialSubject"]["result"][1]["value"] = serde_json::json!("5.0");
        assert_eq!(
            super::super::proof::verify(&rdfc_only, |m| issuer.resolve(m)),
            Err(super::super::proof::ProofError::Mismatch)
        );
    }

    #[test]
    fn result_values_are_numbers_with_a_dot() {
        assert_eq!(percent_number(7, 8), "87.5");
        assert_eq!(percent_number(8, 10), "80");
        assert_eq!(percent_number(2, 3), "66.7");
        assert_eq!(percent_number(1, 3), "33.3");
        assert_eq!(percent_number(10, 10), "100");
        assert_eq!(percent_number(0, 0), "0");
        assert_eq!(grade_number(4250), "4.25");
        assert_eq!(grade_number(3000), "3.0");
        assert_eq!(grade_number(3917), "3.917");
        assert_eq!(grade_number(500), "0.5");
    }
}
