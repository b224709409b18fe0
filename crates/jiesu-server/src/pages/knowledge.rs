//! 知识库 `/knowledge` (editors): entries listed and searched, edited with their version history
//! and the difference between versions, published, retired or put back in force, and the
//! missing-answer queue (缺失口径). `assets/knowledge.js` fills it from
//! `/api/v1/knowledge/...`.

use super::{Ctx, PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/knowledge", get(page))
}

#[derive(Template)]
#[template(path = "knowledge.html")]
struct Page {
    ctx: Ctx,
}

async fn page(user: PageUser) -> Result<Response, PageError> {
    user.allow("/knowledge")?;
    Ok(html(Page { ctx: user.ctx() }))
}
