//! Speed at the scale of a large city's knowledge base.
//!
//! [`run`] builds an index of N entries (100,000 by default) grown from the real messages with
//! replies: every real entry is copied into several Beijing districts (110101…110119) and
//! streets, with the district's name in place of the anonymised place names, a varied title
//! wording, a category, a status (about 90 % active), an age and a usage count. It then
//! measures:
//!
//! * the build: all entries in one commit;
//! * searches as agents type them: 2–12 Chinese characters cut from titles, without a filter,
//!   with a catalog prefix and with a street (which also brings in the district's and the
//!   city-wide entries);
//! * updates: one entry changed, until a search finds its new words.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Duration as Age;

use crate::entry::{EntryStatus, IndexedEntry, SearchQuery};
use crate::error::Result;
use crate::eval::{ReplyRecord, ms, percentiles};
use crate::index::SearchIndex;
use crate::tokenize::is_han;

/// Beijing's 16 districts: code and name.
const DISTRICTS: [(&str, &str); 16] = [
    ("110101", "东城区"),
    ("110102", "西城区"),
    ("110105", "朝阳区"),
    ("110106", "丰台区"),
    ("110107", "石景山区"),
    ("110108", "海淀区"),
    ("110109", "门头沟区"),
    ("110111", "房山区"),
    ("110112", "通州区"),
    ("110113", "顺义区"),
    ("110114", "昌平区"),
    ("110115", "大兴区"),
    ("110116", "怀柔区"),
    ("110117", "平谷区"),
    ("110118", "密云区"),
    ("110119", "延庆区"),
];

/// Title wordings: how the same question is put by different editors.
const WORDINGS: [(&str, &str); 6] = [
    ("", ""),
    ("关于", "的答复"),
    ("", "怎么办"),
    ("咨询", ""),
    ("", "问题口径"),
    ("市民反映", ""),
];

/// What to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Entries in the index.
    pub entries: usize,
    /// Searches per kind (no filter, category, region).
    pub queries: usize,
    /// Single-entry updates timed.
    pub updates: usize,
    /// Keep the index in this directory instead of memory (commits then reach the disk).
    pub dir: Option<PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            entries: 100_000,
            queries: 2_000,
            updates: 200,
            dir: None,
        }
    }
}

/// Median and 99th percentile of one measured operation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Latency {
    /// Operations timed.
    pub n: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Mean number of hits returned (searches only).
    pub mean_hits: f64,
}

/// The outcome of [`run`].
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Entries indexed.
    pub entries: u64,
    /// Where the index lived.
    pub storage: String,
    /// Time to index everything in one commit.
    pub build: Duration,
    /// Searches without a filter.
    pub search: Latency,
    /// Searches with a level-1 catalog prefix.
    pub search_category: Latency,
    /// Searches for a street.
    pub search_region: Latency,
    /// Upsert of one entry until searchable.
    pub update: Latency,
}

/// Builds the scaled index from `records` and measures it.
///
/// # Errors
/// When the index fails.
pub fn run(records: &[ReplyRecord], options: &BenchOptions) -> Result<BenchReport> {
    let index = match &options.dir {
        Some(dir) => SearchIndex::open(dir)?,
        None => SearchIndex::in_memory()?,
    };
    let storage = options
        .dir
        .as_deref()
        .map_or_else(|| "memory".to_owned(), |d| d.display().to_string());
    let entries: Vec<IndexedEntry> = scaled(records, options.entries);
    let started = Instant::now();
    index.rebuild(entries)?;
    let build = started.elapsed();

    let queries = agent_queries(records, options.queries);
    // Warm the caches once, as a server does on its first requests.
    for q in queries.iter().take(200) {
        index.search(&SearchQuery::new(q.clone()))?;
    }
    let search = time_searches(&index, &queries, |_, _| {})?;
    let search_category = time_searches(&index, &queries, |i, q| {
        q.category = Some(format!("{:02}", 1 + i % 15));
    })?;
    let search_region = time_searches(&index, &queries, |i, q| {
        let (district, _) = DISTRICTS[i % DISTRICTS.len()];
        q.region = Some(format!("{district}{:03}", 1 + i % 20));
    })?;

    let mut times = Vec::with_capacity(options.updates);
    for i in 0..options.updates {
        let Some(record) = records.get(i % records.len().max(1)) else {
            break;
        };
        let mut entry = record.to_entry();
        entry.id = format!("{}-0", record.id);
        entry.answer = format!("{} 更新编号{}号", entry.answer, chinese_number(i));
        entry.version = 2 + u32::try_from(i).unwrap_or(0);
        let started = Instant::now();
        index.upsert(&entry)?;
        let found = index.search(&SearchQuery::new(format!(
            "更新编号{}号",
            chinese_number(i)
        )))?;
        times.push(started.elapsed());
        debug_assert!(found.iter().any(|h| h.id == entry.id));
    }
    let (p50, p99) = percentiles(&mut times);
    Ok(BenchReport {
        entries: index.len(),
        storage,
        build,
        search,
        search_category,
        search_region,
        update: Latency {
            n: times.len(),
            p50,
            p99,
            mean_hits: 0.0,
        },
    })
}

