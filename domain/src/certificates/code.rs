//! Certificate codes: what a person reads off the paper (or the QR) to verify a certificate.
//!
//! A code is 20 symbols in five groups of four, e.g. `7KQ9-M3XR-T2HW-PZ4N-C8DV`, drawn with the
//! operating-system-seeded CSPRNG behind `rand::rng()` from a 30-symbol alphabet: the digits
//! 2–9 and the letters A–Z without `I L O U`. Every glyph that can be mistaken for another
//! (`0/O`, `1/I/L`, `U/V`) is simply absent, so no code ever shows one.
//!
//! Entropy: 20 × log2(30) ≈ 98.1 bits, well above the 80 required — guessing one valid code
//! among even ten million issued ones takes ~10^22 tries. The database's unique index on
//! `certificates.code` is the final guarantee of uniqueness (a collision is astronomically
//! unlikely; whoever inserts should draw again on a unique violation).
//!
//! [`normalize`] accepts what people actually type: lower case, no dashes, spaces, or
//! typographic dashes pasted from a PDF. It does NOT map look-alikes: since `0 O 1 I L U` never
//! appear in a code, a typed one is a mistake, and guessing which symbol was meant would turn
//! "no such code" into a match on a different certificate. Such input is rejected instead.

use rand::Rng;

/// The 30 symbols codes are made of, in ascending ASCII order.
pub const ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols per group.
pub const GROUP_LEN: usize = 4;
/// Groups per code.
pub const GROUPS: usize = 5;
/// Symbols per code, without dashes.
pub const SYMBOLS: usize = GROUP_LEN * GROUPS;
/// Length of a canonical code, with its dashes.
pub const CODE_LEN: usize = SYMBOLS + GROUPS - 1;

/// A new code, e.g. "7KQ9-M3XR-T2HW-PZ4N-C8DV": five groups of four symbols from [`ALPHABET`]
/// (no `0 O 1 I L U`), ≈ 98 random bits from `rand::rng()`.
pub fn generate() -> String {
    let mut rng = rand::rng();
    let symbols: Vec<u8> = (0..SYMBOLS)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
        .collect();
    with_dashes(&symbols)
}

/// What a person typed → the canonical code, or `None` if it cannot be one.
///
/// Trims, uppercases, drops spaces (any Unicode white space) and dashes (ASCII `-` and the
/// typographic ones a PDF viewer may copy: ‐ ‑ ‒ – — ― −), then requires exactly 20 symbols of
/// [`ALPHABET`] and re-inserts the dashes. Look-alikes are not mapped (see the module docs):
/// `0 O 1 I L U` and any other character make it `None`.
pub fn normalize(typed: &str) -> Option<String> {
    let mut symbols = Vec::with_capacity(SYMBOLS);
    for c in typed.chars() {
        if c.is_whitespace() || is_dash(c) {
            continue;
        }
        let upper = c.to_ascii_uppercase();
        if !upper.is_ascii() || !ALPHABET.contains(&(upper as u8)) {
            return None;
        }
        if symbols.len() == SYMBOLS {
            return None;
        }
        symbols.push(upper as u8);
    }
    (symbols.len() == SYMBOLS).then(|| with_dashes(&symbols))
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2015}'
            | '\u{2212}'
    )
}

