//! The life of a generated order after it is received, issued as real commands through
//! [`jiesu_core::execute`]: answered directly or dispatched, acknowledged, replied, called
//! back, reopened now and then.
//!
//! The shares are those of an ordinary big-city centre: about 45 % answered at first contact,
//! 95 % of acknowledgements and 90 % of replies within their limits, 85–90 % of callers
//! satisfied or basically satisfied.

use crate::{Generator, Order};
use chrono::{DateTime, TimeDelta, Utc};
use jiesu_core::{Actor, Command, ReplyOutcome, Role, Satisfaction, Status, execute};
use rand::Rng;
use rand::rngs::StdRng;

/// Share of orders answered at first contact (直接答复).
pub const ANSWERED_SHARE: f64 = 0.45;
/// Share of acknowledgements within the acknowledge limit.
pub const ACK_ON_TIME: f64 = 0.95;
/// Share of replies within the handle limit.
pub const REPLY_ON_TIME: f64 = 0.90;

fn minutes(rng: &mut StdRng, from: i64, to: i64) -> TimeDelta {
    TimeDelta::seconds(rng.gen_range(from * 60..to * 60))
}

/// A point between `from` and `to` at a random fraction in `lo..hi`.
fn between(
    rng: &mut StdRng,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    lo: f64,
    hi: f64,
) -> DateTime<Utc> {
    let span = (to - from).num_seconds().max(60) as f64;
    from + TimeDelta::seconds((span * rng.gen_range(lo..hi)) as i64)
}

/// Issues commands on the order until its life ends or reaches `until`.
struct Life<'a> {
    generator: &'a Generator,
    order: &'a mut Order,
    until: DateTime<Utc>,
    at: DateTime<Utc>,
}

