//! The agent page (work in progress).

use super::{PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/agent", get(page))
}

#[derive(Template)]
#[template(path = "agent.html")]
struct Page {
    ctx: super::Ctx,
}

async fn page(user: PageUser) -> Result<Response, PageError> {
    user.allow("/agent")?;
    Ok(html(Page { ctx: user.ctx() }))
}
