//! The pages' sign-in through the real app: the session cookie opens the pages the role may
//! open and the JSON API, a page of another role answers a 403 page, a state-changing request
//! carrying the cookie from another site is refused, and assets are served with cache headers.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jiesu_core::Role;
use jiesu_server::{AppState, SystemClock, app};
use jiesu_store::DynStore;
use std::sync::Arc;
use tower::ServiceExt;

mod common;

const USERS: &[common::TestUser] = &[
    ("agent", Role::Agent, None),
    ("bxg", Role::Unit, Some("110108007")),
];

async fn send(
    state: &AppState,
    req: axum::http::request::Builder,
    body: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app(state.clone())
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn get(path: &str, session: Option<&str>) -> axum::http::request::Builder {
    let req = Request::builder()
        .uri(path)
        .header(header::HOST, "jiesu.test");
    match session {
        Some(t) => req.header(
            header::COOKIE,
            format!("jiesu_lang=zh-CN; jiesu_session={t}"),
        ),
        None => req,
    }
}

#[tokio::test]
async fn the_session_cookie_opens_the_roles_pages_and_the_api_from_this_site_only() {
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore =
        Arc::new(common::open_store(&dir.path().join("jiesu.db"), true, USERS).await);
    let state = AppState::new(store.clone(), Arc::new(SystemClock))
        .await
        .unwrap();
    let tokens = common::tokens(&store, USERS).await;

    // Not signed in: to the sign-in page, which comes back here.
    let (status, headers, _) = send(&state, get("/agent?phone=13812341234", None), "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/login?next=%2Fagent%3Fphone%3D13812341234"
    );

    let (status, _, body) = send(&state, get("/agent", Some(&tokens["agent"])), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("agent · 话务员"), "the header names the user");
    assert!(
        body.contains("href=\"/agent\"") && !body.contains("href=\"/unit\""),
        "only the agent's pages in the navigation"
    );

    let (status, headers, body) = send(&state, get("/agent", Some(&tokens["bxg"])), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(body.contains("无权访问"), "{body}");

    // The API takes the cookie: reads anyway, changes only from this site.
    let (status, _, body) = send(&state, get("/api/v1/me", Some(&tokens["agent"])), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let assist = |origin: &str| {
        get("/api/v1/assist", Some(&tokens["agent"]))
            .method("POST")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json")
    };
    let text = r#"{"text":"北下关街道路灯不亮"}"#;
    let (status, _, body) = send(&state, assist("https://evil.example"), text).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = send(&state, assist("http://jiesu.test"), text).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Unknown pages are pages; unknown API paths stay JSON.
    let (status, _, body) = send(&state, get("/nowhere", None), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("页面不存在"));
    let (status, _, body) = send(&state, get("/api/v1/nowhere", None), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("\"not_found\""), "{body}");

    let (status, headers, body) = send(&state, get("/assets/app.css", None), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(body.contains(":focus-visible"));
}
