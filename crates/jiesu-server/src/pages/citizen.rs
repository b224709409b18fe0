//! The citizen's pages (public, web and WeChat H5): the request form in three steps
//! (`GET /`, `POST /ask`), the page with the order number (`/ask/done/{number}`), and following
//! a request by its number and the phone given (`/track`).
//!
//! The form works without JavaScript: districts are a `<select>`, streets a `<select>` grouped
//! by district; a little script (`citizen.js`) shows one step at a time, narrows the streets to
//! the chosen district and finds a street by name. "不清楚" skips the choice: the address is
//! then typed freely and the assistant reads what it can from it later.

use super::{PageError, Visitor, html};
use crate::AppState;
use crate::error::AppError;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiesu_core::{Actor, Caller, Channel, DivisionLevel, Intake, Role, TicketId, Urgency};
use jiesu_store::{NewTicket, StoreError};
use serde::Deserialize;

/// Routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(form))
        .route("/ask", get(form).post(submit))
        .route("/ask/done/{number}", get(done))
        .route("/track", get(track_form).post(track))
}

/// A district and its streets, for the cascade.
pub struct District {
    /// Code (6 digits).
    pub code: String,
    /// Name.
    pub name: String,
    /// (code, name) of its streets.
    pub streets: Vec<(String, String)>,
}

pub(crate) fn districts(state: &AppState) -> Vec<District> {
    let divisions = &state.reference.divisions;
    divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::District)
        .map(|d| District {
            code: d.code.clone(),
            name: d.name.clone(),
            streets: divisions
                .iter()
                .filter(|s| s.parent_code.as_deref() == Some(d.code.as_str()))
                .map(|s| (s.code.clone(), s.name.clone()))
                .collect(),
        })
        .collect()
}

/// What the citizen typed, kept when the form comes back with an error.
#[derive(Deserialize, Default)]
struct AskForm {
    #[serde(default)]
    content: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    unknown: Option<String>,
    #[serde(default)]
    address: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    channel: String,
}

#[derive(Template)]
#[template(path = "ask.html")]
struct Ask {
    ctx: super::Ctx,
    districts: Vec<District>,
    form: AskForm,
    /// (field, message) of a refused submission.
    error: Option<(String, String)>,
}

impl Ask {
    fn unknown(&self) -> bool {
        self.form.unknown.is_some()
    }
}

#[derive(Deserialize, Default)]
struct AskQuery {
    channel: Option<String>,
}

async fn form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<AskQuery>,
) -> Response {
    html(Ask {
        ctx: visitor.ctx,
        districts: districts(&state),
        form: AskForm {
            channel: q.channel.unwrap_or_default(),
            ..AskForm::default()
        },
        error: None,
    })
}

/// Which step of the form holds a field, so that an error opens that step.
fn field_label(ctx: &super::Ctx, field: &str) -> &'static str {
    match field {
        "content" | "title" => ctx.t("ask.content"),
        "district_code" => ctx.t("ask.district"),
        "street_code" => ctx.t("ask.street"),
        "address" => ctx.t("ask.address"),
        "caller.name" => ctx.t("ask.name"),
        "caller.phone" => ctx.t("ask.phone"),
        _ => ctx.t("ask.error"),
    }
}

async fn submit(State(state): State<AppState>, visitor: Visitor, body: Bytes) -> Response {
    let form: AskForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let unknown = form.unknown.is_some();
    let pick = |s: &str| (!unknown && !s.trim().is_empty()).then(|| s.trim().to_string());
    let intake = Intake {
        channel: if form.channel == "wechat" {
            Channel::Wechat
        } else {
            Channel::Web
        },
        title: None,
        content: form.content.trim().to_string(),
        caller: Caller {
            name: match form.name.trim() {
                "" => "未留姓名".to_string(),
                n => n.to_string(),
            },
            phone: form.phone.trim().to_string(),
        },
        address: (!form.address.trim().is_empty()).then(|| form.address.trim().to_string()),
        district_code: pick(&form.district),
        street_code: pick(&form.street),
        category_code: None,
        urgency: Urgency::Normal,
        confidential: false,
        external_ref: None,
    };
    let refused = |visitor: Visitor, form: AskForm, field: String, message: String| {
        let label = field_label(&visitor.ctx, &field).to_string();
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            html(Ask {
                ctx: visitor.ctx,
                districts: districts(&state),
                form,
                error: Some((label, message)),
            }),
        )
            .into_response()
    };
    if intake.content.chars().count() < 5 {
        let message = visitor.ctx.t("ask.content.short").to_string();
        return refused(visitor, form, "content".into(), message);
    }
    let intake = match intake.validate(state.directory().as_ref()) {
        Ok(i) => i,
        Err(e) => match AppError::from(e) {
            AppError::Invalid { field, message } => {
                return refused(visitor, form, field, message);
            }
            other => {
                tracing::error!(error = %other, "citizen form refused");
                return PageError::Internal(Box::new(visitor.ctx)).into_response();
            }
        },
    };
    let created = state
        .intake
        .create(NewTicket {
            id: TicketId(uuid::Uuid::now_v7().to_string()),
            intake,
            actor: Actor::new("web-form", Role::Agent),
            received_at: state.clock.now(),
            idempotency_key: None,
            proposal: None,
        })
        .await;
    let ticket = match created {
        Ok(c) => c.ticket,
        Err(e) => {
            tracing::error!(error = %e, "citizen form not saved");
            return PageError::Internal(Box::new(visitor.ctx)).into_response();
        }
    };
    let number = ticket.number.clone();
    if let Err(e) = crate::api::dispatch::auto_dispatch(&state, ticket).await {
        tracing::warn!(error = %e, ticket = %number, "automatic dispatch of a web request");
    }
    Redirect::to(&format!("/ask/done/{number}")).into_response()
}

