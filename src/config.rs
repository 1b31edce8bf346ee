//! The web app's side of the settings (`domain::config` reads them).

/// The figment `cargo run` uses: `Rocket.toml` for the active profile plus `ROCKET_*`.
pub fn figment() -> rocket::figment::Figment {
    rocket::Config::figment()
}
