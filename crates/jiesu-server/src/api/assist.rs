//! 坐席智能助手 `POST /api/v1/assist {text}`: what the assistant reads in a citizen's words
//! while the agent types: the place (district / street, with the names it found) and the
//! urgency (with the words that made it urgent). Every proposal says why; the agent decides.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::parse_json;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use jiesu_core::Role;
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/assist", post(assist))
}

#[derive(Deserialize)]
struct AssistBody {
    text: String,
}

async fn assist(
    State(state): State<AppState>,
    who: Principal,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    who.require(
        &[Role::Agent, Role::Dispatcher, Role::Supervisor],
        "use the assistant",
    )?;
    let body: AssistBody = parse_json(&body)?;
    let text = body.text.trim();
    if text.is_empty() {
        return Err(AppError::invalid(
            "text",
            "is required and must not be blank",
        ));
    }
    if text.chars().count() > jiesu_core::ticket::MAX_CONTENT {
        return Err(AppError::invalid("text", "is too long"));
    }
    let urgency = state.assistant.urgency.assess(text);
    let place = state.assistant.gazetteer.resolve(text);
    let category = state.assistant.categorize(text);
    Ok(Json(json!({
        "category": category,
        "urgency": {
            "value": urgency.urgency,
            "reasons": urgency.reasons(),
            "cues": urgency.cues,
        },
        "address": place,
    })))
}
