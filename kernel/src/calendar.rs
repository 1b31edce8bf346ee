//! iCalendar (RFC 5545) files for cohort and session calendars:
//!
//! ```text
//! pub struct Event { uid, starts_at, ends_at, summary, location, description, url }
//! pub fn calendar(name: &str, events: &[Event]) -> String
//! pub fn uid(local: &str, public_url: &str) -> String   // "sesion-42@aula.example.gov.co"
//! pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";
//! ```
//!
//! One `VCALENDAR` with `METHOD:PUBLISH` (a feed people subscribe to or import, not an
//! invitation) and one `VEVENT` per event. Times are written in UTC (`…Z`), which every client
//! converts to its own zone, so no `VTIMEZONE` is needed; `X-WR-TIMEZONE:America/Bogota` only
//! tells clients which zone to show the calendar in. Text is escaped (`\`, `;`, `,`, line
//! breaks), lines are folded at 75 octets without splitting a UTF-8 character, and every line
//! ends in CRLF. The web layer serves it as `spreadsheets::Download::calendar`.

use chrono::{DateTime, Utc};

/// The media type of [`calendar`]'s output.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

const PRODID: &str = "-//ESAP//Aula Territorial//ES";
/// RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break.
const MAX_LINE_OCTETS: usize = 75;

/// One event (a session of a cohort, an assessment deadline…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Globally unique and stable across exports, so clients update instead of duplicating:
    /// e.g. `sesion-42@aulaterritorial.esap.gov.co`.
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    /// A link to the session page or the virtual room.
    pub url: Option<String>,
}

