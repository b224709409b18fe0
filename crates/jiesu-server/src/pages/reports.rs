//! 报表 `/reports` (analysts, supervisors, dispatchers): links to the printable reports of
//! `/api/v1/reports/*` — the hourly hot topics, yesterday's daily report (日报), the month's
//! street ranking — as a page or an Excel file, and a form for a special report (专报) on one
//! category or term. The links carry the page's language.

use super::{Ctx, PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chrono::{Datelike, TimeDelta};
use jiesu_core::china_offset;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/reports", get(page))
}

#[derive(Template)]
#[template(path = "reports.html")]
struct Page {
    ctx: Ctx,
    /// `zh` or `en`, for the reports' own language switch.
    lang: &'static str,
    /// Yesterday in Beijing, `YYYY-MM-DD`.
    yesterday: String,
    /// This month in Beijing, `YYYY-MM`.
    month: String,
    /// A week before yesterday, the special report's default start.
    week_ago: String,
}

async fn page(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.allow("/reports")?;
    let today = state
        .clock
        .now()
        .with_timezone(&china_offset())
        .date_naive();
    let yesterday = today - TimeDelta::days(1);
    let ctx = user.ctx();
    let lang = match ctx.lang {
        super::i18n::Lang::Zh => "zh",
        super::i18n::Lang::En => "en",
    };
    Ok(html(Page {
        lang,
        yesterday: yesterday.to_string(),
        month: format!("{:04}-{:02}", today.year(), today.month()),
        week_ago: (yesterday - TimeDelta::days(6)).to_string(),
        ctx,
    }))
}
