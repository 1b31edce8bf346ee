//! The certificate as a one-page A4 landscape PDF/A-2u, drawn with `krilla`.
//!
//! Text is shaped with `rustybuzz` (kerning, and combining accents typed in decomposed form
//! still land on their letter) and drawn with the Liberation fonts embedded in the binary
//! (`assets/fonts/`, SIL OFL 1.1); each PDF embeds the subset it uses plus a Unicode map, so
//! every Spanish letter prints, copies and is searched exactly. The QR code is drawn as vector
//! squares. Everything printed is in Spanish (Colombia).

use crate::error::{AppError, AppResult, FieldError};
use crate::fonts::{FONTS, Face, Fonts, compose_accents, missing_glyphs};
use chrono::{DateTime as Instant, Datelike, NaiveDate, Timelike, Utc};
use krilla::action::LinkAction;
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};

/// Everything a certificate states, already copied from the database (see the `certificates`
/// table: a certificate is a snapshot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateDocument {
    /// Canonical code, e.g. "7KQ9-M3XR-T2HW-PZ4N-C8DV".
    pub code: String,
    pub full_name: String,
    /// "CC", "CE", "PA" or "PPT" (printed in words); anything else is printed as given.
    pub document_type: String,
    pub document_number: String,
    pub course_name: String,
    /// The municipal capacities the course strengthens (one or more).
    pub capacity_names: Vec<String>,
    pub hours: i32,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub municipality_name: String,
    pub department_name: String,
    /// On the 0–5 scale, e.g. "4.2" (printed "4,2 / 5,0"); `None` prints no grade.
    pub final_grade: Option<String>,
    /// E.g. "87,5 %"; empty prints no attendance.
    pub attendance_pct: String,
    /// When it was issued: the page prints its day in Bogotá; the PDF's creation date is this
    /// instant at Bogotá's offset (−05:00).
    pub issued_at: Instant<Utc>,
    /// Who issues it, e.g. "Dirección de Capacitación".
    pub issuer: String,
    /// The provider whose cohort it was, when not ESAP (issue 32): it heads the certificate,
    /// which says it is registered in Aula Territorial.
    pub provider: Option<String>,
    /// Who signs it (issue 61), printed under a signature rule.
    pub signer: Signer,
    /// Public verification page, `{public_url}/verificar/{code}`; the QR code links here.
    pub verification_url: String,
}

/// The signer line of a certificate (issue 61): a name (empty prints the position alone) and
/// a position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signer {
    pub name: String,
    pub position: String,
}

/// The certificate as PDF bytes (PDF/A-2u, one A4 landscape page).
///
/// A field with a character the embedded fonts cannot draw (Chinese, emoji…) is an
/// `AppError::Validation` naming the field and the characters: printing a box or a "?" instead
/// is exactly what a certificate must not do.
pub fn render(doc: &CertificateDocument) -> AppResult<Vec<u8>> {
    render_pages(doc, None)
}

/// A programme's certificate (issue 64): its first page is a certificate's, naming the
/// programme; its second lists the modules that count, with their hours, state and the
/// code of each module's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgrammePart {
    /// What was completed, after «culminó satisfactoriamente»: «el diplomado».
    pub completed: String,
    pub modules: Vec<ModuleRow>,
}

/// One module on a programme certificate's second page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRow {
    pub name: String,
    pub hours: i32,
    /// «Aprobado» or «Reconocido».
    pub status: String,
    pub certificate_code: Option<String>,
}

/// The PDF of a programme's certificate (two A4 landscape pages): see [`ProgrammePart`].
pub fn render_programme(doc: &CertificateDocument, part: &ProgrammePart) -> AppResult<Vec<u8>> {
    render_pages(doc, Some(part))
}

