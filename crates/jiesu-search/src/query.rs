//! From a [`SearchQuery`] to a tantivy query, and the ranking that orders the hits.

use std::collections::HashMap;

use tantivy::query::{BooleanQuery, BoostQuery, EnableScoring, Occur, Query, TermQuery, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use crate::collect::AnyOf;
use crate::entry::{EntryStatus, SearchQuery};
use crate::error::Result;
use crate::schema::{CITY_WIDE, Fields, region_levels};
use crate::tokenize::tokens;

/// How hits are scored and ordered.
///
/// The text score is BM25 summed over every distinct query term and every field it occurs in,
/// each field weighted by its boost (title above phrasings above answer), the character-pair
/// (bigram) fields at `bigram_weight` times the boost of the field they mirror. That text score
/// is then blended with usage and recency:
///
/// ```text
/// score = bm25 × (1 + usage_weight · ln(1 + uses))
///              × (recency_floor + (1 − recency_floor) · 2^(−age_days / recency_half_life_days))
/// ```
///
/// With the defaults an entry cited 100 times scores 1.46× an unused one, and a two-year-old
/// entry keeps 85 % of the score of one edited today (never less than 80 %), so the words decide
/// and usage and freshness break near-ties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranking {
    /// Weight of the title.
    pub title_boost: f32,
    /// Weight of the other phrasings and tags.
    pub questions_boost: f32,
    /// Weight of the answer body.
    pub answer_boost: f32,
    /// Weight of jieba-word matches (0 turns them off).
    pub word_weight: f32,
    /// Weight of character-pair matches relative to word matches (0 turns them off).
    pub bigram_weight: f32,
    /// `a` in `1 + a · ln(1 + uses)`.
    pub usage_weight: f32,
    /// Days after which the recency part of the score is halved.
    pub recency_half_life_days: f32,
    /// Share of the score that does not decay with age (0..=1).
    pub recency_floor: f32,
    /// Long queries (a pasted message) keep only this many distinct terms per cut (words,
    /// pairs), the rarest ones; common words add time and little precision.
    pub max_query_terms: usize,
    /// Queries of at most this many characters (what agents type) are matched on character
    /// pairs only: the pairs already hold every two-character word, jieba's words add time and
    /// in the evaluation lowered the short-query top-1.
    pub short_query_chars: usize,
    /// A query term is not looked up in a field where more than this share of the entries hold
    /// it (北京, 问题 in the answers): its BM25 weight there is close to nothing, yet walking
    /// its postings is most of a search's time. Kept when every term of the query is that
    /// common, and in indexes of fewer than 1,000 entries (1 or more keeps every term
    /// everywhere).
    pub common_term_share: f32,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            title_boost: 3.0,
            questions_boost: 2.0,
            answer_boost: 1.0,
            word_weight: 1.0,
            bigram_weight: 0.5,
            usage_weight: 0.1,
            recency_half_life_days: 365.0,
            recency_floor: 0.8,
            max_query_terms: 64,
            short_query_chars: 12,
            common_term_share: 0.3,
        }
    }
}

impl Ranking {
    /// The blend applied to the BM25 score (see the type's documentation).
    #[must_use]
    pub fn blend(&self, bm25: f32, uses: u64, age_secs: i64) -> f32 {
        #[allow(clippy::cast_precision_loss)] // counts and ages far below 2^24 precision matter
        let (uses, age_days) = (uses as f32, age_secs.max(0) as f32 / 86_400.0);
        let usage = 1.0 + self.usage_weight * uses.ln_1p();
        let decay = (-age_days / self.recency_half_life_days.max(1.0)).exp2();
        let floor = self.recency_floor.clamp(0.0, 1.0);
        bm25 * usage * (floor + (1.0 - floor) * decay)
    }
}

/// Query terms after cutting: each distinct term once.
pub(crate) struct Terms {
    pub words: Vec<String>,
    pub bigrams: Vec<String>,
}

impl Terms {
    pub(crate) fn cut(
        text: &str,
        words: &mut TextAnalyzer,
        bigrams: &mut TextAnalyzer,
        searcher: &Searcher,
        fields: &Fields,
        max_terms: usize,
        short_query_chars: usize,
    ) -> Result<Terms> {
        let pairs = tokens(bigrams, text);
        let short = text.chars().count() <= short_query_chars
            && pairs.iter().any(|p| p.chars().count() > 1);
        let words = if short {
            Vec::new()
        } else {
            tokens(words, text)
        };
        Ok(Terms {
            words: rarest(words, searcher, [fields.title, fields.answer], max_terms)?,
            bigrams: rarest(
                pairs,
                searcher,
                [fields.title_bigrams, fields.answer_bigrams],
                max_terms,
            )?,
        })
    }
}

