//! How figures are written for people (Colombian conventions: decimal comma).

/// A percentage with at most one decimal, decimal comma: `37,9 %`, `80 %`. Truncated, never
/// rounded up (as everywhere people read a percentage in the product).
pub fn percent_one_decimal(value: f64) -> String {
    let tenths = (value * 10.0).floor() as i64;
    if tenths % 10 == 0 {
        format!("{} %", tenths / 10)
    } else {
        format!("{},{} %", tenths / 10, tenths % 10)
    }
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

/// A number rounded to `places` decimals, Colombian style: `1.234,5`, `-0,8`, `12`
/// (no decimals when `places` is 0).
pub fn decimal(value: f64, places: usize) -> String {
    let scale = 10f64.powi(places as i32);
    let rounded = (value * scale).round();
    let negative = rounded < 0.0;
    let units = rounded.abs() as i64;
    let whole = units / scale as i64;
    let fraction = units % scale as i64;
    let sign = if negative && units != 0 { "-" } else { "" };
    if places == 0 {
        format!("{sign}{}", thousands(whole))
    } else {
        format!("{sign}{},{fraction:0places$}", thousands(whole))
    }
}

/// A date as Colombians write it: `22 nov. 2026` (abbreviated month with its point, except
/// «mayo», which is short already).
pub fn date(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "ene.", "feb.", "mar.", "abr.", "mayo", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.",
        "dic.",
    ];
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_the_colombian_way() {
        let d = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date(d(2026, 11, 22)), "22 nov. 2026");
        assert_eq!(date(d(2027, 5, 3)), "3 mayo 2027");
        assert_eq!(date(d(2027, 9, 30)), "30 sept. 2027");
    }

    #[test]
    fn percentages_have_a_decimal_comma_and_are_never_rounded_up() {
        assert_eq!(percent_one_decimal(80.0), "80 %");
        assert_eq!(percent_one_decimal(37.96), "37,9 %");
        assert_eq!(percent_one_decimal(66.666), "66,6 %");
    }

    #[test]
    fn numbers_have_thousands_points_and_a_decimal_comma() {
        assert_eq!(thousands(1_234_567), "1.234.567");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(-1000), "-1.000");
        assert_eq!(decimal(49.4386, 1), "49,4");
        assert_eq!(decimal(1234.56, 2), "1.234,56");
        assert_eq!(decimal(-0.75, 1), "-0,8");
        assert_eq!(decimal(-0.04, 1), "0,0");
        assert_eq!(decimal(6.0, 0), "6");
        assert_eq!(decimal(5.05, 2), "5,05");
    }
}
