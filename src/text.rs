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