/// Distinct terms in first-seen order; when there are more than `max`, the `max` with the
/// lowest document frequency. Terms in no document are dropped.
fn rarest(
    terms: Vec<String>,
    searcher: &Searcher,
    fields: [Field; 2],
    max: usize,
) -> Result<Vec<String>> {
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(terms.len());
    let mut distinct = Vec::with_capacity(terms.len());
    for term in terms {
        if !seen.contains_key(&term) {
            seen.insert(term.clone(), distinct.len());
            distinct.push(term);
        }
    }
    if distinct.len() <= max {
        return Ok(distinct);
    }
    let mut with_df = Vec::with_capacity(distinct.len());
    for (order, term) in distinct.into_iter().enumerate() {
        let mut df = 0;
        for field in fields {
            df += searcher.doc_freq(&Term::from_field_text(field, &term))?;
        }
        if df > 0 {
            with_df.push((df, order, term));
        }
    }
    with_df.sort_unstable_by_key(|&(df, order, _)| (df, order));
    with_df.truncate(max);
    with_df.sort_unstable_by_key(|&(_, order, _)| order);
    Ok(with_df.into_iter().map(|(_, _, term)| term).collect())
}

/// Below this many entries no term is too common to look up (in a handful of entries every
/// word is in a third of them).
const MIN_DOCS_FOR_COMMON: u64 = 1_000;

/// The text query's clauses, each a term in one field with its boost: one per distinct term
/// and field, without the (term, field) pairs held by more than
/// [`Ranking::common_term_share`] of the entries when rarer ones remain.
pub(crate) fn clauses(
    fields: &Fields,
    ranking: &Ranking,
    terms: &Terms,
    searcher: &Searcher,
) -> Result<Vec<(Term, f32)>> {
    let word_fields = [
        (fields.title, ranking.title_boost),
        (fields.questions, ranking.questions_boost),
        (fields.answer, ranking.answer_boost),
    ];
    let bigram_fields = [
        (fields.title_bigrams, ranking.title_boost),
        (fields.questions_bigrams, ranking.questions_boost),
        (fields.answer_bigrams, ranking.answer_boost),
    ];
    // (term, boost, is common)
    let mut clauses: Vec<(Term, f32, bool)> = Vec::new();
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let common_df = if ranking.common_term_share >= 1.0 || searcher.num_docs() < MIN_DOCS_FOR_COMMON
    {
        u64::MAX
    } else {
        (searcher.num_docs() as f64 * f64::from(ranking.common_term_share.max(0.0))) as u64
    };
    for (list, field_boosts, weight) in [
        (&terms.words, word_fields, ranking.word_weight),
        (&terms.bigrams, bigram_fields, ranking.bigram_weight),
    ] {
        if weight <= 0.0 {
            continue;
        }
        for term in list {
            for (field, boost) in field_boosts {
                let boost = boost * weight;
                if boost <= 0.0 {
                    continue;
                }
                let term = Term::from_field_text(field, term);
                let df = searcher.doc_freq(&term)?;
                if df > 0 {
                    clauses.push((term, boost, df > common_df));
                }
            }
        }
    }
    if clauses.iter().any(|&(_, _, common)| !common) {
        clauses.retain(|&(_, _, common)| !common);
    }
    Ok(clauses
        .into_iter()
        .map(|(term, boost, _)| (term, boost))
        .collect())
}

/// The text query: the union of the boosted clauses, scores summed.
pub(crate) fn union(clauses: &[(Term, f32)]) -> Box<dyn Query> {
    let text: Vec<(Occur, Box<dyn Query>)> = clauses
        .iter()
        .map(|(term, boost)| {
            let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), *boost)) as Box<dyn Query>,
            )
        })
        .collect();
    Box::new(BooleanQuery::new(text))
}

/// Each clause's own weight with its boost, for scoring the few entries a narrow filter
/// leaves one by one (see [`crate::collect`]).
pub(crate) fn clause_weights(
    clauses: &[(Term, f32)],
    searcher: &Searcher,
) -> Result<Vec<(Box<dyn Weight>, f32)>> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let mut out = Vec::with_capacity(clauses.len());
    for (term, boost) in clauses {
        let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        out.push((query.weight(scoring)?, *boost));
    }
    Ok(out)
}

/// The status, catalog and region conditions of `q`, checked on fast fields.
pub(crate) fn filters(q: &SearchQuery) -> Vec<Vec<AnyOf>> {
    let statuses: &[EntryStatus] = if q.statuses.is_empty() {
        &[EntryStatus::Active]
    } else {
        &q.statuses
    };
    let mut all = vec![vec![AnyOf {
        field: "status",
        values: statuses.iter().map(|s| s.as_str().to_owned()).collect(),
    }]];
    if let Some(prefix) = q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        all.push(vec![AnyOf {
            field: "category",
            values: vec![prefix.to_owned()],
        }]);
    }
    if let Some(code) = q.region.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        // Entries inside the place; entries for the place, a division containing it, or the
        // whole city.
        let mut containing: Vec<String> =
            region_levels(code).into_iter().map(str::to_owned).collect();
        containing.push(CITY_WIDE.to_owned());
        all.push(vec![
            AnyOf {
                field: "region_within",
                values: vec![code.to_owned()],
            },
            AnyOf {
                field: "region",
                values: containing,
            },
        ]);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blend_keeps_words_first() {
        let r = Ranking::default();
        let fresh = r.blend(10.0, 0, 0);
        assert!((fresh - 10.0).abs() < 1e-4);
        let old = r.blend(10.0, 0, 2 * 365 * 86_400);
        assert!((old - 8.5).abs() < 1e-3, "{old}");
        let used = r.blend(10.0, 100, 0);
        assert!((used - 14.615).abs() < 1e-2, "{used}");
        assert!(r.blend(10.0, 0, -5) <= 10.0 + 1e-4);
    }
}
