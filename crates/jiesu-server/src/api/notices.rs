//! 飞鸽 `GET /api/v1/notices`: a server-sent event stream of notices for everyone signed in
//! (new and changed knowledge-base entries; spike alerts as `alert.raised`).
//!
//! Each event's name is the notice kind (`entry.updated`, …) and its data the notice as JSON.
//! A listener too slow to keep up gets a `lagged` event saying how many it missed, so that the
//! page can reload what it shows.

use crate::AppState;
use crate::auth::Principal;
use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::Stream;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/notices", get(stream))
}

async fn stream(
    State(state): State<AppState>,
    _who: Principal,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.knowledge.subscribe();
    let events = futures::stream::unfold(receiver, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(notice) => Event::default()
                .event(notice.kind.clone())
                .data(serde_json::to_string(&notice).unwrap_or_default()),
            Err(RecvError::Lagged(missed)) => Event::default()
                .event("lagged")
                .data(format!("{{\"missed\":{missed}}}")),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
