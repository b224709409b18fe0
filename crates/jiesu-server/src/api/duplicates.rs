//! 一件多诉 `GET /api/v1/tickets/{id}/duplicates`: the open tickets that look like the same
//! problem, best first, each with its score and reasons, and the master to merge them into.
//! How they are found and why it is fast: see [`crate::merges`]. Merging itself is
//! `POST /api/v1/tickets/{id}/merge {"master_id": …}`.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use jiesu_core::Role;
use jiesu_store::StoreError;
use serde_json::{Value, json};

/// Who may see merge proposals.
pub const ROLES: &[Role] = &[Role::Agent, Role::Dispatcher, Role::Supervisor];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/tickets/{id}/duplicates", get(duplicates))
}

async fn duplicates(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    who.require(ROLES, "see merge proposals")?;
    let ticket = match state.store.ticket(&id).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Err(AppError::NotFound(format!("no ticket '{id}'"))),
        Err(e) => return Err(e.into()),
    };
    let found = state
        .merges
        .find(&state, std::slice::from_ref(&ticket))
        .await?
        .pop();
    let (proposals, master, compared) = match found {
        Some(f) => (f.proposals, f.master, f.compared),
        None => (Vec::new(), None, 0),
    };
    Ok(Json(json!({
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "window_days": crate::merges::WINDOW_DAYS,
        "compared": compared,
        "master": master,
        "proposals": proposals,
    })))
}
