//! Rollups: ticket counts kept current as events arrive, so a dashboard never scans orders.
//!
//! Two kinds of row, both plain counters:
//!
//! - a **volume row** ([`RollupKey`]) counts tickets by the hour they were received, catalog
//!   category, district, street, channel, request type and outcome. Every ticket sits in
//!   exactly one volume row at any time: receiving it adds 1 to its `received` row; answering it
//!   directly moves it to `answered`, its first dispatch moves it to `dispatched`. A move keeps
//!   the receiving hour, so the rows of an hour always add up to the tickets received in it.
//! - a **unit row** ([`UnitKey`]) counts time-limit figures ([`Figure`]) of one handling unit in
//!   the hour the event happened: tickets dispatched to it, acknowledged and replied on time or
//!   late, deadlines it let pass.
//!
//! [`deltas`] says how one event changes the rows, given the ticket before and after it; a
//! shell applies them to its stored rollups in the same transaction as the event. [`rebuild`]
//! replays whole logs through the same function, so rollups rebuilt from the event log equal the
//! live ones whatever order the tickets' events arrived in.

use crate::ticket::{Channel, Event, EventRecord, Intake, Status, Ticket, evolve};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// 诉求类型 what kind of request a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// 咨询: the caller asks for information.
    Consultation,
    /// 投诉 / 举报: the caller reports a problem or wrongdoing.
    Complaint,
    /// 求助: the caller asks for help.
    Help,
    /// 建议: the caller suggests an improvement.
    Suggestion,
    /// 表扬: the caller praises or thanks.
    Praise,
}

/// The keywords that tell a request type, in the order ties are broken (none of them is a
/// prefix of another, so ties cannot happen today).
const KEYWORDS: &[(&str, RequestType)] = &[
    ("咨询", RequestType::Consultation),
    ("请问", RequestType::Consultation),
    ("如何", RequestType::Consultation),
    ("投诉", RequestType::Complaint),
    ("举报", RequestType::Complaint),
    ("求助", RequestType::Help),
    ("帮忙", RequestType::Help),
    ("建议", RequestType::Suggestion),
    ("表扬", RequestType::Praise),
    ("感谢", RequestType::Praise),
];

impl RequestType {
    /// Every value, in declaration order.
    pub const ALL: &'static [RequestType] = &[
        RequestType::Consultation,
        RequestType::Complaint,
        RequestType::Help,
        RequestType::Suggestion,
        RequestType::Praise,
    ];

    /// The name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::Consultation => "consultation",
            RequestType::Complaint => "complaint",
            RequestType::Help => "help",
            RequestType::Suggestion => "suggestion",
            RequestType::Praise => "praise",
        }
    }

    /// Tells the type from the text, since the intake has no such field.
    ///
    /// The text searched is the title, then the content. The keyword found **earliest** wins,
    /// because the title (the agent's summary) and the caller's opening words frame the request:
    /// 请问/咨询/如何 → consultation, 投诉/举报 → complaint, 求助/帮忙 → help, 建议 →
    /// suggestion, 表扬/感谢 → praise. With no keyword, a ticket is a complaint, the most common
    /// kind. The same text always gives the same type.
    pub fn of_text(title: Option<&str>, content: &str) -> RequestType {
        let text = match title {
            Some(t) => format!("{t}\n{content}"),
            None => content.to_string(),
        };
        KEYWORDS
            .iter()
            .filter_map(|(word, kind)| text.find(word).map(|at| (at, *kind)))
            .min_by_key(|(at, _)| *at)
            .map_or(RequestType::Complaint, |(_, kind)| kind)
    }

    /// The type of a ticket's request: see [`RequestType::of_text`].
    pub fn of(intake: &Intake) -> RequestType {
        RequestType::of_text(intake.title.as_deref(), &intake.content)
    }
}

impl fmt::Display for RequestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the centre has handled a ticket so far, for the share answered directly vs dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Received and neither answered nor dispatched: still waiting, merged into a master
    /// ticket, or closed without either.
    Received,
    /// 直接答复: answered at first contact, and never dispatched since.
    Answered,
    /// 派单: dispatched to a unit at least once (also after a direct answer was reopened).
    Dispatched,
}

/// The truncation of an instant to the start of its UTC hour. China's offset is a whole number
/// of hours, so these are also the hours of Beijing time.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let secs = at.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(3600), 0).unwrap_or(at)
}

