//! `GET /api/v1/openapi.json`: the API described in OpenAPI 3.1.
//!
//! The document is written by hand in `openapi.json` next to this file; a test checks that every
//! path it lists is routed and every route is listed.

use crate::AppState;
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

/// The OpenAPI document.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(document))
}

async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT)
}
