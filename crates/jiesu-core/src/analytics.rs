//! Analytics: hot topics, windows in Beijing time, growth, baselines and spike alerts.
//!
//! Everything here is pure arithmetic over counts a shell has read from the rollups.
//!
//! - **Buckets** ([`bucket_deltas`]): the volume rows of the rollups summed per bucket (a UTC
//!   hour, or a Beijing day) and per single dimension ([`Dim`]). A move between outcomes
//!   cancels for every dimension but `outcome`, so these counters only change when tickets
//!   are received (or move outcome). Dashboard reads then touch a few hundred rows however
//!   many orders there are.
//! - **Windows** ([`Window`]): the last complete hour, Beijing day or Beijing week
//!   (Monday to Sunday) before "now"; the previous window is the one just before, the
//!   baseline the same window 1 to 4 weeks back (same hour of the week, same weekday, or the
//!   4 weeks before). [`growth`] is `(count - previous) / previous`, [`ratio`] is
//!   `count / baseline`; both are `None` when the denominator is 0.
//! - **Spikes** ([`check`], statistic [`STATISTIC`]): a category or street spikes in an hour
//!   when its count `x` is far above the count expected for that hour. The expectation blends
//!   the same hour of the week in the past 4 weeks (weight 3/4: it knows the daily and
//!   weekly rhythm) with the hourly mean of the last 24 hours (weight 1/4: it knows the
//!   current level): `expected = 0.75 * mean(x[h - 7d], …, x[h - 28d]) + 0.25 * mean(x[h - 24h],
//!   …, x[h - 1h])`. Counts of independent callers are close to Poisson, whose variance is
//!   its mean, so the score is `z = (x - expected) / sqrt(max(expected, 1))`. An hour is a
//!   spike when `x >= 10` (a handful of calls is never an alert), `z >= 4` and
//!   `x >= 2 * expected` (a busy category must at least double). [`new_spikes`] keeps an
//!   alert to the first hour of a spike: a spike still going on the next hour raises nothing
//!   new, one that had ended and comes back does.
//! - **Ranking** ([`rank`]): keys by count, ties by code, with their share of the total.

use crate::rollup::{Outcome, RollupKey};
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long a bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    /// A UTC hour (Beijing hours too: the offset is whole hours).
    Hour,
    /// A Beijing day, from midnight UTC+8.
    Day,
    /// A Beijing week, from Monday midnight UTC+8.
    Week,
}

impl Grain {
    /// The name used in storage: `h`, `d`, `w`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Hour => "h",
            Grain::Day => "d",
            Grain::Week => "w",
        }
    }

    /// The start of the bucket holding `at`.
    pub fn bucket_of(self, at: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Grain::Hour => crate::rollup::hour_of(at),
            Grain::Day => {
                crate::china_day_start(at.with_timezone(&crate::china_offset()).date_naive())
            }
            Grain::Week => {
                let day = at.with_timezone(&crate::china_offset()).date_naive();
                let monday =
                    day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
                crate::china_day_start(monday)
            }
        }
    }

    /// The length of a bucket.
    pub fn length(self) -> TimeDelta {
        match self {
            Grain::Hour => TimeDelta::hours(1),
            Grain::Day => TimeDelta::days(1),
            Grain::Week => TimeDelta::weeks(1),
        }
    }
}

/// One dimension the bucket counters are kept by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// Catalog level 1 (first 2 characters of the code).
    Category1,
    /// Catalog level 2 (first 4 characters).
    Category2,
    /// Catalog level 3 (first 6 characters).
    Category3,
    /// District code.
    District,
    /// Street or township code.
    Street,
    /// How the request came in.
    Channel,
    /// What kind of request.
    RequestType,
    /// How it has been handled so far.
    Outcome,
}

