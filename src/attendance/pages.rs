//! Pages (to be filled).

use rocket::{Route, routes};

pub fn routes() -> Vec<Route> {
    routes![]
}
