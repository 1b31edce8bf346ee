//! The one set of rules for text people and systems send, used by every area (pages, API and
//! imports alike). Every value is first normalised to Unicode NFC (so `Jose\u{301}`, typed with
//! a combining accent, becomes `José`), then trimmed, then checked against a character class
//! and a length bound counted in characters:
//!
//! * [`single_line`]: names, codes, venues, topics, reasons shown in one line, email subjects.
//!   No control characters at all (C0, DEL, C1 — so no NUL, tab, CR or LF), no Unicode line
//!   or paragraph separators, and no invisible characters ([`is_invisible`]: zero-width
//!   spaces and joiners, direction marks, bidirectional embeddings, overrides and isolates,
//!   fillers, the soft hyphen, tag characters…), which make a text look like another or read
//!   differently from how it is stored.
//! * [`multi_line`]: descriptions and notes. The same, except that line breaks (`\r\n` and a
//!   lone `\r` become `\n`) and tabs are kept.
//! * [`certificate_text`]: single-line text printed on certificates (course names, people's
//!   names): additionally, every character must have a glyph in the certificate's embedded
//!   fonts, so an emoji is refused when it is typed, not when the certificate is issued.
//!
//! Functions return `Ok(None)` for an empty value (after trimming); callers decide whether
//! the field is required.

use crate::error::FieldError;
use unicode_normalization::UnicodeNormalization;

/// People's given names or surnames (each).
pub const PERSON_NAME_MAX: usize = 80;
/// A full name (given names and surnames).
pub const FULL_NAME_MAX: usize = 160;
/// Course, cohort, capacity and assessment names.
pub const TITLE_MAX: usize = 160;
/// Venues, session locations and topics, positions, entity names.
pub const SHORT_TEXT_MAX: usize = 200;
/// Reasons (cancellation, revocation, override) and notes.
pub const REASON_MAX: usize = 500;
/// Descriptions.
pub const DESCRIPTION_MAX: usize = 4000;
/// Links (a virtual meeting room).
pub const URL_MAX: usize = 500;
/// Codes (course codes, capacity codes).
pub const CODE_MAX: usize = 60;
/// Anything typed into a search box or a filter.
pub const QUERY_MAX: usize = 200;
/// The most items one list in a request may hold: ids, codes, attendance marks or scores of a
/// JSON body (checked for every array by the API's JSON guard) and the lists of the domain's
/// inputs (checked again here, for the pages' forms). The same bound as an import's rows;
/// the longest real list is a cohort's municipalities (1,122, the whole country), and a query
/// built from a list stays far below SQLite's 32,766 bound variables.
pub const LIST_MAX: usize = 5_000;

/// Unicode NFC: composed accents, as every keyboard in Colombia types them.
pub fn nfc(value: &str) -> String {
    value.nfc().collect()
}

/// Characters no single-line or multi-line text may contain, besides the controls and the
/// invisible ones.
fn is_forbidden_format(c: char) -> bool {
    matches!(
        c,
        // line and paragraph separators
        '\u{2028}' | '\u{2029}'
        // non-characters
        | '\u{FFFE}' | '\u{FFFF}'
    )
}

/// Characters that draw nothing, or only change how what surrounds them is ordered or joined:
/// a name holding one looks like another name, or reads differently from how it is stored.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        // soft hyphen, combining grapheme joiner, Arabic letter mark
        '\u{00AD}' | '\u{034F}' | '\u{061C}'
        // Hangul fillers
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
        // Mongolian vowel separator
        | '\u{180E}'
        // zero-width space, non-joiner and joiner, left-to-right and right-to-left marks
        | '\u{200B}'..='\u{200F}'
        // bidirectional embeddings and overrides
        | '\u{202A}'..='\u{202E}'
        // word joiner, invisible operators
        | '\u{2060}'..='\u{2064}'
        // bidirectional isolates, deprecated format characters
        | '\u{2066}'..='\u{206F}'
        // zero-width no-break space (byte order mark)
        | '\u{FEFF}'
        // interlinear annotation marks
        | '\u{FFF9}'..='\u{FFFB}'
        // tag characters
        | '\u{E0000}'..='\u{E007F}'
    )
}

/// The error for a text holding invisible characters, naming them (`«U+200B»`), or `None`.
pub fn invisible(field: &str, text: &str) -> Option<FieldError> {
    let mut found: Vec<char> = Vec::new();
    for c in text.chars().filter(|c| is_invisible(*c)) {
        if !found.contains(&c) {
            found.push(c);
        }
    }
    if found.is_empty() {
        return None;
    }
    let mut names: Vec<String> = found
        .iter()
        .take(5)
        .map(|c| format!("«U+{:04X}»", u32::from(*c)))
        .collect();
    if found.len() > 5 {
        names.push(format!("y {} más", found.len() - 5));
    }
    Some(FieldError::new(
        field,
        format!(
            "El texto tiene caracteres invisibles que no se permiten: {}. Suelen llegar al \
             copiar y pegar: borre el texto y escríbalo de nuevo.",
            names.join(", ")
        ),
    ))
}

