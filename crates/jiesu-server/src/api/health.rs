//! `GET /healthz`: the process is up and the database answers.

use crate::AppState;
use crate::error::ApiResult;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state.store.meta("schema").await?;
    Ok(Json(json!({"status": "ok"})))
}
