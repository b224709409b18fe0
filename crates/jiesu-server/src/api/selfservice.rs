//! Self-service: the answer bot (`POST /api/v1/answer`) and the IVR menu a PBX drives
//! (`/api/v1/ivr/...`), both answering from active entries only, and the share of contacts
//! they served without an agent (`GET /api/v1/reports/self-service`).
//!
//! The bot is public (a citizen on the web site or WeChat asks it). Below
//! [`ANSWER_THRESHOLD`] it says it is not sure and offers an agent or a work order built from
//! what the citizen typed (`POST /api/v1/answer/{id}/ticket`). The IVR endpoints are for the
//! PBX, signed in as an agent account: it sends the call id and the keys pressed and gets back
//! what to say and what to do next.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jiesu_core::ivr::{CallOutcome, Menu, Step, step};
use jiesu_core::knowledge::answer_confidence;
use jiesu_core::{Actor, Caller, Channel, Intake, Role, TicketId, Urgency};
use jiesu_store::knowledge::Contact;
use jiesu_store::{NewTicket, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

/// The bot answers when its best entry's confidence ([`answer_confidence`]) reaches this;
/// below it hands over. Chosen on the held-out evaluation (`jiesu eval answers`): see
/// BENCHMARKS.md.
pub const ANSWER_THRESHOLD: f32 = 0.3;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/answer", post(answer))
        .route("/answer/{id}/ticket", post(answer_ticket))
        .route("/ivr/menu", get(menu).put(save_menu))
        .route("/ivr/calls", post(call_start))
        .route("/ivr/calls/{id}/keys", post(call_keys))
        .route("/ivr/calls/{id}/message", post(call_message))
        .route("/ivr/calls/{id}/hangup", post(call_hangup))
        .route("/reports/self-service", get(report))
        .route("/reports/knowledge", get(knowledge_report))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    question: String,
    region_code: Option<String>,
    channel: Option<Channel>,
}

/// `POST /answer {question}`: the best active entries with their confidence.
async fn answer(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> ApiResult<Json<Value>> {
    let question = body.question.trim().to_string();
    if question.is_empty() {
        return Err(AppError::invalid("question", "must not be empty"));
    }
    if question.chars().count() > 2000 {
        return Err(AppError::invalid(
            "question",
            "must be at most 2000 characters",
        ));
    }
    let channel = body.channel.unwrap_or(Channel::Web);
    let found = crate::api::knowledge::find(
        &state,
        &question,
        None,
        body.region_code.filter(|r| !r.is_empty()),
        Vec::new(),
        3,
    )
    .await?;
    let mut answers: Vec<(f32, Value)> = found
        .iter()
        .map(|(_, s)| {
            let c = answer_confidence(&question, s.entry.content.phrasings());
            (
                c,
                json!({
                    "entry_id": s.entry.id,
                    "version": s.entry.version,
                    "title": s.entry.content.title,
                    "answer": s.entry.content.answer,
                    "confidence": c,
                }),
            )
        })
        .collect();
    // The search finds the candidates; the confidence orders them and decides whether to answer.
    answers.sort_by(|a, b| b.0.total_cmp(&a.0));
    let confidence = answers.first().map_or(0.0, |a| a.0);
    let answered = confidence >= ANSWER_THRESHOLD;
    let now = state.clock.now();
    let id = uuid::Uuid::now_v7().to_string();
    let best = answers.first().map(|a| a.1.clone());
    state
        .store
        .save_contact(&Contact {
            id: id.clone(),
            kind: "bot".into(),
            started_at: now,
            state: json!({
                "question": question,
                "channel": channel,
                "entry_id": best.as_ref().map(|b| b["entry_id"].clone()),
                "version": best.as_ref().map(|b| b["version"].clone()),
                "confidence": confidence,
            }),
            outcome: if answered { "answered" } else { "handed_over" }.into(),
            ended_at: Some(now),
        })
        .await?;
    let handover = (!answered).then(|| {
        json!({
            "message": "没有找到确定的答案。您可以转人工服务，或直接提交诉求，您输入的内容会保留。",
            "options": [
                {"kind": "agent", "label": "转人工 12345"},
                {"kind": "ticket", "label": "提交诉求", "href": format!("/api/v1/answer/{id}/ticket"),
                 "draft": {"channel": channel, "content": question}},
            ],
        })
    });
    Ok(Json(json!({
        "id": id,
        "question": question,
        "answered": answered,
        "confidence": confidence,
        "threshold": ANSWER_THRESHOLD,
        "answers": answers.into_iter().map(|a| a.1).collect::<Vec<_>>(),
        "handover": handover,
    })))
}

/// Creates a ticket through the intake queue for a self-service contact.
async fn submit(state: &AppState, intake: Intake, actor: Actor) -> ApiResult<jiesu_core::Ticket> {
    let intake = intake.validate(state.directory().as_ref())?;
    let created = state
        .intake
        .create(NewTicket {
            id: TicketId(uuid::Uuid::now_v7().to_string()),
            intake,
            actor,
            received_at: state.clock.now(),
            idempotency_key: None,
            proposal: None,
        })
        .await?;
    Ok(created.ticket)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerTicketBody {
    name: Option<String>,
    phone: String,
    content: Option<String>,
    address: Option<String>,
}

/// `POST /answer/{id}/ticket {phone, name?, content?}`: the citizen the bot could not help
/// files a work order; the question they typed is its content unless they edit it.
async fn answer_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AnswerTicketBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut contact = match state.store.contact(&id).await {
        Ok(c) if c.kind == "bot" => c,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(AppError::NotFound(format!("no answer {id}")));
        }
        Err(e) => return Err(e.into()),
    };
    if contact.outcome == "ticket" {
        return Err(AppError::Conflict(format!(
            "a work order was already filed from answer {id} ({})",
            contact.state["ticket"].as_str().unwrap_or_default()
        )));
    }
    let question = contact.state["question"].as_str().unwrap_or_default();
    let channel: Channel =
        serde_json::from_value(contact.state["channel"].clone()).unwrap_or(Channel::Web);
    let ticket = submit(
        &state,
        Intake {
            channel,
            title: None,
            content: body.content.unwrap_or_else(|| question.to_string()),
            caller: Caller {
                name: body.name.unwrap_or_else(|| "未留姓名".into()),
                phone: body.phone,
            },
            address: body.address,
            district_code: None,
            street_code: None,
            category_code: None,
            urgency: Urgency::Normal,
            confidential: false,
            external_ref: None,
        },
        Actor::new("answer-bot", Role::Agent),
    )
    .await?;
    contact.outcome = "ticket".into();
    contact.state["ticket"] = json!(ticket.number);
    state.store.save_contact(&contact).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"ticket_id": ticket.id, "number": ticket.number})),
    ))
}