/// One volume row: which tickets it counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RollupKey {
    /// Start of the UTC hour the ticket was received in.
    pub hour: DateTime<Utc>,
    /// The catalog code the ticket was filed under (its leaf); see [`RollupKey::category_at`].
    pub category: Option<String>,
    /// District code.
    pub district: Option<String>,
    /// Street or township code.
    pub street: Option<String>,
    /// How the request came in.
    pub channel: Channel,
    /// What kind of request it is.
    pub request_type: RequestType,
    /// How it has been handled so far.
    pub outcome: Outcome,
}

impl RollupKey {
    /// The row a ticket sits in when its outcome is `outcome`.
    pub fn of(ticket: &Ticket, outcome: Outcome) -> RollupKey {
        let i = &ticket.intake;
        RollupKey {
            hour: hour_of(ticket.received_at),
            category: i.category_code.clone(),
            district: i.district_code.clone(),
            street: i.street_code.clone(),
            channel: i.channel,
            request_type: RequestType::of(i),
            outcome,
        }
    }

    /// The category at catalog level 1, 2 or 3: the first 2, 4 or 6 characters of the code
    /// (catalog codes take two digits per level). `None` when there is no category, or it was
    /// filed at a coarser level than asked.
    pub fn category_at(&self, level: usize) -> Option<&str> {
        let code = self.category.as_deref()?;
        let len = 2 * level;
        (level >= 1 && code.len() >= len)
            .then(|| code.get(..len))
            .flatten()
    }

    fn sort_key(&self) -> impl Ord + '_ {
        // Channel has no order of its own: use its place in `Channel::ALL`.
        let channel = Channel::ALL.iter().position(|c| *c == self.channel);
        (
            self.hour,
            &self.category,
            &self.district,
            &self.street,
            channel,
            self.request_type,
            self.outcome,
        )
    }
}

impl Ord for RollupKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for RollupKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A time-limit figure counted per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Sent to the unit as lead: a dispatch, a transfer to it, or a reopening back to it.
    Dispatched,
    /// The unit acknowledged within the acknowledge limit.
    AcknowledgedOnTime,
    /// The unit acknowledged after the acknowledge limit.
    AcknowledgedLate,
    /// The unit replied within the handle limit.
    RepliedOnTime,
    /// The unit replied after the handle limit.
    RepliedLate,
    /// 超期: a deadline (acknowledge or handle) of the unit passed.
    Overdue,
}

/// One unit row: a figure of one unit in one hour (the hour the event happened).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UnitKey {
    /// Start of the UTC hour of the event.
    pub hour: DateTime<Utc>,
    /// The unit's code.
    pub unit: String,
    /// What is counted.
    pub figure: Figure,
}

/// Any row of the rollups. Volume rows sort before unit rows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Row {
    /// Tickets by receiving hour and dimensions.
    Volume(RollupKey),
    /// A unit's time-limit figure.
    Unit(UnitKey),
}

/// A change of one row by `n` (negative when a ticket moves out of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// The row.
    pub row: Row,
    /// How much it changes.
    pub n: i64,
}

