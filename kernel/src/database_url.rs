//! Reading a database URL: what both the connection ([`crate::db`]) and the instances'
//! startup lock ([`crate::instances`]) need to know of it, below both.

/// The file path of a SQLite URL, if it is one and not in memory.
pub fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}
