//! API tokens: organisation-scoped bearer credentials with scopes. The secret is shown once; only
//! its SHA-256 is stored (the secret is 256 random bits, so a slow hash adds nothing).

use crate::validation::Invalid;
use sha2::{Digest, Sha256};

/// What a token may do inside its organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Scope {
    /// Read the organisation's members and join requests.
    #[serde(rename = "members:read")]
    MembersRead,
    /// Admit or reject join requests.
    #[serde(rename = "members:write")]
    MembersWrite,
    /// Read proposals, discussions and results.
    #[serde(rename = "proposals:read")]
    ProposalsRead,
    /// Read the organisation's wallet, statements and payment requests.
    #[serde(rename = "payments:read")]
    PaymentsRead,
    /// Move the organisation's money: payments, revenue bookings, payouts, holds, requests.
    #[serde(rename = "payments:write")]
    PaymentsWrite,
    /// Read projects, tasks, worklogs and recommendations.
    #[serde(rename = "work:read")]
    WorkRead,
    /// Create and edit tasks and comment on them.
    #[serde(rename = "work:write")]
    WorkWrite,
    /// Read the organisation's dashboards and pushed metrics.
    #[serde(rename = "metrics:read")]
    MetricsRead,
    /// Push the business's own metrics (named time series with units).
    #[serde(rename = "metrics:write")]
    MetricsWrite,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::MembersRead,
        Scope::MembersWrite,
        Scope::ProposalsRead,
        Scope::PaymentsRead,
        Scope::PaymentsWrite,
        Scope::WorkRead,
        Scope::WorkWrite,
        Scope::MetricsRead,
        Scope::MetricsWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::MembersRead => "members:read",
            Scope::MembersWrite => "members:write",
            Scope::ProposalsRead => "proposals:read",
            Scope::PaymentsRead => "payments:read",
            Scope::PaymentsWrite => "payments:write",
            Scope::WorkRead => "work:read",
            Scope::WorkWrite => "work:write",
            Scope::MetricsRead => "metrics:read",
            Scope::MetricsWrite => "metrics:write",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scope::MembersRead => "read members and join requests",
            Scope::MembersWrite => "admit or reject join requests",
            Scope::ProposalsRead => "read proposals, discussions and results",
            Scope::PaymentsRead => "read the wallet, statements and payment requests",
            Scope::PaymentsWrite => "move the organisation's money (payments, revenue, payouts, holds)",
            Scope::WorkRead => "read projects, tasks, worklogs and recommendations",
            Scope::WorkWrite => "create and edit tasks and comment on them",
            Scope::MetricsRead => "read the dashboards and pushed metrics",
            Scope::MetricsWrite => "push the business's own metrics",
        }
    }

    pub fn parse(raw: &str) -> Result<Scope, Invalid> {
        Scope::ALL.into_iter().find(|s| s.as_str() == raw.trim()).ok_or_else(|| {
            let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            Invalid::new("scopes", format!("unknown scope '{}'; known: {}", raw.trim(), known.join(", ")))
        })
    }

    /// Parses, deduplicates and sorts a list of scopes; at least one is required.
    pub fn parse_set(raw: &[String]) -> Result<Vec<Scope>, Invalid> {
        let mut scopes = raw
            .iter()
            .flat_map(|s| s.split([',', ' ']))
            .filter(|s| !s.trim().is_empty())
            .map(Scope::parse)
            .collect::<Result<Vec<_>, _>>()?;
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(Invalid::new("scopes", "choose at least one scope"));
        }
        Ok(scopes)
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// Every token starts with this, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "cmn_";

/// Builds the secret a client presents from 32 random bytes: `cmn_` + 64 hex digits.
pub fn format_secret(random: &[u8; 32]) -> String {
    format!("{TOKEN_PREFIX}{}", hex::encode(random))
}

/// The first characters of a secret, kept in clear so people can tell their tokens apart.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(TOKEN_PREFIX.len() + 8).collect()
}

/// The stored form of any high-entropy secret (API tokens and session ids).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A token's name: 1 to 64 characters.
pub fn parse_name(raw: &str) -> Result<String, Invalid> {
    crate::validation::text("name", raw, 1, 64, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sets_are_sorted_and_deduplicated() {
        let scopes = Scope::parse_set(&["members:write members:read".into(), "members:read".into()]).expect("valid");
        assert_eq!(scopes, [Scope::MembersRead, Scope::MembersWrite]);
        assert!(Scope::parse_set(&[]).is_err());
        assert!(Scope::parse_set(&["root".into()]).is_err());
    }

    #[test]
    fn secrets_hash_to_hex() {
        let secret = format_secret(&[7; 32]);
        assert!(secret.starts_with("cmn_0707"));
        assert_eq!(secret_hash(&secret).len(), 64);
        assert_ne!(secret_hash(&secret), secret_hash("cmn_other"));
        assert_eq!(display_prefix(&secret), "cmn_07070707");
    }
}
