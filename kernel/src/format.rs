//! How dates, times and figures are written for people, everywhere they read them (pages,
//! emails, PDFs, workbooks): Colombian conventions.
//!
//! - Dates `22 nov. 2026` (abbreviated month with its point; «mayo» is short already); in
//!   formal text (certificates) `22 de noviembre de 2026`.
//! - Times on the 12-hour clock, `2:00 p. m.`, `9:30 a. m.`, `12:00 m.` (noon), in Bogotá's time.
//! - Decimal comma, thousands point: `1.234,5`.
//! - Rounding half up (away from zero): `2/3` → `66,7 %`, `4,05`.
//!
//! The handlebars registry exposes these as helpers (`{{fecha x}}`, `{{hora x}}`,
//! `{{fecha_hora x}}`, `{{miles x}}`, `{{decimal x 1}}`; see `templates.rs`), so templates
//! format what views give them in ISO form.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};

const SHORT_MONTHS: [&str; 12] = [
    "ene.", "feb.", "mar.", "abr.", "mayo", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic.",
];

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// `22 nov. 2026`.
pub fn date(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        date.day(),
        SHORT_MONTHS[date.month0() as usize],
        date.year()
    )
}

/// `noviembre`: a date's month in full.
pub fn month_name(date: NaiveDate) -> &'static str {
    MONTHS[date.month0() as usize]
}

/// `15 de marzo de 2026`: the formal form certificates print.
pub fn long_date(date: NaiveDate) -> String {
    format!("{} de {} de {}", date.day(), month_name(date), date.year())
}

/// `2:00 p. m.`, `9:05 a. m.`, `12:00 m.` (noon), `12:30 p. m.`, `12:00 a. m.` (midnight).
pub fn time(time: NaiveTime) -> String {
    let (hour, minute) = (time.hour(), time.minute());
    if hour == 12 && minute == 0 {
        return "12:00 m.".into();
    }
    let suffix = if hour < 12 { "a. m." } else { "p. m." };
    let twelve = match hour % 12 {
        0 => 12,
        h => h,
    };
    format!("{twelve}:{minute:02} {suffix}")
}

/// `22 nov. 2026, 2:00 p. m.`: an instant as read in Bogotá.
pub fn date_time(at: DateTime<Utc>) -> String {
    let local = crate::time::local(at);
    format!("{}, {}", date(local.date_naive()), time(local.time()))
}

/// A whole number with Colombian thousands separators: `1.234.567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// An amount in whole pesos as Colombians write it: `$ 12.000.000` (the space a no-break
/// one, so a line never ends at the sign).
pub fn pesos(n: i64) -> String {
    format!("$\u{a0}{}", thousands(n))
}

/// Units of `10^-places` rounded half up (away from zero). The value is first taken to 9
/// significant decimals, so a binary fraction just under a half (`2.675` is stored as
/// `2.67499999…`) rounds as the decimal people see.
fn scaled(value: f64, places: usize) -> f64 {
    let scale = 10f64.powi(places as i32);
    let cleaned = (value * scale * 1e6).round() / 1e6;
    cleaned.round()
}

/// A number rounded half up to `places` decimals, Colombian style: `1.234,5`, `-0,8`, `12`
/// (no decimals when `places` is 0).
pub fn decimal(value: f64, places: usize) -> String {
    let units = scaled(value, places);
    let negative = units < 0.0;
    let units = units.abs() as i64;
    let scale = 10i64.pow(places as u32);
    let (whole, fraction) = (units / scale, units % scale);
    let sign = if negative && units != 0 { "-" } else { "" };
    if places == 0 {
        format!("{sign}{}", thousands(whole))
    } else {
        format!("{sign}{},{fraction:0places$}", thousands(whole))
    }
}

/// Like [`decimal`] with one decimal, without a `,0` (`80`, `87,5`).
fn one_decimal_trimmed(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let tenths = tenths.abs();
    if tenths % 10 == 0 {
        format!("{sign}{}", thousands(tenths / 10))
    } else {
        format!("{sign}{},{}", thousands(tenths / 10), tenths % 10)
    }
}

/// `part / whole` as a percentage with one decimal, rounded half up in exact integer
/// arithmetic: `8/10` → `80 %`, `7/8` → `87,5 %`, `2/3` → `66,7 %`, `0/0` → `0 %`.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0 %".into();
    }
    let tenths = (part * 2000 + whole) / (2 * whole);
    format!("{} %", one_decimal_trimmed(tenths))
}