fn render_pages(doc: &CertificateDocument, part: Option<&ProgrammePart>) -> AppResult<Vec<u8>> {
    let fonts = FONTS
        .as_ref()
        .ok_or_else(|| AppError::Internal("las fuentes del certificado no cargan".into()))?;
    check_printable(doc, part, fonts)?;
    let qr = qrcode::QrCode::with_error_correction_level(
        doc.verification_url.as_bytes(),
        qrcode::EcLevel::M,
    )
    .map_err(|e| AppError::Internal(format!("código QR del certificado: {e}")))?;

    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|e| AppError::Internal(format!("configuración PDF/A: {e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    document.set_metadata(metadata(doc, part));

    let page_settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| AppError::Internal("tamaño de página inválido".into()))?;
    let mut page = document.start_page_with(page_settings.clone());
    let mut surface = page.surface();
    let link_areas = {
        let mut painter = Painter {
            surface: &mut surface,
            fonts,
        };
        draw(&mut painter, doc, &qr, part)
    };
    surface.finish();
    for area in link_areas.into_iter().flatten() {
        page.add_annotation(Annotation::new_link(
            LinkAnnotation::new(
                area,
                Target::Action(LinkAction::new(doc.verification_url.clone()).into()),
            ),
            Some("Verificar este certificado en línea".into()),
        ));
    }
    page.finish();
    if let Some(part) = part {
        let mut page = document.start_page_with(page_settings);
        let mut surface = page.surface();
        let mut painter = Painter {
            surface: &mut surface,
            fonts,
        };
        draw_modules(&mut painter, doc, part);
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| AppError::Internal(format!("no se pudo generar el PDF: {e:?}")))
}

/// Every character of every printed field must have a glyph in every embedded face.
fn check_printable(
    doc: &CertificateDocument,
    part: Option<&ProgrammePart>,
    fonts: &Fonts,
) -> AppResult<()> {
    let capacities = doc.capacity_names.join(" ");
    let modules = part.map_or(String::new(), |p| {
        p.modules
            .iter()
            .map(|m| format!("{} {}", m.name, m.status))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let fields = [
        ("modules", modules.as_str()),
        ("code", doc.code.as_str()),
        ("full_name", &doc.full_name),
        ("document_type", &doc.document_type),
        ("document_number", &doc.document_number),
        ("course_name", &doc.course_name),
        ("capacity_names", &capacities),
        ("municipality_name", &doc.municipality_name),
        ("department_name", &doc.department_name),
        ("final_grade", doc.final_grade.as_deref().unwrap_or("")),
        ("attendance_pct", &doc.attendance_pct),
        ("issuer", &doc.issuer),
        ("signer_name", &doc.signer.name),
        ("signer_position", &doc.signer.position),
        ("verification_url", &doc.verification_url),
    ];
    let faces = [
        &fonts.serif,
        &fonts.serif_bold,
        &fonts.serif_italic,
        &fonts.sans,
        &fonts.sans_bold,
    ];
    let mut errors = Vec::new();
    for (field, text) in fields {
        let missing = missing_glyphs(text, &faces);
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|c| format!("«{c}»")).collect();
            errors.push(FieldError::new(
                field,
                format!(
                    "Contiene caracteres que el certificado no puede imprimir: {}.",
                    list.join(", ")
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

// ---------------------------------------------------------------------------------------------
// Spanish wording

use crate::format::{long_date, month_name};

/// The cohort's dates as two lines: "Del 2 de febrero" / "al 15 de marzo de 2026" (the year is
/// repeated only when it changes; a one-day cohort is a single line).
fn date_range_lines(start: NaiveDate, end: NaiveDate) -> Vec<String> {
    if start == end {
        return vec![long_date(start)];
    }
    let first = if start.year() != end.year() {
        format!("Del {}", long_date(start))
    } else if start.month() != end.month() {
        format!("Del {} de {}", start.day(), month_name(start))
    } else {
        format!("Del {}", start.day())
    };
    vec![first, format!("al {}", long_date(end))]
}

fn document_type_label(code: &str) -> &str {
    match code {
        "CC" => "cédula de ciudadanía",
        "CE" => "cédula de extranjería",
        "PA" => "pasaporte",
        "PPT" => "Permiso por Protección Temporal",
        other => other,
    }
}

/// Colombian identity numbers are read with thousands dots ("1.117.543.210"); other
/// documents (passports, PPT) are printed as given.
fn document_number_text(kind: &str, number: &str) -> String {
    let number = number.trim();
    if !matches!(kind, "CC" | "CE")
        || number.is_empty()
        || !number.bytes().all(|b| b.is_ascii_digit())
    {
        return number.to_string();
    }
    let digits: Vec<char> = number.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(*c);
    }
    out
}

/// "A", "A y B", "A, B y C" — with "e" instead of "y" before an /i/ sound ("Planeación e
/// Inversión").
fn spanish_list(items: &[String]) -> String {
    let items: Vec<&str> = items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => {
            let folded = crate::text::fold(last);
            let sounds_i = (folded.starts_with('i') || folded.starts_with("hi"))
                && !["hia", "hie", "hio", "hiu"]
                    .iter()
                    .any(|p| folded.starts_with(p));
            let and = if sounds_i { "e" } else { "y" };
            format!("{} {and} {last}", rest.join(", "))
        }
    }
}

/// "4.2" → "4,2" (Colombian decimal comma).
fn decimal_comma(value: &str) -> String {
    value.trim().replace('.', ",")
}

fn hours_text(hours: i32) -> String {
    if hours == 1 {
        "1 hora".into()
    } else {
        format!("{hours} horas")
    }
}

fn metadata(doc: &CertificateDocument, part: Option<&ProgrammePart>) -> Metadata {
    let completed = part.map_or("el curso", |part| part.completed.as_str());
    let what = completed
        .strip_prefix("el ")
        .map_or_else(|| format!("de {completed}"), |rest| format!("del {rest}"));
    Metadata::new()
        .title(format!("Certificado {} – {}", doc.code, doc.full_name))
        .description(format!(
            "Certificado {what} {} expedido por la {ESAP}. Verificación: {}",
            doc.course_name, doc.verification_url
        ))
        .keywords(vec![doc.code.clone(), "certificado".into(), "ESAP".into()])
        .language("es-CO".into())
        .authors(vec![ESAP.into()])
        .creator("Aula Territorial – ESAP".into())
        .creation_date(pdf_date(doc.issued_at))
}

/// `at` as a PDF date in Bogotá (issue 67): the local day and time with its offset,
/// `D:20260315093000-05'00`, not the day before at midnight UTC.
fn pdf_date(at: Instant<Utc>) -> DateTime {
    let local = crate::time::local(at);
    let offset_seconds = local.offset().local_minus_utc();
    DateTime::new(u16::try_from(local.year()).unwrap_or(2000))
        .month(local.month() as u8)
        .day(local.day() as u8)
        .hour(local.hour() as u8)
        .minute(local.minute() as u8)
        .second(local.second() as u8)
        .utc_offset_hour((offset_seconds / 3600) as i8)
        .utc_offset_minute((offset_seconds.abs() % 3600 / 60) as u8)
}

// ---------------------------------------------------------------------------------------------
// Fonts and text (the faces themselves are the kernel's: `crate::fonts`)

const ESAP: &str = "Escuela Superior de Administración Pública – ESAP";

#[derive(Clone, Copy)]
pub(crate) enum FaceKind {
    Serif,
    SerifBold,
    SerifItalic,
    Sans,
    SansBold,
}

#[derive(Clone, Copy)]
pub(crate) struct Style {
    face: FaceKind,
    pub(crate) size: f32,
    color: Rgb,
    /// Extra space after each letter, in em.
    tracking: f32,
}

impl Style {
    pub(crate) const fn new(face: FaceKind, size: f32, color: Rgb) -> Self {
        Style {
            face,
            size,
            color,
            tracking: 0.0,
        }
    }

    const fn tracked(self, tracking: f32) -> Self {
        Style { tracking, ..self }
    }

    const fn sized(self, size: f32) -> Self {
        Style { size, ..self }
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Align {
    Left,
    Center,
}

/// Shaped text: glyphs with advances in em, and its width in em.
struct Shaped {
    glyphs: Vec<KrillaGlyph>,
    width: f32,
}

fn shape(face: &Face, text: &str, tracking: f32) -> Shaped {
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(rustybuzz::Direction::LeftToRight);
    let output = rustybuzz::shape(&face.shaper, &[], buffer);
    let upem = face.shaper.units_per_em() as f32;
    let infos = output.glyph_infos();
    let positions = output.glyph_positions();
    let mut glyphs = Vec::with_capacity(infos.len());
    let mut width = 0.0;
    for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
        let start = info.cluster as usize;
        // Left to right, clusters never decrease: the glyph's text ends where the next cluster
        // starts.
        let end = infos[i + 1..]
            .iter()
            .map(|next| next.cluster as usize)
            .find(|&c| c > start)
            .unwrap_or(text.len());
        let last = i + 1 == infos.len();
        let advance = pos.x_advance as f32 / upem + if last { 0.0 } else { tracking };
        width += advance;
        glyphs.push(KrillaGlyph::new(
            GlyphId::new(info.glyph_id),
            advance,
            pos.x_offset as f32 / upem,
            pos.y_offset as f32 / upem,
            pos.y_advance as f32 / upem,
            start..end,
            None,
        ));
    }
    Shaped { glyphs, width }
}

pub(crate) struct Painter<'a, 'b> {
    pub(crate) surface: &'a mut Surface<'b>,
    pub(crate) fonts: &'a Fonts,
}

impl Painter<'_, '_> {
    fn face(&self, kind: FaceKind) -> &Face {
        match kind {
            FaceKind::Serif => &self.fonts.serif,
            FaceKind::SerifBold => &self.fonts.serif_bold,
            FaceKind::SerifItalic => &self.fonts.serif_italic,
            FaceKind::Sans => &self.fonts.sans,
            FaceKind::SansBold => &self.fonts.sans_bold,
        }
    }

    pub(crate) fn width(&self, style: Style, text: &str) -> f32 {
        let text = compose_accents(text);
        shape(self.face(style.face), &text, style.tracking).width * style.size
    }

    /// The style, shrunk (down to `min_size`) until `text` fits in `max_width`.
    fn fit(&self, style: Style, text: &str, max_width: f32, min_size: f32) -> Style {
        let width = self.width(style, text);
        if width <= max_width {
            return style;
        }
        style.sized((style.size * max_width / width).max(min_size))
    }

    /// Greedy word wrap into lines no wider than `max_width`.
    pub(crate) fn wrap(&self, style: Style, text: &str, max_width: f32) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if line.is_empty() || self.width(style, &candidate) <= max_width {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Draws one line with its baseline at `y`; returns its width.
    pub(crate) fn text(&mut self, style: Style, text: &str, x: f32, y: f32, align: Align) -> f32 {
        let text = &compose_accents(text);
        let face = self.face(style.face);
        let shaped = shape(face, text, style.tracking);
        let width = shaped.width * style.size;
        let left = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
        };
        let font = face.pdf.clone();
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(fill(style.color)));
        self.surface.draw_glyphs(
            Point::from_xy(left, y),
            &shaped.glyphs,
            font,
            text,
            style.size,
            false,
        );
        width
    }

    pub(crate) fn fill_rect(&mut self, rect: Option<Rect>, color: Rgb) {
        let Some(rect) = rect else { return };
        let mut path = PathBuilder::new();
        path.push_rect(rect);
        if let Some(path) = path.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(fill(color)));
            self.surface.draw_path(&path);
        }
    }

    fn stroke_rect(&mut self, rect: Option<Rect>, color: Rgb, width: f32) {
        let Some(rect) = rect else { return };
        let mut path = PathBuilder::new();
        path.push_rect(rect);
        self.stroke_path(path, color, width);
    }

    pub(crate) fn line(&mut self, from: (f32, f32), to: (f32, f32), color: Rgb, width: f32) {
        let mut path = PathBuilder::new();
        path.move_to(from.0, from.1);
        path.line_to(to.0, to.1);
        self.stroke_path(path, color, width);
    }

    fn stroke_path(&mut self, path: PathBuilder, color: Rgb, width: f32) {
        if let Some(path) = path.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                paint: color.paint(),
                width,
                ..Stroke::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
    }

    /// A small diamond centred on (x, y).
    fn diamond(&mut self, x: f32, y: f32, radius: f32, color: Rgb) {
        let mut path = PathBuilder::new();
        path.move_to(x, y - radius);
        path.line_to(x + radius, y);
        path.line_to(x, y + radius);
        path.line_to(x - radius, y);
        path.close();
        if let Some(path) = path.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(fill(color)));
            self.surface.draw_path(&path);
        }
    }

    /// The QR code as dark squares (horizontal runs merged, so no hairlines between modules)
    /// on a white square with the standard 4-module quiet zone, top-left at (x, y).
    fn qr(&mut self, qr: &qrcode::QrCode, x: f32, y: f32, size: f32) {
        let modules = qr.width();
        let module = size / (modules + 8) as f32;
        self.fill_rect(Rect::from_xywh(x, y, size, size), WHITE);
        let colors = qr.to_colors();
        let mut path = PathBuilder::new();
        for row in 0..modules {
            let mut col = 0;
            while col < modules {
                if colors[row * modules + col] != qrcode::Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < modules && colors[row * modules + col] == qrcode::Color::Dark {
                    col += 1;
                }
                if let Some(rect) = Rect::from_xywh(
                    x + (start + 4) as f32 * module,
                    y + (row + 4) as f32 * module,
                    (col - start) as f32 * module,
                    module,
                ) {
                    path.push_rect(rect);
                }
            }
        }
        if let Some(path) = path.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(fill(INK)));
            self.surface.draw_path(&path);
        }
    }
}

