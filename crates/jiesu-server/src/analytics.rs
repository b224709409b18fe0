//! The server's side of the analytics: names for codes, hot topics of a window, the spike
//! check of an hour (and the alerts it raises), and the term counter that follows the tickets.
//!
//! The arithmetic is [`jiesu_core::analytics`]; the counts come from the store's bucket and
//! term counters. Terms are counted off the intake path: [`count_terms`] reads the tickets
//! after the position it stored last (`tickets.seq`), tokenizes their titles (or the first
//! sentence of the content) with jieba on a blocking thread, and adds the counts and the new
//! position in one transaction.

use crate::AppState;
use crate::knowledge::Notice;
use chrono::{DateTime, TimeDelta, Utc};
use jiesu_core::analytics::{
    BASELINE_WEEKS, Dim, Grain, History, STATISTIC, Spike, SpikeRule, Window, WindowKind, baseline,
    check, growth, new_spikes, ratio,
};
use jiesu_store::analytics::{Alert, HourTerms, NewAlert};
use jiesu_store::{Reference, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// Names of categories, districts and streets by code.
pub struct Names<'a> {
    catalog: HashMap<&'a str, &'a str>,
    divisions: HashMap<&'a str, (&'a str, Option<&'a str>)>,
}

impl<'a> Names<'a> {
    /// The names in the reference data.
    pub fn new(reference: &'a Reference) -> Names<'a> {
        Names {
            catalog: reference
                .catalog
                .iter()
                .map(|c| (c.code.as_str(), c.name.as_str()))
                .collect(),
            divisions: reference
                .divisions
                .iter()
                .map(|d| (d.code.as_str(), (d.name.as_str(), d.parent_code.as_deref())))
                .collect(),
        }
    }

    /// A category's name ('' when unknown).
    pub fn category(&self, code: &str) -> String {
        self.catalog.get(code).copied().unwrap_or("").to_string()
    }

    /// A district's or street's name ('' when unknown).
    pub fn division(&self, code: &str) -> String {
        self.divisions
            .get(code)
            .map_or("", |(name, _)| name)
            .to_string()
    }

    /// The district of a street.
    pub fn district_of(&self, street: &str) -> Option<String> {
        self.divisions
            .get(street)
            .and_then(|(_, parent)| parent.map(String::from))
    }

    /// The name of a key of a dimension.
    pub fn of(&self, dim: Dim, key: &str) -> String {
        match dim {
            Dim::Category1 | Dim::Category2 | Dim::Category3 => self.category(key),
            Dim::District | Dim::Street => self.division(key),
            Dim::Channel | Dim::RequestType | Dim::Outcome => key.to_string(),
        }
    }
}

/// `{from, to}` of a window.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Span {
    /// First instant.
    pub from: DateTime<Utc>,
    /// First instant after.
    pub to: DateTime<Utc>,
}

impl From<Window> for Span {
    fn from(w: Window) -> Span {
        Span {
            from: w.from,
            to: w.to,
        }
    }
}

/// A count against the window before and the same window of the past 4 weeks.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// Tickets in the window.
    pub count: i64,
    /// Tickets in the previous window.
    pub previous: i64,
    /// `(count - previous) / previous`, null when previous is 0.
    pub growth: Option<f64>,
    /// Mean of the same window in the past 4 weeks.
    pub baseline: f64,
    /// `count / baseline`, null when the baseline is 0.
    pub ratio: Option<f64>,
}

impl Trend {
    /// The trend of `key`'s `count`, with its counts in the previous window and past weeks.
    fn of(
        key: &str,
        count: i64,
        before: &HashMap<String, i64>,
        weeks: &[HashMap<String, i64>],
    ) -> Trend {
        let previous = before.get(key).copied().unwrap_or(0);
        let past: Vec<i64> = weeks
            .iter()
            .map(|m| m.get(key).copied().unwrap_or(0))
            .collect();
        let base = baseline(&past);
        Trend {
            count,
            previous,
            growth: growth(count, previous),
            baseline: base,
            ratio: ratio(count, base),
        }
    }
}

/// A category in the hot topics.
#[derive(Debug, Clone, Serialize)]
pub struct HotCategory {
    /// Catalog code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its tickets.
    #[serde(flatten)]
    pub trend: Trend,
}

/// A term in the hot topics.
#[derive(Debug, Clone, Serialize)]
pub struct HotTerm {
    /// The term.
    pub term: String,
    /// The tickets naming it.
    #[serde(flatten)]
    pub trend: Trend,
}

