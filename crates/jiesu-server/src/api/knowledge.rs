//! 知识库 `/api/v1/knowledge/...`: entries and their versions, Chinese full-text search, and
//! the missing-answer queue.
//!
//! Editors (and admins) write entries; every signed-in user reads and searches them. A change
//! answers only once it is stored, indexed and pushed to the agents listening on
//! `GET /api/v1/notices`.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiQuery};
use crate::knowledge::Notice;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jiesu_core::Role;
use jiesu_core::knowledge::{
    EntryAction, EntryContent, EntryStatus, KnowledgeError, MissingAnswer, apply, diff,
};
use jiesu_store::StoreError;
use jiesu_store::knowledge::{EntryFilter, MissingFiling, StoredEntry};
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/knowledge/entries", post(create).get(list))
        .route("/knowledge/entries/{id}", get(show).put(update))
        .route("/knowledge/entries/{id}/versions", get(versions))
        .route("/knowledge/entries/{id}/versions/{version}", get(version))
        .route("/knowledge/entries/{id}/diff", get(compare))
        .route("/knowledge/entries/{id}/{action}", post(act))
        .route("/knowledge/search", get(search))
        .route("/knowledge/missing", post(file_missing).get(missing_queue))
        .route("/knowledge/missing/{id}/close", post(close_missing))
}

const EDITORS: &[Role] = &[Role::Editor, Role::Admin];

impl From<KnowledgeError> for AppError {
    fn from(e: KnowledgeError) -> Self {
        match e {
            KnowledgeError::Invalid { field, message } => AppError::Invalid { field, message },
            e @ KnowledgeError::NotAllowed { .. } => AppError::NotAllowed(e.to_string()),
            e @ KnowledgeError::Stale { .. } => AppError::Conflict(e.to_string()),
        }
    }
}

fn not_found(id: &str) -> impl Fn(StoreError) -> AppError + '_ {
    move |e| match e {
        StoreError::NotFound => AppError::NotFound(format!("no entry {id}")),
        other => other.into(),
    }
}

/// Stores the change's result everywhere it must be before the editor hears back: indexed
/// and pushed.
async fn publish_change(state: &AppState, stored: &StoredEntry) -> ApiResult<()> {
    state.knowledge.sync(state.store.as_ref()).await?;
    // Agents hear of entries in force (or withdrawn); drafts stay with the editors.
    if stored.entry.status != EntryStatus::Draft {
        state.knowledge.notify(Notice::entry(&stored.entry));
    }
    Ok(())
}

/// Editors and admins see drafts; everyone else sees entries in force and retired ones.
fn sees_drafts(who: &Principal) -> bool {
    matches!(who.0.role, Role::Editor | Role::Admin)
}

/// The statuses a principal asked for, refused when they include drafts they may not see.
fn visible_statuses(who: &Principal, raw: Option<&str>) -> ApiResult<Vec<EntryStatus>> {
    let asked = statuses(raw)?;
    if !sees_drafts(who) && asked.contains(&EntryStatus::Draft) {
        return Err(AppError::Forbidden(
            "only editors and admins see drafts".into(),
        ));
    }
    Ok(asked)
}

/// The entry, or 404 for a draft the principal may not see.
async fn visible_entry(state: &AppState, who: &Principal, id: &str) -> ApiResult<StoredEntry> {
    let stored = state.store.entry(id).await.map_err(not_found(id))?;
    if stored.entry.status == EntryStatus::Draft && !sees_drafts(who) {
        return Err(AppError::NotFound(format!("no entry {id}")));
    }
    Ok(stored)
}

/// Takes the control fields (`publish`, `expected_version`, `note`) out of a body and reads
/// the rest as the entry's content.
struct EntryBody {
    content: EntryContent,
    publish: bool,
    expected_version: Option<u32>,
    note: Option<String>,
}

