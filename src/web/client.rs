//! Who is calling, as a network address: the one source of the client address for throttling.
//!
//! The address is the peer of the connection. Only when that peer is one of the configured
//! `trusted_proxies` (a load balancer or reverse proxy) are `X-Forwarded-For`, `Forwarded` and
//! `X-Real-IP` believed, since a client can write any header it likes; a hop may carry a port,
//! and a hop that names no address makes the client unknown — never the proxy
//! (`domain::network::client_address`, issue 46). Rocket's own `ip_header` is turned off in
//! [`crate::build`], so `Request::client_ip` cannot be spoofed either.

use domain::config::AppConfig;
use rocket::request::{FromRequest, Outcome, Request};
use std::convert::Infallible;
use std::net::IpAddr;

pub use domain::network::{Network, ProxyHeaders, client_address};

/// The request guard: `ClientAddress(None)` when the server cannot tell the client (no peer,
/// or a trusted proxy's hop that is not an address): no `metrics_allowed`, and throttled under
/// the unknown address's own key.
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
        let proxies = ProxyHeaders {
            forwarded_for: headers.get("X-Forwarded-For").collect(),
            forwarded: headers.get("Forwarded").collect(),
            real_ip: headers.get_one("X-Real-IP"),
        };
        Outcome::Success(ClientAddress(client_address(
            request.remote().map(|remote| remote.ip()),
            &proxies,
            trusted,
        )))
    }
}
