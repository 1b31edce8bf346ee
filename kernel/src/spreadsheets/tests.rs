//! Exports read back with calamine and by looking inside the zip; imports of the files people
//! really upload; refusals; templates.

use super::*;
use crate::error::AppError;
use calamine::{Data, Reader, Xlsx};
use chrono::{NaiveDate, TimeZone, Utc};
use std::io::{Cursor, Read};

fn part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("an xlsx is a zip");
    let mut file = archive.by_name(name).expect("part exists");
    let mut text = String::new();
    file.read_to_string(&mut text).expect("part is UTF-8");
    text
}

fn has_part(bytes: &[u8], name: &str) -> bool {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("an xlsx is a zip");
    archive.by_name(name).is_ok()
}

/// The `s` (style index) attribute of cell `reference` in a sheet's XML.
fn style_of(sheet_xml: &str, reference: &str) -> usize {
    let start = sheet_xml
        .find(&format!("<c r=\"{reference}\""))
        .unwrap_or_else(|| panic!("cell {reference} not found"));
    let cell = &sheet_xml[start..];
    let cell = &cell[..cell.find('>').unwrap()];
    let s = cell.split(" s=\"").nth(1).expect("cell has a style");
    s[..s.find('"').unwrap()].parse().unwrap()
}

/// The `<xf …>` of a cell style index in styles.xml.
fn cell_xf(styles_xml: &str, index: usize) -> String {
    let start = styles_xml.find("<cellXfs").unwrap();
    let end = styles_xml.find("</cellXfs>").unwrap();
    styles_xml[start..end]
        .split("<xf ")
        .nth(index + 1)
        .expect("style exists")
        .to_string()
}