/// A street in the hot topics.
#[derive(Debug, Clone, Serialize)]
pub struct HotStreet {
    /// Street code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its district's code.
    pub district: Option<String>,
    /// Tickets in the window.
    pub count: i64,
    /// In the previous window.
    pub previous: i64,
    /// `(count - previous) / previous`, null when previous is 0.
    pub growth: Option<f64>,
}

/// 热点 the hot topics of a window.
#[derive(Debug, Clone, Serialize)]
pub struct Hot {
    /// hour, day or week.
    pub kind: WindowKind,
    /// The window.
    pub window: Span,
    /// The window before it.
    pub previous: Span,
    /// Tickets received in the window.
    pub total: i64,
    /// Tickets received in the previous window.
    pub previous_total: i64,
    /// The catalog level of the categories.
    pub level: u8,
    /// The most frequent categories.
    pub categories: Vec<HotCategory>,
    /// The most frequent terms of titles.
    pub terms: Vec<HotTerm>,
    /// The streets with the most tickets.
    pub streets: Vec<HotStreet>,
}

/// Counts of a dimension in a window, from the hourly counters for an hour, else the daily.
async fn window_counts(
    state: &AppState,
    dim: Dim,
    w: Window,
) -> Result<HashMap<String, i64>, StoreError> {
    let grain = if w.to - w.from < TimeDelta::days(1) {
        Grain::Hour
    } else {
        Grain::Day
    };
    Ok(state
        .store
        .bucket_counts(grain, dim, w.from, w.to)
        .await?
        .into_iter()
        .collect())
}

fn top_of(counts: &HashMap<String, i64>, top: usize) -> Vec<(String, i64)> {
    let mut rows: Vec<(String, i64)> = counts
        .iter()
        .filter(|(k, n)| !k.is_empty() && **n > 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.truncate(top);
    rows
}

/// The hot topics of the last complete window of `kind` before `now`.
pub async fn hot(
    state: &AppState,
    kind: WindowKind,
    level: u8,
    top: usize,
    now: DateTime<Utc>,
) -> Result<Hot, StoreError> {
    let names = Names::new(&state.reference);
    let w = Window::last_complete(kind, now);
    let prev = w.previous();
    let past = w.baseline();
    let dim = Dim::category(level).unwrap_or(Dim::Category1);

    let total: i64 = window_counts(state, Dim::Channel, w).await?.values().sum();
    let previous_total: i64 = window_counts(state, Dim::Channel, prev)
        .await?
        .values()
        .sum();

    // Categories: the window, the previous one and the 4 past ones.
    let now_counts = window_counts(state, dim, w).await?;
    let before = window_counts(state, dim, prev).await?;
    let mut weeks = Vec::with_capacity(BASELINE_WEEKS);
    for p in past {
        weeks.push(window_counts(state, dim, p).await?);
    }
    let categories = top_of(&now_counts, top)
        .into_iter()
        .map(|(code, count)| HotCategory {
            name: names.category(&code),
            trend: Trend::of(&code, count, &before, &weeks),
            code,
        })
        .collect();

    // Streets: the window and the previous one.
    let now_counts = window_counts(state, Dim::Street, w).await?;
    let before = window_counts(state, Dim::Street, prev).await?;
    let streets = top_of(&now_counts, top)
        .into_iter()
        .map(|(code, count)| {
            let previous = before.get(&code).copied().unwrap_or(0);
            HotStreet {
                name: names.division(&code),
                district: names.district_of(&code),
                code,
                count,
                previous,
                growth: growth(count, previous),
            }
        })
        .collect();

    // Terms: the top of the window's bucket by index, then the same terms before.
    let grain = kind.grain();
    let top_u32 = u32::try_from(top).unwrap_or(u32::MAX);
    let current = state.store.top_terms(grain, w.from, top_u32).await?;
    let words: Vec<String> = current.iter().map(|(t, _)| t.clone()).collect();
    let lookup = |rows: Vec<(String, i64)>| rows.into_iter().collect::<HashMap<String, i64>>();
    let before = lookup(state.store.term_counts(grain, prev.from, &words).await?);
    let mut weeks = Vec::with_capacity(BASELINE_WEEKS);
    for p in past {
        weeks.push(lookup(
            state.store.term_counts(grain, p.from, &words).await?,
        ));
    }
    let terms = current
        .into_iter()
        .map(|(term, count)| HotTerm {
            trend: Trend::of(&term, count, &before, &weeks),
            term,
        })
        .collect();

    Ok(Hot {
        kind,
        window: w.into(),
        previous: prev.into(),
        total,
        previous_total,
        level,
        categories,
        terms,
        streets,
    })
}

/// A ranking of streets or districts by volume.
#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    /// Tickets received in the period.
    pub total: i64,
    /// The ranked rows: rank, code, name, district (of a street), count, share.
    pub rows: Vec<serde_json::Value>,
}

