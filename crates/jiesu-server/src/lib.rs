//! jiesu-server: the HTTP API (`/api/v1`), sign-in and the OpenAPI document.
//!
//! [`app`] builds the router from an [`AppState`]; tests call it directly or bind it to a port.
//! Each resource lives in its own module under `api/` and exposes `routes()`.
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod jobs;

use axum::Router;
use chrono::{DateTime, Utc};
use jiesu_core::MemoryDirectory;
use jiesu_core::calendar::WorkingCalendar;
use jiesu_core::timelimit::PolicySet;
use jiesu_store::{DynStore, IntakeQueue, Reference, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

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

/// A clock that moves only when told: virtual time for tests and simulations.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        match self.0.lock() {
            Ok(mut t) => *t = at,
            Err(poisoned) => *poisoned.into_inner() = at,
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
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
    /// Reference data indexed by code, with the time limits in force, for deciding.
    /// Replaced whole when an admin edits the policies or the calendar.
    directory: Arc<RwLock<Arc<MemoryDirectory>>>,
    /// Token hash → user, filled on first use.
    pub tokens: Arc<Mutex<HashMap<String, User>>>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Edits of the time limits (policies, calendar) are made one at a time.
    pub edits: Arc<tokio::sync::Mutex<()>>,
    /// The smart assistant's place names and urgency rules.
    pub assistant: Arc<Assistant>,
}

/// 坐席智能助手 what the assistant reads text with.
pub struct Assistant {
    /// The city's divisions, for addresses.
    pub gazetteer: jiesu_assist::address::Gazetteer,
    /// The urgency rules.
    pub urgency: jiesu_assist::urgency::Rules,
}

impl Assistant {
    /// The proposal for a text: place and urgency, with the words behind them.
    pub fn propose(&self, text: &str) -> jiesu_core::Proposal {
        use jiesu_assist::address::Resolution;
        let place = self.gazetteer.resolve(text);
        let urgency = self.urgency.assess(text);
        let (district_code, street_code) = match &place.resolution {
            Resolution::Street { district, street } => {
                (Some(district.code.clone()), Some(street.code.clone()))
            }
            Resolution::District { district } => (Some(district.code.clone()), None),
            Resolution::Ambiguous { .. } | Resolution::Unknown => (None, None),
        };
        let mut reasons: Vec<String> = place.found.iter().map(|f| f.text.clone()).collect();
        reasons.extend(urgency.reasons().into_iter().map(String::from));
        jiesu_core::Proposal {
            district_code,
            street_code,
            urgency: urgency.urgency,
            category_code: None,
            reasons,
        }
    }
}

impl AppState {
    /// Loads the reference data from the store and starts the intake writer.
    pub async fn new(store: DynStore, clock: Arc<dyn Clock>) -> Result<AppState, error::AppError> {
        let reference = store.reference().await?;
        let assistant = Arc::new(Assistant {
            gazetteer: jiesu_assist::address::Gazetteer::new(&reference.divisions),
            urgency: jiesu_assist::urgency::Rules::new(),
        });
        let state = AppState {
            intake: IntakeQueue::start(store.clone()),
            store,
            reference: Arc::new(reference),
            directory: Arc::new(RwLock::new(Arc::new(MemoryDirectory::default()))),
            tokens: Arc::new(Mutex::new(HashMap::new())),
            clock,
            edits: Arc::default(),
            assistant,
        };
        let (policies, calendar) = state.load_time_limits().await?;
        state.set_time_limits(policies, calendar);
        Ok(state)
    }

    /// The directory decisions are made against, as it is now.
    pub fn directory(&self) -> Arc<MemoryDirectory> {
        match self.directory.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The newest policy set (the defaults of DESIGN §4, saved as version 1, on first start)
    /// and the shipped calendar with the years admins have entered.
    async fn load_time_limits(&self) -> Result<(PolicySet, WorkingCalendar), error::AppError> {
        let policies = match self.store.policy_set().await? {
            Some(p) => p,
            None => {
                let defaults = PolicySet::defaults();
                self.store.save_policy_set(&defaults, "system").await?;
                defaults
            }
        };
        let mut calendar = WorkingCalendar::china();
        for year in self.store.calendar_years().await? {
            let y = year.year;
            calendar
                .set_year(year)
                .map_err(|e| error::AppError::Internal(format!("stored calendar {y}: {e}")))?;
        }
        Ok((policies, calendar))
    }

    /// Puts new time limits in force for every decision from now on.
    pub fn set_time_limits(&self, policies: PolicySet, calendar: WorkingCalendar) {
        let reference = &self.reference;
        let fresh = MemoryDirectory::new(
            reference.units.clone(),
            reference.catalog.clone(),
            reference.divisions.clone(),
        )
        .with_time_limits(policies, calendar);
        match self.directory.write() {
            Ok(mut d) => *d = Arc::new(fresh),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(fresh),
        }
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
                .merge(api::limits::routes())
                .merge(api::callbacks::routes())
                .merge(api::reports::routes())
                .merge(api::assist::routes())
                .fallback(api::not_found),
        )
        .layer(axum::middleware::map_response(json_errors))
        .with_state(state)
}

/// The framework's own refusals (wrong method, body too large, a malformed path) come as plain
/// text: give them the API's JSON error shape too.
async fn json_errors(response: axum::response::Response) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed here".to_string(),
        StatusCode::PAYLOAD_TOO_LARGE => "the body is too large".to_string(),
        other => format!("the request was refused ({other})"),
    };
    let mut fixed = if status.is_server_error() {
        error::AppError::Internal(message).into_response()
    } else {
        error::AppError::BadRequest(message).into_response()
    };
    *fixed.status_mut() = status;
    fixed
}
