//! The web layer's side of the outbox: the [`Mailer`] request guard handlers receive (the
//! templates and the settings, from Rocket's state); the outbox itself is `domain::mail`.

use domain::mail::Notifier;

/// The domain's [`Notifier`] as a request guard; handlers pass `&mailer` wherever a domain
/// function takes `&Notifier`.
#[derive(Clone, Copy)]
pub struct Mailer<'r>(pub Notifier<'r>);

impl<'r> std::ops::Deref for Mailer<'r> {
    type Target = Notifier<'r>;

    fn deref(&self) -> &Notifier<'r> {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Mailer<'r> {
    type Error = ();

    async fn from_request(
        request: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        use domain::config::AppConfig;
        use domain::templates::Templates;
        let rocket = request.rocket();
        match (rocket.state::<Templates>(), rocket.state::<AppConfig>()) {
            (Some(templates), Some(config)) => {
                rocket::outcome::Outcome::Success(Mailer(Notifier { templates, config }))
            }
            _ => rocket::outcome::Outcome::Error((rocket::http::Status::InternalServerError, ())),
        }
    }
}