impl Dim {
    /// Every dimension.
    pub const ALL: &'static [Dim] = &[
        Dim::Category1,
        Dim::Category2,
        Dim::Category3,
        Dim::District,
        Dim::Street,
        Dim::Channel,
        Dim::RequestType,
        Dim::Outcome,
    ];

    /// The name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Category1 => "category1",
            Dim::Category2 => "category2",
            Dim::Category3 => "category3",
            Dim::District => "district",
            Dim::Street => "street",
            Dim::Channel => "channel",
            Dim::RequestType => "request_type",
            Dim::Outcome => "outcome",
        }
    }

    /// The category dimension of a catalog level (1, 2 or 3).
    pub fn category(level: u8) -> Option<Dim> {
        match level {
            1 => Some(Dim::Category1),
            2 => Some(Dim::Category2),
            3 => Some(Dim::Category3),
            _ => None,
        }
    }

    /// The key of a volume row in this dimension; '' for none.
    pub fn key_of(self, k: &RollupKey) -> String {
        let text = |s: &Option<String>| s.clone().unwrap_or_default();
        match self {
            Dim::Category1 => k.category_at(1).unwrap_or_default().to_string(),
            Dim::Category2 => k.category_at(2).unwrap_or_default().to_string(),
            Dim::Category3 => k.category_at(3).unwrap_or_default().to_string(),
            Dim::District => text(&k.district),
            Dim::Street => text(&k.street),
            Dim::Channel => k.channel.as_str().to_string(),
            Dim::RequestType => k.request_type.as_str().to_string(),
            Dim::Outcome => match k.outcome {
                Outcome::Received => "received",
                Outcome::Answered => "answered",
                Outcome::Dispatched => "dispatched",
            }
            .to_string(),
        }
    }
}

/// One bucket counter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BucketKey {
    /// Hour or day.
    pub grain: Grain,
    /// The dimension.
    pub dim: Dim,
    /// Start of the bucket.
    pub bucket: DateTime<Utc>,
    /// The key in the dimension ('' for none).
    pub key: String,
}

/// How volume-row changes change the hourly and daily bucket counters, summed, rows that
/// do not change left out (a move between outcomes cancels for all dimensions but outcome).
pub fn bucket_deltas<'a>(
    volumes: impl IntoIterator<Item = (&'a RollupKey, i64)>,
) -> BTreeMap<BucketKey, i64> {
    let mut sums = BTreeMap::new();
    for (k, n) in volumes {
        for grain in [Grain::Hour, Grain::Day] {
            let bucket = grain.bucket_of(k.hour);
            for &dim in Dim::ALL {
                let key = BucketKey {
                    grain,
                    dim,
                    bucket,
                    key: dim.key_of(k),
                };
                *sums.entry(key).or_insert(0) += n;
            }
        }
    }
    sums.retain(|_, n| *n != 0);
    sums
}

/// Which window a hot-topic view covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// A clock hour.
    Hour,
    /// A Beijing day.
    Day,
    /// A Beijing week, Monday to Sunday.
    Week,
}

impl WindowKind {
    /// The grain whose buckets are exactly these windows.
    pub fn grain(self) -> Grain {
        match self {
            WindowKind::Hour => Grain::Hour,
            WindowKind::Day => Grain::Day,
            WindowKind::Week => Grain::Week,
        }
    }

    /// Parses `hour`, `day`, `week`.
    pub fn parse(s: &str) -> Option<WindowKind> {
        match s {
            "hour" => Some(WindowKind::Hour),
            "day" => Some(WindowKind::Day),
            "week" => Some(WindowKind::Week),
            _ => None,
        }
    }
}

/// A half-open span of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First instant.
    pub from: DateTime<Utc>,
    /// First instant after.
    pub to: DateTime<Utc>,
}

impl Window {
    /// The last complete window of `kind` before `now` (the one that ended at or before it).
    pub fn last_complete(kind: WindowKind, now: DateTime<Utc>) -> Window {
        let grain = kind.grain();
        let to = grain.bucket_of(now);
        Window {
            from: to - grain.length(),
            to,
        }
    }

