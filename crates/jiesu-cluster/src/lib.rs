//! Finding the same problem reported by many people (一件多诉, DESIGN §6).
//!
//! When a report arrives, [`Matcher::propose`] compares it with the open reports of the last
//! days and proposes the likely duplicates for merging into one master ticket, each with its
//! score and the reasons an agent can check: the words that weighed and the place both
//! name. The similarity is a TF-IDF cosine over jieba words (stop words and the generic
//! vocabulary of complaining removed) combined with place names found by suffix patterns
//! (compounds, roads, villages, streets, districts); a shared place raises it, two
//! different compounds cut it down (see [`Weights`]). [`cluster`] groups a set of reports
//! into problems and [`rank_by_heat`] ranks them by a documented heat index (热度指数) for
//! the hot-topic reports. [`eval`] measures all of it on the 2020 TipDM challenge messages.
//!
//! ```no_run
//! use jiesu_cluster::{read_votes, Config, Matcher};
//! let loaded = read_votes("messages_with_votes.csv".as_ref()).unwrap();
//! let matcher = Matcher::new(&loaded.reports, Config::default());
//! let (new, open) = loaded.reports.split_last().unwrap();
//! for p in matcher.propose(new, open) {
//!     println!("{} {:.2} {:?} {:?}", p.id, p.score, p.shared_terms, p.same_place);
//! }
//! ```

mod cluster;
mod data;
pub mod eval;
mod matcher;
pub mod place;
mod text;

#[cfg(test)]
mod tests;

pub use cluster::{
    Cluster, Linkage, cluster, cluster_with, group_profiles, heat_index, rank_by_heat,
};
pub use data::{BadRow, Loaded, Repeat, parse_time, read_votes};
pub use matcher::{Config, Matcher, MergeProposal, Profile, Report, Similarity, Weights};
pub use place::{Place, PlaceKind};
pub use text::{STOP_WORDS, Segmenter};

/// Errors of the cluster library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {message}")]
    Csv { path: String, message: String },
    #[error("{path} line {line}: {message}")]
    BadPair {
        path: String,
        line: u64,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
