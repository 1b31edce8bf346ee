//! The inline SVG of an indicator's series on a municipality's page (no JavaScript, not colour
//! alone): real values as a solid line with filled circles, synthetic values as a dashed line
//! with hollow circles, the years in which people of the municipality completed training in
//! the capacity as hatched vertical bands labelled «F», and «antes»/«después» written beside
//! their points. The page shows the same figures in a table.

use super::impact::{IndicatorSeries, Point, YearFigures};
use serde::Serialize;

// Drawn for a phone (issue 45): about 350 units wide, so that on a 390 px screen the chart is
// drawn at about one px per unit and its 13-unit text reads at 12 px or more; a wider screen
// draws it larger (the stylesheet caps it).
const WIDTH: f64 = 262.0;
const HEIGHT: f64 = 120.0;
const LEFT: f64 = 62.0;
const TOP: f64 = 18.0;
/// The charts' text, in the SVG's units.
pub const FONT: f64 = 13.0;
/// The least room between two year labels («2020» at 13 units is about 30 wide).
const YEAR_ROOM: f64 = 38.0;

#[derive(Clone, Debug, Serialize)]
pub struct SeriesChart {
    pub width: f64,
    pub height: f64,
    pub axis_x: f64,
    pub axis_end: f64,
    pub axis_y: String,
    /// `x,y x,y …` of the real values; of the synthetic ones (joined to the last real one).
    pub real_line: String,
    pub synthetic_line: String,
    pub points: Vec<ChartPoint>,
    pub grid: Vec<ChartLine>,
    pub years: Vec<ChartYear>,
    pub bands: Vec<ChartBand>,
    /// What the chart says, for its `<title>`.
    pub summary: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartPoint {
    pub x: String,
    pub y: String,
    pub label_y: String,
    pub synthetic: bool,
    /// «antes», «después» or empty.
    pub mark: &'static str,
    pub title: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartLine {
    pub y: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartYear {
    pub x: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartBand {
    pub x: String,
    pub width: String,
    pub title: String,
}

impl SeriesChart {
    /// The chart as inline SVG markup; `id` makes its title's and pattern's ids unique on the
    /// page. Written here rather than in a template: a municipality's page draws a dozen
    /// charts, and walking each point through handlebars' paths cost more than everything
    /// else on the page. Every text is HTML-escaped as the templates escape it.
    pub fn svg(&self, id: &str) -> String {
        let e = handlebars::html_escape;
        let id = e(id);
        let mut out = String::with_capacity(4096);
        out.push_str(&format!(
            r##"<svg role="img" aria-labelledby="g-{id}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg"><title id="g-{id}">{summary}</title><defs><pattern id="rayas-{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#8a6d00" stroke-width="2"/></pattern></defs>"##,
            w = self.width,
            h = self.height,
            summary = e(&self.summary),
        ));
        for band in &self.bands {
            out.push_str(&format!(
                r##"<rect x="{x}" y="{TOP}" width="{width}" height="{axis}" fill="url(#rayas-{id})" opacity="0.35"><title>{title}</title></rect><text x="{x}" y="12" font-size="{font}">F</text>"##,
                x = band.x,
                width = band.width,
                axis = HEIGHT,
                title = e(&band.title),
                font = FONT,
            ));
        }
        for line in &self.grid {
            out.push_str(&format!(
                r##"<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#d0d7de" stroke-width="1"/><text x="0" y="{y}" font-size="{font}" dominant-baseline="middle">{label}</text>"##,
                x1 = self.axis_x,
                x2 = self.axis_end,
                y = line.y,
                label = e(&line.label),
                font = FONT,
            ));
        }
        if !self.real_line.is_empty() {
            out.push_str(&format!(
                r##"<polyline points="{}" fill="none" stroke="#2f5597" stroke-width="2.5"/>"##,
                self.real_line
            ));
        }
        if !self.synthetic_line.is_empty() {
            out.push_str(&format!(
                r##"<polyline points="{}" fill="none" stroke="#7f7f7f" stroke-width="2" stroke-dasharray="5 4"/>"##,
                self.synthetic_line
            ));
        }
        for point in &self.points {
            let fill = if point.synthetic {
                r##"fill="#fff" stroke="#7f7f7f" stroke-width="2""##
            } else {
                r##"fill="#2f5597""##
            };
            out.push_str(&format!(
                r#"<circle cx="{x}" cy="{y}" r="4" {fill}><title>{title}</title></circle>"#,
                x = point.x,
                y = point.y,
                title = e(&point.title),
            ));
            if !point.mark.is_empty() {
                out.push_str(&format!(
                    r#"<text x="{x}" y="{y}" font-size="{font}" text-anchor="middle">{mark}</text>"#,
                    x = point.x,
                    y = point.label_y,
                    mark = point.mark,
                    font = FONT,
                ));
            }
        }
        for year in &self.years {
            out.push_str(&format!(
                r#"<text x="{x}" y="{h}" dy="-4" font-size="{font}" text-anchor="middle">{label}</text>"#,
                x = year.x,
                h = self.height,
                label = e(&year.label),
                font = FONT,
            ));
        }
        out.push_str("</svg>");
        out
    }
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// The chart of `series` with the training years of `by_year`; none when it has no values.
pub fn series_chart(series: &IndicatorSeries, by_year: &[YearFigures]) -> Option<SeriesChart> {
    let observations = &series.observations;
    let first = observations.first()?;
    let trained_years: Vec<&YearFigures> = by_year.iter().filter(|y| y.completed > 0).collect();
    let years = YearScale::new(observations, &trained_years, first.year);
    let values = ValueScale::new(series);
    let (real_line, synthetic_line) = lines(observations, &years, &values);
    Some(SeriesChart {
        width: LEFT + WIDTH + 26.0,
        height: TOP + HEIGHT + 30.0,
        axis_x: LEFT,
        axis_end: LEFT + WIDTH,
        axis_y: px(TOP + HEIGHT),
        real_line,
        synthetic_line,
        points: chart_points(series, &years, &values),
        grid: grid_lines(series, &values),
        years: year_labels(&years),
        bands: training_bands(&trained_years, &years),
        summary: chart_summary(series),
    })
}

/// The horizontal axis: from the first to the last year with a value or with training.
struct YearScale {
    lo: i32,
    hi: i32,
    /// Units per year.
    step: f64,
}

impl YearScale {
    fn new(observations: &[Point], trained_years: &[&YearFigures], fallback: i32) -> YearScale {
        let lo = trained_years
            .iter()
            .map(|y| y.year)
            .chain(observations.iter().map(|o| o.year))
            .min()
            .unwrap_or(fallback);
        let hi = trained_years
            .iter()
            .map(|y| y.year)
            .chain(observations.iter().map(|o| o.year))
            .max()
            .unwrap_or(fallback);
        let span = (hi - lo).max(1) as f64;
        YearScale {
            lo,
            hi,
            step: WIDTH / span,
        }
    }

    /// The x of a year (the middle when there is one year only).
    fn x(&self, year: i32) -> f64 {
        if self.hi == self.lo {
            LEFT + WIDTH / 2.0
        } else {
            LEFT + self.step * f64::from(year - self.lo)
        }
    }
}

/// The vertical axis: the values' range, padded, within the unit's bounds.
struct ValueScale {
    lo: f64,
    hi: f64,
}

impl ValueScale {
    fn new(series: &IndicatorSeries) -> ValueScale {
        let (mut lo, mut hi) = series
            .observations
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), o| {
                (lo.min(o.value), hi.max(o.value))
            });
        let bounded = series.unit.contains("0 a 100");
        let pad = ((hi - lo) * 0.15).max(1.0);
        lo = (lo - pad).floor();
        hi = (hi + pad).ceil();
        if bounded {
            lo = lo.max(0.0);
            hi = hi.min(100.0);
        } else if series.unit == crate::entities::indicator::CATEGORY_UNIT {
            lo = lo.max(0.0);
            hi = hi.min(6.0);
        }
        if hi <= lo {
            hi = lo + 1.0;
        }
        ValueScale { lo, hi }
    }

    /// The y of a value.
    fn y(&self, v: f64) -> f64 {
        TOP + HEIGHT * (1.0 - (v - self.lo) / (self.hi - self.lo))
    }
}

/// One point per observation, marked «antes»/«después» when it is the before or after value.
fn chart_points(series: &IndicatorSeries, xs: &YearScale, ys: &ValueScale) -> Vec<ChartPoint> {
    let before_year = series.before.as_ref().map(|p| p.year);
    let after_year = series.after.as_ref().map(|p| p.year);
    series
        .observations
        .iter()
        .map(|o| {
            let mark = if Some(o.year) == before_year {
                "antes"
            } else if Some(o.year) == after_year {
                "después"
            } else {
                ""
            };
            ChartPoint {
                x: px(xs.x(o.year)),
                y: px(ys.y(o.value)),
                label_y: px(ys.y(o.value) - 8.0),
                synthetic: o.synthetic,
                mark,
                title: format!(
                    "{}: {}{}",
                    o.year,
                    o.display,
                    if o.synthetic {
                        " (sintético, no es un dato real)"
                    } else {
                        ""
                    }
                ),
            }
        })
        .collect()
}

/// The real line and the synthetic one (joined to the last real value); each empty when it
/// has fewer than two points.
fn lines(observations: &[Point], xs: &YearScale, ys: &ValueScale) -> (String, String) {
    let real: Vec<String> = observations
        .iter()
        .filter(|o| !o.synthetic)
        .map(|o| format!("{},{}", px(xs.x(o.year)), px(ys.y(o.value))))
        .collect();
    let last_real = observations.iter().rfind(|o| !o.synthetic);
    let synthetic: Vec<String> = last_real
        .into_iter()
        .chain(observations.iter().filter(|o| o.synthetic))
        .map(|o| format!("{},{}", px(xs.x(o.year)), px(ys.y(o.value))))
        .collect();
    let joined = |points: Vec<String>| {
        if points.len() > 1 {
            points.join(" ")
        } else {
            String::new()
        }
    };
    (joined(real), joined(synthetic))
}

/// Grid lines at the bottom, the middle and the top of the value range.
fn grid_lines(series: &IndicatorSeries, ys: &ValueScale) -> Vec<ChartLine> {
    [ys.lo, (ys.lo + ys.hi) / 2.0, ys.hi]
        .iter()
        .map(|v| ChartLine {
            y: px(ys.y(*v)),
            label: super::display(&series.unit, *v),
        })
        .collect()
}

/// Every year when there is room; else every second, third… year, always the last one.
fn year_labels(xs: &YearScale) -> Vec<ChartYear> {
    let every = if xs.hi == xs.lo {
        1
    } else {
        (YEAR_ROOM / xs.step).ceil().max(1.0) as i32
    };
    (xs.lo..=xs.hi)
        .filter(|year| (xs.hi - year) % every == 0)
        .map(|year| ChartYear {
            x: px(xs.x(year)),
            label: year.to_string(),
        })
        .collect()
}

/// A band over each year in which people completed training in the capacity.
fn training_bands(trained_years: &[&YearFigures], xs: &YearScale) -> Vec<ChartBand> {
    let band_width = if xs.hi == xs.lo {
        24.0
    } else {
        (xs.step * 0.5).min(36.0)
    };
    trained_years
        .iter()
        .map(|t| ChartBand {
            x: px(xs.x(t.year) - band_width / 2.0),
            width: px(band_width),
            title: format!(
                "{}: {} formación en la capacidad",
                t.year,
                crate::format::plural(t.completed, "persona aprobó", "personas aprobaron")
            ),
        })
        .collect()
}

/// What the chart says: the before and after values, or the years it covers.
fn chart_summary(series: &IndicatorSeries) -> String {
    let observations = &series.observations;
    match (&series.before, &series.after) {
        (Some(b), Some(a)) => format!(
            "{}: {} antes de la formación ({}) y {} después ({}).",
            series.name, b.display, b.year, a.display, a.year
        ),
        _ => format!(
            "{}: valores de {} a {}.",
            series.name,
            observations.first().map_or(0, |o| o.year),
            observations.last().map_or(0, |o| o.year)
        ),
    }
}