const PBX: &[Role] = &[Role::Agent, Role::Admin];

/// `GET /ivr/menu`: the menu in force and its version.
async fn menu(State(state): State<AppState>, _who: Principal) -> ApiResult<Json<Value>> {
    match state.store.ivr_menu().await? {
        Some((version, menu)) => Ok(Json(json!({"version": version, "menu": menu}))),
        None => Err(AppError::NotFound("no IVR menu yet; PUT one".into())),
    }
}

/// `PUT /ivr/menu`: a new menu version (editors and admins).
async fn save_menu(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(menu): ApiJson<Menu>,
) -> ApiResult<Json<Value>> {
    who.require(&[Role::Editor, Role::Admin], "change the IVR menu")?;
    let wanted: Vec<String> = menu
        .nodes
        .values()
        .flat_map(|n| n.options.values())
        .filter_map(|c| match c {
            jiesu_core::ivr::Choice::ReadEntry { entry_id } => Some(entry_id.clone()),
            _ => None,
        })
        .collect();
    let known: std::collections::HashSet<String> = state
        .store
        .entries(&wanted)
        .await?
        .into_iter()
        .map(|s| s.entry.id)
        .collect();
    menu.validate(|id| known.contains(id))
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    let version = state.store.save_ivr_menu(&menu, &who.0.name).await?;
    Ok(Json(json!({"version": version, "menu": menu})))
}

/// Where an IVR call stands, kept as the contact's state.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
struct CallState {
    node: String,
    wrong_keys: u32,
    heard: bool,
    recording: bool,
    caller_phone: Option<String>,
    ticket: Option<String>,
}

/// The answer to the PBX: what to say and what to do.
fn reply(call_id: &str, action: &str, prompt: String, node: Option<&str>) -> Json<Value> {
    Json(json!({"call_id": call_id, "action": action, "prompt": prompt, "node": node}))
}

