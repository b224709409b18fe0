//! The OpenAPI document (`src/api/openapi.json`) checked against the code.
//!
//! The document is written by hand; these tests keep it honest. It is OpenAPI 3.1 and every
//! `$ref` resolves; every documented operation is routed, with the documented security, and
//! answers only documented statuses; every route and ticket action the code has is documented,
//! with the roles and statuses the core allows, and the documented roles are the ones the server
//! lets through; the wire enums and event details are the core's; and the request examples are
//! accepted by the real server, whose answers have the documented shape: the ticket walk, the
//! time limits (policies, calendar, the scanner's warnings and the overdue queue), the callback
//! list and the rates report in its three formats.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use common::next_event;
use http_body_util::BodyExt;
use jiesu_core::ivr::{CallOutcome, Choice, Menu, PhoneNumber};
use jiesu_core::knowledge::{
    Entry, EntryChange, EntryContent, EntryStatus, MissingAnswer, Source, diff,
};
use jiesu_core::rates::{Counts, GroupBy, Weights};
use jiesu_core::ticket::{CommandKind, TRANSITIONS};
use jiesu_core::timelimit::{Deadlines, Limit, PolicySet, Timeliness};
use jiesu_core::{
    Actor, Caller, Channel, Event, EventRecord, Intake, ReplyOutcome, ReviewDecision, Role,
    Satisfaction, Span, Status, TicketId, Urgency,
};
use jiesu_server::api::openapi::DOCUMENT;
use jiesu_server::auth::hash_password;
use jiesu_server::jobs::scan_once;
use jiesu_server::{AppState, Clock, ManualClock, SystemClock, app};
use jiesu_store::knowledge::StoredEntry;
use jiesu_store::{DynStore, Reference, SqliteStore, Store, User};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The media type of the Excel workbook of the rates report.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is valid JSON")
}

/// What a local `$ref` (`#/components/...`) points to.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// `v`, or what it points to when it is a `$ref`.
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, r).unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => v,
    }
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc.pointer(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("no schema {name}"))
}

fn collect_refs(v: &Value, at: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push((at.to_string(), v.clone()));
                } else {
                    collect_refs(v, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every documented operation: path, method and the operation object.
fn operations(doc: &Value) -> Vec<(String, Method, Value)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut out = Vec::new();
    for (path, item) in paths {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                // Signing out would end the token the other calls use: see `sign_out_ends_the_token`.
                if op["operationId"] == "signOut" {
                    continue;
                }
                let method = Method::from_bytes(m.to_uppercase().as_bytes()).expect("method");
                out.push((path.clone(), method, op.clone()));
            }
        }
    }
    out
}

/// Whether the operation can be called without signing in.
fn is_public(doc: &Value, op: &Value) -> bool {
    let security = op.get("security").or_else(|| doc.get("security"));
    match security.and_then(Value::as_array) {
        None => true,
        Some(reqs) => {
            reqs.is_empty()
                || reqs
                    .iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        }
    }
}

fn enum_of(doc: &Value, name: &str) -> BTreeSet<String> {
    schema(doc, name)["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("schema {name} has no enum"))
        .iter()
        .map(|v| v.as_str().expect("string enum").to_string())
        .collect()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v} is not an array"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("{v} is not an object"))
        .keys()
        .cloned()
        .collect()
}

/// `value` has every required property of `schema` and no undocumented one.
fn check_shape(schema: &Value, value: &Value, what: &str) {
    let documented = keys(&schema["properties"]);
    let required = schema.get("required").map(strings).unwrap_or_default();
    let present = keys(value);
    let missing: Vec<_> = required.difference(&present).collect();
    let undocumented: Vec<_> = present.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "{what}: required {missing:?} missing in {value}"
    );
    assert!(
        undocumented.is_empty(),
        "{what}: {undocumented:?} not documented"
    );
}

/// A ticket as answered has the documented shape and enum values.
fn check_ticket(doc: &Value, ticket: &Value) {
    check_shape(schema(doc, "Ticket"), ticket, "Ticket");
    check_shape(schema(doc, "Caller"), &ticket["caller"], "Ticket.caller");
    let status = ticket["status"].as_str().expect("status");
    assert!(enum_of(doc, "Status").contains(status), "status {status}");
    let actions = strings(&ticket["allowed_actions"]);
    assert!(actions.is_subset(&enum_of(doc, "Action")), "{actions:?}");
    for (field, name) in [
        ("acknowledge_timeliness", "Timeliness"),
        ("handle_timeliness", "Timeliness"),
    ] {
        let value = ticket[field].as_str().expect("timeliness");
        assert!(enum_of(doc, name).contains(value), "{field} {value}");
    }
    if !ticket["deadlines"].is_null() {
        check_deadlines(doc, &ticket["deadlines"], "Ticket.deadlines");
    }
}

/// Deadlines have the documented shape, their handle span too.
fn check_deadlines(doc: &Value, deadlines: &Value, what: &str) {
    check_shape(schema(doc, "Deadlines"), deadlines, what);
    check_shape(
        schema(doc, "Span"),
        &deadlines["handle"],
        &format!("{what}.handle"),
    );
    let unit = deadlines["handle"]["unit"].as_str().expect("unit");
    assert!(
        enum_of(doc, "SpanUnit").contains(unit),
        "{what}: unit {unit}"
    );
}

/// A ticket's events have the documented shape: common fields, actor, and per-kind details.
fn check_events(doc: &Value, events: &Value) {
    let record = schema(doc, "EventRecord");
    let variants: Vec<&Value> = record["oneOf"]
        .as_array()
        .expect("EventRecord.oneOf")
        .iter()
        .map(|v| deref(doc, v))
        .collect();
    let events = events.as_array().expect("events is an array");
    assert!(!events.is_empty());
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["seq"], json!(i + 1), "events come oldest first");
        check_shape(record, event, "EventRecord");
        check_shape(schema(doc, "Actor"), &event["actor"], "EventRecord.actor");
        let kind = event["kind"].as_str().expect("kind");
        assert!(enum_of(doc, "EventKind").contains(kind), "kind {kind}");
        let variant = variants
            .iter()
            .find(|v| v["properties"]["kind"]["const"] == kind)
            .unwrap_or_else(|| panic!("no EventRecord variant for {kind}"));
        let details = &variant["properties"]["details"];
        check_shape(details, &event["details"], &format!("{kind} details"));
        if kind == "received" {
            let intake = &event["details"]["intake"];
            check_shape(schema(doc, "StoredIntake"), intake, "received intake");
        }
        if let Some(deadlines) = event["details"].get("deadlines") {
            check_deadlines(doc, deadlines, &format!("{kind} deadlines"));
        }
        if let Some(limit) = event["details"].get("limit") {
            let limit = limit.as_str().expect("limit");
            assert!(
                enum_of(doc, "Limit").contains(limit),
                "{kind}: limit {limit}"
            );
        }
    }
}

/// A policy set as answered has the documented shape; its rules carry every field.
fn check_policy_set(doc: &Value, set: &Value) {
    check_shape(schema(doc, "PolicySet"), set, "PolicySet");
    check_shape(
        schema(doc, "CallbackRules"),
        &set["callback"],
        "PolicySet.callback",
    );
    for (i, p) in set["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .enumerate()
    {
        let what = format!("policies[{i}]");
        check_shape(schema(doc, "Policy"), p, &what);
        // Answers carry every field of a rule, null when absent.
        assert_eq!(
            keys(p),
            keys(&schema(doc, "Policy")["properties"]),
            "{what}"
        );
        check_shape(schema(doc, "Span"), &p["acknowledge"], &what);
        check_shape(schema(doc, "Span"), &p["handle"], &what);
    }
}

/// A calendar year as answered has the documented shape, its days `[date, name]` pairs.
fn check_calendar_year(doc: &Value, year: &Value) {
    check_shape(schema(doc, "CalendarYear"), year, "CalendarYear");
    if !year["schedule"].is_null() {
        let schedule = &year["schedule"];
        check_shape(
            schema(doc, "YearSchedule"),
            schedule,
            "CalendarYear.schedule",
        );
        for list in ["holidays", "makeup_workdays"] {
            for day in schedule[list].as_array().expect("days") {
                let pair = day.as_array().expect("a [date, name] pair");
                assert_eq!(pair.len(), 2, "{day}");
                assert!(pair.iter().all(Value::is_string), "{day}");
            }
        }
    }
}

/// A rates report as answered has the documented shape and enum values.
fn check_rates_table(doc: &Value, table: &Value) {
    check_shape(schema(doc, "RatesTable"), table, "RatesTable");
    check_shape(
        schema(doc, "Weights"),
        &table["weights"],
        "RatesTable.weights",
    );
    let by = table["by"].as_str().expect("by");
    assert!(enum_of(doc, "GroupBy").contains(by), "by {by}");
    for row in table["rows"].as_array().expect("rows") {
        check_shape(schema(doc, "RateRow"), row, "RateRow");
    }
}

/// A knowledge-base entry as answered has the documented shape and enum values.
fn check_entry(doc: &Value, entry: &Value) {
    check_shape(schema(doc, "Entry"), entry, "Entry");
    for (field, name) in [
        ("status", "EntryStatus"),
        ("change", "EntryChange"),
        ("source", "Source"),
    ] {
        let value = entry[field].as_str().expect(field);
        assert!(enum_of(doc, name).contains(value), "Entry.{field} {value}");
    }
}

/// An IVR step as answered has the documented shape and action.
fn check_step(doc: &Value, step: &Value) {
    check_shape(schema(doc, "IvrStep"), step, "IvrStep");
    let action = step["action"].as_str().expect("action");
    assert!(enum_of(doc, "IvrAction").contains(action), "{action}");
}

/// The documented street-light entry, written through the API by an admin: the entry the
/// examples cite (`KB000001` on a fresh database).
async fn create_street_light_entry(t: &TestApp, doc: &Value) -> Value {
    let body = example(doc, "/api/v1/knowledge/entries", "street_light");
    let created = send(
        &t.app,
        Method::POST,
        "/api/v1/knowledge/entries",
        Some(&t.token),
        Some(&body),
        &[],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    check_entry(doc, &created.body);
    let cited = example(doc, "/api/v1/tickets/{id}/answer", "street_light");
    assert_eq!(
        created.body["id"], cited["entry_id"],
        "the answer example cites it"
    );
    assert_eq!(created.body["status"], "active");
    created.body
}

/// The named example of a POST operation's request body.
fn example(doc: &Value, path: &str, name: &str) -> Value {
    example_of(doc, "post", path, name)
}

/// The named example of an operation's request body.
fn example_of(doc: &Value, method: &str, path: &str, name: &str) -> Value {
    let op = &doc["paths"][path][method];
    let body = deref(doc, &op["requestBody"]);
    body["content"]["application/json"]["examples"][name]["value"]
        .as_object()
        .map(|o| Value::Object(o.clone()))
        .unwrap_or_else(|| panic!("{method} {path}: no request example '{name}'"))
}

/// The named example of an operation's JSON answer with this status.
fn response_example(doc: &Value, method: &str, path: &str, status: &str, name: &str) -> Value {
    let response = deref(doc, &doc["paths"][path][method]["responses"][status]);
    let content = &response["content"]["application/json"];
    let found = match name {
        "" => content.get("example"),
        _ => content.pointer(&format!("/examples/{name}/value")),
    };
    found
        .cloned()
        .unwrap_or_else(|| panic!("{method} {path} {status}: no example '{name}'"))
}

/// The media types an operation documents for a status.
fn media_types(doc: &Value, op: &Value, status: &str) -> BTreeSet<String> {
    let response = deref(doc, &op["responses"][status]);
    match response.get("content").and_then(Value::as_object) {
        Some(c) => c.keys().cloned().collect(),
        // A response documented without content has none (204).
        None => BTreeSet::from([String::new()]),
    }
}

/// The media type of an answer, without its parameters.
fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Every query parameter of `uri` is documented on its operation.
fn check_query(doc: &Value, method: &str, uri: &str) {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let segments: Vec<&str> = path.split('/').collect();
    let template = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .find(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p == s || p.starts_with('{'))
        })
        .unwrap_or_else(|| panic!("{uri}: no documented path"));
    let op = &doc["paths"][template][method];
    let documented: BTreeSet<&str> = op["parameters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| deref(doc, p))
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str())
        .collect();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let name = pair.split('=').next().unwrap_or_default();
        assert!(
            documented.contains(name),
            "{method} {uri}: '{name}' not documented"
        );
    }
}

