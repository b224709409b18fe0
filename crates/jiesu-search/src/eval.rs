//! How well the search finds the official answer for a citizen's own words.
//!
//! The data is the 2020 TipDM challenge's attachment 4 (`messages_with_replies.csv`: citizen
//! messages to a government board with the official reply). Each message becomes an entry
//! whose title is the message title and whose answer is the reply; then every message's
//! **detail** (the citizen's text, never indexed) is searched, as an agent pasting a caller's
//! words would, and we look at where the entry with the same title and reply lands. A second
//! run searches short pieces of the titles (2–6 characters, as agents type) and checks the
//! source entry comes back in the top 10 and that entries containing the piece literally are
//! found.
//!
//! [`read_replies`] is also the loader the server uses for its demo knowledge base.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use jiesu_core::parse_china_time;

use crate::entry::{IndexedEntry, SearchQuery};
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::query::Ranking;
use crate::tokenize::is_han;

/// One message of `messages_with_replies.csv` with its official reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyRecord {
    /// The board's message id.
    pub id: String,
    /// The (anonymised) user id.
    pub user: String,
    /// The message title.
    pub title: String,
    /// The message body in the citizen's words.
    pub detail: String,
    /// The official reply.
    pub reply: String,
    /// When the message was posted (China time, +08:00).
    pub time: DateTime<FixedOffset>,
    /// When the reply was posted (China time; midnight where the file gives no time of day).
    pub reply_time: DateTime<FixedOffset>,
}

impl ReplyRecord {
    /// The record as an active, city-wide knowledge-base entry: title → title, reply → answer.
    #[must_use]
    pub fn to_entry(&self) -> IndexedEntry {
        let mut entry = IndexedEntry::new(self.id.clone(), self.title.clone(), self.reply.clone());
        entry.updated_at = self.reply_time.with_timezone(&Utc);
        entry
    }
}

/// Reads `messages_with_replies.csv` (columns `id,user,title,time,detail,reply,reply_time`).
/// Times are read as China time in either `2019/4/25 9:32:09` or `2019-04-25 09:32:09` form,
/// with or without the time of day.
///
/// # Errors
/// [`Error::Data`] naming the file and row for a missing column or an unreadable time.
pub fn read_replies(path: impl AsRef<Path>) -> Result<Vec<ReplyRecord>> {
    let path = path.as_ref();
    let data = |reason: String| Error::Data {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| data(e.to_string()))?;
    let headers = reader.headers().map_err(|e| data(e.to_string()))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| data(format!("no column `{name}`")))
    };
    let [id, user, title, time, detail, reply, reply_time] = [
        column("id")?,
        column("user")?,
        column("title")?,
        column("time")?,
        column("detail")?,
        column("reply")?,
        column("reply_time")?,
    ];
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| data(format!("row {line}: {e}")))?;
        let get = |c: usize| row.get(c).unwrap_or_default().trim().to_owned();
        let when = |c: usize| {
            parse_china_time(&get(c))
                .ok_or_else(|| data(format!("row {line}: unreadable time `{}`", get(c))))
        };
        out.push(ReplyRecord {
            id: get(id),
            user: get(user),
            title: get(title),
            detail: get(detail),
            reply: get(reply),
            time: when(time)?,
            reply_time: when(reply_time)?,
        });
    }
    Ok(out)
}

/// Quality and speed for one kind of query.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QueryFigures {
    /// Queries run.
    pub n: usize,
    /// Share with the expected entry first.
    pub top1: f64,
    /// Share with the expected entry in the first three.
    pub top3: f64,
    /// Share with the expected entry in the first ten.
    pub top10: f64,
    /// Mean reciprocal rank of the expected entry, counting only the first ten.
    pub mrr10: f64,
    /// Median search time.
    pub p50: Duration,
    /// 99th-percentile search time.
    pub p99: Duration,
}