fn time_searches(
    index: &SearchIndex,
    texts: &[String],
    shape: impl Fn(usize, &mut SearchQuery),
) -> Result<Latency> {
    let mut times = Vec::with_capacity(texts.len());
    let mut hits = 0usize;
    for (i, text) in texts.iter().enumerate() {
        let mut q = SearchQuery::new(text.clone());
        shape(i, &mut q);
        let started = Instant::now();
        hits += index.search(&q)?.len();
        times.push(started.elapsed());
    }
    let n = times.len();
    let (p50, p99) = percentiles(&mut times);
    #[allow(clippy::cast_precision_loss)]
    let mean_hits = if n == 0 { 0.0 } else { hits as f64 / n as f64 };
    Ok(Latency {
        n,
        p50,
        p99,
        mean_hits,
    })
}

/// `n` entries grown from `records` (see the module documentation).
#[must_use]
pub fn scaled(records: &[ReplyRecord], n: usize) -> Vec<IndexedEntry> {
    let mut out = Vec::with_capacity(n);
    if records.is_empty() {
        return out;
    }
    for i in 0..n {
        let record = &records[i % records.len()];
        let copy = i / records.len();
        let mix = i.wrapping_mul(2_654_435_761) >> 5;
        let (district, name) = DISTRICTS[copy % DISTRICTS.len()];
        let (before, after) = WORDINGS[(copy / DISTRICTS.len() + mix) % WORDINGS.len()];
        let local = |text: &str| localise(text, name);
        let mut entry = record.to_entry();
        entry.id = format!("{}-{copy}", record.id);
        entry.title = format!("{before}{}{after}", local(&record.title));
        entry.answer = local(&record.reply);
        entry.questions = vec![local(&record.title)];
        entry.category_code = Some(format!(
            "{:02}{:02}{:02}",
            1 + mix % 15,
            1 + (mix >> 4) % 8,
            1 + (mix >> 8) % 6
        ));
        entry.region_code = match mix % 10 {
            0 | 1 => None,
            2..=4 => Some(format!("{district}{:03}", 1 + (mix >> 3) % 20)),
            _ => Some(district.to_owned()),
        };
        entry.status = match mix % 20 {
            0 => EntryStatus::Draft,
            1 => EntryStatus::Retired,
            _ => EntryStatus::Active,
        };
        entry.updated_at -= Age::days(i64::try_from(copy * 30).unwrap_or(0));
        entry.uses = (mix % 97) as u64 * u64::from(mix.is_multiple_of(3));
        out.push(entry);
    }
    out
}

/// Replaces the anonymised place names ("A市", "A3区") with Beijing and a district.
fn localise(text: &str, district: &str) -> String {
    let text = text.replace("A市", "北京市");
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text.as_str();
    while let Some(at) = rest.find('A') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with('区') {
            out.push_str(district);
            rest = &after[digits + '区'.len_utf8()..];
        } else {
            out.push('A');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Agent queries: 2–12 Han characters cut from the titles.
#[must_use]
pub fn agent_queries(records: &[ReplyRecord], n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let titles: Vec<Vec<char>> = records
        .iter()
        .map(|r| localise(&r.title, "海淀区").chars().collect())
        .collect();
    let mut i = 0usize;
    while out.len() < n && i < n * 20 && !titles.is_empty() {
        let title = &titles[i % titles.len()];
        let mix = i.wrapping_mul(2_654_435_761) >> 7;
        i += 1;
        let runs: Vec<(usize, usize)> = han_runs(title);
        let Some(&(start, end)) = runs.get(mix % runs.len().max(1)) else {
            continue;
        };
        // Mostly short, as typed: 2–6 characters; one in five longer, up to 12.
        let want = if mix.is_multiple_of(5) {
            7 + (mix >> 3) % 6
        } else {
            2 + (mix >> 3) % 5
        };
        let len = want.min(end - start);
        let offset = (mix >> 6) % (end - start - len + 1);
        out.push(title[start + offset..start + offset + len].iter().collect());
    }
    out
}

fn han_runs(chars: &[char]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, &c) in chars.iter().chain(std::iter::once(&' ')).enumerate() {
        match (is_han(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= 2 {
                    runs.push((s, i));
                }
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// A number in Chinese digits, so that the update marker is one searchable Han string.
fn chinese_number(mut n: usize) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[n % 10]);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.iter().rev().collect()
}

fn line(f: &mut fmt::Formatter<'_>, name: &str, l: &Latency, hits: bool) -> fmt::Result {
    write!(
        f,
        "  {:<28} {:>6} {:>10} {:>10}",
        name,
        l.n,
        ms(l.p50),
        ms(l.p99)
    )?;
    if hits {
        write!(f, " {:>9.1}", l.mean_hits)?;
    }
    writeln!(f)
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} entries in {}, built in {:.1} s",
            self.entries,
            self.storage,
            self.build.as_secs_f64()
        )?;
        writeln!(
            f,
            "  {:<28} {:>6} {:>10} {:>10} {:>9}",
            "operation", "n", "p50", "p99", "hits"
        )?;
        line(f, "search, no filter", &self.search, true)?;
        line(f, "search, category prefix", &self.search_category, true)?;
        line(f, "search, street", &self.search_region, true)?;
        line(f, "update until searchable", &self.update, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_names_become_beijing() {
        assert_eq!(
            localise("A市A2区桂花坪街道A3", "海淀区"),
            "北京市海淀区桂花坪街道A3"
        );
        assert_eq!(chinese_number(105), "一零五");
    }
}
