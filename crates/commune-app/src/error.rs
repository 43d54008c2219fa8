//! One error type for every operation, with a stable machine [`AppError::code`] and a human
//! message. The HTTP shell maps it to a status and renders it as JSON or as a page; internal
//! errors are logged with detail and shown without it.

use commune_domain::authz::Denied;
use commune_domain::{Invalid, Violations};
use commune_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(Violations),
    #[error("{0}")]
    Denied(Denied),
    #[error("your session has expired; sign in again")]
    SessionExpired,
    #[error("this API token is unknown or revoked")]
    BadToken,
    #[error("wrong handle or password")]
    BadCredentials,
    #[error("the form was stale or forged (CSRF check failed); reload the page and try again")]
    Csrf,
    #[error("too many attempts; wait {retry_after_s} seconds and try again")]
    RateLimited { retry_after_s: u64 },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0}")]
    Rule(String),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// An inbound federation request whose HTTP signature is missing or does not verify.
    #[error("{0}")]
    BadSignature(String),
    /// A request from an instance this one blocks.
    #[error("{0}")]
    Blocked(String),
    #[error("the request body is larger than {limit_bytes} bytes")]
    TooLarge { limit_bytes: usize },
    /// The ledger refused a transfer, with TigerBeetle's result code.
    #[error("{message}")]
    Ledger { result: commune_domain::ledger::CreateTransferResult, message: String },
    /// The database did not answer, restarted or is a standby (a failover under way). The
    /// request may be sent again: writes that carry an id (payments, ballots) apply once.
    #[error("the database is unavailable for a moment (a failover may be under way); try again")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// The stable machine-readable code; clients may match on it. Ledger refusals carry
    /// TigerBeetle's result names (`exceeds_credits`, `exists_with_different_amount`, ...).
    pub fn code(&self) -> std::borrow::Cow<'static, str> {
        if let AppError::Ledger { result, .. } = self {
            return result.as_str().into();
        }
        let code = match self {
            AppError::Invalid(_) => "invalid_input",
            AppError::Denied(Denied::NotAuthenticated) => "unauthenticated",
            AppError::Denied(Denied::Forbidden(_)) => "forbidden",
            AppError::Denied(Denied::WrongOrg) => "wrong_org",
            AppError::Denied(Denied::MissingScope(_)) => "missing_scope",
            AppError::Denied(Denied::MembersOnly) => "members_only",
            AppError::SessionExpired => "session_expired",
            AppError::BadToken => "invalid_token",
            AppError::BadCredentials => "bad_credentials",
            AppError::Csrf => "csrf_failed",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::BadSignature(_) => "bad_signature",
            AppError::Blocked(_) => "blocked",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Rule(_) => "rule_violation",
            AppError::BadRequest { code, .. } => code,
            AppError::TooLarge { .. } => "payload_too_large",
            AppError::Ledger { .. } => "ledger",
            AppError::Unavailable => "database_unavailable",
            AppError::Internal(_) => "internal",
        };
        code.into()
    }

    pub fn fields(&self) -> &[Invalid] {
        match self {
            AppError::Invalid(v) => &v.0,
            _ => &[],
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest { code, message: message.into() }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(err.into())
    }

    /// Logs internal errors (with their cause chain) exactly once, where they are rendered.
    pub fn log(&self) {
        if let AppError::Internal(err) = self {
            tracing::error!(error = format!("{err:#}"), "internal error");
        }
    }
}

impl From<Violations> for AppError {
    fn from(v: Violations) -> AppError {
        AppError::Invalid(v)
    }
}

impl From<Invalid> for AppError {
    fn from(v: Invalid) -> AppError {
        AppError::Invalid(v.into())
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> AppError {
        AppError::Denied(d)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Rule(message) => AppError::Rule(message),
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "the database is unavailable");
                AppError::Unavailable
            }
            other => AppError::Internal(other.into()),
        }
    }
}
