//! Chinese full-text search over the knowledge base (知识库): agents type a few words, or paste
//! a citizen's message, and get the official answers (口径) that fit, best first, with the
//! matching words highlighted, in a few milliseconds. Text is cut into words by jieba and, in a
//! second field, into overlapping character pairs so that short queries find words jieba cut
//! differently; BM25 scores title and phrasings above the answer body and a documented blend adds
//! recency and usage (see [`Ranking`]). Results are filtered by catalog prefix, region (a district
//! entry serves its streets, a city-wide entry serves everyone) and status (retired entries only
//! when asked for). The crate knows nothing of the other jiesu crates: the server maps its own
//! entry type onto [`IndexedEntry`].
//!
//! ```
//! use jiesu_search::{EntryStatus, IndexedEntry, SearchIndex, SearchQuery};
//!
//! let index = SearchIndex::in_memory()?;
//! index.upsert(&IndexedEntry::new("kb-1", "医保报销需要哪些材料", "持社保卡和发票到窗口办理。"))?;
//! let hits = index.search(&SearchQuery::new("医保报销"))?;
//! assert_eq!(hits[0].id, "kb-1");
//! assert!(hits[0].title.contains("<mark>"));
//! # Ok::<(), jiesu_search::Error>(())
//! ```
#![deny(missing_docs)]

pub mod bench;
mod collect;
mod entry;
mod error;
pub mod eval;
mod highlight;
mod index;
mod query;
mod schema;
mod tokenize;

pub use entry::{EntryStatus, Hit, IndexedEntry, SearchQuery};
pub use error::{Error, Result};
pub use index::SearchIndex;
pub use query::Ranking;
