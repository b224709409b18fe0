//! The web pages, served by the same binary as the API: server-rendered HTML (askama templates
//! in `templates/`) with a little JavaScript, assets embedded and served at `/assets/…`.
//!
//! Sign-in (`/login`) puts the user's token in an HttpOnly, SameSite=Strict cookie that the
//! JSON API accepts too (see [`crate::auth::Principal`]), so a page's script calls `/api/v1`
//! directly. [`PageUser`] is the pages' extractor: not signed in → redirect to `/login`; a role
//! the page's row in [`PAGES`] does not list → 403 page. Every page's words come from
//! [`i18n::TABLE`] in Chinese first or English, switched by a cookie.
//!
//! To add a page: a module here with `routes()` merged in [`routes`]; a template in
//! `templates/` that `{% extends "base.html" %}` and has a `ctx: Ctx` field (`ctx.t("key")` for
//! words); its row in [`PAGES`] (the paths `/dispatch`, `/supervise`, `/dashboard` and
//! `/knowledge` are listed already) and a first line `user.allow("/path")?` in the handler;
//! its script or stylesheet in `assets/` and a row in [`assets::ASSETS`]; a browser test
//! script in `crates/jiesu/tests/browser/` with its `#[test]` in `browser.rs`, and a row in
//! `screenshots.mjs`.

pub mod agent;
pub mod assets;
pub mod citizen;
pub mod dashboard;
pub mod dispatch;
pub mod i18n;
pub mod knowledge;
pub mod reports;
pub mod supervise;
pub mod unit;
pub mod vendor;
pub mod words;

use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie, new_token, same_origin, user_for_token};
use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, body::Bytes};
use i18n::{Lang, tr};
use jiesu_core::Role;
use jiesu_store::{StoreError, User};
use serde::Deserialize;

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "jiesu_lang";

/// A page and the roles that may open it (admins open every page). The navigation shows a
/// user the pages their role may open, and [`PageUser::allow`] checks the same row.
pub struct PageDef {
    /// The path.
    pub path: &'static str,
    /// The label's key in [`i18n::TABLE`].
    pub label: &'static str,
    /// Who may open it; empty means everyone, signed in or not.
    pub roles: &'static [Role],
}

/// Every page, in the navigation's order.
pub const PAGES: &[PageDef] = &[
    PageDef {
        path: "/",
        label: "nav.ask",
        roles: &[],
    },
    PageDef {
        path: "/track",
        label: "nav.track",
        roles: &[],
    },
    PageDef {
        path: "/agent",
        label: "nav.agent",
        roles: &[Role::Agent],
    },
    PageDef {
        path: "/dispatch",
        label: "nav.dispatch",
        roles: &[Role::Dispatcher],
    },
    PageDef {
        path: "/supervise",
        label: "nav.supervise",
        roles: &[Role::Supervisor],
    },
    PageDef {
        path: "/unit",
        label: "nav.unit",
        roles: &[Role::Unit],
    },
    PageDef {
        path: "/dashboard",
        label: "nav.dashboard",
        // The analytics API it reads answers analysts and supervisors (and admins).
        roles: &[Role::Analyst, Role::Supervisor],
    },
    PageDef {
        path: "/knowledge",
        label: "nav.knowledge",
        roles: &[Role::Editor],
    },
    PageDef {
        path: "/reports",
        label: "nav.reports",
        // The roles `/api/v1/reports/*` answers (and admins).
        roles: &[Role::Analyst, Role::Supervisor, Role::Dispatcher],
    },
];

/// Whether `role` (or nobody, when `None`) may open the page at `path`. Unknown paths are
/// refused.
pub fn may_open(role: Option<Role>, path: &str) -> bool {
    let Some(page) = PAGES.iter().find(|p| p.path == path) else {
        return false;
    };
    page.roles.is_empty() || role.is_some_and(|r| r == Role::Admin || page.roles.contains(&r))
}

/// Routes of the pages, merged into the application at `/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang", get(switch_lang))
        .route("/assets/{file}", get(assets::serve))
        .route("/assets/vendor/{*path}", get(vendor::serve))
        .merge(citizen::routes())
        .merge(agent::routes())
        .merge(unit::routes())
        .merge(dashboard::routes())
        .merge(dispatch::routes())
        .merge(supervise::routes())
        .merge(knowledge::routes())
        .merge(reports::routes())
}

