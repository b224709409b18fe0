//! jiesu-gen: realistic generated load for a 12345 hotline, to show the platform at scale.
//!
//! A [`Generator`] is built from the city's reference data (catalog leaves with their default
//! units, districts and streets) and a [`Source`] of real data: the category mix and the texts
//! come from labelled citizen messages, the spread over streets from the rank-size shape of a
//! real 311 service's requests over its neighbourhoods. Orders arrive on Beijing's daily curve
//! ([`hour_shares`]) and each one lives a realistic life — answered directly, or dispatched to
//! the catalog's default unit, acknowledged, replied (mostly on time) and called back — as
//! events produced by [`jiesu_core::execute`], so they are exactly what a live centre records.
//!
//! Everything is deterministic: the same seed gives the same orders, and each day draws from
//! its own stream, so days can be generated in parallel. There is no I/O here.
#![deny(missing_docs)]

mod curve;
mod life;
mod source;

pub use curve::{WEEKEND_FACTOR, hour_shares, is_weekend};
pub use source::{Message, Source};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use jiesu_core::calendar::WorkingCalendar;
use jiesu_core::timelimit::PolicySet;
use jiesu_core::{
    Actor, Caller, Channel, Command, EventRecord, Intake, MemoryDirectory, Role, Ticket, TicketId,
    Urgency, china_day_start, execute, ticket_number,
};
use jiesu_reference::CityData;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

/// Beijing's ordinary daily volume of 12345 orders (the default `per_day`).
pub const BEIJING_ORDINARY_PER_DAY: u64 = 110_000;
/// Beijing's peak daily volume, the most a day is expected to carry.
pub const BEIJING_PEAK_PER_DAY: u64 = 1_300_000;

/// Share of the category mix given to level-1 categories that have no labelled messages.
const UNLABELLED_SHARE: f64 = 0.05;
/// Longest generated content, in characters (real orders are summaries, not essays).
const MAX_CONTENT_CHARS: usize = 400;

/// Why a generator could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// The real data given is unreadable or empty.
    #[error("source data: {0}")]
    Source(String),
    /// The reference data lacks what the generator needs.
    #[error("reference data: {0}")]
    Reference(String),
}

/// 突增 extra orders of one category on one street in one hour, on top of the ordinary load:
/// what the spike check must notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spike {
    /// Catalog leaf code.
    pub category: String,
    /// Street code.
    pub street: String,
    /// Any instant in the hour of the spike.
    pub at: DateTime<Utc>,
    /// How many extra orders.
    pub extra: u32,
}

/// One generated order: its intake, and its life so far as stamped events.
#[derive(Debug, Clone)]
pub struct Order {
    /// Ticket id.
    pub id: TicketId,
    /// When the centre received it.
    pub received_at: DateTime<Utc>,
    /// The citizen's request.
    pub intake: Intake,
    /// Who received it.
    pub actor: Actor,
    /// Every event, from `received` on, in order.
    pub records: Vec<EventRecord>,
    /// The state after the events.
    pub state: Ticket,
}

struct Leaf {
    code: String,
    level1: String,
    unit: String,
}

struct Street {
    code: String,
    name: String,
    district_code: String,
    district_name: String,
}

/// Builds realistic orders; see the crate documentation.
pub struct Generator {
    seed: u64,
    city_name: String,
    dir: MemoryDirectory,
    leaves: Vec<Leaf>,
    leaf_share: Vec<f64>,
    leaf_pick: WeightedIndex<f64>,
    streets: Vec<Street>,
    street_share: Vec<f64>,
    street_pick: WeightedIndex<f64>,
    messages: Vec<Message>,
    by_label: HashMap<String, Vec<usize>>,
    channel_pick: WeightedIndex<f64>,
}

/// How the orders come in: phone first, as in Beijing.
const CHANNELS: &[(Channel, f64)] = &[
    (Channel::Phone, 0.78),
    (Channel::Wechat, 0.08),
    (Channel::App, 0.06),
    (Channel::Web, 0.06),
    (Channel::Letter, 0.01),
    (Channel::Api, 0.01),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "胡", "朱", "郭",
];

