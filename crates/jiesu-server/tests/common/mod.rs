//! What the server's integration tests share: a real SQLite file with Beijing's reference data
//! and the test's users, their bearer tokens, and one request through the real app.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiesu_core::Role;
use jiesu_server::{AppState, app};
use jiesu_store::{DynStore, Reference, SqliteStore, Store, User};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use tower::ServiceExt;

/// A test user: name, role and the unit of a unit user.
pub type TestUser = (&'static str, Role, Option<&'static str>);

/// Opens the database at `path`; when `fresh`, loads Beijing's reference data and `users`.
pub async fn open_store(path: &Path, fresh: bool, users: &[TestUser]) -> SqliteStore {
    let store = SqliteStore::open(path).await.unwrap();
    if fresh {
        let city = jiesu_reference::beijing();
        store
            .replace_reference(&Reference {
                divisions: city.divisions,
                units: city.units,
                catalog: city.catalog,
            })
            .await
            .unwrap();
        for (name, role, unit) in users {
            store
                .create_user(&User {
                    name: name.to_string(),
                    role: *role,
                    unit: unit.map(String::from),
                    password_hash: "unused".into(),
                })
                .await
                .unwrap();
        }
    }
    store
}

/// A new bearer token for each user, by name.
pub async fn tokens(store: &DynStore, users: &[TestUser]) -> BTreeMap<&'static str, String> {
    let mut tokens = BTreeMap::new();
    for (name, _, _) in users {
        let (token, hash) = jiesu_server::auth::new_token();
        store.add_token(&hash, name).await.unwrap();
        tokens.insert(*name, token);
    }
    tokens
}

/// A request, with a bearer token and a JSON body when given.
pub fn request(
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

/// Sends one request through the real app; the status and the JSON answer (Null when none).
pub async fn send(
    state: &AppState,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let resp = app(state.clone())
        .oneshot(request(token, method, path, body))
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// An instant given in Beijing time, November 2026.
pub fn beijing(day: u32, hour: u32, minute: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// A running app on a database file, its virtual clock and its users' tokens.
pub struct World {
    pub state: AppState,
    pub store: DynStore,
    pub clock: std::sync::Arc<jiesu_server::ManualClock>,
    pub tokens: BTreeMap<&'static str, String>,
    /// The temporary folder of [`World::fresh`], removed when the world is dropped.
    pub dir: Option<tempfile::TempDir>,
}

impl World {
    /// The app on a new database in a temporary folder, with `users`.
    pub async fn fresh(users: &[TestUser], now: chrono::DateTime<chrono::Utc>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut world = World::open(&dir.path().join("jiesu.db"), true, users, now).await;
        world.dir = Some(dir);
        world
    }

    /// The app on the database at `path` (fresh: with reference data and `users`), its clock
    /// standing at `now`.
    pub async fn open(
        path: &Path,
        fresh: bool,
        users: &[TestUser],
        now: chrono::DateTime<chrono::Utc>,
    ) -> World {
        let store: DynStore = std::sync::Arc::new(open_store(path, fresh, users).await);
        let clock = std::sync::Arc::new(jiesu_server::ManualClock::new(now));
        let state = AppState::new(store.clone(), clock.clone()).await.unwrap();
        let tokens = tokens(&store, users).await;
        World {
            state,
            store,
            clock,
            tokens,
            dir: None,
        }
    }

    /// `POST /api/v1/tickets/{id}/{action}` as `user`: the status and the answer.
    pub async fn try_act(
        &self,
        user: &str,
        id: &(impl AsId + ?Sized),
        action: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let path = format!("/api/v1/tickets/{}/{action}", id.as_id());
        self.call(user, "POST", &path, Some(body)).await
    }

    /// The same, which must succeed: the ticket after it.
    pub async fn act(
        &self,
        user: &str,
        id: &(impl AsId + ?Sized),
        action: &str,
        body: Value,
    ) -> Value {
        let (status, t) = self.try_act(user, id, action, body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {t}");
        t
    }

    /// A GET as `user` that must answer 200: the answer.
    pub async fn get_ok(&self, user: &str, path: &str) -> Value {
        let (status, v) = self.call(user, "GET", path, None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    /// The agent records a ticket, which must succeed: the ticket.
    pub async fn create(&self, body: Value) -> Value {
        let (status, t) = self
            .call("agent", "POST", "/api/v1/tickets", Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        t
    }

    /// Sends one request as `user`.
    pub async fn call(
        &self,
        user: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        send(&self.state, Some(&self.tokens[user]), method, path, body).await
    }
}

/// A ticket id as tests hold it: a string, or the `id` field of an answer.
pub trait AsId {
    fn as_id(&self) -> &str;
}

impl AsId for str {
    fn as_id(&self) -> &str {
        self
    }
}

impl AsId for String {
    fn as_id(&self) -> &str {
        self
    }
}

impl AsId for Value {
    fn as_id(&self) -> &str {
        self.as_str().expect("an id")
    }
}

/// The next server-sent event on an open stream: its name and its data as JSON.
pub async fn next_event(body: &mut Body) -> (String, Value) {
    let mut text = String::new();
    loop {
        if let Some((event, rest)) = text.split_once("\n\n") {
            let mut name = String::new();
            let mut data = String::new();
            for line in event.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = n.trim().to_string();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim());
                }
            }
            if !name.is_empty() {
                return (name, serde_json::from_str(&data).expect("JSON data"));
            }
            text = rest.to_string();
            continue;
        }
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
            .await
            .expect("an event within five seconds")
            .expect("the stream is open")
            .expect("a frame");
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).expect("UTF-8"));
        }
    }
}

/// The element of the JSON array `list` whose `field` is `value`; the test fails without one.
pub fn find<'a>(list: &'a Value, field: &str, value: &str) -> &'a Value {
    list.as_array()
        .into_iter()
        .flatten()
        .find(|e| e[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value} in {list}"))
}
