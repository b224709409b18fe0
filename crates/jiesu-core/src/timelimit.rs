//! 时限 time limits: policies as data, the deadlines they give a ticket, and how late it is.
//!
//! A [`PolicySet`] is an ordered list of [`Policy`] rules, versioned as a whole: the first rule
//! that matches a ticket (urgency, catalog prefix, channel) gives its acknowledge and handle
//! limits. The deadlines are worked out on the [`WorkingCalendar`] when the ticket is dispatched
//! and stored on the ticket with the policy id and version, so a later edit of the policies
//! never moves the deadlines of tickets already out.

use crate::calendar::{Span, WorkingCalendar};
use crate::ticket::{Channel, Ticket, Urgency};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// 时限策略 one time-limit rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Stable id, for example `urgent`.
    pub id: String,
    /// What it is for, in Chinese.
    pub name: String,
    /// Only tickets of this urgency.
    #[serde(default)]
    pub urgency: Option<Urgency>,
    /// Only tickets whose catalog code starts with this (a level-1, -2 or -3 code).
    #[serde(default)]
    pub category_prefix: Option<String>,
    /// Only tickets from this channel.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// 签收时限: how long the unit has to acknowledge.
    pub acknowledge: Span,
    /// 办结时限: how long the unit has to reply.
    pub handle: Span,
    /// A warning goes out when this share of a limit has passed (1 to 99).
    pub warn_percent: u8,
    /// A transfer or re-dispatch gives the new unit the full limits again.
    #[serde(default = "yes")]
    pub restart_on_transfer: bool,
    /// The handle clock stops while the unit waits on the caller (等待诉求人).
    #[serde(default = "yes")]
    pub pause_while_waiting: bool,
}

fn yes() -> bool {
    true
}

impl Policy {
    /// Whether this rule applies to the ticket.
    pub fn matches(&self, t: &Ticket) -> bool {
        self.urgency.is_none_or(|u| u == t.intake.urgency)
            && self.channel.is_none_or(|c| c == t.intake.channel)
            && self.category_prefix.as_deref().is_none_or(|p| {
                t.intake
                    .category_code
                    .as_deref()
                    .is_some_and(|c| c.starts_with(p))
            })
    }
}

/// The time-limit rules in force, first match wins; the last rule should match everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySet {
    /// Raised by one on every change.
    pub version: u32,
    /// The rules, most specific first.
    pub policies: Vec<Policy>,
    /// How callbacks are made.
    #[serde(default)]
    pub callback: CallbackRules,
}

/// 回访 rules: when a replied ticket is called back, and how often before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackRules {
    /// A ticket replied on day D is on the callback list of day D + `delay_days` (1: the
    /// morning after).
    pub delay_days: u32,
    /// Missed calls before the ticket is closed as unreachable.
    pub max_attempts: u32,
}

impl Default for CallbackRules {
    fn default() -> Self {
        CallbackRules {
            delay_days: 1,
            max_attempts: 3,
        }
    }
}

/// A policy set that cannot be used, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    /// Field path, for example `policies[2].warn_percent`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl PolicySet {
    /// The defaults of DESIGN §4: urgent requests acknowledged within 1 hour and handled within
    /// 2 (Beijing); epidemic-related requests handled within 24 hours (Hangzhou); ordinary
    /// requests acknowledged within 1 working day and handled within 5 working days.
    pub fn defaults() -> PolicySet {
        let rule = |id: &str,
                    name: &str,
                    urgency: Option<Urgency>,
                    category: Option<&str>,
                    ack,
                    handle| Policy {
            id: id.into(),
            name: name.into(),
            urgency,
            category_prefix: category.map(String::from),
            channel: None,
            acknowledge: ack,
            handle,
            warn_percent: 75,
            restart_on_transfer: true,
            // Urgent requests do not wait: their clock never stops.
            pause_while_waiting: urgency != Some(Urgency::Urgent),
        };
        PolicySet {
            version: 1,
            callback: CallbackRules::default(),
            policies: vec![
                rule(
                    "urgent",
                    "紧急诉求：涉及生命财产安全、发热、健康码红黄码、密接，1小时签收、2小时办结",
                    Some(Urgency::Urgent),
                    None,
                    Span::NaturalHours(1),
                    Span::NaturalHours(2),
                ),
                rule(
                    "public-health",
                    "公共卫生（疫情相关）诉求：1小时签收、24小时办结",
                    None,
                    Some("1201"),
                    Span::NaturalHours(1),
                    Span::NaturalHours(24),
                ),
                rule(
                    "normal",
                    "一般诉求：1个工作日签收、5个工作日办结",
                    None,
                    None,
                    Span::WorkingDays(1),
                    Span::WorkingDays(5),
                ),
            ],
        }
    }

    /// Checks ids, warning points and that the last rule matches every ticket.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let err = |field: String, message: &str| PolicyError {
            field,
            message: message.into(),
        };
        if !(1..=10).contains(&self.callback.max_attempts) {
            return Err(err(
                "callback.max_attempts".into(),
                "must be between 1 and 10",
            ));
        }
        if self.callback.delay_days > 30 {
            return Err(err(
                "callback.delay_days".into(),
                "must be 30 days or fewer",
            ));
        }
        if self.policies.is_empty() {
            return Err(err("policies".into(), "at least one rule is needed"));
        }
        for (i, p) in self.policies.iter().enumerate() {
            let at = |f: &str| format!("policies[{i}].{f}");
            if p.id.trim().is_empty() {
                return Err(err(at("id"), "is required"));
            }
            if self.policies[..i].iter().any(|q| q.id == p.id) {
                return Err(err(at("id"), "is used twice"));
            }
            if !(1..=99).contains(&p.warn_percent) {
                return Err(err(at("warn_percent"), "must be between 1 and 99"));
            }
            if p.acknowledge.amount() == 0 {
                return Err(err(at("acknowledge"), "must be longer than zero"));
            }
            if p.handle.amount() == 0 {
                return Err(err(at("handle"), "must be longer than zero"));
            }
        }
        let last = &self.policies[self.policies.len() - 1];
        if last.urgency.is_some() || last.category_prefix.is_some() || last.channel.is_some() {
            return Err(err(
                format!("policies[{}]", self.policies.len() - 1),
                "the last rule must match every ticket (no urgency, category or channel)",
            ));
        }
        Ok(())
    }

    /// The rule for a ticket: the first that matches.
    pub fn select(&self, t: &Ticket) -> Option<&Policy> {
        self.policies.iter().find(|p| p.matches(t))
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }
}

