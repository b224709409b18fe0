//! The centre's work pages (dashboard, dispatcher, supervisor, knowledge-base editor) through
//! the real app: each opens for its roles only, the dashboard carries the server's clock, and
//! the third-party assets it draws with are served from the binary.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jiesu_core::Role;
use jiesu_server::{AppState, ManualClock, app};
use jiesu_store::DynStore;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tower::ServiceExt;

mod common;

const USERS: &[common::TestUser] = &[
    ("admin", Role::Admin, None),
    ("agent", Role::Agent, None),
    ("dispatcher", Role::Dispatcher, None),
    ("supervisor", Role::Supervisor, None),
    ("editor", Role::Editor, None),
    ("analyst", Role::Analyst, None),
    ("unit", Role::Unit, Some("cgw")),
];

struct World {
    state: AppState,
    tokens: BTreeMap<&'static str, String>,
    _dir: tempfile::TempDir,
}

async fn start() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(&dir.path().join("pages.db"), true, USERS).await;
    let store: DynStore = Arc::new(store);
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+08:00").unwrap();
    let clock = Arc::new(ManualClock::new(at.to_utc()));
    let state = AppState::new(store.clone(), clock).await.unwrap();
    let tokens = common::tokens(&store, USERS).await;
    World {
        state,
        tokens,
        _dir: dir,
    }
}

impl World {
    /// GET `path` signed in through the pages' cookie (or not at all): status, headers, body.
    async fn get(&self, user: Option<&str>, path: &str) -> (StatusCode, header::HeaderMap, String) {
        let mut req = Request::builder().uri(path);
        if let Some(u) = user {
            req = req.header(
                header::COOKIE,
                format!("{}={}", jiesu_server::auth::SESSION_COOKIE, self.tokens[u]),
            );
        }
        let resp = app(self.state.clone())
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }
}

#[tokio::test]
async fn each_work_page_opens_for_its_roles_and_refuses_the_others() {
    let w = start().await;
    let pages: &[(&str, &str, &[&str])] = &[
        (
            "/dashboard",
            "id=\"dashboard\"",
            &["analyst", "supervisor", "admin"],
        ),
        ("/dispatch", "id=\"dispatch\"", &["dispatcher", "admin"]),
        ("/supervise", "id=\"supervise\"", &["supervisor", "admin"]),
        ("/knowledge", "id=\"knowledge\"", &["editor", "admin"]),
        (
            "/reports",
            "id=\"reports\"",
            &["analyst", "supervisor", "dispatcher", "admin"],
        ),
    ];
    for (path, marker, allowed) in pages {
        let (status, headers, _) = w.get(None, path).await;
        assert!(status.is_redirection(), "{path} signed out: {status}");
        let to = headers[header::LOCATION].to_str().unwrap();
        assert!(to.starts_with("/login?next="), "{path} sends to {to}");
        for (user, _, _) in USERS {
            let (status, _, body) = w.get(Some(user), path).await;
            if allowed.contains(user) {
                assert_eq!(status, StatusCode::OK, "{user} opens {path}");
                assert!(body.contains(marker), "{path} for {user}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{user} is refused {path}");
                assert!(!body.contains(marker), "{path} leaks to {user}");
            }
        }
    }
    // The navigation offers a role its pages only.
    let (_, _, body) = w.get(Some("dispatcher"), "/dispatch").await;
    assert!(body.contains("href=\"/dispatch\""));
    assert!(
        !body.contains("href=\"/knowledge\""),
        "editor's page offered to a dispatcher"
    );
}

#[tokio::test]
async fn the_dashboard_shows_the_servers_now_or_the_moment_asked_for() {
    let w = start().await;
    let (status, _, body) = w.get(Some("analyst"), "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("data-now=\"2026-11-20T02:00:00Z\""),
        "server clock, UTC"
    );
    assert!(body.contains("data-at=\"\""));
    assert!(body.contains("/assets/vendor/echarts/echarts.min.js"));
    assert!(body.contains("/assets/dashboard.js"));

    let (_, _, body) = w
        .get(Some("analyst"), "/dashboard?at=2026-11-19T10:00:00%2B08:00")
        .await;
    assert!(body.contains("data-now=\"2026-11-19T02:00:00Z\""), "{body}");
    assert!(body.contains("data-at=\"2026-11-19T02:00:00Z\""));

    // A moment that is not one shows the present rather than failing.
    let (status, _, body) = w.get(Some("analyst"), "/dashboard?at=yesterday").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("data-now=\"2026-11-20T02:00:00Z\""));
}

#[tokio::test]
async fn echarts_and_the_districts_map_are_served_from_the_binary_with_their_licences() {
    let w = start().await;
    let (status, headers, js) = w.get(None, "/assets/vendor/echarts/echarts.min.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(js.contains("Apache License") && js.len() > 500_000);
    for licence in [
        "echarts/LICENSE",
        "echarts/NOTICE",
        "beijing/LICENSE",
        "README.md",
    ] {
        let (status, _, text) = w.get(None, &format!("/assets/vendor/{licence}")).await;
        assert_eq!(status, StatusCode::OK, "{licence}");
        assert!(!text.is_empty());
    }
    let (status, _, _) = w.get(None, "/assets/vendor/echarts/../../Cargo.toml").await;
    assert_ne!(status, StatusCode::OK);

    // The map's districts are the official ones, by code and name.
    let (status, _, geo) = w
        .get(None, "/assets/vendor/beijing/beijing-districts.geojson")
        .await;
    assert_eq!(status, StatusCode::OK);
    let geo: serde_json::Value = serde_json::from_str(&geo).unwrap();
    let on_map: BTreeSet<(String, String)> = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["code"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let official: BTreeSet<(String, String)> = w
        .state
        .reference
        .divisions
        .iter()
        .filter(|d| d.level == jiesu_core::DivisionLevel::District)
        .map(|d| (d.code.clone(), d.name.clone()))
        .collect();
    assert_eq!(on_map.len(), 16);
    assert_eq!(on_map, official);
}

#[tokio::test]
async fn the_reports_page_links_yesterdays_daily_report_which_opens_with_the_cookie() {
    let w = start().await;
    let (status, _, body) = w.get(Some("analyst"), "/reports").await;
    assert_eq!(status, StatusCode::OK);
    // The server's clock says 20 November in Beijing: yesterday is the 19th.
    let daily = "/api/v1/reports/daily?date=2026-11-19&amp;format=html&amp;lang=zh";
    assert!(body.contains(daily), "{body}");
    assert!(body.contains("/api/v1/reports/ranking?month=2026-11"));
    // The link works from the browser's session cookie.
    let (status, headers, report) = w.get(Some("analyst"), &daily.replace("&amp;", "&")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(report.contains("2026-11-19"));
    // A special report from the form left blank takes the period's top category.
    let (status, _, _) = w
        .get(
            Some("analyst"),
            "/api/v1/reports/special?format=html&lang=zh&term=&from=2026-11-13&to=2026-11-19",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