/// `part / whole` beside a minimum percentage (an attendance rule): rounded half up like
/// [`percent`], except that a value below the minimum never reads as reaching it; then it is
/// cut to two decimals (`25/41` against 61 → `60,97 %`, not `61 %`).
pub fn percent_against(part: i64, whole: i64, minimum: i64) -> String {
    let shown = percent(part, whole);
    let rounded_tenths = if whole > 0 {
        (part * 2000 + whole) / (2 * whole)
    } else {
        0
    };
    if whole <= 0 || part * 100 >= minimum * whole || rounded_tenths < minimum * 10 {
        return shown;
    }
    let hundredths = part * 10_000 / whole;
    format!("{},{:02} %", thousands(hundredths / 100), hundredths % 100)
}

/// A percentage already computed (`37.96` → `38 %`, `66.666` → `66,7 %`).
pub fn percent_value(value: f64) -> String {
    format!("{} %", one_decimal_trimmed(scaled(value, 1) as i64))
}

/// A grade kept in thousandths: at least one decimal, no trailing zeros beyond it
/// (`3250` → `3,25`, `3000` → `3,0`, `1023` → `1,023`).
pub fn grade(milli: i32) -> String {
    let (whole, frac) = (milli / 1000, (milli % 1000).abs());
    let mut decimals = format!("{frac:03}");
    while decimals.len() > 1 && decimals.ends_with('0') {
        decimals.pop();
    }
    format!("{whole},{decimals}")
}

/// A grade kept in tenths (a pass mark): `30` → `3,0`.
pub fn grade_tenths(tenths: i32) -> String {
    format!("{},{}", tenths / 10, (tenths % 10).abs())
}

/// A count with its noun in singular or plural, the count in Colombian digits: `1 cupo`,
/// `5 cupos`, `0 cupos`, `1.122 municipios`. Never «cupo(s)».
pub fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 || n == -1 {
        format!("{n} {one}")
    } else {
        format!("{} {many}", thousands(n))
    }
}

/// How long ago a day was, as people say it: «hoy», «ayer», «hace 3 días» (a day ahead:
/// «mañana», «en 3 días»).
pub fn days_ago(days: i64) -> String {
    match days {
        0 => "hoy".into(),
        1 => "ayer".into(),
        -1 => "mañana".into(),
        d if d < 0 => format!("en {}", plural(-d, "día", "días")),
        d => format!("hace {}", plural(d, "día", "días")),
    }
}