/// A colour (sRGB; krilla writes it device-independent, as PDF/A asks).
#[derive(Clone, Copy)]
pub(crate) struct Rgb(pub(crate) u8, pub(crate) u8, pub(crate) u8);

impl Rgb {
    fn paint(self) -> krilla::paint::Paint {
        krilla::color::rgb::Color::new(self.0, self.1, self.2).into()
    }
}

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: color.paint(),
        ..Fill::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Layout (points, origin top-left)

/// A4 landscape.
const PAGE_W: f32 = 841.89;
const PAGE_H: f32 = 595.28;
const CENTER: f32 = PAGE_W / 2.0;
/// Left and right edges of the text area.
const LEFT: f32 = 78.0;
const RIGHT: f32 = PAGE_W - 78.0;

const NAVY: Rgb = Rgb(0x1b, 0x36, 0x5d);
const GOLD: Rgb = Rgb(0xa8, 0x84, 0x3a);
const INK: Rgb = Rgb(0x1f, 0x23, 0x28);
const GRAY: Rgb = Rgb(0x5b, 0x63, 0x6b);
const PALE: Rgb = Rgb(0xf7, 0xf4, 0xec);
const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);

/// Draws the page; returns the areas that link to the verification page (the QR code and the
/// printed URL).
fn draw(
    p: &mut Painter,
    doc: &CertificateDocument,
    qr: &qrcode::QrCode,
    part: Option<&ProgrammePart>,
) -> [Option<Rect>; 2] {
    let label = Style::new(FaceKind::SansBold, 7.2, GRAY).tracked(0.12);
    draw_frame(p);
    draw_header(p, doc);
    draw_recipient(p, doc);
    let completed = part.map_or("el curso", |part| part.completed.as_str());
    let y = draw_course(p, doc, completed);
    let top = (y + 30.0).max(338.0);
    draw_facts(p, &certificate_facts(doc, part.is_some()), label, top);
    draw_footer(p, doc, qr, label)
}

