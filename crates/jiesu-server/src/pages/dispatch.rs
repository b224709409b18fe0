//! 派单 `/dispatch` (dispatchers): the queue of received tickets with the rules' routing proposal
//! and the best duplicate proposal (一件多诉), dispatched or merged in one click, and the
//! returned tickets (退单) to review. `assets/dispatch.js` fills it from
//! `/api/v1/dispatch/queue` and `/api/v1/dispatch/returns` and acts through the tickets'
//! commands.

use super::{Ctx, PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/dispatch", get(page))
}

#[derive(Template)]
#[template(path = "dispatch.html")]
struct Page {
    ctx: Ctx,
}

async fn page(user: PageUser) -> Result<Response, PageError> {
    user.allow("/dispatch")?;
    Ok(html(Page { ctx: user.ctx() }))
}
