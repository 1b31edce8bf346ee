//! CSV files to publish (the open data sets): RFC 4180, written by hand because the quoting is
//! per column, which the csv crate (a writer-wide `QuoteStyle`) cannot do.
//!
//! - UTF-8 with a byte order mark: Excel, which most people open these files with, reads
//!   UTF-8 without it as Windows-1252 («BogotÃ¡»); datos.gov.co, pandas, readr and the csv
//!   crate skip it.
//! - Comma separator, `CRLF` line ends, a header row of the column names (bare: they are
//!   ASCII `snake_case`).
//! - Text fields are always quoted (`"05001"`, `"2026-03-01"`), with `"` doubled inside:
//!   importers that keep quoted fields as text (LibreOffice's «Formatear campos entre comillas
//!   como texto», datos.gov.co's column types) keep DIVIPOLA codes' leading zeros. A text
//!   that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets an apostrophe in
//!   front, so that a spreadsheet program does not run it as a formula (OWASP's CSV
//!   injection rule; the JSON files keep such text as it is).
//! - Numbers are bare; an absent number (a suppressed count) is an empty field.
//!
//! Two flavours of the same file ([`CsvFlavour`]), written by the same code: the standard one
//! (comma, for programs, datos.gov.co and the Data Package) and the one Excel opens with its
//! columns split where the list separator is `;` (Colombian Windows: decimal comma, so `;`
//! separates fields), with the same header, quoting, BOM and CRLF. The data sets hold whole
//! numbers only, so no decimal is ever written; a decimal column would be written with a
//! comma in the Excel flavour ([`CsvFlavour::decimal_separator`]).

/// One field of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvField {
    /// Always quoted.
    Text(String),
    /// Bare; `None` is an empty field.
    Number(Option<i64>),
}

impl From<&str> for CsvField {
    fn from(text: &str) -> Self {
        CsvField::Text(text.to_string())
    }
}

impl From<String> for CsvField {
    fn from(text: String) -> Self {
        CsvField::Text(text)
    }
}

impl From<i64> for CsvField {
    fn from(n: i64) -> Self {
        CsvField::Number(Some(n))
    }
}

impl From<i32> for CsvField {
    fn from(n: i32) -> Self {
        CsvField::Number(Some(i64::from(n)))
    }
}

impl From<Option<i64>> for CsvField {
    fn from(n: Option<i64>) -> Self {
        CsvField::Number(n)
    }
}

/// Which program the file is written for: the separator between fields and, for a decimal, the
/// decimal mark. Everything else (BOM, CRLF, quoting, header) is the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvFlavour {
    /// RFC 4180: comma separator (programs, datos.gov.co, Frictionless).
    Standard,
    /// Excel in Spanish (Colombia): `;` separator, decimal comma.
    ExcelColombia,
}

impl CsvFlavour {
    /// Both, standard first.
    pub const ALL: [CsvFlavour; 2] = [CsvFlavour::Standard, CsvFlavour::ExcelColombia];

    /// The field separator.
    pub fn delimiter(self) -> char {
        match self {
            CsvFlavour::Standard => ',',
            CsvFlavour::ExcelColombia => ';',
        }
    }

    /// The decimal mark a decimal number would be written with.
    pub fn decimal_separator(self) -> char {
        match self {
            CsvFlavour::Standard => '.',
            CsvFlavour::ExcelColombia => ',',
        }
    }

    /// What goes between the data set's name and `.csv` in its URL and file name: nothing, or
    /// `.excel`.
    pub fn suffix(self) -> &'static str {
        match self {
            CsvFlavour::Standard => "",
            CsvFlavour::ExcelColombia => ".excel",
        }
    }
}

/// The UTF-8 byte order mark every file starts with.
pub const BOM: &str = "\u{FEFF}";

/// A CSV file being written in memory: the header row, then [`CsvFile::row`] after row.
#[derive(Debug)]
pub struct CsvFile {
    out: String,
    columns: usize,
    delimiter: char,
}

impl CsvFile {
    /// A standard (comma) file with this header row.
    pub fn new(header: &[&str]) -> Self {
        Self::with_flavour(header, CsvFlavour::Standard)
    }

    /// A file of this flavour with this header row.
    pub fn with_flavour(header: &[&str], flavour: CsvFlavour) -> Self {
        let delimiter = flavour.delimiter();
        let mut out = String::with_capacity(4096);
        out.push_str(BOM);
        out.push_str(&header.join(&delimiter.to_string()));
        out.push_str("\r\n");
        CsvFile {
            out,
            columns: header.len(),
            delimiter,
        }
    }

