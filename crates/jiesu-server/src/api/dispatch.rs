//! 派单 dispatch: the rules as data, their explanation, automatic dispatch, the dispatcher's
//! queue, the review of returned tickets (派单异议审核) and the return report.
//!
//! - `GET /dispatch/rules` (`?version=N` for an old one), `PUT /dispatch/rules` (admins; each
//!   change is a new version with who, when and why), `GET /dispatch/rules/versions` (the audit:
//!   every version with the rules it added, removed and changed);
//! - `POST /dispatch/explain`: which unit a ticket (or a text) goes to, which rule fired, and
//!   why every other rule covering its category did not;
//! - `GET /dispatch/queue`: received tickets waiting for a dispatcher, with the rules' proposal;
//! - `GET /dispatch/returns`: returned tickets waiting for review, with the unit's reason and
//!   the rules' proposal for a re-dispatch to another unit;
//! - `GET /reports/returns?from=&to=`: dispatches, returns, upheld returns per unit and per rule.
//!
//! **Automatic dispatch.** A ticket is dispatched on creation, without a human, when its
//! category is a leaf whose leaf rule has `auto_dispatch` on and its routing is *confident*: a
//! rule applied and no rule tried before it was undecided (no scene in the text or several, the
//! street unknown where a responsibility list or the street office needs it). Every other ticket
//! waits in the dispatcher's queue with the proposal filled in.
//!
//! A dispatch through `POST /tickets/{id}/dispatch` or an upheld review records the rule set
//! version and, when the dispatcher followed the proposal, the rule; an upheld review without
//! `redispatch_to` takes the rules' proposal with the units that returned the ticket passed
//! over. 首接负责: the unit that first received a ticket may not return it when the ticket is in
//! that unit's own responsibility list.

use crate::AppState;
use crate::api::tickets::{TicketView, view};
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiQuery, parse_json};
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use jiesu_assist::scene::{SceneReading, Scenes};
use jiesu_core::dispatch::{
    Facts, ReturnRow, RoutedBy, Routing, RuleSet, Scene, return_report, route,
};
use jiesu_core::ticket::ReviewDecision;
use jiesu_core::{Actor, Command, Directory, Event, EventRecord, Role, Status, Ticket, execute};
use jiesu_store::{DynStore, RuleSetVersion, StoreError, TicketFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dispatch/rules", get(rules).put(replace_rules))
        .route("/dispatch/rules/versions", get(versions))
        .route("/dispatch/explain", post(explain))
        .route("/dispatch/queue", get(queue))
        .route("/dispatch/returns", get(returns))
        .route("/reports/returns", get(report))
}

/// Who reads the dispatcher's queues.
const DISPATCHERS: &[Role] = &[Role::Dispatcher, Role::Supervisor];
/// Who asks for an explanation.
const EXPLAINERS: &[Role] = &[Role::Agent, Role::Dispatcher, Role::Supervisor];
/// The actor of automatic dispatches.
const AUTO: &str = "auto-dispatch";

/// The dispatch rules in force and the scene reader.
pub struct Rules {
    current: RwLock<Arc<RuleSet>>,
    scenes: Scenes,
}

impl Rules {
    /// The newest saved rules, or the defaults saved as version 1 on first start.
    pub async fn load(store: &DynStore) -> Result<Rules, AppError> {
        let newest = store.dispatch_rule_versions().await?.pop();
        let rules = match newest {
            Some(v) => v.rules,
            None => {
                let defaults = RuleSet::defaults();
                store
                    .save_dispatch_rules(&defaults, "system", Some("defaults"))
                    .await?;
                defaults
            }
        };
        Ok(Rules {
            current: RwLock::new(Arc::new(rules)),
            scenes: Scenes::new(),
        })
    }

    /// The rules in force now.
    pub fn current(&self) -> Arc<RuleSet> {
        match self.current.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, rules: RuleSet) {
        match self.current.write() {
            Ok(mut r) => *r = Arc::new(rules),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(rules),
        }
    }

    /// The scene a text describes.
    pub fn scene(&self, text: &str) -> SceneReading {
        self.scenes.read(text)
    }
}