impl Life<'_> {
    /// Runs one command at `at`; false when `at` is past `until` (it has not happened yet) or
    /// the command is refused (which would be a bug in the script below).
    fn run(&mut self, command: Command, actor: &Actor, at: DateTime<Utc>) -> bool {
        let at = at.max(self.at);
        if at > self.until {
            return false;
        }
        match execute(
            Some(&self.order.state),
            &command,
            actor,
            at,
            self.generator.directory(),
        ) {
            Ok((records, state)) => {
                self.order.records.extend(records);
                self.order.state = state;
                self.at = at;
                true
            }
            Err(e) => {
                debug_assert!(false, "generated command refused: {e}");
                false
            }
        }
    }

    /// Calls the citizen back about a day after `from` until reached; true when the order is
    /// reopened.
    fn callback(
        &mut self,
        rng: &mut StdRng,
        mut from: DateTime<Utc>,
        unsatisfied: f64,
    ) -> Option<bool> {
        let agent = Actor::new(format!("agent{:03}", rng.gen_range(1..=400)), Role::Agent);
        for _ in 0..3 {
            let at = from + minutes(rng, 20 * 60, 28 * 60);
            if rng.gen_bool(0.06) {
                let missed = Command::Callback {
                    reached: false,
                    resolved: None,
                    satisfaction: None,
                    note: None,
                };
                if !self.run(missed, &agent, at) {
                    return None;
                }
                if self.order.state.status == Status::Closed {
                    return Some(false);
                }
                from = at;
                continue;
            }
            let roll: f64 = rng.r#gen();
            let (resolved, satisfaction) = if roll < unsatisfied {
                (rng.gen_bool(0.5), Satisfaction::Unsatisfied)
            } else if roll < unsatisfied + 0.09 {
                (true, Satisfaction::BasicallySatisfied)
            } else {
                (true, Satisfaction::Satisfied)
            };
            let recorded = Command::Callback {
                reached: true,
                resolved: Some(resolved),
                satisfaction: Some(satisfaction),
                note: None,
            };
            if !self.run(recorded, &agent, at) {
                return None;
            }
            return Some(self.order.state.status == Status::Reopened);
        }
        Some(false)
    }

    /// The unit's round: acknowledge (unless `acknowledged`), reply, get called back. Returns
    /// true when the order was reopened.
    fn unit_round(&mut self, rng: &mut StdRng, unit: &str, round: u32) -> Option<bool> {
        let staff = Actor::of_unit(format!("{unit}-staff{}", rng.gen_range(1..=20)), unit);
        let system = Actor::system();
        let deadlines = self.order.state.deadlines.clone();
        let start = self.at;
        if self.order.state.awaits_acknowledgement() {
            let ack_at = match &deadlines {
                Some(d) if rng.gen_bool(ACK_ON_TIME) => {
                    between(rng, start, d.acknowledge_by, 0.02, 0.9)
                }
                Some(d) => {
                    let late = d.acknowledge_by + minutes(rng, 30, 20 * 60);
                    if !self.run(
                        Command::CheckTime,
                        &system,
                        d.acknowledge_by + TimeDelta::minutes(1),
                    ) {
                        return None;
                    }
                    late
                }
                None => start + minutes(rng, 10, 4 * 60),
            };
            if !self.run(Command::Acknowledge, &staff, ack_at) {
                return None;
            }
        }
        let acked = self.at;
        let reply_at = match &deadlines {
            Some(d) if rng.gen_bool(REPLY_ON_TIME) => between(rng, acked, d.handle_by, 0.1, 0.95),
            Some(d) => {
                let late = d.handle_by + minutes(rng, 2 * 60, 72 * 60);
                if !self.run(
                    Command::CheckTime,
                    &system,
                    d.handle_by + TimeDelta::minutes(1),
                ) {
                    return None;
                }
                late
            }
            None => acked + minutes(rng, 60, 4 * 24 * 60),
        };
        let roll: f64 = rng.r#gen();
        let outcome = if roll < 0.75 {
            ReplyOutcome::Solved
        } else if roll < 0.95 {
            ReplyOutcome::Explained
        } else {
            ReplyOutcome::Unsolvable
        };
        let text = match outcome {
            ReplyOutcome::Solved => "经核实，已安排人员现场处理，问题已解决。",
            ReplyOutcome::Explained => "经核实，已向诉求人解释相关政策规定。",
            ReplyOutcome::Unsolvable => "经核实，该问题暂不具备解决条件，已向诉求人说明。",
        };
        let reply = Command::Reply {
            outcome,
            text: text.into(),
        };
        if !self.run(reply, &staff, reply_at) {
            return None;
        }
        let unsatisfied = if round > 1 { 0.02 } else { 0.07 };
        let replied = self.at;
        self.callback(rng, replied, unsatisfied)
    }
}

/// Lives the order's life after `received`, up to `until`.
pub(crate) fn live(
    generator: &Generator,
    rng: &mut StdRng,
    order: &mut Order,
    unit: &str,
    until: DateTime<Utc>,
) {
    let received = order.received_at;
    let mut life = Life {
        generator,
        order,
        until,
        at: received,
    };
    let agent = life.order.actor.clone();
    let dispatcher = Actor::new(
        format!("dispatcher{:02}", rng.gen_range(1..=40)),
        Role::Dispatcher,
    );
    if rng.gen_bool(ANSWERED_SHARE) {
        let answer = Command::Answer {
            entry_id: None,
            entry_version: None,
            text: "已按知识库口径为市民解答。".into(),
        };
        if !life.run(answer, &agent, received + minutes(rng, 1, 8)) {
            return;
        }
        match life.callback(rng, life.at, 0.03) {
            Some(true) => {}
            _ => return,
        }
    }
    // Dispatched at once, or after an answer the caller found wanting.
    let from = life.at;
    let dispatch = Command::Dispatch {
        lead_unit: unit.to_string(),
        assisting_units: Vec::new(),
        note: None,
        routing: None,
    };
    if !life.run(dispatch, &dispatcher, from + minutes(rng, 5, 90)) {
        return;
    }
    for round in 1..=2 {
        match life.unit_round(rng, unit, round) {
            Some(true) => {}
            _ => return,
        }
    }
}