/// An event's UID, unique to this installation (issue 67): `{local}@{host}`, the host (and
/// port, when the URL names one) of the installation's `public_url`, lowercased. Two
/// installations never share a host, so a person who subscribes to both never sees one
/// installation's «sesion-1» replace the other's. A `public_url` without `scheme://` is taken
/// as a host.
pub fn uid(local: &str, public_url: &str) -> String {
    let rest = public_url
        .trim()
        .split_once("://")
        .map_or(public_url.trim(), |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Credentials in the URL (`user:pass@host`) are never part of an identifier.
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{local}@{}", host.to_ascii_lowercase())
}

/// The calendar named `name` with these events, stamped now.
pub fn calendar(name: &str, events: &[Event]) -> String {
    render(name, events, crate::time::now())
}

fn render(name: &str, events: &[Event], stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |content: String| push_folded(&mut out, &content);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line(format!("PRODID:{PRODID}"));
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape_text(name)));
    line("X-WR-TIMEZONE:America/Bogota".into());
    for event in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape_text(&event.uid)));
        line(format!("DTSTAMP:{}", utc(stamp)));
        line(format!("DTSTART:{}", utc(event.starts_at)));
        // DTEND must not be before DTSTART; a zero-length event is still valid.
        line(format!("DTEND:{}", utc(event.ends_at.max(event.starts_at))));
        line(format!("SUMMARY:{}", escape_text(&event.summary)));
        if let Some(location) = &event.location {
            line(format!("LOCATION:{}", escape_text(location)));
        }
        if let Some(description) = &event.description {
            line(format!("DESCRIPTION:{}", escape_text(description)));
        }
        if let Some(url) = &event.url {
            // A URI is not TEXT: no backslash escapes (commas are legal), but nothing that
            // could end the line either.
            let url: String = url.chars().filter(|c| !c.is_control()).collect();
            line(format!("URL:{}", url.trim()));
        }
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// `20260311T043000Z`
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// RFC 5545 §3.3.11 TEXT: `\` `;` `,` escaped, every line break as `\n`, other control
/// characters (but tab) dropped.
fn escape_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets (continuations start with one space, which
/// counts towards their 75), never inside a UTF-8 character, and ended by CRLF.
fn push_folded(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn unfold(text: &str) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for raw in text.split("\r\n") {
            if let Some(continuation) = raw.strip_prefix(' ') {
                lines
                    .last_mut()
                    .expect("a continuation follows a line")
                    .push_str(continuation);
            } else if !raw.is_empty() {
                lines.push(raw.to_string());
            }
        }
        lines
    }

    fn value<'a>(lines: &'a [String], name: &str) -> Vec<&'a str> {
        lines
            .iter()
            .filter_map(|line| line.strip_prefix(&format!("{name}:")))
            .collect()
    }

    /// The inverse of `escape_text`, as a client reads TEXT.
    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') | Some('N') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    fn session() -> Event {
        let date = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        Event {
            uid: "sesion-42@aulaterritorial.esap.gov.co".into(),
            starts_at: crate::time::from_local(date, 23, 30),
            ends_at: crate::time::from_local(date, 23, 59),
            summary: "Sesión 3: Planeación territorial; PDT, POT y presupuesto \\ anexos".into(),
            location: Some("Alcaldía de Belén de los Andaquíes, Caquetá".into()),
            description: Some(
                "Primera línea\r\nSegunda línea con acentos: áéíóú ñ — y un texto largo que \
                 obliga a doblar la línea más de una vez para que ninguna supere los setenta \
                 y cinco octetos 🎓🎓🎓🎓🎓"
                    .into(),
            ),
            url: Some("https://aulaterritorial.esap.gov.co/sesiones/42?a=1,2".into()),
        }
    }

    #[test]
    fn writes_a_valid_feed_that_parses_back() {
        let stamp = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let event = session();
        let text = render(
            "Cohorte 2026-1, Caquetá; gestión",
            std::slice::from_ref(&event),
            stamp,
        );

        // CRLF everywhere, nothing else breaks lines, every physical line ≤ 75 octets.
        assert!(text.ends_with("\r\n"));
        assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
        assert_eq!(text.matches('\r').count(), text.matches("\r\n").count());
        for physical in text.split("\r\n") {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical}",
                physical.len()
            );
        }
        // The long description really was folded (twice or more), and never inside a
        // character: every physical line is valid UTF-8 on its own.
        let folded = text.split("\r\n").filter(|l| l.starts_with(' ')).count();
        assert!(folded >= 2, "{text}");
        for physical in text.as_bytes().split(|b| *b == b'\n') {
            assert!(std::str::from_utf8(physical).is_ok());
        }

        let lines = unfold(&text);
        assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
        assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
        assert_eq!(value(&lines, "VERSION"), ["2.0"]);
        assert_eq!(value(&lines, "PRODID"), [PRODID]);
        assert_eq!(value(&lines, "METHOD"), ["PUBLISH"]);
        assert_eq!(value(&lines, "X-WR-TIMEZONE"), ["America/Bogota"]);
        assert_eq!(
            value(&lines, "X-WR-CALNAME"),
            ["Cohorte 2026-1\\, Caquetá\\; gestión"]
        );
        assert_eq!(value(&lines, "BEGIN"), ["VCALENDAR", "VEVENT"]);
        assert_eq!(value(&lines, "DTSTAMP"), ["20260301T120000Z"]);
        // 23:30 in Bogotá (UTC−5) is 04:30 UTC the next day.
        assert_eq!(value(&lines, "DTSTART"), ["20260311T043000Z"]);
        assert_eq!(value(&lines, "DTEND"), ["20260311T045900Z"]);
        assert_eq!(value(&lines, "UID"), [event.uid.as_str()]);

        let summary = value(&lines, "SUMMARY")[0];
        assert_eq!(
            summary,
            "Sesión 3: Planeación territorial\\; PDT\\, POT y presupuesto \\\\ anexos"
        );
        assert_eq!(unescape(summary), event.summary);
        let description = value(&lines, "DESCRIPTION")[0];
        assert!(description.starts_with("Primera línea\\nSegunda línea"));
        assert_eq!(
            unescape(description),
            event.description.as_deref().unwrap().replace("\r\n", "\n")
        );
        assert_eq!(
            unescape(value(&lines, "LOCATION")[0]),
            event.location.clone().unwrap()
        );
        // URIs keep their commas.
        assert_eq!(
            value(&lines, "URL"),
            ["https://aulaterritorial.esap.gov.co/sesiones/42?a=1,2"]
        );
    }

    #[test]
    fn a_uid_carries_the_installation_s_host() {
        assert_eq!(
            uid("sesion-42", "https://Aula.ESAP.gov.co/"),
            "sesion-42@aula.esap.gov.co"
        );
        assert_eq!(
            uid("sesion-1", "http://127.0.0.1:8000/aula?x=1"),
            "sesion-1@127.0.0.1:8000"
        );
        assert_eq!(
            uid("sesion-1", "https://user:secret@otra.gobernacion.gov.co"),
            "sesion-1@otra.gobernacion.gov.co"
        );
        assert_ne!(
            uid("sesion-1", "https://aula.esap.gov.co"),
            uid("sesion-1", "https://aula.antioquia.gov.co")
        );
    }

    #[test]
    fn optional_fields_are_left_out_and_bad_input_cannot_inject_lines() {
        let stamp = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 4, 1, 13, 0, 0).unwrap();
        let event = Event {
            uid: "u1".into(),
            starts_at: start,
            ends_at: start - chrono::Duration::hours(1),
            summary: "Cierre\nEND:VEVENT\rBEGIN:VEVENT".into(),
            location: None,
            description: None,
            url: Some("https://x.example/a\r\nX-EVIL:1".into()),
        };
        let lines = unfold(&render("", &[event], stamp));
        assert!(value(&lines, "LOCATION").is_empty());
        assert!(value(&lines, "DESCRIPTION").is_empty());
        assert_eq!(value(&lines, "END"), ["VEVENT", "VCALENDAR"]);
        assert!(value(&lines, "X-EVIL").is_empty());
        assert_eq!(value(&lines, "URL"), ["https://x.example/aX-EVIL:1"]);
        assert_eq!(
            value(&lines, "SUMMARY"),
            ["Cierre\\nEND:VEVENT\\nBEGIN:VEVENT"]
        );
        // An end before the start becomes a zero-length event.
        assert_eq!(value(&lines, "DTEND"), value(&lines, "DTSTART"));
        assert_eq!(value(&lines, "X-WR-CALNAME"), [""]);
    }

    #[test]
    fn folding_respects_character_boundaries() {
        // 3-octet characters: 75 is a multiple of 3 but 74 is not, so continuations must
        // stop short of the limit.
        let mut out = String::new();
        push_folded(&mut out, &"€".repeat(100));
        let physical: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(physical.iter().all(|l| l.len() <= 75));
        assert_eq!(physical[0].len(), 75);
        assert_eq!(physical[1].len(), 1 + 72);
        let joined: String = physical
            .iter()
            .enumerate()
            .map(|(i, l)| if i == 0 { *l } else { &l[1..] })
            .collect();
        assert_eq!(joined, "€".repeat(100));
        // A line of exactly 75 octets is not folded.
        let mut out = String::new();
        push_folded(&mut out, &"a".repeat(75));
        assert_eq!(out, format!("{}\r\n", "a".repeat(75)));
    }

    #[test]
    fn the_public_entry_point_stamps_now() {
        let text = calendar("Sesiones", &[session()]);
        let lines = unfold(&text);
        let stamp = value(&lines, "DTSTAMP")[0];
        assert_eq!(stamp.len(), 16);
        assert!(stamp.ends_with('Z'));
    }
}