/// What routing looks at for a ticket, with the scene read from its words.
fn ticket_facts(state: &AppState, t: &Ticket) -> (Facts, SceneReading) {
    let text = format!(
        "{} {} {}",
        t.intake.title.as_deref().unwrap_or_default(),
        t.intake.content,
        t.intake.address.as_deref().unwrap_or_default()
    );
    let scene = state.dispatch.scene(&text);
    let facts = Facts {
        category: t.intake.category_code.clone(),
        street: t.intake.street_code.clone(),
        district: t.intake.district_code.clone(),
        scenes: scene.scenes(),
        exclude: Vec::new(),
    };
    (facts, scene)
}

fn route_ticket(state: &AppState, t: &Ticket, exclude: Vec<String>) -> (Routing, SceneReading) {
    let (mut facts, scene) = ticket_facts(state, t);
    facts.exclude = exclude;
    let rules = state.dispatch.current();
    (route(&rules, &facts, state.directory().as_ref()), scene)
}

/// Fills the assistant's proposal with the scene and the unit the rules give for the ticket
/// being recorded.
pub fn complete_proposal(state: &AppState, proposal: &mut jiesu_core::Proposal, text: &str) {
    let scene = state.dispatch.scene(text);
    proposal.scene = scene.value;
    proposal.reasons.extend(scene.reasons());
    let facts = Facts {
        category: proposal.category_code.clone(),
        street: proposal.street_code.clone(),
        district: proposal.district_code.clone(),
        scenes: scene.scenes(),
        exclude: Vec::new(),
    };
    let routing = route(
        &state.dispatch.current(),
        &facts,
        state.directory().as_ref(),
    );
    proposal.unit = routing.lead_unit;
}

/// 自动派单: dispatches a just-created ticket when its leaf is switched on and its routing is
/// confident (see the module documentation). Returns the ticket as it is afterwards.
pub async fn auto_dispatch(state: &AppState, ticket: Ticket) -> ApiResult<Ticket> {
    if ticket.status != Status::Received {
        return Ok(ticket);
    }
    let (routing, _) = route_ticket(state, &ticket, Vec::new());
    let dir = state.directory();
    let is_leaf = ticket
        .intake
        .category_code
        .as_deref()
        .and_then(|c| dir.catalog(c))
        .is_some_and(|c| c.default_unit.is_some());
    let Some(lead) = routing.lead_unit.clone() else {
        return Ok(ticket);
    };
    if !(is_leaf && routing.auto_dispatch && routing.confident) {
        return Ok(ticket);
    }
    let command = Command::Dispatch {
        lead_unit: lead.clone(),
        assisting_units: routing.assisting_units.clone(),
        note: Some(format!(
            "自动派单 (rule {}, rules v{})",
            routing.rule.as_deref().unwrap_or_default(),
            routing.rules_version
        )),
        routing: Some(RoutedBy::of(&routing, &lead, true)),
    };
    let actor = Actor::new(AUTO, Role::Dispatcher);
    let (records, next) = execute(
        Some(&ticket),
        &command,
        &actor,
        state.clock.now(),
        dir.as_ref(),
    )?;
    match state.store.append(ticket.version, &records, &next).await {
        Ok(()) => {
            tracing::info!(ticket = %next.number, unit = %lead, "dispatched automatically");
            Ok(next)
        }
        // Someone acted on it first: theirs stands.
        Err(StoreError::Conflict(_)) => Ok(state.store.ticket(&ticket.id.0).await?),
        Err(e) => Err(e.into()),
    }
}

/// The units that returned this ticket (from its events).
async fn returned_by(state: &AppState, t: &Ticket) -> ApiResult<Vec<String>> {
    let events = state.store.events(&t.id).await?;
    Ok(returners(&events))
}

fn returners(events: &[EventRecord]) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    for r in events {
        if let Event::Returned { unit, .. } = &r.event
            && !units.contains(unit)
        {
            units.push(unit.clone());
        }
    }
    units
}

