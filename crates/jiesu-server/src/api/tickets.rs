//! Tickets: create, read, list, and one `POST /tickets/{id}/{action}` per lifecycle command.
//!
//! A unit user sees only the tickets its unit is involved in (any other is 404 to it), with the
//! caller's phone masked and the name hidden on confidential tickets.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiQuery, from_value, parse_json};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiesu_core::{
    Command, CommandKind, EventRecord, Intake, Status, Ticket, TicketId, available, execute,
};
use jiesu_store::{NewTicket, StoreError, TicketFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tickets", post(create).get(list))
        .route("/tickets/{id}", get(show))
        .route("/tickets/{id}/{action}", post(act))
}

/// How many times a command is retried when another writer changed the ticket meanwhile.
const RETRIES: usize = 3;

/// A ticket as the API shows it: the state, the actions the viewer may take now, and on
/// `GET /tickets/{id}` its events.
#[derive(Serialize)]
pub struct TicketView {
    #[serde(flatten)]
    ticket: Ticket,
    allowed_actions: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<EventRecord>>,
}

/// The ticket as this principal may see it: a unit sees the caller masked.
pub fn view(ticket: Ticket, who: &Principal) -> TicketView {
    let allowed_actions = available(&ticket, &who.0.actor())
        .into_iter()
        .map(CommandKind::as_str)
        .collect();
    let ticket = if who.unit_scope().is_some() {
        ticket.redacted_for_unit()
    } else {
        ticket
    };
    TicketView {
        ticket,
        allowed_actions,
        events: None,
    }
}

/// Loads a ticket the principal may see, or 404.
async fn visible(state: &AppState, who: &Principal, id: &str) -> ApiResult<Ticket> {
    let missing = || AppError::NotFound(format!("no ticket '{id}'"));
    let ticket = match state.store.ticket(id).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    match who.unit_scope() {
        Some(unit) if !ticket.involves_unit(unit) => Err(missing()),
        _ => Ok(ticket),
    }
}

fn idempotency_key(headers: &HeaderMap, who: &Principal) -> ApiResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            AppError::invalid(
                "Idempotency-Key",
                "must be 1 to 200 visible ASCII characters",
            )
        })?;
    // Keys are per user: two agents cannot collide by accident.
    Ok(Some(format!("{}:{key}", who.0.name)))
}