/// A list of `len` items sent for `field`: at most [`LIST_MAX`].
pub fn list_length(field: &str, len: usize) -> Result<(), FieldError> {
    if len <= LIST_MAX {
        return Ok(());
    }
    Err(FieldError::new(
        field,
        format!(
            "La lista tiene {} elementos; se admiten máximo {} por solicitud.",
            crate::format::thousands(len as i64),
            crate::format::thousands(LIST_MAX as i64)
        ),
    ))
}

/// [`list_length`] over an optional list, collecting the error; `true` when it is within the
/// bound (or absent), so the caller may go on and look its items up.
pub fn list<T>(field: &str, items: Option<&[T]>, errors: &mut Vec<FieldError>) -> bool {
    match list_length(field, items.map_or(0, <[T]>::len)) {
        Ok(()) => true,
        Err(error) => {
            errors.push(error);
            false
        }
    }
}

fn too_long(field: &str, max: usize) -> FieldError {
    FieldError::new(
        field,
        format!("El texto puede tener máximo {max} caracteres."),
    )
}

/// One line of text: NFC, trimmed, no control characters, at most `max` characters.
pub fn single_line(field: &str, value: &str, max: usize) -> Result<Option<String>, FieldError> {
    let text = nfc(value);
    let text = text.trim();
    if text
        .chars()
        .any(|c| c.is_control() || is_forbidden_format(c))
    {
        return Err(FieldError::new(
            field,
            "El texto debe ir en una sola línea, sin saltos de línea, tabuladores ni \
             caracteres de control.",
        ));
    }
    if let Some(error) = invisible(field, text) {
        return Err(error);
    }
    if text.chars().count() > max {
        return Err(too_long(field, max));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// Text that may span lines: NFC, trimmed, line breaks as `\n`, tabs kept, no other control
/// characters, at most `max` characters.
pub fn multi_line(field: &str, value: &str, max: usize) -> Result<Option<String>, FieldError> {
    let text = nfc(value).replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_forbidden_format(c))
    {
        return Err(FieldError::new(
            field,
            "El texto tiene caracteres de control que no se permiten.",
        ));
    }
    if let Some(error) = invisible(field, text) {
        return Err(error);
    }
    if text.chars().count() > max {
        return Err(too_long(field, max));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// Single-line text that is printed on certificates: also refuses characters the certificate's
/// fonts cannot draw (emoji, scripts outside Latin, Greek and Cyrillic).
pub fn certificate_text(
    field: &str,
    value: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let text = single_line(field, value, max)?;
    if let Some(text) = &text {
        let missing = crate::fonts::unprintable(text);
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|c| format!("«{c}»")).collect();
            return Err(FieldError::new(
                field,
                format!(
                    "Contiene caracteres que el certificado no puede imprimir: {}. Escriba el \
                     texto solo con letras, números y signos de puntuación.",
                    list.join(", ")
                ),
            ));
        }
    }
    Ok(text)
}

/// Collects the error into `errors`: the usual shape of a validation that reports every
/// problem at once. `None` for an empty or refused value.
pub fn collect(
    result: Result<Option<String>, FieldError>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match result {
        Ok(value) => value,
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// [`collect`] for a required value: an empty one is the problem `missing` of `field`.
pub fn required<T>(
    field: &str,
    result: Result<Option<T>, FieldError>,
    missing: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match result {
        Ok(Some(value)) => Some(value),
        Ok(None) => {
            errors.push(FieldError::new(field, missing));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// [`single_line`] over an optional value, collecting the error.
pub fn line(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    collect(single_line(field, value.unwrap_or(""), max), errors)
}

/// [`multi_line`] over an optional value, collecting the error.
pub fn lines(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    collect(multi_line(field, value.unwrap_or(""), max), errors)
}

/// [`certificate_text`] over an optional value, collecting the error.
pub fn printable(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    collect(certificate_text(field, value.unwrap_or(""), max), errors)
}

/// The longest email address kept (RFC 5321's path limit, less the angle brackets).
pub const EMAIL_MAX: usize = 254;

/// Whether `email` (already normalised: trimmed, lower case) is an address the outbox's mailer
/// will send to: one `local@domain` that lettre parses both as an `Address` and as the
/// `Mailbox` the worker builds (`mail::worker::build_message`), with a domain holding a dot
/// (no `user@localhost`), no whitespace and at most [`EMAIL_MAX`] characters. Every place that
/// stores an address to write to later (accounts, registrations and corrections, nominations,
/// an assistance's entity contact) checks it with this, so nothing typed is kept that the
/// mailer would refuse when the email is due.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.chars().count() <= EMAIL_MAX
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.parse::<lettre::Address>().is_ok()
        && email.parse::<lettre::message::Mailbox>().is_ok()
}

/// Lower-cased and trimmed: emails are compared case-insensitively.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// An email address as typed: normalised (trimmed, lower case) and checked with [`is_email`].
/// `Ok(None)` when empty; the error says, on `field`, what a valid one looks like.
pub fn email(field: &str, value: &str) -> Result<Option<String>, FieldError> {
    let email = normalize_email(value);
    if email.is_empty() {
        return Ok(None);
    }
    if is_email(&email) {
        Ok(Some(email))
    } else {
        Err(FieldError::new(
            field,
            "Escriba un correo electrónico válido, p. ej. nombre@alcaldia.gov.co (sin espacios, \
             comas ni otros signos fuera de la dirección).",
        ))
    }
}

/// Document numbers as people type them: `1.234.567`, `1 234 567`, `1234567-` → `1234567`.
pub fn document_number(
    document_type: crate::entities::values::DocumentType,
    raw: &str,
) -> Result<String, &'static str> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' ' | '-' | '\u{a0}'))
        .collect::<String>()
        .to_uppercase();
    let (numeric, min, max) = match document_type {
        crate::entities::values::DocumentType::Cc => (true, 3, 10),
        crate::entities::values::DocumentType::Ce => (true, 3, 10),
        crate::entities::values::DocumentType::Ppt => (true, 5, 10),
        crate::entities::values::DocumentType::Pa => (false, 5, 15),
    };
    let valid_chars = if numeric {
        cleaned.chars().all(|c| c.is_ascii_digit())
    } else {
        cleaned.chars().all(|c| c.is_ascii_alphanumeric())
    };
    let length_ok = (min..=max).contains(&cleaned.len());
    match (valid_chars, length_ok, document_type) {
        (true, true, _) if numeric && cleaned.starts_with('0') => {
            Err("El número de documento no puede empezar por cero.")
        }
        (true, true, _) => Ok(cleaned),
        (_, _, crate::entities::values::DocumentType::Cc) => {
            Err("La cédula de ciudadanía debe tener entre 3 y 10 dígitos, sin letras.")
        }
        (_, _, crate::entities::values::DocumentType::Ce) => {
            Err("La cédula de extranjería debe tener entre 3 y 10 dígitos, sin letras.")
        }
        (_, _, crate::entities::values::DocumentType::Ppt) => {
            Err("El PPT debe tener entre 5 y 10 dígitos, sin letras.")
        }
        (_, _, crate::entities::values::DocumentType::Pa) => {
            Err("El pasaporte debe tener entre 5 y 15 letras o números.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_names_an_empty_value_and_keeps_the_checks_error() {
        let mut errors = Vec::new();
        assert_eq!(
            required("t", single_line("t", " Hito ", 80), "Escriba.", &mut errors).as_deref(),
            Some("Hito")
        );
        assert!(errors.is_empty());
        assert_eq!(
            required("t", single_line("t", "  ", 80), "Escriba.", &mut errors),
            None
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].field.as_str(), errors[0].message.as_str()),
            ("t", "Escriba.")
        );
        assert_eq!(
            required("t", single_line("t", "a\0b", 80), "Escriba.", &mut errors),
            None
        );
        assert_eq!(errors.len(), 2);
        assert_ne!(errors[1].message, "Escriba.");
    }

    #[test]
    fn decomposed_accents_are_composed() {
        assert_eq!(
            single_line("n", " Jose\u{301} ", 80).unwrap().as_deref(),
            Some("José")
        );
    }

    #[test]
    fn single_line_refuses_controls_and_separators() {
        for bad in [
            "Curso X\r\nBcc: a@b.c",
            "a\0b",
            "a\tb",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{202E}b",
        ] {
            assert!(single_line("n", bad, 80).is_err(), "{bad:?}");
        }
        assert_eq!(single_line("n", "   ", 80).unwrap(), None);
        assert!(single_line("n", &"a".repeat(81), 80).is_err());
        assert!(single_line("n", &"ñ".repeat(80), 80).is_ok());
    }

    #[test]
    fn multi_line_keeps_line_breaks_only() {
        assert_eq!(
            multi_line("d", "uno\r\ndos\rtres\tcuatro", 100)
                .unwrap()
                .as_deref(),
            Some("uno\ndos\ntres\tcuatro")
        );
        assert!(multi_line("d", "a\0b", 100).is_err());
        assert!(multi_line("d", "a\u{1b}[31mb", 100).is_err());
    }

    #[test]
    fn certificate_text_refuses_what_the_fonts_cannot_draw() {
        assert!(certificate_text("n", "Gestión 📈 pública", 160).is_err());
        assert!(certificate_text("n", "公共管理", 160).is_err());
        assert_eq!(
            certificate_text("n", "Belén de los Andaquíes – Muñoz (2026)", 160)
                .unwrap()
                .as_deref(),
            Some("Belén de los Andaquíes – Muñoz (2026)")
        );
    }

    #[test]
    fn invisible_characters_are_refused_and_named() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{180E}',
            '\u{00AD}',
            '\u{034F}',
            '\u{2060}',
            '\u{2064}',
            '\u{206A}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{115F}',
            '\u{1160}',
            '\u{3164}',
            '\u{FFA0}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{E0000}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{202E}',
            '\u{2067}',
        ] {
            let text = format!("Gestión{c} pública");
            let code = format!("«U+{:04X}»", u32::from(c));
            for result in [
                single_line("name", &text, 160),
                multi_line("description", &text, 160),
                certificate_text("name", &text, 160),
            ] {
                let error = result.expect_err(&code);
                assert!(error.message.contains("invisibles"), "{code}: {error:?}");
                assert!(error.message.contains(&code), "{code}: {error:?}");
            }
            // Trailing ones are not trimmed away either.
            assert!(
                single_line("name", &format!("Gestión{c}"), 160).is_err(),
                "{code}"
            );
        }
        // Visible neighbours still pass.
        for ok in [
            "Gestión – pública",
            "Añoranza",
            "O'Neill-Pérez",
            "Ελλάδα",
            "Ж",
        ] {
            assert!(single_line("name", ok, 160).is_ok(), "{ok}");
        }
        let error = single_line("name", "a\u{200B}b\u{200F}c\u{200B}", 160).unwrap_err();
        assert!(
            error.message.contains("«U+200B», «U+200F»"),
            "each named once: {error:?}"
        );
    }

    #[test]
    fn emails_are_what_the_mailer_sends_to() {
        for ok in [
            "ana.perez@alcaldia.gov.co",
            "planeacion+cohortes@elpaujil-caqueta.gov.co",
            "o'neill@example.org",
        ] {
            assert!(is_email(ok), "{ok}");
            assert_eq!(email("email", ok).unwrap().as_deref(), Some(ok));
        }
        assert_eq!(
            email("email", "  Ana.Perez@Alcaldia.GOV.co ")
                .unwrap()
                .as_deref(),
            Some("ana.perez@alcaldia.gov.co")
        );
        assert_eq!(email("email", "   ").unwrap(), None);
        for bad in [
            "ana,perez@alcaldia.gov.co",
            "ana perez@alcaldia.gov.co",
            "ana@alcaldia..gov.co",
            "ana@@alcaldia.gov.co",
            "ana(x)@alcaldia.gov.co",
            "<ana@alcaldia.gov.co>",
            "ana@localhost",
            "ana@.gov.co",
            "@alcaldia.gov.co",
            "ana@alcaldia.gov.co.",
            "ana@alcaldia.gov.co\r\nbcc:x@y.co",
        ] {
            assert!(!is_email(bad), "{bad}");
            assert!(email("email", bad).is_err(), "{bad}");
        }
        let long = format!("{}@alcaldia.gov.co", "a".repeat(250));
        assert!(!is_email(&long));
        // What passes is what the worker builds a message to.
        for ok in ["ana.perez@alcaldia.gov.co", "o'neill@example.org"] {
            assert!(ok.parse::<lettre::message::Mailbox>().is_ok());
        }
    }

    #[test]
    fn lists_are_bounded() {
        assert!(list_length("capacity_ids", LIST_MAX).is_ok());
        let error = list_length("capacity_ids", 40_000).unwrap_err();
        assert_eq!(error.field, "capacity_ids");
        assert!(error.message.contains("40.000"), "{error:?}");
        assert!(error.message.contains("5.000"), "{error:?}");
        let mut errors = Vec::new();
        assert!(list::<i32>("ids", None, &mut errors));
        assert!(list("ids", Some(&[1, 2, 3][..]), &mut errors));
        assert!(!list("ids", Some(&vec![0; LIST_MAX + 1][..]), &mut errors));
        assert_eq!(errors.len(), 1);
    }
}
