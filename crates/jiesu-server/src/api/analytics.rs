//! 数据分析 `GET /api/v1/analytics/{hot,volume,ranking,spikes}`: hot topics of the last
//! hour, day or week with their growth, volume series for charts, the monthly ranking of
//! streets or districts, and the spike check of the last hour.
//!
//! Windows are Beijing time (UTC+8), from the server clock or `at=` (RFC 3339). `hour` is the
//! last complete clock hour, `day` the last complete Beijing day, `week` the last complete
//! Beijing week (Monday to Sunday). Every read is a range scan of the bucket counters kept with
//! the rollups (see [`jiesu_core::analytics`]), never a scan of orders. Roles: analysts,
//! supervisors and admins; dispatchers may read the hot topics.

use crate::AppState;
use crate::analytics::{Names, Span, hot as hot_topics, spike_check};
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiQuery;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use jiesu_core::analytics::{Dim, Grain, STATISTIC, Window, WindowKind};
use jiesu_core::{Role, china_day_start};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/analytics/hot", get(hot))
        .route("/analytics/volume", get(volume))
        .route("/analytics/ranking", get(ranking))
        .route("/analytics/spikes", get(spikes))
}

/// The roles that read analytics.
pub const READERS: &[Role] = &[Role::Analyst, Role::Supervisor];

/// "Now": `at` when given (RFC 3339), else the server clock.
pub fn now_or_at(state: &AppState, at: Option<&str>) -> ApiResult<DateTime<Utc>> {
    match at {
        None | Some("") => Ok(state.clock.now()),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                AppError::invalid("at", "must be an instant like 2026-11-23T10:00:00+08:00")
            }),
    }
}

/// `top`, 10 by default, 1 to 100.
fn top_of(top: Option<u32>) -> ApiResult<usize> {
    Ok(crate::extract::bounded("top", top, 10, 100)? as usize)
}

#[derive(Deserialize)]
struct HotQuery {
    window: Option<String>,
    level: Option<u8>,
    top: Option<u32>,
    at: Option<String>,
}

async fn hot(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<HotQuery>,
) -> ApiResult<Json<Value>> {
    who.require(
        &[Role::Analyst, Role::Supervisor, Role::Dispatcher],
        "read hot topics",
    )?;
    let kind = match q.window.as_deref() {
        None | Some("") => WindowKind::Hour,
        Some(w) => WindowKind::parse(w)
            .ok_or_else(|| AppError::invalid("window", "must be hour, day or week"))?,
    };
    let level = q.level.unwrap_or(1);
    if Dim::category(level).is_none() {
        return Err(AppError::invalid("level", "must be 1, 2 or 3"));
    }
    let top = top_of(q.top)?;
    let now = now_or_at(&state, q.at.as_deref())?;
    Ok(Json(serde_json::to_value(
        hot_topics(&state, kind, level, top, now).await?,
    )?))
}

/// An instant from `2026-11-23` (the start of that Beijing day) or RFC 3339.
fn instant(field: &str, raw: &str) -> ApiResult<DateTime<Utc>> {
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(china_day_start(day));
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            AppError::invalid(
                field,
                "must be a day like 2026-11-23 or an instant like 2026-11-23T10:00:00+08:00",
            )
        })
}

#[derive(Deserialize)]
struct VolumeQuery {
    from: Option<String>,
    to: Option<String>,
    grain: Option<String>,
    by: Option<String>,
}

