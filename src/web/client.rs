//! Who is calling, as a network address: the one source of the client address for throttling.
//!
//! The address is the peer of the connection. Only when that peer is one of the configured
//! `trusted_proxies` (a load balancer or reverse proxy) are `X-Forwarded-For` / `X-Real-IP`
//! believed, since a client can write any header it likes. Rocket's own `ip_header` is turned
//! off in [`crate::build`], so `Request::client_ip` cannot be spoofed either.

use domain::config::AppConfig;
use rocket::request::{FromRequest, Outcome, Request};
use std::convert::Infallible;
use std::net::IpAddr;

pub use domain::network::{Network, client_address};

/// The request guard: `ClientAddress(None)` only when the server cannot tell the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddress {
    type Error = Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let trusted = request
            .rocket()
            .state::<AppConfig>()
            .map_or(&[][..], |config| config.trusted_proxies.as_slice());
        let headers = request.headers();
        Outcome::Success(ClientAddress(client_address(
            request.remote().map(|remote| remote.ip()),
            headers.get_one("X-Forwarded-For"),
            headers.get_one("X-Real-IP"),
            trusted,
        )))
    }
}