/// Frame: a thick navy border, a thin gold one inside, diamonds in the corners.
fn draw_frame(p: &mut Painter) {
    p.stroke_rect(
        Rect::from_ltrb(18.0, 18.0, PAGE_W - 18.0, PAGE_H - 18.0),
        NAVY,
        3.0,
    );
    p.stroke_rect(
        Rect::from_ltrb(26.0, 26.0, PAGE_W - 26.0, PAGE_H - 26.0),
        GOLD,
        0.8,
    );
    for (x, y) in [
        (26.0, 26.0),
        (PAGE_W - 26.0, 26.0),
        (26.0, PAGE_H - 26.0),
        (PAGE_W - 26.0, PAGE_H - 26.0),
    ] {
        p.diamond(x, y, 4.5, GOLD);
    }
}

/// Header: the country, the institution and the programme, over a gold ornament.
fn draw_header(p: &mut Painter, doc: &CertificateDocument) {
    use FaceKind::*;
    p.text(
        Style::new(Sans, 8.0, GRAY).tracked(0.3),
        "REPÚBLICA DE COLOMBIA",
        CENTER,
        62.0,
        Align::Center,
    );
    // ESAP, or the provider whose cohort it was (issue 32), fitted to the page.
    let heading = Style::new(SerifBold, 21.0, NAVY);
    let institution = doc.provider.as_deref().unwrap_or(ESAP);
    p.text(
        p.fit(heading, institution, PAGE_W - 2.0 * LEFT, 12.0),
        institution,
        CENTER,
        88.0,
        Align::Center,
    );
    p.text(
        Style::new(Sans, 9.5, GRAY).tracked(0.04),
        "Aula Territorial · Formación para el fortalecimiento de las capacidades municipales",
        CENTER,
        105.0,
        Align::Center,
    );
    p.line((CENTER - 70.0, 119.0), (CENTER - 9.0, 119.0), GOLD, 0.7);
    p.line((CENTER + 9.0, 119.0), (CENTER + 70.0, 119.0), GOLD, 0.7);
    p.diamond(CENTER, 119.0, 3.2, GOLD);
}

