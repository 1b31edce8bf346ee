use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn sample() -> CertificateDocument {
    CertificateDocument {
        code: "7KQ9-M3XR-T2HW-PZ4N-C8DV".into(),
        full_name: "Ñuño Güiza Peña".into(),
        document_type: "CC".into(),
        document_number: "1117543210".into(),
        course_name: "Gestión Tributaria".into(),
        capacity_names: vec!["Movilización de recursos".into()],
        hours: 40,
        start_date: date(2026, 2, 2),
        end_date: date(2026, 3, 13),
        municipality_name: "Belén de los Andaquíes".into(),
        department_name: "Caquetá".into(),
        final_grade: Some("4.2".into()),
        attendance_pct: "87,5 %".into(),
        // 2026-03-15 09:30 in Bogotá.
        issued_at: chrono::DateTime::parse_from_rfc3339("2026-03-15T14:30:00Z")
            .unwrap()
            .to_utc(),
        issuer: "Dirección de Capacitación".into(),
        provider: None,
        signer: Signer {
            name: "Ángela Patiño Núñez".into(),
            position: "Director(a) Nacional".into(),
        },
        verification_url: "http://127.0.0.1:8000/verificar/7KQ9-M3XR-T2HW-PZ4N-C8DV".into(),
    }
}

fn rendered(doc: &CertificateDocument) -> (Vec<u8>, lopdf::Document) {
    let bytes = render(doc).expect("the certificate renders");
    let parsed = lopdf::Document::load_mem(&bytes).expect("a PDF lopdf can read");
    (bytes, parsed)
}

/// The page's text as a PDF reader extracts it (through the embedded fonts' Unicode maps).
fn extracted_text(pdf: &lopdf::Document) -> String {
    assert_eq!(pdf.get_pages().len(), 1, "one page");
    pdf.extract_text(&[1]).expect("text extraction")
}

/// Extracted text with line breaks and repeated spaces collapsed.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Extracted text without any white space: letter-spaced headings ("R E P Ú B L I C A", as
/// lopdf reads widened letters) compare whole.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect()
}

#[test]
fn it_is_a_pdf_a_page_in_a4_landscape() {
    let (bytes, pdf) = rendered(&sample());
    assert!(bytes.starts_with(b"%PDF-"), "PDF header");
    let page = pdf.get_pages()[&1];
    let media_box = pdf
        .get_dictionary(page)
        .and_then(|d| d.get(b"MediaBox"))
        .and_then(|o| o.as_array())
        .expect("the page has a MediaBox");
    let numbers: Vec<f32> = media_box
        .iter()
        .map(|o| o.as_float().expect("a number"))
        .collect();
    assert_eq!(numbers.len(), 4);
    let (width, height) = (numbers[2] - numbers[0], numbers[3] - numbers[1]);
    assert!((width - 841.89).abs() < 1.0, "width {width}");
    assert!((height - 595.28).abs() < 1.0, "height {height}");
    // PDF/A-2u: identification in the XMP metadata, an sRGB output intent, Spanish language.
    let raw = String::from_utf8_lossy(&bytes);
    assert!(raw.contains("<pdfaid:part>2</pdfaid:part>"), "PDF/A part");
    assert!(
        raw.contains("<pdfaid:conformance>U</pdfaid:conformance>"),
        "PDF/A level"
    );
    assert!(raw.contains("/GTS_PDFA1"), "output intent");
    assert!(raw.contains("/Lang(es-CO)"), "document language");
}

/// Issue 32: another provider's certificate is headed by that provider and says where it is
/// registered; ESAP's name is not its heading.
#[test]
fn another_providers_certificate_is_headed_by_it() {
    let doc = CertificateDocument {
        issuer: "Departamento Nacional de Planeación (DNP)".into(),
        provider: Some("Departamento Nacional de Planeación (DNP)".into()),
        ..sample()
    };
    let (_, pdf) = rendered(&doc);
    let text = flat(&extracted_text(&pdf));
    assert!(
        text.contains("Departamento Nacional de Planeación (DNP)"),
        "{text:?}"
    );
    assert!(
        text.contains("Registrado en Aula Territorial – ESAP"),
        "{text:?}"
    );
    assert!(
        !text.contains("Escuela Superior de Administración Pública – ESAP"),
        "{text:?}"
    );
}

