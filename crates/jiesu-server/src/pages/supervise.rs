//! 督办 `/supervise` (supervisors): overdue tickets, tickets reopened after an unresolved
//! callback and pending extension requests, with supervise, escalate and the extension
//! decision. `assets/supervise.js` fills it from `/api/v1/tickets` and acts through the
//! tickets' commands.

use super::{Ctx, PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/supervise", get(page))
}

#[derive(Template)]
#[template(path = "supervise.html")]
struct Page {
    ctx: Ctx,
}

async fn page(user: PageUser) -> Result<Response, PageError> {
    user.allow("/supervise")?;
    Ok(html(Page { ctx: user.ctx() }))
}
