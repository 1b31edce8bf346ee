//! The virtual classroom (issue 65): Aula Territorial is an **LTI 1.3 platform** with LTI
//! Advantage (Names and Role Provisioning Services, Assignment and Grade Services); a learning
//! platform's course (ESAP's Moodle published with `enrol_lti`, or any LTI 1.3 tool) is a
//! **tool**.
//!
//! - [`keys`]: the platform's RSA keys (RS256): the newest one signs; every one stays published.
//! - [`tools`]: tools registered by the admin; [`links`]: a cohort's links to a tool.
//! - [`launch`]: who may launch, the third-party initiated login and the OIDC authorization
//!   that answers with the signed `id_token`; a launch in a virtual session's window records
//!   the person as connected (a check-in, on the one attendance basis).
//! - [`services`]: OAuth 2.0 client credentials with the tool's signed assertion, the service
//!   tokens and what each may reach; [`memberships`] (NRPS) and [`grades`] (AGS) answer them.
//!
//! Arrows: this area reads cohorts, enrolment and people, and writes through the attendance
//! and assessment areas' own saves; none of them calls it (the attendance sheet reads the
//! `lti_launches` table itself for «conectado a las…»).

pub mod demo;
pub mod grades;
pub mod keys;
pub mod launch;
pub mod links;
pub mod memberships;
pub mod services;
pub mod tools;

/// NRPS: read the context's memberships.
pub const SCOPE_MEMBERSHIPS: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
/// AGS: read and write line items.
pub const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
/// AGS: post scores.
pub const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/// AGS: read results.
pub const SCOPE_RESULT: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
/// AGS: read line items only (granted with [`SCOPE_LINEITEM`]).
pub const SCOPE_LINEITEM_READ: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";

/// What a tool may be granted; the default is all four.
pub const SCOPES: [&str; 4] = [SCOPE_MEMBERSHIPS, SCOPE_LINEITEM, SCOPE_SCORE, SCOPE_RESULT];

/// LIS context role of a participant.
pub const ROLE_LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
/// LIS context role of an instructor or a coordinator.
pub const ROLE_INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";

/// The platform's addresses, all under its issuer (the `public_url` setting).
#[derive(Clone, Debug)]
pub struct Platform {
    pub issuer: String,
}

impl Platform {
    pub fn new(public_url: &str) -> Platform {
        Platform {
            issuer: public_url.trim().trim_end_matches('/').to_string(),
        }
    }
    pub fn authorization_endpoint(&self) -> String {
        format!("{}/lti/authorize", self.issuer)
    }
    pub fn token_endpoint(&self) -> String {
        format!("{}/lti/token", self.issuer)
    }
    pub fn jwks_url(&self) -> String {
        format!("{}/lti/jwks", self.issuer)
    }
    pub fn memberships_url(&self, cohort_id: i32) -> String {
        format!("{}/lti/contexts/{cohort_id}/memberships", self.issuer)
    }
    pub fn line_items_url(&self, cohort_id: i32) -> String {
        format!("{}/lti/contexts/{cohort_id}/lineitems", self.issuer)
    }
    pub fn line_item_url(&self, cohort_id: i32, id: i32) -> String {
        format!("{}/lti/contexts/{cohort_id}/lineitems/{id}", self.issuer)
    }
    /// The page that starts a launch of `link_id` for the signed-in person.
    pub fn launch_page(&self, cohort_id: i32, link_id: i32) -> String {
        format!("{}{}", self.issuer, launch_path(cohort_id, link_id))
    }
}

/// The launch page's path (`/cohortes/{cohort}/aula-virtual/{link}`).
pub fn launch_path(cohort_id: i32, link_id: i32) -> String {
    format!("/cohortes/{cohort_id}/aula-virtual/{link_id}")
}

/// The LTI user id (`sub`, NRPS `user_id`) of a person: her participant record's when she has
/// one (the same in every cohort, whichever account launches), else her account's. Opaque to
/// the tool: no document, name or email.
pub fn user_id(participant_id: Option<i32>, user_id: i32) -> String {
    match participant_id {
        Some(p) => format!("p{p}"),
        None => format!("u{user_id}"),
    }
}

/// The (participant, account) an LTI user id names.
pub fn parse_user_id(text: &str) -> Option<(Option<i32>, Option<i32>)> {
    if let Some(p) = text.strip_prefix('p') {
        return p.parse().ok().map(|p| (Some(p), None));
    }
    text.strip_prefix('u')?
        .parse()
        .ok()
        .map(|u| (None, Some(u)))
}

/// A list stored as JSON text.
pub(crate) fn list_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// `url` is an absolute http(s) address; plain http only on this machine (a tool under test).
pub(crate) fn url_problem(url: &str) -> Option<&'static str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some("Escriba una dirección completa, que empiece por https://.");
    };
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit_once('@')
        .map_or_else(
            || rest.split(['/', '?', '#']).next().unwrap_or_default(),
            |(_, h)| h,
        );
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| host.split(':').next().unwrap_or_default());
    if host.is_empty() || url.chars().any(|c| c.is_whitespace()) {
        return Some("La dirección no es válida.");
    }
    match scheme {
        "https" => None,
        "http" if matches!(host, "localhost" | "127.0.0.1" | "::1") => None,
        "http" => Some("El aula virtual se conecta solo por https://."),
        _ => Some("Escriba una dirección que empiece por https://."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_opaque_and_read_back() {
        assert_eq!(user_id(Some(7), 3), "p7");
        assert_eq!(user_id(None, 3), "u3");
        assert_eq!(parse_user_id("p7"), Some((Some(7), None)));
        assert_eq!(parse_user_id("u3"), Some((None, Some(3))));
        assert_eq!(parse_user_id("x3"), None);
        assert_eq!(parse_user_id("p"), None);
    }

    #[test]
    fn tools_are_reached_by_https_or_on_this_machine() {
        assert_eq!(
            url_problem("https://campus.esap.edu.co/enrol/lti/login.php"),
            None
        );
        assert_eq!(url_problem("http://127.0.0.1:5000/login"), None);
        assert_eq!(url_problem("http://localhost/login"), None);
        assert!(url_problem("http://campus.esap.edu.co/login").is_some());
        assert!(url_problem("http://127.0.0.1.evil.co/login").is_some());
        assert!(url_problem("ftp://x.co").is_some());
        assert!(url_problem("campus.esap.edu.co").is_some());
        assert!(url_problem("https://").is_some());
    }
}