fn entry_body(state: &AppState, mut body: Value) -> ApiResult<EntryBody> {
    let Some(map) = body.as_object_mut() else {
        return Err(AppError::invalid("body", "must be a JSON object"));
    };
    let publish = match map.remove("publish") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(AppError::invalid("publish", "must be true or false")),
    };
    let expected_version = match map.remove("expected_version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| AppError::invalid("expected_version", "must be a version number"))?,
        ),
    };
    let note = match map.remove("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(n),
        Some(_) => return Err(AppError::invalid("note", "must be a string")),
    };
    let content: EntryContent = crate::extract::from_value(body)?;
    Ok(EntryBody {
        content: content.validate(state.directory().as_ref())?,
        publish,
        expected_version,
        note,
    })
}

/// `POST /knowledge/entries`: a new entry, a draft unless `publish` is true.
async fn create(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<StoredEntry>)> {
    who.require(EDITORS, "write knowledge-base entries")?;
    let body = entry_body(&state, body)?;
    if body.expected_version.is_some() {
        return Err(AppError::invalid(
            "expected_version",
            "is for changes, not new entries",
        ));
    }
    if body.note.is_some() {
        return Err(AppError::invalid("note", "is for changes, not new entries"));
    }
    let entry = state
        .store
        .create_entry(body.content, body.publish, state.clock.now(), &who.0.name)
        .await?;
    let stored = StoredEntry {
        entry,
        uses: 0,
        seq: 0,
    };
    publish_change(&state, &stored).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    category: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

fn statuses(raw: Option<&str>) -> ApiResult<Vec<EntryStatus>> {
    raw.unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            EntryStatus::parse(s.trim()).ok_or_else(|| {
                AppError::invalid(
                    "status",
                    "must be draft, active or retired (comma-separated)",
                )
            })
        })
        .collect()
}

fn limit(raw: Option<u32>, default: u32, max: u32) -> ApiResult<u32> {
    crate::extract::bounded("limit", raw, default, max)
}

/// `GET /knowledge/entries?status=active&category=01&limit=50&offset=0`.
async fn list(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let mut statuses = visible_statuses(&who, q.status.as_deref())?;
    if statuses.is_empty() && !sees_drafts(&who) {
        statuses = vec![EntryStatus::Active, EntryStatus::Retired];
    }
    let filter = EntryFilter {
        statuses,
        category: q.category.filter(|c| !c.is_empty()),
        limit: limit(q.limit, 50, 1000)?,
        offset: q.offset.unwrap_or(0),
    };
    let (items, total) = state.store.list_entries(&filter).await?;
    Ok(Json(json!({"total": total, "items": items})))
}