/// Which of a ticket's two limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// 签收 acknowledge.
    Acknowledge,
    /// 办结 reply.
    Handle,
}

/// The deadlines a ticket was given, and the rule they came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// The policy rule.
    pub policy_id: String,
    /// The policy set's version at the time.
    pub policy_version: u32,
    /// When the clock started (dispatch, transfer or reopening).
    pub started_at: DateTime<Utc>,
    /// Acknowledge by then.
    pub acknowledge_by: DateTime<Utc>,
    /// Warn about acknowledging at then.
    pub acknowledge_warn_at: DateTime<Utc>,
    /// Reply by then (moved by granted extensions).
    pub handle_by: DateTime<Utc>,
    /// Warn about replying at then.
    pub handle_warn_at: DateTime<Utc>,
    /// The handle span, for extensions and repeated-overdue escalation.
    pub handle: Span,
    /// The policy's word, kept with the deadlines it gave: the clock stops while waiting on
    /// the caller.
    #[serde(default = "yes")]
    pub pause_while_waiting: bool,
    /// The policy's word: a transfer or re-dispatch restarts the clock.
    #[serde(default = "yes")]
    pub restart_on_transfer: bool,
    /// True when some day used lay past the calendar's last year (weekday rule applied).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub beyond_calendar: bool,
}

/// The warning point: when `percent` of the limit's own kind of time has passed (wall time
/// for natural hours, working time for working hours and days).
fn warn_point(
    cal: &WorkingCalendar,
    start: DateTime<Utc>,
    span: Span,
    due: DateTime<Utc>,
    percent: u8,
) -> DateTime<Utc> {
    match span {
        Span::NaturalHours(_) => start + (due - start) * i32::from(percent) / 100,
        Span::WorkingHours(_) | Span::WorkingDays(_) => {
            let total = cal.working_time_between(start, due);
            cal.add_working(start, total * i32::from(percent) / 100).at
        }
    }
}

/// Works out a ticket's deadlines from `start` under `policy`.
pub fn deadlines_from(
    policy: &Policy,
    version: u32,
    cal: &WorkingCalendar,
    start: DateTime<Utc>,
) -> Deadlines {
    let ack = cal.add(start, policy.acknowledge);
    let handle = cal.add(start, policy.handle);
    Deadlines {
        policy_id: policy.id.clone(),
        policy_version: version,
        started_at: start,
        acknowledge_by: ack.at,
        acknowledge_warn_at: warn_point(
            cal,
            start,
            policy.acknowledge,
            ack.at,
            policy.warn_percent,
        ),
        handle_by: handle.at,
        handle_warn_at: warn_point(cal, start, policy.handle, handle.at, policy.warn_percent),
        handle: policy.handle,
        pause_while_waiting: policy.pause_while_waiting,
        restart_on_transfer: policy.restart_on_transfer,
        beyond_calendar: ack.beyond_table || handle.beyond_table,
    }
}

/// How a ticket stands against one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Before the warning point.
    OnTime,
    /// Past the warning point, before the deadline.
    Warned,
    /// Past the deadline.
    Overdue,
}

/// Where an instant falls against a warning point and a deadline.
pub fn timeliness(now: DateTime<Utc>, warn_at: DateTime<Utc>, due: DateTime<Utc>) -> Timeliness {
    if now >= due {
        Timeliness::Overdue
    } else if now >= warn_at {
        Timeliness::Warned
    } else {
        Timeliness::OnTime
    }
}

/// The highest supervision level that repeated overdue raises a ticket to.
pub const MAX_OVERDUE_LEVEL: u32 = 3;

#[cfg(test)]
mod tests;