fn field_message(error: &AppError) -> String {
    let errors = error.field_errors();
    assert_eq!(errors.len(), 1, "{error:?}");
    assert_eq!(errors[0].field, "file");
    errors[0].message.clone()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const HYPERLINK: &str = "=HYPERLINK(\"http://x\")";

fn sample_export() -> Vec<u8> {
    let at = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
    let filters = vec![
        ("Departamento".to_string(), "Caquetá".to_string()),
        ("Estado".to_string(), "Activa".to_string()),
    ];
    let mut book = ExportBook::new_at(
        "Participantes de la cohorte 2026-1",
        &filters,
        "coordinacion@aulaterritorial.example",
        at,
    );
    let columns = [
        Column::code("Documento", 14.0),
        Column::code("Código DANE", 10.0),
        Column::text("Nombre", 30.0),
        Column::integer("Horas", 8.0),
        Column::percent("Asistencia", 11.0),
        Column::date("Inscripción", 12.0),
    ];
    let mut sheet = book.sheet("Participantes", &columns).unwrap();
    sheet
        .row(&[
            "0012345".into(),
            "05001".into(),
            HYPERLINK.into(),
            40i64.into(),
            0.875.into(),
            date(2026, 3, 10).into(),
        ])
        .unwrap();
    sheet
        .row(&[
            Cell::Int(1_234_567),
            Cell::Number(18001.0),
            "+57 300".into(),
            Cell::Int(32),
            Cell::Number(0.5),
            Cell::Empty,
        ])
        .unwrap();
    sheet
        .row(&["0000001".into(), "18256".into(), "-5".into()])
        .unwrap();
    sheet
        .row(&[
            "79000111".into(),
            "50325".into(),
            "@user".into(),
            Cell::Number(f64::NAN),
            Cell::from(None::<f64>),
            date(2026, 1, 31).into(),
        ])
        .unwrap();
    sheet
        .row(&[
            "1122334455".into(),
            "18094".into(),
            "Belén de los Andaquíes — María Ñáñez".into(),
            Cell::Int(16),
            Cell::Number(1.0),
            date(2025, 12, 1).into(),
        ])
        .unwrap();
    assert_eq!(sheet.rows_written(), 5);
    sheet
        .add_chart(ChartKind::Column, "Asistencia por participante", 2, &[4])
        .unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn export_keeps_codes_as_text_and_never_writes_formulas() {
    let bytes = sample_export();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Participantes"]);
    let range = book.worksheet_range("Participantes").unwrap();
    let at = |row: u32, col: u32| range.get_value((row, col)).cloned().unwrap_or(Data::Empty);
    let text = |value: &str| Data::String(value.to_string());

    // The header block: what, which filters, who and when (12:00 UTC = 07:00 in Bogotá).
    assert_eq!(at(0, 0), text("Participantes de la cohorte 2026-1"));
    assert_eq!(
        at(1, 0),
        text("Filtros: Departamento: Caquetá · Estado: Activa")
    );
    assert_eq!(
        at(2, 0),
        text(
            "Generado por coordinacion@aulaterritorial.example el 10 mar. 2026 a las 7:00 a. m. \
             (hora de Colombia)"
        )
    );
    assert_eq!(at(3, 0), Data::Empty);
    assert_eq!(at(4, 0), text("Documento"));
    assert_eq!(at(4, 5), text("Inscripción"));

    // Codes are strings with their zeros, whatever the caller passed.
    assert_eq!(at(5, 0), text("0012345"));
    assert_eq!(at(5, 1), text("05001"));
    assert_eq!(at(6, 0), text("1234567"));
    assert_eq!(at(6, 1), text("18001"));
    assert_eq!(at(7, 0), text("0000001"));
    // Formula-looking text is text, unchanged.
    assert_eq!(at(5, 2), text(HYPERLINK));
    assert_eq!(at(6, 2), text("+57 300"));
    assert_eq!(at(7, 2), text("-5"));
    assert_eq!(at(8, 2), text("@user"));
    assert_eq!(at(9, 2), text("Belén de los Andaquíes — María Ñáñez"));
    // Numbers, percentages and dates are real numbers and dates.
    assert_eq!(at(5, 3), Data::Float(40.0));
    assert_eq!(at(5, 4), Data::Float(0.875));
    match at(5, 5) {
        Data::DateTime(value) => {
            let (y, m, d, ..) = value.to_ymd_hms_milli();
            assert_eq!((y, m, d), (2026, 3, 10));
        }
        other => panic!("expected a date, got {other:?}"),
    }
    // NaN and None leave the cell empty.
    assert_eq!(at(8, 3), Data::Empty);
    assert_eq!(at(8, 4), Data::Empty);
    assert_eq!(range.end(), Some((9, 5)));

    // No formula anywhere, as calamine's formula reader sees it…
    let formulas = book.worksheet_formula("Participantes").unwrap();
    assert!(formulas.rows().flatten().all(String::is_empty));
    // …and as the XML says.
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "{sheet}");
    // Constant-memory mode writes inline strings.
    assert!(sheet.contains("t=\"inlineStr\""));
    // Header block and title row frozen; autofilter over the whole table.
    assert!(
        sheet.contains(
            "<pane ySplit=\"5\" topLeftCell=\"A6\" activePane=\"bottomLeft\" state=\"frozen\"/>"
        ),
        "{sheet}"
    );
    assert!(sheet.contains("<autoFilter ref=\"A5:F10\"/>"), "{sheet}");
    assert!(
        sheet.contains("<col min=\"3\" max=\"3\" width=\"30.7109375\""),
        "{sheet}"
    );

    // The formula-looking cells carry the quote prefix; ordinary text does not.
    let styles = part(&bytes, "xl/styles.xml");
    for reference in ["C6", "C7", "C8", "C9"] {
        let xf = cell_xf(&styles, style_of(&sheet, reference));
        assert!(xf.contains("quotePrefix=\"1\""), "{reference}: {xf}");
    }
    for reference in ["C10", "A6", "B6"] {
        let xf = cell_xf(&styles, style_of(&sheet, reference));
        assert!(!xf.contains("quotePrefix"), "{reference}: {xf}");
    }
    // Text columns are formatted as text (@ is built-in number format 49).
    let xf = cell_xf(&styles, style_of(&sheet, "A6"));
    assert!(xf.contains("numFmtId=\"49\""), "{xf}\n{styles}");
    assert!(styles.contains("formatCode=\"0.0%\""));
    assert!(styles.contains("formatCode=\"dd/mm/yyyy\""));
    // Cells written without a format of their own take their column's (issue 36): hours show
    // thousands separators, attendance a percentage, like the column's empty cells.
    let format_id = |code: &str| {
        let marker = format!("formatCode=\"{code}\"");
        let at = styles
            .find(&marker)
            .unwrap_or_else(|| panic!("{code}: {styles}"));
        let head = &styles[..at];
        let id = &head[head.rfind("numFmtId=\"").unwrap() + 10..];
        id[..id.find('"').unwrap()].to_string()
    };
    for (reference, code) in [("D6", "#,##0"), ("E6", "0.0%"), ("E7", "0.0%")] {
        let xf = cell_xf(&styles, style_of(&sheet, reference));
        assert!(
            xf.contains(&format!("numFmtId=\"{}\"", format_id(code))),
            "{reference}: {xf}"
        );
    }
    assert!(sheet.contains("<col min=\"4\" max=\"4\""), "{sheet}");

    // The chart draws the table's rows.
    let chart = part(&bytes, "xl/charts/chart1.xml");
    assert!(
        chart.contains("<c:f>Participantes!$C$6:$C$10</c:f>"),
        "{chart}"
    );
    assert!(
        chart.contains("<c:f>Participantes!$E$6:$E$10</c:f>"),
        "{chart}"
    );
    assert!(chart.contains("<c:f>Participantes!$E$5</c:f>"), "{chart}");
    assert!(chart.contains("Asistencia por participante"));
    assert!(chart.contains("<c:barDir val=\"col\"/>"), "{chart}");
    assert!(chart.contains("<c:numFmt formatCode=\"0%\""), "{chart}");
    assert!(has_part(&bytes, "xl/drawings/drawing1.xml"));

    let core = part(&bytes, "docProps/core.xml");
    assert!(core.contains("Participantes de la cohorte 2026-1"));
}

#[test]
fn an_export_reads_back_through_the_importer() {
    let bytes = sample_export();
    let table =
        read_upload_requiring(&bytes, "participantes.xlsx", &["Documento", "Código DANE"]).unwrap();
    assert_eq!(
        table.headers,
        [
            "documento",
            "codigo_dane",
            "nombre",
            "horas",
            "asistencia",
            "inscripcion"
        ]
    );
    assert_eq!(table.rows.len(), 5);
    let first = &table.rows[0];
    assert_eq!(first.number, 6);
    assert_eq!(first.get("documento"), "0012345");
    assert_eq!(first.get("codigo_dane"), "05001");
    assert_eq!(first.get("nombre"), HYPERLINK);
    assert_eq!(first.get("horas"), "40");
    assert_eq!(first.get("asistencia"), "0.875");
    assert_eq!(first.get("inscripcion"), "2026-03-10");
    assert_eq!(table.rows[2].get("inscripcion"), "");
    assert_eq!(table.rows[4].number, 10);
}

#[test]
fn large_exports_stream_and_filter_every_row() {
    let mut book = ExportBook::new("Asistencia", &[], "admin");
    let notes = vec!["Cohorte: Gestión tributaria 2026-1".to_string()];
    let columns = [
        Column::code("Documento", 14.0),
        Column::decimal("Nota", 8.0, 1),
        Column::integer("Sesiones", 8.0),
    ];
    let mut sheet = book
        .sheet_with_notes("Asistencia", &notes, &columns)
        .unwrap();
    for n in 0..3000i64 {
        sheet
            .row(&[
                format!("{n:08}").into(),
                Cell::Number(3.5),
                Cell::Int(n % 10),
            ])
            .unwrap();
    }
    assert_eq!(sheet.rows_written(), 3000);
    // A row wider than the table is a programming error.
    assert!(matches!(
        sheet.row(&[Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]),
        Err(AppError::Internal(_))
    ));
    assert!(sheet.add_chart(ChartKind::Bar, "x", 0, &[3]).is_err());
    assert!(sheet.add_chart(ChartKind::Bar, "x", 0, &[]).is_err());
    let bytes = book.save_to_buffer().unwrap();
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    // Title, filters, generated, one note, blank: the header is row 6.
    assert!(
        sheet.contains("<autoFilter ref=\"A6:C3006\"/>"),
        "autofilter"
    );
    assert!(sheet.contains("topLeftCell=\"A7\""));
    assert!(sheet.contains("<is><t>00002999</t></is>"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Asistencia").unwrap();
    assert_eq!(
        range.get_value((1, 0)),
        Some(&Data::String(
            "Filtros: ninguno (todos los registros a los que tiene acceso)".into()
        ))
    );
    assert_eq!(
        range.get_value((3, 0)),
        Some(&Data::String("Cohorte: Gestión tributaria 2026-1".into()))
    );
}

#[test]
fn sheet_names_are_made_valid_and_unique() {
    let mut book = ExportBook::new("Informe", &[], "admin");
    let columns = [Column::text("A", 10.0)];
    let long = "Asistencia: Cohorte [1]/2026 de gestión tributaria";
    for name in [long, long, "", "participantes", "Participantes"] {
        let mut sheet = book.sheet(name, &columns).unwrap();
        sheet.row(&["x".into()]).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Asistencia- Cohorte -1--2026 de",
            "Asistencia- Cohorte -1--202 (2)",
            "Hoja",
            "participantes",
            "Participantes (2)"
        ]
    );
    assert!(book.sheet_names().iter().all(|n| n.chars().count() <= 31));
    assert!(matches!(
        ExportBook::new("x", &[], "y").save_to_buffer(),
        Err(AppError::Internal(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Imports

#[test]
fn xlsx_import_reads_numbers_as_people_typed_them() {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    let time_format = Format::new().set_num_format("hh:mm");
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    let headers = [
        "Número de Documento",
        "  NOMBRES  ",
        "Municipio DANE",
        "Correo ELECTRÓNICO",
        "Fecha de nacimiento",
        "",
        "Nota",
        "Hora de llegada",
    ];
    for (col, header) in (0u16..).zip(headers) {
        sheet
            .write_string_with_format(0, col, header, &bold)
            .unwrap();
    }
    // Row 2: numbers typed as numbers.
    sheet.write_number(1, 0, 1_234_567.0).unwrap();
    sheet.write_string(1, 1, "  Ana María  ").unwrap();
    sheet.write_number(1, 2, 5001.0).unwrap();
    sheet.write_string(1, 3, " ana@example.org ").unwrap();
    sheet
        .write_date_with_format(
            1,
            4,
            rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 5, 17).unwrap(),
            &date_format,
        )
        .unwrap();
    sheet.write_number(1, 6, 0.1 + 0.2).unwrap();
    sheet
        .write_number_with_format(1, 7, 0.3125, &time_format)
        .unwrap();
    // Row 3: text that looks like numbers, with zeros; a stray value in the untitled column.
    sheet.write_string(2, 0, "0098765432").unwrap();
    sheet.write_string(2, 1, "José Pérez").unwrap();
    sheet.write_string(2, 2, "05001").unwrap();
    sheet.write_string(2, 5, "ignorado").unwrap();
    sheet.write_number(2, 6, 3.5).unwrap();
    // Row 4: formatted but empty, and only spaces: skipped.
    sheet.write_blank(3, 0, &bold).unwrap();
    sheet.write_string(3, 1, "   ").unwrap();
    // Row 5: data again; a boolean; a huge document number.
    sheet.write_number(4, 0, 1_000_000_000_000.0).unwrap();
    sheet.write_boolean(4, 1, true).unwrap();
    // Row 6: only the untitled column: as good as empty.
    sheet.write_string(5, 5, "nada").unwrap();
    // Empty trailing rows, formatted as Excel leaves them.
    for row in 6..40 {
        sheet.write_blank(row, 0, &bold).unwrap();
        sheet.write_string(row, 3, "").unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();

    let table = read_upload(&bytes, "inscritos.xlsx").unwrap();
    assert_eq!(
        table.headers,
        [
            "numero_de_documento",
            "nombres",
            "municipio_dane",
            "correo_electronico",
            "fecha_de_nacimiento",
            "nota",
            "hora_de_llegada"
        ]
    );
    assert!(table.has("nombres") && !table.has("NOMBRES"));
    assert_eq!(
        table.rows.iter().map(|r| r.number).collect::<Vec<_>>(),
        [2, 3, 5]
    );
    let ana = &table.rows[0];
    assert_eq!(ana.get("numero_de_documento"), "1234567");
    assert_eq!(ana.get("nombres"), "Ana María");
    assert_eq!(ana.get("municipio_dane"), "5001");
    assert_eq!(ana.get("correo_electronico"), "ana@example.org");
    assert_eq!(ana.get("fecha_de_nacimiento"), "1990-05-17");
    assert_eq!(ana.get("nota"), "0.3");
    assert_eq!(ana.get("hora_de_llegada"), "07:30");
    assert_eq!(ana.cells.len(), table.headers.len());
    let jose = &table.rows[1];
    assert_eq!(jose.get("numero_de_documento"), "0098765432");
    assert_eq!(jose.get("municipio_dane"), "05001");
    assert_eq!(jose.get("nota"), "3.5");
    assert_eq!(jose.get("fecha_de_nacimiento"), "");
    assert_eq!(jose.get("no_existe"), "");
    let third = &table.rows[2];
    assert_eq!(third.get("numero_de_documento"), "1000000000000");
    assert_eq!(third.get("nombres"), "VERDADERO");

    // The file name does not matter when the content is a workbook.
    assert_eq!(read_upload(&bytes, "inscritos.csv").unwrap(), table);
}

#[test]
fn csv_with_bom_semicolons_quotes_and_crlf() {
    let text = "\u{feff}Número de documento; Nombres ;Municipio;Nota\r\n\
                0012345;\"Pérez; Ana\";Belén de los Andaquíes;3,5\r\n\
                ;;;\r\n\
                \r\n\
                  98765  ;José;\"El Paujíl\";4,0\r\n\
                ;;;\r\n\
                \r\n";
    let table = read_upload(text.as_bytes(), "inscritos.CSV").unwrap();
    assert_eq!(
        table.headers,
        ["numero_de_documento", "nombres", "municipio", "nota"]
    );
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[0].number, 2);
    assert_eq!(table.rows[0].get("numero_de_documento"), "0012345");
    assert_eq!(table.rows[0].get("nombres"), "Pérez; Ana");
    assert_eq!(table.rows[0].get("nota"), "3,5");
    assert_eq!(table.rows[1].number, 5);
    assert_eq!(table.rows[1].get("numero_de_documento"), "98765");
    assert_eq!(table.rows[1].get("municipio"), "El Paujíl");
}

#[test]
fn csv_in_latin1_and_with_commas() {
    // "Dirección,Municipio\r\n123,Belén\r\n" as Excel writes it in Windows-1252.
    let bytes = b"Direcci\xf3n,Municipio,Documento\r\nCalle 5 # 3-2,Bel\xe9n,0012345\n";
    let table = read_upload(bytes, "datos.csv").unwrap();
    assert_eq!(table.headers, ["direccion", "municipio", "documento"]);
    assert_eq!(table.rows[0].get("municipio"), "Belén");
    assert_eq!(table.rows[0].get("direccion"), "Calle 5 # 3-2");
    assert_eq!(table.rows[0].get("documento"), "0012345");
    // Windows-1252 beyond Latin-1: the euro sign and curly quotes.
    let table = read_upload(b"Concepto\n\x80 pagado \x93ya\x94\n", "c.txt").unwrap();
    assert_eq!(table.rows[0].get("concepto"), "€ pagado “ya”");
}

#[test]
fn csv_with_sep_line_utf16_and_tabs() {
    // Excel's hint line is not a row.
    let table = read_upload(b"sep=,\nA;B,C\n1;2,3\n", "x.csv").unwrap();
    assert_eq!(table.headers, ["a;b", "c"]);
    assert_eq!(table.rows[0].number, 2);
    assert_eq!(table.rows[0].get("a;b"), "1;2");
    let table = read_upload(b"sep=\t\r\nA,B\tC\r\n1,2\t3\r\n", "x.csv").unwrap();
    assert_eq!(table.headers, ["a,b", "c"]);
    assert_eq!(table.rows[0].get("c"), "3");
    // «Texto Unicode» from Excel: UTF-16LE with BOM, tab-separated.
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Nombre\tMunicipio\r\nAna\tMapiripán\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let table = read_upload(&bytes, "datos.txt").unwrap();
    assert_eq!(table.headers, ["nombre", "municipio"]);
    assert_eq!(table.rows[0].get("municipio"), "Mapiripán");
    // A single column.
    let table = read_upload("Documento\n1\n2\n".as_bytes(), "docs").unwrap();
    assert_eq!(table.rows.len(), 2);
}

#[test]
fn header_row_found_below_a_title_and_errors_name_the_columns() {
    let text = "LISTADO DE ASISTENTES - ALCALDÍA DE PUERTO RICO;;\n\
                Fecha: 10/03/2026;;\n\
                ;;\n\
                DOCUMENTO;Nombres y apellidos;Firma\n\
                123;Ana;\n";
    let table = read_upload_requiring(
        text.as_bytes(),
        "a.csv",
        &["Documento", "Nombres y apellidos"],
    )
    .unwrap();
    assert_eq!(table.headers, ["documento", "nombres_y_apellidos", "firma"]);
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].number, 5);
    // Without the requirement the first row is the header.
    let table = read_upload(text.as_bytes(), "a.csv").unwrap();
    assert_eq!(
        table.headers,
        ["listado_de_asistentes_-_alcaldia_de_puerto_rico"]
    );
    let error =
        read_upload_requiring(text.as_bytes(), "a.csv", &["Documento", "Correo"]).unwrap_err();
    assert_eq!(
        field_message(&error),
        "No encontramos la fila de encabezados: el archivo debe tener las columnas \
         «Documento», «Correo»."
    );
}

#[test]
fn duplicate_headers_and_empty_files_are_refused() {
    let error = read_upload("Nombre;NOMBRE\nA;B\n".as_bytes(), "a.csv").unwrap_err();
    assert_eq!(error.status_code(), 422);
    assert_eq!(
        field_message(&error),
        "La columna «NOMBRE» aparece dos veces en la fila de encabezados (fila 1)."
    );
    for empty in [&b""[..], b"  \r\n", b";;;\r\n;;\r\n", b"\xEF\xBB\xBF"] {
        let error = read_upload(empty, "a.csv").unwrap_err();
        assert_eq!(error.status_code(), 422, "{empty:?}");
    }
    // Headers without rows: an empty table, the caller decides.
    let table = read_upload(b"Documento;Nombre\r\n;\r\n", "a.csv").unwrap();
    assert_eq!(table.headers, ["documento", "nombre"]);
    assert!(table.rows.is_empty());
}

#[test]
fn what_is_not_a_spreadsheet_is_refused_in_spanish() {
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";
    for name in ["foto.png", "datos.csv", "datos", "datos.xlsx"] {
        let error = read_upload(png, name).unwrap_err();
        assert_eq!(error.status_code(), 422, "{name}");
        assert!(matches!(error, AppError::Validation(_)));
        let message = field_message(&error);
        assert!(
            message.contains(".xlsx"),
            "{name}: the message says what to upload: {message}"
        );
    }
    // Deterministic garbage.
    let mut state = 0x2545_F491_u32;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    let error = read_upload(&garbage, "datos.csv").unwrap_err();
    assert_eq!(
        field_message(&error),
        "El archivo no es una hoja de cálculo. Suba un libro de Excel (.xlsx) o un archivo de \
         texto separado por comas o por punto y coma (.csv)."
    );
    // A zip that is not a workbook, and a broken one.
    let error = read_upload(b"PK\x03\x04 not really a zip", "datos.xlsx").unwrap_err();
    assert!(field_message(&error).starts_with("No pudimos leer el libro de Excel"));
    // A text file that claims to be a workbook.
    let error = read_upload(b"Documento\n1\n", "datos.xlsx").unwrap_err();
    assert!(field_message(&error).starts_with("No pudimos leer el libro de Excel"));
    // Old Excel and password-protected workbooks share the OLE container.
    let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole.resize(2048, 0);
    let error = read_upload(&ole, "viejo.xls").unwrap_err();
    assert!(field_message(&error).contains("(.xls)"));
    // Another document type.
    assert!(read_upload(b"%PDF-1.7\n", "informe.pdf").is_err());
}

#[test]
fn oversized_uploads_are_413() {
    let bytes = vec![b'a'; MAX_UPLOAD_BYTES + 1];
    let error = read_upload(&bytes, "grande.csv").unwrap_err();
    assert!(matches!(error, AppError::TooLarge));
    assert_eq!(error.status_code(), 413);
    // Exactly the limit is read (rows of 1,500 characters: within the row and cell bounds).
    let mut bytes = b"Columna\n".to_vec();
    while bytes.len() < MAX_UPLOAD_BYTES {
        let room = MAX_UPLOAD_BYTES - bytes.len();
        bytes.extend(std::iter::repeat_n(b'x', room.min(1_499)));
        if bytes.len() < MAX_UPLOAD_BYTES {
            bytes.push(b'\n');
        }
    }
    assert_eq!(bytes.len(), MAX_UPLOAD_BYTES);
    assert!(read_upload(&bytes, "limite.csv").is_ok());
    // One cell of 5 MiB is within the byte limit but not the cell bound: a 422 that says so.
    let mut bytes = b"Columna\n".to_vec();
    bytes.resize(MAX_UPLOAD_BYTES, b'x');
    let error = read_upload(&bytes, "celda.csv").unwrap_err();
    assert_eq!(error.status_code(), 422);
    assert!(
        field_message(&error).contains("2.000 caracteres"),
        "{error:?}"
    );
}

#[test]
fn imports_are_bounded_in_rows_cells_and_columns() {
    // 5,000 data rows are read; 5,001 are refused, saying the limit.
    let mut csv = String::from("Documento\n");
    for n in 0..5_000 {
        csv.push_str(&format!("{n}\n"));
    }
    assert_eq!(
        read_upload(csv.as_bytes(), "a.csv").unwrap().rows.len(),
        5_000
    );
    csv.push_str("5000\n");
    let error = read_upload(csv.as_bytes(), "b.csv").unwrap_err();
    assert_eq!(error.status_code(), 422);
    assert!(
        field_message(&error).contains("más de 5.000 filas"),
        "{error:?}"
    );
    // A 100,000-row file stops being read once it is known to be too long.
    let big = "1;2\n".repeat(100_000);
    assert!(field_message(&read_upload(big.as_bytes(), "c.csv").unwrap_err()).contains("5.000"));
    // Columns beyond the 200th.
    let wide = format!("{}\n", vec!["x"; 201].join(";"));
    let error = read_upload(wide.as_bytes(), "d.csv").unwrap_err();
    assert!(field_message(&error).contains("200 columnas"), "{error:?}");
}

#[test]
fn zip_bombs_are_413() {
    use std::io::Write;
    // A small zip whose one part unpacks to 70 MiB of zeros.
    let mut buffer = Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut buffer);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer
            .start_file("xl/worksheets/sheet1.xml", options)
            .unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..70 {
            writer.write_all(&zeros).unwrap();
        }
        writer.finish().unwrap();
    }
    let bytes = buffer.into_inner();
    assert!(bytes.len() < MAX_UPLOAD_BYTES);
    let error = read_upload(&bytes, "bomba.xlsx").unwrap_err();
    assert_eq!(error.status_code(), 413);
}

#[test]
fn numbers_read_as_excel_shows_them() {
    use super::import::number_text;
    assert_eq!(number_text(1_234_567.0), "1234567");
    assert_eq!(number_text(5001.0), "5001");
    assert_eq!(number_text(-0.0), "0");
    assert_eq!(number_text(3.5), "3.5");
    assert_eq!(number_text(0.1 + 0.2), "0.3");
    assert_eq!(number_text(1_000_000_000_000.0), "1000000000000");
    assert_eq!(number_text(-42.0), "-42");
    assert_eq!(number_text(f64::NAN), "");
}

#[test]
fn headers_normalize_case_accents_and_spaces() {
    assert_eq!(
        normalize_header(" Número de  Documento "),
        "numero_de_documento"
    );
    assert_eq!(normalize_header("CORREO ELECTRÓNICO"), "correo_electronico");
    assert_eq!(normalize_header("Año\u{a0}de ingreso"), "ano_de_ingreso");
    assert_eq!(normalize_header("dane"), "dane");
}

// ---------------------------------------------------------------------------------------------
// Templates

#[test]
fn template_has_headers_example_and_drop_downs() {
    let kinds: &[&str] = &["CC", "CE", "TI", "PEP", "PPT"];
    let municipalities: Vec<String> = (0..200).map(|n| format!("Municipio {n:03}")).collect();
    let municipalities: Vec<&str> = municipalities.iter().map(String::as_str).collect();
    let with_commas: &[&str] = &["Sí, acepto", "No"];
    let bytes = template(
        "Inscripciones",
        &[
            ("Tipo de documento", Some(kinds)),
            ("Número de documento", None),
            ("Municipio", Some(&municipalities)),
            ("Nombres", None),
            ("Autoriza", Some(with_commas)),
        ],
        &["CC", "0012345", "Municipio 007", "=Ana"],
    )
    .unwrap();

    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<dataValidation type=\"list\""), "{sheet}");
    assert!(
        sheet.contains("<formula1>\"CC,CE,TI,PEP,PPT\"</formula1>"),
        "{sheet}"
    );
    assert!(sheet.contains("sqref=\"A2:A10001\""), "{sheet}");
    assert!(
        sheet.contains("<formula1>'Listas'!$A$1:$A$200</formula1>"),
        "{sheet}"
    );
    assert!(
        sheet.contains("<formula1>'Listas'!$B$1:$B$2</formula1>"),
        "{sheet}"
    );
    assert!(sheet.contains("state=\"frozen\""));
    assert!(sheet.contains("Valor no válido"));
    let workbook = part(&bytes, "xl/workbook.xml");
    assert!(
        workbook.contains("<sheet name=\"Listas\" sheetId=\"2\" state=\"hidden\""),
        "{workbook}"
    );

    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    let lists = book.worksheet_range("Listas").unwrap();
    assert_eq!(
        lists.get_value((199, 0)),
        Some(&Data::String("Municipio 199".into()))
    );
    assert_eq!(
        lists.get_value((0, 1)),
        Some(&Data::String("Sí, acepto".into()))
    );

    // What the importer makes of it: the headers it expects and the example as row 2.
    let table = read_upload(&bytes, "plantilla.xlsx").unwrap();
    assert_eq!(
        table.headers,
        [
            "tipo_de_documento",
            "numero_de_documento",
            "municipio",
            "nombres",
            "autoriza"
        ]
    );
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].number, 2);
    assert_eq!(table.rows[0].get("numero_de_documento"), "0012345");
    assert_eq!(table.rows[0].get("nombres"), "=Ana");
    let formulas = book.worksheet_formula("Inscripciones").unwrap();
    assert!(formulas.rows().flatten().all(String::is_empty));
    // Columns are text-formatted so typed codes keep their zeros.
    let styles = part(&bytes, "xl/styles.xml");
    assert!(sheet.contains("<col min=\"1\" max=\"1\""));
    let xf = cell_xf(&styles, style_of(&sheet, "B2"));
    assert!(xf.contains("numFmtId=\"49\""), "{xf}");
    assert!(cell_xf(&styles, style_of(&sheet, "D2")).contains("quotePrefix=\"1\""));

    assert!(template("x", &[], &[]).is_err());
    assert!(template("x", &[("a", None)], &["1", "2"]).is_err());
}

// ---------------------------------------------------------------------------------------------
#[test]
fn exports_can_cross_threads() {
    // Exports are built on blocking threads (`crate::blocking::run`), and tables cross them.
    fn assert_send<T: Send>() {}
    assert_send::<ExportBook>();
    assert_send::<ImportTable>();
}
