//! 预警 `GET /api/v1/alerts` and `/alerts/{id}`: the spike alerts raised, newest first, and
//! one alert with the orders behind it (the tickets of that hour in that category and/or on
//! that street, newest first). Raised alerts are also pushed on `/notices` as `alert.raised`.
//! Roles: analysts, supervisors and admins.

use crate::AppState;
use crate::analytics::alert_json;
use crate::api::analytics::READERS;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiQuery;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use jiesu_core::analytics::Dim;
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}", get(one))
}

/// Orders listed with an alert, at most.
pub const ORDERS_PER_ALERT: u32 = 200;

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    who.require(READERS, "read alerts")?;
    let limit = crate::extract::bounded("limit", q.limit, 50, 500)?;
    let items: Vec<Value> = state
        .store
        .alerts(limit)
        .await?
        .iter()
        .map(|a| alert_json(&state, a))
        .collect();
    Ok(Json(json!({"items": items})))
}

async fn one(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    who.require(READERS, "read alerts")?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::invalid("id", "must be an alert number"))?;
    let alert = match state.store.alert(id).await {
        Err(jiesu_store::StoreError::NotFound) => {
            return Err(AppError::NotFound(format!("no alert {id}")));
        }
        other => other?,
    };
    let s = &alert.spike;
    let (category, street) = match s.dim {
        Dim::Street => (s.category.as_deref(), Some(s.key.as_str())),
        _ => (Some(s.key.as_str()), s.street.as_deref()),
    };
    let orders = state
        .store
        .hour_orders(alert.hour, category, street, ORDERS_PER_ALERT)
        .await?;
    let mut v = alert_json(&state, &alert);
    v["orders"] = serde_json::to_value(&orders)?;
    Ok(Json(v))
}