/// `uri` with the operation's required query parameters set to their documented examples.
fn with_required_query(doc: &Value, op: &Value, uri: &str) -> String {
    let pairs: Vec<String> = op["parameters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| deref(doc, p))
        .filter(|p| p["in"] == "query" && p["required"] == true)
        .map(|p| {
            let name = p["name"].as_str().expect("name");
            let example = match &p["example"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let value: String = form_urlencoded::byte_serialize(example.as_bytes()).collect();
            format!("{name}={value}")
        })
        .collect();
    match pairs.is_empty() {
        true => uri.to_string(),
        false => format!("{uri}?{}", pairs.join("&")),
    }
}

/// A concrete URI for a documented path.
fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{year}", "2027")
        .replace("{version}", "1")
}

/// The wire name of a serialized enum value.
fn wire<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .expect("serializes")
        .as_str()
        .expect("a string")
        .to_string()
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .expect("request");
    let response = app.clone().oneshot(req).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    // An event stream stays open: only its status and headers are read.
    if content_type(&headers) == "text/event-stream" {
        return Answer {
            status,
            headers,
            body: Value::Null,
        };
    }
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer {
        status,
        headers,
        body,
    }
}

struct TestApp {
    app: Router,
    state: AppState,
    store: DynStore,
    token: String,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Creates a user with this role (of unit `cgw` for a unit user) and signs it in.
    async fn sign_in_as(&self, name: &str, role: Role) -> String {
        let unit = (role == Role::Unit).then(|| "cgw".to_string());
        self.store
            .create_user(&User {
                name: name.into(),
                role,
                unit,
                password_hash: hash_password(PASSWORD).expect("hash"),
            })
            .await
            .expect("create the user");
        let signed_in = send(
            &self.app,
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(&json!({"name": name, "password": PASSWORD})),
            &[],
        )
        .await;
        assert_eq!(signed_in.status, StatusCode::CREATED, "{}", signed_in.body);
        signed_in.body["token"].as_str().expect("token").to_string()
    }
}

const PASSWORD: &str = "correct horse battery staple";

/// The real application on a fresh database with Beijing's reference data and one admin,
/// signed in through the API.
async fn test_app() -> TestApp {
    test_app_on(Arc::new(SystemClock)).await
}

/// [`test_app`] on this clock.
async fn test_app_on(clock: Arc<dyn Clock>) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("jiesu.db"))
        .await
        .expect("open the store");
    let city = jiesu_reference::beijing();
    store
        .replace_reference(&Reference {
            divisions: city.divisions,
            units: city.units,
            catalog: city.catalog,
        })
        .await
        .expect("load the reference data");
    store
        .create_user(&User {
            name: "root".into(),
            role: Role::Admin,
            unit: None,
            password_hash: hash_password(PASSWORD).expect("hash"),
        })
        .await
        .expect("create the admin");
    let store: DynStore = Arc::new(store);
    let state = AppState::new(store.clone(), clock)
        .await
        .expect("app state");
    let app = app(state.clone());
    let signed_in = send(
        &app,
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(&json!({"name": "root", "password": PASSWORD})),
        &[],
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::CREATED, "{}", signed_in.body);
    let doc = document();
    check_shape(schema(&doc, "Token"), &signed_in.body, "Token");
    check_shape(schema(&doc, "User"), &signed_in.body["user"], "Token.user");
    let token = signed_in.body["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("jsu_") && token.len() == 68, "{token}");
    TestApp {
        app,
        state,
        store,
        token,
        _dir: dir,
    }
}

#[test]
fn document_is_openapi_3_1_and_every_ref_resolves() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("openapi is a string");
    assert!(version.starts_with("3.1"), "openapi {version}");
    assert_eq!(doc["info"]["title"], "jiesu API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "jsu_ followed by 64 hex digits",
            "description": "A token from `POST /api/v1/auth/token`."
        })
    );

    let mut refs = Vec::new();
    collect_refs(&doc, "#", &mut refs);
    assert!(refs.len() > 100, "only {} $refs", refs.len());
    for (at, target) in &refs {
        let target = target
            .as_str()
            .unwrap_or_else(|| panic!("{at}: $ref {target} is not a string"));
        assert!(
            target.starts_with("#/components/"),
            "{at}: $ref {target} does not point into components"
        );
        assert!(
            resolve(&doc, target).is_some(),
            "{at}: $ref {target} does not resolve"
        );
    }

    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        let id = op["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_string()), "operationId {id} twice");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}: no responses"
        );
    }
}

