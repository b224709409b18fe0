//! 三率 the three rates by which cities score their units and streets, and the composite.
//!
//! - response rate (响应率): tickets acknowledged within the limit ÷ tickets dispatched;
//! - resolution rate (解决率): callbacks saying "resolved" ÷ valid (reached) callbacks;
//! - satisfaction rate (满意率): (satisfied + 0.9 × basically satisfied) ÷ valid callbacks;
//! - composite: a weighted sum, 0.1 / 0.5 / 0.4 by default, over the rates a row has.
//!
//! The figures are counted from the events of the period, so any period can be scored again
//! from the log. A dispatch counts for the unit it went to; a callback counts for the ticket's
//! lead unit and for the street the ticket is about.

use crate::ticket::{Event, EventRecord, Satisfaction, Ticket, TicketId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How the composite weighs the three rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight of the response rate.
    pub response: f64,
    /// Weight of the resolution rate.
    pub resolution: f64,
    /// Weight of the satisfaction rate.
    pub satisfaction: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            response: 0.1,
            resolution: 0.5,
            satisfaction: 0.4,
        }
    }
}

impl Weights {
    /// Weights must be non-negative and not all zero.
    pub fn validate(&self) -> Result<(), String> {
        let all = [self.response, self.resolution, self.satisfaction];
        if all.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err("weights must be numbers of at least 0".into());
        }
        if all.iter().sum::<f64>() <= 0.0 {
            return Err("at least one weight must be above 0".into());
        }
        Ok(())
    }
}

/// What a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Handling units.
    Unit,
    /// Streets and townships (by the ticket's street).
    Street,
}

/// The counts behind one row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Tickets dispatched (including transfers and re-dispatches) to the unit.
    pub dispatched: u64,
    /// Of those acknowledgements, the ones within the limit.
    pub acknowledged_on_time: u64,
    /// Callbacks that reached the caller.
    pub valid_callbacks: u64,
    /// Callbacks saying the problem is solved.
    pub resolved: u64,
    /// Callbacks "satisfied".
    pub satisfied: u64,
    /// Callbacks "basically satisfied".
    pub basically_satisfied: u64,
}

/// One ranked row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateRow {
    /// 1 for the best composite.
    pub rank: usize,
    /// Unit or street code.
    pub code: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// 响应率, when anything was dispatched.
    pub response_rate: Option<f64>,
    /// 解决率, when there were valid callbacks.
    pub resolution_rate: Option<f64>,
    /// 满意率, when there were valid callbacks.
    pub satisfaction_rate: Option<f64>,
    /// Weighted over the rates the row has.
    pub composite: Option<f64>,
}

impl Counts {
    fn ratio(n: u64, d: u64) -> Option<f64> {
        (d > 0).then(|| n as f64 / d as f64)
    }

    /// 响应率.
    pub fn response_rate(&self) -> Option<f64> {
        Self::ratio(self.acknowledged_on_time, self.dispatched)
    }

    /// 解决率.
    pub fn resolution_rate(&self) -> Option<f64> {
        Self::ratio(self.resolved, self.valid_callbacks)
    }

    /// 满意率: basically satisfied counts 0.9.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        (self.valid_callbacks > 0).then(|| {
            (self.satisfied as f64 + 0.9 * self.basically_satisfied as f64)
                / self.valid_callbacks as f64
        })
    }
}

/// Counts a period's events into rows, ranked by composite (rows without one last).
///
/// `tickets` gives, for the tickets the events belong to, the current state: the lead unit and
/// street a callback counts for. Events must be in log order.
pub fn rank(
    events: &[(TicketId, EventRecord)],
    tickets: &HashMap<TicketId, Ticket>,
    by: GroupBy,
    weights: Weights,
) -> Vec<RateRow> {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    for (id, record) in events {
        let ticket = tickets.get(id);
        let street = ticket.and_then(|t| t.intake.street_code.clone());
        let lead = ticket.and_then(|t| t.lead_unit.clone());
        let dispatch_key = |unit: &str| match by {
            GroupBy::Unit => Some(unit.to_string()),
            GroupBy::Street => street.clone(),
        };
        let callback_key = match by {
            GroupBy::Unit => lead.clone(),
            GroupBy::Street => street.clone(),
        };
        match &record.event {
            Event::Dispatched { lead_unit, .. } => {
                if let Some(k) = dispatch_key(lead_unit) {
                    counts.entry(k).or_default().dispatched += 1;
                }
            }
            Event::Transferred { to_unit, .. } => {
                if let Some(k) = dispatch_key(to_unit) {
                    counts.entry(k).or_default().dispatched += 1;
                }
            }
            Event::Acknowledged {
                unit,
                on_time: Some(true),
            } => {
                if let Some(k) = dispatch_key(unit) {
                    counts.entry(k).or_default().acknowledged_on_time += 1;
                }
            }
            Event::CallbackRecorded {
                resolved,
                satisfaction,
                ..
            } => {
                if let Some(k) = callback_key {
                    let c = counts.entry(k).or_default();
                    c.valid_callbacks += 1;
                    c.resolved += u64::from(*resolved);
                    match satisfaction {
                        Satisfaction::Satisfied => c.satisfied += 1,
                        Satisfaction::BasicallySatisfied => c.basically_satisfied += 1,
                        Satisfaction::Unsatisfied => {}
                    }
                }
            }
            _ => {}
        }
    }
    let mut rows: Vec<RateRow> = counts
        .into_iter()
        .map(|(code, counts)| {
            let rates = [
                (counts.response_rate(), weights.response),
                (counts.resolution_rate(), weights.resolution),
                (counts.satisfaction_rate(), weights.satisfaction),
            ];
            let weight: f64 = rates
                .iter()
                .filter(|(r, _)| r.is_some())
                .map(|(_, w)| w)
                .sum();
            let composite = (weight > 0.0).then(|| {
                rates
                    .iter()
                    .filter_map(|(r, w)| r.map(|r| r * w))
                    .sum::<f64>()
                    / weight
            });
            RateRow {
                rank: 0,
                response_rate: counts.response_rate(),
                resolution_rate: counts.resolution_rate(),
                satisfaction_rate: counts.satisfaction_rate(),
                composite,
                code,
                counts,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.composite
            .unwrap_or(-1.0)
            .total_cmp(&a.composite.unwrap_or(-1.0))
            .then_with(|| a.code.cmp(&b.code))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    rows
}
