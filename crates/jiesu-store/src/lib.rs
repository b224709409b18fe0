//! jiesu-store: durable storage behind one [`Store`] trait.
//!
//! Tickets are kept twice: as an append-only event log (`ticket_events`) and as a current-state
//! table (`tickets`) that lists filter on. Both change in one transaction. New tickets go
//! through [`IntakeQueue`], which batches concurrent creations into one group-committed
//! transaction, so that a 201 always means "on disk" and throughput does not pay one fsync per
//! ticket. SQLite (WAL, `synchronous=FULL`) is the embedded backend; the SQL is kept portable
//! so that a PostgreSQL backend can implement the same trait.
#![deny(missing_docs)]

pub mod analytics;
mod intake;
pub mod knowledge;
pub mod rollup;
mod sqlite;

pub use analytics::AnalyticsStore;
pub use intake::IntakeQueue;
pub use knowledge::KnowledgeStore;
pub use rollup::RollupStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::calendar::YearSchedule;
use jiesu_core::dispatch::RuleSet;
use jiesu_core::timelimit::PolicySet;
use jiesu_core::{
    Actor, CatalogNode, Division, EventRecord, Intake, Role, Status, Ticket, TicketId, Unit,
};
use std::sync::Arc;

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A concurrent change won (ticket version moved) or a unique name is taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else: the database is unreachable, a row is corrupt, …
    #[error("storage error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Other(format!("corrupt JSON in the database: {e}"))
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A ticket to create: validated intake, who took it and when.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// Id chosen by the caller (UUID v7).
    pub id: TicketId,
    /// The validated request.
    pub intake: Intake,
    /// Who received it.
    pub actor: Actor,
    /// When it was received (drives the order number's day).
    pub received_at: DateTime<Utc>,
    /// Same key, same ticket: a retried request returns the first ticket.
    pub idempotency_key: Option<String>,
    /// What the assistant proposed, when the agent used it.
    pub proposal: Option<jiesu_core::ticket::Proposal>,
}

/// A created (or, for a repeated idempotency key, found) ticket.
#[derive(Debug, Clone)]
pub struct Created {
    /// The ticket.
    pub ticket: Ticket,
    /// `true` when the idempotency key had been seen and no ticket was created.
    pub existed: bool,
}

/// New events for one ticket and the state they lead to.
#[derive(Debug, Clone)]
pub struct Append {
    /// The version the events were decided on.
    pub expected_version: u32,
    /// The new events, numbered from `expected_version + 1`.
    pub records: Vec<EventRecord>,
    /// The state after them.
    pub state: Ticket,
}

/// Filters for listing tickets. Pages run newest first.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only tickets this unit is involved in (lead or assisting).
    pub unit: Option<String>,
    /// Only this district.
    pub district: Option<String>,
    /// Only tickets overdue (true) or not (false) while with a unit.
    pub overdue: Option<bool>,
    /// Only this caller phone number.
    pub caller_phone: Option<String>,
    /// Title or content contains this text.
    pub text: Option<String>,
    /// Continue after this cursor (from a previous page).
    pub cursor: Option<i64>,
    /// Page size.
    pub limit: u32,
}

/// One page of tickets.
#[derive(Debug, Clone)]
pub struct TicketPage {
    /// Tickets, newest first.
    pub items: Vec<Ticket>,
    /// Cursor for the next page, `None` on the last.
    pub next_cursor: Option<i64>,
}

/// A user account.
#[derive(Debug, Clone)]
pub struct User {
    /// Unique login name.
    pub name: String,
    /// The user's role.
    pub role: Role,
    /// The unit of a `unit` user.
    pub unit: Option<String>,
    /// Argon2 PHC string.
    pub password_hash: String,
}

impl User {
    /// The actor recorded on events this user causes.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.name.clone(),
            role: self.role,
            unit: self.unit.clone(),
        }
    }
}

/// Reference data as loaded into the database.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// Districts and streets.
    pub divisions: Vec<Division>,
    /// Handling units.
    pub units: Vec<Unit>,
    /// The three-level catalog.
    pub catalog: Vec<CatalogNode>,
}

/// One saved version of the dispatch rules, with who saved it, when and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleSetVersion {
    /// The rules (their `version` is this version).
    pub rules: RuleSet,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// Who saved it.
    pub created_by: String,
    /// Why, as the admin said.
    pub note: Option<String>,
}

/// 一件多诉 an open ticket as the search for the same problem reads it: its words, place and
/// time, and what a dispatcher needs to recognise it.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeCandidate {
    /// Id.
    pub id: TicketId,
    /// Human-readable number.
    pub number: String,
    /// Number of events so far (the ticket's version).
    pub version: u32,
    /// Where it is in its life (never closed or merged).
    pub status: Status,
    /// Title.
    pub title: Option<String>,
    /// The request.
    pub content: String,
    /// Free-text address.
    pub address: Option<String>,
    /// Street code.
    pub street_code: Option<String>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// Everything jiesu keeps, in domain terms.