async fn show(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<StoredEntry>> {
    Ok(Json(visible_entry(&state, &who, &id).await?))
}

/// Decides and stores one change.
async fn change(
    state: &AppState,
    who: &Principal,
    id: &str,
    action: EntryAction,
    expected_version: Option<u32>,
    note: Option<String>,
) -> ApiResult<Json<StoredEntry>> {
    who.require(EDITORS, "change knowledge-base entries")?;
    let current = state.store.entry(id).await.map_err(not_found(id))?;
    let next = apply(
        &current.entry,
        action,
        expected_version,
        note,
        state.clock.now(),
        &who.0.name,
    )?;
    state.store.save_entry(&next).await?;
    let stored = StoredEntry {
        entry: next,
        uses: current.uses,
        seq: 0,
    };
    publish_change(state, &stored).await?;
    Ok(Json(stored))
}

/// `PUT /knowledge/entries/{id}`: new content (the whole entry), with the version it was
/// edited from as `expected_version`.
async fn update(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<StoredEntry>> {
    who.require(EDITORS, "change knowledge-base entries")?;
    let body = entry_body(&state, body)?;
    if body.publish {
        return Err(AppError::invalid(
            "publish",
            "use POST .../publish to put a draft in force",
        ));
    }
    change(
        &state,
        &who,
        &id,
        EntryAction::Update(body.content),
        body.expected_version,
        body.note,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActBody {
    expected_version: Option<u32>,
    note: Option<String>,
}

/// `POST /knowledge/entries/{id}/publish|retire|reactivate`.
async fn act(
    State(state): State<AppState>,
    who: Principal,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<StoredEntry>> {
    let action = match action.as_str() {
        "publish" => EntryAction::Publish,
        "retire" => EntryAction::Retire,
        "reactivate" => EntryAction::Reactivate,
        other => {
            return Err(AppError::NotFound(format!(
                "no action '{other}' on entries (publish, retire, reactivate)"
            )));
        }
    };
    let body: ActBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActBody::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    change(&state, &who, &id, action, body.expected_version, body.note).await
}

/// `GET /knowledge/entries/{id}/versions`: every version, oldest first, without the texts.
async fn versions(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    visible_entry(&state, &who, &id).await?;
    let versions = state
        .store
        .entry_versions(&id)
        .await
        .map_err(not_found(&id))?;
    let items: Vec<Value> = versions
        .iter()
        .map(|e| {
            json!({
                "version": e.version,
                "change": e.change,
                "status": e.status,
                "title": e.content.title,
                "changed_at": e.changed_at,
                "changed_by": e.changed_by,
                "note": e.note,
            })
        })
        .collect();
    Ok(Json(json!({"id": id, "items": items})))
}

async fn version(
    State(state): State<AppState>,
    who: Principal,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Json<jiesu_core::knowledge::Entry>> {
    visible_entry(&state, &who, &id).await?;
    let v: u32 = version
        .parse()
        .map_err(|_| AppError::invalid("version", "must be a version number"))?;
    let versions = state
        .store
        .entry_versions(&id)
        .await
        .map_err(not_found(&id))?;
    versions
        .into_iter()
        .find(|e| e.version == v)
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("entry {id} has no version {v}")))
}

#[derive(Deserialize)]
struct DiffQuery {
    from: Option<u32>,
    to: Option<u32>,
}

/// `GET /knowledge/entries/{id}/diff?from=1&to=3`: what changed between two versions
/// (by default the last change).
async fn compare(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<Value>> {
    visible_entry(&state, &who, &id).await?;
    let versions = state
        .store
        .entry_versions(&id)
        .await
        .map_err(not_found(&id))?;
    let newest = versions.len() as u32;
    let to = q.to.unwrap_or(newest);
    let from = q.from.unwrap_or(to.saturating_sub(1).max(1));
    let pick = |v: u32, field: &str| {
        versions
            .iter()
            .find(|e| e.version == v)
            .ok_or_else(|| AppError::invalid(field, format!("entry {id} has no version {v}")))
    };
    let (a, b) = (pick(from, "from")?, pick(to, "to")?);
    Ok(Json(json!({
        "id": id,
        "from": from,
        "to": to,
        "changes": diff(a, b),
    })))
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    category: Option<String>,
    region: Option<String>,
    status: Option<String>,
    limit: Option<u32>,
}

/// Searches the index and reads the hits' entries from the database (the truth): a hit whose
/// entry may not be answered today (out of its validity dates) is dropped from an active-only
/// search. Returns `(hit, stored entry)` pairs, best first.
pub async fn find(
    state: &AppState,
    text: &str,
    category: Option<String>,
    region: Option<String>,
    wanted: Vec<EntryStatus>,
    limit: usize,
) -> ApiResult<Vec<(jiesu_search::Hit, StoredEntry)>> {
    let active_only = wanted.is_empty() || wanted == [EntryStatus::Active];
    let query = jiesu_search::SearchQuery {
        text: text.to_string(),
        category,
        region,
        statuses: wanted
            .iter()
            .map(|s| crate::knowledge::status(*s))
            .collect(),
        limit: limit + 5,
    };
    let hits = state
        .knowledge
        .index
        .search(&query)
        .map_err(|e| match e.field() {
            Some("text") => AppError::invalid("q", "must not be empty"),
            Some(field) => AppError::invalid(field, e.to_string()),
            None => AppError::Internal(e.to_string()),
        })?;
    let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
    let mut entries: std::collections::HashMap<String, StoredEntry> = state
        .store
        .entries(&ids)
        .await?
        .into_iter()
        .map(|s| (s.entry.id.clone(), s))
        .collect();
    let today = state.today();
    Ok(hits
        .into_iter()
        .filter_map(|h| {
            let stored = entries.remove(&h.id)?;
            let keep = if active_only {
                stored.entry.is_answerable(today)
            } else {
                wanted.is_empty() || wanted.contains(&stored.entry.status)
            };
            keep.then_some((h, stored))
        })
        .take(limit)
        .collect())
}

/// `GET /knowledge/search?q=医保报销&category=&region=&status=&limit=10`: entries by relevance,
/// with highlighted title and snippet and the answer to read out.
async fn search(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Value>> {
    let wanted = visible_statuses(&who, p.status.as_deref())?;
    let text = p.q.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(AppError::invalid("q", "must not be empty"));
    }
    let limit = limit(p.limit, 10, 100)? as usize;
    let started = std::time::Instant::now();
    let found = find(
        &state,
        &text,
        p.category.filter(|c| !c.is_empty()),
        p.region.filter(|c| !c.is_empty()),
        wanted,
        limit,
    )
    .await?;
    let items: Vec<Value> = found
        .into_iter()
        .map(|(hit, s)| {
            json!({
                "id": s.entry.id,
                "version": s.entry.version,
                "status": s.entry.status,
                "score": hit.score,
                "title": s.entry.content.title,
                "title_html": hit.title,
                "snippet_html": hit.snippet,
                "answer": s.entry.content.answer,
                "category_code": s.entry.content.category_code,
                "region_code": s.entry.content.region_code,
                "uses": s.uses,
            })
        })
        .collect();
    Ok(Json(json!({
        "q": text,
        "took_ms": started.elapsed().as_secs_f64() * 1000.0,
        "items": items,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MissingBody {
    question: String,
    category_code: Option<String>,
    ticket_id: Option<String>,
}

/// `POST /knowledge/missing`: an agent files what the caller asked that nothing answered.
async fn file_missing(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<MissingBody>,
) -> ApiResult<(StatusCode, Json<MissingAnswer>)> {
    who.require(
        &[Role::Agent, Role::Editor, Role::Supervisor, Role::Admin],
        "file missing answers",
    )?;
    let question = body.question.trim();
    if question.is_empty() {
        return Err(AppError::invalid("question", "must not be empty"));
    }
    if question.chars().count() > jiesu_core::ticket::MAX_CONTENT {
        return Err(AppError::invalid("question", "is too long"));
    }
    if let Some(code) = &body.category_code
        && jiesu_core::Directory::catalog(state.directory().as_ref(), code).is_none()
    {
        return Err(AppError::invalid(
            "category_code",
            format!("no category {code}"),
        ));
    }
    if let Some(ticket) = &body.ticket_id {
        match state.store.ticket(ticket).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(AppError::invalid(
                    "ticket_id",
                    format!("no ticket '{ticket}'"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let item = state
        .store
        .file_missing(MissingFiling {
            question: question.to_string(),
            category_code: body.category_code,
            agent: who.0.name.clone(),
            ticket_id: body.ticket_id,
            at: state.clock.now(),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

#[derive(Deserialize)]
struct QueueQuery {
    status: Option<String>,
    limit: Option<u32>,
}

/// `GET /knowledge/missing?status=open|all`: the queue, most asked first.
async fn missing_queue(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Value>> {
    who.require(
        &[Role::Editor, Role::Supervisor, Role::Analyst, Role::Admin],
        "see the missing-answer queue",
    )?;
    let open_only = match q.status.as_deref() {
        None | Some("") | Some("open") => true,
        Some("all") => false,
        Some(_) => return Err(AppError::invalid("status", "must be open or all")),
    };
    let items = state
        .store
        .missing_answers(open_only, limit(q.limit, 100, 1000)?)
        .await?;
    Ok(Json(json!({"items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    entry_id: String,
}

/// `POST /knowledge/missing/{id}/close {entry_id}`: the entry written for it.
async fn close_missing(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CloseBody>,
) -> ApiResult<Json<MissingAnswer>> {
    who.require(EDITORS, "close missing answers")?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound(format!("no missing answer {id}")))?;
    match state.store.entry(&body.entry_id).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => {
            return Err(AppError::invalid(
                "entry_id",
                format!("no entry {}", body.entry_id),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    match state
        .store
        .close_missing(id, &body.entry_id, &who.0.name, state.clock.now())
        .await
    {
        Err(StoreError::NotFound) => Err(AppError::NotFound(format!("no missing answer {id}"))),
        other => Ok(Json(other?)),
    }
}