#[derive(Template)]
#[template(path = "ask_done.html")]
struct Done {
    ctx: super::Ctx,
    number: String,
}

async fn done(visitor: Visitor, Path(number): Path<String>) -> Response {
    if number.len() > 32 || !number.chars().all(|c| c.is_ascii_digit()) {
        return PageError::NotFound(Box::new(visitor.ctx)).into_response();
    }
    html(Done {
        ctx: visitor.ctx,
        number,
    })
}

/// A step in a request's history as the citizen sees it.
pub struct Step {
    /// When, in China's time.
    pub at: String,
    /// What happened.
    pub what: &'static str,
    /// The unit's reply or the answer given, when this step carries one.
    pub text: Option<String>,
}

/// A request found by number and phone.
pub struct Found {
    /// The order number.
    pub number: String,
    /// Status label.
    pub status: &'static str,
    /// Status identifier, for styling and tests.
    pub status_code: String,
    /// What the citizen said.
    pub content: String,
    /// The visible history, oldest first.
    pub steps: Vec<Step>,
}

#[derive(Template)]
#[template(path = "track.html")]
struct Track {
    ctx: super::Ctx,
    number: String,
    phone: String,
    found: Option<Found>,
    missing: bool,
}

#[derive(Deserialize, Default)]
struct TrackForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    phone: String,
}

async fn track_form(visitor: Visitor, Query(q): Query<TrackForm>) -> Response {
    html(Track {
        ctx: visitor.ctx,
        number: q.number,
        phone: String::new(),
        found: None,
        missing: false,
    })
}

pub(crate) fn china_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&jiesu_core::china_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The ticket numbered `number` if `phone` is the caller's; `None` otherwise, the same
/// whether the number is unknown or the phone wrong.
async fn lookup(
    state: &AppState,
    ctx: &super::Ctx,
    number: &str,
    phone: &str,
) -> Result<Option<Found>, AppError> {
    if number.is_empty() || phone.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let ticket = match state.store.ticket(number).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if ticket.intake.caller.phone != phone {
        return Ok(None);
    }
    let events = state.store.events(&ticket.id).await?;
    let steps = events
        .iter()
        .filter_map(|record| {
            let value = serde_json::to_value(record).ok()?;
            let kind = value["kind"].as_str()?.to_string();
            let key = format!("event.{kind}");
            super::i18n::TABLE.iter().find(|(k, _, _)| *k == key)?;
            let text = match kind.as_str() {
                "replied" | "answered" => value["details"]["text"].as_str().map(String::from),
                _ => None,
            };
            Some(Step {
                at: china_time(record.at),
                what: ctx.t(&key),
                text,
            })
        })
        .collect();
    let status = ticket.status.to_string();
    Ok(Some(Found {
        number: ticket.number.clone(),
        status: ctx.t(&format!("status.{status}")),
        status_code: status,
        content: ticket.intake.content.clone(),
        steps,
    }))
}

/// `POST /track`: the phone stays out of the address bar and the logs.
async fn track(State(state): State<AppState>, visitor: Visitor, body: Bytes) -> Response {
    let form: TrackForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (number, phone) = (
        form.number.trim().to_string(),
        form.phone.trim().to_string(),
    );
    match lookup(&state, &visitor.ctx, &number, &phone).await {
        Ok(found) => {
            let missing = found.is_none();
            let page = html(Track {
                ctx: visitor.ctx,
                number,
                phone,
                found,
                missing,
            });
            if missing {
                (StatusCode::NOT_FOUND, page).into_response()
            } else {
                page
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "tracking lookup failed");
            PageError::Internal(Box::new(visitor.ctx)).into_response()
        }
    }
}