/// What the rules add to a ticket action: a dispatch records the rules' version and rule; an
/// upheld review without `redispatch_to` takes the rules' proposal, passing over the units
/// that returned the ticket; a return by the first receiver of a ticket in its own
/// responsibility list is refused (首接负责).
pub async fn routed(state: &AppState, ticket: &Ticket, command: Command) -> ApiResult<Command> {
    match command {
        Command::Dispatch {
            lead_unit,
            assisting_units,
            note,
            ..
        } => {
            let (routing, _) = route_ticket(state, ticket, Vec::new());
            Ok(Command::Dispatch {
                routing: Some(RoutedBy::of(&routing, &lead_unit, false)),
                lead_unit,
                assisting_units,
                note,
            })
        }
        Command::Review {
            decision: ReviewDecision::Uphold,
            redispatch_to,
            assisting_units,
            note,
            flag_rule,
            ..
        } => {
            let (routing, _) = route_ticket(state, ticket, returned_by(state, ticket).await?);
            let (to, assisting_units) = match redispatch_to {
                Some(to) => (to, assisting_units),
                None => match &routing.lead_unit {
                    Some(u) if assisting_units.is_empty() => {
                        (u.clone(), routing.assisting_units.clone())
                    }
                    Some(u) => (u.clone(), assisting_units),
                    None => {
                        return Err(AppError::invalid(
                            "redispatch_to",
                            "the rules propose no unit other than the ones that returned it: name one",
                        ));
                    }
                },
            };
            Ok(Command::Review {
                decision: ReviewDecision::Uphold,
                routing: Some(RoutedBy::of(&routing, &to, false)),
                redispatch_to: Some(to),
                assisting_units,
                note,
                flag_rule,
            })
        }
        Command::Return { reason } => {
            let rules = state.dispatch.current();
            let (facts, _) = ticket_facts(state, ticket);
            if let Some(unit) = ticket.lead_unit.as_deref()
                && let Some(entry) = rules.first_receiver_entry(unit, &facts)
                && first_receiver(state, ticket).await?.as_deref() == Some(unit)
            {
                return Err(AppError::NotAllowed(format!(
                    "a ticket that is {} does not accept 'return' from {unit}: 首接负责, it \
                     received the ticket first and its category is in {unit}'s responsibility \
                     list (entry '{}', rules v{})",
                    ticket.status, entry.id, rules.version
                )));
            }
            Ok(Command::Return { reason })
        }
        other => Ok(other),
    }
}

async fn first_receiver(state: &AppState, t: &Ticket) -> ApiResult<Option<String>> {
    let events = state.store.events(&t.id).await?;
    Ok(events.iter().find_map(|r| match &r.event {
        Event::Dispatched { lead_unit, .. } => Some(lead_unit.clone()),
        _ => None,
    }))
}

#[derive(Deserialize)]
struct VersionQuery {
    version: Option<u32>,
}

async fn rules(
    State(state): State<AppState>,
    _who: Principal,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> ApiResult<Json<RuleSet>> {
    let current = state.dispatch.current();
    match q.version {
        None => Ok(Json(current.as_ref().clone())),
        Some(v) if v == current.version => Ok(Json(current.as_ref().clone())),
        Some(v) => state
            .store
            .dispatch_rule_versions()
            .await?
            .into_iter()
            .find(|s| s.rules.version == v)
            .map(|s| Json(s.rules))
            .ok_or_else(|| AppError::NotFound(format!("no dispatch rules version {v}"))),
    }
}

/// A rule set as an admin sends it: the version is given by the server.
#[derive(Deserialize)]
struct NewRules {
    // Required, so that a forgotten list is a 422 rather than every such rule gone.
    leaves: Vec<jiesu_core::dispatch::LeafRule>,
    scenes: Vec<jiesu_core::dispatch::SceneRule>,
    responsibilities: Vec<jiesu_core::dispatch::Responsibility>,
    #[serde(default = "yes")]
    first_receiver_responsibility: bool,
    #[serde(default)]
    note: Option<String>,
}

fn yes() -> bool {
    true
}

async fn replace_rules(
    State(state): State<AppState>,
    who: Principal,
    body: Bytes,
) -> ApiResult<Json<RuleSet>> {
    who.require(&[Role::Admin], "edit the dispatch rules")?;
    let body: NewRules = parse_json(&body)?;
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > jiesu_core::ticket::MAX_SHORT) {
        return Err(AppError::invalid("note", "is longer than 200 characters"));
    }
    let _one_at_a_time = state.edits.lock().await;
    let rules = RuleSet {
        version: state.dispatch.current().version + 1,
        leaves: body.leaves,
        scenes: body.scenes,
        responsibilities: body.responsibilities,
        first_receiver_responsibility: body.first_receiver_responsibility,
    };
    rules
        .validate(state.directory().as_ref())
        .map_err(|e| AppError::invalid(e.field, e.message))?;
    state
        .store
        .save_dispatch_rules(&rules, &who.0.name, note)
        .await?;
    state.dispatch.set(rules.clone());
    tracing::info!(version = rules.version, by = %who.0.name, "dispatch rules changed");
    Ok(Json(rules))
}