impl Generator {
    /// A generator over one city's reference data and the real `source`, holding orders to
    /// the default time limits ([`PolicySet::defaults`]) and China's working calendar.
    pub fn new(city: &CityData, source: &Source, seed: u64) -> Result<Generator, GenError> {
        // Category mix: the labelled messages' level-1 shares, spread evenly over each
        // level-1's leaves; level-1s nobody labelled share UNLABELLED_SHARE.
        let level1_names: HashMap<&str, &str> = city
            .catalog
            .iter()
            .filter(|n| n.level == 1)
            .map(|n| (n.code.as_str(), n.name.as_str()))
            .collect();
        let leaves: Vec<Leaf> = city
            .catalog
            .iter()
            .filter(|n| n.level == 3)
            .filter_map(|n| {
                Some(Leaf {
                    code: n.code.clone(),
                    level1: (*level1_names.get(n.code.get(..2)?)?).to_string(),
                    unit: n.default_unit.clone()?,
                })
            })
            .collect();
        if leaves.is_empty() {
            return Err(GenError::Reference("the catalog has no leaves".into()));
        }
        let mut by_label: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in source.messages.iter().enumerate() {
            by_label.entry(m.label.clone()).or_default().push(i);
        }
        let labelled_total: usize = by_label
            .iter()
            .filter(|(l, _)| leaves.iter().any(|leaf| &leaf.level1 == *l))
            .map(|(_, v)| v.len())
            .sum();
        let mut leaves_per_level1: HashMap<&str, usize> = HashMap::new();
        for l in &leaves {
            *leaves_per_level1.entry(l.level1.as_str()).or_default() += 1;
        }
        let unlabelled = leaves_per_level1
            .keys()
            .filter(|l| !by_label.contains_key(**l))
            .count();
        let labelled_part = if unlabelled == 0 {
            1.0
        } else {
            1.0 - UNLABELLED_SHARE
        };
        let leaf_share: Vec<f64> = leaves
            .iter()
            .map(|l| {
                let level1 = match by_label.get(&l.level1) {
                    Some(v) if labelled_total > 0 => {
                        labelled_part * v.len() as f64 / labelled_total as f64
                    }
                    _ => UNLABELLED_SHARE / unlabelled.max(1) as f64,
                };
                level1 / leaves_per_level1[l.level1.as_str()] as f64
            })
            .collect();

        // Street spread: the 311 neighbourhoods' rank-size shape, laid over the streets in an
        // order shuffled once (the same for every seed: it is the city, not the load).
        let districts: HashMap<&str, &str> = city
            .districts()
            .map(|d| (d.code.as_str(), d.name.as_str()))
            .collect();
        let mut streets: Vec<Street> = city
            .divisions
            .iter()
            .filter(|d| d.level == jiesu_core::DivisionLevel::Street)
            .filter_map(|d| {
                let district = d.parent_code.as_deref()?;
                Some(Street {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    district_code: district.to_string(),
                    district_name: (*districts.get(district)?).to_string(),
                })
            })
            .collect();
        if streets.is_empty() {
            return Err(GenError::Reference("the city has no streets".into()));
        }
        let mut order_rng = StdRng::seed_from_u64(0x1234_5678);
        for i in (1..streets.len()).rev() {
            let j = order_rng.gen_range(0..=i);
            streets.swap(i, j);
        }
        let counts = &source.neighbourhood_counts;
        let raw: Vec<f64> = (0..streets.len())
            .map(|rank| {
                let at = rank * counts.len().max(1) / streets.len();
                f64::from(counts.get(at).copied().unwrap_or(1).max(1))
            })
            .collect();
        let raw_total: f64 = raw.iter().sum();
        let street_share: Vec<f64> = raw.iter().map(|w| w / raw_total).collect();

        let pick = |w: &[f64]| WeightedIndex::new(w).map_err(|e| GenError::Source(e.to_string()));
        let dir = city
            .directory()
            .with_time_limits(PolicySet::defaults(), WorkingCalendar::china());
        Ok(Generator {
            seed,
            city_name: city.city_name.clone(),
            dir,
            leaf_pick: pick(&leaf_share)?,
            leaves,
            leaf_share,
            street_pick: pick(&street_share)?,
            streets,
            street_share,
            messages: source.messages.clone(),
            by_label,
            channel_pick: pick(&CHANNELS.iter().map(|c| c.1).collect::<Vec<_>>())?,
        })
    }

