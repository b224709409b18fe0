//! 坐席工作台 the agent workstation (`/agent`): the incoming call (`?phone=` stands for the
//! telephony system's screen pop) with the caller's past orders, the knowledge base searched
//! as the agent types with the answer to read out, one-click "answered" citing the entry, the
//! order form pre-filled by the smart assistant with its reasons, live notices pushed by the
//! server, and keyboard shortcuts for the common path.
//!
//! The page is rendered here with the caller's orders; `agent.js` drives the rest through the
//! JSON API (`/knowledge/search`, `/assist`, `/tickets`, `/tickets/{id}/answer`, `/notices`),
//! signed in by the session cookie.

use super::citizen::{District, districts};
use super::{PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use jiesu_store::TicketFilter;
use serde::Deserialize;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/agent", get(page))
}

/// A past order of the caller, as listed in the call panel.
pub struct PastOrder {
    /// The order number.
    pub number: String,
    /// When it was received, in China's time.
    pub at: String,
    /// Its title or the start of its content.
    pub title: String,
    /// Status label.
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "agent.html")]
struct Page {
    ctx: super::Ctx,
    phone: String,
    past: Vec<PastOrder>,
    districts: Vec<District>,
    /// (code, name) of the catalog's first level.
    categories: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct CallQuery {
    phone: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<CallQuery>,
) -> Result<Response, PageError> {
    user.allow("/agent")?;
    let ctx = user.ctx();
    let phone: String = q
        .phone
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-' || *c == '+')
        .take(20)
        .collect();
    let past = if phone.is_empty() {
        Vec::new()
    } else {
        let filter = TicketFilter {
            caller_phone: Some(phone.clone()),
            limit: 20,
            ..TicketFilter::default()
        };
        match state.store.list_tickets(&filter).await {
            Ok(page) => page
                .items
                .into_iter()
                .map(|t| PastOrder {
                    number: t.number.clone(),
                    at: super::citizen::china_time(t.received_at),
                    title: t
                        .intake
                        .title
                        .clone()
                        .unwrap_or_else(|| t.intake.content.chars().take(30).collect()),
                    status: ctx.t(&format!("status.{}", t.status)),
                })
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "caller's past orders");
                return Err(PageError::Internal(Box::new(ctx)));
            }
        }
    };
    let categories = state
        .reference
        .catalog
        .iter()
        .filter(|c| c.level == 1)
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect();
    Ok(html(Page {
        ctx,
        phone,
        past,
        districts: districts(&state),
        categories,
    }))
}