/// The identifiers of a rule set's rules with their JSON, to tell versions apart.
fn rule_map(r: &RuleSet) -> std::collections::BTreeMap<String, Value> {
    let mut m = std::collections::BTreeMap::new();
    for l in &r.leaves {
        m.insert(format!("leaf:{}", l.category), json!(l));
    }
    for s in &r.scenes {
        m.insert(s.id.clone(), json!(s));
    }
    for x in &r.responsibilities {
        m.insert(x.id.clone(), json!(x));
    }
    m.insert(
        "first_receiver_responsibility".into(),
        json!(r.first_receiver_responsibility),
    );
    m
}

#[derive(Serialize)]
struct VersionView {
    version: u32,
    created_at: DateTime<Utc>,
    created_by: String,
    note: Option<String>,
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
}

async fn versions(State(state): State<AppState>, _who: Principal) -> ApiResult<Json<Value>> {
    let all: Vec<RuleSetVersion> = state.store.dispatch_rule_versions().await?;
    let mut before = std::collections::BTreeMap::new();
    let mut out = Vec::with_capacity(all.len());
    for v in all {
        let now = rule_map(&v.rules);
        let keys: BTreeSet<&String> = before.keys().chain(now.keys()).collect();
        let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
        for k in keys {
            match (before.get(k), now.get(k)) {
                (None, Some(_)) => added.push(k.clone()),
                (Some(_), None) => removed.push(k.clone()),
                (Some(a), Some(b)) if a != b => changed.push(k.clone()),
                _ => {}
            }
        }
        out.push(VersionView {
            version: v.rules.version,
            created_at: v.created_at,
            created_by: v.created_by,
            note: v.note,
            added,
            removed,
            changed,
        });
        before = now;
    }
    out.reverse();
    Ok(Json(json!({ "items": out })))
}

#[derive(Deserialize)]
struct ExplainBody {
    ticket: Option<String>,
    text: Option<String>,
    category_code: Option<String>,
    street_code: Option<String>,
    district_code: Option<String>,
    scene: Option<Scene>,
}

async fn explain(
    State(state): State<AppState>,
    who: Principal,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    who.require(EXPLAINERS, "ask why a ticket goes to a unit")?;
    let body: ExplainBody = parse_json(&body)?;
    let dir = state.directory();
    let (mut facts, mut scene) = match (&body.ticket, &body.text) {
        (Some(id), _) => {
            let t = match state.store.ticket(id).await {
                Ok(t) => t,
                Err(StoreError::NotFound) => {
                    return Err(AppError::invalid("ticket", format!("no ticket '{id}'")));
                }
                Err(e) => return Err(e.into()),
            };
            let (mut facts, scene) = ticket_facts(&state, &t);
            if t.status == Status::Returned {
                facts.exclude = returned_by(&state, &t).await?;
            }
            (facts, scene)
        }
        (None, Some(text)) => {
            let text = text.trim();
            if text.is_empty() || text.chars().count() > jiesu_core::ticket::MAX_CONTENT {
                return Err(AppError::invalid(
                    "text",
                    "must be 1 to 10000 characters, not blank",
                ));
            }
            let place = state.assistant.propose(text);
            let scene = state.dispatch.scene(text);
            let facts = Facts {
                category: place.category_code,
                street: place.street_code,
                district: place.district_code,
                scenes: scene.scenes(),
                exclude: Vec::new(),
            };
            (facts, scene)
        }
        (None, None) => {
            return Err(AppError::invalid(
                "ticket",
                "give a ticket (id or number) or a text",
            ));
        }
    };
    // What the caller states wins over what was read.
    if let Some(c) = body.category_code {
        if dir.catalog(&c).is_none() {
            return Err(AppError::invalid(
                "category_code",
                format!("unknown catalog code '{c}'"),
            ));
        }
        facts.category = Some(c);
    }
    if let Some(s) = body.street_code {
        let street = dir
            .division(&s)
            .filter(|d| d.level == jiesu_core::DivisionLevel::Street)
            .ok_or_else(|| AppError::invalid("street_code", format!("unknown street '{s}'")))?;
        facts.district = street.parent_code.clone();
        facts.street = Some(s);
    }
    if let Some(d) = body.district_code {
        dir.division(&d)
            .filter(|x| x.level == jiesu_core::DivisionLevel::District)
            .ok_or_else(|| AppError::invalid("district_code", format!("unknown district '{d}'")))?;
        if facts.district.as_deref() != Some(d.as_str()) {
            facts.street = None;
        }
        facts.district = Some(d);
    }
    if let Some(s) = body.scene {
        facts.scenes = vec![s];
        scene.value = Some(s);
    }
    let routing = route(&state.dispatch.current(), &facts, dir.as_ref());
    let unit_name = routing
        .lead_unit
        .as_deref()
        .and_then(|u| dir.unit(u))
        .map(|u| u.name.clone());
    Ok(Json(json!({
        "facts": facts,
        "scene": scene,
        "lead_unit_name": unit_name,
        "routing": routing,
    })))
}