/// Issue 61: the certificate has a signer line, the name and the position under it; an
/// empty name prints the position alone.
#[test]
fn the_signer_line_names_who_signs_and_their_position() {
    let (_, pdf) = rendered(&sample());
    let text = flat(&extracted_text(&pdf));
    assert!(text.contains("Ángela Patiño Núñez"), "{text:?}");
    assert!(text.contains("Director(a) Nacional"), "{text:?}");
    let doc = CertificateDocument {
        signer: Signer {
            name: String::new(),
            position: "Coordinación de formación".into(),
        },
        ..sample()
    };
    let (_, pdf) = rendered(&doc);
    let text = flat(&extracted_text(&pdf));
    assert!(text.contains("Coordinación de formación"), "{text:?}");
    assert!(!text.contains("Ángela"), "{text:?}");
}

#[test]
fn every_spanish_character_survives_text_extraction() {
    let (_, pdf) = rendered(&sample());
    let raw = extracted_text(&pdf);
    let text = flat(&raw);
    for heading in [
        "REPÚBLICADECOLOMBIA",
        "CERTIFICAQUE",
        "FECHASDELACOHORTE",
        "CALIFICACIÓNFINAL",
        "CÓDIGODEVERIFICACIÓN",
    ] {
        assert!(
            squeezed(&raw).contains(heading),
            "{heading:?} not in {raw:?}"
        );
    }
    for expected in [
        "Ñuño Güiza Peña",
        "Gestión Tributaria",
        "Belén de los Andaquíes",
        "Caquetá",
        "Escuela Superior de Administración Pública – ESAP",
        "cédula de ciudadanía n.º 1.117.543.210",
        "culminó satisfactoriamente el curso",
        "Movilización de recursos",
        "40 horas",
        "Del 2 de febrero",
        "al 13 de marzo de 2026",
        "Expedido el 15 de marzo de 2026",
        "4,2 / 5,0",
        "87,5 %",
        "Dirección de Capacitación",
        "7KQ9-M3XR-T2HW-PZ4N-C8DV",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
    for c in ['á', 'é', 'í', 'ó', 'ú', 'ü', 'ñ', 'Ñ', 'Ú', 'º'] {
        assert!(text.contains(c), "{c} not in {text:?}");
    }
    assert!(
        !text.contains('?') && !text.contains('\u{fffd}'),
        "{text:?}"
    );
}

#[test]
fn inverted_marks_and_every_accent_round_trip_in_any_field() {
    let mut doc = sample();
    doc.full_name = "¡Úrsula Ángela Íñiguez Ñáñez Ébano Óscar Güell!".into();
    doc.course_name = "¿Cómo formular el Plan de Desarrollo Territorial? Pingüino ñandú".into();
    let (_, pdf) = rendered(&doc);
    let text = flat(&extracted_text(&pdf));
    assert!(
        text.contains("¡Úrsula Ángela Íñiguez Ñáñez Ébano Óscar Güell!"),
        "{text:?}"
    );
    assert!(text.contains("¿Cómo formular"), "{text:?}");
    assert!(text.contains("Pingüino ñandú"), "{text:?}");
}

#[test]
fn decomposed_accents_print_as_the_precomposed_letters() {
    // "N" + COMBINING TILDE, as some keyboards and systems send it.
    let mut doc = sample();
    doc.full_name = "N\u{303}un\u{303}o Gu\u{308}iza Pen\u{303}a".into();
    doc.municipality_name = "Bele\u{301}n de los Andaqui\u{301}es".into();
    let (_, pdf) = rendered(&doc);
    let text = flat(&extracted_text(&pdf));
    assert!(text.contains("Ñuño Güiza Peña"), "{text:?}");
    assert!(text.contains("Belén de los Andaquíes"), "{text:?}");
    assert!(
        !text.contains('\u{303}') && !text.contains('\u{308}'),
        "{text:?}"
    );
    assert_eq!(compose_accents("Cafe\u{301} x\u{301}"), "Café x\u{301}");
    assert_eq!(compose_accents("Ana\tMaría\nPérez"), "Ana María Pérez");
}

#[test]
fn the_verification_url_and_code_are_printed_as_text() {
    let (bytes, pdf) = rendered(&sample());
    let text = flat(&extracted_text(&pdf));
    assert!(
        text.contains("http://127.0.0.1:8000/verificar/7KQ9-M3XR-T2HW-PZ4N-C8DV"),
        "{text:?}"
    );
    // The QR area is a link to the same page.
    let raw = String::from_utf8_lossy(&bytes);
    assert!(raw.contains("/URI"), "link annotation");
}

#[test]
fn optional_facts_are_left_out_when_absent() {
    let mut doc = sample();
    doc.final_grade = None;
    doc.attendance_pct = String::new();
    let (_, pdf) = rendered(&doc);
    let text = squeezed(&extracted_text(&pdf));
    assert!(!text.contains("CALIFICACIÓNFINAL"), "{text:?}");
    assert!(!text.contains("/5,0"), "{text:?}");
    assert!(!text.contains("ASISTENCIA"), "{text:?}");
    assert!(!text.contains('%'), "{text:?}");
    assert!(text.contains("INTENSIDADHORARIA"), "{text:?}");
}

#[test]
fn several_capacities_and_long_values_still_render() {
    let mut doc = sample();
    doc.capacity_names = vec![
        "Planeación territorial".into(),
        "Movilización de recursos".into(),
        "Gobierno abierto y transparencia".into(),
    ];
    doc.course_name = "Formulación, seguimiento y evaluación de proyectos de inversión pública \
                       territorial con enfoque diferencial y de paz en municipios PDET"
        .into();
    doc.municipality_name = "San Andrés de Tumaco".into();
    doc.department_name = "Archipiélago de San Andrés, Providencia y Santa Catalina".into();
    doc.full_name = "María de los Ángeles Castañeda Ibáñez de la Peña y Santamaría".into();
    doc.document_type = "PPT".into();
    doc.document_number = "PPT-4455667".into();
    doc.start_date = date(2025, 12, 1);
    let (_, pdf) = rendered(&doc);
    let text = flat(&extracted_text(&pdf));
    assert!(text.contains("capacidades municipales de"), "{text:?}");
    assert!(
        text.contains("Planeación territorial, Movilización de recursos y Gobierno abierto"),
        "{text:?}"
    );
    assert!(
        text.contains("Permiso por Protección Temporal n.º PPT-4455667"),
        "{text:?}"
    );
    assert!(text.contains("Del 1 de diciembre de 2025"), "{text:?}");
}

#[test]
fn dates_and_lists_read_as_spanish() {
    assert_eq!(long_date(date(2026, 3, 15)), "15 de marzo de 2026");
    assert_eq!(long_date(date(2026, 9, 1)), "1 de septiembre de 2026");
    assert_eq!(
        date_range_lines(date(2026, 3, 2), date(2026, 3, 20)),
        ["Del 2", "al 20 de marzo de 2026"]
    );
    assert_eq!(
        date_range_lines(date(2026, 2, 2), date(2026, 3, 13)),
        ["Del 2 de febrero", "al 13 de marzo de 2026"]
    );
    assert_eq!(
        date_range_lines(date(2025, 12, 1), date(2026, 1, 30)),
        ["Del 1 de diciembre de 2025", "al 30 de enero de 2026"]
    );
    assert_eq!(
        date_range_lines(date(2026, 5, 4), date(2026, 5, 4)),
        ["4 de mayo de 2026"]
    );
    let list =
        |items: &[&str]| spanish_list(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(list(&[]), "");
    assert_eq!(list(&["Planeación territorial"]), "Planeación territorial");
    assert_eq!(list(&["A", "B", "C"]), "A, B y C");
    assert_eq!(list(&["Planeación", "Inversión"]), "Planeación e Inversión");
    assert_eq!(list(&["Planeación", "Hierro"]), "Planeación y Hierro");
    assert_eq!(document_number_text("CC", "1117543210"), "1.117.543.210");
    assert_eq!(document_number_text("CC", "79123"), "79.123");
    assert_eq!(document_number_text("PA", "AB123456"), "AB123456");
    assert_eq!(hours_text(1), "1 hora");
    assert_eq!(decimal_comma("4.2"), "4,2");
}

#[test]
fn the_same_certificate_renders_to_the_same_bytes() {
    let doc = sample();
    let first = render(&doc).expect("renders");
    let second = render(&doc).expect("renders again");
    assert!(first == second, "rendering is deterministic");
    assert!(
        first.len() < 200_000,
        "only font subsets are embedded: {} bytes",
        first.len()
    );
}

#[test]
fn characters_the_fonts_lack_are_a_validation_error_not_a_broken_pdf() {
    let mut doc = sample();
    doc.full_name = "Nguyễn Thị Ánh 李".into();
    doc.course_name = "Gestión 😀".into();
    match render(&doc) {
        Err(AppError::Validation(errors)) => {
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(fields, ["full_name", "course_name"]);
            assert!(errors[0].message.contains("«李»"), "{}", errors[0].message);
            assert!(errors[1].message.contains("«😀»"), "{}", errors[1].message);
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    // Vietnamese, Polish, Portuguese… are covered.
    doc.full_name = "Nguyễn Thị Ánh Łukasz Gonçalves".into();
    doc.course_name = "Gestión Tributaria".into();
    let (_, pdf) = rendered(&doc);
    assert!(flat(&extracted_text(&pdf)).contains("Nguyễn Thị Ánh Łukasz Gonçalves"));
}

/// Redraws the QR code from the page's own drawing operations (every filled shape, with the
/// transformations in force) and decodes it: what a phone's camera reads is the verification URL.
#[test]
fn the_qr_code_decodes_to_the_verification_url() {
    let doc = sample();
    let (_, pdf) = rendered(&doc);
    let page = *pdf.get_pages().get(&1).expect("page 1");
    let content = pdf.get_and_decode_page_content(page).expect("page content");
    let number = |o: &lopdf::Object| {
        o.as_float()
            .map(f64::from)
            .or_else(|_| o.as_i64().map(|v| v as f64))
            .unwrap_or(0.0)
    };
    // Affine matrices [a b c d e f] as PDF uses them.
    let multiply = |m: [f64; 6], n: [f64; 6]| {
        [
            m[0] * n[0] + m[1] * n[2],
            m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2],
            m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4],
            m[4] * n[1] + m[5] * n[3] + n[5],
        ]
    };
    let apply =
        |m: [f64; 6], x: f64, y: f64| (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]);
    let mut ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    let mut stack = Vec::new();
    let mut subpaths: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut filled: Vec<(f64, f64, f64, f64)> = Vec::new(); // bounding boxes (x0, y0, x1, y1)
    for op in &content.operations {
        let args: Vec<f64> = op.operands.iter().map(number).collect();
        match op.operator.as_str() {
            "q" => stack.push(ctm),
            "Q" => ctm = stack.pop().unwrap_or(ctm),
            "cm" if args.len() == 6 => {
                ctm = multiply([args[0], args[1], args[2], args[3], args[4], args[5]], ctm)
            }
            "m" => subpaths.push(vec![apply(ctm, args[0], args[1])]),
            "l" => {
                if let Some(path) = subpaths.last_mut() {
                    path.push(apply(ctm, args[0], args[1]));
                }
            }
            "re" => {
                let (x, y, w, h) = (args[0], args[1], args[2], args[3]);
                subpaths.push(vec![
                    apply(ctm, x, y),
                    apply(ctm, x + w, y),
                    apply(ctm, x + w, y + h),
                    apply(ctm, x, y + h),
                ]);
            }
            "f" | "f*" | "F" | "B" | "B*" => {
                for path in subpaths.drain(..) {
                    let xs = path.iter().map(|p| p.0);
                    let ys = path.iter().map(|p| p.1);
                    filled.push((
                        xs.clone().fold(f64::MAX, f64::min),
                        ys.clone().fold(f64::MAX, f64::min),
                        xs.fold(f64::MIN, f64::max),
                        ys.fold(f64::MIN, f64::max),
                    ));
                }
            }
            "n" | "S" | "s" => subpaths.clear(),
            _ => {}
        }
    }
    // The QR's dark runs are the many shapes one module high.
    let height = |b: &(f64, f64, f64, f64)| ((b.3 - b.1) * 100.0).round() as i64;
    let mut counts = std::collections::HashMap::new();
    for b in &filled {
        *counts.entry(height(b)).or_insert(0) += 1;
    }
    let (module_h, _) = counts
        .iter()
        .filter(|(h, _)| **h > 0)
        .max_by_key(|(_, n)| **n)
        .expect("shapes");
    let runs: Vec<_> = filled.iter().filter(|b| height(b) == *module_h).collect();
    let module = f64::from(*module_h as i32) / 100.0;
    let (x0, y0) = (
        runs.iter().map(|b| b.0).fold(f64::MAX, f64::min),
        runs.iter().map(|b| b.1).fold(f64::MAX, f64::min),
    );
    let x1 = runs.iter().map(|b| b.2).fold(f64::MIN, f64::max);
    let y1 = runs.iter().map(|b| b.3).fold(f64::MIN, f64::max);
    let width = ((x1 - x0) / module).round() as usize;
    let rows = ((y1 - y0) / module).round() as usize;
    assert_eq!(width, rows, "a square symbol");
    // Rasterise: 4 pixels a module, a 4-module quiet zone; PDF y grows upwards.
    let (scale, quiet) = (4usize, 4usize);
    let side = (width + 2 * quiet) * scale;
    let mut pixels = vec![255u8; side * side];
    for b in &runs {
        let row_from_top = rows - 1 - ((b.1 - y0) / module).round() as usize;
        let first = ((b.0 - x0) / module).round() as usize;
        let last = ((b.2 - x0) / module).round() as usize;
        for col in first..last {
            for dy in 0..scale {
                for dx in 0..scale {
                    let (px, py) = (
                        (col + quiet) * scale + dx,
                        (row_from_top + quiet) * scale + dy,
                    );
                    pixels[py * side + px] = 0;
                }
            }
        }
    }
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| pixels[y * side + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    let (_, content) = grids[0].decode().expect("the QR code decodes");
    assert_eq!(content, doc.verification_url);
}

/// A programme's certificate (issue 64): two pages, the second listing every module with its
/// hours, state and certificate code; a module name the fonts cannot print is refused too.
#[test]
fn a_programme_certificate_lists_its_modules_on_a_second_page() {
    let mut doc = sample();
    doc.course_name = "Diplomado en Gestión Pública Territorial".into();
    doc.capacity_names = Vec::new();
    doc.final_grade = None;
    doc.attendance_pct = String::new();
    let mut part = ProgrammePart {
        completed: "el diplomado".into(),
        modules: vec![
            ModuleRow {
                name: "Planeación Territorial".into(),
                hours: 40,
                status: "Aprobado".into(),
                certificate_code: Some("52DJ-BF72-B5TD-7D8Z-996B".into()),
            },
            ModuleRow {
                name: "Rendición de Cuentas".into(),
                hours: 24,
                status: "Reconocido".into(),
                certificate_code: None,
            },
        ],
    };
    let bytes = render_programme(&doc, &part).expect("the programme certificate renders");
    let pdf = lopdf::Document::load_mem(&bytes).expect("a PDF lopdf can read");
    assert_eq!(pdf.get_pages().len(), 2);
    let text = flat(&pdf.extract_text(&[1, 2]).expect("text extraction"));
    for expected in [
        "culminó satisfactoriamente el diplomado",
        "Planeación Territorial",
        "Rendición de Cuentas",
        "52DJ-BF72-B5TD-7D8Z-996B",
        "Reconocido",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    part.modules[1].name = "Rendición 😀".into();
    match render_programme(&doc, &part) {
        Err(AppError::Validation(errors)) => assert_eq!(errors[0].field, "modules"),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Issue 67: the PDF's creation date is the issue instant in Bogotá (−05:00), so a certificate
/// issued at 22:00 on 15 March says 15 March, in its metadata (Info and XMP) as on the page —
/// not the 16th in UTC, nor midnight UTC (the 14th at 19:00 in Bogotá).
#[test]
fn the_creation_date_is_the_issue_time_in_bogota() {
    let doc = CertificateDocument {
        issued_at: chrono::DateTime::parse_from_rfc3339("2026-03-16T03:00:00Z")
            .unwrap()
            .to_utc(),
        ..sample()
    };
    let (bytes, pdf) = rendered(&doc);
    let info = pdf
        .trailer
        .get(b"Info")
        .and_then(|info| pdf.dereference(info))
        .expect("an Info dictionary")
        .1
        .as_dict()
        .expect("a dictionary")
        .clone();
    let created = info.get(b"CreationDate").unwrap().as_str().unwrap();
    assert_eq!(created, b"D:20260315220000-05'00");
    let raw = String::from_utf8_lossy(&bytes);
    assert!(raw.contains("2026-03-15T22:00:00-05:00"), "XMP CreateDate");
    let text = flat(&extracted_text(&pdf));
    assert!(text.contains("Expedido el 15 de marzo de 2026"), "{text:?}");
}
