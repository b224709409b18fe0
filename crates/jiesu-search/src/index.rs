//! The index itself: writes serialized behind a mutex, reads lock-free through a reader that is
//! reloaded after every commit, so a change is searchable when the write call returns.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use chrono::Utc;
use tantivy::schema::Value;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, TantivyError, Term,
};

use crate::collect::BlendedTop;
use crate::entry::{Hit, IndexedEntry, SearchQuery};
use crate::error::{Error, Result};
use crate::highlight::Highlighter;
use crate::query::{self, Ranking, Terms};
use crate::schema::{self, FORMAT, Fields};
use crate::tokenize::{BIGRAMS, WORDS, bigrams_analyzer, words_analyzer};

/// File beside tantivy's own, holding [`FORMAT`].
const FORMAT_FILE: &str = "jiesu-search.format";
/// Indexing memory per writer thread (tantivy's minimum is 15 MB).
const MEMORY_PER_THREAD: usize = 48_000_000;
/// A write of at least this many entries is a bulk write: its segments are merged into one
/// before it returns. Smaller writes leave merging to tantivy's background policy, so that an
/// update never waits for a merge of the whole index.
const BULK_ENTRIES: usize = 10_000;

/// A full-text index of knowledge-base entries, in memory or in a directory.
///
/// `SearchIndex` is `Send + Sync`: share it behind an `Arc`. Searches run in parallel; writes
/// (`upsert`, `remove`, `rebuild`…) take turns and each ends with a commit, after which the
/// change is visible to every search.
pub struct SearchIndex {
    index: Index,
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    ranking: Ranking,
    words: TextAnalyzer,
    bigrams: TextAnalyzer,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("entries", &self.len())
            .field("ranking", &self.ranking)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// An empty index held in memory (tests, demos, rebuilt at every start).
    ///
    /// # Errors
    /// When the engine cannot start a writer.
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema::build();
        Self::from_index(Index::create_in_ram(schema), fields)
    }

    /// Opens the index in `dir`, creating it if the directory is missing or empty.
    ///
    /// An index written by another version of this crate, or one that cannot be read, is wiped
    /// and an empty one created: compare [`SearchIndex::versions`] with your database and
    /// rebuild. A directory holding anything else is refused, never wiped.
    ///
    /// # Errors
    /// [`Error::NotAnIndex`] for a foreign directory, [`Error::Io`] when the directory cannot be
    /// created or cleared, [`Error::Engine`] when the index is locked by another process.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(io)?;
        let marker = dir.join(FORMAT_FILE);
        let has_meta = dir.join("meta.json").exists();
        let has_marker = marker.exists();
        let is_empty = fs::read_dir(dir).map_err(io)?.next().is_none();
        if !is_empty && !has_meta && !has_marker {
            return Err(Error::NotAnIndex(dir.to_path_buf()));
        }
        if !is_empty {
            let same_format = fs::read_to_string(&marker).is_ok_and(|f| f == FORMAT);
            if same_format && has_meta {
                match Self::open_existing(dir) {
                    Ok(index) => return Ok(index),
                    // Another process holds it: not ours to wipe.
                    Err(Error::Engine(TantivyError::LockFailure(..))) => {
                        return Self::open_existing(dir);
                    }
                    Err(_) => {}
                }
            }
            wipe(dir)?;
        }
        fs::write(&marker, FORMAT).map_err(io)?;
        let (schema, fields) = schema::build();
        let index = Index::create_in_dir(dir, schema)?;
        Self::from_index(index, fields)
    }

    fn open_existing(dir: &Path) -> Result<Self> {
        let index = Index::open_in_dir(dir)?;
        let (schema, fields) = schema::build();
        if index.schema() != schema {
            return Err(Error::Engine(TantivyError::SchemaError(
                "the index was written with another layout".into(),
            )));
        }
        Self::from_index(index, fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<Self> {
        index.tokenizers().register(WORDS, words_analyzer());
        index.tokenizers().register(BIGRAMS, bigrams_analyzer());
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let writer = index.writer_with_num_threads(threads, threads * MEMORY_PER_THREAD)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            fields,
            reader,
            writer: Mutex::new(writer),
            ranking: Ranking::default(),
            words: words_analyzer(),
            bigrams: bigrams_analyzer(),
        })
    }

    /// Replaces the ranking (before sharing the index; used by the evaluation to compare).
    pub fn set_ranking(&mut self, ranking: Ranking) {
        self.ranking = ranking;
    }

    /// The ranking in use.
    #[must_use]
    pub fn ranking(&self) -> &Ranking {
        &self.ranking
    }

    /// Adds the entry or replaces the one with the same id; searchable on return.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a blank id; [`Error::Engine`] when the commit fails (nothing is
    /// changed then).
    pub fn upsert(&self, entry: &IndexedEntry) -> Result<()> {
        self.write(|writer, fields| add(writer, fields, entry))
    }

    /// Adds or replaces many entries in one commit; returns how many were written. Either all
    /// are written or none.
    ///
    /// # Errors
    /// As [`SearchIndex::upsert`].
    pub fn upsert_many(&self, entries: impl IntoIterator<Item = IndexedEntry>) -> Result<usize> {
        self.write_many(|writer, fields| {
            let mut n = 0;
            for entry in entries {
                add(writer, fields, &entry)?;
                n += 1;
            }
            Ok(n)
        })
    }

    /// Removes the entry with this id, if there is one; gone from searches on return.
    ///
    /// # Errors
    /// [`Error::Engine`] when the commit fails.
    pub fn remove(&self, id: &str) -> Result<()> {
        self.write(|writer, fields| {
            writer.delete_term(Term::from_field_text(fields.id, id));
            Ok(())
        })
    }

    /// Replaces the whole content with `entries` in one commit; returns how many were written.
    /// Searches see the old content until the new one is complete.
    ///
    /// # Errors
    /// As [`SearchIndex::upsert`]; on error the old content stays.
    pub fn rebuild(&self, entries: impl IntoIterator<Item = IndexedEntry>) -> Result<usize> {
        self.write_many(|writer, fields| {
            writer.delete_all_documents()?;
            let mut n = 0;
            for entry in entries {
                add(writer, fields, &entry)?;
                n += 1;
            }
            Ok(n)
        })
    }

    /// Every indexed entry's id with its version, to check the index against the database.
    ///
    /// # Errors
    /// [`Error::Engine`] when the index cannot be read.
    pub fn versions(&self) -> Result<HashMap<String, u32>> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        let mut id = String::new();
        for segment in searcher.segment_readers() {
            let ids = segment
                .fast_fields()
                .str("id")?
                .ok_or_else(|| TantivyError::SchemaError("no id column".into()))?;
            let versions = segment.fast_fields().u64("version")?;
            for doc in segment.doc_ids_alive() {
                let Some(ord) = ids.term_ords(doc).next() else {
                    continue;
                };
                id.clear();
                ids.ord_to_str(ord, &mut id).map_err(TantivyError::from)?;
                let version = versions.first(doc).unwrap_or_default();
                out.insert(id.clone(), u32::try_from(version).unwrap_or(u32::MAX));
            }
        }
        Ok(out)
    }

    /// Number of entries in the index, whatever their status.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index holds no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best entries for `q`, best first, with highlighted title and answer excerpt.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `text` for a blank text or `limit` for a limit above
    /// [`SearchQuery::MAX_LIMIT`]; [`Error::Engine`] when the index cannot be read.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<Hit>> {
        let text = q.text.trim();
        if text.is_empty() {
            return Err(Error::Invalid {
                field: "text",
                reason: "must not be empty",
            });
        }
        let limit = match q.limit {
            0 => SearchQuery::DEFAULT_LIMIT,
            n if n > SearchQuery::MAX_LIMIT => {
                return Err(Error::Invalid {
                    field: "limit",
                    reason: "must be at most 100",
                });
            }
            n => n,
        };
        let searcher = self.reader.searcher();
        let terms = Terms::cut(
            text,
            &mut self.words.clone(),
            &mut self.bigrams.clone(),
            &searcher,
            &self.fields,
            self.ranking.max_query_terms,
            // Pairs only for short queries, unless pairs are switched off.
            if self.ranking.bigram_weight > 0.0 {
                self.ranking.short_query_chars
            } else {
                0
            },
        )?;
        if terms.words.is_empty() && terms.bigrams.is_empty() {
            return Ok(Vec::new());
        }
        let clauses = query::clauses(&self.fields, &self.ranking, &terms, &searcher)?;
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let query = query::union(&clauses);
        let filters = query::filters(q);
        // Only a filter beyond the default status one can be narrow enough to go first.
        let narrowing = filters.len() > 1 || !q.statuses.is_empty();
        let collector = BlendedTop {
            limit,
            ranking: self.ranking,
            now: Utc::now().timestamp(),
            filters,
            clauses: if narrowing {
                query::clause_weights(&clauses, &searcher)?
            } else {
                Vec::new()
            },
        };
        let top = searcher.search(&*query, &collector)?;
        if top.is_empty() {
            return Ok(Vec::new());
        }
        let highlighter = self.highlighter(&searcher, &terms)?;
        let f = &self.fields;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text_of = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
            };
            hits.push(Hit {
                id: text_of(f.id).to_owned(),
                version: doc
                    .get_first(f.version)
                    .and_then(|v| v.as_u64())
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or_default(),
                score,
                title: highlighter.title(text_of(f.title)),
                snippet: highlighter.excerpt(text_of(f.answer)),
            });
        }
        Ok(hits)
    }

    /// Highlights the query's character pairs, the rarer ones weighing more.
    fn highlighter(&self, searcher: &Searcher, terms: &Terms) -> Result<Highlighter> {
        let mut weights = HashMap::new();
        for term in &terms.bigrams {
            let df = searcher.doc_freq(&Term::from_field_text(self.fields.answer_bigrams, term))?;
            #[allow(clippy::cast_precision_loss)]
            weights.insert(term.clone(), 1.0 / (1.0 + df as f32));
        }
        Ok(Highlighter::new(weights))
    }

    /// Runs `change` under the writer lock, then commits and reloads the reader; rolls back
    /// on error.
    fn write<T>(&self, change: impl FnOnce(&mut IndexWriter, &Fields) -> Result<T>) -> Result<T> {
        self.write_then(change, |_| false)
    }

    /// As [`SearchIndex::write`] for a write of many entries returning how many: a bulk write
    /// leaves one segment per writer thread and memory budget, merged into one before return.
    fn write_many(
        &self,
        change: impl FnOnce(&mut IndexWriter, &Fields) -> Result<usize>,
    ) -> Result<usize> {
        self.write_then(change, |&n| n >= BULK_ENTRIES)
    }

    fn write_then<T>(
        &self,
        change: impl FnOnce(&mut IndexWriter, &Fields) -> Result<T>,
        merge: impl FnOnce(&T) -> bool,
    ) -> Result<T> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let out = match change(&mut writer, &self.fields) {
            Ok(out) => out,
            Err(e) => {
                let _ = writer.rollback();
                return Err(e);
            }
        };
        if let Err(e) = writer.commit() {
            let _ = writer.rollback();
            return Err(e.into());
        }
        if merge(&out) {
            merge_all(&mut writer, &self.index);
        }
        self.reader.reload()?;
        Ok(out)
    }

    /// The underlying engine index (for diagnostics).
    #[must_use]
    pub fn engine(&self) -> &Index {
        &self.index
    }
}

