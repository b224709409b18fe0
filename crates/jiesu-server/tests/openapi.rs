//! The OpenAPI document (`src/api/openapi.json`) checked against the code.
//!
//! The document is written by hand; these tests keep it honest. It is OpenAPI 3.1 and every
//! `$ref` resolves; every documented operation is routed, with the documented security, and
//! answers only documented statuses; every route and ticket action the code has is documented,
//! with the roles and statuses the core allows; the wire enums are the core's; and the request
//! examples are accepted by the real server, whose answers have the documented shape.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use jiesu_core::ticket::{CommandKind, TRANSITIONS};
use jiesu_core::{Channel, ReplyOutcome, ReviewDecision, Role, Satisfaction, Status, Urgency};
use jiesu_server::api::openapi::DOCUMENT;
use jiesu_server::auth::hash_password;
use jiesu_server::{AppState, SystemClock, app};
use jiesu_store::{DynStore, Reference, SqliteStore, Store, User};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

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
    }
}

/// The named example of an operation's request body.
fn example(doc: &Value, path: &str, name: &str) -> Value {
    let op = &doc["paths"][path]["post"];
    let body = deref(doc, &op["requestBody"]);
    body["content"]["application/json"]["examples"][name]["value"]
        .as_object()
        .map(|o| Value::Object(o.clone()))
        .unwrap_or_else(|| panic!("{path}: no request example '{name}'"))
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
    token: String,
    _dir: tempfile::TempDir,
}

const PASSWORD: &str = "correct horse battery staple";

/// The real application on a fresh database with Beijing's reference data and one admin,
/// signed in through the API.
async fn test_app() -> TestApp {
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
    let state = AppState::new(store, Arc::new(SystemClock))
        .await
        .expect("app state");
    let app = app(state);
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
/// without a token. Without one, exactly the operations documented as protected answer 401; and
/// every answer's status is one the operation documents.
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

    let ops = operations(&doc);
    assert!(ops.len() >= 23, "only {} operations", ops.len());
    for (path, method, op) in ops {
        let uri = path.replace("{id}", &id);
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
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }

    let role_names =
        |roles: &[Role]| -> Vec<String> { roles.iter().map(|r| r.as_str().to_string()).collect() };
    for kind in CommandKind::ALL.iter().copied() {
        if !kind.is_api_action() {
            let create = &paths["/api/v1/tickets"]["post"];
            assert_eq!(create["x-roles"], json!(role_names(kind.roles())));
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

    // Conversely, every documented action path names a real action.
    for path in paths.keys() {
        if let Some(action) = path.strip_prefix("/api/v1/tickets/{id}/") {
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
    let mut actions = names(CommandKind::ALL, CommandKind::as_str);
    actions.remove("receive");
    assert_eq!(enum_of(&doc, "Action"), actions);
}

/// The request examples, sent to the real server, walk tickets through every action; each answer
/// has the documented shape.
#[tokio::test]
async fn request_examples_walk_tickets_through_every_action() {
    let doc = document();
    let t = test_app().await;
    let token = Some(t.token.as_str());
    let intake = example(&doc, "/api/v1/tickets", "street_light");

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
