//! Amounts at the edges: a ledger counts integer minor units; people read and type decimals with
//! the ledger's scale (2 for cents). Parsing is exact (no floats): too many decimals is an error,
//! never a rounding.

use crate::validation::Invalid;

/// The largest scale a ledger may have: 10^18 still fits a u64.
pub const MAX_SCALE: u32 = 18;

/// The accepted forms, for error messages.
fn forms(scale: u32) -> String {
    match scale {
        0 => "write whole units as digits only, like 12".to_owned(),
        1 => "write digits with at most one decimal after a point or a comma, like 12, 12.5 or 12,5".to_owned(),
        _ => format!(
            "write digits with at most {scale} decimals after a point or a comma, like 12, 12.5 or 12,50 (no signs, spaces or thousands separators)"
        ),
    }
}

/// Parses an amount typed by a person into minor units at `scale`, by one strict grammar:
/// digits, then optionally one decimal separator (`.` or `,`, both the decimal point) followed by
/// one to `scale` digits. Nothing else: no sign, no grouping (`1,000.50`, `1_000`, `1 000`), no
/// leading or trailing separator (`,1`, `1.`), no exponent. Surrounding whitespace is ignored.
/// Exact: no floats, and too many decimals is an error, never a rounding.
pub fn parse(raw: &str, scale: u32, field: &'static str) -> Result<u64, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::new(field, format!("enter an amount: {}", forms(scale))));
    }
    let not_amount = || Invalid::new(field, format!("'{raw}' is not an amount: {}", forms(scale)));
    let (whole, fraction) = match raw.find(['.', ',']) {
        Some(at) => (&raw[..at], Some(&raw[at + 1..])),
        None => (raw, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(not_amount());
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > scale as usize {
        return Err(Invalid::new(
            field,
            if scale == 0 { forms(0) } else { format!("at most {scale} decimal places: {}", forms(scale)) },
        ));
    }
    let too_big = || Invalid::new(field, "the amount is too large");
    let unit = 10u64.checked_pow(scale).ok_or_else(too_big)?;
    let whole: u64 = whole.parse().map_err(|_| too_big())?;
    let padded = format!("{fraction:0<width$}", width = scale as usize);
    let fraction: u64 = if padded.is_empty() { 0 } else { padded.parse().map_err(|_| too_big())? };
    let minor = whole.checked_mul(unit).and_then(|w| w.checked_add(fraction)).ok_or_else(too_big)?;
    if minor == 0 {
        return Err(Invalid::new(field, "the amount must be more than zero"));
    }
    Ok(minor)
}

/// Formats signed minor units at `scale`: `-1234` at scale 2 is `-12.34`.
pub fn format(minor: i128, scale: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{magnitude}");
    }
    let unit = 10u128.pow(scale);
    format!("{sign}{}.{:0width$}", magnitude / unit, magnitude % unit, width = scale as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_refuses_by_example() {
        assert_eq!(parse("12.5", 2, "amount"), Ok(1250));
        assert_eq!(parse(" 1,00 ", 2, "amount"), Ok(100), "a comma is the decimal point");
        assert_eq!(parse("1,5", 2, "amount"), Ok(150));
        assert_eq!(parse("0.05", 2, "amount"), Ok(5));
        assert_eq!(parse("7", 0, "amount"), Ok(7));
        for bad in [
            "",
            "-1",
            "+1",
            "0",
            "0.00",
            "1.234",
            "abc",
            "1e3",
            "99999999999999999999",
            "1,000.50",
            "1.000,50",
            "1_000",
            ",1",
            ".05",
            "_1",
            "1.",
            "1,",
            "1 000",
            "1..0",
            "١٢",
            "0x10",
            "1.0.0",
        ] {
            let refused = parse(bad, 2, "amount");
            assert!(refused.is_err(), "{bad}");
        }
        assert!(parse("1,000", 0, "amount").is_err(), "no grouping, and no decimals at scale 0");
        assert!(parse("1.5", 2, "amount").is_ok_and(|m| m == 150));
        let message = parse("1,000.50", 2, "amount").expect_err("grouping").message;
        assert!(message.contains("12,50"), "the error shows the accepted forms: {message}");
        assert_eq!(format(-1234, 2), "-12.34");
        assert_eq!(format(5, 2), "0.05");
        assert_eq!(format(7, 0), "7");
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(minor in 1u64..u64::MAX, scale in 0u32..=6) {
            let text = format(i128::from(minor), scale);
            prop_assert_eq!(parse(&text, scale, "amount"), Ok(minor));
            prop_assert_eq!(parse(&text.replace('.', ","), scale, "amount"), Ok(minor), "a comma reads the same");
        }

        /// Anything outside the grammar is refused; anything inside parses to the value its
        /// digits say.
        #[test]
        fn the_grammar_is_exactly_digits_and_one_separator(raw in "[0-9.,_ +-]{0,8}", scale in 0u32..=3) {
            let trimmed = raw.trim();
            let parts: Vec<&str> = trimmed.split(['.', ',']).collect();
            let well_formed = match parts.as_slice() {
                [whole] => !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()),
                [whole, fraction] => !whole.is_empty() && !fraction.is_empty()
                    && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
                    && fraction.len() <= scale as usize,
                _ => false,
            };
            match parse(&raw, scale, "amount") {
                Ok(minor) => {
                    prop_assert!(well_formed, "{raw:?} was accepted");
                    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
                    let fraction = parts.get(1).map_or(0, |f| f.len());
                    let expected = digits.parse::<u128>().ok().map(|d| d * 10u128.pow(scale - fraction as u32));
                    prop_assert_eq!(Some(u128::from(minor)), expected);
                }
                Err(_) => prop_assert!(!well_formed || trimmed.bytes().all(|b| b == b'0' || b == b'.' || b == b','), "{raw:?} was refused"),
            }
        }
    }
}
