//! How an operation's [`AppError`] leaves over HTTP: its status, and the JSON body of every API
//! error (the web UI renders the same error as a page, in `web`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
pub use commune_app::error::AppError;
use commune_domain::authz::Denied;

/// The HTTP status of an operation's error.
pub fn status(err: &AppError) -> StatusCode {
    match err {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Denied(Denied::NotAuthenticated)
        | AppError::SessionExpired
        | AppError::BadToken
        | AppError::BadCredentials
        | AppError::BadSignature(_) => StatusCode::UNAUTHORIZED,
        AppError::Blocked(_) => StatusCode::FORBIDDEN,
        AppError::Denied(_) | AppError::Csrf => StatusCode::FORBIDDEN,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_) | AppError::Rule(_) => StatusCode::CONFLICT,
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Ledger { result, .. } if result.as_str().starts_with("exists") => StatusCode::CONFLICT,
        AppError::Ledger { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An operation's error on its way out of the JSON API (the newtype lets this crate render a type
/// the operations layer owns).
#[derive(Debug)]
pub struct ApiError(pub AppError);

/// Whatever converts into an operation's error converts into its way out.
macro_rules! api_error_from {
    ($($from:ty),*) => {$(
        impl From<$from> for ApiError {
            fn from(e: $from) -> ApiError {
                ApiError(e.into())
            }
        }
    )*};
}
api_error_from!(AppError, commune_store::StoreError, Denied, commune_domain::Violations, commune_domain::Invalid);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
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
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(err) = self;
        err.log();
        let mut response = (status(&err), axum::Json(ErrorBody::of(&err))).into_response();
        let retry_after_s = match err {
            AppError::RateLimited { retry_after_s } => Some(retry_after_s),
            AppError::Unavailable => Some(1),
            _ => None,
        };
        if let Some(retry_after_s) = retry_after_s
            && let Ok(value) = retry_after_s.to_string().parse()
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
