//! 大屏 `/dashboard` (analysts, supervisors, admins): volume over time, hot topics with their
//! growth, spike alerts pushed live, the street ranking and the map of Beijing's districts.
//!
//! The page is a frame; `assets/dashboard.js` fills it from the analytics API with the
//! embedded ECharts. The server's clock goes into the page (`data-now`), so that a server in
//! virtual time shows its own "now"; `?at=2026-11-20T10:00:00+08:00` shows the dashboard as it
//! was at that moment (hot topics and spikes take it as their `at=`).

use super::{Ctx, PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, SecondsFormat};
use serde::Deserialize;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/dashboard", get(page))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    ctx: Ctx,
    /// "Now" for the charts, RFC 3339.
    now: String,
    /// The `at=` the hot topics and spikes are asked for, empty for the latest.
    at: String,
}

#[derive(Deserialize, Default)]
struct AtQuery {
    at: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(query): Query<AtQuery>,
) -> Result<Response, PageError> {
    user.allow("/dashboard")?;
    // A moment that does not parse is ignored: the dashboard shows the present.
    let at = query
        .at
        .and_then(|a| DateTime::parse_from_rfc3339(a.trim()).ok());
    let now = at.map_or_else(|| state.clock.now(), |a| a.to_utc());
    Ok(html(Page {
        ctx: user.ctx(),
        now: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        at: at
            .map(|a| a.to_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default(),
    }))
}
