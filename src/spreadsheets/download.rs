//! A file download: content type, attachment file name (accents included) and no caching.

use rocket::http::{ContentType, Header};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use std::io::Cursor;

/// A generated file sent as a download. Exports carry personal data, so browsers and proxies
/// are told not to keep a copy (`Cache-Control: no-store`).
#[derive(Clone, Debug)]
pub struct Download {
    filename: String,
    content_type: ContentType,
    body: Vec<u8>,
}

impl Download {
    /// An Excel workbook (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`).
    pub fn xlsx(filename: &str, body: Vec<u8>) -> Self {
        Self {
            filename: filename.to_string(),
            content_type: ContentType::new(
                "application",
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            body,
        }
    }

    /// An iCalendar file (`text/calendar; charset=utf-8`), e.g. from [`domain::calendar::calendar`].
    pub fn calendar(filename: &str, body: String) -> Self {
        Self {
            filename: filename.to_string(),
            content_type: ContentType::new("text", "calendar").with_params(("charset", "utf-8")),
            body: body.into_bytes(),
        }
    }

    /// A CSV file (`text/csv; charset=utf-8`), e.g. an open data set's
    /// (`domain::spreadsheets::CsvFile`).
    pub fn csv(filename: &str, body: Vec<u8>) -> Self {
        Self {
            filename: filename.to_string(),
            content_type: ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            body,
        }
    }

    pub fn filename(&self) -> &str {
        &self.filename
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl<'r> Responder<'r, 'static> for Download {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .header(self.content_type)
            .header(Header::new(
                "Content-Disposition",
                content_disposition(&self.filename),
            ))
            .header(Header::new("Cache-Control", "no-store"))
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

/// `attachment; filename="ASCII fallback"; filename*=UTF-8''percent-encoded` (RFC 6266): old
/// clients get the name without accents, the rest the real one. Nothing from the name can
/// break out of the header.
pub(crate) fn content_disposition(filename: &str) -> String {
    let name = filename.trim();
    let name = if name.is_empty() { "archivo" } else { name };
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')') {
                c
            } else if c.is_ascii() {
                '_'
            } else {
                let folded = domain::text::fold(&c.to_string());
                let mut chars = folded.chars();
                match (chars.next(), chars.next()) {
                    (Some(plain), None) if plain.is_ascii_alphanumeric() => {
                        if c.is_uppercase() {
                            plain.to_ascii_uppercase()
                        } else {
                            plain
                        }
                    }
                    _ => '_',
                }
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_keeps_accents_and_cannot_break_the_header() {
        use super::content_disposition;
        assert_eq!(
            content_disposition("Asistencia Belén 2026.xlsx"),
            "attachment; filename=\"Asistencia Belen 2026.xlsx\"; \
             filename*=UTF-8''Asistencia%20Bel%C3%A9n%202026.xlsx"
        );
        let nasty = content_disposition("a\"b\r\nSet-Cookie: x=1;.xlsx");
        assert!(!nasty.contains('\r') && !nasty.contains('\n'));
        assert!(nasty.starts_with("attachment; filename=\"a_b__Set-Cookie_ x_1_.xlsx\"; "));
        assert_eq!(
            content_disposition(" "),
            "attachment; filename=\"archivo\"; filename*=UTF-8''archivo"
        );
        assert!(content_disposition("ÑANDÚ.ics").contains("filename=\"NANDU.ics\""));
    }

    #[test]
    fn downloads_respond_with_type_name_and_no_store() {
        use rocket::http::Status;
        use rocket::local::blocking::Client;

        #[rocket::get("/libro")]
        fn libro() -> Download {
            Download::xlsx("Informe Caquetá.xlsx", b"PK\x03\x04".to_vec())
        }
        #[rocket::get("/calendario")]
        fn calendario() -> Download {
            Download::calendar("sesiones.ics", "BEGIN:VCALENDAR\r\n".into())
        }

        let rocket = rocket::build().mount("/", rocket::routes![libro, calendario]);
        let client = Client::untracked(rocket).unwrap();
        let response = client.get("/libro").dispatch();
        assert_eq!(response.status(), Status::Ok);
        let headers = response.headers();
        assert_eq!(
            headers.get_one("Content-Type"),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        assert_eq!(headers.get_one("Cache-Control"), Some("no-store"));
        assert!(
            headers
                .get_one("Content-Disposition")
                .unwrap()
                .contains("filename*=UTF-8''Informe%20Caquet%C3%A1.xlsx")
        );
        assert_eq!(response.into_bytes().unwrap(), b"PK\x03\x04");
        let response = client.get("/calendario").dispatch();
        assert_eq!(
            response.headers().get_one("Content-Type"),
            Some("text/calendar; charset=utf-8")
        );
        assert_eq!(response.into_string().unwrap(), "BEGIN:VCALENDAR\r\n");
    }

    #[test]
    fn downloads_can_cross_threads() {
        fn assert_send<T: Send>() {}
        assert_send::<Download>();
    }
}