/// Streets (`dim` street) or districts ranked by tickets received in `[from, to)` (Beijing
/// days), the `top` first, ties by code, with their share of all tickets of the period.
pub async fn ranking(
    state: &AppState,
    dim: Dim,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    top: usize,
) -> Result<Ranking, StoreError> {
    let total: i64 = state
        .store
        .bucket_counts(Grain::Day, Dim::Channel, from, to)
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let counts = state.store.bucket_counts(Grain::Day, dim, from, to).await?;
    let names = Names::new(&state.reference);
    let rows = jiesu_core::analytics::rank(&counts, total, top)
        .into_iter()
        .map(|r| {
            let district = match dim {
                Dim::Street => names.district_of(&r.code),
                _ => None,
            };
            serde_json::json!({
                "rank": r.rank,
                "name": names.division(&r.code),
                "district": district,
                "code": r.code,
                "count": r.count,
                "share": r.share,
            })
        })
        .collect();
    Ok(Ranking { total, rows })
}

/// The dimensions the spike check looks at: leaf categories (catalog level 3) and streets.
pub const SPIKE_DIMS: [Dim; 2] = [Dim::Category3, Dim::Street];

/// The share of a spike one street (or category) must hold to be named on the alert.
const CONCENTRATION: f64 = 0.5;

/// Past counts of `keys` summed over `buckets`: point lookups when the keys are few against
/// `all` keys of the dimension, one scan of the buckets otherwise.
async fn past_counts(
    state: &AppState,
    dim: Dim,
    buckets: &[DateTime<Utc>],
    keys: &[String],
    all: usize,
) -> Result<HashMap<String, i64>, StoreError> {
    let (Some(first), Some(last)) = (buckets.iter().min(), buckets.iter().max()) else {
        return Ok(HashMap::new());
    };
    let rows = if keys.len() * 4 < all {
        state
            .store
            .key_counts(Grain::Hour, dim, buckets, keys)
            .await?
    } else {
        // The buckets are consecutive hours here.
        let to = *last + TimeDelta::hours(1);
        state
            .store
            .bucket_counts(Grain::Hour, dim, *first, to)
            .await?
    };
    Ok(rows.into_iter().collect())
}

/// The raw spikes of one hour, every dimension; with `only`, just those keys are looked at
/// (the spikes of the hour after, to tell whether they were already going on). The
/// dimensions, and the past weeks and day of each, are read at the same time.
async fn raw_spikes(
    state: &AppState,
    rule: &SpikeRule,
    hour: DateTime<Utc>,
    only: Option<&[Spike]>,
) -> Result<Vec<Spike>, StoreError> {
    let per_dim = SPIKE_DIMS
        .iter()
        .map(|dim| dim_spikes(state, rule, hour, only, *dim));
    let found = futures::future::try_join_all(per_dim).await?;
    Ok(found.into_iter().flatten().collect())
}

/// The spikes of one dimension in one hour; see [`raw_spikes`].
async fn dim_spikes(
    state: &AppState,
    rule: &SpikeRule,
    hour: DateTime<Utc>,
    only: Option<&[Spike]>,
    dim: Dim,
) -> Result<Vec<Spike>, StoreError> {
    let (current, all) = match only {
        None => {
            let all = state
                .store
                .bucket_counts(Grain::Hour, dim, hour, hour + TimeDelta::hours(1))
                .await?;
            let n = all.len();
            (all, n)
        }
        Some(asked) => {
            let keys: Vec<String> = asked
                .iter()
                .filter(|s| s.dim == dim)
                .map(|s| s.key.clone())
                .collect();
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            let found = state
                .store
                .key_counts(Grain::Hour, dim, &[hour], &keys)
                .await?;
            (found, usize::MAX)
        }
    };
    // Only keys that could pass the minimum count need a history.
    let mut histories: BTreeMap<String, History> = current
        .into_iter()
        .filter(|(_, n)| *n >= rule.min_count)
        .map(|(k, n)| {
            (
                k,
                History {
                    count: n,
                    ..History::default()
                },
            )
        })
        .collect();
    if histories.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = histories.keys().cloned().collect();
    let weeks: Vec<[DateTime<Utc>; 1]> = (0..BASELINE_WEEKS)
        .map(|k| [hour - TimeDelta::weeks(k as i64 + 1)])
        .collect();
    let day: Vec<DateTime<Utc>> = (1..=24).map(|h| hour - TimeDelta::hours(h)).collect();
    let (weekly, day) = futures::future::try_join(
        futures::future::try_join_all(
            weeks
                .iter()
                .map(|at| past_counts(state, dim, at, &keys, all)),
        ),
        past_counts(state, dim, &day, &keys, all),
    )
    .await?;
    for (key, h) in histories.iter_mut() {
        for (k, week) in weekly.iter().enumerate() {
            h.weekly[k] = week.get(key).copied().unwrap_or(0);
        }
        h.last_day = day.get(key).copied().unwrap_or(0);
    }
    Ok(check(rule, dim, &histories))
}