    /// The window as long as this one, just before it.
    pub fn previous(self) -> Window {
        self.shifted(self.from - self.to)
    }

    /// This window moved by `by`.
    pub fn shifted(self, by: TimeDelta) -> Window {
        Window {
            from: self.from + by,
            to: self.to + by,
        }
    }

    /// The same window 1, 2, 3 and 4 weeks back (same hour of the week, same weekday; for a
    /// week, the 4 weeks before).
    pub fn baseline(self) -> [Window; BASELINE_WEEKS] {
        std::array::from_fn(|k| self.shifted(TimeDelta::weeks(-(k as i64 + 1))))
    }
}

/// How many past weeks a baseline averages.
pub const BASELINE_WEEKS: usize = 4;

/// `(count - previous) / previous`; `None` when there was nothing before.
pub fn growth(count: i64, previous: i64) -> Option<f64> {
    (previous > 0).then(|| (count - previous) as f64 / previous as f64)
}

/// `count / baseline`; `None` when the baseline is 0.
pub fn ratio(count: i64, baseline: f64) -> Option<f64> {
    (baseline > 0.0).then(|| count as f64 / baseline)
}

/// The mean of the counts of the [`BASELINE_WEEKS`] past weeks (missing weeks count 0).
pub fn baseline(past: &[i64]) -> f64 {
    past.iter().sum::<i64>() as f64 / BASELINE_WEEKS as f64
}

/// The statistic, as stored with each alert and shown by the spike check.
pub const STATISTIC: &str = "poisson: expected = 0.75*mean(same hour of week, past 4 weeks) \
     + 0.25*mean(hourly, last 24 h); z = (x - expected)/sqrt(max(expected, 1)); \
     spike when x >= 10 and z >= 4 and x >= 2*expected";

/// The thresholds of a spike; see the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikeRule {
    /// No spike below this many tickets in the hour.
    pub min_count: i64,
    /// No spike below this z-score.
    pub min_z: f64,
    /// No spike below this multiple of the expected count.
    pub min_factor: f64,
    /// The weight of the weekly history in the expectation (the rest is the last 24 h).
    pub weekly_weight: f64,
}

impl Default for SpikeRule {
    fn default() -> Self {
        SpikeRule {
            min_count: 10,
            min_z: 4.0,
            min_factor: 2.0,
            weekly_weight: 0.75,
        }
    }
}

/// What the counts of one key look like around an hour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The count in the hour checked.
    pub count: i64,
    /// The counts of the same hour 1 to 4 weeks back.
    pub weekly: [i64; BASELINE_WEEKS],
    /// The total of the 24 hours before the hour checked.
    pub last_day: i64,
}

impl SpikeRule {
    /// The count expected for the hour.
    pub fn expected(&self, h: &History) -> f64 {
        let weekly = baseline(&h.weekly);
        let daily = h.last_day as f64 / 24.0;
        self.weekly_weight * weekly + (1.0 - self.weekly_weight) * daily
    }

    /// The z-score of the count against its expectation.
    pub fn z(&self, count: i64, expected: f64) -> f64 {
        (count as f64 - expected) / expected.max(1.0).sqrt()
    }

    /// The spike of one key, if it is one.
    pub fn spike(&self, dim: Dim, key: &str, h: &History) -> Option<Spike> {
        let expected = self.expected(h);
        let z = self.z(h.count, expected);
        (h.count >= self.min_count
            && z >= self.min_z
            && h.count as f64 >= self.min_factor * expected)
            .then(|| Spike {
                dim,
                key: key.to_string(),
                count: h.count,
                expected,
                z,
            })
    }
}

/// A key whose count in an hour is far above its usual level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    /// Category (at a level) or street.
    pub dim: Dim,
    /// Its code.
    pub key: String,
    /// Tickets received in the hour.
    pub count: i64,
    /// Tickets expected.
    pub expected: f64,
    /// The z-score.
    pub z: f64,
}

