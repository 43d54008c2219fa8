//! Amounts at the edges: a ledger counts integer minor units; people read and type decimals with
//! the ledger's scale (2 for cents). Parsing is exact (no floats): too many decimals is an error,
//! never a rounding.

use crate::validation::Invalid;

/// The largest scale a ledger may have: 10^18 still fits a u64.
pub const MAX_SCALE: u32 = 18;

/// Parses a positive decimal like `12.5` or `0.05` into minor units at `scale`.
pub fn parse(raw: &str, scale: u32, field: &'static str) -> Result<u64, Invalid> {
    let raw = raw.trim().replace(['_', ','], "");
    if raw.is_empty() {
        return Err(Invalid::new(field, "enter an amount, like 12.50"));
    }
    if raw.starts_with('-') {
        return Err(Invalid::new(field, "amounts must be positive"));
    }
    let (whole, fraction) = raw.split_once('.').unwrap_or((&raw, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return Err(Invalid::new(field, format!("'{raw}' is not a number; write it like 12.50")));
    }
    if fraction.len() > scale as usize {
        return Err(Invalid::new(field, format!("at most {scale} decimal places")));
    }
    let too_big = || Invalid::new(field, "the amount is too large");
    let unit = 10u64.checked_pow(scale).ok_or_else(too_big)?;
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_big())? };
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
        assert_eq!(parse(".05", 2, "amount"), Ok(5));
        assert_eq!(parse("1,000", 0, "amount"), Ok(1000));
        for bad in ["", "-1", "0", "0.00", "1.234", "abc", "1e3", "99999999999999999999"] {
            assert!(parse(bad, 2, "amount").is_err(), "{bad}");
        }
        assert_eq!(format(-1234, 2), "-12.34");
        assert_eq!(format(5, 2), "0.05");
        assert_eq!(format(7, 0), "7");
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(minor in 1u64..u64::MAX, scale in 0u32..=6) {
            prop_assert_eq!(parse(&format(i128::from(minor), scale), scale, "amount"), Ok(minor));
        }
    }
}
