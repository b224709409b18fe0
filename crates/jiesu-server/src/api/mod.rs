//! The API resources, one module each.

pub mod alerts;
pub mod analytics;
pub mod assist;
pub mod callbacks;
pub mod dispatch;
pub mod duplicates;
pub mod health;
pub mod knowledge;
pub mod limits;
pub mod notices;
pub mod openapi;
pub mod reference;
pub mod reports;
pub mod selfservice;
pub mod session;
pub mod tickets;

use crate::error::AppError;
use axum::extract::OriginalUri;

/// Unknown paths under `/api/v1` answer with our JSON 404.
pub async fn not_found(OriginalUri(uri): OriginalUri) -> AppError {
    AppError::NotFound(format!("no API endpoint at {}", uri.path()))
}