async fn create(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    who.require(CommandKind::Receive.roles(), "create tickets")?;
    let mut intake: Intake = parse_json(&body)?;
    // The source reference of imported history is set by `jiesu import` only.
    intake.external_ref = None;
    let intake = intake.validate(state.directory().as_ref())?;
    // `"assist": true`: the agent used the assistant; keep what it proposes for this text
    // beside what the agent chose.
    let proposal = if wants_assist(&body)? {
        let text = format!(
            "{} {}",
            intake.title.as_deref().unwrap_or_default(),
            intake.content
        );
        let mut proposal = state.assistant.propose(&text);
        crate::api::dispatch::complete_proposal(&state, &mut proposal, &text);
        Some(proposal)
    } else {
        None
    };
    let sent = intake.clone();
    let created = state
        .intake
        .create(NewTicket {
            id: TicketId(uuid::Uuid::now_v7().to_string()),
            intake,
            actor: who.0.actor(),
            received_at: state.clock.now(),
            idempotency_key: idempotency_key(&headers, &who)?,
            proposal,
        })
        .await?;
    if created.existed && !same_request(&created.ticket.intake, &sent) {
        return Err(AppError::Conflict(format!(
            "Idempotency-Key was already used for a different request (ticket {}); use a new key",
            created.ticket.number
        )));
    }
    let ticket = if created.existed {
        created.ticket
    } else {
        crate::api::dispatch::auto_dispatch(&state, created.ticket).await?
    };
    if !created.existed
        && let Some(permit) = state.merges.try_warm()
    {
        // 一件多诉: compare the new ticket with the open ones now, off the request, so that its
        // profile and theirs are ready when an agent or dispatcher asks; one at a time.
        let (merges, st, t) = (state.merges.clone(), state.clone(), ticket.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match merges.find(&st, std::slice::from_ref(&t)).await {
                Ok(found) => {
                    let n = found.first().map_or(0, |f| f.proposals.len());
                    tracing::debug!(ticket = %t.number, proposals = n, "merge proposals");
                }
                Err(e) => tracing::warn!(ticket = %t.number, error = %e, "merge proposals"),
            }
            // At most a few comparisons a second in the background: a busy intake keeps its
            // CPU, and the tickets skipped are compared when someone asks.
            tokio::time::sleep(crate::merges::WARM_PAUSE).await;
        });
    }
    let location = format!("/api/v1/tickets/{}", ticket.id);
    let mut response = (StatusCode::CREATED, Json(view(ticket, &who))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert("location", v);
    }
    if created.existed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Whether a replayed create asks for the same thing as the first (urgency aside, which an
/// escalation may have raised since).
fn same_request(stored: &Intake, sent: &Intake) -> bool {
    Intake {
        urgency: sent.urgency,
        ..stored.clone()
    } == *sent
}

/// Whether the create request carries `"assist": true` (looked for only when the word is there,
/// so that plain intake pays nothing).
fn wants_assist(body: &[u8]) -> ApiResult<bool> {
    if !body.windows(8).any(|w| w == b"\"assist\"") {
        return Ok(false);
    }
    #[derive(Deserialize)]
    struct Flag {
        #[serde(default)]
        assist: bool,
    }
    Ok(parse_json::<Flag>(body)?.assist)
}

async fn show(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<TicketView>> {
    let ticket = visible(&state, &who, &id).await?;
    let mut events: Vec<EventRecord> = state.store.events(&ticket.id).await?;
    if who.unit_scope().is_some() {
        ticket.redact_events_for_unit(&mut events);
    }
    let mut v = view(ticket, &who);
    v.events = Some(events);
    Ok(Json(v))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    unit: Option<String>,
    district: Option<String>,
    phone: Option<String>,
    text: Option<String>,
    overdue: Option<bool>,
    cursor: Option<String>,
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    if who.unit_scope().is_some() && q.phone.as_deref().is_some_and(|p| !p.is_empty()) {
        return Err(AppError::Forbidden(
            "units may not search by the caller's phone number".into(),
        ));
    }
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            AppError::invalid("status", format!("must be one of {}", Status::expected()))
        })?),
    };
    let cursor = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::invalid("cursor", "is not a cursor from a previous page"))?,
        ),
    };
    let limit = crate::extract::bounded("limit", q.limit, 50, 500)?;
    // A unit user only ever lists its own unit's tickets.
    let unit = match who.unit_scope() {
        Some(own) => Some(own.to_string()),
        None => q.unit.filter(|u| !u.is_empty()),
    };
    let page = state
        .store
        .list_tickets(&TicketFilter {
            status,
            unit,
            district: q.district.filter(|d| !d.is_empty()),
            caller_phone: q.phone.filter(|p| !p.is_empty()),
            overdue: q.overdue,
            text: q.text.filter(|t| !t.trim().is_empty()),
            cursor,
            limit,
        })
        .await?;
    let items: Vec<TicketView> = page.items.into_iter().map(|t| view(t, &who)).collect();
    Ok(Json(json!({
        "items": items,
        "next_cursor": page.next_cursor.map(|c| c.to_string()),
    })))
}