/// The outcome of [`evaluate_answers`].
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerEval {
    /// What was compared (the ranking's name in comparisons).
    pub label: String,
    /// Entries indexed (one per row).
    pub entries: usize,
    /// Rows repeating an earlier row's title and detail (their query cannot tell them apart).
    pub duplicates: usize,
    /// Time to index all entries in one commit.
    pub build: Duration,
    /// Searching with each message's detail.
    pub detail: QueryFigures,
    /// Searching with 2–6 characters of each title.
    pub short: QueryFigures,
    /// For the short queries: share of the entries whose title contains the query literally
    /// that come back in the first 100 (averaged over queries matching at most 100 titles).
    pub short_literal_recall: f64,
}

/// Reads the file and evaluates the default ranking.
///
/// # Errors
/// When the file cannot be read or the index fails.
pub fn evaluate_answers(path: impl AsRef<Path>) -> Result<AnswerEval> {
    let records = read_replies(path)?;
    evaluate_records(&records, Ranking::default(), "default")
}

/// Indexes `records` and runs both query sets under `ranking`.
///
/// # Errors
/// When the index fails.
pub fn evaluate_records(
    records: &[ReplyRecord],
    ranking: Ranking,
    label: &str,
) -> Result<AnswerEval> {
    let mut index = SearchIndex::in_memory()?;
    index.set_ranking(ranking);
    let started = Instant::now();
    index.upsert_many(records.iter().map(ReplyRecord::to_entry))?;
    let build = started.elapsed();

    // id → (title, reply), to count a duplicate entry as the right answer.
    let content: HashMap<&str, (&str, &str)> = records
        .iter()
        .map(|r| (r.id.as_str(), (r.title.as_str(), r.reply.as_str())))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let duplicates = records
        .iter()
        .filter(|r| !seen.insert((r.title.as_str(), r.detail.as_str())))
        .count();

    let detail_queries = records
        .iter()
        .filter(|r| !r.detail.trim().is_empty())
        .map(|r| (r.detail.clone(), (r.title.as_str(), r.reply.as_str())));
    let detail = run(&index, &content, detail_queries, 10)?;

    let pieces: Vec<(String, (&str, &str))> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            title_piece(&r.title, i).map(|p| (p, (r.title.as_str(), r.reply.as_str())))
        })
        .collect();
    let short = run(&index, &content, pieces.iter().cloned(), 10)?;

    let mut recall_sum = 0.0;
    let mut recall_n = 0usize;
    for (piece, _) in &pieces {
        let literal: Vec<&str> = records
            .iter()
            .filter(|r| r.title.contains(piece.as_str()))
            .map(|r| r.id.as_str())
            .collect();
        if literal.is_empty() || literal.len() > SearchQuery::MAX_LIMIT {
            continue;
        }
        let mut q = SearchQuery::new(piece.clone());
        q.limit = SearchQuery::MAX_LIMIT;
        let found: std::collections::HashSet<String> =
            index.search(&q)?.into_iter().map(|h| h.id).collect();
        let got = literal.iter().filter(|id| found.contains(**id)).count();
        #[allow(clippy::cast_precision_loss)]
        {
            recall_sum += got as f64 / literal.len() as f64;
        }
        recall_n += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let short_literal_recall = if recall_n == 0 {
        0.0
    } else {
        recall_sum / recall_n as f64
    };

    Ok(AnswerEval {
        label: label.to_owned(),
        entries: records.len(),
        duplicates,
        build,
        detail,
        short,
        short_literal_recall,
    })
}

/// A stretch of 2–6 Han characters from `title`, chosen by `seed`; `None` for titles without
/// two Han characters in a row.
fn title_piece(title: &str, seed: usize) -> Option<String> {
    let chars: Vec<char> = title.chars().collect();
    // Runs of Han characters at least two long.
    let mut runs = Vec::new();
    let mut start = None;
    for (i, &c) in chars.iter().chain(std::iter::once(&' ')).enumerate() {
        match (is_han(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= 2 {
                    runs.push(s..i);
                }
                start = None;
            }
            _ => {}
        }
    }
    if runs.is_empty() {
        return None;
    }
    let mix = seed.wrapping_mul(2_654_435_761) >> 7;
    let run = runs[mix % runs.len()].clone();
    let len = (2 + (mix >> 3) % 5).min(run.len());
    let offset = (mix >> 6) % (run.len() - len + 1);
    Some(
        chars[run.start + offset..run.start + offset + len]
            .iter()
            .collect(),
    )
}