/// How one event changes the rollups, given the ticket before it (`None` for the first event)
/// and after it.
///
/// - `received`: +1 in the ticket's `received` row;
/// - `answered`: the ticket moves from `received` to `answered`;
/// - the first `dispatched` or `transferred` (the ticket had no lead unit and was received, or
///   was answered and then reopened): it moves to `dispatched`. A re-dispatch after an upheld
///   return moves nothing;
/// - unit rows, in the hour of the event: `dispatched`, `transferred` and `reopened` (back to
///   the lead unit) count [`Figure::Dispatched`] for the unit; `acknowledged` and `replied`
///   with a known `on_time` count on time or late for the unit that did it; `overdue` counts
///   [`Figure::Overdue`] for the lead unit held to the deadline.
///
/// Nothing else changes a row: merging, callbacks, closing and supervision leave the ticket
/// where it is.
pub fn deltas(before: Option<&Ticket>, record: &EventRecord, after: &Ticket) -> Vec<Delta> {
    let mut out = Vec::new();
    let hour = hour_of(record.at);
    let unit = |unit: &str, figure: Figure, out: &mut Vec<Delta>| {
        out.push(Delta {
            row: Row::Unit(UnitKey {
                hour,
                unit: unit.to_string(),
                figure,
            }),
            n: 1,
        });
    };
    let moved = |out: &mut Vec<Delta>, b: &Ticket, from: Outcome, to: Outcome| {
        out.push(Delta {
            row: Row::Volume(RollupKey::of(b, from)),
            n: -1,
        });
        out.push(Delta {
            row: Row::Volume(RollupKey::of(after, to)),
            n: 1,
        });
    };
    let Some(b) = before else {
        if matches!(record.event, Event::Received { .. }) {
            out.push(Delta {
                row: Row::Volume(RollupKey::of(after, Outcome::Received)),
                n: 1,
            });
        }
        return out;
    };
    // Where a ticket without a lead unit came from, if this event is its first dispatch.
    let first_dispatch_from = || match (b.lead_unit.as_ref(), b.status) {
        (None, Status::Received) => Some(Outcome::Received),
        (None, Status::Reopened) => Some(Outcome::Answered),
        _ => None,
    };
    match &record.event {
        Event::Answered { .. } if b.status == Status::Received => {
            moved(&mut out, b, Outcome::Received, Outcome::Answered);
        }
        Event::Dispatched { lead_unit, .. }
        | Event::Transferred {
            to_unit: lead_unit, ..
        } => {
            if let Some(from) = first_dispatch_from() {
                moved(&mut out, b, from, Outcome::Dispatched);
            }
            unit(lead_unit, Figure::Dispatched, &mut out);
        }
        Event::Reopened { .. } => {
            if let Some(lead) = &b.lead_unit {
                unit(lead, Figure::Dispatched, &mut out);
            }
        }
        Event::Acknowledged {
            unit: u,
            on_time: Some(on_time),
        } => {
            let figure = if *on_time {
                Figure::AcknowledgedOnTime
            } else {
                Figure::AcknowledgedLate
            };
            unit(u, figure, &mut out);
        }
        Event::Replied {
            unit: u,
            on_time: Some(on_time),
            ..
        } => {
            let figure = if *on_time {
                Figure::RepliedOnTime
            } else {
                Figure::RepliedLate
            };
            unit(u, figure, &mut out);
        }
        Event::Overdue { .. } => {
            if let Some(lead) = &b.lead_unit {
                unit(lead, Figure::Overdue, &mut out);
            }
        }
        _ => {}
    }
    out
}

/// Rollups held in memory: every row with a count above zero, in row order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollups {
    rows: BTreeMap<Row, i64>,
}

impl Rollups {
    /// Empty rollups.
    pub fn new() -> Rollups {
        Rollups::default()
    }

    /// Adds the deltas. A row that comes back to zero is dropped, so equal counts make equal
    /// rollups whatever the order of the deltas.
    pub fn apply(&mut self, deltas: &[Delta]) {
        for d in deltas {
            let n = self.rows.entry(d.row.clone()).or_insert(0);
            *n += d.n;
            if *n == 0 {
                self.rows.remove(&d.row);
            }
        }
    }

    /// The count of one row (0 when absent).
    pub fn get(&self, row: &Row) -> i64 {
        self.rows.get(row).copied().unwrap_or(0)
    }

    /// Every row with its count, in row order: volume rows by hour first, then unit rows.
    pub fn iter(&self) -> impl Iterator<Item = (&Row, i64)> {
        self.rows.iter().map(|(r, n)| (r, *n))
    }

    /// The volume rows, in key order.
    pub fn volumes(&self) -> impl Iterator<Item = (&RollupKey, i64)> {
        self.iter().filter_map(|(r, n)| match r {
            Row::Volume(k) => Some((k, n)),
            Row::Unit(_) => None,
        })
    }

    /// The unit rows, in key order.
    pub fn units(&self) -> impl Iterator<Item = (&UnitKey, i64)> {
        self.iter().filter_map(|(r, n)| match r {
            Row::Unit(k) => Some((k, n)),
            Row::Volume(_) => None,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No rows at all.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Folds one record into a ticket's state and returns the deltas it causes: what a shell does
/// for each event as it arrives. The state is left unchanged for a record with no ticket yet
/// (an event before `received`).
pub fn step(state: &mut Option<Ticket>, record: &EventRecord) -> Vec<Delta> {
    let before = state.take();
    let after = evolve(before.clone(), record);
    let out = match &after {
        Some(a) => deltas(before.as_ref(), record, a),
        None => Vec::new(),
    };
    *state = after.or(before);
    out
}

/// The rollups of whole event logs (one per ticket, in stream order), rebuilt from scratch.
pub fn rebuild(logs: &[Vec<EventRecord>]) -> Rollups {
    let mut rollups = Rollups::new();
    for log in logs {
        let mut state = None;
        for record in log {
            rollups.apply(&step(&mut state, record));
        }
    }
    rollups
}

#[cfg(test)]
mod tests;
