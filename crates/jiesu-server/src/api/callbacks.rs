//! 回访 `GET /api/v1/callbacks?date=YYYY-MM-DD`: the morning's callback list.
//!
//! It holds every ticket replied (or answered) before the list's cut-off and not yet called
//! back, with fewer missed calls than the policy allows: with the default one-day delay, the
//! list of 24 November holds what was replied up to the end of 23 November, plus earlier
//! tickets whose caller was not reached yet. Agents record each call with
//! `POST /api/v1/tickets/{id}/callback`.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiQuery;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Duration, NaiveDate};
use jiesu_core::{Directory, Role, china_day_start};
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/callbacks", get(list))
}

#[derive(Deserialize)]
struct ListQuery {
    date: Option<String>,
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    who.require(
        &[Role::Agent, Role::Supervisor, Role::Dispatcher],
        "see the callback list",
    )?;
    let today = state.today();
    let date = match q.date.as_deref() {
        None | Some("") => today,
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| AppError::invalid("date", "must be a date like 2026-11-24"))?,
    };
    let limit = crate::extract::bounded("limit", q.limit, 500, 5000)?;
    let dir = state.directory();
    let rules = dir
        .time_limits()
        .map(|(p, _)| p.callback)
        .unwrap_or_default();
    // Replied on day D: on the list of day D + delay (0: the same day's list).
    let cutoff_day = date + Duration::days(1) - Duration::days(i64::from(rules.delay_days));
    let cutoff = china_day_start(cutoff_day);
    let tickets = state
        .store
        .callback_list(cutoff, rules.max_attempts, limit)
        .await?;
    let items: Vec<_> = tickets
        .into_iter()
        .map(|t| crate::api::tickets::view(t, &who))
        .collect();
    Ok(Json(json!({
        "date": date.to_string(),
        "replied_before": cutoff,
        "max_attempts": rules.max_attempts,
        "total": items.len(),
        "items": items,
    })))
}
