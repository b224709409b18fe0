//! 定时数据交换 `/api/v1/exports`: export jobs defined as data (admins write, analysts read),
//! run on their schedule by [`crate::jobs::spawn_exports`] or now on request, each run logged.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use jiesu_core::Role;
use jiesu_core::export::ExportJob;
use jiesu_store::export::StoredExport;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/exports", get(list).post(create))
        .route("/exports/{id}", get(read).put(update).delete(remove))
        .route("/exports/{id}/run", post(run_now))
        .route("/exports/{id}/runs", get(runs))
}

/// A job as answered: the stored job and when it runs next.
#[derive(Serialize)]
struct JobView {
    #[serde(flatten)]
    stored: StoredExport,
    /// The next scheduled run, when enabled.
    next_run: Option<DateTime<Utc>>,
}

fn view(state: &AppState, stored: StoredExport) -> JobView {
    let next_run = if stored.job.enabled {
        let since = stored
            .last_scheduled
            .unwrap_or(stored.created_at)
            .max(state.clock.now());
        stored.job.schedule.next_run(since)
    } else {
        None
    };
    JobView { stored, next_run }
}

fn may_read(who: &Principal) -> ApiResult<()> {
    who.require(&[Role::Analyst], "read export jobs")
}

fn may_write(who: &Principal) -> ApiResult<()> {
    who.require(&[], "manage export jobs")
}

fn job_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| AppError::NotFound(format!("no export job {raw}")))
}

fn checked(job: ExportJob) -> ApiResult<ExportJob> {
    job.validate()
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    // The HTTP client is built without TLS (see STACK.md): refuse now rather than fail at
    // every run.
    if let jiesu_core::export::Destination::Url(u) = &job.destination
        && u.starts_with("https://")
    {
        return Err(AppError::invalid(
            "destination.url",
            "https is not available in this build: use http:// (on the internal network or through a TLS proxy) or a folder",
        ));
    }
    Ok(ExportJob {
        name: job.name.trim().to_string(),
        ..job
    })
}

fn not_found(id: &str) -> impl Fn(jiesu_store::StoreError) -> AppError + '_ {
    move |e| match e {
        jiesu_store::StoreError::NotFound => AppError::NotFound(format!("no export job {id}")),
        other => other.into(),
    }
}

async fn list(State(state): State<AppState>, who: Principal) -> ApiResult<Json<serde_json::Value>> {
    may_read(&who)?;
    let items: Vec<JobView> = state
        .store
        .exports()
        .await?
        .into_iter()
        .map(|s| view(&state, s))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn create(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(job): ApiJson<ExportJob>,
) -> ApiResult<Response> {
    may_write(&who)?;
    let job = checked(job)?;
    let stored = state
        .store
        .create_export(&job, &who.0.name, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(view(&state, stored))).into_response())
}

async fn read(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<JobView>> {
    may_read(&who)?;
    let stored = state
        .store
        .export(job_id(&id)?)
        .await
        .map_err(not_found(&id))?;
    Ok(Json(view(&state, stored)))
}

async fn update(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiJson(job): ApiJson<ExportJob>,
) -> ApiResult<Json<JobView>> {
    may_write(&who)?;
    let n = job_id(&id)?;
    let job = checked(job)?;
    let now = state.clock.now();
    let before = state.store.export(n).await.map_err(not_found(&id))?;
    // Switched back on: runs from the next slot, not for the ones passed while it was off.
    let resume_after = (job.enabled && !before.job.enabled)
        .then(|| job.schedule.latest(now))
        .flatten();
    let stored = state
        .store
        .update_export(n, &job, &who.0.name, now, resume_after)
        .await
        .map_err(not_found(&id))?;
    Ok(Json(view(&state, stored)))
}

async fn remove(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    may_write(&who)?;
    state
        .store
        .delete_export(job_id(&id)?, state.clock.now())
        .await
        .map_err(not_found(&id))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn run_now(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<jiesu_store::export::ExportRun>> {
    may_write(&who)?;
    let stored = state
        .store
        .export(job_id(&id)?)
        .await
        .map_err(not_found(&id))?;
    Ok(Json(crate::exchange::run(&state, &stored, None).await?))
}

#[derive(Deserialize)]
struct RunsQuery {
    limit: Option<u32>,
}

async fn runs(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    may_read(&who)?;
    let n = job_id(&id)?;
    state.store.export(n).await.map_err(not_found(&id))?;
    let items = state.store.export_runs(n, q.limit.unwrap_or(100)).await?;
    Ok(Json(json!({ "items": items })))
}
