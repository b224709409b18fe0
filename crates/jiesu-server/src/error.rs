//! One error type for the whole API, and the JSON it becomes.
//!
//! Every error body is `{"error": {"code", "message", "field"?}}`. The code is stable and
//! machine-readable; the table in [`AppError::status_and_code`] is the only place that maps
//! errors to HTTP statuses. Server faults are logged and answered with a generic message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiesu_core::DecideError;
use jiesu_store::StoreError;
use serde_json::json;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 422: a field is missing or wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// Field path in request spelling (`caller.phone`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// 400: the body is not JSON, or a header is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 409: the ticket's status does not allow the command.
    #[error("{0}")]
    NotAllowed(String),
    /// 409: a concurrent change or a taken name.
    #[error("{0}")]
    Conflict(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 401: no or bad credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: signed in, but the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 500: our fault; the message is logged, not sent.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A 422 naming the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The HTTP status and stable code of each error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::NotAllowed(_) => (StatusCode::CONFLICT, "not_allowed_in_status"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = match &self {
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                json!({"error": {"code": code, "message": "internal error; the details are in the server log"}})
            }
            AppError::Invalid { field, message } => {
                json!({"error": {"code": code, "message": format!("{field}: {message}"), "field": field}})
            }
            other => json!({"error": {"code": code, "message": other.to_string()}}),
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("not found".into()),
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Other(m) => AppError::Internal(m),
        }
    }
}

impl From<DecideError> for AppError {
    fn from(e: DecideError) -> Self {
        match e {
            DecideError::Invalid { field, message } => AppError::Invalid { field, message },
            e @ DecideError::NotAllowed { .. } => AppError::NotAllowed(e.to_string()),
            e @ DecideError::Forbidden { .. } => AppError::Forbidden(e.to_string()),
            DecideError::NoTicket(m) => AppError::NotFound(m),
        }
    }
}

impl From<crate::knowledge::IndexError> for AppError {
    fn from(e: crate::knowledge::IndexError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("stored JSON: {e}"))
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, AppError>;
