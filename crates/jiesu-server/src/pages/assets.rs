//! The pages' CSS and JavaScript, compiled into the binary and served at `/assets/{file}`.
//!
//! Pages link them as `/assets/{file}?v={version}`, the version being a hash of every asset, so
//! browsers may keep them a day and still fetch a new binary's assets at once.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// (file name, content type, content).
pub const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/app.css"),
    ),
    (
        "common.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/common.js"),
    ),
    (
        "citizen.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/citizen.js"),
    ),
    (
        "agent.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/agent.js"),
    ),
    (
        "unit.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/unit.js"),
    ),
    // The centre's work pages: dashboard, dispatcher, supervisor, knowledge-base editor.
    (
        "staff.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/staff.css"),
    ),
    (
        "staff.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/staff.js"),
    ),
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard.js"),
    ),
    (
        "dispatch.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dispatch.js"),
    ),
    (
        "supervise.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/supervise.js"),
    ),
    (
        "knowledge.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/knowledge.js"),
    ),
];

/// A short hash of every asset.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = Sha256::new();
        for (name, _, body) in ASSETS {
            h.update(name.as_bytes());
            h.update(body.as_bytes());
        }
        hex::encode(&h.finalize()[..6])
    })
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    answer(ASSETS, &file)
}

/// The embedded file `name` of `files` (name, content type, body), cached for a day: pages
/// link them with `?v=`, so a changed file gets a new address.
pub fn answer(files: &[(&str, &'static str, &'static str)], name: &str) -> Response {
    match files.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
            ],
            *body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such asset",
        )
            .into_response(),
    }
}