/// Who: the learner's name over a gold rule, and their identity document.
fn draw_recipient(p: &mut Painter, doc: &CertificateDocument) {
    use FaceKind::*;
    p.text(
        Style::new(Serif, 14.0, GOLD).tracked(0.32),
        "CERTIFICA QUE",
        CENTER,
        151.0,
        Align::Center,
    );
    let name_style = p.fit(
        Style::new(SerifBold, 34.0, NAVY),
        &doc.full_name,
        RIGHT - LEFT,
        14.0,
    );
    let name_width = p.text(name_style, &doc.full_name, CENTER, 196.0, Align::Center);
    let rule = (name_width + 60.0).clamp(320.0, RIGHT - LEFT);
    p.line(
        (CENTER - rule / 2.0, 209.0),
        (CENTER + rule / 2.0, 209.0),
        GOLD,
        0.6,
    );
    let document = format!(
        "quien se identifica con {} n.º {}",
        document_type_label(doc.document_type.trim()),
        document_number_text(doc.document_type.trim(), &doc.document_number)
    );
    let body = Style::new(Serif, 13.0, INK);
    let document_style = p.fit(body, &document, RIGHT - LEFT, 9.0);
    p.text(document_style, &document, CENTER, 230.0, Align::Center);
}

/// What: the course name (wrapped, smaller when long) and the capacities it strengthens.
/// Returns the baseline of the last line drawn.
fn draw_course(p: &mut Painter, doc: &CertificateDocument, completed: &str) -> f32 {
    use FaceKind::*;
    p.text(
        Style::new(SerifItalic, 13.0, INK),
        &format!("culminó satisfactoriamente {completed}"),
        CENTER,
        256.0,
        Align::Center,
    );
    let course_style = Style::new(SerifBold, 22.0, NAVY);
    let mut course_lines = p.wrap(course_style, &doc.course_name, RIGHT - LEFT - 40.0);
    let course_style = if course_lines.len() > 2 {
        let smaller = course_style.sized(17.0);
        course_lines = p.wrap(smaller, &doc.course_name, RIGHT - LEFT);
        smaller
    } else {
        course_style
    };
    let mut y = 284.0;
    for (i, line) in course_lines.iter().enumerate() {
        if i > 0 {
            y += course_style.size * 1.15;
        }
        let style = p.fit(course_style, line, RIGHT - LEFT, 9.0);
        p.text(style, line, CENTER, y, Align::Center);
    }
    let capacities = spanish_list(&doc.capacity_names);
    if !capacities.is_empty() {
        let lead = if doc.capacity_names.len() > 1 {
            "que fortalece las capacidades municipales de"
        } else {
            "que fortalece la capacidad municipal de"
        };
        let text = format!("{lead} {capacities}");
        let style = Style::new(Sans, 10.5, GRAY);
        for line in p.wrap(style, &text, RIGHT - LEFT - 80.0).iter().take(2) {
            y += 17.0;
            p.text(style, line, CENTER, y, Align::Center);
        }
    }
    y
}