/// The biggest part of `total` among `cells` by key, when it holds at least
/// [`CONCENTRATION`] of it.
fn concentrated(cells: impl IntoIterator<Item = (String, i64)>, total: i64) -> Option<String> {
    let mut by: HashMap<String, i64> = HashMap::new();
    for (k, n) in cells {
        if !k.is_empty() {
            *by.entry(k).or_insert(0) += n;
        }
    }
    by.into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .filter(|(_, n)| *n as f64 >= CONCENTRATION * total as f64)
        .map(|(k, _)| k)
}

/// The alert of a spike, with the category or street that holds most of it.
fn new_alert(s: Spike, category: Option<String>, street: Option<String>) -> NewAlert {
    NewAlert {
        dim: s.dim,
        key: s.key,
        category,
        street,
        count: s.count,
        expected: s.expected,
        z: s.z,
        statistic: STATISTIC.to_string(),
    }
}

/// The alerts a set of spikes of one hour make: each category spike names the street holding
/// most of it and each street spike the category; a street spike explained by a category spike
/// on that street (the same tickets) is folded into the category's alert, so one burst of one
/// problem in one place raises one alert.
async fn alerts_of(
    state: &AppState,
    hour: DateTime<Utc>,
    spikes: Vec<Spike>,
) -> Result<Vec<NewAlert>, StoreError> {
    let mut alerts = Vec::new();
    // Category spikes first: the tickets of their cells also tell, without another scan of
    // the hour, which category holds most of a street's spike.
    let (streets, categories): (Vec<Spike>, Vec<Spike>) =
        spikes.into_iter().partition(|s| s.dim == Dim::Street);
    let mut seen: HashMap<(String, String), i64> = HashMap::new();
    for s in categories {
        let cells = state.store.hour_cells(hour, Some(&s.key), None).await?;
        for (c, st, n) in &cells {
            let leaf = c.get(..6).unwrap_or("").to_string();
            *seen.entry((leaf, st.clone())).or_insert(0) += n;
        }
        let street = concentrated(cells.into_iter().map(|(_, st, n)| (st, n)), s.count);
        alerts.push(new_alert(s, None, street));
    }
    for s in streets {
        // A leaf holding more than half of the street's tickets is the one `concentrated`
        // would name.
        let known = seen
            .iter()
            .find(|((_, st), n)| *st == s.key && 2 * **n > s.count)
            .map(|((leaf, _), _)| leaf.clone());
        let category = match known {
            Some(leaf) => Some(leaf),
            None => {
                let cells = state.store.hour_cells(hour, None, Some(&s.key)).await?;
                let leaf = cells
                    .into_iter()
                    .map(|(c, _, n)| (c.get(..6).unwrap_or("").to_string(), n));
                concentrated(leaf, s.count)
            }
        };
        alerts.push(new_alert(s, category, None));
    }
    let folded: Vec<(String, String)> = alerts
        .iter()
        .filter(|a| a.dim != Dim::Street)
        .filter_map(|a| Some((a.key.clone(), a.street.clone()?)))
        .collect();
    alerts.retain(|a| {
        a.dim != Dim::Street
            || !folded
                .iter()
                .any(|(c, st)| *st == a.key && a.category.as_deref().is_none_or(|ac| ac == c))
    });
    Ok(alerts)
}

/// The spike check of one hour: every spike that started in it (one still going on from the
/// hour before is left out), as alerts.
pub async fn spike_check(
    state: &AppState,
    hour: DateTime<Utc>,
) -> Result<Vec<NewAlert>, StoreError> {
    let rule = SpikeRule::default();
    let current = raw_spikes(state, &rule, hour, None).await?;
    if current.is_empty() {
        return Ok(Vec::new());
    }
    let before = raw_spikes(state, &rule, hour - TimeDelta::hours(1), Some(&current)).await?;
    alerts_of(state, hour, new_spikes(current, &before)).await
}