/// Every documented operation is routed: neither the `/api/v1` fallback 404 nor a 405, with and
/// without a token, on a ticket, an entry, a missing answer, an IVR call and a bot answer that
/// exist. Without one, exactly the operations documented as protected answer 401; and every
/// answer's status is one the operation documents.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let doc = document();
    let t = test_app().await;
    let intake = example(&doc, "/api/v1/tickets", "street_light");
    let created = send(
        &t.app,
        Method::POST,
        "/api/v1/tickets",
        Some(&t.token),
        Some(&intake),
        &[],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_string();
    let codes = enum_of(&doc, "ErrorCode");
    let entry = create_street_light_entry(&t, &doc).await;
    let post = async |uri: &str, body: &Value| {
        let answer = send(&t.app, Method::POST, uri, Some(&t.token), Some(body), &[]).await;
        assert!(answer.status.is_success(), "{uri}: {}", answer.body);
        answer.body
    };
    let missing = post(
        "/api/v1/knowledge/missing",
        &example(&doc, "/api/v1/knowledge/missing", "vaccine"),
    )
    .await;
    let menu = example_of(&doc, "put", "/api/v1/ivr/menu", "hotline");
    let saved = send(
        &t.app,
        Method::PUT,
        "/api/v1/ivr/menu",
        Some(&t.token),
        Some(&menu),
        &[],
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let started = post(
        "/api/v1/ivr/calls",
        &example(&doc, "/api/v1/ivr/calls", "hotline"),
    )
    .await;
    let asked = post(
        "/api/v1/answer",
        &example(&doc, "/api/v1/answer", "barbecue"),
    )
    .await;
    // Two export jobs: one the walk deletes, one it runs (into a folder of the test's own).
    let exports_dir = tempfile::tempdir().expect("tempdir");
    let mut job = example(&doc, "/api/v1/exports", "awaiting_verification");
    job["destination"] = json!({"folder": exports_dir.path().display().to_string()});
    let deleted = post("/api/v1/exports", &job).await;
    job["name"] = json!("待核实工单（运行）");
    let running = post("/api/v1/exports", &job).await;
    let id_of = |path: &str| -> String {
        let v = match path {
            "/api/v1/exports/{id}" => &deleted["id"],
            p if p.starts_with("/api/v1/exports/") => &running["id"],
            p if p.starts_with("/api/v1/knowledge/entries/") => &entry["id"],
            p if p.starts_with("/api/v1/knowledge/missing/") => &missing["id"],
            p if p.starts_with("/api/v1/ivr/calls/") => &started["call_id"],
            p if p.starts_with("/api/v1/answer/") => &asked["id"],
            _ => return id.clone(),
        };
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };

    let ops = operations(&doc);
    assert!(ops.len() >= 50, "only {} operations", ops.len());
    for (path, method, op) in ops {
        let uri = concrete(&path, &id_of(&path));
        assert!(!uri.contains('{'), "{path}: a path parameter is left");
        let public = is_public(&doc, &op);
        for token in [None, Some(t.token.as_str())] {
            let answer = send(&t.app, method.clone(), &uri, token, None, &[]).await;
            let who = if token.is_some() {
                "signed in"
            } else {
                "anonymous"
            };
            let what = format!("{method} {uri} ({who}): {} {}", answer.status, answer.body);
            assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
            assert_ne!(answer.status, StatusCode::NOT_FOUND, "{what}");
            assert!(
                op["responses"].get(answer.status.as_str()).is_some(),
                "{what}: status not documented"
            );
            let media = content_type(&answer.headers);
            assert!(
                media_types(&doc, &op, answer.status.as_str()).contains(&media),
                "{what}: content type '{media}' not documented"
            );
            if !answer.status.is_success() {
                let code = answer.body["error"]["code"].as_str().unwrap_or_default();
                assert!(codes.contains(code), "{what}: error code not documented");
            }
            if token.is_none() {
                if public {
                    assert_ne!(answer.status, StatusCode::UNAUTHORIZED, "{what}: public");
                } else {
                    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}");
                    assert_eq!(answer.body["error"]["code"], "unauthorized", "{what}");
                }
            }
        }
    }

    // The fallback this test tells apart from a routed path.
    let unknown = send(&t.app, Method::GET, "/api/v1/nothing", None, None, &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"]["code"], "not_found");
}

/// Every route and every ticket action the code has is documented; each action's paths name a
/// real action, with the roles and statuses the core allows.
#[test]
fn every_route_and_action_is_documented() {
    let doc = document();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/healthz", "get"),
        ("/api/v1/openapi.json", "get"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/tickets", "post"),
        ("/api/v1/tickets", "get"),
        ("/api/v1/tickets/{id}", "get"),
        ("/api/v1/units", "get"),
        ("/api/v1/catalog", "get"),
        ("/api/v1/divisions", "get"),
        ("/api/v1/policies", "get"),
        ("/api/v1/policies", "put"),
        ("/api/v1/calendar/{year}", "get"),
        ("/api/v1/calendar/{year}", "put"),
        ("/api/v1/callbacks", "get"),
        ("/api/v1/reports/rates", "get"),
        ("/api/v1/knowledge/entries", "post"),
        ("/api/v1/knowledge/entries", "get"),
        ("/api/v1/knowledge/entries/{id}", "get"),
        ("/api/v1/knowledge/entries/{id}", "put"),
        ("/api/v1/knowledge/entries/{id}/versions", "get"),
        ("/api/v1/knowledge/entries/{id}/versions/{version}", "get"),
        ("/api/v1/knowledge/entries/{id}/diff", "get"),
        ("/api/v1/knowledge/entries/{id}/publish", "post"),
        ("/api/v1/knowledge/entries/{id}/retire", "post"),
        ("/api/v1/knowledge/entries/{id}/reactivate", "post"),
        ("/api/v1/knowledge/search", "get"),
        ("/api/v1/knowledge/missing", "post"),
        ("/api/v1/knowledge/missing", "get"),
        ("/api/v1/knowledge/missing/{id}/close", "post"),
        ("/api/v1/notices", "get"),
        ("/api/v1/answer", "post"),
        ("/api/v1/answer/{id}/ticket", "post"),
        ("/api/v1/ivr/menu", "get"),
        ("/api/v1/ivr/menu", "put"),
        ("/api/v1/ivr/calls", "post"),
        ("/api/v1/ivr/calls/{id}/keys", "post"),
        ("/api/v1/ivr/calls/{id}/message", "post"),
        ("/api/v1/ivr/calls/{id}/hangup", "post"),
        ("/api/v1/reports/self-service", "get"),
        ("/api/v1/reports/knowledge", "get"),
        ("/api/v1/dispatch/rules", "get"),
        ("/api/v1/dispatch/rules", "put"),
        ("/api/v1/dispatch/rules/versions", "get"),
        ("/api/v1/dispatch/explain", "post"),
        ("/api/v1/dispatch/queue", "get"),
        ("/api/v1/tickets/{id}/duplicates", "get"),
        ("/api/v1/dispatch/returns", "get"),
        ("/api/v1/reports/returns", "get"),
        ("/api/v1/analytics/hot", "get"),
        ("/api/v1/analytics/volume", "get"),
        ("/api/v1/analytics/ranking", "get"),
        ("/api/v1/analytics/spikes", "get"),
        ("/api/v1/alerts", "get"),
        ("/api/v1/alerts/{id}", "get"),
        ("/api/v1/reports/hourly", "get"),
        ("/api/v1/reports/daily", "get"),
        ("/api/v1/reports/special", "get"),
        ("/api/v1/reports/ranking", "get"),
        ("/api/v1/exports", "get"),
        ("/api/v1/exports", "post"),
        ("/api/v1/exports/{id}", "get"),
        ("/api/v1/exports/{id}", "put"),
        ("/api/v1/exports/{id}", "delete"),
        ("/api/v1/exports/{id}/run", "post"),
        ("/api/v1/exports/{id}/runs", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }

    let role_names =
        |roles: &[Role]| -> Vec<String> { roles.iter().map(|r| r.as_str().to_string()).collect() };
    for kind in CommandKind::ALL.iter().copied() {
        if kind == CommandKind::Receive {
            let create = &paths["/api/v1/tickets"]["post"];
            assert_eq!(create["x-roles"], json!(role_names(kind.roles())));
        }
        if !kind.is_api_action() {
            let path = format!("/api/v1/tickets/{{id}}/{}", kind.as_str());
            assert!(paths.get(&path).is_none(), "{path}: not an API action");
            continue;
        }
        let path = format!("/api/v1/tickets/{{id}}/{}", kind.as_str());
        let op = paths
            .get(&path)
            .and_then(|p| p.get("post"))
            .unwrap_or_else(|| panic!("POST {path} is not documented"));
        let roles = role_names(kind.roles());
        assert_eq!(op["x-roles"], json!(roles), "{path}: roles");
        let description = op["description"].as_str().expect("description");
        let line = format!("Roles: {}.", roles.join(", "));
        assert!(description.contains(&line), "{path}: says not '{line}'");
        let from: BTreeSet<String> = TRANSITIONS
            .iter()
            .filter(|(_, k, _)| *k == kind)
            .map(|(s, _, _)| s.as_str().to_string())
            .collect();
        assert_eq!(strings(&op["x-statuses"]), from, "{path}: statuses");
        for status in &from {
            assert!(description.contains(status.as_str()), "{path}: {status}");
        }
    }

    // Every operation restricted to some roles says so in its description too.
    for (path, method, op) in operations(&doc) {
        if let Some(roles) = op.get("x-roles") {
            let roles: Vec<&str> = roles
                .as_array()
                .expect("x-roles")
                .iter()
                .map(|r| r.as_str().expect("role"))
                .collect();
            assert!(
                roles
                    .iter()
                    .all(|r| Role::ALL.iter().any(|k| k.as_str() == *r))
            );
            assert!(
                roles.contains(&"admin"),
                "{method} {path}: admins may do everything"
            );
            let line = format!("Roles: {}", roles.join(", "));
            let description = op["description"].as_str().unwrap_or_default();
            assert!(
                description.contains(&line),
                "{method} {path}: says not '{line}'"
            );
        }
    }

    // The answer bot is public; every other knowledge-base and self-service route needs a token.
    for (path, method, op) in operations(&doc) {
        let public = ["/api/v1/answer", "/api/v1/answer/{id}/ticket"].contains(&path.as_str());
        if path.starts_with("/api/v1/answer") {
            assert!(public && is_public(&doc, &op), "{method} {path}");
            assert!(op.get("x-roles").is_none(), "{method} {path}: public");
        }
        if ["/api/v1/knowledge/", "/api/v1/ivr/", "/api/v1/notices"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            assert!(!is_public(&doc, &op), "{method} {path}: needs a token");
        }
    }
    // The entry actions the code routes as `/knowledge/entries/{id}/{action}`, and no others.
    for path in paths.keys() {
        if let Some(rest) = path.strip_prefix("/api/v1/knowledge/entries/{id}/") {
            assert!(
                [
                    "publish",
                    "retire",
                    "reactivate",
                    "versions",
                    "versions/{version}",
                    "diff"
                ]
                .contains(&rest),
                "{path}: not routed"
            );
        }
    }

    // Conversely, every documented action path names a real action (`duplicates` is a
    // resource read with GET).
    for path in paths.keys() {
        if let Some(action) = path
            .strip_prefix("/api/v1/tickets/{id}/")
            .filter(|a| *a != "duplicates")
        {
            assert!(
                CommandKind::parse(action).is_some_and(|k| k.is_api_action()),
                "{path}: '{action}' is not a ticket action"
            );
        }
    }
}

/// The wire enums of the document are exactly the core's.
#[test]
fn wire_enums_match_the_core() {
    fn names<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> BTreeSet<String> {
        all.iter().map(|v| as_str(*v).to_string()).collect()
    }
    let doc = document();
    assert_eq!(enum_of(&doc, "Status"), names(Status::ALL, Status::as_str));
    assert_eq!(
        enum_of(&doc, "Channel"),
        names(Channel::ALL, Channel::as_str)
    );
    assert_eq!(
        enum_of(&doc, "Urgency"),
        names(Urgency::ALL, Urgency::as_str)
    );
    assert_eq!(
        enum_of(&doc, "ReplyOutcome"),
        names(ReplyOutcome::ALL, ReplyOutcome::as_str)
    );
    assert_eq!(
        enum_of(&doc, "Satisfaction"),
        names(Satisfaction::ALL, Satisfaction::as_str)
    );
    assert_eq!(
        enum_of(&doc, "ReviewDecision"),
        names(ReviewDecision::ALL, ReviewDecision::as_str)
    );
    assert_eq!(enum_of(&doc, "Role"), names(&Role::ALL, Role::as_str));
    let actions: BTreeSet<String> = CommandKind::ALL
        .iter()
        .filter(|k| k.is_api_action())
        .map(|k| k.as_str().to_string())
        .collect();
    assert_eq!(enum_of(&doc, "Action"), actions);

    // The time-limit and report enums. Each list is checked complete by a match without a
    // wildcard: a new variant stops this test from compiling until the document has it.
    let timeliness = [Timeliness::OnTime, Timeliness::Warned, Timeliness::Overdue];
    for t in timeliness {
        match t {
            Timeliness::OnTime | Timeliness::Warned | Timeliness::Overdue => {}
        }
    }
    assert_eq!(
        enum_of(&doc, "Timeliness"),
        timeliness.into_iter().map(wire).collect()
    );
    let limits = [Limit::Acknowledge, Limit::Handle];
    for l in limits {
        match l {
            Limit::Acknowledge | Limit::Handle => {}
        }
    }
    assert_eq!(
        enum_of(&doc, "Limit"),
        limits.into_iter().map(wire).collect()
    );
    let spans = [
        Span::NaturalHours(1),
        Span::WorkingHours(1),
        Span::WorkingDays(1),
    ];
    for s in spans {
        match s {
            Span::NaturalHours(_) | Span::WorkingHours(_) | Span::WorkingDays(_) => {}
        }
    }
    let units: BTreeSet<String> = spans
        .iter()
        .map(|s| {
            let v = serde_json::to_value(s).expect("span");
            check_shape(schema(&doc, "Span"), &v, "Span");
            v["unit"].as_str().expect("unit").to_string()
        })
        .collect();
    assert_eq!(enum_of(&doc, "SpanUnit"), units);
    let groups = [GroupBy::Unit, GroupBy::Street];
    for g in groups {
        match g {
            GroupBy::Unit | GroupBy::Street => {}
        }
    }
    assert_eq!(
        enum_of(&doc, "GroupBy"),
        groups.into_iter().map(wire).collect()
    );

    // The knowledge-base and IVR enums, checked complete the same way.
    let statuses = [
        EntryStatus::Draft,
        EntryStatus::Active,
        EntryStatus::Retired,
    ];
    for s in statuses {
        match s {
            EntryStatus::Draft | EntryStatus::Active | EntryStatus::Retired => {}
        }
        assert_eq!(wire(s), s.as_str());
    }
    assert_eq!(
        enum_of(&doc, "EntryStatus"),
        statuses.into_iter().map(wire).collect()
    );
    for c in EntryChange::ALL {
        match c {
            EntryChange::Created
            | EntryChange::Updated
            | EntryChange::Published
            | EntryChange::Retired
            | EntryChange::Reactivated => {}
        }
        assert_eq!(wire(c), c.as_str());
    }
    assert_eq!(
        enum_of(&doc, "EntryChange"),
        EntryChange::ALL.into_iter().map(wire).collect()
    );
    // A notice is named after the change to the entry.
    assert_eq!(
        enum_of(&doc, "NoticeKind"),
        EntryChange::ALL
            .into_iter()
            .map(|c| format!("entry.{c}"))
            .collect()
    );
    let sources = [
        Source::PressConference,
        Source::OfficialMedia,
        Source::Department,
        Source::MissingAnswer,
        Source::Other,
    ];
    for s in sources {
        match s {
            Source::PressConference
            | Source::OfficialMedia
            | Source::Department
            | Source::MissingAnswer
            | Source::Other => {}
        }
    }
    assert_eq!(
        enum_of(&doc, "Source"),
        sources.into_iter().map(wire).collect()
    );
    let outcomes = [
        CallOutcome::InMenu,
        CallOutcome::SelfServed,
        CallOutcome::Agent,
        CallOutcome::Ticket,
        CallOutcome::Abandoned,
    ];
    for o in outcomes {
        match o {
            CallOutcome::InMenu
            | CallOutcome::SelfServed
            | CallOutcome::Agent
            | CallOutcome::Ticket
            | CallOutcome::Abandoned => {}
        }
        assert_eq!(wire(o), o.as_str());
    }
    assert_eq!(
        enum_of(&doc, "CallOutcome"),
        outcomes.into_iter().map(wire).collect()
    );
}

/// The knowledge-base and IVR values the core serializes have the documented shapes: an entry
/// (every field set), a diff touching every field, a missing answer, every IVR choice.
#[test]
fn knowledge_and_ivr_values_match_the_core() {
    let doc = document();
    let at: DateTime<Utc> = "2026-11-23T01:15:00Z".parse().expect("instant");
    let day = |d: &str| Some(d.parse().expect("date"));
    let older = Entry {
        id: "KB000001".into(),
        version: 1,
        status: EntryStatus::Draft,
        content: EntryContent {
            title: "路灯不亮怎么报修".into(),
            questions: vec![],
            answer: "报修后一般3个工作日内修复。".into(),
            category_code: None,
            region_code: None,
            source: Source::Other,
            valid_from: None,
            valid_until: None,
            tags: vec![],
        },
        change: EntryChange::Created,
        changed_at: at,
        changed_by: "kb-zhang".into(),
        note: None,
    };
    let newer = Entry {
        version: 2,
        status: EntryStatus::Active,
        content: EntryContent {
            title: "路灯坏了怎么报修".into(),
            questions: vec!["路灯坏了找谁修".into()],
            answer: "报修后一般2个工作日内修复。".into(),
            category_code: Some("010204".into()),
            region_code: Some("110108".into()),
            source: Source::Department,
            valid_from: day("2026-11-01"),
            valid_until: day("2027-03-31"),
            tags: vec!["路灯".into()],
        },
        change: EntryChange::Updated,
        note: Some("报修时限调整".into()),
        ..older.clone()
    };
    for e in [&older, &newer] {
        let mut v = serde_json::to_value(e).expect("entry");
        check_entry(&doc, &v);
        assert!(v.get("uses").is_none(), "a version has no uses");
        v["uses"] = json!(0);
        let stored = StoredEntry {
            entry: e.clone(),
            uses: 0,
            seq: 9,
        };
        assert_eq!(serde_json::to_value(&stored).expect("stored"), v);
    }
    let changes = serde_json::to_value(diff(&older, &newer)).expect("diff");
    let fields: BTreeSet<String> = changes
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            check_shape(schema(&doc, "FieldChange"), c, "FieldChange");
            c["field"].as_str().expect("field").to_string()
        })
        .collect();
    let documented = strings(&schema(&doc, "FieldChange")["properties"]["field"]["enum"]);
    assert_eq!(fields, documented, "every field the diff compares");
    assert_eq!(
        keys(&schema(&doc, "EntryContent")["properties"]),
        keys(&serde_json::to_value(&newer.content).expect("content")),
    );

    let missing = MissingAnswer {
        id: 7,
        question: "新冠疫苗第四针在哪里打？".into(),
        asked: 3,
        first_asked_at: at,
        last_asked_at: at,
        category_code: None,
        entry_id: Some("KB000003".into()),
        closed_by: Some("kb-zhang".into()),
        closed_at: Some(at),
    };
    let v = serde_json::to_value(&missing).expect("missing");
    check_shape(schema(&doc, "MissingAnswer"), &v, "MissingAnswer");

    let choices = [
        Choice::Menu {
            node: "policy".into(),
        },
        Choice::ReadEntry {
            entry_id: "KB000001".into(),
        },
        Choice::ReadNumbers {
            numbers: vec![PhoneNumber {
                name: "海淀区".into(),
                phone: "010-88487777".into(),
            }],
        },
        Choice::Agent,
        Choice::Message,
    ];
    let choice = schema(&doc, "IvrChoice");
    let mapping = &choice["discriminator"]["mapping"];
    let mut actions = BTreeSet::new();
    for c in &choices {
        match c {
            Choice::Menu { .. }
            | Choice::ReadEntry { .. }
            | Choice::ReadNumbers { .. }
            | Choice::Agent
            | Choice::Message => {}
        }
        let v = serde_json::to_value(c).expect("choice");
        let action = v["action"].as_str().expect("action").to_string();
        let target = mapping[&action]
            .as_str()
            .unwrap_or_else(|| panic!("no IvrChoice for {action}"));
        let variant = resolve(&doc, target).expect("variant");
        check_shape(variant, &v, &action);
        assert_eq!(variant["properties"]["action"]["const"], action.as_str());
        actions.insert(action);
    }
    assert_eq!(actions, keys(mapping));
    let menu = example_of(&doc, "put", "/api/v1/ivr/menu", "hotline");
    let parsed: Menu = serde_json::from_value(menu.clone()).expect("the example is a menu");
    assert_eq!(serde_json::to_value(&parsed).expect("menu"), menu);
}