/// The facts shown as columns: hours, dates, municipality, and the grade and attendance when
/// known.
fn certificate_facts(
    doc: &CertificateDocument,
    programme: bool,
) -> Vec<(&'static str, Vec<String>)> {
    let mut facts: Vec<(&str, Vec<String>)> = vec![
        ("INTENSIDAD HORARIA", vec![hours_text(doc.hours)]),
        (
            if programme {
                "FECHAS DE LA EDICIÓN"
            } else {
                "FECHAS DE LA COHORTE"
            },
            date_range_lines(doc.start_date, doc.end_date),
        ),
        (
            "MUNICIPIO",
            vec![
                doc.municipality_name.trim().to_string(),
                doc.department_name.trim().to_string(),
            ],
        ),
    ];
    if let Some(grade) = doc.final_grade.as_deref().filter(|g| !g.trim().is_empty()) {
        facts.push((
            "CALIFICACIÓN FINAL",
            vec![format!("{} / 5,0", decimal_comma(grade))],
        ));
    }
    if !doc.attendance_pct.trim().is_empty() {
        facts.push(("ASISTENCIA", vec![doc.attendance_pct.trim().to_string()]));
    }
    facts
}

/// Footer: code and link on the left, issuer in the middle, QR on the right. Returns the
/// areas that link to the verification page.
fn draw_footer(
    p: &mut Painter,
    doc: &CertificateDocument,
    qr: &qrcode::QrCode,
    label: Style,
) -> [Option<Rect>; 2] {
    let footer = 446.0;
    p.line((LEFT, footer - 16.0), (RIGHT, footer - 16.0), GOLD, 0.5);

    let qr_size = 96.0;
    let qr_x = RIGHT - qr_size + 6.0;
    let qr_y = footer - 8.0;
    draw_qr(p, qr, qr_x, qr_y, qr_size);

    let column = 250.0;
    let url_width = draw_verification(p, doc, label, footer, column);

    let mid = LEFT + column + (qr_x - 24.0 - LEFT - column) / 2.0;
    draw_signature(p, doc, mid, footer);
    draw_issuer(p, doc, label, mid, footer);

    [
        Rect::from_xywh(qr_x, qr_y, qr_size, qr_size),
        Rect::from_xywh(LEFT, footer + 52.0, url_width, 11.0),
    ]
}

/// The QR code with its caption.
fn draw_qr(p: &mut Painter, qr: &qrcode::QrCode, qr_x: f32, qr_y: f32, qr_size: f32) {
    p.qr(qr, qr_x, qr_y, qr_size);
    p.text(
        Style::new(FaceKind::Sans, 7.0, GRAY),
        "Escanee para verificar",
        qr_x + qr_size / 2.0,
        qr_y + qr_size + 6.0,
        Align::Center,
    );
}

