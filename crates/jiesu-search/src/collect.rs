//! The top-N collector: filters on fast fields, blends BM25 with usage and recency, and keeps
//! tantivy's block-max WAND pruning.
//!
//! Filters are not query clauses: a required clause would turn the text query into an
//! intersection, which tantivy scores document by document. Instead the text query stays a pure
//! union of terms, and each candidate it yields is checked against the filters on fast fields.
//! The pruning threshold handed back to tantivy is the N-th best blended score divided by the
//! largest blend factor any document of the segment can get, so no document that could enter
//! the top N is skipped: the result is exact.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

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
}

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
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, bm25| {
            let threshold = |heap: &BinaryHeap<Reverse<Candidate>>| match heap.peek() {
                Some(Reverse(worst)) if heap.len() >= limit => worst.score / max_factor,
                _ => Score::MIN,
            };
            if alive.is_some_and(|a| !a.is_alive(doc)) || !filter.accepts(doc) {
                return threshold(&heap);
            }
            let score = ranking.blend(bm25, uses.get_val(doc), now - updated.get_val(doc));
            let candidate = Candidate { score, doc };
            if heap.len() < limit {
                heap.push(Reverse(candidate));
            } else if heap.peek().is_some_and(|Reverse(worst)| candidate > *worst) {
                heap.pop();
                heap.push(Reverse(candidate));
            }
            threshold(&heap)
        })?;
        Ok(heap
            .into_iter()
            .map(|Reverse(c)| (c.score, DocAddress::new(segment_ord, c.doc)))
            .collect())
    }
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
