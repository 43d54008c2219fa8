//! One error type for the whole shell. The API renders it as JSON with a stable machine `code`
//! and a human `message`; the web UI renders the same error as a page. Internal errors are logged
//! with detail and shown without it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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
    #[error("the request body is larger than {limit_bytes} bytes")]
    TooLarge { limit_bytes: usize },
    /// The ledger refused a transfer, with TigerBeetle's result code.
    #[error("{message}")]
    Ledger { result: commune_domain::ledger::CreateTransferResult, message: String },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Denied(Denied::NotAuthenticated)
            | AppError::SessionExpired
            | AppError::BadToken
            | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::Denied(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::Rule(_) => StatusCode::CONFLICT,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Ledger { result, .. } if result.as_str().starts_with("exists") => StatusCode::CONFLICT,
            AppError::Ledger { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

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
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Rule(_) => "rule_violation",
            AppError::BadRequest { code, .. } => code,
            AppError::TooLarge { .. } => "payload_too_large",
            AppError::Ledger { .. } => "ledger",
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
    pub(crate) fn log(&self) {
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
            other => AppError::Internal(other.into()),
        }
    }
}

/// The JSON error body of every API error.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_input`, `missing_scope`, `conflict`.
    pub code: String,
    /// What was wrong and what to do, for people.
    pub message: String,
    /// Per-field problems, for `invalid_input`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl ErrorBody {
    pub fn of(err: &AppError) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: err.code().into_owned(),
                message: err.to_string(),
                fields: err
                    .fields()
                    .iter()
                    .map(|f| FieldError { field: f.field.to_owned(), message: f.message.clone() })
                    .collect(),
            },
        }
    }
}

/// API handlers return this; it renders as JSON.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (self.status(), axum::Json(ErrorBody::of(&self))).into_response();
        if let AppError::RateLimited { retry_after_s } = self
            && let Ok(value) = retry_after_s.to_string().parse()
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, AppError>;