/// The verification code, the verification URL and the note on electronic issue; returns the
/// width of the printed URL.
fn draw_verification(
    p: &mut Painter,
    doc: &CertificateDocument,
    label: Style,
    footer: f32,
    column: f32,
) -> f32 {
    use FaceKind::*;
    p.text(
        label,
        "CÓDIGO DE VERIFICACIÓN",
        LEFT,
        footer + 10.0,
        Align::Left,
    );
    let code_style = p.fit(
        Style::new(SansBold, 15.0, NAVY).tracked(0.08),
        &doc.code,
        column,
        8.0,
    );
    p.text(code_style, &doc.code, LEFT, footer + 30.0, Align::Left);
    p.text(
        Style::new(Sans, 8.0, GRAY),
        "Consulte su validez en",
        LEFT,
        footer + 48.0,
        Align::Left,
    );
    let url_style = p.fit(
        Style::new(Sans, 8.0, NAVY),
        &doc.verification_url,
        column,
        4.5,
    );
    let url_width = p.text(
        url_style,
        &doc.verification_url,
        LEFT,
        footer + 60.0,
        Align::Left,
    );
    let note = Style::new(Sans, 7.0, GRAY);
    p.text(
        note,
        "Este certificado se expide en formato electrónico. Su autenticidad puede",
        LEFT,
        footer + 80.0,
        Align::Left,
    );
    p.text(
        note,
        "verificarse en línea con el código o el código QR.",
        LEFT,
        footer + 89.0,
        Align::Left,
    );
    url_width
}

/// Who signs (issue 61): a signature rule, the name and the position under it.
fn draw_signature(p: &mut Painter, doc: &CertificateDocument, mid: f32, footer: f32) {
    use FaceKind::*;
    let mut sy = footer + 12.0;
    p.line((mid - 110.0, sy), (mid + 110.0, sy), INK, 0.6);
    let signer_name = doc.signer.name.trim();
    if !signer_name.is_empty() {
        sy += 13.0;
        let style = p.fit(Style::new(SansBold, 10.5, INK), signer_name, 230.0, 6.0);
        p.text(style, signer_name, mid, sy, Align::Center);
    }
    let position = doc.signer.position.trim();
    if !position.is_empty() {
        sy += 12.0;
        let style = p.fit(Style::new(Sans, 8.5, GRAY), position, 230.0, 5.0);
        p.text(style, position, mid, sy, Align::Center);
    }
}

/// The issuer, where the certificate is registered, and the date of issue.
fn draw_issuer(p: &mut Painter, doc: &CertificateDocument, label: Style, mid: f32, footer: f32) {
    use FaceKind::*;
    let issuer_style = Style::new(SansBold, 9.5, INK);
    p.text(label, "EXPIDE", mid, footer + 55.0, Align::Center);
    let issuer_lines = p.wrap(issuer_style, &doc.issuer, 230.0);
    let mut iy = footer + 68.0;
    for line in issuer_lines.iter().take(2) {
        let style = p.fit(issuer_style, line, 230.0, 6.0);
        p.text(style, line, mid, iy, Align::Center);
        iy += 11.5;
    }
    // Another provider's certificate says where it is registered and verified.
    let registry = match doc.provider {
        None => ESAP,
        Some(_) => "Registrado en Aula Territorial – ESAP",
    };
    // (ESAP's own issuer is not said twice.)
    if registry != doc.issuer.trim() {
        p.text(
            Style::new(Sans, 8.0, GRAY),
            registry,
            mid,
            iy,
            Align::Center,
        );
    } else {
        iy -= 11.5;
    }
    p.text(
        Style::new(Serif, 10.5, INK),
        &format!(
            "Expedido el {}",
            long_date(crate::time::local(doc.issued_at).date_naive())
        ),
        mid,
        iy + 15.0,
        Align::Center,
    );
}

