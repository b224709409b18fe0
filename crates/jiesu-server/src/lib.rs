//! jiesu-server: the HTTP API (`/api/v1`), sign-in and the OpenAPI document.
//!
//! [`app`] builds the router from an [`AppState`]; tests call it directly or bind it to a port.
//! Each resource lives in its own module under `api/` and exposes `routes()`.
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;

use axum::Router;
use chrono::{DateTime, Utc};
use jiesu_core::MemoryDirectory;
use jiesu_store::{DynStore, IntakeQueue, Reference, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where the time comes from: the system clock in production, a fixed or moving clock in tests.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: DynStore,
    /// Group-committed ticket creation.
    pub intake: IntakeQueue,
    /// Reference data as loaded, for listing.
    pub reference: Arc<Reference>,
    /// Reference data indexed by code, for checking.
    pub directory: Arc<MemoryDirectory>,
    /// Token hash → user, filled on first use.
    pub tokens: Arc<Mutex<HashMap<String, User>>>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// Loads the reference data from the store and starts the intake writer.
    pub async fn new(store: DynStore, clock: Arc<dyn Clock>) -> Result<AppState, error::AppError> {
        let reference = store.reference().await?;
        let directory = MemoryDirectory::new(
            reference.units.clone(),
            reference.catalog.clone(),
            reference.divisions.clone(),
        );
        Ok(AppState {
            intake: IntakeQueue::start(store.clone()),
            store,
            reference: Arc::new(reference),
            directory: Arc::new(directory),
            tokens: Arc::new(Mutex::new(HashMap::new())),
            clock,
        })
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::health::routes())
        .nest(
            "/api/v1",
            Router::new()
                .merge(api::openapi::routes())
                .merge(api::session::routes())
                .merge(api::tickets::routes())
                .merge(api::reference::routes())
                .fallback(api::not_found),
        )
        .with_state(state)
}
