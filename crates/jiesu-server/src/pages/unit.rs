//! 单位工单 the unit inbox (`/unit`): the orders the signed-in unit leads or assists, nearest
//! deadline first, coloured on time / warned / overdue, with the actions its role may take now
//! (acknowledge, return with a reason, ask for an extension, reply). Only its own orders, the
//! citizen's phone masked (`138****1234`), as the API shows them to a unit.
//!
//! Actions go through the JSON API (`POST /api/v1/tickets/{id}/{action}`) from `unit.js`, which
//! reloads the list after each.

use super::{PageError, PageUser, html};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use jiesu_core::Status;
use jiesu_core::ticket::available;
use jiesu_core::timelimit::Timeliness;
use jiesu_store::TicketFilter;

/// Routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/unit", get(page))
}

/// An order in the inbox.
pub struct Order {
    /// Ticket id, for the API.
    pub id: String,
    /// Order number.
    pub number: String,
    /// Title or the start of the content.
    pub title: String,
    /// What the citizen said.
    pub content: String,
    /// The address given.
    pub address: String,
    /// Caller's name (hidden on confidential orders).
    pub caller: String,
    /// Caller's phone, masked.
    pub phone: String,
    /// Status label.
    pub status: &'static str,
    /// Deadline to handle, in China's time ("" when none).
    pub deadline: String,
    /// `ontime`, `warned` or `overdue`: the worse of the acknowledge and handle limits.
    pub state: &'static str,
    /// Label of `state`.
    pub state_label: &'static str,
    /// Actions the unit may take now (`acknowledge`, `return`, `extension`, `reply`).
    pub actions: Vec<&'static str>,
    /// Whether this unit leads it (assisting units only read and reply to the lead).
    pub lead: bool,
    /// Working days of an extension asked for and not yet decided.
    pub extension_pending: Option<u32>,
}

impl Order {
    /// Whether the unit may take `action` now.
    pub fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }
}

#[derive(Template)]
#[template(path = "unit.html")]
struct Page {
    ctx: super::Ctx,
    unit: String,
    orders: Vec<Order>,
}

fn worse(a: Timeliness, b: Timeliness) -> Timeliness {
    let rank = |t: Timeliness| match t {
        Timeliness::OnTime => 0,
        Timeliness::Warned => 1,
        Timeliness::Overdue => 2,
    };
    if rank(a) >= rank(b) { a } else { b }
}

async fn page(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.allow("/unit")?;
    let ctx = user.ctx();
    let Some(unit) = user.user.unit.clone() else {
        // An admin has no unit: nothing to list.
        return Ok(html(Page {
            ctx,
            unit: String::new(),
            orders: Vec::new(),
        }));
    };
    let filter = TicketFilter {
        unit: Some(unit.clone()),
        limit: 500,
        ..TicketFilter::default()
    };
    let tickets = match state.store.list_tickets(&filter).await {
        Ok(page) => page.items,
        Err(e) => {
            tracing::error!(error = %e, "unit inbox");
            return Err(PageError::Internal(Box::new(ctx)));
        }
    };
    let actor = user.user.actor();
    let mut tickets: Vec<_> = tickets
        .into_iter()
        .filter(|t| {
            matches!(
                t.status,
                Status::Dispatched | Status::InProgress | Status::Reopened | Status::Returned
            )
        })
        .collect();
    tickets.sort_by_key(|t| t.deadlines.as_ref().map(|d| d.handle_by));
    let unit_name = state
        .reference
        .units
        .iter()
        .find(|u| u.code == unit)
        .map_or(unit.clone(), |u| u.name.clone());
    let orders = tickets
        .into_iter()
        .map(|t| {
            let actions = available(&t, &actor)
                .into_iter()
                .map(|k| k.as_str())
                .collect();
            let lead = t.lead_unit.as_deref() == Some(unit.as_str());
            let when = worse(t.acknowledge_timeliness, t.handle_timeliness);
            let (state, key) = match when {
                Timeliness::OnTime => ("ontime", "unit.ontime"),
                Timeliness::Warned => ("warned", "unit.warned"),
                Timeliness::Overdue => ("overdue", "unit.overdue"),
            };
            let t = t.redacted_for_unit();
            Order {
                id: t.id.0.clone(),
                number: t.number.clone(),
                title: t
                    .intake
                    .title
                    .clone()
                    .unwrap_or_else(|| t.intake.content.chars().take(30).collect()),
                content: t.intake.content.clone(),
                address: t.intake.address.clone().unwrap_or_default(),
                caller: t.intake.caller.name.clone(),
                phone: t.intake.caller.phone.clone(),
                status: ctx.t(&format!("status.{}", t.status)),
                deadline: t
                    .deadlines
                    .as_ref()
                    .map(|d| super::citizen::china_time(d.handle_by))
                    .unwrap_or_default(),
                state,
                state_label: ctx.t(key),
                actions,
                lead,
                extension_pending: t.extension_pending,
            }
        })
        .collect();
    Ok(html(Page {
        ctx,
        unit: unit_name,
        orders,
    }))
}