/// The spikes among `histories` (keys '' — none — are never spikes), strongest first.
pub fn check(rule: &SpikeRule, dim: Dim, histories: &BTreeMap<String, History>) -> Vec<Spike> {
    let mut spikes: Vec<Spike> = histories
        .iter()
        .filter(|(key, _)| !key.is_empty())
        .filter_map(|(key, h)| rule.spike(dim, key, h))
        .collect();
    spikes.sort_by(|a, b| b.z.total_cmp(&a.z).then_with(|| a.key.cmp(&b.key)));
    spikes
}

/// The spikes of an hour that start there: those not already spiking the hour before.
pub fn new_spikes(current: Vec<Spike>, previous: &[Spike]) -> Vec<Spike> {
    current
        .into_iter()
        .filter(|s| !previous.iter().any(|p| p.dim == s.dim && p.key == s.key))
        .collect()
}

/// One row of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// 1 for the largest.
    pub rank: usize,
    /// The key.
    pub code: String,
    /// Its count.
    pub count: i64,
    /// Its part of `total` (0 when the total is 0).
    pub share: f64,
}

/// The `top` largest counts (keys '' left out), ties by code, with their share of `total`.
pub fn rank(counts: &[(String, i64)], total: i64, top: usize) -> Vec<Ranked> {
    let mut rows: Vec<&(String, i64)> = counts
        .iter()
        .filter(|(k, n)| !k.is_empty() && *n > 0)
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.into_iter()
        .take(top)
        .enumerate()
        .map(|(i, (code, count))| Ranked {
            rank: i + 1,
            code: code.clone(),
            count: *count,
            share: if total > 0 {
                *count as f64 / total as f64
            } else {
                0.0
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollup::RequestType;
    use crate::ticket::Channel;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn windows_are_beijing_hours_days_and_weeks() {
        // 2026-11-23 is a Monday; 10:30 Beijing is 02:30 UTC.
        let now = at("2026-11-23T02:30:00Z");
        let hour = Window::last_complete(WindowKind::Hour, now);
        assert_eq!(hour.from, at("2026-11-23T01:00:00Z"));
        assert_eq!(hour.to, at("2026-11-23T02:00:00Z"));
        let day = Window::last_complete(WindowKind::Day, now);
        assert_eq!(day.from, at("2026-11-21T16:00:00Z"), "Sunday in Beijing");
        assert_eq!(day.to, at("2026-11-22T16:00:00Z"));
        let week = Window::last_complete(WindowKind::Week, now);
        assert_eq!(
            week.from,
            at("2026-11-15T16:00:00Z"),
            "Monday 16 Nov in Beijing"
        );
        assert_eq!(week.to, at("2026-11-22T16:00:00Z"));
        assert_eq!(week.previous().to, week.from);
        assert_eq!(day.baseline()[0].from, at("2026-11-14T16:00:00Z"));
        assert_eq!(hour.baseline()[3].from, at("2026-10-26T01:00:00Z"));
    }

    #[test]
    fn growth_and_ratio_need_something_to_compare_with() {
        assert_eq!(growth(15, 10), Some(0.5));
        assert_eq!(growth(5, 10), Some(-0.5));
        assert_eq!(growth(5, 0), None);
        assert_eq!(ratio(30, 10.0), Some(3.0));
        assert_eq!(ratio(3, 0.0), None);
        assert_eq!(baseline(&[4, 4, 0, 0]), 2.0);
    }

    fn key(hour: &str, category: &str, outcome: Outcome) -> RollupKey {
        RollupKey {
            hour: at(hour),
            category: Some(category.into()),
            district: Some("110105".into()),
            street: None,
            channel: Channel::Phone,
            request_type: RequestType::Complaint,
            outcome,
        }
    }

    #[test]
    fn a_move_between_outcomes_changes_only_the_outcome_counters() {
        let received = key("2026-11-23T01:00:00Z", "010203", Outcome::Received);
        let dispatched = key("2026-11-23T01:00:00Z", "010203", Outcome::Dispatched);
        let d = bucket_deltas([(&received, -1), (&dispatched, 1)]);
        assert_eq!(d.len(), 4, "{d:?}");
        assert!(d.keys().all(|k| k.dim == Dim::Outcome));
        let new = bucket_deltas([(&received, 2)]);
        let cat = BucketKey {
            grain: Grain::Day,
            dim: Dim::Category2,
            bucket: at("2026-11-22T16:00:00Z"),
            key: "0102".into(),
        };
        assert_eq!(new[&cat], 2);
        let street = BucketKey {
            grain: Grain::Hour,
            dim: Dim::Street,
            bucket: at("2026-11-23T01:00:00Z"),
            key: String::new(),
        };
        assert_eq!(new[&street], 2, "no street counts under ''");
    }

    #[test]
    fn a_spike_needs_a_count_a_score_and_a_doubling() {
        let rule = SpikeRule::default();
        let h = |count, weekly, last_day| History {
            count,
            weekly: [weekly; 4],
            last_day,
        };
        // Usual level 3 an hour: 20 is a spike (z = 17/sqrt(3) ≈ 9.8).
        let s = rule.spike(Dim::Street, "x", &h(20, 3, 72)).unwrap();
        assert!((s.expected - 3.0).abs() < 1e-9);
        assert!((s.z - 17.0 / 3f64.sqrt()).abs() < 1e-9);
        // Too few to matter, however unusual.
        assert!(rule.spike(Dim::Street, "x", &h(9, 0, 0)).is_none());
        // A busy key: 130 against 100 is z = 3, no spike; 150 is z = 5 but not double.
        assert!(rule.spike(Dim::Street, "x", &h(130, 100, 2400)).is_none());
        assert!(rule.spike(Dim::Street, "x", &h(150, 100, 2400)).is_none());
        assert!(rule.spike(Dim::Street, "x", &h(200, 100, 2400)).is_some());
        // The last day's level weighs a quarter.
        let e = rule.expected(&h(0, 4, 24 * 8));
        assert!((e - (0.75 * 4.0 + 0.25 * 8.0)).abs() < 1e-9);
    }

    #[test]
    fn a_spike_raises_once_while_it_lasts_and_again_after_it_ended() {
        let s = |key: &str| Spike {
            dim: Dim::Category3,
            key: key.into(),
            count: 20,
            expected: 2.0,
            z: 12.7,
        };
        assert_eq!(new_spikes(vec![s("a")], &[]).len(), 1);
        assert!(new_spikes(vec![s("a")], &[s("a")]).is_empty());
        assert_eq!(new_spikes(vec![s("a"), s("b")], &[s("a")])[0].key, "b");
    }

    #[test]
    fn check_leaves_out_none_and_sorts_by_score() {
        let mut h = BTreeMap::new();
        let quiet = History {
            count: 3,
            weekly: [3; 4],
            last_day: 72,
        };
        let loud = History {
            count: 40,
            weekly: [2; 4],
            last_day: 48,
        };
        h.insert(String::new(), loud.clone());
        h.insert("a".to_string(), quiet);
        h.insert(
            "b".to_string(),
            History {
                count: 12,
                ..loud.clone()
            },
        );
        h.insert("c".to_string(), loud);
        let spikes = check(&SpikeRule::default(), Dim::Street, &h);
        let keys: Vec<&str> = spikes.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["c", "b"]);
    }

    #[test]
    fn rank_orders_by_count_then_code_with_shares() {
        let counts = vec![
            ("b".to_string(), 5),
            ("a".to_string(), 5),
            (String::new(), 50),
            ("c".to_string(), 10),
        ];
        let r = rank(&counts, 70, 2);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].rank, r[0].code.as_str(), r[0].count), (1, "c", 10));
        assert_eq!(r[1].code, "a");
        assert!((r[0].share - 10.0 / 70.0).abs() < 1e-12);
    }
}