    /// The expected share of every catalog leaf, by code.
    pub fn category_shares(&self) -> impl Iterator<Item = (&str, f64)> {
        self.leaves
            .iter()
            .zip(&self.leaf_share)
            .map(|(l, s)| (l.code.as_str(), *s))
    }

    /// The expected share of every street, by code.
    pub fn street_shares(&self) -> impl Iterator<Item = (&str, f64)> {
        self.streets
            .iter()
            .zip(&self.street_share)
            .map(|(s, w)| (s.code.as_str(), *w))
    }

    /// The directory the orders are decided against (reference data and time limits).
    pub fn directory(&self) -> &MemoryDirectory {
        &self.dir
    }

    /// The orders received on a (Beijing) day: `per_day` on a weekday, [`WEEKEND_FACTOR`] of
    /// it on a weekend.
    pub fn volume(&self, date: NaiveDate, per_day: u64) -> u64 {
        if is_weekend(date) {
            (per_day as f64 * WEEKEND_FACTOR).round() as u64
        } else {
            per_day
        }
    }

    /// The orders of one Beijing day, in receiving order, numbered from 1 within the day, plus
    /// the spikes that fall in the day. Their lives stop at `until`, and so does the day:
    /// later events and orders have not happened yet. The same seed and day always give the same orders.
    pub fn day<'a>(
        &'a self,
        date: NaiveDate,
        per_day: u64,
        spikes: &'a [Spike],
        until: DateTime<Utc>,
    ) -> DayOrders<'a> {
        let day_seed = self
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(u64::try_from(date.num_days_from_ce()).unwrap_or(0));
        let volume = self.volume(date, per_day);
        let shares = hour_shares(date);
        DayOrders {
            generator: self,
            rng: StdRng::seed_from_u64(day_seed),
            start: china_day_start(date),
            counts: curve::split(volume, &shares),
            spikes,
            hour: 0,
            pending: Vec::new(),
            seq: 0,
            until,
        }
    }

    fn order(
        &self,
        rng: &mut StdRng,
        received_at: DateTime<Utc>,
        seq: u64,
        fixed: Option<&Spike>,
        until: DateTime<Utc>,
    ) -> Order {
        let leaf = match fixed.and_then(|s| self.leaves.iter().find(|l| l.code == s.category)) {
            Some(l) => l,
            None => &self.leaves[self.leaf_pick.sample(rng)],
        };
        let street = match fixed.and_then(|s| self.streets.iter().find(|st| st.code == s.street)) {
            Some(s) => s,
            None => &self.streets[self.street_pick.sample(rng)],
        };
        let pool = self.by_label.get(&leaf.level1);
        let message = match pool {
            Some(p) if !p.is_empty() => &self.messages[p[rng.gen_range(0..p.len())]],
            _ => &self.messages[rng.gen_range(0..self.messages.len())],
        };
        let content: String =
            source::rewrite_places(&message.detail, &self.city_name, &street.district_name)
                .chars()
                .take(MAX_CONTENT_CHARS)
                .collect();
        // A title says what, not where: its places are dropped (the street is in the fields).
        let title: String = source::rewrite_places(&message.title, "", "")
            .chars()
            .take(60)
            .collect();
        let title = (!title.trim().is_empty()).then_some(title);
        let content = if content.trim().is_empty() {
            title.clone().unwrap_or_else(|| "市民来电反映问题".into())
        } else {
            content
        };
        let gender = if rng.gen_bool(0.5) {
            "先生"
        } else {
            "女士"
        };
        let intake = Intake {
            channel: CHANNELS[self.channel_pick.sample(rng)].0,
            title,
            content,
            caller: Caller {
                name: format!("{}{gender}", SURNAMES[rng.gen_range(0..SURNAMES.len())]),
                phone: format!("13{:09}", rng.gen_range(0..1_000_000_000_u32)),
            },
            address: Some(format!("{}{}", street.district_name, street.name)),
            district_code: Some(street.district_code.clone()),
            street_code: Some(street.code.clone()),
            category_code: Some(leaf.code.clone()),
            urgency: if rng.gen_bool(0.01) {
                Urgency::Urgent
            } else {
                Urgency::Normal
            },
            confidential: rng.gen_bool(0.02),
            external_ref: None,
        };
        let id = TicketId(format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.r#gen::<u32>(),
            rng.r#gen::<u16>(),
            rng.gen_range(0..0x1000_u16),
            rng.gen_range(0..0x1000_u16),
            rng.r#gen::<u64>() & 0xFFFF_FFFF_FFFF
        ));
        let number = ticket_number(&jiesu_core::number_day(received_at), seq);
        let actor = Actor::new(format!("agent{:03}", rng.gen_range(1..=400)), Role::Agent);
        let receive = Command::Receive {
            id: id.clone(),
            number,
            intake: intake.clone(),
            proposal: None,
        };
        // The reference data is the generator's own, so a refusal is a bug in this crate.
        let (records, state) = execute(None, &receive, &actor, received_at, &self.dir)
            .expect("a generated intake is valid for the generator's own reference data");
        let mut order = Order {
            id,
            received_at,
            intake,
            actor,
            records,
            state,
        };
        life::live(self, rng, &mut order, &leaf.unit, until);
        order
    }
}