    /// Appends a row. It has as many fields as the header (a row type's fields and its
    /// header are checked against each other by the data set's tests).
    pub fn row(&mut self, fields: &[CsvField]) {
        debug_assert_eq!(fields.len(), self.columns, "a row as wide as the header");
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(self.delimiter);
            }
            match field {
                CsvField::Text(text) => push_text(&mut self.out, text),
                CsvField::Number(Some(n)) => self.out.push_str(&n.to_string()),
                CsvField::Number(None) => {}
            }
        }
        self.out.push_str("\r\n");
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

/// `text` quoted, inner quotes doubled, with the apostrophe in front of formula-looking text.
fn push_text(out: &mut String, text: &str) {
    out.push('"');
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rows: &[Vec<CsvField>]) -> String {
        let mut f = CsvFile::new(&["codigo", "nombre", "n"]);
        for row in rows {
            f.row(row);
        }
        String::from_utf8(f.into_bytes()).unwrap()
    }

    #[test]
    fn text_is_quoted_numbers_are_bare_and_absent_numbers_are_empty() {
        let text = file(&[
            vec!["05001".into(), "Medellín".into(), 12i64.into()],
            vec!["18256".into(), "El Paujíl".into(), None.into()],
        ]);
        assert_eq!(
            text,
            "\u{FEFF}codigo,nombre,n\r\n\"05001\",\"Medellín\",12\r\n\"18256\",\"El Paujíl\",\r\n"
        );
    }

    #[test]
    fn quotes_commas_and_line_breaks_stay_inside_their_field() {
        let text = file(&[vec![
            "a\"b".into(),
            "uno, dos\r\ntres".into(),
            CsvField::Number(Some(-3)),
        ]]);
        assert!(
            text.ends_with("\"a\"\"b\",\"uno, dos\r\ntres\",-3\r\n"),
            "{text}"
        );
    }

    #[test]
    fn formula_looking_text_gets_an_apostrophe() {
        for (given, written) in [
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("+57", "\"'+57\""),
            ("-1", "\"'-1\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\tx", "\"'\tx\""),
            ("899999011-0", "\"899999011-0\""),
            ("", "\"\""),
        ] {
            let mut out = String::new();
            push_text(&mut out, given);
            assert_eq!(out, written, "{given:?}");
        }
    }

    #[test]
    fn the_excel_flavour_differs_only_in_its_separator() {
        let mut f = CsvFile::with_flavour(&["codigo", "nombre", "n"], CsvFlavour::ExcelColombia);
        f.row(&["05001".into(), "Medellín; Antioquia".into(), 12i64.into()]);
        f.row(&["08001".into(), "Barranquilla".into(), None.into()]);
        let text = String::from_utf8(f.into_bytes()).unwrap();
        assert_eq!(
            text,
            "\u{FEFF}codigo;nombre;n\r\n\"05001\";\"Medellín; Antioquia\";12\r\n\
             \"08001\";\"Barranquilla\";\r\n"
        );
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.strip_prefix(BOM).unwrap().as_bytes());
        let first = reader.records().next().unwrap().unwrap();
        assert_eq!(&first[1], "Medellín; Antioquia");
        assert_eq!(CsvFlavour::ExcelColombia.decimal_separator(), ',');
        assert_eq!(CsvFlavour::Standard.suffix(), "");
        assert_eq!(CsvFlavour::ExcelColombia.suffix(), ".excel");
    }

    /// What a real reader (the csv crate, which the uploads use) makes of the file: the same
    /// fields, leading zeros and all.
    #[test]
    fn the_csv_crate_reads_back_every_field() {
        let rows = vec![
            vec![
                CsvField::from("05001"),
                CsvField::from("a \"b\", c\nd"),
                CsvField::from(7i64),
            ],
            vec![
                CsvField::from("08001"),
                CsvField::from("Barranquilla"),
                CsvField::Number(None),
            ],
        ];
        let text = file(&rows);
        let body = text.strip_prefix(BOM).expect("a BOM");
        let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
        assert_eq!(
            reader.headers().unwrap(),
            &csv::StringRecord::from(vec!["codigo", "nombre", "n"])
        );
        let read: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(
            read,
            vec![
                vec!["05001", "a \"b\", c\nd", "7"],
                vec!["08001", "Barranquilla", ""],
            ]
        );
    }
}
