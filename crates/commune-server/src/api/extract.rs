//! The API's extractors and responses: JSON, path and query extraction whose rejections are
//! JSON errors like every other, and `201 Created`.

use crate::error::{ApiError, AppError};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A JSON body or response; a malformed body is a JSON `400`, an oversized one a `413`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        ApiError(match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                AppError::bad_request("expected_json", "send a JSON body with 'Content-Type: application/json'")
            }
            JsonRejection::BytesRejection(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::TooLarge { limit_bytes: commune_app::state::Config::default().body_limit_bytes }
            }
            other => AppError::bad_request("invalid_json", other.body_text()),
        })
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError(AppError::bad_request("invalid_path", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError(AppError::bad_request("invalid_query", rejection.body_text()))
    }
}

/// `201 Created` with a JSON body.
pub fn created<T: serde::Serialize>(body: T) -> (StatusCode, Json<T>) {
    (StatusCode::CREATED, Json(body))
}