#[derive(Deserialize)]
struct QueueQuery {
    limit: Option<u32>,
}

fn limit(q: &QueueQuery) -> ApiResult<u32> {
    crate::extract::bounded("limit", q.limit, 50, 200)
}

async fn waiting(state: &AppState, status: Status, limit: u32) -> ApiResult<Vec<Ticket>> {
    Ok(state
        .store
        .list_tickets(&TicketFilter {
            status: Some(status),
            limit,
            ..TicketFilter::default()
        })
        .await?
        .items)
}

#[derive(Serialize)]
struct QueueItem {
    ticket: TicketView,
    scene: SceneReading,
    routing: Routing,
    /// 一件多诉: the best merge proposal and the master to merge into, or null.
    duplicate: Option<Value>,
}

async fn queue(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Value>> {
    who.require(DISPATCHERS, "read the dispatch queue")?;
    let tickets = waiting(&state, Status::Received, limit(&q)?).await?;
    // 一件多诉: the best merge proposal beside the routing proposal.
    let found = state.merges.find(&state, &tickets).await?;
    let items: Vec<QueueItem> = tickets
        .into_iter()
        .zip(found.into_iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(t, f)| {
            let (routing, scene) = route_ticket(&state, &t, Vec::new());
            let duplicate = f.and_then(|f| {
                let best = f.proposals.into_iter().next()?;
                Some(json!({ "best": best, "master": f.master }))
            });
            QueueItem {
                ticket: view(t, &who),
                scene,
                routing,
                duplicate,
            }
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Serialize)]
struct ReturnItem {
    ticket: TicketView,
    returned_by: String,
    reason: String,
    returned_at: DateTime<Utc>,
    routed_by: Option<RoutedBy>,
    redispatch: Routing,
}

async fn returns(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Value>> {
    who.require(DISPATCHERS, "read the returned tickets")?;
    let tickets = waiting(&state, Status::Returned, limit(&q)?).await?;
    let logs = state
        .store
        .logs(&tickets.iter().map(|t| t.id.clone()).collect::<Vec<_>>())
        .await?;
    let mut items = Vec::with_capacity(tickets.len());
    for (t, log) in tickets.into_iter().zip(logs) {
        let Some((unit, reason, at)) = log.iter().rev().find_map(|r| match &r.event {
            Event::Returned { unit, reason } => Some((unit.clone(), reason.clone(), r.at)),
            _ => None,
        }) else {
            continue;
        };
        let (redispatch, _) = route_ticket(&state, &t, returners(&log));
        items.push(ReturnItem {
            routed_by: t.routed_by.clone(),
            ticket: view(t, &who),
            returned_by: unit,
            reason,
            returned_at: at,
            redispatch,
        });
    }
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct NamedReturnRow {
    name: Option<String>,
    #[serde(flatten)]
    row: ReturnRow,
}

async fn report(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Value>> {
    who.require(
        &[Role::Analyst, Role::Supervisor, Role::Dispatcher],
        "read reports",
    )?;
    let period =
        crate::api::reports::Period::parse(&state, q.from.as_deref(), q.to.as_deref(), 30)?;
    let (from, to, start, end) = (period.from, period.to, period.start, period.end);
    let ids = state.store.tickets_active_between(start, end).await?;
    let logs = state.store.logs(&ids).await?;
    let r = return_report(&logs, start, end);
    let dir = state.directory();
    let units: Vec<NamedReturnRow> = r
        .by_unit
        .into_iter()
        .map(|row| NamedReturnRow {
            name: dir.unit(&row.key).map(|u| u.name.clone()),
            row,
        })
        .collect();
    Ok(Json(json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "by_unit": units,
        "by_rule": r.by_rule,
    })))
}