fn run<'a>(
    index: &SearchIndex,
    content: &HashMap<&str, (&str, &str)>,
    queries: impl Iterator<Item = (String, (&'a str, &'a str))>,
    limit: usize,
) -> Result<QueryFigures> {
    let mut times = Vec::new();
    let (mut top1, mut top3, mut top10, mut rr) = (0usize, 0usize, 0usize, 0.0f64);
    for (text, expected) in queries {
        let mut q = SearchQuery::new(text);
        q.limit = limit;
        let started = Instant::now();
        let hits = index.search(&q)?;
        times.push(started.elapsed());
        let rank = hits
            .iter()
            .position(|h| content.get(h.id.as_str()) == Some(&expected));
        if let Some(rank) = rank {
            top1 += usize::from(rank == 0);
            top3 += usize::from(rank < 3);
            top10 += usize::from(rank < 10);
            #[allow(clippy::cast_precision_loss)]
            {
                rr += 1.0 / (rank + 1) as f64;
            }
        }
    }
    let n = times.len();
    let (p50, p99) = percentiles(&mut times);
    #[allow(clippy::cast_precision_loss)]
    let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    Ok(QueryFigures {
        n,
        top1: share(top1),
        top3: share(top3),
        top10: share(top10),
        mrr10: if n == 0 { 0.0 } else { rr / n as f64 },
        p50,
        p99,
    })
}

/// Median and 99th percentile (nearest rank).
pub(crate) fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    if times.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    times.sort_unstable();
    let at = |p: usize| times[((times.len() * p).div_ceil(100)).saturating_sub(1)];
    (at(50), at(99))
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

impl fmt::Display for AnswerEval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} entries ({} rows repeat an earlier title and detail), indexed in {:.2} s",
            self.label,
            self.entries,
            self.duplicates,
            self.build.as_secs_f64()
        )?;
        writeln!(
            f,
            "  {:<24} {:>6} {:>7} {:>7} {:>7} {:>7} {:>10} {:>10}",
            "queries", "n", "top-1", "top-3", "top-10", "MRR@10", "p50", "p99"
        )?;
        for (name, q) in [
            ("message detail", &self.detail),
            ("2-6 chars of title", &self.short),
        ] {
            writeln!(
                f,
                "  {:<24} {:>6} {:>6.1}% {:>6.1}% {:>6.1}% {:>7.3} {:>10} {:>10}",
                name,
                q.n,
                100.0 * q.top1,
                100.0 * q.top3,
                100.0 * q.top10,
                q.mrr10,
                ms(q.p50),
                ms(q.p99)
            )?;
        }
        write!(
            f,
            "  short queries: {:.1}% of the titles containing the query literally are found",
            100.0 * self.short_literal_recall
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_times_in_every_form() {
        let t = parse_china_time("2019/4/25 9:32:09").map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2019-04-25T09:32:09+08:00"));
        let t = parse_china_time("2019-04-25 09:32:09").map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2019-04-25T09:32:09+08:00"));
        let t = parse_china_time("2019/4/25").map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2019-04-25T00:00:00+08:00"));
        assert!(parse_china_time("yesterday").is_none());
    }

    #[test]
    fn title_pieces_are_han_stretches() {
        for seed in 0..50 {
            let p = title_piece("A2区景蓉华苑物业管理有问题", seed).unwrap_or_default();
            assert!((2..=6).contains(&p.chars().count()), "{p}");
            assert!("A2区景蓉华苑物业管理有问题".contains(&p));
        }
        assert_eq!(title_piece("ABC 12", 1), None);
    }

    #[test]
    fn percentile_ranks() {
        let mut v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(
            percentiles(&mut v),
            (Duration::from_millis(50), Duration::from_millis(99))
        );
    }
}
