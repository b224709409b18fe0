//! Time limits as data: `GET/PUT /api/v1/policies` and `GET/PUT /api/v1/calendar/{year}`.
//!
//! Admins edit; every signed-in user may read. A new policy set gets the next version and
//! applies to tickets dispatched from then on; tickets already out keep the version they got.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::parse_json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use jiesu_core::Role;
use jiesu_core::calendar::{WorkingCalendar, YearSchedule};
use jiesu_core::timelimit::PolicySet;
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/policies", get(policies).put(replace_policies))
        .route("/calendar/{year}", get(year).put(replace_year))
}

async fn policies(State(state): State<AppState>, _who: Principal) -> ApiResult<Json<PolicySet>> {
    let dir = state.directory();
    let (set, _) = time_limits(&dir)?;
    Ok(Json(set.clone()))
}

fn time_limits(dir: &jiesu_core::MemoryDirectory) -> ApiResult<(&PolicySet, &WorkingCalendar)> {
    use jiesu_core::Directory;
    dir.time_limits()
        .ok_or_else(|| AppError::Internal("time limits not loaded".into()))
}

/// A policy set as an admin sends it: the version is given by the server.
#[derive(Deserialize)]
struct NewPolicies {
    policies: Vec<jiesu_core::timelimit::Policy>,
    #[serde(default)]
    callback: jiesu_core::timelimit::CallbackRules,
}

async fn replace_policies(
    State(state): State<AppState>,
    who: Principal,
    body: Bytes,
) -> ApiResult<Json<PolicySet>> {
    who.require(&[Role::Admin], "edit time-limit policies")?;
    let body: NewPolicies = parse_json(&body)?;
    let _one_at_a_time = state.edits.lock().await;
    let dir = state.directory();
    let (current, calendar) = time_limits(&dir)?;
    let set = PolicySet {
        version: current.version + 1,
        policies: body.policies,
        callback: body.callback,
    };
    set.validate()
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    state.store.save_policy_set(&set, &who.0.name).await?;
    state.set_time_limits(set.clone(), calendar.clone());
    tracing::info!(version = set.version, by = %who.0.name, "time-limit policies changed");
    Ok(Json(set))
}

fn year_view(cal: &WorkingCalendar, y: i32) -> Value {
    json!({
        "year": y,
        "in_table": cal.year(y).is_some(),
        "last_year_in_table": cal.last_year(),
        "schedule": cal.year(y),
    })
}

fn parse_year(raw: &str) -> ApiResult<i32> {
    raw.parse::<i32>()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .ok_or_else(|| AppError::invalid("year", "must be a year between 1990 and 2100"))
}

async fn year(
    State(state): State<AppState>,
    _who: Principal,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let y = parse_year(&raw)?;
    let dir = state.directory();
    let (_, cal) = time_limits(&dir)?;
    Ok(Json(year_view(cal, y)))
}

async fn replace_year(
    State(state): State<AppState>,
    who: Principal,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    who.require(&[Role::Admin], "edit the working calendar")?;
    let schedule: YearSchedule = parse_json(&body)?;
    let y = parse_year(&raw)?;
    if schedule.year != y {
        return Err(AppError::invalid(
            "year",
            format!("the body is for {}, the path for {y}", schedule.year),
        ));
    }
    let _one_at_a_time = state.edits.lock().await;
    let dir = state.directory();
    let (policies, cal) = time_limits(&dir)?;
    let mut calendar = cal.clone();
    calendar
        .set_year(schedule.clone())
        .map_err(|e| AppError::invalid("schedule", e.to_string()))?;
    state
        .store
        .save_calendar_year(&schedule, &who.0.name)
        .await?;
    state.set_time_limits(policies.clone(), calendar.clone());
    tracing::info!(year = y, by = %who.0.name, "working calendar changed");
    Ok(Json(year_view(&calendar, y)))
}
