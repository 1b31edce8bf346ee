//! The handover as a printable PDF: A4 portrait, as many pages as it needs, drawn with the
//! certificates' embedded Liberation fonts (`certificates::pdf`), so every Spanish name prints
//! exactly. The same sections as the page, in the same order; each page carries the
//! municipality and «Página n de m».

use super::Handover;
use crate::certificates::pdf::{Align, FaceKind, Painter, Rgb, Style};
use crate::error::{AppError, AppResult};
use crate::fonts::{FONTS, missing_glyphs};
use crate::format::{date, plural};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::{Document, SerializeSettings};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 56.0;
const RIGHT: f32 = PAGE_W - 56.0;
const TOP: f32 = 64.0;
const BOTTOM: f32 = PAGE_H - 60.0;
const INDENT: f32 = 12.0;

const INK: Rgb = Rgb(0x1f, 0x23, 0x28);
const GREEN: Rgb = Rgb(0x0b, 0x5d, 0x3b);
const GRAY: Rgb = Rgb(0x5b, 0x63, 0x6b);

/// One line placed on a page.
struct Line {
    style: Style,
    text: String,
    x: f32,
    y: f32,
}

/// Lays text out top to bottom, starting a page when the next line does not fit.
struct Layout<'a, 'b, 'c> {
    measure: &'c Painter<'a, 'b>,
    pages: Vec<Vec<Line>>,
    y: f32,
}

impl Layout<'_, '_, '_> {
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    fn put(&mut self, style: Style, text: &str, x: f32, leading: f32) {
        self.room(leading);
        self.y += leading;
        let y = self.y;
        if let Some(page) = self.pages.last_mut() {
            page.push(Line {
                style,
                text: text.to_string(),
                x,
                y,
            });
        }
    }

    /// A paragraph wrapped to the text width, from `x`.
    fn paragraph(&mut self, style: Style, text: &str, x: f32) {
        let leading = style_size(style) * 1.35;
        for line in self.measure.wrap(style, text, RIGHT - x) {
            self.put(style, &line, x, leading);
        }
    }

    /// A section heading, kept with at least two lines after it.
    fn heading(&mut self, text: &str) {
        self.room(14.0 + 13.0 * 1.35 + 2.0 * 10.0 * 1.35);
        self.y += 14.0;
        self.put(
            Style::new(FaceKind::SansBold, 13.0, GREEN),
            text,
            LEFT,
            13.0 * 1.35,
        );
        self.y += 3.0;
    }

    /// One item: its first line in bold, the details under it, indented.
    fn item(&mut self, title: &str, details: &[String]) {
        self.room(10.5 * 1.35 * (1 + details.len().min(2)) as f32);
        self.y += 3.0;
        self.paragraph(Style::new(FaceKind::SansBold, 10.5, INK), title, LEFT);
        for detail in details {
            self.paragraph(Style::new(FaceKind::Sans, 9.5, GRAY), detail, LEFT + INDENT);
        }
    }

    fn sentence(&mut self, text: &str) {
        self.paragraph(Style::new(FaceKind::Sans, 10.5, INK), text, LEFT);
    }
}

fn style_size(style: Style) -> f32 {
    style.size
}

/// Characters the embedded fonts cannot draw print as «?» (a name typed with an emoji must not
/// stop the whole document).
fn printable(text: &str, painter: &Painter) -> String {
    let missing = missing_glyphs(text, &[&painter.fonts.sans, &painter.fonts.sans_bold]);
    text.chars()
        .map(|c| if missing.contains(&c) { '?' } else { c })
        .collect()
}

