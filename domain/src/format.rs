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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_have_a_decimal_comma_and_are_never_rounded_up() {
        assert_eq!(percent_one_decimal(80.0), "80 %");
        assert_eq!(percent_one_decimal(37.96), "37,9 %");
        assert_eq!(percent_one_decimal(66.666), "66,6 %");
    }
}
