//! Reference data: `GET /api/v1/units`, `/catalog`, `/divisions`, with simple filters.
//!
//! Public: the citizen form needs the divisions and the catalog before anyone signs in.

use crate::AppState;
use crate::extract::ApiQuery;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use jiesu_core::{CatalogNode, Division, Unit};
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units", get(units))
        .route("/catalog", get(catalog))
        .route("/divisions", get(divisions))
}

#[derive(Deserialize)]
struct UnitQuery {
    kind: Option<String>,
    district: Option<String>,
    q: Option<String>,
}

async fn units(State(state): State<AppState>, ApiQuery(q): ApiQuery<UnitQuery>) -> Json<Value> {
    let items: Vec<&Unit> = state
        .reference
        .units
        .iter()
        .filter(|u| {
            q.kind
                .as_deref()
                .is_none_or(|k| serde_json::to_value(u.kind).is_ok_and(|v| v == k))
        })
        .filter(|u| q.district.is_none() || u.district_code == q.district)
        .filter(|u| {
            q.q.as_deref()
                .is_none_or(|s| u.name.contains(s) || u.code == s)
        })
        .collect();
    Json(json!({"items": items, "total": items.len()}))
}

#[derive(Deserialize)]
struct CatalogQuery {
    level: Option<u8>,
    parent: Option<String>,
}

async fn catalog(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CatalogQuery>,
) -> Json<Value> {
    let items: Vec<&CatalogNode> = state
        .reference
        .catalog
        .iter()
        .filter(|c| q.level.is_none_or(|l| c.level == l))
        .filter(|c| q.parent.is_none() || c.parent_code == q.parent)
        .collect();
    Json(json!({"items": items, "total": items.len()}))
}

#[derive(Deserialize)]
struct DivisionQuery {
    level: Option<String>,
    parent: Option<String>,
    q: Option<String>,
}

async fn divisions(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DivisionQuery>,
) -> Json<Value> {
    let items: Vec<&Division> = state
        .reference
        .divisions
        .iter()
        .filter(|d| {
            q.level
                .as_deref()
                .is_none_or(|l| serde_json::to_value(d.level).is_ok_and(|v| v == l))
        })
        .filter(|d| q.parent.is_none() || d.parent_code == q.parent)
        .filter(|d| q.q.as_deref().is_none_or(|s| d.name.contains(s)))
        .collect();
    Json(json!({"items": items, "total": items.len()}))
}
