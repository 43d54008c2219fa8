//! Invite links: a steward's standing admission for whoever holds the link — single or
//! multi-use, expiring, revocable. The link's secret is random and only its hash is stored; the
//! rules here are what a link may promise and when it still admits.

use crate::validation::{Invalid, Violations};

/// Most uses one link may allow.
pub const MAX_USES: u32 = 1_000;
/// Longest a link may live, in days.
pub const MAX_DAYS: u32 = 90;
/// Longest note (who it is for), in characters.
pub const MAX_NOTE: usize = 200;
/// The prefix that tells an invite secret from other secrets.
pub const PREFIX: &str = "inv_";

/// What a new link promises, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub max_uses: u32,
    pub expires_in_days: u32,
    pub note: String,
}

impl Terms {
    pub fn parse(max_uses: &str, expires_in_days: &str, note: &str) -> Result<Terms, Violations> {
        let mut problems = Violations::default();
        let whole = |raw: &str, field: &'static str, max: u32, what: &str| {
            raw.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| Invalid::new(field, format!("{what} from 1 to {max}")))
        };
        let max_uses = problems.check(whole(max_uses, "max_uses", MAX_USES, "a number of uses"));
        let days = problems.check(whole(expires_in_days, "expires_in_days", MAX_DAYS, "a number of days"));
        let note = note.trim();
        if note.chars().count() > MAX_NOTE || note.chars().any(char::is_control) {
            problems.0.push(Invalid::new("note", format!("at most {MAX_NOTE} characters on one line")));
        }
        problems.into_result()?;
        Ok(Terms { max_uses: max_uses.unwrap_or(1), expires_in_days: days.unwrap_or(1), note: note.to_owned() })
    }
}

/// Why a link no longer admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Spent {
    #[error("this invite link was revoked")]
    Revoked,
    #[error("this invite link has expired")]
    Expired,
    #[error("this invite link has been used as many times as it allows")]
    UsedUp,
}

/// Whether a link with these facts still admits at `now_ms`.
pub fn usable(uses: u32, max_uses: u32, expires_at: i64, revoked: bool, now_ms: i64) -> Result<(), Spent> {
    if revoked {
        Err(Spent::Revoked)
    } else if now_ms >= expires_at {
        Err(Spent::Expired)
    } else if uses >= max_uses {
        Err(Spent::UsedUp)
    } else {
        Ok(())
    }
}

/// Whether `raw` has the shape of an invite secret (`inv_` and 64 hex digits); anything else is
/// refused before any lookup.
pub fn well_formed(raw: &str) -> bool {
    raw.strip_prefix(PREFIX).is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_have_bounds() {
        let t = Terms::parse("5", "7", " for the bakery crew ").expect("valid");
        assert_eq!((t.max_uses, t.expires_in_days, t.note.as_str()), (5, 7, "for the bakery crew"));
        let bad = Terms::parse("0", "365", &"x".repeat(201)).expect_err("three problems");
        let fields: Vec<&str> = bad.0.iter().map(|i| i.field).collect();
        assert_eq!(fields, ["max_uses", "expires_in_days", "note"]);
        assert!(Terms::parse("1001", "1", "").is_err());
        assert!(Terms::parse("-1", "1", "").is_err());
        assert!(Terms::parse("1", "1", "two\nlines").is_err());
    }

    #[test]
    fn a_link_admits_until_revoked_expired_or_used_up() {
        assert_eq!(usable(0, 1, 100, false, 99), Ok(()));
        assert_eq!(usable(0, 1, 100, false, 100), Err(Spent::Expired));
        assert_eq!(usable(1, 1, 100, false, 50), Err(Spent::UsedUp));
        assert_eq!(usable(0, 1, 100, true, 50), Err(Spent::Revoked));
        assert!(well_formed(&format!("inv_{}", "ab".repeat(32))));
        assert!(!well_formed("inv_xyz") && !well_formed(&"ab".repeat(34)));
    }
}