/// An alert with the names of its codes, as the API and the notices show it.
pub fn alert_json(state: &AppState, alert: &Alert) -> serde_json::Value {
    let names = Names::new(&state.reference);
    let mut v = serde_json::to_value(alert).unwrap_or_default();
    v["name"] = names.of(alert.spike.dim, &alert.spike.key).into();
    v["hour_to"] = serde_json::to_value(alert.hour + TimeDelta::hours(1)).unwrap_or_default();
    if let Some(s) = &alert.spike.street {
        v["street_name"] = names.division(s).into();
    }
    if let Some(c) = &alert.spike.category {
        v["category_name"] = names.category(c).into();
    }
    v
}

/// The spike check of the last complete hour before `now`: stores the new alerts (an alert
/// already raised for the hour is not raised again) and pushes each as an `alert.raised`
/// notice. Returns the alerts raised.
pub async fn raise_alerts(state: &AppState, now: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
    let hour = Window::last_complete(WindowKind::Hour, now).from;
    let found = spike_check(state, hour).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let raised = state.store.insert_alerts(now, hour, &found).await?;
    for a in &raised {
        state.knowledge.notify(Notice {
            kind: "alert.raised".into(),
            at: a.raised_at,
            data: alert_json(state, a),
        });
    }
    Ok(raised)
}

/// Distinct terms counted per ticket, at most.
pub const TERMS_PER_TICKET: usize = 8;

/// Tickets read per page of the term counter.
const TERM_PAGE: u32 = 500;

static SEGMENTER: LazyLock<jiesu_cluster::Segmenter> = LazyLock::new(jiesu_cluster::Segmenter::new);

/// The text whose terms are counted: the title, or else the content's first sentence.
pub fn term_text<'a>(title: Option<&'a str>, content: &'a str) -> &'a str {
    match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => content
            .split(['。', '！', '？', '!', '?', '\n'])
            .find(|s| !s.trim().is_empty())
            .unwrap_or(content),
    }
}

/// Counts the terms of every ticket the counter has not seen yet; returns how many tickets
/// were counted.
pub async fn count_terms(state: &AppState) -> Result<usize, StoreError> {
    count_terms_paced(state, std::time::Duration::ZERO).await
}

/// As [`count_terms`], resting `pause` after each page of [`TERM_PAGE`] tickets, so that a
/// burst of intake is not slowed by tokenizing it at once: with the job's pause of 200 ms the
/// counter takes at most ~2,500 tickets/s (a small part of one core), far above a city's
/// average rate, and catches up after the burst.
pub async fn count_terms_paced(
    state: &AppState,
    pause: std::time::Duration,
) -> Result<usize, StoreError> {
    let mut counted = 0;
    loop {
        if counted > 0 && !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let cursor = state.store.terms_cursor().await?;
        let page = state.store.term_sources(cursor, TERM_PAGE).await?;
        let Some(last) = page.last().map(|t| t.seq) else {
            return Ok(counted);
        };
        counted += page.len();
        let counts = tokio::task::spawn_blocking(move || {
            let mut by_hour: BTreeMap<DateTime<Utc>, HashMap<String, i64>> = BTreeMap::new();
            for t in &page {
                let text = term_text(t.title.as_deref(), &t.content);
                let hour = Grain::Hour.bucket_of(t.received_at);
                let terms = by_hour.entry(hour).or_default();
                for term in SEGMENTER.topic_terms(text, TERMS_PER_TICKET) {
                    *terms.entry(term).or_insert(0) += 1;
                }
            }
            by_hour
                .into_iter()
                .map(|(h, m)| (h, m.into_iter().collect()))
                .collect::<Vec<HourTerms>>()
        })
        .await
        .map_err(|e| StoreError::Other(format!("term counting stopped: {e}")))?;
        state.store.record_terms(last, &counts).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_come_from_the_title_or_the_first_sentence() {
        assert_eq!(term_text(Some("小区停水"), "内容。"), "小区停水");
        assert_eq!(term_text(Some("  "), "路灯不亮。已经三天了"), "路灯不亮");
        assert_eq!(term_text(None, "\n噪音扰民！请处理"), "噪音扰民");
    }

    #[test]
    fn a_street_is_named_only_when_it_holds_half_of_the_spike() {
        let cells = vec![
            ("a".to_string(), 6),
            ("b".to_string(), 4),
            (String::new(), 9),
        ];
        assert_eq!(concentrated(cells.clone(), 10), Some("a".into()));
        assert_eq!(concentrated(cells, 19), None);
    }
}