/// The handover as PDF bytes.
pub fn render(handover: &Handover) -> AppResult<Vec<u8>> {
    let fonts = FONTS
        .as_ref()
        .ok_or_else(|| AppError::Internal("las fuentes del documento no cargan".into()))?;
    let place = &handover.municipality;
    let title = format!("Informe de empalme de {}", place.name);
    let mut document = Document::new_with(SerializeSettings::default());
    document.set_metadata(
        Metadata::new()
            .title(title.clone())
            .language("es-CO".into())
            .creator("Aula Territorial – ESAP".into()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| AppError::Internal("tamaño de página inválido".into()))?;

    // First pass: lay every line out on its page (a throwaway page only measures).
    let pages = {
        let mut scratch = Document::new();
        let mut page = scratch.start_page_with(settings.clone());
        let mut surface = page.surface();
        let measure = Painter {
            surface: &mut surface,
            fonts,
        };
        let mut layout = Layout {
            measure: &measure,
            pages: vec![Vec::new()],
            y: TOP - 8.0,
        };
        lay_out(&mut layout, handover, &title, &measure);
        layout.pages
    };

    // Second pass: draw them, with the running footer.
    let total = pages.len();
    for (n, lines) in pages.into_iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        {
            let mut painter = Painter {
                surface: &mut surface,
                fonts,
            };
            for line in &lines {
                painter.text(line.style, &line.text, line.x, line.y, Align::Left);
            }
            let footer = Style::new(FaceKind::Sans, 8.5, GRAY);
            painter.line((LEFT, BOTTOM + 18.0), (RIGHT, BOTTOM + 18.0), GRAY, 0.4);
            let left = printable(
                &format!(
                    "Empalme · {} ({}) · expedido el {}",
                    place.name,
                    place.department_name,
                    date(handover.issued_on)
                ),
                &painter,
            );
            painter.text(footer, &left, LEFT, BOTTOM + 32.0, Align::Left);
            let right = format!("Página {} de {total}", n + 1);
            let width = painter.width(footer, &right);
            painter.text(footer, &right, RIGHT - width, BOTTOM + 32.0, Align::Left);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| AppError::Internal(format!("no se pudo generar el PDF: {e:?}")))
}

fn lay_out(layout: &mut Layout, h: &Handover, title: &str, p: &Painter) {
    lay_out_summary(layout, h, title, p);
    lay_out_people(layout, h, p);
    lay_out_assistances(layout, h, p);
    lay_out_agreements(layout, h, p);
    lay_out_milestones(layout, h, p);
    lay_out_resources(layout, h, p);
    lay_out_positions(layout, h, p);
    lay_out_replicas(layout, h, p);
    lay_out_demands(layout, h, p);
    lay_out_indicators(layout, h, p);
}

/// The title, the place and date, and a one-sentence summary of what the handover holds.
fn lay_out_summary(layout: &mut Layout, h: &Handover, title: &str, p: &Painter) {
    let t = |text: &str| printable(text, p);
    let place = &h.municipality;
    layout.paragraph(Style::new(FaceKind::SansBold, 20.0, GREEN), &t(title), LEFT);
    layout.paragraph(
        Style::new(FaceKind::Sans, 11.0, GRAY),
        &t(&format!(
            "{}, {} · Expedido el {} por Aula Territorial (ESAP)",
            place.name,
            place.department_name,
            date(h.issued_on)
        )),
        LEFT,
    );
    layout.y += 6.0;
    layout.sentence(&format!(
        "Lo que el municipio recibió y lo que queda pendiente, para la administración que \
         llega y su enlace: {}, {} de ellas en la entidad; {}; {} y {}; {}.",
        plural(
            h.trained.len() as i64,
            "persona formada",
            "personas formadas"
        ),
        h.still_in_entity,
        plural(
            h.assistances.len() as i64,
            "asistencia técnica",
            "asistencias técnicas"
        ),
        plural(
            h.open_agreements.len() as i64,
            "compromiso abierto",
            "compromisos abiertos"
        ),
        plural(
            h.pending_milestones.len() as i64,
            "hito pendiente",
            "hitos pendientes"
        ),
        plural(
            h.open_demands.len() as i64,
            "demanda sin atender",
            "demandas sin atender"
        ),
    ));
}

/// People: who was trained and certified, by capacity and one by one.
fn lay_out_people(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading(&format!(
        "Personas formadas y certificadas ({})",
        h.trained.len()
    ));
    if h.trained.is_empty() {
        layout.sentence("Nadie del municipio ha sido formado todavía en Aula Territorial.");
    } else {
        layout.sentence(&format!(
            "{} en la entidad; {} que ya no está.",
            plural(h.still_in_entity as i64, "sigue", "siguen"),
            plural(h.left as i64, "persona informó", "personas informaron"),
        ));
        for c in &h.capacities {
            layout.paragraph(
                Style::new(FaceKind::Sans, 10.0, INK),
                &t(&format!(
                    "• {}: {}, {}, {} en la entidad",
                    c.capacity_name,
                    plural(c.trained as i64, "formada", "formadas"),
                    plural(c.certified as i64, "certificada", "certificadas"),
                    c.still_in_entity
                )),
                LEFT + INDENT,
            );
        }
        for person in &h.trained {
            let mut details = Vec::new();
            let state = match person.left_on {
                Some(day) => format!("Ya no está en la entidad (lo informó el {})", date(day)),
                None => "Sigue en la entidad".to_string(),
            };
            details.push(t(&match &person.position {
                Some(position) if !position.trim().is_empty() => format!("{position} · {state}"),
                _ => state,
            }));
            for c in &person.capacities {
                details.push(t(&format!("{} ({}): {}", c.capacity_name, c.year, c.state)));
            }
            for cert in &person.certificates {
                details.push(t(&format!(
                    "Certificado {} · {} · {} horas · {}",
                    cert.code,
                    cert.course_name,
                    cert.hours,
                    date(cert.issued_on)
                )));
            }
            layout.item(&t(&person.full_name), &details);
        }
    }
}

/// Assistance: the technical assistance the municipality received.
fn lay_out_assistances(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading(&format!(
        "Asistencia técnica recibida ({})",
        h.assistances.len()
    ));
    if h.assistances.is_empty() {
        layout.sentence("El municipio no ha recibido asistencia técnica registrada.");
    }
    for a in &h.assistances {
        let mut details = vec![t(&format!(
            "{} · {} · del {} al {}",
            a.provider_name,
            a.status_label,
            date(a.starts_on),
            date(a.ends_on)
        ))];
        if !a.capacity_names.is_empty() {
            details.push(t(&format!("Capacidades: {}", a.capacity_names.join(", "))));
        }
        details.push(t(&format!("Objetivo: {}", a.objective)));
        details.push(format!(
            "{}; {}",
            plural(
                a.open_agreements as i64,
                "compromiso abierto",
                "compromisos abiertos"
            ),
            plural(
                a.pending_milestones as i64,
                "hito pendiente",
                "hitos pendientes"
            )
        ));
        layout.item(
            &t(&format!("{} · {}", a.entity_label, a.provider_name)),
            &details,
        );
    }
}

/// The agreements still open.
fn lay_out_agreements(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading(&format!(
        "Compromisos abiertos ({})",
        h.open_agreements.len()
    ));
    if h.open_agreements.is_empty() {
        layout.sentence("No queda ningún compromiso abierto.");
    }
    for a in &h.open_agreements {
        layout.item(
            &t(&a.text),
            &[t(&format!(
                "Responsable: {} · vence el {}{} · {} ({})",
                a.owner,
                date(a.due_on),
                if a.overdue { ", vencido" } else { "" },
                a.entity_label,
                a.provider_name
            ))],
        );
    }
}

/// The milestones still pending.
fn lay_out_milestones(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading(&format!(
        "Hitos pendientes ({})",
        h.pending_milestones.len()
    ));
    if h.pending_milestones.is_empty() {
        layout.sentence("No queda ningún hito pendiente.");
    }
    for m in &h.pending_milestones {
        layout.item(
            &t(&m.title),
            &[t(&format!(
                "Previsto para el {}{} · {} ({})",
                date(m.due_on),
                if m.overdue { ", vencido" } else { "" },
                m.entity_label,
                m.provider_name
            ))],
        );
    }
}

/// The products and resources delivered.
fn lay_out_resources(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading(&format!(
        "Productos y recursos entregados ({})",
        h.resources.len()
    ));
    if h.resources.is_empty() {
        layout.sentence("Ninguna asistencia ha entregado productos todavía.");
    }
    for r in &h.resources {
        layout.item(
            &t(&r.title),
            &[t(&format!(
                "{} · entregado el {} · {}",
                r.kind_label,
                date(r.date),
                r.provider_name
            ))],
        );
    }
}

/// The key positions not held by someone certified in their capacity (issue 68).
fn lay_out_positions(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading(&format!(
        "Cargos clave sin titular certificado ({})",
        h.uncovered_positions.len()
    ));
    if h.uncovered_positions.is_empty() {
        layout.sentence(
            "Todos los cargos clave registrados tienen titular certificado en su capacidad, o \
             la alcaldía no ha registrado cargos clave.",
        );
    }
    for c in &h.uncovered_positions {
        let state = match (&c.holder, &c.last_departure) {
            (Some(holder), _) => format!(
                "{} · {} · sin certificado en la capacidad",
                holder.full_name,
                c.appointment_label.unwrap_or("")
            ),
            (None, Some(left)) => format!(
                "Vacante: {} salió el {}{}",
                left.holder_name,
                left.on_display,
                if left.certified {
                    " (estaba certificado)"
                } else {
                    ""
                }
            ),
            (None, None) => "Vacante".to_string(),
        };
        layout.item(
            &t(&format!("{} ({})", c.title, c.capacity_name)),
            &[t(&state)],
        );
    }
}

/// Second-generation reach (replicas).
fn lay_out_replicas(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading("Alcance de segunda generación (réplicas)");
    if h.replicas.is_empty() {
        layout.sentence("Ningún replicador ha registrado réplicas en el municipio.");
    }
    for r in &h.replicas {
        layout.item(
            &t(&format!("{}, {}", r.capacity_name, r.year)),
            &[t(&format!(
                "{} personas alcanzadas en {} réplicas (no se suman a la formación directa)",
                r.people_reached_by_replicas, r.replicas
            ))],
        );
    }
}

/// The demands not yet met.
fn lay_out_demands(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading(&format!("Demandas sin atender ({})", h.open_demands.len()));
    if h.open_demands.is_empty() {
        layout.sentence("El municipio no tiene demandas abiertas.");
    }
    for d in &h.open_demands {
        layout.item(
            &t(&d.topic),
            &[t(&format!(
                "{} · {} · {} · {} · registrada el {}",
                d.capacity_name,
                d.entity_label,
                d.status_label,
                plural(i64::from(d.people_estimate), "persona", "personas"),
                date(d.created_on)
            ))],
        );
    }
}

/// The indicators before and after.
fn lay_out_indicators(layout: &mut Layout, h: &Handover, p: &Painter) {
    let t = |text: &str| printable(text, p);
    layout.heading(&format!(
        "Indicadores antes y después ({})",
        h.indicators.len()
    ));
    if h.indicators.is_empty() {
        layout.sentence("No hay indicadores registrados para el municipio.");
    }
    for i in &h.indicators {
        let reading = match i.improved {
            Some(true) => " (mejoró)",
            Some(false) => " (empeoró)",
            None => "",
        };
        let made_up = if i.synthetic {
            " · dato sintético"
        } else {
            ""
        };
        layout.item(
            &t(&i.name),
            &[t(&format!(
                "{}: {} → {}: {} · cambio {}{}{}",
                i.first_year,
                i.first_display,
                i.last_year,
                i.last_display,
                i.change_display,
                reading,
                made_up
            ))],
        );
    }
}
