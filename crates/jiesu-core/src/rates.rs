//! 三率 the three rates by which cities score their units and streets, and the composite.
//!
//! - response rate (响应率): tickets acknowledged within the limit ÷ tickets dispatched;
//! - resolution rate (解决率): callbacks saying "resolved" ÷ valid (reached) callbacks;
//! - satisfaction rate (满意率): (satisfied + 0.9 × basically satisfied) ÷ valid callbacks;
//! - composite: a weighted sum, 0.1 / 0.5 / 0.4 by default; rows missing a rate are unscored
//!   and ranked last.
//!
//! The figures are counted from the event log, so any period can be scored again and gives the
//! same table: see [`rank`] for how each event counts.

use crate::ticket::{Event, EventRecord, Satisfaction};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Weighted sum of the three rates; none when a rate is missing (ranked last).
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

/// Counts the rows of the period `[from, to)` from the full event logs of the tickets active
/// in it, ranked by composite (rows without one last).
///
/// A dispatch (first dispatch, transfer, re-dispatch after a return, reopening) made in the
/// period counts for the unit it went to, and counts as acknowledged on time if that unit's
/// acknowledgement was within the limit, even when it came after the period ended. A callback
/// made in the period counts for the ticket's lead unit at that moment and for its street.
pub fn rank(
    logs: &[Vec<EventRecord>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: GroupBy,
    weights: Weights,
) -> Vec<RateRow> {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let inside = |at: DateTime<Utc>| at >= from && at < to;
    for log in logs {
        let street = log.iter().find_map(|r| match &r.event {
            Event::Received { intake, .. } => intake.street_code.clone(),
            _ => None,
        });
        let key = |unit: &str| match by {
            GroupBy::Unit => Some(unit.to_string()),
            GroupBy::Street => street.clone(),
        };
        let mut lead: Option<String> = None;
        // The dispatch waiting for its acknowledgement, if it was made in the period.
        let mut open: Option<String> = None;
        for r in log {
            let mut dispatched_to = |unit: &str, open: &mut Option<String>| {
                *open = None;
                if inside(r.at)
                    && let Some(k) = key(unit)
                {
                    counts.entry(k.clone()).or_default().dispatched += 1;
                    *open = Some(k);
                }
            };
            match &r.event {
                Event::Dispatched { lead_unit, .. } => {
                    lead = Some(lead_unit.clone());
                    dispatched_to(lead_unit, &mut open);
                }
                Event::Transferred { to_unit, .. } => {
                    lead = Some(to_unit.clone());
                    dispatched_to(to_unit, &mut open);
                }
                Event::Reopened { .. } => {
                    if let Some(unit) = lead.clone() {
                        dispatched_to(&unit, &mut open);
                    }
                }
                Event::Acknowledged { on_time, .. } => {
                    if let (Some(k), Some(true)) = (open.take(), on_time) {
                        counts.entry(k).or_default().acknowledged_on_time += 1;
                    }
                }
                Event::Returned { .. } | Event::ReturnUpheld { .. } => open = None,
                Event::CallbackRecorded {
                    resolved,
                    satisfaction,
                    ..
                } if inside(r.at) => {
                    let k = match by {
                        GroupBy::Unit => lead.clone(),
                        GroupBy::Street => street.clone(),
                    };
                    if let Some(k) = k {
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
    }
    let mut rows: Vec<RateRow> = counts
        .into_iter()
        .map(|(code, counts)| {
            let (response, resolution, satisfaction) = (
                counts.response_rate(),
                counts.resolution_rate(),
                counts.satisfaction_rate(),
            );
            // Scored only on all three rates: a unit without callbacks is not ranked above
            // one that has them.
            let composite = match (response, resolution, satisfaction) {
                (Some(a), Some(b), Some(c)) => Some(
                    (weights.response * a + weights.resolution * b + weights.satisfaction * c)
                        / (weights.response + weights.resolution + weights.satisfaction),
                ),
                _ => None,
            };
            RateRow {
                rank: 0,
                response_rate: response,
                resolution_rate: resolution,
                satisfaction_rate: satisfaction,
                composite,
                code,
                counts,
            }
        })
        .collect();
    rows.sort_by(|a, b| match (a.composite, b.composite) {
        (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.code.cmp(&b.code)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    rows
}
