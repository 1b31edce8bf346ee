//! JSON read strictly: an object that holds a key twice is refused, at any depth.
//!
//! RFC 8259 leaves repeated names undefined, and readers disagree: serde_json (like most
//! parsers) keeps the last value, while a person reading the file sees the first. A signed
//! document with a forged `credentialSubject` first and the genuine one last would verify
//! here and be read as the forgery everywhere else. So every JSON this application reads from
//! a client — the API's bodies (`api::JsonBody`) and the credential checked on the
//! verification page — goes through [`parse`], and a repeated key is an error that names its
//! path. No client has a legitimate reason to send one.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// Why a text is not strict JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not JSON at all (or nested deeper than serde_json's limit of 128): where it breaks.
    Syntax { line: usize, column: usize },
    /// An object holds this key twice; the key's path, as `credentialSubject.name` or
    /// `items[2].id`.
    DuplicateKey(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax { line, column } => {
                write!(f, "No es JSON válido (línea {line}, columna {column}).")
            }
            Error::DuplicateKey(path) => write!(f, "{}", duplicate_message(path)),
        }
    }
}

/// The Spanish explanation of a repeated key at `path`.
pub fn duplicate_message(path: &str) -> String {
    format!(
        "El campo «{path}» aparece más de una vez en el mismo objeto: un JSON con campos \
         repetidos se puede leer de dos maneras y no se acepta. Envíe cada campo una sola vez."
    )
}

/// Parses `text` as one JSON value, refusing an object with a repeated key anywhere in it.
pub fn parse(text: &str) -> Result<Value, Error> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = Strict {
        at: &Segment::Root,
        duplicate: &duplicate,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    match (parsed, duplicate.into_inner()) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(path)) => Err(Error::DuplicateKey(path)),
        (Err(error), None) => Err(Error::Syntax {
            line: error.line(),
            column: error.column(),
        }),
    }
}

/// Where a value sits in the document, rendered only when a key repeats.
enum Segment<'a> {
    Root,
    Key(&'a Segment<'a>, &'a str),
    Index(&'a Segment<'a>, usize),
}

impl Segment<'_> {
    fn render(&self, out: &mut String) {
        match self {
            Segment::Root => {}
            Segment::Key(parent, key) => {
                parent.render(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(parent, index) => {
                parent.render(out);
                out.push_str(&format!("[{index}]"));
            }
        }
    }
}

/// A value at `at`; a repeated key is written into `duplicate` before failing, so the caller
/// can tell it from broken JSON.
struct Strict<'a> {
    at: &'a Segment<'a>,
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        // JSON numbers are finite; `from` gives Null otherwise, as serde_json's own Value does.
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let at = Segment::Index(self.at, items.len());
            let seed = Strict {
                at: &at,
                duplicate: self.duplicate,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = Segment::Key(self.at, &key);
            if object.contains_key(&key) {
                let mut path = String::new();
                at.render(&mut path);
                let message = duplicate_message(&path);
                *self.duplicate.borrow_mut() = Some(path);
                return Err(de::Error::custom(message));
            }
            let value = map.next_value_seed(Strict {
                at: &at,
                duplicate: self.duplicate,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_without_repeated_keys_reads_as_serde_json_does() {
        for text in [
            r#"{"a": 1, "b": [true, null, -2, 3.5, "x\u00e9"], "c": {"d": {}}}"#,
            "[]",
            "\"texto\"",
            "12345678901234567890",
            "-0.0",
            r#"[{"a": 1}, {"a": 2}]"#,
            r#"{"a": {"b": 1}, "c": {"b": 2}}"#,
        ] {
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn a_repeated_key_is_refused_with_its_path_at_any_depth() {
        let cases = [
            (r#"{"a": 1, "a": 2}"#, "a"),
            (
                r#"{"credentialSubject": {"name": "Falsa"}, "credentialSubject": {"name": "Real"}}"#,
                "credentialSubject",
            ),
            (
                r#"{"credentialSubject": {"name": "Falsa", "name": "Real"}}"#,
                "credentialSubject.name",
            ),
            (
                r#"{"items": [{"id": 1}, {"id": 2, "id": 3}]}"#,
                "items[1].id",
            ),
            (r#"[[{"x": {"y": 1, "y": 1}}]]"#, "[0][0].x.y"),
        ];
        for (text, path) in cases {
            assert_eq!(
                parse(text),
                Err(Error::DuplicateKey(path.to_string())),
                "{text}"
            );
            assert!(
                serde_json::from_str::<Value>(text).is_ok(),
                "serde_json alone accepts it"
            );
        }
        let message = parse(r#"{"a": 1, "a": 1}"#).unwrap_err().to_string();
        assert!(message.contains("«a» aparece más de una vez"), "{message}");
    }

    #[test]
    fn broken_json_is_a_syntax_error_with_its_place() {
        assert_eq!(
            parse("{no es json"),
            Err(Error::Syntax { line: 1, column: 2 })
        );
        assert!(matches!(parse("{} {}"), Err(Error::Syntax { .. })));
        assert!(matches!(parse(""), Err(Error::Syntax { .. })));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(parse(&deep), Err(Error::Syntax { .. })));
        assert_eq!(parse(" [1] "), Ok(json!([1])));
    }
}
