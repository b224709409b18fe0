//! What goes into the index and what comes out of it.

use chrono::{DateTime, Utc};

/// Where an entry stands in its life; only active entries are served by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryStatus {
    /// Being written; visible to editors only.
    Draft,
    /// Published: agents, the answer bot and the IVR read it.
    Active,
    /// Withdrawn; kept for history, never served unless asked for explicitly.
    Retired,
}

impl EntryStatus {
    /// The word stored in the index.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Draft => "draft",
            EntryStatus::Active => "active",
            EntryStatus::Retired => "retired",
        }
    }
}

/// One knowledge-base entry (口径) as the index sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedEntry {
    /// Stable identifier; an upsert with the same id replaces the entry.
    pub id: String,
    /// Version number of the entry in the caller's database (see [`crate::SearchIndex::versions`]).
    pub version: u32,
    /// The title, usually the question in its main phrasing.
    pub title: String,
    /// Other phrasings of the question, scored like the title but a little lower.
    pub questions: Vec<String>,
    /// The answer the agent reads out.
    pub answer: String,
    /// Catalog code, two digits per level: `"01"`, `"0103"`, `"010307"`.
    pub category_code: Option<String>,
    /// Administrative division the entry is for: a 6-digit district or a 9-digit street code.
    /// `None` means the whole city.
    pub region_code: Option<String>,
    /// Draft, active or retired.
    pub status: EntryStatus,
    /// Free labels; searchable like the phrasings.
    pub tags: Vec<String>,
    /// Last change; recent entries rank a little higher.
    pub updated_at: DateTime<Utc>,
    /// How many times agents cited the entry; much-used entries rank a little higher.
    pub uses: u64,
}

impl IndexedEntry {
    /// An active, city-wide, uncategorised entry at version 1, updated now.
    pub fn new(id: impl Into<String>, title: impl Into<String>, answer: impl Into<String>) -> Self {
        IndexedEntry {
            id: id.into(),
            version: 1,
            title: title.into(),
            questions: Vec::new(),
            answer: answer.into(),
            category_code: None,
            region_code: None,
            status: EntryStatus::Active,
            tags: Vec::new(),
            updated_at: Utc::now(),
            uses: 0,
        }
    }
}

/// A search as an agent or a program asks it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// The words to look for: a few keywords or a whole message. Must not be blank.
    pub text: String,
    /// Catalog code prefix: `"01"` matches entries filed under `"01"`, `"0103"`, `"010307"`….
    pub category: Option<String>,
    /// Division code of the caller's place (district or street). An entry matches when its region
    /// contains that place (a district entry for a street query), lies inside it (a street entry
    /// for a district query), or has no region (city-wide entries always match).
    pub region: Option<String>,
    /// Statuses to return; empty means active entries only.
    pub statuses: Vec<EntryStatus>,
    /// How many hits at most; 0 means [`SearchQuery::DEFAULT_LIMIT`], above
    /// [`SearchQuery::MAX_LIMIT`] is refused.
    pub limit: usize,
}

impl SearchQuery {
    /// Hits returned when `limit` is 0.
    pub const DEFAULT_LIMIT: usize = 10;
    /// The largest `limit` accepted.
    pub const MAX_LIMIT: usize = 100;

    /// Active entries matching `text`, anywhere, at most [`SearchQuery::DEFAULT_LIMIT`].
    pub fn new(text: impl Into<String>) -> Self {
        SearchQuery {
            text: text.into(),
            category: None,
            region: None,
            statuses: Vec::new(),
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// One result, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The entry's id.
    pub id: String,
    /// The version that was indexed.
    pub version: u32,
    /// The blended score (see [`crate::Ranking`]); only comparable within one search.
    pub score: f32,
    /// The title as HTML: escaped, matched words inside `<mark>…</mark>`.
    pub title: String,
    /// An excerpt of the answer around the best matches, as HTML like `title`; `…` marks a cut.
    pub snippet: String,
}