#[async_trait]
pub trait Store: KnowledgeStore + RollupStore + AnalyticsStore + Send + Sync + 'static {
    /// Replaces the reference data (divisions, units, catalog) in one transaction.
    async fn replace_reference(&self, reference: &Reference) -> StoreResult<()>;
    /// The reference data as stored.
    async fn reference(&self) -> StoreResult<Reference>;

    /// Reads a setting.
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;
    /// Writes a setting.
    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Creates tickets in one transaction; one result per input, in order. A repeated
    /// idempotency key (in the database or earlier in the batch) returns the first ticket.
    async fn create_tickets(&self, batch: Vec<NewTicket>) -> StoreResult<Vec<Created>>;
    /// A ticket by id or by number.
    async fn ticket(&self, id_or_number: &str) -> StoreResult<Ticket>;
    /// A ticket's events in order.
    async fn events(&self, id: &TicketId) -> StoreResult<Vec<EventRecord>>;
    /// Appends events and stores the new state, if the ticket is still at `expected_version`;
    /// otherwise [`StoreError::Conflict`] and nothing changes.
    async fn append(
        &self,
        expected_version: u32,
        records: &[EventRecord],
        state: &Ticket,
    ) -> StoreResult<()> {
        self.append_many(&[Append {
            expected_version,
            records: records.to_vec(),
            state: state.clone(),
        }])
        .await
    }
    /// Several appends in one transaction: all of them, or none when any conflicts.
    async fn append_many(&self, appends: &[Append]) -> StoreResult<()>;
    /// A page of tickets.
    async fn list_tickets(&self, filter: &TicketFilter) -> StoreResult<TicketPage>;
    /// Number of tickets.
    async fn count_tickets(&self) -> StoreResult<u64>;
    /// Tickets whose next time-limit check is at or before `now`, earliest first.
    async fn due_tickets(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Ticket>>;
    /// 回访 tickets replied (or answered) before `replied_before` and not yet called back,
    /// with fewer than `max_attempts` missed calls, oldest reply first.
    async fn callback_list(
        &self,
        replied_before: DateTime<Utc>,
        max_attempts: u32,
        limit: u32,
    ) -> StoreResult<Vec<Ticket>>;
    /// Every event in `[from, to)`, in log order, with its ticket.
    async fn events_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(TicketId, EventRecord)>>;
    /// The tickets with an event in `[from, to)`, by id.
    async fn tickets_active_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TicketId>>;
    /// The whole event logs of these tickets, each in order (missing ids are left out).
    async fn logs(&self, ids: &[TicketId]) -> StoreResult<Vec<Vec<EventRecord>>>;
    /// The current state of these tickets (missing ids are left out).
    async fn tickets_by_ids(&self, ids: &[TicketId]) -> StoreResult<Vec<Ticket>>;

    /// 一件多诉: open tickets (neither closed nor merged) received at or after `since`: up
    /// to `per_street` newest in each of `streets`, and the `recent` newest of all, newest
    /// first, each once.
    async fn merge_candidates(
        &self,
        since: DateTime<Utc>,
        streets: &[String],
        per_street: u32,
        recent: u32,
    ) -> StoreResult<Vec<MergeCandidate>>;
    /// 一件多诉: how many tickets are merged into each of these masters (none: left out).
    async fn merged_counts(&self, masters: &[TicketId]) -> StoreResult<Vec<(TicketId, u32)>>;
    /// 一件多诉: the tickets merged into `master`, oldest first.
    async fn merged_into(&self, master: &TicketId) -> StoreResult<Vec<Ticket>>;

    /// The newest time-limit policy set, if one was saved.
    async fn policy_set(&self) -> StoreResult<Option<PolicySet>>;
    /// Saves a new policy version; [`StoreError::Conflict`] if the version exists.
    async fn save_policy_set(&self, set: &PolicySet, by: &str) -> StoreResult<()>;
    /// The calendar years saved by admins (or seeded on first start).
    async fn calendar_years(&self) -> StoreResult<Vec<YearSchedule>>;
    /// Saves (replaces) one calendar year.
    async fn save_calendar_year(&self, year: &YearSchedule, by: &str) -> StoreResult<()>;

    /// 派单规则: every saved version of the dispatch rules, oldest first.
    async fn dispatch_rule_versions(&self) -> StoreResult<Vec<RuleSetVersion>>;
    /// Saves a new version of the dispatch rules; [`StoreError::Conflict`] if the version
    /// exists.
    async fn save_dispatch_rules(
        &self,
        rules: &RuleSet,
        by: &str,
        note: Option<&str>,
    ) -> StoreResult<()>;

    /// Creates a user; [`StoreError::Conflict`] when the name is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// A user by name.
    async fn user(&self, name: &str) -> StoreResult<User>;
    /// Records a bearer token (by its hash) for a user.
    async fn add_token(&self, token_hash: &str, user: &str) -> StoreResult<()>;
    /// The user owning a token hash.
    async fn user_by_token(&self, token_hash: &str) -> StoreResult<User>;
    /// Forgets a token (sign-out); [`StoreError::NotFound`] if it was not there.
    async fn revoke_token(&self, token_hash: &str) -> StoreResult<()>;
}

/// A shared store.
pub type DynStore = Arc<dyn Store>;

/// Milliseconds since the epoch, as stored.
pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The instant stored as milliseconds.
pub(crate) fn from_millis(ms: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Other(format!("timestamp {ms} out of range")))
}
