//! The unit page (work in progress).

use super::{PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/unit", get(page))
}

#[derive(Template)]
#[template(path = "unit.html")]
struct Page {
    ctx: super::Ctx,
}

async fn page(user: PageUser) -> Result<Response, PageError> {
    user.allow("/unit")?;
    Ok(html(Page { ctx: user.ctx() }))
}
