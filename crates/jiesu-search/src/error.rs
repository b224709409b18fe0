//! The one error type of the crate.

use std::path::PathBuf;

/// What can go wrong while indexing, searching or reading evaluation data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller's input is unusable; `field` names the offending field (`text`, `limit`, `id`)
    /// so that an HTTP layer can answer 422 pointing at it.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Name of the field, as in the API.
        field: &'static str,
        /// Why it was refused, in plain words.
        reason: &'static str,
    },
    /// The directory given to [`crate::SearchIndex::open`] holds files that are not a search
    /// index; they are left alone.
    #[error("{0} is not empty and does not hold a search index")]
    NotAnIndex(PathBuf),
    /// Reading or writing the index directory failed.
    #[error("index directory {path}: {source}")]
    Io {
        /// The directory or file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The search engine itself failed (disk full, index locked by another process, …).
    #[error("search engine: {0}")]
    Engine(#[from] tantivy::TantivyError),
    /// A data file for the evaluation or the demo could not be read.
    #[error("reading {path}: {reason}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What was wrong, with the row number where there is one.
        reason: String,
    },
}

impl Error {
    /// The API field an input error is about, if this is one.
    #[must_use]
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
