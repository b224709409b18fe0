//! The top-N collector: filters on fast fields, blends BM25 with usage and recency, and keeps
//! tantivy's block-max WAND pruning.
//!
//! Filters are not query clauses: a required clause would turn the text query into an
//! intersection, which tantivy scores document by document. Instead the text query stays a pure
//! union of terms, and each candidate it yields is checked against the filters on fast fields.
//! The pruning threshold handed back to tantivy is the N-th best blended score divided by the
//! largest blend factor any document of the segment can get, so no document that could enter
//! the top N is skipped: the result is exact.
//!
//! A narrow filter (a catalog branch, a rarely asked status: at most [`NARROW_SHARE`] of the
//! segment) goes first instead: pruning only helps when most candidates pass, and with one in
//! fifteen passing it walks thousands of documents for common words. The documents passing the
//! filter are read from the inverted index, and each query term's postings are walked only
//! where they meet those documents (leapfrogging with skips), its BM25 added up per document.
//! Same scores, same order, bounded by the filter's size times the number of terms.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::query::Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED, Term};

use crate::query::Ranking;

/// A required condition: the document holds one of `values` in the fast field `field`.
#[derive(Debug, Clone)]
pub(crate) struct AnyOf {
    pub field: &'static str,
    pub values: Vec<String>,
}

/// Top `limit` documents by blended score among those passing every condition.
pub(crate) struct BlendedTop {
    pub limit: usize,
    pub ranking: Ranking,
    pub now: i64,
    /// Every group must hold; within a group, any condition may.
    pub filters: Vec<Vec<AnyOf>>,
    /// The text query's clauses one by one with their boosts, for a narrow filter; empty when
    /// no filter can be narrow.
    pub clauses: Vec<(Box<dyn Weight>, f32)>,
}

/// A filter group passing at most this share of a segment's documents is applied first.
pub(crate) const NARROW_SHARE: f64 = 0.12;

#[derive(Clone, Copy, PartialEq)]
struct Candidate {
    score: Score,
    doc: DocId,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Higher score first; on a tie the earlier document.
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.doc.cmp(&self.doc))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The filters resolved for one segment: columns and the ordinals of the wanted values.
struct SegmentFilter {
    groups: Vec<Vec<(StrColumn, Vec<u64>)>>,
}

impl SegmentFilter {
    /// `None` when no document of the segment can pass.
    fn resolve(reader: &SegmentReader, filters: &[Vec<AnyOf>]) -> tantivy::Result<Option<Self>> {
        let mut groups = Vec::with_capacity(filters.len());
        for group in filters {
            let mut resolved = Vec::new();
            for cond in group {
                let Some(column) = reader.fast_fields().str(cond.field)? else {
                    continue;
                };
                let mut ords = Vec::new();
                for value in &cond.values {
                    if let Some(ord) = column.dictionary().term_ord(value)? {
                        ords.push(ord);
                    }
                }
                if !ords.is_empty() {
                    resolved.push((column, ords));
                }
            }
            if resolved.is_empty() {
                return Ok(None);
            }
            groups.push(resolved);
        }
        Ok(Some(SegmentFilter { groups }))
    }

    /// The documents passing every condition, ascending, when one group lets through at most
    /// [`NARROW_SHARE`] of the segment; `None` when every group is wider.
    fn narrow_docs(
        &self,
        reader: &SegmentReader,
        filters: &[Vec<AnyOf>],
    ) -> tantivy::Result<Option<Vec<DocId>>> {
        let schema = reader.schema();
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let limit = (f64::from(reader.max_doc()) * NARROW_SHARE) as u64;
        let mut best: Option<(u64, Vec<Term>)> = None;
        for group in filters {
            let mut terms = Vec::new();
            let mut count = 0u64;
            for cond in group {
                let field = schema.get_field(cond.field)?;
                let inverted = reader.inverted_index(field)?;
                for value in &cond.values {
                    let term = Term::from_field_text(field, value);
                    count += u64::from(inverted.doc_freq(&term)?);
                    terms.push(term);
                }
            }
            if count <= limit && best.as_ref().is_none_or(|(c, _)| count < *c) {
                best = Some((count, terms));
            }
        }
        let Some((count, terms)) = best else {
            return Ok(None);
        };
        let mut docs = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for term in &terms {
            let inverted = reader.inverted_index(term.field())?;
            let Some(mut postings) = inverted.read_postings(term, IndexRecordOption::Basic)? else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                docs.push(doc);
                doc = postings.advance();
            }
        }
        if terms.len() > 1 {
            docs.sort_unstable();
            docs.dedup();
        }
        let alive = reader.alive_bitset();
        docs.retain(|&doc| alive.is_none_or(|a| a.is_alive(doc)) && self.accepts(doc));
        Ok(Some(docs))
    }

    fn accepts(&self, doc: DocId) -> bool {
        self.groups.iter().all(|group| {
            group
                .iter()
                .any(|(column, ords)| column.term_ords(doc).any(|o| ords.contains(&o)))
        })
    }
}