/// Merges every searchable segment into one and waits: a search visits each segment on its own
/// (its own top N, its own pruning threshold), so after a bulk write of many segments one
/// segment answers in a fraction of the time. Best effort: the change is already committed,
/// and a failed merge leaves the segments as they were.
fn merge_all(writer: &mut IndexWriter, index: &Index) {
    if let Ok(ids) = index.searchable_segment_ids()
        && ids.len() > 1
    {
        let _ = writer.merge(&ids).wait();
    }
}

fn add(writer: &mut IndexWriter, fields: &Fields, entry: &IndexedEntry) -> Result<()> {
    if entry.id.trim().is_empty() {
        return Err(Error::Invalid {
            field: "id",
            reason: "must not be empty",
        });
    }
    writer.delete_term(Term::from_field_text(fields.id, &entry.id));
    writer.add_document(fields.document(entry))?;
    Ok(())
}

/// Deletes everything inside `dir` (only called on a directory holding our index).
fn wipe(dir: &Path) -> Result<()> {
    let io = |path: &Path, source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    for item in fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = item.map_err(|e| io(dir, e))?.path();
        if path.is_dir() {
            fs::remove_dir_all(&path).map_err(|e| io(&path, e))?;
        } else {
            fs::remove_file(&path).map_err(|e| io(&path, e))?;
        }
    }
    Ok(())
}