/// Every event the core can record, each optional detail present.
fn every_event() -> Vec<Event> {
    let at: DateTime<Utc> = "2026-11-23T01:15:00Z".parse().expect("instant");
    let deadlines = Some(Deadlines {
        policy_id: "normal".into(),
        policy_version: 1,
        started_at: at,
        acknowledge_by: at,
        acknowledge_warn_at: at,
        handle_by: at,
        handle_warn_at: at,
        handle: Span::WorkingDays(5),
        pause_while_waiting: true,
        restart_on_transfer: true,
        beyond_calendar: true,
    });
    let note = Some("备注".to_string());
    let unit = || "cgw".to_string();
    let events = vec![
        Event::Received {
            id: TicketId("0193a6f2-7c1e-7b3a-9f1d-2c4e5a6b7c8d".into()),
            number: "20261123000042".into(),
            intake: Intake {
                channel: Channel::Api,
                title: Some("路灯不亮".into()),
                content: "路灯不亮".into(),
                caller: Caller {
                    name: "王女士".into(),
                    phone: "13812341234".into(),
                },
                address: Some("交大东路".into()),
                district_code: Some("110108".into()),
                street_code: Some("110108007".into()),
                category_code: Some("010204".into()),
                urgency: Urgency::Normal,
                confidential: false,
                external_ref: Some("baltimore-311:21-00001234".into()),
            },
            proposal: Some(jiesu_core::Proposal {
                district_code: Some("110108".into()),
                street_code: Some("110108007".into()),
                urgency: jiesu_core::Urgency::Normal,
                category_code: None,
                reasons: vec!["北下关".into(), "路口".into()],
                scene: Some(jiesu_core::dispatch::Scene::CityRoad),
                unit: Some("cgw".into()),
            }),
        },
        Event::Answered {
            entry_id: Some("KB-CGW-0117".into()),
            entry_version: Some(3),
            text: "已答复".into(),
        },
        Event::Dispatched {
            lead_unit: unit(),
            assisting_units: vec!["110108007".into()],
            note: note.clone(),
            deadlines: deadlines.clone(),
            routing: Some(jiesu_core::dispatch::RoutedBy {
                rules_version: 2,
                rule: Some("road-facilities".into()),
                proposed_unit: Some(unit()),
                automatic: true,
            }),
        },
        Event::Acknowledged {
            unit: unit(),
            on_time: Some(true),
        },
        Event::Returned {
            unit: unit(),
            reason: "不属本单位职责".into(),
        },
        Event::ReturnUpheld {
            note: note.clone(),
            flagged_rule: Some("park-facilities".into()),
        },
        Event::ReturnRefused { note: note.clone() },
        Event::ExtensionRequested {
            days: 5,
            reason: "等待停电施工".into(),
        },
        Event::ExtensionGranted {
            days: 5,
            note: note.clone(),
            handle_by: Some(at),
        },
        Event::ExtensionRefused { note: note.clone() },
        Event::Replied {
            unit: unit(),
            outcome: ReplyOutcome::Solved,
            text: "已修复".into(),
            on_time: Some(false),
        },
        Event::CallbackMissed {
            attempt: 1,
            note: note.clone(),
        },
        Event::CallbackRecorded {
            resolved: true,
            satisfaction: Satisfaction::Satisfied,
            note: note.clone(),
        },
        Event::Closed {
            reason: Some("撤回".into()),
        },
        Event::Reopened {
            reason: "caller says unresolved".into(),
            deadlines: deadlines.clone(),
        },
        Event::Transferred {
            from_unit: Some(unit()),
            to_unit: "110108007".into(),
            reason: "转街道".into(),
            deadlines: deadlines.clone(),
        },
        Event::Supervised {
            level: 1,
            note: note.clone(),
        },
        Event::Escalated {
            reason: "安全隐患".into(),
            deadlines,
        },
        Event::TimeWarned {
            limit: Limit::Handle,
        },
        Event::Overdue {
            limit: Limit::Acknowledge,
        },
        Event::Merged {
            master_id: TicketId("0193a6f0-1b2c-7d3e-8f40-5a6b7c8d9e0f".into()),
        },
        Event::MasterReplied {
            master_id: TicketId("0193a6f0-1b2c-7d3e-8f40-5a6b7c8d9e0f".into()),
            unit: Some("110108007".into()),
            outcome: Some(ReplyOutcome::Solved),
            text: "已更换灯泡".into(),
        },
        Event::WaitingForCaller {
            reason: "等待诉求人提供材料".into(),
            clock_paused: true,
        },
        Event::Resumed {
            note: note.clone(),
            handle_by: Some(at),
        },
        Event::ConsultationRequested {
            units: vec!["cgw".into(), "ylj".into()],
            note: note.clone(),
        },
    ];
    // A new kind of event stops this from compiling until it is listed above.
    for event in &events {
        match event {
            Event::Received { .. }
            | Event::Answered { .. }
            | Event::Dispatched { .. }
            | Event::Acknowledged { .. }
            | Event::Returned { .. }
            | Event::ReturnUpheld { .. }
            | Event::ReturnRefused { .. }
            | Event::ExtensionRequested { .. }
            | Event::ExtensionGranted { .. }
            | Event::ExtensionRefused { .. }
            | Event::Replied { .. }
            | Event::CallbackMissed { .. }
            | Event::CallbackRecorded { .. }
            | Event::Closed { .. }
            | Event::Reopened { .. }
            | Event::Transferred { .. }
            | Event::Supervised { .. }
            | Event::Escalated { .. }
            | Event::TimeWarned { .. }
            | Event::Overdue { .. }
            | Event::Merged { .. }
            | Event::MasterReplied { .. }
            | Event::WaitingForCaller { .. }
            | Event::Resumed { .. }
            | Event::ConsultationRequested { .. } => {}
        }
    }
    events
}

/// The event kinds of the document are exactly the core's, and every event, with all its
/// optional details, has the documented shape.
#[test]
fn event_kinds_and_details_match_the_core() {
    let doc = document();
    let events = every_event();
    let kinds: BTreeSet<String> = events.iter().map(|e| e.kind().to_string()).collect();
    assert_eq!(kinds.len(), events.len(), "one event per kind");
    assert_eq!(enum_of(&doc, "EventKind"), kinds);
    let mapping = keys(&schema(&doc, "EventRecord")["discriminator"]["mapping"]);
    assert_eq!(mapping, kinds, "discriminator mapping");
    let at: DateTime<Utc> = "2026-11-23T01:15:00Z".parse().expect("instant");
    let records: Vec<EventRecord> = (1..)
        .zip(events)
        .map(|(seq, event)| EventRecord {
            seq,
            at,
            actor: Actor::of_unit("cgw-li", "cgw"),
            event,
        })
        .collect();
    let records = serde_json::to_value(&records).expect("records");
    check_events(&doc, &records);
}

