//! jiesu-server: the HTTP API (`/api/v1`), sign-in, the OpenAPI document and the web pages.
//!
//! [`app`] builds the router from an [`AppState`]; tests call it directly or bind it to a port.
//! Each resource lives in its own module under `api/` and exposes `routes()`.
#![deny(missing_docs)]

pub mod analytics;
pub mod api;
pub mod auth;
pub mod error;
pub mod exchange;
pub mod extract;
pub mod jobs;
pub mod knowledge;
pub mod merges;
pub mod pages;

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
    /// Token hash → user and when it was looked up; re-checked against the store after
    /// [`auth::TOKEN_CACHE`], so that expiry and sign-out elsewhere take effect.
    pub tokens: Arc<Mutex<HashMap<String, (User, std::time::Instant)>>>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Edits of the time limits (policies, calendar) are made one at a time.
    pub edits: Arc<tokio::sync::Mutex<()>>,
    /// The smart assistant's place names and urgency rules.
    pub assistant: Arc<Assistant>,
    /// The knowledge base's search index and the notices pushed to agents.
    pub knowledge: Arc<knowledge::Knowledge>,
    /// 派单规则 the dispatch rules in force.
    pub dispatch: Arc<api::dispatch::Rules>,
    /// 一件多诉 the merge proposer and its cached profiles.
    pub merges: Arc<merges::Merges>,
}

/// 坐席智能助手 what the assistant reads text with.
pub struct Assistant {
    /// The city's divisions, for addresses.
    pub gazetteer: jiesu_assist::address::Gazetteer,
    /// The urgency rules.
    pub urgency: jiesu_assist::urgency::Rules,
    /// The category model in use, replaced whole when a retrained file appears.
    model: RwLock<Option<Arc<jiesu_classify::Model>>>,
    /// The file a retrained model is read from, and the modification time last read.
    model_file: Option<(std::path::PathBuf, Mutex<Option<std::time::SystemTime>>)>,
    /// A model's class → (catalog code, level): see [`catalog_codes`].
    codes: HashMap<String, (String, u8)>,
}

/// The top categories the model proposes and the words that weighed most.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CategoryProposal {
    /// (catalog code and level when the class is a catalog code or name, class,
    /// probability), best first.
    pub top: Vec<serde_json::Value>,
    /// The words (character n-grams) that weighed most for the best class.
    pub words: Vec<serde_json::Value>,
    /// Where the model came from.
    pub model: String,
}

/// How a model's classes become catalog codes, so that a model trained on labels of any level
/// proposes codes the order and the dispatch rules take: a class that is a catalog code is
/// itself; a level-1 name is its node; a level-2 or level-3 name found once in the catalog is
/// that node (a name found twice, such as 其他, is no code). A path of names
/// (`城乡建设/住房保障与房地产/物业服务`) is the node at its end.
fn catalog_codes(catalog: &[jiesu_core::CatalogNode]) -> HashMap<String, (String, u8)> {
    let by_code: HashMap<&str, &jiesu_core::CatalogNode> =
        catalog.iter().map(|c| (c.code.as_str(), c)).collect();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for c in catalog.iter().filter(|c| c.level > 1) {
        *names.entry(c.name.as_str()).or_default() += 1;
    }
    let mut codes = HashMap::new();
    // Level 1 first: a level-1 name (交通运输) stays level 1 where a level-2 node has it too.
    let mut nodes: Vec<&jiesu_core::CatalogNode> = catalog.iter().collect();
    nodes.sort_by_key(|c| c.level);
    for c in nodes {
        let node = (c.code.clone(), c.level);
        codes.insert(c.code.clone(), node.clone());
        // The path of names from level 1 down to this node.
        let mut path = vec![c.name.as_str()];
        let mut parent = c.parent_code.as_deref();
        while let Some(p) = parent.and_then(|p| by_code.get(p)) {
            path.push(p.name.as_str());
            parent = p.parent_code.as_deref();
        }
        path.reverse();
        codes.insert(path.join("/"), node.clone());
        if c.level == 1 || names.get(c.name.as_str()) == Some(&1) {
            codes.entry(c.name.clone()).or_insert(node);
        }
    }
    codes
}

impl Assistant {
    /// The assistant for a city's reference data, with the category model from `model_file`
    /// (a retrained model written there later replaces it without a restart) or, when there
    /// is no such file, the model built into the binary.
    pub fn new(reference: &Reference, model_file: Option<std::path::PathBuf>) -> Assistant {
        let model = jiesu_classify::builtin()
            .map_err(|e| tracing::error!(error = %e, "the built-in category model is unreadable"))
            .ok()
            .map(Arc::new);
        let assistant = Assistant {
            gazetteer: jiesu_assist::address::Gazetteer::new(&reference.divisions),
            urgency: jiesu_assist::urgency::Rules::new(),
            model: RwLock::new(model),
            model_file: model_file.map(|p| (p, Mutex::new(None))),
            codes: catalog_codes(&reference.catalog),
        };
        assistant.reload_model();
        assistant
    }