/// The orders of one day, generated lazily hour by hour; see [`Generator::day`].
pub struct DayOrders<'a> {
    generator: &'a Generator,
    rng: StdRng,
    start: DateTime<Utc>,
    counts: [u64; 24],
    spikes: &'a [Spike],
    hour: usize,
    /// The current hour's arrivals, latest first, with the spike they belong to.
    pending: Vec<(i64, Option<&'a Spike>)>,
    seq: u64,
    until: DateTime<Utc>,
}

impl DayOrders<'_> {
    /// How many orders the day holds in all (spikes included).
    pub fn total(&self) -> u64 {
        let end = self.start + TimeDelta::days(1);
        let extra: u64 = self
            .spikes
            .iter()
            .filter(|s| s.at >= self.start && s.at < end)
            .map(|s| u64::from(s.extra))
            .sum();
        self.counts.iter().sum::<u64>() + extra
    }
}

impl Iterator for DayOrders<'_> {
    type Item = Order;

    fn next(&mut self) -> Option<Order> {
        while self.pending.is_empty() {
            if self.hour >= 24 {
                return None;
            }
            let from = self.start + TimeDelta::hours(self.hour as i64);
            let to = from + TimeDelta::hours(1);
            let n = self.counts[self.hour];
            let mut arrivals: Vec<(i64, Option<&Spike>)> = (0..n)
                .map(|_| (self.rng.gen_range(0..3_600_000_i64), None))
                .collect();
            for s in self.spikes.iter().filter(|s| s.at >= from && s.at < to) {
                for _ in 0..s.extra {
                    arrivals.push((self.rng.gen_range(0..3_600_000_i64), Some(s)));
                }
            }
            arrivals.sort_by_key(|a| std::cmp::Reverse(a.0));
            self.pending = arrivals
                .into_iter()
                .map(|(ms, s)| (from.timestamp_millis() + ms, s))
                .collect();
            self.hour += 1;
        }
        let (ms, spike) = self.pending.pop()?;
        self.seq += 1;
        let at = DateTime::from_timestamp_millis(ms).unwrap_or(self.start);
        if at > self.until {
            // Not received yet: the period ends here.
            self.pending.clear();
            self.hour = 24;
            return None;
        }
        Some(
            self.generator
                .order(&mut self.rng, at, self.seq, spike, self.until),
        )
    }
}

#[cfg(test)]
mod tests;