/// The documented answer examples have the documented shapes, and the documented defaults are
/// the core's.
#[test]
fn answer_examples_have_the_documented_shape() {
    let doc = document();
    let created = response_example(&doc, "post", "/api/v1/tickets", "201", "");
    check_ticket(&doc, &created);

    let policies = response_example(&doc, "get", "/api/v1/policies", "200", "");
    let defaults = serde_json::to_value(PolicySet::defaults()).expect("defaults");
    assert_eq!(policies, defaults, "the GET example is the defaults");
    check_policy_set(&doc, &policies);
    let body = example_of(&doc, "put", "/api/v1/policies", "heating");
    check_shape(schema(&doc, "PolicySetBody"), &body, "PolicySetBody");
    for (i, p) in body["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .enumerate()
    {
        check_shape(schema(&doc, "Policy"), p, &format!("heating policies[{i}]"));
    }

    for name in ["missing", "entered"] {
        let year = response_example(&doc, "get", "/api/v1/calendar/{year}", "200", name);
        check_calendar_year(&doc, &year);
    }
    let schedule = example_of(&doc, "put", "/api/v1/calendar/{year}", "2027");
    check_shape(schema(&doc, "YearSchedule"), &schedule, "YearSchedule");

    let list = response_example(&doc, "get", "/api/v1/callbacks", "200", "");
    check_shape(schema(&doc, "CallbackList"), &list, "CallbackList");

    let table = response_example(&doc, "get", "/api/v1/reports/rates", "200", "");
    check_rates_table(&doc, &table);
    let weights = Weights::default();
    assert_eq!(
        table["weights"],
        serde_json::to_value(weights).expect("weights")
    );
    for row in table["rows"].as_array().expect("rows") {
        let counts: Counts = serde_json::from_value(row.clone()).expect("counts");
        let close = |documented: &Value, real: Option<f64>| match (documented.as_f64(), real) {
            (Some(d), Some(r)) => (d - r).abs() < 1e-4,
            (None, None) => true,
            _ => false,
        };
        assert!(
            close(&row["response_rate"], counts.response_rate()),
            "{row}"
        );
        assert!(
            close(&row["resolution_rate"], counts.resolution_rate()),
            "{row}"
        );
        assert!(
            close(&row["satisfaction_rate"], counts.satisfaction_rate()),
            "{row}"
        );
    }
}

#[tokio::test]
async fn request_examples_walk_tickets_through_every_action() {
    let doc = document();
    let t = test_app().await;
    let token = Some(t.token.as_str());
    let intake = example(&doc, "/api/v1/tickets", "street_light");
    let entry = create_street_light_entry(&t, &doc).await;

    let create = async |key: &str| {
        let answer = send(
            &t.app,
            Method::POST,
            "/api/v1/tickets",
            token,
            Some(&intake),
            &[("idempotency-key", key)],
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        check_ticket(&doc, &answer.body);
        answer
    };
    let act = async |id: &str, action: &str, body: Option<Value>| {
        let path = format!("/api/v1/tickets/{{id}}/{action}");
        let body = body.unwrap_or_else(|| example(&doc, &path, "street_light"));
        let uri = path.replace("{id}", id);
        let answer = send(&t.app, Method::POST, &uri, token, Some(&body), &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{action}: {}", answer.body);
        check_ticket(&doc, &answer.body);
        answer.body
    };

    // Received with an idempotency key; the same key again gives the same ticket.
    let first = create("lamp-1").await;
    let id = first.body["id"].as_str().expect("id").to_string();
    assert_eq!(first.body["status"], "received");
    assert_eq!(
        first.body["district_code"], "110108",
        "filled from the street"
    );
    assert_eq!(
        first.headers["location"],
        format!("/api/v1/tickets/{id}").as_str()
    );
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = create("lamp-1").await;
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");

    // The whole road: dispatched, handled with an extension, replied, called back, closed.
    for (action, status) in [
        ("dispatch", "dispatched"),
        ("acknowledge", "in_progress"),
        ("extension", "in_progress"),
        ("extension_decision", "in_progress"),
        ("supervise", "in_progress"),
        ("escalate", "in_progress"),
        ("reply", "replied"),
        ("callback", "closed"),
    ] {
        let ticket = act(&id, action, None).await;
        assert_eq!(ticket["status"], status, "after {action}");
    }
    let detail = send(
        &t.app,
        Method::GET,
        &format!("/api/v1/tickets/{id}"),
        token,
        None,
        &[],
    )
    .await;
    assert_eq!(detail.status, StatusCode::OK);
    let mut ticket = detail.body.clone();
    ticket.as_object_mut().expect("object").remove("events");
    check_ticket(&doc, &ticket);
    assert_eq!(detail.body["lead_unit"], "cgw");
    assert_eq!(detail.body["extension_days"], 5);
    assert_eq!(detail.body["urgency"], "urgent");
    assert_eq!(detail.body["satisfaction"], "satisfied");
    // Escalated while in progress: the urgent limits, ending sooner, replaced the ordinary ones.
    assert_eq!(detail.body["deadlines"]["policy_id"], "urgent");
    assert!(detail.body["replied_at"].is_string());
    check_events(&doc, &detail.body["events"]);

    // A closed ticket refuses further actions: 409 as documented.
    let refused = send(
        &t.app,
        Method::POST,
        &format!("/api/v1/tickets/{id}/acknowledge"),
        token,
        None,
        &[],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["error"]["code"], "not_allowed_in_status");

    // Answered at first contact, then closed.
    let second = create("lamp-2").await.body["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(act(&second, "answer", None).await["status"], "answered");
    assert_eq!(act(&second, "close", None).await["status"], "closed");
    let detail = send(
        &t.app,
        Method::GET,
        &format!("/api/v1/tickets/{second}"),
        token,
        None,
        &[],
    )
    .await;
    check_events(&doc, &detail.body["events"]);
    let events = detail.body["events"].as_array().expect("events");
    let answered = events
        .iter()
        .find(|e| e["kind"] == "answered")
        .expect("answered");
    assert_eq!(answered["details"]["entry_id"], entry["id"]);
    assert_eq!(answered["details"]["entry_version"], entry["version"]);
    let cited = send(
        &t.app,
        Method::GET,
        &format!(
            "/api/v1/knowledge/entries/{}",
            entry["id"].as_str().expect("id")
        ),
        token,
        None,
        &[],
    )
    .await;
    assert_eq!(cited.body["uses"], 1, "{}", cited.body);
    // An entry that does not exist may not be cited.
    let fifth = create("lamp-5").await.body["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut unknown = example(&doc, "/api/v1/tickets/{id}/answer", "street_light");
    unknown["entry_id"] = json!("KB999999");
    let refused = send(
        &t.app,
        Method::POST,
        &format!("/api/v1/tickets/{fifth}/answer"),
        token,
        Some(&unknown),
        &[],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["error"]["field"], "entry_id");

    // Returned by 城管委, re-dispatched to the district on review, transferred to the street.
    let third = create("lamp-3").await.body["id"]
        .as_str()
        .expect("id")
        .to_string();
    let wrong_unit = send(
        &t.app,
        Method::POST,
        &format!("/api/v1/tickets/{third}/dispatch"),
        token,
        Some(&json!({"lead_unit": "no-such-unit"})),
        &[],
    )
    .await;
    assert_eq!(wrong_unit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_unit.body["error"]["code"], "invalid_input");
    assert_eq!(wrong_unit.body["error"]["field"], "lead_unit");
    act(&third, "dispatch", None).await;
    assert_eq!(act(&third, "return", None).await["status"], "returned");
    let reviewed = act(&third, "review", None).await;
    assert_eq!(reviewed["status"], "dispatched");
    assert_eq!(reviewed["lead_unit"], "110108");
    let moved = act(&third, "transfer", None).await;
    assert_eq!(moved["lead_unit"], "110108007");

    // Another call about the same lights, merged into the third ticket.
    let fourth = create("lamp-4").await.body["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut merge = example(&doc, "/api/v1/tickets/{id}/merge", "street_light");
    merge["master_id"] = json!(third);
    let merged = act(&fourth, "merge", Some(merge)).await;
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["master_id"], json!(third));

    // The list has the documented shape too.
    check_query(
        &doc,
        "get",
        "/api/v1/tickets?limit=2&text=%E8%B7%AF%E7%81%AF",
    );
    let page = send(
        &t.app,
        Method::GET,
        "/api/v1/tickets?limit=2&text=%E8%B7%AF%E7%81%AF",
        token,
        None,
        &[],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    check_shape(schema(&doc, "TicketPage"), &page.body, "TicketPage");
    let items = page.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    items.iter().for_each(|t| check_ticket(&doc, t));
    assert!(page.body["next_cursor"].is_string());
}

/// The reference lists have the documented shapes.
#[tokio::test]
async fn reference_lists_have_the_documented_shape() {
    let doc = document();
    let t = test_app().await;
    for (uri, list, item) in [
        (
            "/api/v1/units?district=110108&q=%E5%8C%97%E4%B8%8B%E5%85%B3",
            "UnitList",
            "Unit",
        ),
        ("/api/v1/catalog?parent=0102", "CatalogList", "CatalogNode"),
        (
            "/api/v1/divisions?level=street&parent=110108",
            "DivisionList",
            "Division",
        ),
    ] {
        check_query(&doc, "get", uri);
        let answer = send(&t.app, Method::GET, uri, None, None, &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        check_shape(schema(&doc, list), &answer.body, list);
        let items = answer.body["items"].as_array().expect("items");
        assert!(!items.is_empty(), "{uri}: nothing");
        assert_eq!(answer.body["total"], json!(items.len()));
        items
            .iter()
            .for_each(|i| check_shape(schema(&doc, item), i, item));
    }
}

/// The documented roles are the ones the server lets through: for every signed-in operation
/// outside the ticket actions (whose roles are checked against the core above), a user of each
/// role sends the documented request example (required query parameters set to their examples);
/// the roles in `x-roles` (every role when there is none) succeed and the others get 403
/// `forbidden`. The street-light entry and the documented IVR menu are in place first, each role
/// starts a call of its own, and the notice stream is only opened (its status read).
#[tokio::test]
async fn documented_roles_are_the_ones_let_through() {
    let doc = document();
    let t = test_app().await;
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let token = match role {
            Role::Admin => t.token.clone(),
            _ => t.sign_in_as(&format!("user-{role}"), role).await,
        };
        tokens.push((role, token));
    }
    create_street_light_entry(&t, &doc).await;
    let menu = example_of(&doc, "put", "/api/v1/ivr/menu", "hotline");
    let saved = send(
        &t.app,
        Method::PUT,
        "/api/v1/ivr/menu",
        Some(&t.token),
        Some(&menu),
        &[],
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let mut probed = 0;
    for (path, method, op) in operations(&doc) {
        if is_public(&doc, &op) || path.contains("{id}") {
            continue;
        }
        let allowed: BTreeSet<String> = match op.get("x-roles") {
            Some(roles) => strings(roles),
            None => Role::ALL.iter().map(|r| r.as_str().to_string()).collect(),
        };
        let body = op.get("requestBody").map(|b| {
            let examples = &deref(&doc, b)["content"]["application/json"]["examples"];
            let first = examples.as_object().and_then(|e| e.values().next());
            first.expect("a request example")["value"].clone()
        });
        let uri = with_required_query(&doc, &op, &concrete(&path, ""));
        for (role, token) in &tokens {
            let mut body = body.clone();
            // A PBX starts each call once: every role calls with an id of its own.
            if let Some(call) = body.as_mut().and_then(|b| b.get_mut("call_id")) {
                *call = json!(format!("{}-{role}", call.as_str().expect("call_id")));
            }
            let answer = send(
                &t.app,
                method.clone(),
                &uri,
                Some(token),
                body.as_ref(),
                &[],
            )
            .await;
            let what = format!(
                "{method} {uri} as {role}: {} {}",
                answer.status, answer.body
            );
            if allowed.contains(role.as_str()) {
                assert!(answer.status.is_success(), "{what}");
            } else {
                assert_eq!(answer.status, StatusCode::FORBIDDEN, "{what}");
                assert_eq!(answer.body["error"]["code"], "forbidden", "{what}");
            }
            assert!(
                op["responses"].get(answer.status.as_str()).is_some(),
                "{what}"
            );
        }
        probed += 1;
    }
    assert!(probed >= 20, "only {probed} operations probed");
}

/// The time limits, the callback list and the rates report against the real app on a clock
/// that moves only when told: the examples are accepted, the answers have the documented
/// shape, the scanner's warnings and overdue flags show on the tickets and in the overdue
/// queue, and the report answers in its three documented formats.
#[tokio::test]
async fn time_limits_callbacks_and_rates_follow_the_document() {
    let doc = document();
    let at = |s: &str| -> DateTime<Utc> { s.parse().expect("instant") };
    // Monday 23 November 2026, 09:15 in Beijing.
    let clock = Arc::new(ManualClock::new(at("2026-11-23T01:15:00Z")));
    let t = test_app_on(clock.clone()).await;
    let token = Some(t.token.as_str());
    let get = async |uri: &str| {
        check_query(&doc, "get", uri);
        let answer = send(&t.app, Method::GET, uri, token, None, &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
        answer
    };
    let put = async |uri: &str, body: &Value| {
        send(&t.app, Method::PUT, uri, token, Some(body), &[]).await
    };

    // The policies: the defaults as version 1, then the documented example as version 2.
    let first = get("/api/v1/policies").await.body;
    check_policy_set(&doc, &first);
    assert_eq!(first["version"], 1);
    assert_eq!(
        first,
        response_example(&doc, "get", "/api/v1/policies", "200", "")
    );
    let heating = example_of(&doc, "put", "/api/v1/policies", "heating");
    let saved = put("/api/v1/policies", &heating).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    check_policy_set(&doc, &saved.body);
    assert_eq!(saved.body["version"], 2);
    let now = get("/api/v1/policies").await.body;
    assert_eq!(now, saved.body);
    let ids: Vec<&str> = now["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| p["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["urgent", "public-health", "heating", "normal"]);
    let mut wrong = heating.clone();
    wrong["policies"][0]["warn_percent"] = json!(100);
    let refused = put("/api/v1/policies", &wrong).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["error"]["field"], "policies[0].warn_percent");
    assert_eq!(get("/api/v1/policies").await.body["version"], 2);

    // The calendar: 2027 is not in the table until its notice is entered.
    let before = get("/api/v1/calendar/2027").await.body;
    check_calendar_year(&doc, &before);
    assert_eq!(
        before,
        response_example(&doc, "get", "/api/v1/calendar/{year}", "200", "missing")
    );
    let notice = example_of(&doc, "put", "/api/v1/calendar/{year}", "2027");
    assert_eq!(notice["holidays"][0], json!(["2027-01-01", "元旦"]));
    let entered = put("/api/v1/calendar/2027", &notice).await;
    assert_eq!(entered.status, StatusCode::OK, "{}", entered.body);
    check_calendar_year(&doc, &entered.body);
    let after = get("/api/v1/calendar/2027").await.body;
    assert_eq!(after["in_table"], true);
    assert_eq!(after["last_year_in_table"], 2027);
    assert_eq!(after, entered.body);
    assert_eq!(
        after,
        response_example(&doc, "get", "/api/v1/calendar/{year}", "200", "entered")
    );
    let mismatch = put("/api/v1/calendar/2028", &notice).await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(mismatch.body["error"]["field"], "year");
    let mut weekday = notice.clone();
    weekday["makeup_workdays"] = json!([["2027-02-10", "春节"]]);
    let refused = put("/api/v1/calendar/2027", &weekday).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["error"]["field"], "schedule");

    // Two tickets dispatched on Monday morning: the street light under the ordinary limits
    // (1 and 5 working days), a heating complaint under the new rule (2 and 24 hours).
    let create = async |intake: &Value| {
        let answer = send(
            &t.app,
            Method::POST,
            "/api/v1/tickets",
            token,
            Some(intake),
            &[],
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        check_ticket(&doc, &answer.body);
        assert!(answer.body["deadlines"].is_null());
        answer.body["id"].as_str().expect("id").to_string()
    };
    let act = async |id: &str, action: &str, body: &Value| {
        let uri = format!("/api/v1/tickets/{id}/{action}");
        let answer = send(&t.app, Method::POST, &uri, token, Some(body), &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{action}: {}", answer.body);
        check_ticket(&doc, &answer.body);
        answer.body
    };
    let street_light = example(&doc, "/api/v1/tickets", "street_light");
    let lamp = create(&street_light).await;
    let dispatch = example(&doc, "/api/v1/tickets/{id}/dispatch", "street_light");
    let dispatched = act(&lamp, "dispatch", &dispatch).await;
    let d = &dispatched["deadlines"];
    assert_eq!(d["policy_id"], "normal");
    assert_eq!(d["policy_version"], 2);
    assert_eq!(d["handle"], json!({"unit": "working_days", "amount": 5}));
    for (field, instant) in [
        ("started_at", "2026-11-23T01:15:00Z"),
        ("acknowledge_warn_at", "2026-11-23T19:15:00Z"),
        ("acknowledge_by", "2026-11-24T01:15:00Z"),
        ("handle_warn_at", "2026-11-26T19:15:00Z"),
        ("handle_by", "2026-11-30T01:15:00Z"),
    ] {
        let value = at(d[field].as_str().expect("instant"));
        assert_eq!(value, at(instant), "{field}");
    }
    let mut radiator = street_light.clone();
    radiator["title"] = json!("北下关街道某小区暖气不热");
    radiator["content"] = json!("小区暖气片温度低，室温不到16度，家中有老人，希望尽快处理。");
    radiator["category_code"] = json!("010208");
    let heat = create(&radiator).await;
    let heated = act(&heat, "dispatch", &json!({"lead_unit": "heat"})).await;
    assert_eq!(heated["deadlines"]["policy_id"], "heating");
    assert_eq!(
        heated["deadlines"]["handle"],
        json!({"unit": "natural_hours", "amount": 24})
    );

    // Monday evening: the street light's acknowledge warning is due; the heating ticket is
    // overdue to acknowledge and warned on its handle limit.
    let evening = at("2026-11-23T20:30:00Z");
    clock.set(evening);
    let report = scan_once(&t.state, evening).await.expect("scan");
    assert_eq!(report.events, 3, "{report:?}");
    // Tuesday morning: the street light is overdue to acknowledge, the heating ticket overdue
    // to reply (and supervised for it).
    let tuesday = at("2026-11-24T02:00:00Z");
    clock.set(tuesday);
    let report = scan_once(&t.state, tuesday).await.expect("scan");
    assert_eq!(report.events, 3, "{report:?}");

    let lamp_now = get(&format!("/api/v1/tickets/{lamp}")).await.body;
    assert_eq!(lamp_now["acknowledge_timeliness"], "overdue");
    assert_eq!(lamp_now["handle_timeliness"], "on_time");
    let heat_now = get(&format!("/api/v1/tickets/{heat}")).await.body;
    assert_eq!(heat_now["acknowledge_timeliness"], "overdue");
    assert_eq!(heat_now["handle_timeliness"], "overdue");
    assert_eq!(heat_now["supervision_level"], 1);
    assert_eq!(heat_now["overdue_base_level"], 0);
    let mut flagged = BTreeSet::new();
    for detail in [&lamp_now, &heat_now] {
        check_events(&doc, &detail["events"]);
        for e in detail["events"].as_array().expect("events") {
            let kind = e["kind"].as_str().expect("kind");
            if matches!(kind, "time_warned" | "overdue") {
                assert_eq!(e["actor"]["name"], "system", "{e}");
                flagged.insert(format!(
                    "{kind} {}",
                    e["details"]["limit"].as_str().expect("limit")
                ));
            }
        }
    }
    let expected: BTreeSet<String> = [
        "time_warned acknowledge",
        "overdue acknowledge",
        "time_warned handle",
        "overdue handle",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(flagged, expected);

    // The supervisors' queue holds both; acknowledging takes the street light off it.
    let queue = async |overdue: bool| -> BTreeSet<String> {
        let page = get(&format!("/api/v1/tickets?overdue={overdue}"))
            .await
            .body;
        check_shape(schema(&doc, "TicketPage"), &page, "TicketPage");
        let items = page["items"].as_array().expect("items");
        items.iter().for_each(|i| check_ticket(&doc, i));
        items
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_string())
            .collect()
    };
    assert_eq!(queue(true).await, [lamp.clone(), heat.clone()].into());
    assert!(queue(false).await.is_empty());
    let late = act(&lamp, "acknowledge", &json!({})).await;
    assert_eq!(late["status"], "in_progress");
    assert_eq!(queue(true).await, [heat.clone()].into());
    assert_eq!(queue(false).await, [lamp.clone()].into());

    // Replied on Tuesday (China time): on Wednesday's callback list, not on Tuesday's.
    let reply = example(&doc, "/api/v1/tickets/{id}/reply", "street_light");
    let replied = act(&lamp, "reply", &reply).await;
    assert_eq!(
        at(replied["replied_at"].as_str().expect("replied_at")),
        tuesday
    );
    let callbacks = async |date: &str| {
        let list = get(&format!("/api/v1/callbacks?date={date}")).await.body;
        check_shape(schema(&doc, "CallbackList"), &list, "CallbackList");
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .for_each(|i| check_ticket(&doc, i));
        assert_eq!(
            list["total"],
            json!(list["items"].as_array().expect("items").len())
        );
        assert_eq!(list["max_attempts"], 3);
        list
    };
    let tuesday_list = callbacks("2026-11-24").await;
    assert_eq!(tuesday_list["total"], 0);
    let wednesday_list = callbacks("2026-11-25").await;
    assert_eq!(wednesday_list["date"], "2026-11-25");
    assert_eq!(
        at(wednesday_list["replied_before"].as_str().expect("cut-off")),
        at("2026-11-24T16:00:00Z")
    );
    assert_eq!(wednesday_list["total"], 1);
    assert_eq!(wednesday_list["items"][0]["id"], json!(lamp));
    let reached = example(&doc, "/api/v1/tickets/{id}/callback", "street_light");
    assert_eq!(act(&lamp, "callback", &reached).await["status"], "closed");
    assert_eq!(callbacks("2026-11-25").await["total"], 0);
    let detail = get(&format!("/api/v1/tickets/{lamp}")).await.body;
    check_events(&doc, &detail["events"]);
    let on_time = |kind: &str| -> Value {
        let events = detail["events"].as_array().expect("events");
        let event = events.iter().find(|e| e["kind"] == kind).expect(kind);
        event["details"]["on_time"].clone()
    };
    assert_eq!(on_time("acknowledged"), false);
    assert_eq!(on_time("replied"), true);

    // November's rates: by unit, then by street; then as CSV and as Excel.
    let table = get("/api/v1/reports/rates?month=2026-11").await;
    assert_eq!(content_type(&table.headers), "application/json");
    check_rates_table(&doc, &table.body);
    assert_eq!(table.body["by"], "unit");
    let rows = table.body["rows"].as_array().expect("rows");
    let row = |code: &str| {
        rows.iter()
            .find(|r| r["code"] == code)
            .unwrap_or_else(|| panic!("no row {code}: {rows:?}"))
    };
    let cgw = row("cgw");
    assert_eq!(cgw["name"], "北京市城市管理委员会");
    assert_eq!(cgw["dispatched"], 1);
    assert_eq!(cgw["acknowledged_on_time"], 0);
    assert_eq!(cgw["valid_callbacks"], 1);
    assert_eq!(cgw["resolved"], 1);
    assert_eq!(cgw["satisfied"], 1);
    assert_eq!(cgw["response_rate"], 0.0);
    assert_eq!(cgw["resolution_rate"], 1.0);
    assert_eq!(row("heat")["dispatched"], 1);
    assert!(row("heat")["resolution_rate"].is_null());
    let ranks: Vec<u64> = rows
        .iter()
        .map(|r| r["rank"].as_u64().expect("rank"))
        .collect();
    assert_eq!(ranks, (1..=rows.len() as u64).collect::<Vec<_>>());
    let weighted = get(
        "/api/v1/reports/rates?month=2026-11&by=street&w_response=0&w_resolution=1&w_satisfaction=0",
    )
    .await;
    check_rates_table(&doc, &weighted.body);
    assert_eq!(weighted.body["by"], "street");
    assert_eq!(
        weighted.body["weights"],
        json!({"response": 0.0, "resolution": 1.0, "satisfaction": 0.0})
    );
    let street = &weighted.body["rows"][0];
    assert_eq!(street["code"], "110108007");
    assert_eq!(street["name"], "北下关街道");
    assert_eq!(street["dispatched"], 2);
    assert_eq!(street["composite"], 1.0);

    let documented = media_types(&doc, &doc["paths"]["/api/v1/reports/rates"]["get"], "200");
    let csv = get("/api/v1/reports/rates?month=2026-11&format=csv").await;
    assert_eq!(content_type(&csv.headers), "text/csv");
    assert!(documented.contains("text/csv"));
    assert_eq!(
        csv.headers["content-disposition"],
        "attachment; filename=\"rates-2026-11.csv\""
    );
    let text = csv.body.as_str().expect("CSV text");
    let csv_example = &doc["paths"]["/api/v1/reports/rates"]["get"]["responses"]["200"]["content"]
        ["text/csv"]["example"];
    let header = |s: &str| s.lines().next().unwrap_or_default().to_string();
    assert_eq!(
        header(text),
        header(csv_example.as_str().expect("CSV example"))
    );
    assert_eq!(text.lines().count(), rows.len() + 1);
    let xlsx = get("/api/v1/reports/rates?month=2026-11&format=xlsx").await;
    assert_eq!(content_type(&xlsx.headers), XLSX);
    assert!(documented.contains(XLSX));
    assert_eq!(
        xlsx.headers["content-disposition"],
        "attachment; filename=\"rates-2026-11.xlsx\""
    );
    assert!(
        xlsx.body.as_str().is_some_and(|b| b.starts_with("PK")),
        "a zip file"
    );
    let wrong = send(
        &t.app,
        Method::GET,
        "/api/v1/reports/rates?format=pdf",
        token,
        None,
        &[],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.body["error"]["field"], "format");
}

/// `allowed_actions` holds only actions the API takes (never the scanner's `check_time`).
#[tokio::test]
async fn allowed_actions_hold_only_api_actions() {
    let doc = document();
    let t = test_app().await;
    let token = Some(t.token.as_str());
    let intake = example(&doc, "/api/v1/tickets", "street_light");
    let created = send(
        &t.app,
        Method::POST,
        "/api/v1/tickets",
        token,
        Some(&intake),
        &[],
    )
    .await;
    let id = created.body["id"].as_str().expect("id").to_string();
    let dispatch = example(&doc, "/api/v1/tickets/{id}/dispatch", "street_light");
    let uri = format!("/api/v1/tickets/{id}/dispatch");
    let dispatched = send(&t.app, Method::POST, &uri, token, Some(&dispatch), &[]).await;
    assert_eq!(dispatched.status, StatusCode::OK, "{}", dispatched.body);
    let actions = strings(&dispatched.body["allowed_actions"]);
    assert!(actions.is_subset(&enum_of(&doc, "Action")), "{actions:?}");
    for action in actions {
        let uri = format!("/api/v1/tickets/{id}/{action}");
        let answer = send(&t.app, Method::POST, &uri, token, Some(&json!({})), &[]).await;
        assert_ne!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{action}: {}",
            answer.body
        );
    }
}

/// `DELETE /api/v1/auth/token` as documented: 204 with no body, and the token stops working.
#[tokio::test]
async fn sign_out_ends_the_token() {
    let doc = document();
    let t = test_app().await;
    let op = &doc["paths"]["/api/v1/auth/token"]["delete"];
    assert!(op["responses"].get("204").is_some());
    let token = Some(t.token.as_str());
    let me = send(&t.app, Method::GET, "/api/v1/me", token, None, &[]).await;
    assert_eq!(me.status, StatusCode::OK);
    let out = send(
        &t.app,
        Method::DELETE,
        "/api/v1/auth/token",
        token,
        None,
        &[],
    )
    .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(media_types(&doc, op, "204").contains(&content_type(&out.headers)));
    let again = send(&t.app, Method::GET, "/api/v1/me", token, None, &[]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

/// The knowledge base, the notice stream, the answer bot and the IVR through the documented
/// request examples: an editor writes the street-light entry and a heating draft, agents search
/// it, the editor updates it (pushed at once as a notice), versions and a diff are read, the
/// draft is published, a missing answer is filed and closed with the entry written for it, the
/// bot answers one citizen and hands another over to a work order, a PBX walks two calls through
/// the documented menu, the entry is retired and reactivated, and the reports count it all.
/// Every answer has the documented shape; where an answer example is exact, it is the answer.
#[tokio::test]
async fn request_examples_walk_the_knowledge_base_and_self_service() {
    let doc = document();
    let t = test_app().await;
    let editor = t.sign_in_as("kb-zhang", Role::Editor).await;
    let agent = t.sign_in_as("agent-li", Role::Agent).await;
    let pbx = t.sign_in_as("pbx", Role::Agent).await;
    let call = async |method: Method, uri: &str, token: Option<&str>, body: Option<&Value>| {
        if method == Method::GET {
            check_query(&doc, "get", uri);
        }
        send(&t.app, method, uri, token, body, &[]).await
    };
    let ok = async |method: Method, uri: &str, token: Option<&str>, body: Option<&Value>| {
        let answer = call(method.clone(), uri, token, body).await;
        assert!(
            answer.status.is_success(),
            "{method} {uri}: {} {}",
            answer.status,
            answer.body
        );
        answer.body
    };
    // An answer equals a documented example except for the instants and counts of this run.
    let like = |answer: &Value, example: &Value, skip: &[&str]| {
        let strip = |v: &Value| {
            let mut v = v.clone();
            if let Some(map) = v.as_object_mut() {
                for k in skip {
                    map.remove(*k);
                }
            }
            v
        };
        assert_eq!(strip(answer), strip(example));
    };
    let entry_path = "/api/v1/knowledge/entries/{id}";

    // An agent listens for notices.
    let listening = t
        .app
        .clone()
        .oneshot(
            Request::builder()
                .uri("/api/v1/notices")
                .header("authorization", format!("Bearer {agent}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(listening.status(), StatusCode::OK);
    let notices = &doc["paths"]["/api/v1/notices"]["get"];
    assert!(media_types(&doc, notices, "200").contains(&content_type(listening.headers())));
    let mut stream = listening.into_body();
    let notice = async |stream: &mut Body| {
        let (name, data) = next_event(stream).await;
        check_shape(schema(&doc, "Notice"), &data, "Notice");
        let inner = &schema(&doc, "Notice")["properties"]["data"];
        check_shape(inner, &data["data"], "Notice.data");
        assert!(enum_of(&doc, "NoticeKind").contains(&name), "{name}");
        assert_eq!(data["kind"], name.as_str());
        data
    };

    // The editor writes the street-light entry, in force at once: the documented answer.
    let body = example(&doc, "/api/v1/knowledge/entries", "street_light");
    let created = ok(
        Method::POST,
        "/api/v1/knowledge/entries",
        Some(&editor),
        Some(&body),
    )
    .await;
    check_entry(&doc, &created);
    let documented = response_example(
        &doc,
        "post",
        "/api/v1/knowledge/entries",
        "201",
        "street_light",
    );
    like(&created, &documented, &["changed_at"]);
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(id, "KB000001");
    let pushed = notice(&mut stream).await;
    assert_eq!(pushed["kind"], "entry.created");
    assert_eq!(pushed["data"]["id"], id.as_str());
    let uri = |path: &str| path.replace("{id}", &id);

    // Agents find it in Chinese, highlighted.
    let found = ok(
        Method::GET,
        "/api/v1/knowledge/search?q=%E8%B7%AF%E7%81%AF&category=0102&limit=5",
        Some(&agent),
        None,
    )
    .await;
    check_shape(schema(&doc, "SearchResult"), &found, "SearchResult");
    let hits = found["items"].as_array().expect("items");
    hits.iter()
        .for_each(|h| check_shape(schema(&doc, "SearchHit"), h, "SearchHit"));
    assert_eq!(hits[0]["id"], id.as_str());
    assert!(
        hits[0]["title_html"]
            .as_str()
            .expect("title")
            .contains("<mark>")
    );
    let list = ok(
        Method::GET,
        "/api/v1/knowledge/entries?status=active&category=0102&limit=10&offset=0",
        Some(&agent),
        None,
    )
    .await;
    check_shape(schema(&doc, "EntryList"), &list, "EntryList");
    assert_eq!(list["total"], 1);
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .for_each(|e| check_entry(&doc, e));

    // The editor updates it: one version on, pushed at once, searchable by the new words.
    let update = example_of(&doc, "put", entry_path, "street_light");
    let updated = ok(Method::PUT, &uri(entry_path), Some(&editor), Some(&update)).await;
    check_entry(&doc, &updated);
    let documented = response_example(&doc, "put", entry_path, "200", "updated");
    like(&updated, &documented, &["changed_at", "uses"]);
    let pushed = notice(&mut stream).await;
    assert_eq!(pushed["kind"], "entry.updated");
    assert_eq!(pushed["data"]["version"], 2);
    let shown = ok(Method::GET, &uri(entry_path), Some(&agent), None).await;
    check_entry(&doc, &shown);
    assert_eq!(shown, updated);
    // The same edit again is stale.
    let stale = call(Method::PUT, &uri(entry_path), Some(&editor), Some(&update)).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["error"]["code"], "conflict");

    // Its versions, the first one, and what changed.
    let versions_path = "/api/v1/knowledge/entries/{id}/versions";
    let versions = ok(Method::GET, &uri(versions_path), Some(&agent), None).await;
    check_shape(
        schema(&doc, "EntryVersionList"),
        &versions,
        "EntryVersionList",
    );
    let items = versions["items"].as_array().expect("items");
    items.iter().for_each(|v| {
        check_shape(
            schema(&doc, "EntryVersionSummary"),
            v,
            "EntryVersionSummary",
        )
    });
    let documented = response_example(&doc, "get", versions_path, "200", "street_light");
    assert_eq!(items.len(), 2);
    for (real, documented) in items
        .iter()
        .zip(documented["items"].as_array().expect("items"))
    {
        like(real, documented, &["changed_at"]);
    }
    let first = ok(
        Method::GET,
        &format!("{}/1", uri(versions_path)),
        Some(&agent),
        None,
    )
    .await;
    check_entry(&doc, &first);
    let documented = response_example(
        &doc,
        "get",
        "/api/v1/knowledge/entries/{id}/versions/{version}",
        "200",
        "first",
    );
    like(&first, &documented, &["changed_at"]);
    let diff_path = "/api/v1/knowledge/entries/{id}/diff";
    let changes = ok(
        Method::GET,
        &format!("{}?from=1&to=2", uri(diff_path)),
        Some(&agent),
        None,
    )
    .await;
    check_shape(schema(&doc, "EntryDiff"), &changes, "EntryDiff");
    assert_eq!(
        changes,
        response_example(&doc, "get", diff_path, "200", "street_light")
    );
    let by_default = ok(Method::GET, &uri(diff_path), Some(&agent), None).await;
    assert_eq!(by_default, changes, "the last change by default");

    // A draft, published with the documented body.
    let draft = example(&doc, "/api/v1/knowledge/entries", "heating_draft");
    let heating = ok(
        Method::POST,
        "/api/v1/knowledge/entries",
        Some(&editor),
        Some(&draft),
    )
    .await;
    check_entry(&doc, &heating);
    assert_eq!(heating["status"], "draft");
    // A draft is not announced to agents: the next notice is its publication.
    let publish_path = "/api/v1/knowledge/entries/{id}/publish";
    let publish = example(&doc, publish_path, "heating_draft");
    let heating_id = heating["id"].as_str().expect("id");
    let published = ok(
        Method::POST,
        &publish_path.replace("{id}", heating_id),
        Some(&editor),
        Some(&publish),
    )
    .await;
    check_entry(&doc, &published);
    let documented = response_example(&doc, "post", publish_path, "200", "example");
    like(&published, &documented, &["changed_at"]);
    assert_eq!(notice(&mut stream).await["kind"], "entry.published");
    // Only drafts are published.
    let again = call(
        Method::POST,
        &publish_path.replace("{id}", heating_id),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"]["code"], "not_allowed_in_status");

    // An agent files a missing answer; the editor writes the entry for it and closes it.
    let filing = example(&doc, "/api/v1/knowledge/missing", "vaccine");
    let filed = call(
        Method::POST,
        "/api/v1/knowledge/missing",
        Some(&agent),
        Some(&filing),
    )
    .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    check_shape(schema(&doc, "MissingAnswer"), &filed.body, "MissingAnswer");
    let queue = ok(
        Method::GET,
        "/api/v1/knowledge/missing?status=open&limit=10",
        Some(&editor),
        None,
    )
    .await;
    check_shape(
        schema(&doc, "MissingAnswerList"),
        &queue,
        "MissingAnswerList",
    );
    assert_eq!(queue["items"][0]["question"], filing["question"]);
    check_shape(
        schema(&doc, "MissingAnswer"),
        &queue["items"][0],
        "MissingAnswer",
    );
    let written = example(&doc, "/api/v1/knowledge/entries", "vaccine");
    let vaccine = ok(
        Method::POST,
        "/api/v1/knowledge/entries",
        Some(&editor),
        Some(&written),
    )
    .await;
    notice(&mut stream).await;
    let close_path = "/api/v1/knowledge/missing/{id}/close";
    let close = example(&doc, close_path, "vaccine");
    assert_eq!(
        close["entry_id"], vaccine["id"],
        "the example closes with it"
    );
    let item = filed.body["id"].to_string();
    let closed = ok(
        Method::POST,
        &close_path.replace("{id}", &item),
        Some(&editor),
        Some(&close),
    )
    .await;
    check_shape(schema(&doc, "MissingAnswer"), &closed, "MissingAnswer");
    assert_eq!(closed["entry_id"], vaccine["id"]);
    assert!(closed["closed_at"].is_string());

    // The bot, without signing in: it answers one citizen from the entry in force ...
    let asked = example(&doc, "/api/v1/answer", "street_light");
    let answered = ok(Method::POST, "/api/v1/answer", None, Some(&asked)).await;
    check_shape(schema(&doc, "AnswerResult"), &answered, "AnswerResult");
    answered["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .for_each(|a| check_shape(schema(&doc, "BotAnswer"), a, "BotAnswer"));
    assert_eq!(answered["answered"], true, "{answered}");
    let documented = response_example(&doc, "post", "/api/v1/answer", "200", "answered");
    assert_eq!(answered["answers"][0], documented["answers"][0]);
    assert!(answered["handover"].is_null());
    // ... and hands another over, keeping what they typed for the work order they file.
    let asked = example(&doc, "/api/v1/answer", "barbecue");
    let unsure = ok(Method::POST, "/api/v1/answer", None, Some(&asked)).await;
    check_shape(schema(&doc, "AnswerResult"), &unsure, "AnswerResult");
    assert_eq!(unsure["answered"], false, "{unsure}");
    let handover = &unsure["handover"];
    check_shape(schema(&doc, "Handover"), handover, "Handover");
    let options = handover["options"].as_array().expect("options");
    options
        .iter()
        .for_each(|o| check_shape(schema(&doc, "HandoverOption"), o, "HandoverOption"));
    let documented = response_example(&doc, "post", "/api/v1/answer", "200", "handed_over");
    assert_eq!(handover["message"], documented["handover"]["message"]);
    assert_eq!(
        options[1]["draft"],
        documented["handover"]["options"][1]["draft"]
    );
    let href = options[1]["href"].as_str().expect("href");
    assert_eq!(
        href,
        concrete(
            "/api/v1/answer/{id}/ticket",
            unsure["id"].as_str().expect("id")
        )
    );
    let filing = example(&doc, "/api/v1/answer/{id}/ticket", "barbecue");
    let filed = call(Method::POST, href, None, Some(&filing)).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    check_shape(schema(&doc, "AnswerTicket"), &filed.body, "AnswerTicket");
    let ticket = ok(
        Method::GET,
        &format!(
            "/api/v1/tickets/{}",
            filed.body["ticket_id"].as_str().expect("id")
        ),
        Some(&agent),
        None,
    )
    .await;
    assert_eq!(ticket["content"], asked["question"]);
    assert_eq!(ticket["channel"], "wechat");
    let twice = call(Method::POST, href, None, Some(&filing)).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // The IVR menu: saved by the editor, read by every role.
    let menu = example_of(&doc, "put", "/api/v1/ivr/menu", "hotline");
    let saved = ok(Method::PUT, "/api/v1/ivr/menu", Some(&editor), Some(&menu)).await;
    check_shape(schema(&doc, "IvrMenuVersion"), &saved, "IvrMenuVersion");
    assert_eq!(
        saved,
        response_example(&doc, "put", "/api/v1/ivr/menu", "200", "hotline")
    );
    let in_force = ok(Method::GET, "/api/v1/ivr/menu", Some(&agent), None).await;
    assert_eq!(
        in_force,
        response_example(&doc, "get", "/api/v1/ivr/menu", "200", "hotline")
    );

    // A PBX walks the documented call: policy questions, the street-light answer, hang up.
    let start = example(&doc, "/api/v1/ivr/calls", "hotline");
    let started = call(Method::POST, "/api/v1/ivr/calls", Some(&pbx), Some(&start)).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    check_step(&doc, &started.body);
    assert_eq!(
        started.body,
        response_example(&doc, "post", "/api/v1/ivr/calls", "201", "hotline")
    );
    let call_id = start["call_id"].as_str().expect("call_id");
    let keys_path = "/api/v1/ivr/calls/{id}/keys";
    let press = async |call_id: &str, key: &Value| {
        let step = ok(
            Method::POST,
            &keys_path.replace("{id}", call_id),
            Some(&pbx),
            Some(key),
        )
        .await;
        check_step(&doc, &step);
        step
    };
    let key = example(&doc, keys_path, "policy");
    let menu_step = press(call_id, &key).await;
    assert_eq!(
        menu_step,
        response_example(&doc, "post", keys_path, "200", "menu")
    );
    let answer_step = press(call_id, &key).await;
    assert_eq!(
        answer_step,
        response_example(&doc, "post", keys_path, "200", "answer")
    );
    let hangup_path = "/api/v1/ivr/calls/{id}/hangup";
    let bye = ok(
        Method::POST,
        &hangup_path.replace("{id}", call_id),
        Some(&pbx),
        None,
    )
    .await;
    check_shape(schema(&doc, "IvrHangup"), &bye, "IvrHangup");
    assert_eq!(
        bye,
        response_example(&doc, "post", hangup_path, "200", "served")
    );
    let ended = call(
        Method::POST,
        &keys_path.replace("{id}", call_id),
        Some(&pbx),
        Some(&key),
    )
    .await;
    assert_eq!(ended.status, StatusCode::CONFLICT);
    assert_eq!(ended.body["error"]["code"], "conflict");

    // A second call leaves the documented message: a work order with the caller's number.
    let mut second = start.clone();
    second["call_id"] = json!(format!("{call_id}-2"));
    let second_id = second["call_id"].as_str().expect("call_id");
    let started = call(Method::POST, "/api/v1/ivr/calls", Some(&pbx), Some(&second)).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let record = press(second_id, &json!({"key": "9"})).await;
    let mut documented = response_example(&doc, "post", keys_path, "200", "message");
    documented["call_id"] = json!(second_id);
    assert_eq!(record, documented);
    let message_path = "/api/v1/ivr/calls/{id}/message";
    let message = example(&doc, message_path, "street_light");
    let done = ok(
        Method::POST,
        &message_path.replace("{id}", second_id),
        Some(&pbx),
        Some(&message),
    )
    .await;
    check_step(&doc, &done);
    assert_eq!(done["action"], "hangup");
    assert!(done["node"].is_null());
    let ticket = ok(
        Method::GET,
        &format!(
            "/api/v1/tickets/{}",
            done["ticket_id"].as_str().expect("id")
        ),
        Some(&agent),
        None,
    )
    .await;
    assert_eq!(ticket["content"], message["text"]);
    assert_eq!(ticket["caller"]["phone"], start["caller_phone"]);
    assert_eq!(ticket["number"], done["number"]);

    // Retired, the entry leaves the search; reactivated, it is back.
    let retire_path = "/api/v1/knowledge/entries/{id}/retire";
    let retire = example(&doc, retire_path, "street_light");
    let retired = ok(
        Method::POST,
        &uri(retire_path),
        Some(&editor),
        Some(&retire),
    )
    .await;
    check_entry(&doc, &retired);
    let documented = response_example(&doc, "post", retire_path, "200", "example");
    like(&retired, &documented, &["changed_at", "uses"]);
    assert_eq!(notice(&mut stream).await["kind"], "entry.retired");
    let gone = ok(
        Method::GET,
        "/api/v1/knowledge/search?q=%E8%B7%AF%E7%81%AF",
        Some(&agent),
        None,
    )
    .await;
    assert!(
        gone["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|h| h["id"] != id.as_str()),
        "{gone}"
    );
    let kept = ok(
        Method::GET,
        "/api/v1/knowledge/search?q=%E8%B7%AF%E7%81%AF&status=active%2Cretired",
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(kept["items"][0]["id"], id.as_str());
    let reactivate_path = "/api/v1/knowledge/entries/{id}/reactivate";
    let reactivate = example(&doc, reactivate_path, "street_light");
    let back = ok(
        Method::POST,
        &uri(reactivate_path),
        Some(&editor),
        Some(&reactivate),
    )
    .await;
    check_entry(&doc, &back);
    let documented = response_example(&doc, "post", reactivate_path, "200", "example");
    like(&back, &documented, &["changed_at", "uses"]);
    assert_eq!(notice(&mut stream).await["kind"], "entry.reactivated");

    // The reports count it all.
    let report = ok(
        Method::GET,
        "/api/v1/reports/self-service",
        Some(&editor),
        None,
    )
    .await;
    check_shape(
        schema(&doc, "SelfServiceReport"),
        &report,
        "SelfServiceReport",
    );
    for part in ["ivr", "bot"] {
        check_shape(schema(&doc, "SelfServiceFigures"), &report[part], part);
    }
    assert_eq!(report["ivr"]["total"], 2);
    assert_eq!(
        report["ivr"]["by_outcome"],
        json!({"self_served": 1, "ticket": 1})
    );
    for outcome in keys(&report["ivr"]["by_outcome"]) {
        assert!(enum_of(&doc, "CallOutcome").contains(&outcome), "{outcome}");
    }
    assert_eq!(
        report["bot"]["by_outcome"],
        json!({"answered": 1, "ticket": 1})
    );
    assert_eq!(report["bot"]["self_served_share"], 0.5);
    let today = report["to"].as_str().expect("to").to_string();
    let changes = ok(
        Method::GET,
        &format!("/api/v1/reports/knowledge?from={today}&to={today}"),
        Some(&editor),
        None,
    )
    .await;
    check_shape(schema(&doc, "KnowledgeReport"), &changes, "KnowledgeReport");
    check_shape(
        &schema(&doc, "KnowledgeReport")["properties"]["changes"],
        &changes["changes"],
        "KnowledgeReport.changes",
    );
    assert_eq!(
        changes["changes"],
        json!({"created": 3, "updated": 1, "published": 1, "retired": 1, "reactivated": 1})
    );
    let wrong = call(
        Method::GET,
        "/api/v1/reports/knowledge?from=2026-11-24&to=2026-11-23",
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.body["error"]["field"], "from");
}

/// Every documented JSON answer example of a 2xx response has the documented shape.
#[test]
fn every_answer_example_has_its_schema_shape() {
    let doc = document();
    let mut checked = 0;
    for (path, method, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().expect("responses") {
            if !status.starts_with('2') {
                continue;
            }
            let content = &deref(&doc, response)["content"]["application/json"];
            let schema = deref(&doc, &content["schema"]);
            if schema.get("properties").is_none() {
                continue;
            }
            let examples = content["examples"]
                .as_object()
                .into_iter()
                .flat_map(|e| e.iter().map(|(n, e)| (n.clone(), e["value"].clone())))
                .chain(
                    content
                        .get("example")
                        .map(|e| ("example".into(), e.clone())),
                );
            for (name, value) in examples {
                check_shape(schema, &value, &format!("{method} {path} {status} {name}"));
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} examples");
}

/// A routing as answered has the documented shape, each rule considered too.
fn check_routing(doc: &Value, routing: &Value, what: &str) {
    check_shape(schema(doc, "Routing"), routing, what);
    let outcomes = enum_of(doc, "RuleOutcome");
    let kinds = enum_of(doc, "RuleKind");
    let item = &schema(doc, "Routing")["properties"]["considered"]["items"];
    for c in routing["considered"].as_array().expect("considered") {
        check_shape(item, c, &format!("{what}.considered"));
        assert!(outcomes.contains(c["outcome"].as_str().expect("outcome")));
        assert!(kinds.contains(c["kind"].as_str().expect("kind")));
    }
}

/// The dispatch answers follow the document: the rules and their versions, the explanation,
/// an automatic dispatch, the queues, a consultation and the return report.
#[tokio::test]
async fn dispatch_rules_queues_and_reports_follow_the_document() {
    let doc = document();
    let t = test_app().await;
    let token = Some(t.token.as_str());
    let call = async |method: Method, uri: &str, body: Option<&Value>| {
        let answer = send(&t.app, method.clone(), uri, token, body, &[]).await;
        assert!(
            answer.status.is_success(),
            "{method} {uri}: {}",
            answer.body
        );
        answer.body
    };

    let rules = call(Method::GET, "/api/v1/dispatch/rules", None).await;
    check_shape(schema(&doc, "RuleSet"), &rules, "RuleSet");
    let scene_rule = schema(&doc, "SceneRule");
    for s in rules["scenes"].as_array().expect("scenes") {
        check_shape(scene_rule, s, "SceneRule");
    }
    let explain = example(&doc, "/api/v1/dispatch/explain", "street_light");
    let e = call(Method::POST, "/api/v1/dispatch/explain", Some(&explain)).await;
    check_shape(schema(&doc, "ExplainAnswer"), &e, "ExplainAnswer");
    check_shape(schema(&doc, "SceneReading"), &e["scene"], "SceneReading");
    check_routing(&doc, &e["routing"], "ExplainAnswer.routing");
    let documented = response_example(&doc, "post", "/api/v1/dispatch/explain", "200", "");
    assert_eq!(
        documented["routing"]["lead_unit"],
        e["routing"]["lead_unit"]
    );
    check_shape(schema(&doc, "ExplainAnswer"), &documented, "example");

    let body = example_of(&doc, "put", "/api/v1/dispatch/rules", "street_light");
    check_shape(schema(&doc, "RuleSetBody"), &body, "RuleSetBody");
    let v2 = call(Method::PUT, "/api/v1/dispatch/rules", Some(&body)).await;
    check_shape(schema(&doc, "RuleSet"), &v2, "RuleSet");
    check_shape(schema(&doc, "LeafRule"), &v2["leaves"][0], "LeafRule");
    check_shape(
        schema(&doc, "Responsibility"),
        &v2["responsibilities"][0],
        "Responsibility",
    );
    let versions = call(Method::GET, "/api/v1/dispatch/rules/versions", None).await;
    check_shape(
        schema(&doc, "RuleSetVersions"),
        &versions,
        "RuleSetVersions",
    );
    let version = &schema(&doc, "RuleSetVersions")["properties"]["items"]["items"];
    for v in versions["items"].as_array().expect("items") {
        check_shape(version, v, "RuleSetVersions.items");
    }

    // The street-light example names a road: with the switch on it goes out at once.
    let intake = example(&doc, "/api/v1/tickets", "street_light");
    let created = call(Method::POST, "/api/v1/tickets", Some(&intake)).await;
    check_ticket(&doc, &created);
    assert_eq!(created["status"], "dispatched", "{created}");
    check_shape(schema(&doc, "RoutedBy"), &created["routed_by"], "RoutedBy");
    let mut doubtful = intake.clone();
    doubtful["title"] = json!("路灯不亮");
    doubtful["content"] = json!("路灯不亮，晚上很黑");
    doubtful["address"] = json!("北下关");
    let waiting = call(Method::POST, "/api/v1/tickets", Some(&doubtful)).await;
    assert_eq!(waiting["status"], "received");
    let queue = call(Method::GET, "/api/v1/dispatch/queue", None).await;
    check_shape(schema(&doc, "DispatchQueue"), &queue, "DispatchQueue");
    let item = &schema(&doc, "DispatchQueue")["properties"]["items"]["items"];
    for i in queue["items"].as_array().expect("items") {
        check_shape(item, i, "DispatchQueue.items");
        check_ticket(&doc, &i["ticket"]);
        check_routing(&doc, &i["routing"], "DispatchQueue.routing");
    }

    // 一件多诉: the same street light reported again is proposed, in the queue and on its own.
    let again = call(Method::POST, "/api/v1/tickets", Some(&doubtful)).await;
    let queue = call(Method::GET, "/api/v1/dispatch/queue", None).await;
    let mut proposed = 0;
    for i in queue["items"].as_array().expect("items") {
        check_shape(item, i, "DispatchQueue.items");
        if !i["duplicate"].is_null() {
            proposed += 1;
            let dup = &item["properties"]["duplicate"]["oneOf"][0];
            check_shape(dup, &i["duplicate"], "DispatchQueue.duplicate");
            check_shape(
                schema(&doc, "DuplicateProposal"),
                &i["duplicate"]["best"],
                "best",
            );
            check_shape(
                schema(&doc, "MergeMaster"),
                &i["duplicate"]["master"],
                "master",
            );
        }
    }
    assert!(proposed >= 2, "{queue}");
    let again_id = again["id"].as_str().expect("id");
    let dups = call(
        Method::GET,
        &format!("/api/v1/tickets/{again_id}/duplicates"),
        None,
    )
    .await;
    check_shape(schema(&doc, "Duplicates"), &dups, "Duplicates");
    check_shape(
        schema(&doc, "MergeMaster"),
        &dups["master"],
        "Duplicates.master",
    );
    // The oldest of the street lights proposed is the master.
    assert!(
        [&created["id"], &waiting["id"]].contains(&&dups["master"]["id"]),
        "{dups}"
    );
    for p in dups["proposals"].as_array().expect("proposals") {
        check_shape(schema(&doc, "DuplicateProposal"), p, "Duplicates.proposals");
    }
    let documented = response_example(
        &doc,
        "get",
        "/api/v1/tickets/{id}/duplicates",
        "200",
        "street_light",
    );
    check_shape(
        schema(&doc, "Duplicates"),
        &documented,
        "Duplicates example",
    );

    let id = waiting["id"].as_str().expect("id");
    let act = async |action: &str, body: Value| {
        let ticket = call(
            Method::POST,
            &format!("/api/v1/tickets/{id}/{action}"),
            Some(&body),
        )
        .await;
        check_ticket(&doc, &ticket);
        ticket
    };
    act("dispatch", json!({"lead_unit": "cgw"})).await;
    act("return", json!({"reason": "在小区内"})).await;
    let consult = example(&doc, "/api/v1/tickets/{id}/consult", "street_light");
    act("consult", consult).await;
    let returns = call(Method::GET, "/api/v1/dispatch/returns", None).await;
    check_shape(schema(&doc, "ReturnQueue"), &returns, "ReturnQueue");
    let item = &schema(&doc, "ReturnQueue")["properties"]["items"]["items"];
    let first = &returns["items"][0];
    check_shape(item, first, "ReturnQueue.items");
    check_shape(schema(&doc, "RoutedBy"), &first["routed_by"], "RoutedBy");
    check_routing(&doc, &first["redispatch"], "ReturnQueue.redispatch");
    act(
        "review",
        json!({"decision": "uphold", "redispatch_to": "110108007", "flag_rule": true}),
    )
    .await;
    let detail = call(Method::GET, &format!("/api/v1/tickets/{id}"), None).await;
    check_events(&doc, &detail["events"]);

    check_query(
        &doc,
        "get",
        "/api/v1/reports/returns?from=2020-01-01&to=2020-12-31",
    );
    let today = t
        .state
        .clock
        .now()
        .with_timezone(&jiesu_core::china_offset());
    let report = call(
        Method::GET,
        &format!("/api/v1/reports/returns?to={}", today.format("%Y-%m-%d")),
        None,
    )
    .await;
    check_shape(schema(&doc, "ReturnReport"), &report, "ReturnReport");
    for row in report["by_unit"].as_array().expect("by_unit") {
        check_shape(schema(&doc, "ReturnRow"), row, "ReturnRow");
    }
    assert!(report["by_rule"].as_array().expect("by_rule").len() >= 2);
    let documented = response_example(&doc, "get", "/api/v1/reports/returns", "200", "");
    check_shape(schema(&doc, "ReturnReport"), &documented, "example");
}