/// A link in the navigation.
pub struct NavItem {
    /// Where it goes.
    pub path: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the page shown.
    pub current: bool,
}

/// What the layout (`base.html`) needs: language, user, navigation. Every page template has a
/// `ctx: Ctx` field.
pub struct Ctx {
    /// The page's language.
    pub lang: Lang,
    /// The signed-in user's name, empty when nobody is.
    pub user_name: String,
    /// The signed-in user's role label, empty when nobody is.
    pub role_label: &'static str,
    /// The signed-in user's role identifier (`agent`…), empty when nobody is.
    pub role: &'static str,
    /// The request's path and query, to come back to after switching language.
    pub back: String,
    /// The navigation, only the pages this user may open.
    pub nav: Vec<NavItem>,
    /// The assets' version, appended to their URLs so that a new binary's assets are fetched.
    pub v: &'static str,
}

impl Ctx {
    /// The context for a page at `path` (its path and query in `back`).
    pub fn new(lang: Lang, user: Option<&User>, back: String) -> Ctx {
        let role = user.map(|u| u.role);
        let path = back.split('?').next().unwrap_or("/");
        let nav = PAGES
            .iter()
            .filter(|p| may_open(role, p.path))
            .map(|p| NavItem {
                path: p.path,
                label: tr(lang, p.label),
                current: p.path == path,
            })
            .collect();
        Ctx {
            lang,
            user_name: user.map(|u| u.name.clone()).unwrap_or_default(),
            role_label: role.map_or("", |r| tr(lang, &format!("role.{r}"))),
            role: role.map_or("", |r| r.as_str()),
            back,
            nav,
            v: assets::version(),
        }
    }

    /// The label `key` in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        tr(self.lang, key)
    }

    /// Whether somebody is signed in.
    pub fn signed_in(&self) -> bool {
        !self.user_name.is_empty()
    }

    /// The language the switch offers.
    pub fn other_lang(&self) -> Lang {
        self.lang.other()
    }
}

/// The language of a request (cookie), Chinese by default.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::parse(cookie(headers, LANG_COOKIE))
}

fn path_and_query(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string())
}

/// A visitor of a public page: the language and, if signed in, the user.
pub struct Visitor {
    /// The layout's context.
    pub ctx: Ctx,
    /// The signed-in user, if any.
    pub user: Option<User>,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let user = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) => user_for_token(state, token).await.ok(),
            None => None,
        };
        Ok(Visitor {
            ctx: Ctx::new(lang, user.as_ref(), path_and_query(parts)),
            user,
        })
    }
}

/// The signed-in user of a page. Not signed in: a redirect to `/login?next=…`. A
/// state-changing request from another site (Origin): 403.
pub struct PageUser {
    /// The user.
    pub user: User,
    /// The page's language.
    pub lang: Lang,
    /// The request's path and query.
    pub back: String,
}

impl PageUser {
    /// The layout's context for this user.
    pub fn ctx(&self) -> Ctx {
        Ctx::new(self.lang, Some(&self.user), self.back.clone())
    }

    /// Refuses with a 403 page unless the user's role may open the page at `path` (its row
    /// in [`PAGES`]).
    pub fn allow(&self, path: &str) -> Result<(), PageError> {
        if may_open(Some(self.user.role), path) {
            Ok(())
        } else {
            Err(PageError::Forbidden(Box::new(self.ctx())))
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = lang_of(&parts.headers);
        let back = path_and_query(parts);
        let user = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) => match user_for_token(state, token).await {
                Ok(user) => Some(user),
                Err(crate::error::AppError::Unauthorized(_)) => None,
                Err(e) => {
                    tracing::error!(error = %e, "page sign-in check failed");
                    return Err(
                        PageError::Internal(Box::new(Ctx::new(lang, None, back))).into_response()
                    );
                }
            },
            None => None,
        };
        let Some(user) = user else {
            let next: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
            return Err(Redirect::to(&format!("/login?next={next}")).into_response());
        };
        if !same_origin(parts) {
            return Err(
                PageError::Forbidden(Box::new(Ctx::new(lang, Some(&user), back))).into_response(),
            );
        }
        Ok(PageUser { user, lang, back })
    }
}