async fn current_menu(state: &AppState) -> ApiResult<Menu> {
    state
        .store
        .ivr_menu()
        .await?
        .map(|(_, m)| m)
        .ok_or_else(|| AppError::Conflict("no IVR menu is set up".into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallStart {
    call_id: String,
    caller_phone: Option<String>,
}

/// `POST /ivr/calls {call_id, caller_phone?}`: a call enters the menu.
async fn call_start(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<CallStart>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    who.require(PBX, "drive IVR calls")?;
    let call_id = body.call_id.trim().to_string();
    if call_id.is_empty() || call_id.chars().count() > 100 {
        return Err(AppError::invalid("call_id", "must be 1 to 100 characters"));
    }
    let menu = current_menu(&state).await?;
    match state.store.contact(&call_id).await {
        Ok(_) => {
            return Err(AppError::Conflict(format!(
                "call {call_id} already started"
            )));
        }
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let call = CallState {
        node: menu.root.clone(),
        wrong_keys: 0,
        heard: false,
        recording: false,
        caller_phone: body.caller_phone,
        ticket: None,
    };
    state
        .store
        .save_contact(&Contact {
            id: call_id.clone(),
            kind: "ivr".into(),
            started_at: state.clock.now(),
            state: serde_json::to_value(&call)?,
            outcome: CallOutcome::InMenu.as_str().into(),
            ended_at: None,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        reply(
            &call_id,
            "gather",
            menu.prompt(&menu.root),
            Some(&menu.root),
        ),
    ))
}

/// The call, if it is still in the menu.
async fn open_call(state: &AppState, id: &str) -> ApiResult<(Contact, CallState)> {
    let contact = match state.store.contact(id).await {
        Ok(c) if c.kind == "ivr" => c,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(AppError::NotFound(format!("no call {id}")));
        }
        Err(e) => return Err(e.into()),
    };
    if contact.ended_at.is_some() {
        return Err(AppError::Conflict(format!(
            "call {id} has ended ({})",
            contact.outcome
        )));
    }
    let call: CallState = serde_json::from_value(contact.state.clone())?;
    Ok((contact, call))
}

async fn save_call(
    state: &AppState,
    mut contact: Contact,
    call: &CallState,
    outcome: CallOutcome,
    ended: bool,
) -> ApiResult<()> {
    contact.state = serde_json::to_value(call)?;
    contact.outcome = outcome.as_str().into();
    contact.ended_at = ended.then(|| state.clock.now());
    state.store.save_contact(&contact).await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    key: String,
}

/// `POST /ivr/calls/{id}/keys {key}`: the caller pressed a key.
async fn call_keys(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Keys>,
) -> ApiResult<Json<Value>> {
    who.require(PBX, "drive IVR calls")?;
    let key = body.key.as_str();
    if key.len() != 1
        || !key
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    {
        return Err(AppError::invalid("key", "must be one of 0-9, * or #"));
    }
    let (contact, mut call) = open_call(&state, &id).await?;
    if call.recording {
        return Err(AppError::Conflict(format!(
            "call {id} is recording a message; send it to .../message"
        )));
    }
    let menu = current_menu(&state).await?;
    let today = state.today();
    let back = |node: &str| format!("{}（返回主菜单请按星号键）", menu.prompt(node));
    let (action, prompt, outcome, ended) = match step(&menu, &call.node, key, call.wrong_keys) {
        Step::Gather { node, wrong_key } => {
            call.wrong_keys = if wrong_key { call.wrong_keys + 1 } else { 0 };
            let prompt = if wrong_key {
                format!("输入有误，请重新选择。{}", menu.prompt(&node))
            } else {
                menu.prompt(&node)
            };
            call.node = node;
            ("gather", prompt, CallOutcome::InMenu, false)
        }
        Step::ReadEntry { node, entry_id } => {
            call.wrong_keys = 0;
            match state.store.entry(&entry_id).await {
                Ok(s) if s.entry.is_answerable(today) => {
                    call.heard = true;
                    let _ = state.store.record_use(&entry_id).await;
                    let prompt = format!("{}。{}", s.entry.content.answer, back(&node));
                    ("play", prompt, CallOutcome::InMenu, false)
                }
                // Only entries in force are read: a withdrawn one hands the caller to a person.
                Ok(_) | Err(StoreError::NotFound) => (
                    "transfer",
                    "该项解答正在更新，正在为您转接人工服务。".to_string(),
                    CallOutcome::Agent,
                    true,
                ),
                Err(e) => return Err(e.into()),
            }
        }
        Step::ReadNumbers { node, numbers } => {
            call.wrong_keys = 0;
            call.heard = true;
            let list: Vec<String> = numbers
                .iter()
                .map(|n| format!("{}：{}", n.name, n.phone))
                .collect();
            let prompt = format!("{}。{}", list.join("；"), back(&node));
            ("play", prompt, CallOutcome::InMenu, false)
        }
        Step::Agent => (
            "transfer",
            "正在为您转接人工服务，请稍候。".to_string(),
            CallOutcome::Agent,
            true,
        ),
        Step::Message => {
            call.recording = true;
            (
                "record",
                "请在提示音后说出您的诉求和地址，说完请挂机。".to_string(),
                CallOutcome::InMenu,
                false,
            )
        }
    };
    let node = call.node.clone();
    save_call(&state, contact, &call, outcome, ended).await?;
    Ok(reply(
        &id,
        action,
        prompt,
        (!ended).then_some(node.as_str()),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    text: String,
    caller_phone: Option<String>,
}

/// `POST /ivr/calls/{id}/message {text}`: the recorded message (as text from speech
/// recognition) becomes a work order.
async fn call_message(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Message>,
) -> ApiResult<Json<Value>> {
    who.require(PBX, "drive IVR calls")?;
    let (contact, mut call) = open_call(&state, &id).await?;
    if !call.recording {
        return Err(AppError::Conflict(format!(
            "call {id} did not choose to leave a message"
        )));
    }
    let phone = body
        .caller_phone
        .or_else(|| call.caller_phone.clone())
        .ok_or_else(|| AppError::invalid("caller_phone", "is required when the PBX gave none"))?;
    let ticket = submit(
        &state,
        Intake {
            channel: Channel::Phone,
            title: None,
            content: body.text,
            caller: Caller {
                name: "未留姓名".into(),
                phone,
            },
            address: None,
            district_code: None,
            street_code: None,
            category_code: None,
            urgency: Urgency::Normal,
            confidential: false,
            external_ref: Some(format!("ivr:{id}")),
        },
        who.0.actor(),
    )
    .await?;
    call.recording = false;
    call.ticket = Some(ticket.number.clone());
    save_call(&state, contact, &call, CallOutcome::Ticket, true).await?;
    let mut r = reply(
        &id,
        "hangup",
        format!("您的诉求已受理，工单号 {}，感谢您的来电。", ticket.number),
        None,
    );
    r.0["ticket_id"] = json!(ticket.id);
    r.0["number"] = json!(ticket.number);
    Ok(r)
}

/// `POST /ivr/calls/{id}/hangup`: the caller hung up. A call that heard an answer or the
/// numbers it wanted counts as served without an agent.
async fn call_hangup(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    who.require(PBX, "drive IVR calls")?;
    let (contact, call) = open_call(&state, &id).await?;
    let outcome = if call.heard {
        CallOutcome::SelfServed
    } else {
        CallOutcome::Abandoned
    };
    save_call(&state, contact, &call, outcome, true).await?;
    Ok(Json(json!({"call_id": id, "outcome": outcome})))
}

#[derive(Deserialize)]
struct Period {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /reports/self-service?from=&to=`: IVR calls and bot questions by outcome, and the
/// share served without an agent.
async fn report(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<Period>,
) -> ApiResult<Json<Value>> {
    who.require(
        &[Role::Analyst, Role::Supervisor, Role::Editor, Role::Admin],
        "see self-service reports",
    )?;
    let crate::api::reports::Period {
        from,
        to,
        start,
        end,
    } = crate::api::reports::Period::parse(&state, p.from.as_deref(), p.to.as_deref(), 7)?;
    let counts = state.store.contacts_between(start, end).await?;
    let part = |kind: &str, served: &str| {
        let by: serde_json::Map<String, Value> = counts
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|((_, o), n)| (o.clone(), json!(n)))
            .collect();
        let total: u64 = by.values().filter_map(Value::as_u64).sum();
        let ok = by.get(served).and_then(Value::as_u64).unwrap_or(0);
        let share = if total == 0 {
            None
        } else {
            Some(ok as f64 / total as f64)
        };
        json!({"total": total, "by_outcome": by, "self_served": ok, "self_served_share": share})
    };
    Ok(Json(json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "ivr": part("ivr", CallOutcome::SelfServed.as_str()),
        "bot": part("bot", "answered"),
    })))
}

/// `GET /reports/knowledge?from=&to=`: entries created, updated, published, retired and
/// reactivated in the period.
async fn knowledge_report(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<Period>,
) -> ApiResult<Json<Value>> {
    who.require(
        &[Role::Analyst, Role::Supervisor, Role::Editor, Role::Admin],
        "see knowledge-base reports",
    )?;
    let crate::api::reports::Period {
        from,
        to,
        start,
        end,
    } = crate::api::reports::Period::parse(&state, p.from.as_deref(), p.to.as_deref(), 7)?;
    let counts = state.store.entry_changes_between(start, end).await?;
    let changes: serde_json::Map<String, Value> = jiesu_core::knowledge::EntryChange::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_string(),
                json!(counts.get(c.as_str()).copied().unwrap_or(0)),
            )
        })
        .collect();
    Ok(Json(
        json!({"from": from.to_string(), "to": to.to_string(), "changes": changes}),
    ))
}