impl Collector for BlendedTop {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = Unused;

    fn for_segment(&self, _: SegmentOrdinal, _: &SegmentReader) -> tantivy::Result<Unused> {
        Ok(Unused)
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(Score, DocAddress)>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.limit);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Vec<(Score, DocAddress)>> {
        let Some(filter) = SegmentFilter::resolve(reader, &self.filters)? else {
            return Ok(Vec::new());
        };
        let fast = reader.fast_fields();
        let uses_column = fast.u64("uses")?;
        let max_uses = uses_column.max_value();
        let uses = uses_column.first_or_default_col(0);
        let updated = fast.i64("updated_at")?.first_or_default_col(self.now);
        let alive = reader.alive_bitset();
        // The most any document of this segment can be multiplied by.
        let max_factor = self.ranking.blend(1.0, max_uses, 0).max(f32::MIN_POSITIVE);
        let (ranking, now, limit) = (self.ranking, self.now, self.limit);

        let mut heap: BinaryHeap<Reverse<Candidate>> = BinaryHeap::with_capacity(limit + 1);
        if !self.clauses.is_empty()
            && let Some(docs) = filter.narrow_docs(reader, &self.filters)?
        {
            for (doc, bm25) in docs.iter().zip(score_each(&self.clauses, reader, &docs)?) {
                if bm25 > 0.0 {
                    let score =
                        ranking.blend(bm25, uses.get_val(*doc), now - updated.get_val(*doc));
                    offer(&mut heap, limit, Candidate { score, doc: *doc });
                }
            }
            return Ok(into_fruit(heap, segment_ord));
        }
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, bm25| {
            let threshold = |heap: &BinaryHeap<Reverse<Candidate>>| match heap.peek() {
                Some(Reverse(worst)) if heap.len() >= limit => worst.score / max_factor,
                _ => Score::MIN,
            };
            if alive.is_some_and(|a| !a.is_alive(doc)) || !filter.accepts(doc) {
                return threshold(&heap);
            }
            let score = ranking.blend(bm25, uses.get_val(doc), now - updated.get_val(doc));
            offer(&mut heap, limit, Candidate { score, doc });
            threshold(&heap)
        })?;
        Ok(into_fruit(heap, segment_ord))
    }
}

/// Keeps `candidate` if it is among the best `limit`.
fn offer(heap: &mut BinaryHeap<Reverse<Candidate>>, limit: usize, candidate: Candidate) {
    if heap.len() < limit {
        heap.push(Reverse(candidate));
    } else if heap.peek().is_some_and(|Reverse(worst)| candidate > *worst) {
        heap.pop();
        heap.push(Reverse(candidate));
    }
}

fn into_fruit(heap: BinaryHeap<Reverse<Candidate>>, segment_ord: u32) -> Vec<(Score, DocAddress)> {
    heap.into_iter()
        .map(|Reverse(c)| (c.score, DocAddress::new(segment_ord, c.doc)))
        .collect()
}

/// The text score of each of `docs` (ascending): every clause's postings walked only where
/// they meet `docs`, seeking past the gaps. 0 for a document no clause matches.
fn score_each(
    clauses: &[(Box<dyn Weight>, f32)],
    reader: &SegmentReader,
    docs: &[DocId],
) -> tantivy::Result<Vec<Score>> {
    let mut scores = vec![0.0; docs.len()];
    for (weight, boost) in clauses {
        let mut scorer = weight.scorer(reader, *boost)?;
        let mut at = 0;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            at += docs[at..].partition_point(|&d| d < doc);
            let Some(&target) = docs.get(at) else {
                break;
            };
            if target == doc {
                scores[at] += scorer.score();
                at += 1;
                doc = scorer.advance();
            } else {
                doc = scorer.seek(target);
            }
        }
    }
    Ok(scores)
}

/// Never used: [`BlendedTop`] collects whole segments itself.
pub(crate) struct Unused;

impl SegmentCollector for Unused {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, _: DocId, _: Score) {}

    fn harvest(self) -> Self::Fruit {
        Vec::new()
    }
}
