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

    // Signing in through the form sets the cookie, HttpOnly and SameSite=Strict, and goes on
    // to the page asked for; a sign-in posted from another site is refused.
    store
        .create_user(&jiesu_store::User {
            name: "clerk".into(),
            role: Role::Agent,
            unit: None,
            password_hash: jiesu_server::auth::hash_password("s3cret-pass").unwrap(),
        })
        .await
        .unwrap();
    let form = "name=clerk&password=s3cret-pass&next=%2Fagent%3Fphone%3D1";
    let login = |origin: &str| {
        Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::HOST, "jiesu.test")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
    };
    let (status, _, _) = send(&state, login("https://evil.example"), form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = send(&state, login("http://jiesu.test"), form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/agent?phone=1");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("jiesu_session=jsu_")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let wrong = "name=clerk&password=nope";
    let (status, headers, body) = send(&state, login("http://jiesu.test"), wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(body.contains("用户名或密码不正确"));

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

fn post_form(path: &str) -> axum::http::request::Builder {
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "jiesu.test")
        .header(header::ORIGIN, "http://jiesu.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The citizen form without JavaScript: a refused field comes back named with what was typed
/// kept; a street chosen is recorded, "I don't know" drops the street and keeps the typed
/// address; the order is found by number and phone, and not with another phone.
#[tokio::test]
async fn the_citizen_form_works_without_javascript() {
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore =
        Arc::new(common::open_store(&dir.path().join("jiesu.db"), true, USERS).await);
    let state = AppState::new(store.clone(), Arc::new(SystemClock))
        .await
        .unwrap();

    let (status, _, body) = send(&state, get("/", None), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("北下关街道") && body.contains("不清楚，我直接填写地址"));

    let short = encode(&[("content", "灯坏"), ("phone", "13800001111")]);
    let (status, _, body) = send(&state, post_form("/ask"), &short).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请至少写五个字"), "{body}");
    assert!(body.contains("13800001111"), "what was typed is kept");

    let no_phone = encode(&[("content", "小区门口路灯连续三晚不亮")]);
    let (status, _, body) = send(&state, post_form("/ask"), &no_phone).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("手机号"), "the phone is named: {body}");

    let with_street = encode(&[
        ("content", "小区门口路灯连续三晚不亮"),
        ("district", "110108"),
        ("street", "110108007"),
        ("address", "大柳树路口"),
        ("phone", "13800001111"),
    ]);
    let (status, headers, _) = send(&state, post_form("/ask"), &with_street).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let done = headers[header::LOCATION].to_str().unwrap().to_string();
    let number = done.strip_prefix("/ask/done/").unwrap().to_string();
    let ticket = store.ticket(&number).await.unwrap();
    assert_eq!(ticket.intake.street_code.as_deref(), Some("110108007"));
    assert_eq!(ticket.intake.district_code.as_deref(), Some("110108"));
    let (status, _, body) = send(&state, get(&done, None), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&number));

    let skipped = encode(&[
        ("content", "楼下餐馆油烟很大，窗户都不敢开"),
        ("district", "110108"),
        ("street", "110108007"),
        ("unknown", "1"),
        ("address", "朝阳区望京西园三区"),
        ("phone", "13800002222"),
    ]);
    let (status, headers, _) = send(&state, post_form("/ask"), &skipped).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let other = headers[header::LOCATION]
        .to_str()
        .unwrap()
        .replace("/ask/done/", "");
    let ticket = store.ticket(&other).await.unwrap();
    assert_eq!(
        ticket.intake.street_code, None,
        "the skipped choice is dropped"
    );
    assert_eq!(ticket.intake.address.as_deref(), Some("朝阳区望京西园三区"));

    let wrong = encode(&[("number", &number), ("phone", "13800002222")]);
    let (status, _, body) = send(&state, post_form("/track"), &wrong).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("没有找到") && !body.contains("小区门口路灯"));
    let right = encode(&[("number", &number), ("phone", "13800001111")]);
    let (status, _, body) = send(&state, post_form("/track"), &right).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("小区门口路灯连续三晚不亮") && body.contains("受理"),
        "{body}"
    );
}