/// Builds the command for `action` from the request body.
async fn command(state: &AppState, action: CommandKind, body: &[u8]) -> ApiResult<Command> {
    let mut fields: Value = parse_json(body)?;
    let Some(map) = fields.as_object_mut() else {
        return Err(AppError::invalid("body", "must be a JSON object"));
    };
    if action == CommandKind::Acknowledge {
        return Ok(Command::Acknowledge);
    }
    if action == CommandKind::Merge {
        // The decision needs the master's status: look it up here.
        let master_id = match map.get("master_id") {
            None => return Err(AppError::invalid("master_id", "is required")),
            Some(Value::String(id)) => id.clone(),
            Some(_) => {
                return Err(AppError::invalid(
                    "master_id",
                    "must be a ticket id or number",
                ));
            }
        };
        let master = match state.store.ticket(&master_id).await {
            Ok(t) => t,
            Err(StoreError::NotFound) => {
                return Err(AppError::invalid(
                    "master_id",
                    format!("no ticket '{master_id}'"),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        map.insert("master_id".into(), json!(master.id));
        map.insert("master_status".into(), json!(master.status));
    }
    if action == CommandKind::Answer {
        // The entry read out must be in force; the ticket records which version it was.
        map.remove("entry_version");
        if let Some(Value::String(entry_id)) = map.get("entry_id") {
            let today = state.today();
            let entry = match state.store.entry(entry_id).await {
                Ok(s) => s.entry,
                Err(StoreError::NotFound) => {
                    return Err(AppError::invalid(
                        "entry_id",
                        format!("no knowledge-base entry '{entry_id}'"),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            if !entry.is_answerable(today) {
                return Err(AppError::invalid(
                    "entry_id",
                    format!(
                        "entry {} is {} or out of its validity dates and may not be read out",
                        entry.id, entry.status
                    ),
                ));
            }
            map.insert("entry_version".into(), json!(entry.version));
        }
    }
    // `{"reply": {...}}`: the fields are read with their paths, which name them in errors.
    let prefix = format!("{}.", action.as_str());
    from_value(json!({ action.as_str(): fields })).map_err(|e| match e {
        AppError::Invalid { field, message } => AppError::Invalid {
            field: field
                .strip_prefix(&prefix)
                .map_or_else(|| "body".to_string(), String::from),
            message,
        },
        other => other,
    })
}

async fn act(
    State(state): State<AppState>,
    who: Principal,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<TicketView>> {
    let kind = CommandKind::parse(&action)
        .filter(|k| k.is_api_action())
        .ok_or_else(|| AppError::NotFound(format!("no action '{action}' on tickets")))?;
    who.require(kind.roles(), kind.as_str())?;
    let mut ticket = visible(&state, &who, &id).await?;
    let command = command(&state, kind, &body).await?;
    let command = crate::api::dispatch::routed(&state, &ticket, command).await?;
    let actor = who.0.actor();
    for _ in 0..RETRIES {
        let now = state.clock.now();
        let (records, next) = execute(
            Some(&ticket),
            &command,
            &actor,
            now,
            state.directory().as_ref(),
        )?;
        // A reply reaches the tickets merged into this one; a merge into a replied master
        // brings its reply (一件多诉, see `crate::merges`).
        let appends = crate::merges::follow(
            &state,
            &command,
            jiesu_store::Append {
                expected_version: ticket.version,
                records,
                state: next,
            },
        )
        .await?;
        let next = appends[0].state.clone();
        match state.store.append_many(&appends).await {
            Ok(()) => {
                if let Command::Answer {
                    entry_id: Some(entry),
                    ..
                } = &command
                {
                    // Much-used entries rank higher in search; a lost count is no harm.
                    if let Err(e) = state.store.record_use(entry).await {
                        tracing::warn!(entry, error = %e, "entry use not counted");
                    }
                }
                if next.deadlines.as_ref().is_some_and(|d| d.beyond_calendar) {
                    tracing::warn!(
                        ticket = %next.number,
                        "deadline worked out past the working calendar's last year with the \
                         weekday rule: enter the State Council's schedule (PUT /api/v1/calendar/YEAR)"
                    );
                }
                return Ok(Json(view(next, &who)));
            }
            Err(StoreError::Conflict(_)) => ticket = visible(&state, &who, &id).await?,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict(format!(
        "ticket {} is being changed by others; try again",
        ticket.number
    )))
}