pub fn with_dashes(symbols: &[u8]) -> String {
    let mut code = String::with_capacity(CODE_LEN);
    for (i, group) in symbols.chunks(GROUP_LEN).enumerate() {
        if i > 0 {
            code.push('-');
        }
        code.extend(group.iter().map(|&b| char::from(b)));
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn is_canonical(code: &str) -> bool {
        code.len() == CODE_LEN
            && code.split('-').count() == GROUPS
            && code
                .split('-')
                .all(|g| g.len() == GROUP_LEN && g.bytes().all(|b| ALPHABET.contains(&b)))
    }

    #[test]
    fn alphabet_has_no_ambiguous_symbols_and_no_repeats() {
        for ambiguous in b"0O1ILU" {
            assert!(!ALPHABET.contains(ambiguous), "{}", char::from(*ambiguous));
        }
        let distinct: HashSet<_> = ALPHABET.iter().collect();
        assert_eq!(distinct.len(), ALPHABET.len());
        assert!(
            ALPHABET
                .iter()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
    }

    #[test]
    fn codes_carry_at_least_80_random_bits() {
        let bits = SYMBOLS as f64 * (ALPHABET.len() as f64).log2();
        assert!(bits >= 80.0, "only {bits:.1} bits");
        assert!(bits > 98.0 && bits < 98.2, "{bits}");
    }

    #[test]
    fn generated_codes_have_the_canonical_shape() {
        for _ in 0..1_000 {
            let code = generate();
            assert!(is_canonical(&code), "{code}");
            assert_eq!(normalize(&code).as_deref(), Some(code.as_str()));
        }
    }

    #[test]
    fn generated_codes_are_unique_over_many_draws() {
        let codes: HashSet<String> = (0..20_000).map(|_| generate()).collect();
        assert_eq!(codes.len(), 20_000);
    }

    #[test]
    fn every_symbol_appears_in_every_position() {
        // 3,000 draws: each (position, symbol) pair is expected 100 times, so a missing one
        // (probability ≈ 600 × e^-101) means the draw is not using the whole alphabet.
        let mut seen: HashMap<(usize, u8), usize> = HashMap::new();
        for _ in 0..3_000 {
            let code = generate().replace('-', "");
            for (position, symbol) in code.bytes().enumerate() {
                *seen.entry((position, symbol)).or_default() += 1;
            }
        }
        assert_eq!(seen.len(), SYMBOLS * ALPHABET.len());
        // And no pair is wildly over-represented (expected 100; 5σ ≈ 50).
        assert!(seen.values().all(|&n| (40..=170).contains(&n)), "{seen:?}");
    }

    #[test]
    fn normalize_accepts_what_people_type() {
        let canonical = Some("7KQ9-M3XR-T2HW-PZ4N-C8DV".to_string());
        for typed in [
            "7KQ9-M3XR-T2HW-PZ4N-C8DV",
            "7kq9-m3xr-t2hw-pz4n-c8dv",
            "7KQ9M3XRT2HWPZ4NC8DV",
            "7kq9m3xrt2hwpz4nc8dv",
            "  7KQ9 M3XR T2HW PZ4N C8DV \n",
            "7KQ9 - M3XR - T2HW - PZ4N - C8DV",
            "7KQ9–M3XR—T2HW‑PZ4N−C8DV",
            "7KQ9-M3XR-T2HW-PZ4N-C8DV\u{a0}",
            "7-K-Q-9-M3XRT2HW--PZ4NC8DV",
        ] {
            assert_eq!(normalize(typed), canonical, "{typed:?}");
        }
    }

    #[test]
    fn normalize_rejects_what_cannot_be_a_code() {
        for typed in [
            "",
            "   ",
            "----",
            "7KQ9-M3XR-T2HW-PZ4N-C8D",      // 19 symbols
            "7KQ9-M3XR-T2HW-PZ4N-C8DVW",    // 21 symbols
            "7KQ9-M3XR-T2HW-PZ4N",          // 16 symbols
            "7KQ9-M3XR-T2HW-PZ4N-C8D0",     // zero
            "7KQ9-M3XR-T2HW-PZ4N-C8DO",     // letter O
            "7KQ9-M3XR-T2HW-PZ4N-C8D1",     // one
            "7KQ9-M3XR-T2HW-PZ4N-C8DI",     // letter I
            "7KQ9-M3XR-T2HW-PZ4N-C8DL",     // letter L
            "7KQ9-M3XR-T2HW-PZ4N-C8DU",     // letter U
            "7KQ9-M3XR-T2HW-PZ4N-C8DÑ",     // not ASCII
            "7KQ9_M3XR_T2HW_PZ4N_C8DV",     // underscores
            "7KQ9.M3XR.T2HW.PZ4N.C8DV",     // dots
            "https://x/verificar/7KQ9M3XR", // a URL is not a code
        ] {
            assert_eq!(normalize(typed), None, "{typed:?}");
        }
    }
}