/// A page that could not be shown, as a page.
#[derive(Debug)]
pub enum PageError {
    /// 403: the role may not open it.
    Forbidden(Box<Ctx>),
    /// 404.
    NotFound(Box<Ctx>),
    /// 500 (logged where it happened).
    Internal(Box<Ctx>),
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("lang", &self.lang)
            .field("user", &self.user_name)
            .finish()
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    title: &'static str,
    text: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, ctx, title, text) = match self {
            PageError::Forbidden(c) => (
                StatusCode::FORBIDDEN,
                c,
                "forbidden.title",
                "forbidden.text",
            ),
            PageError::NotFound(c) => (StatusCode::NOT_FOUND, c, "notfound.title", "notfound.text"),
            PageError::Internal(c) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                c,
                "error.title",
                "error.text",
            ),
        };
        let page = ErrorPage {
            title: ctx.t(title),
            text: ctx.t(text),
            ctx: *ctx,
        };
        (status, html(page)).into_response()
    }
}

/// Renders a template as an HTML response (500 page text if rendering fails, logged).
pub fn html(page: impl Template) -> Response {
    match page.render() {
        Ok(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!doctype html><title>500</title><p>服务器出错 / server error</p>",
            )
                .into_response()
        }
    }
}

/// Any other path outside `/api/v1`: a 404 page.
pub async fn not_found(visitor: Visitor) -> Response {
    PageError::NotFound(Box::new(visitor.ctx)).into_response()
}

/// A URL to come back to after signing in or switching language: a path on this site only.
fn local_path(next: Option<&str>) -> Option<String> {
    let next = next?;
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\'))
        .then(|| next.to_string())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    name: String,
    wrong: bool,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(visitor: Visitor, Query(q): Query<NextQuery>) -> Response {
    if let Some(user) = &visitor.user {
        // Signed in already: on to the page asked for, or the role's first page.
        let to = local_path(q.next.as_deref()).unwrap_or_else(|| home_of(user.role).into());
        return Redirect::to(&to).into_response();
    }
    html(LoginPage {
        ctx: visitor.ctx,
        next: local_path(q.next.as_deref()).unwrap_or_default(),
        name: String::new(),
        wrong: false,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The first page a role may open, where signing in leads when no page was asked for.
pub fn home_of(role: Role) -> &'static str {
    PAGES
        .iter()
        .find(|p| !p.roles.is_empty() && may_open(Some(role), p.path))
        .map_or("/", |p| p.path)
}

async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let lang = lang_of(&headers);
    let ctx = || Ctx::new(lang, None, "/login".into());
    if !crate::auth::origin_is_host(&headers) {
        return PageError::Forbidden(Box::new(ctx())).into_response();
    }
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            html(LoginPage {
                ctx: ctx(),
                next: String::new(),
                name: String::new(),
                wrong: true,
            }),
        )
            .into_response();
    };
    let user = match state.store.user(form.name.trim()).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => {
            tracing::error!(error = %e, "sign-in lookup failed");
            return PageError::Internal(Box::new(ctx())).into_response();
        }
    };
    let hash = user.as_ref().map_or_else(
        || crate::api::session::dummy_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let password = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || crate::auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        return (
            StatusCode::UNAUTHORIZED,
            html(LoginPage {
                ctx: ctx(),
                next: local_path(Some(&form.next)).unwrap_or_default(),
                name: form.name,
                wrong: true,
            }),
        )
            .into_response();
    };
    let (token, hash) = new_token();
    if let Err(e) = state.store.add_token(&hash, &user.name).await {
        tracing::error!(error = %e, "sign-in token not stored");
        return PageError::Internal(Box::new(ctx())).into_response();
    }
    let to = local_path(Some(&form.next)).unwrap_or_else(|| home_of(user.role).to_string());
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        30 * 24 * 3600
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let hash = crate::auth::token_hash(token);
        if let Ok(mut cache) = state.tokens.lock() {
            cache.remove(&hash);
        }
        if let Err(e) = state.store.revoke_token(&hash).await {
            tracing::warn!(error = %e, "sign-out: token not revoked");
        }
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response()
}

#[derive(Deserialize)]
struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

async fn switch_lang(Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(q.to.as_deref());
    let back = local_path(q.back.as_deref()).unwrap_or_else(|| "/".into());
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age={}",
        lang.code(),
        365 * 24 * 3600
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}
