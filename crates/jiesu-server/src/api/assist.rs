//! 坐席智能助手 `POST /api/v1/assist {text}`: what the assistant reads in a citizen's words
//! while the agent types: the place (district / street, with the names it found) and the
//! urgency (with the words that made it urgent), the scene (with the words that showed it) and
//! the unit the dispatch rules give (with the rule; `POST /dispatch/explain` says why in full).
//! Every proposal says why; the agent decides.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::parse_json;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use jiesu_assist::address::Resolution;
use jiesu_core::Role;
use jiesu_core::dispatch::{Facts, route};
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/assist", post(assist))
}

#[derive(Deserialize)]
struct AssistBody {
    text: String,
    /// The category the agent has chosen, when it has: the unit is routed by it.
    #[serde(default)]
    category_code: Option<String>,
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
    // The scene and the unit the dispatch rules give, with the rule and the words.
    let scene = state.dispatch.scene(text);
    let dir = state.directory();
    if let Some(c) = body.category_code.as_deref()
        && jiesu_core::Directory::catalog(dir.as_ref(), c).is_none()
    {
        return Err(AppError::invalid(
            "category_code",
            format!("unknown catalog code '{c}'"),
        ));
    }
    let (district, street) = match &place.resolution {
        Resolution::Street { district, street } => {
            (Some(district.code.clone()), Some(street.code.clone()))
        }
        Resolution::District { district } => (Some(district.code.clone()), None),
        Resolution::Ambiguous { .. } | Resolution::Unknown => (None, None),
    };
    let facts = Facts {
        category: body.category_code.clone().or_else(|| {
            category
                .top
                .first()
                .and_then(|t| t["code"].as_str().map(String::from))
        }),
        street,
        district,
        scenes: scene.scenes(),
        exclude: Vec::new(),
    };
    let routing = route(&state.dispatch.current(), &facts, dir.as_ref());
    Ok(Json(json!({
        "scene": scene,
        "unit": {
            "value": routing.lead_unit,
            "rule": routing.rule,
            "confident": routing.confident,
            "rules_version": routing.rules_version,
        },
        "category": category,
        "urgency": {
            "value": urgency.urgency,
            "reasons": urgency.reasons(),
            "cues": urgency.cues,
        },
        "address": place,
    })))
}