async fn volume(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<VolumeQuery>,
) -> ApiResult<Json<Value>> {
    who.require(READERS, "read analytics")?;
    let (grain, longest) = match q.grain.as_deref() {
        None | Some("") | Some("hour") => (Grain::Hour, TimeDelta::days(31)),
        Some("day") => (Grain::Day, TimeDelta::days(366)),
        Some(_) => return Err(AppError::invalid("grain", "must be hour or day")),
    };
    let dim = match q.by.as_deref() {
        None | Some("") => None,
        Some("district") => Some(Dim::District),
        Some("channel") => Some(Dim::Channel),
        Some("request_type") => Some(Dim::RequestType),
        Some("outcome") => Some(Dim::Outcome),
        Some(_) => {
            return Err(AppError::invalid(
                "by",
                "must be district, channel, request_type or outcome",
            ));
        }
    };
    let now = state.clock.now();
    let to = match q.to.as_deref() {
        None | Some("") => grain.bucket_of(now) + grain.length(),
        Some(t) => grain.bucket_of(instant("to", t)? - TimeDelta::milliseconds(1)) + grain.length(),
    };
    let from = match q.from.as_deref() {
        None | Some("") => to - grain.length() * 24,
        Some(f) => grain.bucket_of(instant("from", f)?),
    };
    if from >= to || to - from > longest {
        return Err(AppError::invalid(
            "from",
            format!(
                "must be before 'to', at most {} days before it for this grain",
                longest.num_days()
            ),
        ));
    }
    let rows = state
        .store
        .bucket_series(grain, dim.unwrap_or(Dim::Channel), from, to)
        .await?;
    let mut buckets = Vec::new();
    let mut t = from;
    while t < to {
        buckets.push(t);
        t = grain.bucket_of(t + grain.length());
    }
    let index: BTreeMap<DateTime<Utc>, usize> =
        buckets.iter().enumerate().map(|(i, b)| (*b, i)).collect();
    let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (bucket, key, n) in rows {
        let key = if dim.is_none() { "total".into() } else { key };
        let points = series.entry(key).or_insert_with(|| vec![0; buckets.len()]);
        if let Some(&i) = index.get(&bucket) {
            points[i] += n;
        }
    }
    let names = Names::new(&state.reference);
    let series: Vec<Value> = series
        .into_iter()
        .map(|(key, points)| {
            let name = match dim {
                None => "合计 total".to_string(),
                Some(d) => names.of(d, &key),
            };
            let points: Vec<Value> = buckets
                .iter()
                .zip(points)
                .map(|(b, n)| json!([b, n]))
                .collect();
            json!({"key": key, "name": name, "points": points})
        })
        .collect();
    Ok(Json(json!({
        "grain": if grain == Grain::Hour { "hour" } else { "day" },
        "from": from,
        "to": to,
        "by": dim.map(Dim::as_str),
        "series": series,
    })))
}

#[derive(Deserialize)]
struct RankingQuery {
    month: Option<String>,
    by: Option<String>,
    top: Option<u32>,
}

async fn ranking(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> ApiResult<Json<Value>> {
    who.require(READERS, "read analytics")?;
    let month = q.month.unwrap_or_else(|| {
        state
            .clock
            .now()
            .with_timezone(&jiesu_core::china_offset())
            .format("%Y-%m")
            .to_string()
    });
    let (from, to) = crate::api::reports::month_bounds(&month)?;
    let (dim, by) = match q.by.as_deref() {
        None | Some("") | Some("street") => (Dim::Street, "street"),
        Some("district") => (Dim::District, "district"),
        Some(_) => return Err(AppError::invalid("by", "must be street or district")),
    };
    let top = top_of(q.top)?;
    let rows = crate::analytics::ranking(&state, dim, from, to, top).await?;
    Ok(Json(
        json!({"month": month, "by": by, "total": rows.total, "rows": rows.rows}),
    ))
}

#[derive(Deserialize)]
struct SpikesQuery {
    at: Option<String>,
}

async fn spikes(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<SpikesQuery>,
) -> ApiResult<Json<Value>> {
    who.require(READERS, "read analytics")?;
    let now = now_or_at(&state, q.at.as_deref())?;
    let hour = Window::last_complete(WindowKind::Hour, now);
    let names = Names::new(&state.reference);
    let spikes: Vec<Value> = spike_check(&state, hour.from)
        .await?
        .into_iter()
        .map(|a| {
            let mut v = serde_json::to_value(&a).unwrap_or_default();
            v["code"] = a.key.clone().into();
            v["name"] = names.of(a.dim, &a.key).into();
            if let Some(s) = &a.street {
                v["street_name"] = names.division(s).into();
            }
            if let Some(c) = &a.category {
                v["category_name"] = names.category(c).into();
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "hour": Span::from(hour),
        "statistic": STATISTIC,
        "spikes": spikes,
    })))
}
