//! The virtual classroom (issue 65), the web side: the admin's and coordinators' API
//! (`api`), the LTI 1.3 platform endpoints tools call (`platform`: `/lti/jwks`,
//! `/lti/authorize`, `/lti/token`, NRPS and AGS under `/lti/contexts/…`) and the page that
//! starts a launch (`pages`). The rules are `domain::virtual_classroom`'s.

pub mod admin;
pub mod api;
pub mod pages;
pub mod platform;

use domain::config::AppConfig;
use domain::virtual_classroom::Platform;

/// The platform as this deployment publishes it (its issuer is `public_url`).
pub fn platform_of(config: &AppConfig) -> Platform {
    Platform::new(&config.public_url)
}
