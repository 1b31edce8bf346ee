//! Small text helpers shared by search and imports.

/// Lower case without Spanish diacritics, for accent-insensitive search ("Paujíl" → "paujil").
pub fn fold(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// The key Spanish speakers sort names by: case and accents ignored (Édgar before Yurany),
/// and «ñ» right after «n» (Nelly, Ñusta, Óscar).
pub fn sort_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for c in fold(&text.replace(['ñ', 'Ñ'], "\u{1}")).chars() {
        if c == '\u{1}' {
            key.push_str("n\u{7f}");
        } else {
            key.push(c);
        }
    }
    key
}

/// Orders two names as Spanish speakers expect ([`sort_key`]).
pub fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    sort_key(a).cmp(&sort_key(b))
}

/// Characters kept as they are in a URL component: letters, digits and `-_.~` (RFC 3986's
/// unreserved set); everything else is percent-encoded.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a URL component (a query value, a form field).
pub fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn folds_accents_and_case() {
        assert_eq!(super::fold(" El Paujíl "), "el paujil");
        assert_eq!(
            super::fold("BELÉN DE LOS ANDAQUÍES"),
            "belen de los andaquies"
        );
        assert_eq!(super::fold("Güicán de la Sierra"), "guican de la sierra");
        assert_eq!(super::fold("Nariño"), "narino");
    }
}
