//! The knowledge base's moving parts: the search index kept in step with the database, and
//! the notices (飞鸽) pushed at once to every agent connected.
//!
//! The database is the truth. Every change to an entry (and every use of one) moves it to the
//! end of a change order (`seq`); [`Knowledge::sync`] indexes what lies past the last position
//! it indexed. Handlers that change an entry call it before they answer, so a change is
//! searchable when the editor sees the 200; a background job calls it every few seconds for
//! changes made elsewhere (another server process, `jiesu import`). At start,
//! [`Knowledge::reconcile`] compares the index with the database and rebuilds it when they differ.

use chrono::{DateTime, Utc};
use jiesu_core::knowledge::{Entry, EntryStatus};
use jiesu_search::{IndexedEntry, SearchIndex};
use jiesu_store::Store;
use jiesu_store::knowledge::StoredEntry;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{Mutex, broadcast};

/// Entries read from the database per round trip while indexing.
const PAGE: u32 = 2000;

/// Notices kept for a slow listener before it starts missing some.
const NOTICE_BUFFER: usize = 1024;

/// 飞鸽 something every agent on shift should see at once.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// `entry.created`, `entry.updated`, `entry.published`, `entry.retired`,
    /// `entry.reactivated`; `alert.raised` (see [`crate::analytics::raise_alerts`]).
    pub kind: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What it is about.
    pub data: serde_json::Value,
}

impl Notice {
    /// The notice of a change to an entry.
    pub fn entry(entry: &Entry) -> Notice {
        Notice {
            kind: format!("entry.{}", entry.change),
            at: entry.changed_at,
            data: serde_json::json!({
                "id": entry.id,
                "version": entry.version,
                "status": entry.status,
                "title": entry.content.title,
                "category_code": entry.content.category_code,
                "changed_by": entry.changed_by,
            }),
        }
    }
}

/// Why the index could not follow the database.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The search engine failed.
    #[error("search index: {0}")]
    Search(#[from] jiesu_search::Error),
    /// The database failed.
    #[error("{0}")]
    Store(#[from] jiesu_store::StoreError),
    /// The indexing task died.
    #[error("indexing task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The search index and the notice channel.
pub struct Knowledge {
    /// The full-text index of the entries.
    pub index: Arc<SearchIndex>,
    /// Position in the change order indexed so far.
    synced: Mutex<i64>,
    notices: broadcast::Sender<Notice>,
}

/// The search index's name for an entry status.
pub fn status(s: EntryStatus) -> jiesu_search::EntryStatus {
    match s {
        EntryStatus::Draft => jiesu_search::EntryStatus::Draft,
        EntryStatus::Active => jiesu_search::EntryStatus::Active,
        EntryStatus::Retired => jiesu_search::EntryStatus::Retired,
    }
}

/// The index's view of a stored entry.
pub fn indexed(s: &StoredEntry) -> IndexedEntry {
    let e = &s.entry;
    IndexedEntry {
        id: e.id.clone(),
        version: e.version,
        title: e.content.title.clone(),
        questions: e.content.questions.clone(),
        answer: e.content.answer.clone(),
        category_code: e.content.category_code.clone(),
        region_code: e.content.region_code.clone(),
        status: status(e.status),
        tags: e.content.tags.clone(),
        updated_at: e.changed_at,
        uses: s.uses,
    }
}

impl Knowledge {
    /// An index in `dir` (kept across restarts), or in memory when `dir` is `None`.
    pub fn open(dir: Option<&Path>) -> Result<Knowledge, IndexError> {
        let index = match dir {
            Some(d) => SearchIndex::open(d)?,
            None => SearchIndex::in_memory()?,
        };
        Ok(Knowledge {
            index: Arc::new(index),
            synced: Mutex::new(0),
            notices: broadcast::channel(NOTICE_BUFFER).0,
        })
    }

    /// Indexes every entry changed since the last sync; returns how many.
    pub async fn sync(&self, store: &dyn Store) -> Result<usize, IndexError> {
        let mut synced = self.synced.lock().await;
        let mut total = 0;
        loop {
            let batch = store.entries_since(*synced, PAGE).await?;
            let Some(last) = batch.last().map(|s| s.seq) else {
                return Ok(total);
            };
            let docs: Vec<IndexedEntry> = batch.iter().map(indexed).collect();
            let index = self.index.clone();
            total += tokio::task::spawn_blocking(move || index.upsert_many(docs)).await??;
            *synced = last;
        }
    }

    /// Compares the index with the database at start: when an entry is missing, extra or at
    /// another version, the index is rebuilt from the database. Returns whether it was.
    pub async fn reconcile(&self, store: &dyn Store) -> Result<bool, IndexError> {
        let mut synced = self.synced.lock().await;
        let mut all = Vec::new();
        let mut seq = 0;
        loop {
            let batch = store.entries_since(seq, PAGE).await?;
            let Some(last) = batch.last().map(|s| s.seq) else {
                break;
            };
            seq = last;
            all.extend(batch);
        }
        let index = self.index.clone();
        let rebuilt = tokio::task::spawn_blocking(move || {
            let versions = index.versions()?;
            let same = versions.len() == all.len()
                && all
                    .iter()
                    .all(|s| versions.get(&s.entry.id) == Some(&s.entry.version));
            if same {
                return Ok::<bool, jiesu_search::Error>(false);
            }
            index.rebuild(all.iter().map(indexed))?;
            Ok(true)
        })
        .await??;
        *synced = seq;
        Ok(rebuilt)
    }

    /// Tells every listener.
    pub fn notify(&self, notice: Notice) {
        // No listener is not an error.
        let _ = self.notices.send(notice);
    }

    /// A new listener, receiving every notice from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}
