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