/// A programme certificate's second page: the modules that count, each with its hours, its
/// state and its own certificate's code, and how to verify the whole.
fn draw_modules(p: &mut Painter, doc: &CertificateDocument, part: &ProgrammePart) {
    use FaceKind::*;
    draw_frame(p);
    let label = Style::new(SansBold, 7.2, GRAY).tracked(0.12);
    p.text(
        Style::new(Serif, 12.0, GOLD).tracked(0.32),
        "MÓDULOS QUE LO COMPONEN",
        CENTER,
        66.0,
        Align::Center,
    );
    let title = p.fit(
        Style::new(SerifBold, 18.0, NAVY),
        &doc.course_name,
        RIGHT - LEFT,
        9.0,
    );
    p.text(title, &doc.course_name, CENTER, 92.0, Align::Center);
    let holder = format!("{} · Certificado {}", doc.full_name, doc.code);
    let holder_style = p.fit(Style::new(Sans, 10.0, GRAY), &holder, RIGHT - LEFT, 6.0);
    p.text(holder_style, &holder, CENTER, 112.0, Align::Center);

    let (number_x, name_x, hours_x, status_x, code_x) =
        (LEFT, LEFT + 28.0, LEFT + 402.0, LEFT + 436.0, LEFT + 516.0);
    let name_width = hours_x - name_x - 28.0;
    let top = 146.0;
    p.text(label, "N.º", number_x, top, Align::Left);
    p.text(label, "MÓDULO", name_x, top, Align::Left);
    p.text(label, "HORAS", hours_x, top, Align::Center);
    p.text(label, "ESTADO", status_x, top, Align::Left);
    p.text(label, "CERTIFICADO DEL MÓDULO", code_x, top, Align::Left);
    p.line((LEFT, top + 6.0), (RIGHT, top + 6.0), GOLD, 0.7);
    let bottom = PAGE_H - 96.0;
    let rows = part.modules.len().max(1) as f32;
    let height = ((bottom - top - 12.0) / rows).min(22.0);
    let size = (height * 0.5).clamp(5.0, 10.5);
    let body = Style::new(Sans, size, INK);
    let code = Style::new(SansBold, size * 0.92, NAVY);
    let mut y = top + 6.0;
    for (n, module) in part.modules.iter().enumerate() {
        if n % 2 == 1 {
            p.fill_rect(Rect::from_xywh(LEFT, y, RIGHT - LEFT, height), PALE);
        }
        let baseline = y + height * 0.68;
        p.text(body, &format!("{}", n + 1), number_x, baseline, Align::Left);
        let name_style = p.fit(body, &module.name, name_width, 4.5);
        p.text(name_style, &module.name, name_x, baseline, Align::Left);
        p.text(
            body,
            &module.hours.to_string(),
            hours_x,
            baseline,
            Align::Center,
        );
        p.text(body, &module.status, status_x, baseline, Align::Left);
        let printed = module.certificate_code.as_deref().unwrap_or("—");
        let printed_style = p.fit(code, printed, RIGHT - code_x, 4.5);
        p.text(printed_style, printed, code_x, baseline, Align::Left);
        y += height;
    }
    p.line((LEFT, y), (RIGHT, y), GOLD, 0.5);
    p.text(
        Style::new(SansBold, 10.0, INK),
        &format!("Intensidad horaria del programa: {}", hours_text(doc.hours)),
        LEFT,
        y + 20.0,
        Align::Left,
    );
    let note = Style::new(Sans, 8.0, GRAY);
    let verify = format!(
        "Cada módulo aprobado tiene su propio certificado, verificable con su código. Este \
         certificado se verifica en {}",
        doc.verification_url
    );
    let lines = p.wrap(note, &verify, RIGHT - LEFT);
    let mut line_y = PAGE_H - 64.0;
    for line in lines.iter().take(2) {
        p.text(note, line, CENTER, line_y, Align::Center);
        line_y += 11.0;
    }
}

fn draw_facts(p: &mut Painter, facts: &[(&str, Vec<String>)], label: Style, top: f32) {
    let value = Style::new(FaceKind::SansBold, 11.0, INK);
    let second = Style::new(FaceKind::Sans, 10.0, INK);
    let gap = 36.0;
    let padding = 18.0;
    let max_total = RIGHT - LEFT - 2.0 * padding;
    // Each column is as wide as its widest line; shrink everything if the row is too wide.
    let widths: Vec<f32> = facts
        .iter()
        .map(|(title, lines)| {
            let mut w = p.width(label, title);
            for (i, line) in lines.iter().enumerate() {
                w = w.max(p.width(if i == 0 { value } else { second }, line));
            }
            w
        })
        .collect();
    let natural: f32 = widths.iter().sum::<f32>() + gap * (facts.len().saturating_sub(1)) as f32;
    let scale = if natural > max_total {
        max_total / natural
    } else {
        1.0
    };
    let (label, value, second, gap) = (
        label.sized(label.size * scale),
        value.sized(value.size * scale),
        second.sized(second.size * scale),
        gap * scale,
    );
    let mut x = CENTER - natural * scale / 2.0;
    p.fill_rect(
        Rect::from_xywh(
            x - padding,
            top - 6.0,
            natural * scale + 2.0 * padding,
            54.0,
        ),
        PALE,
    );
    for (i, ((title, lines), width)) in facts.iter().zip(&widths).enumerate() {
        let width = width * scale;
        let cx = x + width / 2.0;
        if i > 0 {
            let rule_x = x - gap / 2.0;
            p.line((rule_x, top + 2.0), (rule_x, top + 40.0), GOLD, 0.5);
        }
        p.text(label, title, cx, top + 9.0, Align::Center);
        for (j, line) in lines.iter().enumerate() {
            let style = if j == 0 { value } else { second };
            p.text(style, line, cx, top + 26.0 + 13.0 * j as f32, Align::Center);
        }
        x += width + gap;
    }
}

#[cfg(test)]
mod tests;
