//! Storage of the knowledge base, the IVR menu and self-service contacts.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::ivr::Menu;
use jiesu_core::knowledge::{Entry, EntryContent, MissingAnswer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An entry as stored: its current version, how often agents cited it, and its place in the
/// change order the search index follows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEntry {
    /// The current version.
    #[serde(flatten)]
    pub entry: Entry,
    /// Times it was cited in an answer.
    pub uses: u64,
    /// Position in the change order (grows with every change, uses included).
    #[serde(skip)]
    pub seq: i64,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Only these statuses (all when empty).
    pub statuses: Vec<jiesu_core::knowledge::EntryStatus>,
    /// Only this catalog code and below.
    pub category: Option<String>,
    /// At most this many.
    pub limit: u32,
    /// Skipping this many.
    pub offset: u32,
}

/// A question filed as missing an answer.
#[derive(Debug, Clone)]
pub struct MissingFiling {
    /// What the caller asked.
    pub question: String,
    /// Catalog code, when the agent gave one.
    pub category_code: Option<String>,
    /// The agent filing it.
    pub agent: String,
    /// The ticket the call became, if any.
    pub ticket_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// One self-service contact: an IVR call or an answer-bot question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The PBX's call id, or the bot answer's id.
    pub id: String,
    /// `ivr` or `bot`.
    pub kind: String,
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// Where it stands (the IVR node and keys, or the bot's answer), as JSON.
    pub state: serde_json::Value,
    /// How it ended so far (`in_menu`, `self_served`, `agent`, `ticket`, `abandoned`,
    /// `answered`, `handed_over`).
    pub outcome: String,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Knowledge-base storage; part of every [`crate::Store`].
#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// Stores a new entry at version 1 under the next `KB` number; returns it.
    async fn create_entry(
        &self,
        content: EntryContent,
        publish: bool,
        at: DateTime<Utc>,
        by: &str,
    ) -> StoreResult<Entry>;
    /// Stores many new entries in one transaction (a bulk import); returns how many.
    async fn import_entries(
        &self,
        entries: Vec<(EntryContent, bool)>,
        at: DateTime<Utc>,
        by: &str,
    ) -> StoreResult<usize>;
    /// Stores the next version of an entry; a conflict when the stored version is not the one
    /// before it (someone else changed it meanwhile).
    async fn save_entry(&self, next: &Entry) -> StoreResult<()>;
    /// The current version of an entry.
    async fn entry(&self, id: &str) -> StoreResult<StoredEntry>;
    /// Entries by id, current versions, in no particular order; unknown ids are skipped.
    async fn entries(&self, ids: &[String]) -> StoreResult<Vec<StoredEntry>>;
    /// Every version of an entry, oldest first.
    async fn entry_versions(&self, id: &str) -> StoreResult<Vec<Entry>>;
    /// Entries matching a filter, newest change first, with the total.
    async fn list_entries(&self, filter: &EntryFilter) -> StoreResult<(Vec<StoredEntry>, u64)>;
    /// Entries changed after `seq`, in change order, at most `limit`.
    async fn entries_since(&self, seq: i64, limit: u32) -> StoreResult<Vec<StoredEntry>>;
    /// Counts an answer citing the entry.
    async fn record_use(&self, id: &str) -> StoreResult<()>;
    /// Versions written in `[from, to)`, counted by change (`created`, `updated`, …).
    async fn entry_changes_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<BTreeMap<String, u64>>;

    /// Files a question as missing an answer: added to the open item asking the same thing,
    /// or a new item. Returns the item as it now stands.
    async fn file_missing(&self, filing: MissingFiling) -> StoreResult<MissingAnswer>;
    /// Missing answers, most asked first: open ones, or closed ones too.
    async fn missing_answers(&self, open_only: bool, limit: u32)
    -> StoreResult<Vec<MissingAnswer>>;
    /// Closes a missing answer with the entry written for it.
    async fn close_missing(
        &self,
        id: i64,
        entry_id: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<MissingAnswer>;

    /// The newest IVR menu and its version.
    async fn ivr_menu(&self) -> StoreResult<Option<(u32, Menu)>>;
    /// Stores a new IVR menu version; returns its number.
    async fn save_ivr_menu(&self, menu: &Menu, by: &str) -> StoreResult<u32>;
    /// A self-service contact.
    async fn contact(&self, id: &str) -> StoreResult<Contact>;
    /// Creates or updates a self-service contact.
    async fn save_contact(&self, contact: &Contact) -> StoreResult<()>;
    /// Self-service contacts begun in `[from, to)`, counted by kind and outcome.
    async fn contacts_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<BTreeMap<(String, String), u64>>;
}
