//! Certificates: the code people type to verify one, and the PDF they take away. Nothing here
//! touches the database; issuing, revoking and the public verification page build on it.

pub mod code;
pub mod demo;
pub mod issue;
pub mod pdf;