/// «de» with the article an organisation's name takes (issue 61): «de la Escuela Superior…»,
/// «del Departamento Nacional…», «de la ESAP»; a name whose first word is not known here
/// keeps the bare «de» (never a wrong article).
pub fn of_name(name: &str) -> &'static str {
    const FEMININE: &[&str] = &[
        "agencia",
        "alcaldia",
        "asociacion",
        "camara",
        "comision",
        "confederacion",
        "contraloria",
        "corporacion",
        "direccion",
        "entidad",
        "esap",
        "escuela",
        "federacion",
        "fundacion",
        "gobernacion",
        "institucion",
        "oficina",
        "organizacion",
        "personeria",
        "pontificia",
        "procuraduria",
        "red",
        "registraduria",
        "secretaria",
        "superintendencia",
        "unidad",
        "universidad",
    ];
    const MASCULINE: &[&str] = &[
        "banco",
        "centro",
        "colegio",
        "consejo",
        "consorcio",
        "departamento",
        "dnp",
        "fondo",
        "instituto",
        "ministerio",
        "observatorio",
        "politecnico",
        "programa",
        "sena",
        "servicio",
        "sistema",
    ];
    let first = name
        .split_whitespace()
        .next()
        .map(crate::text::fold)
        .unwrap_or_default();
    if FEMININE.contains(&first.as_str()) {
        "de la"
    } else if MASCULINE.contains(&first.as_str()) {
        "del"
    } else {
        "de"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_carry_their_noun_in_singular_or_plural() {
        assert_eq!(plural(1, "cupo", "cupos"), "1 cupo");
        assert_eq!(plural(5, "cupo", "cupos"), "5 cupos");
        assert_eq!(plural(0, "cupo", "cupos"), "0 cupos");
        assert_eq!(plural(1122, "municipio", "municipios"), "1.122 municipios");
        assert_eq!(days_ago(0), "hoy");
        assert_eq!(days_ago(1), "ayer");
        assert_eq!(days_ago(3), "hace 3 días");
        assert_eq!(days_ago(-1), "mañana");
        assert_eq!(days_ago(-2), "en 2 días");
    }

    #[test]
    fn an_organisation_takes_its_article() {
        assert_eq!(
            of_name("Escuela Superior de Administración Pública (ESAP)"),
            "de la"
        );
        assert_eq!(of_name("Departamento Nacional de Planeación (DNP)"), "del");
        assert_eq!(of_name("Gobernación del Caquetá"), "de la");
        assert_eq!(of_name("Proantioquia"), "de");
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_are_written_the_colombian_way() {
        assert_eq!(date(day(2026, 11, 22)), "22 nov. 2026");
        assert_eq!(date(day(2027, 5, 3)), "3 mayo 2027");
        assert_eq!(date(day(2027, 9, 30)), "30 sept. 2027");
        assert_eq!(date(day(2026, 1, 1)), "1 ene. 2026");
        assert_eq!(long_date(day(2026, 3, 15)), "15 de marzo de 2026");
        assert_eq!(long_date(day(2026, 9, 1)), "1 de septiembre de 2026");
    }

    #[test]
    fn times_use_the_twelve_hour_clock() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(time(t(14, 0)), "2:00 p. m.");
        assert_eq!(time(t(9, 5)), "9:05 a. m.");
        assert_eq!(time(t(12, 0)), "12:00 m.");
        assert_eq!(time(t(12, 30)), "12:30 p. m.");
        assert_eq!(time(t(0, 0)), "12:00 a. m.");
        assert_eq!(time(t(23, 59)), "11:59 p. m.");
        // 19:00 UTC is 2:00 p. m. in Bogotá, the same day; 03:00 UTC is the evening before.
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        assert_eq!(
            date_time(at("2026-11-22T19:00:00Z")),
            "22 nov. 2026, 2:00 p. m."
        );
        assert_eq!(
            date_time(at("2026-11-23T03:00:00Z")),
            "22 nov. 2026, 10:00 p. m."
        );
    }

    #[test]
    fn numbers_have_thousands_points_and_a_decimal_comma() {
        assert_eq!(thousands(1_234_567), "1.234.567");
        assert_eq!(thousands(1122), "1.122");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(-1000), "-1.000");
        assert_eq!(pesos(12_000_000), "$\u{a0}12.000.000");
        assert_eq!(pesos(950), "$\u{a0}950");
        assert_eq!(decimal(49.4386, 1), "49,4");
        assert_eq!(decimal(1234.56, 2), "1.234,56");
        assert_eq!(decimal(-0.75, 1), "-0,8");
        assert_eq!(decimal(-0.04, 1), "0,0");
        assert_eq!(decimal(6.0, 0), "6");
        assert_eq!(decimal(12_345.0, 0), "12.345");
        assert_eq!(decimal(5.05, 2), "5,05");
        assert_eq!(decimal(4.05, 1), "4,1");
    }

    #[test]
    fn rounding_is_half_up_as_people_count() {
        assert_eq!(
            decimal(2.675, 2),
            "2,68",
            "not 2,67 from the binary fraction"
        );
        assert_eq!(decimal(0.125, 2), "0,13");
        assert_eq!(decimal(2.5, 0), "3");
        assert_eq!(decimal(3.45, 1), "3,5");
        assert_eq!(decimal(-2.5, 0), "-3");
        assert_eq!(percent(2, 3), "66,7 %");
        assert_eq!(percent(1, 3), "33,3 %");
        assert_eq!(percent(7, 8), "87,5 %");
        assert_eq!(percent(8, 10), "80 %");
        assert_eq!(percent(1, 1), "100 %");
        assert_eq!(percent(0, 0), "0 %");
        assert_eq!(percent(1, 2000), "0,1 %", "0,05 % rounds up");
        assert_eq!(percent(12_345, 12_345), "100 %");
        assert_eq!(
            percent_against(25, 41, 61),
            "60,97 %",
            "not 61 % below 61 %"
        );
        assert_eq!(percent_against(25, 41, 60), "61 %");
        assert_eq!(percent_against(7, 10, 80), "70 %");
        assert_eq!(percent_against(8, 10, 80), "80 %");
        for minimum in 1..=100 {
            for whole in 1..200 {
                let best_failing = (whole * minimum - 1) / 100;
                assert_ne!(
                    percent_against(best_failing, whole, minimum),
                    format!("{minimum} %"),
                    "{best_failing}/{whole} against {minimum} %"
                );
            }
        }
        assert_eq!(percent_value(66.666), "66,7 %");
        assert_eq!(percent_value(37.96), "38 %");
        assert_eq!(percent_value(80.0), "80 %");
        assert_eq!(percent_value(0.05), "0,1 %");
        assert_eq!(percent_value(1234.5), "1.234,5 %");
    }

    #[test]
    fn grades_keep_their_precision_with_a_comma() {
        assert_eq!(grade(3250), "3,25");
        assert_eq!(grade(3000), "3,0");
        assert_eq!(grade(2800), "2,8");
        assert_eq!(grade(1023), "1,023");
        assert_eq!(grade(4050), "4,05");
        assert_eq!(grade_tenths(30), "3,0");
        assert_eq!(grade_tenths(35), "3,5");
    }
}