    /// Reads the model file again if it changed since it was last read; returns whether a new
    /// model is now in use. A file that cannot be read leaves the current model in place.
    pub fn reload_model(&self) -> bool {
        let Some((path, seen)) = &self.model_file else {
            return false;
        };
        let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) else {
            return false;
        };
        let Ok(mut seen) = seen.lock() else {
            return false;
        };
        if *seen == Some(modified) {
            return false;
        }
        *seen = Some(modified);
        match jiesu_classify::Model::load(path) {
            Ok(model) => {
                tracing::info!(path = %path.display(), "category model loaded");
                match self.model.write() {
                    Ok(mut m) => *m = Some(Arc::new(model)),
                    Err(poisoned) => *poisoned.into_inner() = Some(Arc::new(model)),
                }
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "category model not replaced");
                false
            }
        }
    }

    fn current_model(&self) -> Option<Arc<jiesu_classify::Model>> {
        match self.model.read() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The categories the model proposes for a text.
    pub fn categorize(&self, text: &str) -> CategoryProposal {
        let Some(model) = self.current_model() else {
            return CategoryProposal {
                top: Vec::new(),
                words: Vec::new(),
                model: "none".into(),
            };
        };
        let p = model.predict(text);
        CategoryProposal {
            top: p
                .top
                .iter()
                .take(3)
                .map(|(class, prob)| {
                    let code = self.codes.get(class);
                    serde_json::json!({
                        "code": code.map(|c| &c.0),
                        "level": code.map(|c| c.1),
                        "name": class,
                        "probability": prob,
                    })
                })
                .collect(),
            words: p
                .words
                .iter()
                .take(8)
                .map(|(w, weight)| serde_json::json!({"word": w, "weight": weight}))
                .collect(),
            model: model
                .provenance()
                .source
                .clone()
                .unwrap_or_else(|| "built-in model".into()),
        }
    }

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
            category_code: self
                .categorize(text)
                .top
                .first()
                .and_then(|t| t["code"].as_str().map(String::from)),
            reasons,
            scene: None,
            unit: None,
        }
    }
}

/// Where the state's files are.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The category model file (see [`Assistant::reload_model`]).
    pub model_file: Option<std::path::PathBuf>,
    /// The directory of the knowledge base's search index; in memory when `None`.
    pub index_dir: Option<std::path::PathBuf>,
}

impl AppState {
    /// Loads the reference data from the store and starts the intake writer.
    pub async fn new(store: DynStore, clock: Arc<dyn Clock>) -> Result<AppState, error::AppError> {
        Self::with_model_file(store, clock, None).await
    }

    /// As [`AppState::new`], with the category model read from `model_file` when it exists
    /// (and again whenever it changes: see [`Assistant::reload_model`]).
    pub async fn with_model_file(
        store: DynStore,
        clock: Arc<dyn Clock>,
        model_file: Option<std::path::PathBuf>,
    ) -> Result<AppState, error::AppError> {
        Self::with_options(
            store,
            clock,
            Options {
                model_file,
                index_dir: None,
            },
        )
        .await
    }

    /// The state with every option: the category model file and the directory that keeps the
    /// knowledge base's search index across restarts (in memory when `None`). The index is
    /// checked against the database and rebuilt when they differ.
    pub async fn with_options(
        store: DynStore,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<AppState, error::AppError> {
        let reference = store.reference().await?;
        let assistant = Arc::new(Assistant::new(&reference, options.model_file));
        let knowledge = knowledge::Knowledge::open(options.index_dir.as_deref())?;
        if knowledge.reconcile(store.as_ref()).await? {
            tracing::info!("knowledge-base search index rebuilt from the database");
        }
        let dispatch = Arc::new(api::dispatch::Rules::load(&store).await?);
        let state = AppState {
            intake: IntakeQueue::start(store.clone()),
            store,
            reference: Arc::new(reference),
            directory: Arc::new(RwLock::new(Arc::new(MemoryDirectory::default()))),
            tokens: Arc::new(Mutex::new(HashMap::new())),
            clock,
            edits: Arc::default(),
            assistant,
            knowledge: Arc::new(knowledge),
            dispatch,
            merges: Arc::default(),
        };
        let (policies, calendar) = state.load_time_limits().await?;
        state.set_time_limits(policies, calendar);
        Ok(state)
    }

    /// Today in China, by the state's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock
            .now()
            .with_timezone(&jiesu_core::china_offset())
            .date_naive()
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
        .merge(pages::routes())
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
                .merge(api::bulletins::routes())
                .merge(api::assist::routes())
                .merge(api::knowledge::routes())
                .merge(api::notices::routes())
                .merge(api::selfservice::routes())
                .merge(api::dispatch::routes())
                .merge(api::duplicates::routes())
                .merge(api::analytics::routes())
                .merge(api::alerts::routes())
                .merge(api::exports::routes())
                .fallback(api::not_found),
        )
        .fallback(pages::not_found)
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
    // Pages answer their own errors as HTML pages.
    let is_page = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_json || is_page || !(status.is_client_error() || status.is_server_error()) {
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
