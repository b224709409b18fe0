//! The citizen's pages (public): the request form and following a request by number and phone.

use super::{Visitor, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

/// Routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(form))
}

#[derive(Template)]
#[template(path = "ask.html")]
struct Ask {
    ctx: super::Ctx,
}

async fn form(visitor: Visitor) -> Response {
    html(Ask { ctx: visitor.ctx })
}
