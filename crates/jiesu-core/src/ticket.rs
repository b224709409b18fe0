//! 工单 the ticket: its commands, its events and the state machine between them.
//!
//! The life of a ticket (DESIGN §3) is the table [`TRANSITIONS`]: for each status, the commands
//! it accepts and the statuses they can lead to. [`decide`] checks a command against that table,
//! the actor's role and the command's own fields, and returns the events to append; [`evolve`]
//! folds one event into the state. Replaying a ticket's events with [`replay`] always gives the
//! stored state.

use crate::calendar::Span;
use crate::directory::Directory;
use crate::dispatch::RoutedBy;
use crate::privacy::{HIDDEN_NAME, mask_phone};
use crate::reference::DivisionLevel;
use crate::role::{Actor, Role};
use crate::timelimit::{
    Deadlines, Limit, MAX_OVERDUE_LEVEL, Timeliness, deadlines_from, timeliness,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// China Standard Time (UTC+8, no daylight saving): the day an order number belongs to.
pub fn china_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// A China-time (UTC+8) instant as public data writes it: `2019/4/25 9:32:09`,
/// `2019-04-25 09:32:09`, either without seconds, or a bare date (midnight).
pub fn parse_china_time(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    let text = text.trim();
    let naive = [
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        ["%Y/%m/%d", "%Y-%m-%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    china_offset().from_local_datetime(&naive).single()
}

/// The instant a China-time day begins: its midnight at UTC+8.
pub fn china_day_start(day: chrono::NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(china_offset())
        .single()
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
}

/// The local (China) day of an instant, as `YYYYMMDD`.
pub fn number_day(at: DateTime<Utc>) -> String {
    at.with_timezone(&china_offset())
        .format("%Y%m%d")
        .to_string()
}

/// The human-readable order number: the local day and a six-digit sequence within the day,
/// `20261123000042`. Past 999,999 orders in a day the sequence simply grows longer.
pub fn ticket_number(day: &str, seq: u64) -> String {
    format!("{day}{seq:06}")
}

/// Identifier of a ticket (a UUID chosen by the shell when the ticket is received).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(pub String);

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a string-valued enum with its wire names, `as_str`, `ALL` and `FromStr`.
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $var),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// The name used on the wire and in storage.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
            /// The value with this wire name.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
            /// The wire names, joined for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join("|")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// 渠道 how the request reached the centre.
    Channel {
        /// The 12345 phone line.
        Phone = "phone",
        /// The web site form.
        Web = "web",
        /// The WeChat account.
        Wechat = "wechat",
        /// The city app.
        App = "app",
        /// A letter.
        Letter = "letter",
        /// Another system through the API (including imports).
        Api = "api",
    }
}

wire_enum! {
    /// How fast a ticket must be handled.
    Urgency {
        /// Ordinary request.
        Normal = "normal",
        /// 紧急: life and safety, health emergencies.
        Urgent = "urgent",
    }
}

wire_enum! {
    /// Where a ticket is in its life.
    Status {
        /// 受理: taken by the centre, not yet answered or dispatched.
        Received = "received",
        /// 直接答复: answered at first contact, waiting for its callback.
        Answered = "answered",
        /// 派单: sent to a lead unit, not yet acknowledged.
        Dispatched = "dispatched",
        /// 退单: sent back by the unit, waiting for review.
        Returned = "returned",
        /// 签收: acknowledged by the unit and being handled.
        InProgress = "in_progress",
        /// 办结答复: the unit has replied, waiting for the callback.
        Replied = "replied",
        /// 重办: the callback found it unresolved; back to the unit under supervision.
        Reopened = "reopened",
        /// 结案: done.
        Closed = "closed",
        /// 一件多诉: merged into a master ticket, which carries it from now on.
        Merged = "merged",
    }
}

wire_enum! {
    /// 办结 the unit's result.
    ReplyOutcome {
        /// 已解决.
        Solved = "solved",
        /// 已解释: explained to the caller (policy, not in scope).
        Explained = "explained",
        /// 无法解决.
        Unsolvable = "cannot_be_solved",
    }
}

wire_enum! {
    /// The caller's satisfaction asked at callback.
    Satisfaction {
        /// 满意.
        Satisfied = "satisfied",
        /// 基本满意.
        BasicallySatisfied = "basically_satisfied",
        /// 不满意.
        Unsatisfied = "unsatisfied",
    }
}

wire_enum! {
    /// 派单异议审核 what the reviewer decides on a returned ticket.
    ReviewDecision {
        /// The return is justified: the ticket goes to another unit.
        Uphold = "uphold",
        /// The return is refused: the same unit must handle it.
        Refuse = "refuse",
    }
}

/// 诉求人 the citizen behind a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// Name as given.
    pub name: String,
    /// Phone number to call back.
    pub phone: String,
}

/// What the centre takes from the citizen: the fields of a new ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    /// How the request came in.
    pub channel: Channel,
    /// Short title; the content stands in when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// What the citizen asked or reported.
    pub content: String,
    /// Who asked.
    pub caller: Caller,
    /// Free-text address.
    #[serde(default)]
    pub address: Option<String>,
    /// District code (6 digits).
    #[serde(default)]
    pub district_code: Option<String>,
    /// Street code (9 digits).
    #[serde(default)]
    pub street_code: Option<String>,
    /// Catalog code.
    #[serde(default)]
    pub category_code: Option<String>,
    /// Urgency, normal unless said otherwise.
    #[serde(default = "normal")]
    pub urgency: Urgency,
    /// Confidential requests hide the caller's name from units.
    #[serde(default)]
    pub confidential: bool,
    /// Where an imported ticket came from (system and its id), if it was imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
}

fn normal() -> Urgency {
    Urgency::Normal
}

/// Longest accepted content, in characters.
pub const MAX_CONTENT: usize = 10_000;
/// Longest accepted title, name, reason or note, in characters.
pub const MAX_SHORT: usize = 200;

impl Intake {
    /// Checks the fields and the codes against the directory; fills the district from the
    /// street when only the street is given. Returns the normalised intake.
    pub fn validate(mut self, dir: &dyn Directory) -> Result<Intake, DecideError> {
        self.content = required("content", &self.content, MAX_CONTENT)?;
        self.title = optional("title", self.title.as_deref(), MAX_SHORT)?;
        self.address = optional("address", self.address.as_deref(), MAX_SHORT)?;
        self.caller.name = required("caller.name", &self.caller.name, 50)?;
        self.caller.phone = self.caller.phone.trim().to_string();
        let digits = self
            .caller
            .phone
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ');
        if !(3..=20).contains(&digits) || !self.caller.phone.chars().all(allowed) {
            return Err(invalid(
                "caller.phone",
                "must be a phone number of 3 to 20 digits",
            ));
        }
        if let Some(code) = self.street_code.as_deref() {
            let street = dir
                .division(code)
                .filter(|d| d.level == DivisionLevel::Street)
                .ok_or_else(|| invalid("street_code", format!("unknown street '{code}'")))?;
            match (&self.district_code, &street.parent_code) {
                (Some(d), Some(p)) if d != p => {
                    return Err(invalid(
                        "street_code",
                        format!("street '{code}' is not in district '{d}'"),
                    ));
                }
                (None, parent) => self.district_code = parent.clone(),
                _ => {}
            }
        }
        if let Some(code) = self.district_code.as_deref() {
            dir.division(code)
                .filter(|d| d.level == DivisionLevel::District)
                .ok_or_else(|| invalid("district_code", format!("unknown district '{code}'")))?;
        }
        if let Some(code) = self.category_code.as_deref()
            && dir.catalog(code).is_none()
        {
            return Err(invalid(
                "category_code",
                format!("unknown catalog code '{code}'"),
            ));
        }
        Ok(self)
    }
}

/// 智能助手建议 what the smart assistant proposed when the ticket was recorded, kept beside
/// what the agent chose so that each field's acceptance rate can be counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Proposed district.
    pub district_code: Option<String>,
    /// Proposed street.
    pub street_code: Option<String>,
    /// Proposed urgency.
    pub urgency: Urgency,
    /// Proposed catalog code.
    #[serde(default)]
    pub category_code: Option<String>,
    /// Why, in a few words an agent reads (the names and cues found).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Proposed scene (where the problem is), when the text says it clearly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<crate::dispatch::Scene>,
    /// Proposed lead unit, from the dispatch rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A request to change a ticket. The shell adds who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged (`{"reply": {...}}`), so that a wrong field is named by its path.
#[serde(rename_all = "snake_case")]
// One command lives briefly per request; boxing the intake would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// 受理: take a new request. `id` and `number` are chosen by the shell.
    Receive {
        /// New ticket id.
        id: TicketId,
        /// Human-readable number (date + sequence).
        number: String,
        /// The citizen's request, already validated.
        intake: Intake,
        /// What the assistant proposed, when the agent used it.
        #[serde(default)]
        proposal: Option<Proposal>,
    },
    /// 直接答复: answer at first contact, citing a knowledge-base entry where there is one.
    Answer {
        /// The knowledge-base entry read out.
        entry_id: Option<String>,
        /// The version of that entry (filled in by the server from the entry in force).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry_version: Option<u32>,
        /// What the caller was told.
        text: String,
    },
    /// 派单: send to a lead unit with optional assisting units.
    Dispatch {
        /// 主办 the unit responsible.
        lead_unit: String,
        /// 协办 units that help.
        #[serde(default)]
        assisting_units: Vec<String>,
        /// Instructions for the unit.
        note: Option<String>,
        /// What the dispatch rules proposed (filled in by the server, never by clients).
        #[serde(default, skip_deserializing)]
        routing: Option<RoutedBy>,
    },
    /// 签收: the lead unit accepts the ticket.
    Acknowledge,
    /// 退单: the lead unit sends the ticket back.
    Return {
        /// Why it is not this unit's (required).
        reason: String,
    },
    /// 派单异议审核: decide on a returned ticket.
    Review {
        /// Uphold the return (re-dispatch) or refuse it.
        decision: ReviewDecision,
        /// The new lead unit when upholding.
        redispatch_to: Option<String>,
        /// Assisting units for the re-dispatch.
        #[serde(default)]
        assisting_units: Vec<String>,
        /// Reviewer's note.
        note: Option<String>,
        /// When upholding: mark the rule that routed the ticket as misrouting.
        #[serde(default)]
        flag_rule: bool,
        /// What the dispatch rules proposed for the re-dispatch (filled in by the server).
        #[serde(default, skip_deserializing)]
        routing: Option<RoutedBy>,
    },
    /// 会商: invite several units to a joint consultation on a hard ticket.
    Consult {
        /// The units invited (1 to 10).
        units: Vec<String>,
        /// What is to be settled.
        note: Option<String>,
    },
    /// 延期申请: the lead unit asks for more time.
    #[serde(rename = "extension")]
    RequestExtension {
        /// Working days asked for (1 to 30).
        days: u32,
        /// Why (required).
        reason: String,
    },
    /// Grant or refuse a pending extension.
    #[serde(rename = "extension_decision")]
    DecideExtension {
        /// Granted or refused.
        granted: bool,
        /// Note to the unit.
        note: Option<String>,
    },
    /// 办结答复: the lead unit replies.
    Reply {
        /// Solved, explained or cannot be solved.
        outcome: ReplyOutcome,
        /// The reply to the citizen (required).
        text: String,
    },
    /// 回访: the result of calling the citizen back.
    Callback {
        /// Whether the caller was reached.
        reached: bool,
        /// Whether the problem is solved (required when reached).
        resolved: Option<bool>,
        /// How satisfied the caller is (required when reached).
        satisfaction: Option<Satisfaction>,
        /// Agent's note.
        note: Option<String>,
    },
    /// 转办: move the ticket to another unit.
    Transfer {
        /// The new lead unit.
        to_unit: String,
        /// Why (required).
        reason: String,
    },
    /// 督办: press the unit; raises the supervision level.
    Supervise {
        /// What is asked of the unit.
        note: Option<String>,
    },
    /// 提级: raise the urgency.
    Escalate {
        /// Why (required).
        reason: String,
    },
    /// 一件多诉: merge into a master ticket. The shell loads the master and passes its status.
    Merge {
        /// The master ticket.
        master_id: TicketId,
        /// The master's current status.
        master_status: Status,
    },
    /// 结案: close administratively (invalid request, historical record).
    Close {
        /// Why (required).
        reason: String,
    },
    /// The time-limit scanner: raise the warnings and overdue flags that are due.
    CheckTime,
    /// 等待诉求人: the lead unit waits on the caller (documents, access, an appointment);
    /// under a policy that says so, the handle clock stops until `resume`.
    WaitForCaller {
        /// What is awaited (required).
        reason: String,
    },
    /// The caller has answered: the handle clock runs again, later by the time waited.
    Resume {
        /// Note.
        note: Option<String>,
    },
    /// 一件多诉: a merged ticket takes over its master's reply, so that its own caller is
    /// called back too. Issued by the shell when the master is replied or answered.
    FollowMaster {
        /// The master ticket.
        master_id: TicketId,
        /// The unit that replied (none when the centre answered).
        unit: Option<String>,
        /// The unit's result (none when the centre answered).
        outcome: Option<ReplyOutcome>,
        /// The reply text.
        text: String,
    },
}

wire_enum! {
    /// The kind of a [`Command`], used by the transition table and in the API paths.
    CommandKind {
        /// [`Command::Receive`].
        Receive = "receive",
        /// [`Command::Answer`].
        Answer = "answer",
        /// [`Command::Dispatch`].
        Dispatch = "dispatch",
        /// [`Command::Acknowledge`].
        Acknowledge = "acknowledge",
        /// [`Command::Return`].
        Return = "return",
        /// [`Command::Review`].
        Review = "review",
        /// [`Command::RequestExtension`].
        RequestExtension = "extension",
        /// [`Command::DecideExtension`].
        DecideExtension = "extension_decision",
        /// [`Command::Reply`].
        Reply = "reply",
        /// [`Command::Callback`].
        Callback = "callback",
        /// [`Command::Transfer`].
        Transfer = "transfer",
        /// [`Command::Supervise`].
        Supervise = "supervise",
        /// [`Command::Escalate`].
        Escalate = "escalate",
        /// [`Command::Merge`].
        Merge = "merge",
        /// [`Command::Close`].
        Close = "close",
        /// [`Command::CheckTime`].
        CheckTime = "check_time",
        /// [`Command::WaitForCaller`].
        WaitForCaller = "wait_for_caller",
        /// [`Command::Resume`].
        Resume = "resume",
        /// [`Command::Consult`].
        Consult = "consult",
        /// [`Command::FollowMaster`].
        FollowMaster = "follow_master",
    }
}

impl CommandKind {
    /// The roles that may issue this command (admins may issue every command).
    pub fn roles(self) -> &'static [Role] {
        use CommandKind::*;
        use Role::*;
        match self {
            Receive => &[Agent, Dispatcher, Supervisor, Admin],
            Answer | Callback => &[Agent, Admin],
            Dispatch | Review | Transfer | Merge => &[Dispatcher, Admin],
            Consult => &[Dispatcher, Supervisor, Admin],
            Acknowledge | Return | RequestExtension | Reply | WaitForCaller | Resume => {
                &[Unit, Admin]
            }
            DecideExtension => &[Dispatcher, Supervisor, Admin],
            Supervise => &[Supervisor, Admin],
            Escalate => &[Agent, Dispatcher, Supervisor, Admin],
            Close => &[Dispatcher, Supervisor, Admin],
            CheckTime | FollowMaster => &[Admin],
        }
    }

    /// Whether clients may send this command through the API (`receive` has its own endpoint,
    /// `check_time` belongs to the time-limit scanner, `follow_master` to the master's reply).
    pub fn is_api_action(self) -> bool {
        !matches!(
            self,
            CommandKind::Receive | CommandKind::CheckTime | CommandKind::FollowMaster
        )
    }

    /// Commands a unit user issues as the ticket's lead unit.
    fn needs_lead_unit(self) -> bool {
        self.roles().contains(&Role::Unit)
    }
}

impl Command {
    /// The kind of this command.
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Receive { .. } => CommandKind::Receive,
            Command::Answer { .. } => CommandKind::Answer,
            Command::Dispatch { .. } => CommandKind::Dispatch,
            Command::Acknowledge => CommandKind::Acknowledge,
            Command::Return { .. } => CommandKind::Return,
            Command::Review { .. } => CommandKind::Review,
            Command::RequestExtension { .. } => CommandKind::RequestExtension,
            Command::DecideExtension { .. } => CommandKind::DecideExtension,
            Command::Reply { .. } => CommandKind::Reply,
            Command::Callback { .. } => CommandKind::Callback,
            Command::Transfer { .. } => CommandKind::Transfer,
            Command::Supervise { .. } => CommandKind::Supervise,
            Command::Escalate { .. } => CommandKind::Escalate,
            Command::Merge { .. } => CommandKind::Merge,
            Command::Close { .. } => CommandKind::Close,
            Command::CheckTime => CommandKind::CheckTime,
            Command::WaitForCaller { .. } => CommandKind::WaitForCaller,
            Command::Resume { .. } => CommandKind::Resume,
            Command::Consult { .. } => CommandKind::Consult,
            Command::FollowMaster { .. } => CommandKind::FollowMaster,
        }
    }
}

/// The life of a ticket as one table: in this status, this command may lead to these statuses.
/// A command not listed for a status is refused and changes nothing.
pub const TRANSITIONS: &[(Status, CommandKind, &[Status])] = {
    use CommandKind as C;
    use Status as S;
    &[
        (S::Received, C::Answer, &[S::Answered]),
        (S::Received, C::Dispatch, &[S::Dispatched]),
        (S::Received, C::Escalate, &[S::Received]),
        (S::Received, C::Merge, &[S::Merged]),
        (S::Received, C::Close, &[S::Closed]),
        (S::Received, C::Consult, &[S::Received]),
        (
            S::Answered,
            C::Callback,
            &[S::Answered, S::Closed, S::Reopened],
        ),
        (S::Answered, C::Close, &[S::Closed]),
        (S::Dispatched, C::Acknowledge, &[S::InProgress]),
        (S::Dispatched, C::Return, &[S::Returned]),
        (S::Dispatched, C::Transfer, &[S::Dispatched]),
        (S::Dispatched, C::Supervise, &[S::Dispatched]),
        (S::Dispatched, C::Escalate, &[S::Dispatched]),
        (S::Dispatched, C::Merge, &[S::Merged]),
        (S::Dispatched, C::Close, &[S::Closed]),
        (S::Dispatched, C::CheckTime, &[S::Dispatched]),
        (S::Dispatched, C::Consult, &[S::Dispatched]),
        (S::Returned, C::Review, &[S::Dispatched]),
        (S::Returned, C::Supervise, &[S::Returned]),
        (S::Returned, C::Escalate, &[S::Returned]),
        (S::Returned, C::Close, &[S::Closed]),
        (S::Returned, C::Consult, &[S::Returned]),
        (S::InProgress, C::RequestExtension, &[S::InProgress]),
        (S::InProgress, C::DecideExtension, &[S::InProgress]),
        (S::InProgress, C::Reply, &[S::Replied]),
        (S::InProgress, C::Transfer, &[S::Dispatched]),
        (S::InProgress, C::Supervise, &[S::InProgress]),
        (S::InProgress, C::Escalate, &[S::InProgress]),
        (S::InProgress, C::Close, &[S::Closed]),
        (S::InProgress, C::CheckTime, &[S::InProgress]),
        (S::InProgress, C::WaitForCaller, &[S::InProgress]),
        (S::InProgress, C::Resume, &[S::InProgress]),
        (S::InProgress, C::Consult, &[S::InProgress]),
        (
            S::Replied,
            C::Callback,
            &[S::Replied, S::Closed, S::Reopened],
        ),
        (S::Replied, C::Supervise, &[S::Replied]),
        (S::Replied, C::Close, &[S::Closed]),
        (S::Reopened, C::Dispatch, &[S::Dispatched]),
        (S::Reopened, C::Acknowledge, &[S::InProgress]),
        (S::Reopened, C::Return, &[S::Returned]),
        (S::Reopened, C::Transfer, &[S::Dispatched]),
        (S::Reopened, C::Supervise, &[S::Reopened]),
        (S::Reopened, C::Escalate, &[S::Reopened]),
        (S::Reopened, C::Close, &[S::Closed]),
        (S::Reopened, C::CheckTime, &[S::Reopened]),
        (S::Reopened, C::Consult, &[S::Reopened]),
        // 一件多诉: a merged ticket follows its master's reply, then its caller is called back.
        (S::Merged, C::FollowMaster, &[S::Merged]),
        (S::Merged, C::Callback, &[S::Merged, S::Closed]),
    ]
};

/// The statuses `kind` may lead to from `status`, or `None` when the table refuses it.
pub fn allowed(status: Status, kind: CommandKind) -> Option<&'static [Status]> {
    TRANSITIONS
        .iter()
        .find(|(s, k, _)| *s == status && *k == kind)
        .map(|(_, _, to)| *to)
}

/// The commands a ticket in `status` accepts, in table order.
pub fn commands_in(status: Status) -> impl Iterator<Item = CommandKind> {
    TRANSITIONS
        .iter()
        .filter(move |(s, _, _)| *s == status)
        .map(|(_, k, _)| *k)
}

/// Something that happened to a ticket. Stored as `kind` + `details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "details", rename_all = "snake_case")]
pub enum Event {
    /// The centre took the request.
    Received {
        /// Ticket id.
        id: TicketId,
        /// Human-readable number.
        number: String,
        /// The request.
        intake: Intake,
        /// What the assistant proposed, when the agent used it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proposal: Option<Proposal>,
    },
    /// Answered at first contact.
    Answered {
        /// Knowledge-base entry cited.
        entry_id: Option<String>,
        /// The version of the entry that was read out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry_version: Option<u32>,
        /// What the caller was told.
        text: String,
    },
    /// Sent to a lead unit.
    Dispatched {
        /// Lead unit.
        lead_unit: String,
        /// Assisting units.
        assisting_units: Vec<String>,
        /// Instructions.
        note: Option<String>,
        /// The time limits the unit is held to (when time limits are in force).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadlines: Option<Deadlines>,
        /// The dispatch rules' version and rule behind this dispatch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        routing: Option<RoutedBy>,
    },
    /// The lead unit accepted.
    Acknowledged {
        /// The unit.
        unit: String,
        /// Within the acknowledge limit?
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_time: Option<bool>,
    },
    /// The lead unit sent it back.
    Returned {
        /// The unit.
        unit: String,
        /// Its reason.
        reason: String,
    },
    /// The reviewer upheld the return; a `Dispatched` event follows.
    ReturnUpheld {
        /// Reviewer's note.
        note: Option<String>,
        /// The rule the reviewer flagged as misrouting (`manual` for a hand-picked unit).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flagged_rule: Option<String>,
    },
    /// The reviewer refused the return: the same unit handles it.
    ReturnRefused {
        /// Reviewer's note.
        note: Option<String>,
    },
    /// The lead unit asked for more time.
    ExtensionRequested {
        /// Working days asked for.
        days: u32,
        /// Why.
        reason: String,
    },
    /// The extension was granted.
    ExtensionGranted {
        /// Working days granted.
        days: u32,
        /// Note.
        note: Option<String>,
        /// The new handle deadline.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handle_by: Option<DateTime<Utc>>,
    },
    /// The extension was refused.
    ExtensionRefused {
        /// Note.
        note: Option<String>,
    },
    /// The lead unit replied.
    Replied {
        /// The unit.
        unit: String,
        /// The result.
        outcome: ReplyOutcome,
        /// The reply text.
        text: String,
        /// Within the handle limit?
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_time: Option<bool>,
    },
    /// A callback attempt that did not reach the caller.
    CallbackMissed {
        /// Attempt number, from 1.
        attempt: u32,
        /// Note.
        note: Option<String>,
    },
    /// The caller was reached and answered.
    CallbackRecorded {
        /// Solved?
        resolved: bool,
        /// Satisfied?
        satisfaction: Satisfaction,
        /// Note.
        note: Option<String>,
    },
    /// Done.
    Closed {
        /// Why, for an administrative close.
        reason: Option<String>,
    },
    /// Back to the unit after an unresolved or unsatisfied callback.
    Reopened {
        /// Why.
        reason: String,
        /// Fresh time limits for the second round.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadlines: Option<Deadlines>,
    },
    /// Moved to another unit.
    Transferred {
        /// Previous lead unit.
        from_unit: Option<String>,
        /// New lead unit.
        to_unit: String,
        /// Why.
        reason: String,
        /// New time limits, when the policy restarts the clock on transfer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadlines: Option<Deadlines>,
    },
    /// Supervision raised to `level`.
    Supervised {
        /// New supervision level, from 1.
        level: u32,
        /// Note.
        note: Option<String>,
    },
    /// Urgency raised.
    Escalated {
        /// Why.
        reason: String,
        /// Urgent time limits, when they end sooner than the ones the ticket had.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadlines: Option<Deadlines>,
    },
    /// The lead unit waits on the caller.
    WaitingForCaller {
        /// What is awaited.
        reason: String,
        /// Whether the handle clock stops meanwhile (the ticket's policy says).
        clock_paused: bool,
    },
    /// The wait is over.
    Resumed {
        /// Note.
        note: Option<String>,
        /// The handle deadline, later by the time waited, when the clock was stopped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handle_by: Option<DateTime<Utc>>,
    },
    /// A warning point passed (预警).
    TimeWarned {
        /// Which limit.
        limit: Limit,
    },
    /// A deadline passed (超期).
    Overdue {
        /// Which limit.
        limit: Limit,
    },
    /// Merged into a master ticket.
    Merged {
        /// The master ticket.
        master_id: TicketId,
    },
    /// The master ticket was replied (or answered): this merged ticket's caller is due a
    /// callback with that reply.
    MasterReplied {
        /// The master ticket.
        master_id: TicketId,
        /// The unit that replied (none when the centre answered).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        /// The unit's result (none when the centre answered).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<ReplyOutcome>,
        /// The reply text.
        text: String,
    },
    /// 会商 units invited to a joint consultation.
    ConsultationRequested {
        /// The units invited.
        units: Vec<String>,
        /// What is to be settled.
        note: Option<String>,
    },
}

impl Event {
    /// The event's kind as stored (`received`, `dispatched`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Received { .. } => "received",
            Event::Answered { .. } => "answered",
            Event::Dispatched { .. } => "dispatched",
            Event::Acknowledged { .. } => "acknowledged",
            Event::Returned { .. } => "returned",
            Event::ReturnUpheld { .. } => "return_upheld",
            Event::ReturnRefused { .. } => "return_refused",
            Event::ExtensionRequested { .. } => "extension_requested",
            Event::ExtensionGranted { .. } => "extension_granted",
            Event::ExtensionRefused { .. } => "extension_refused",
            Event::Replied { .. } => "replied",
            Event::CallbackMissed { .. } => "callback_missed",
            Event::CallbackRecorded { .. } => "callback_recorded",
            Event::Closed { .. } => "closed",
            Event::Reopened { .. } => "reopened",
            Event::Transferred { .. } => "transferred",
            Event::Supervised { .. } => "supervised",
            Event::Escalated { .. } => "escalated",
            Event::Merged { .. } => "merged",
            Event::MasterReplied { .. } => "master_replied",
            Event::TimeWarned { .. } => "time_warned",
            Event::WaitingForCaller { .. } => "waiting_for_caller",
            Event::Resumed { .. } => "resumed",
            Event::Overdue { .. } => "overdue",
            Event::ConsultationRequested { .. } => "consultation_requested",
        }
    }
}

/// An event with who did it, when, and its place in the ticket's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Position in the ticket's stream, from 1; equals the ticket's version after it.
    pub seq: u32,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Actor,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// The current state of a ticket: a fold of its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Id.
    pub id: TicketId,
    /// Human-readable number.
    pub number: String,
    /// Where it is in its life.
    pub status: Status,
    /// The request as received (urgency kept current by escalation).
    #[serde(flatten)]
    pub intake: Intake,
    /// 主办 current lead unit.
    pub lead_unit: Option<String>,
    /// 协办 current assisting units.
    pub assisting_units: Vec<String>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Number of events so far.
    pub version: u32,
    /// Working days of a pending extension request.
    pub extension_pending: Option<u32>,
    /// Working days granted in total.
    pub extension_days: u32,
    /// 督办 level, 0 when never supervised.
    pub supervision_level: u32,
    /// Callback attempts that did not reach the caller.
    pub callback_attempts: u32,
    /// The unit's result.
    pub reply_outcome: Option<ReplyOutcome>,
    /// The caller's answers at callback.
    pub resolved: Option<bool>,
    /// The caller's satisfaction at callback.
    pub satisfaction: Option<Satisfaction>,
    /// Knowledge-base entry cited when answered at first contact.
    pub answer_entry: Option<String>,
    /// The master ticket once merged.
    pub master_id: Option<TicketId>,
    /// Times reopened.
    pub reopen_count: u32,
    /// 时限 the deadlines in force, when time limits apply.
    #[serde(default)]
    pub deadlines: Option<Deadlines>,
    /// How the ticket stands against its acknowledge limit.
    #[serde(default = "on_time")]
    pub acknowledge_timeliness: Timeliness,
    /// How the ticket stands against its handle limit.
    #[serde(default = "on_time")]
    pub handle_timeliness: Timeliness,
    /// Supervision level when the handle limit was first overdue.
    #[serde(default)]
    pub overdue_base_level: u32,
    /// When the unit replied or the centre answered: the day that puts it on a callback list.
    #[serde(default)]
    pub replied_at: Option<DateTime<Utc>>,
    /// Set while the lead unit waits on the caller.
    #[serde(default)]
    pub waiting: Option<Waiting>,
    /// What the assistant proposed when the ticket was recorded.
    #[serde(default)]
    pub proposal: Option<Proposal>,
    /// The dispatch rules' version and rule behind the current lead unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routed_by: Option<RoutedBy>,
    /// 会商 units invited to a joint consultation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consultation_units: Vec<String>,
}

/// 等待诉求人 a wait on the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// Since when.
    pub since: DateTime<Utc>,
    /// What is awaited.
    pub reason: String,
    /// Whether the handle clock is stopped meanwhile.
    pub clock_paused: bool,
}

fn on_time() -> Timeliness {
    Timeliness::OnTime
}

impl Ticket {
    /// The ticket as a handling unit may see it: phone masked, name hidden when confidential.
    pub fn redacted_for_unit(mut self) -> Ticket {
        self.intake.caller.phone = mask_phone(&self.intake.caller.phone);
        if self.intake.confidential {
            self.intake.caller.name = HIDDEN_NAME.to_string();
        }
        self
    }

    /// The ticket's events as a unit may see them: the caller in the `received` event is
    /// masked the same way as on the ticket.
    pub fn redact_events_for_unit(&self, records: &mut [EventRecord]) {
        for r in records {
            if let Event::Received { intake, .. } = &mut r.event {
                intake.caller.phone = mask_phone(&intake.caller.phone);
                if self.intake.confidential {
                    intake.caller.name = HIDDEN_NAME.to_string();
                }
            }
        }
    }

    /// Waiting for the lead unit to acknowledge.
    pub fn awaits_acknowledgement(&self) -> bool {
        matches!(self.status, Status::Dispatched | Status::Reopened) && self.lead_unit.is_some()
    }

    /// The handle clock runs while a unit holds the ticket and has not replied, unless it is
    /// stopped while the unit waits on the caller.
    pub fn handle_clock_runs(&self) -> bool {
        matches!(
            self.status,
            Status::Dispatched | Status::InProgress | Status::Reopened
        ) && self.lead_unit.is_some()
            && !self.waiting.as_ref().is_some_and(|w| w.clock_paused)
    }

    /// When an overdue ticket's supervision goes up next: one more handle limit's length
    /// (in natural time) past the deadline for each level raised so far.
    pub fn next_escalation_at(&self) -> Option<DateTime<Utc>> {
        let d = self.deadlines.as_ref()?;
        if self.handle_timeliness != Timeliness::Overdue
            || self.supervision_level >= MAX_OVERDUE_LEVEL
        {
            return None;
        }
        let period = d.handle_by - d.started_at;
        let raised = self
            .supervision_level
            .saturating_sub(self.overdue_base_level);
        Some(d.handle_by + period * i32::try_from(raised).unwrap_or(i32::MAX))
    }

    /// The next instant at which the time-limit scanner has something to do, if any.
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        let d = self.deadlines.as_ref()?;
        let mut next: Option<DateTime<Utc>> = None;
        let mut consider = |t: DateTime<Utc>| next = Some(next.map_or(t, |n| n.min(t)));
        if self.awaits_acknowledgement() {
            match self.acknowledge_timeliness {
                Timeliness::OnTime => consider(d.acknowledge_warn_at),
                Timeliness::Warned => consider(d.acknowledge_by),
                Timeliness::Overdue => {}
            }
        }
        if self.handle_clock_runs() {
            match self.handle_timeliness {
                Timeliness::OnTime => consider(d.handle_warn_at),
                Timeliness::Warned => consider(d.handle_by),
                Timeliness::Overdue => {
                    if let Some(e) = self.next_escalation_at() {
                        consider(e);
                    }
                }
            }
        }
        next
    }

    /// Overdue on either limit and still with a unit: on the supervisors' queue.
    pub fn is_overdue(&self) -> bool {
        (self.awaits_acknowledgement() && self.acknowledge_timeliness == Timeliness::Overdue)
            || (self.handle_clock_runs() && self.handle_timeliness == Timeliness::Overdue)
    }

    /// Whether `unit` is the lead or an assisting unit, or invited to its consultation.
    pub fn involves_unit(&self, unit: &str) -> bool {
        self.lead_unit.as_deref() == Some(unit)
            || self.assisting_units.iter().any(|u| u == unit)
            || self.consultation_units.iter().any(|u| u == unit)
    }
}

/// Why a command was refused. Nothing changes when a command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    /// A field is missing or wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, in API spelling (`caller.phone`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The ticket's status does not allow the command.
    #[error("a ticket that is {status} does not accept '{command}'{hint}")]
    NotAllowed {
        /// Current status.
        status: Status,
        /// The refused command.
        command: CommandKind,
        /// More detail, starting with "; " when present.
        hint: String,
    },
    /// The actor may not issue the command.
    #[error("{role} may not {command}{hint}")]
    Forbidden {
        /// The actor's role.
        role: Role,
        /// The refused command.
        command: CommandKind,
        /// More detail.
        hint: String,
    },
    /// The command refers to a ticket that does not exist yet (or `Receive` on an existing one).
    #[error("{0}")]
    NoTicket(String),
}

fn invalid(field: &str, message: impl Into<String>) -> DecideError {
    DecideError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

fn required(field: &str, value: &str, max: usize) -> Result<String, DecideError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(field, "is required and must not be blank"));
    }
    if v.chars().count() > max {
        return Err(invalid(field, format!("is longer than {max} characters")));
    }
    Ok(v.to_string())
}

fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, DecideError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(field, v, max).map(Some),
    }
}

fn check_unit(dir: &dyn Directory, field: &str, code: &str) -> Result<(), DecideError> {
    match dir.unit(code) {
        Some(_) => Ok(()),
        None => Err(invalid(field, format!("unknown unit '{code}'"))),
    }
}

fn check_units(
    dir: &dyn Directory,
    lead: &str,
    lead_field: &str,
    assisting: &[String],
) -> Result<(), DecideError> {
    check_unit(dir, lead_field, lead)?;
    for (i, u) in assisting.iter().enumerate() {
        check_unit(dir, &format!("assisting_units[{i}]"), u)?;
        if u == lead {
            return Err(invalid(
                &format!("assisting_units[{i}]"),
                "the lead unit cannot also assist",
            ));
        }
    }
    Ok(())
}

/// Decides what a command does to a ticket: the events to append, or why it is refused.
///
/// `state` is `None` before the ticket exists. Checks, in order: the ticket exists, the actor's
/// role, the transition table, the unit acting is the lead unit, and the command's fields.
pub fn decide(
    state: Option<&Ticket>,
    command: &Command,
    actor: &Actor,
    at: DateTime<Utc>,
    dir: &dyn Directory,
) -> Result<Vec<Event>, DecideError> {
    let kind = command.kind();
    if actor.role != Role::Admin && !kind.roles().contains(&actor.role) {
        return Err(DecideError::Forbidden {
            role: actor.role,
            command: kind,
            hint: String::new(),
        });
    }
    let ticket = match (state, command) {
        (
            None,
            Command::Receive {
                id,
                number,
                intake,
                proposal,
            },
        ) => {
            let intake = intake.clone().validate(dir)?;
            return Ok(vec![Event::Received {
                id: id.clone(),
                number: number.clone(),
                intake,
                proposal: proposal.clone(),
            }]);
        }
        (Some(t), Command::Receive { .. }) => {
            return Err(DecideError::NoTicket(format!(
                "ticket {} already exists",
                t.number
            )));
        }
        (None, _) => return Err(DecideError::NoTicket("no such ticket".into())),
        (Some(t), _) => t,
    };
    precondition(ticket, kind, actor)?;
    let lead = ticket.lead_unit.clone().unwrap_or_default();
    let note = |n: &Option<String>, field: &str| optional(field, n.as_deref(), MAX_SHORT);
    let events = match command {
        Command::Receive { .. } => {
            return Err(DecideError::NoTicket("ticket already exists".into()));
        }
        Command::Answer {
            entry_id,
            entry_version,
            text,
        } => vec![Event::Answered {
            entry_id: optional("entry_id", entry_id.as_deref(), MAX_SHORT)?,
            entry_version: *entry_version,
            text: required("text", text, MAX_CONTENT)?,
        }],
        Command::Dispatch {
            lead_unit,
            assisting_units,
            note: n,
            routing,
        } => {
            check_units(dir, lead_unit, "lead_unit", assisting_units)?;
            vec![Event::Dispatched {
                lead_unit: lead_unit.clone(),
                assisting_units: assisting_units.clone(),
                note: note(n, "note")?,
                deadlines: fresh_deadlines(ticket, at, dir),
                routing: routing.clone(),
            }]
        }
        Command::Acknowledge => vec![Event::Acknowledged {
            unit: lead,
            on_time: ticket.deadlines.as_ref().map(|d| at <= d.acknowledge_by),
        }],
        Command::Return { reason } => vec![Event::Returned {
            unit: lead,
            reason: required("reason", reason, MAX_SHORT)?,
        }],
        Command::Review {
            decision,
            redispatch_to,
            assisting_units,
            note: n,
            flag_rule,
            routing,
        } => {
            let n = note(n, "note")?;
            match decision {
                ReviewDecision::Refuse if *flag_rule => {
                    return Err(invalid(
                        "flag_rule",
                        "only an upheld return can flag the rule that routed the ticket",
                    ));
                }
                ReviewDecision::Refuse => vec![Event::ReturnRefused { note: n }],
                ReviewDecision::Uphold => {
                    let Some(to) = redispatch_to.as_deref() else {
                        return Err(invalid(
                            "redispatch_to",
                            "is required when the return is upheld",
                        ));
                    };
                    check_units(dir, to, "redispatch_to", assisting_units)?;
                    if ticket.lead_unit.as_deref() == Some(to) {
                        return Err(invalid(
                            "redispatch_to",
                            "must differ from the unit that returned the ticket",
                        ));
                    }
                    let flagged_rule = flag_rule.then(|| {
                        ticket
                            .routed_by
                            .as_ref()
                            .and_then(|r| r.rule.clone())
                            .unwrap_or_else(|| "manual".into())
                    });
                    vec![
                        Event::ReturnUpheld {
                            note: n,
                            flagged_rule,
                        },
                        Event::Dispatched {
                            lead_unit: to.to_string(),
                            assisting_units: assisting_units.clone(),
                            note: None,
                            deadlines: moved_deadlines(ticket, at, dir),
                            routing: routing.clone(),
                        },
                    ]
                }
            }
        }
        Command::RequestExtension { days, reason } => {
            if !(1..=30).contains(days) {
                return Err(invalid("days", "must be between 1 and 30 working days"));
            }
            vec![Event::ExtensionRequested {
                days: *days,
                reason: required("reason", reason, MAX_SHORT)?,
            }]
        }
        Command::DecideExtension { granted, note: n } => {
            let days = ticket.extension_pending.unwrap_or_default();
            let n = note(n, "note")?;
            if *granted {
                let handle_by = match (&ticket.deadlines, dir.time_limits()) {
                    (Some(d), Some((_, cal))) => {
                        Some(cal.add(d.handle_by, Span::WorkingDays(days)).at)
                    }
                    _ => None,
                };
                vec![Event::ExtensionGranted {
                    days,
                    note: n,
                    handle_by,
                }]
            } else {
                vec![Event::ExtensionRefused { note: n }]
            }
        }
        Command::Reply { outcome, text } => vec![Event::Replied {
            unit: lead,
            outcome: *outcome,
            text: required("text", text, MAX_CONTENT)?,
            on_time: ticket.deadlines.as_ref().map(|d| at <= d.handle_by),
        }],
        Command::Callback {
            reached,
            resolved,
            satisfaction,
            note: n,
        } => {
            let n = note(n, "note")?;
            if !reached {
                let attempt = ticket.callback_attempts + 1;
                let mut events = vec![Event::CallbackMissed { attempt, note: n }];
                if let Some((policies, _)) = dir.time_limits()
                    && attempt >= policies.callback.max_attempts
                {
                    events.push(Event::Closed {
                        reason: Some(format!(
                            "caller unreachable after {attempt} callback attempts"
                        )),
                    });
                }
                events
            } else {
                let resolved =
                    resolved.ok_or_else(|| invalid("resolved", "is required when reached"))?;
                let satisfaction = satisfaction
                    .ok_or_else(|| invalid("satisfaction", "is required when reached"))?;
                let mut events = vec![Event::CallbackRecorded {
                    resolved,
                    satisfaction,
                    note: n,
                }];
                if ticket.status == Status::Merged {
                    // The master carries the handling: its caller's answer decides a reopening;
                    // this caller's answer is recorded and counted, and the ticket is done.
                    events.push(Event::Closed {
                        reason: Some("called back with its master ticket".into()),
                    });
                } else if resolved && satisfaction != Satisfaction::Unsatisfied {
                    events.push(Event::Closed { reason: None });
                } else {
                    let reason = if resolved {
                        "caller unsatisfied"
                    } else {
                        "caller says unresolved"
                    };
                    events.push(Event::Reopened {
                        reason: reason.into(),
                        deadlines: fresh_deadlines(ticket, at, dir),
                    });
                    events.push(Event::Supervised {
                        level: ticket.supervision_level + 1,
                        note: Some(format!("{reason}: reinforced supervision")),
                    });
                }
                events
            }
        }
        Command::Transfer { to_unit, reason } => {
            check_unit(dir, "to_unit", to_unit)?;
            if ticket.lead_unit.as_deref() == Some(to_unit.as_str()) {
                return Err(invalid("to_unit", "is already the lead unit"));
            }
            vec![Event::Transferred {
                from_unit: ticket.lead_unit.clone(),
                to_unit: to_unit.clone(),
                reason: required("reason", reason, MAX_SHORT)?,
                deadlines: moved_deadlines(ticket, at, dir),
            }]
        }
        Command::Supervise { note: n } => vec![Event::Supervised {
            level: ticket.supervision_level + 1,
            note: note(n, "note")?,
        }],
        Command::Escalate { reason } => {
            // Urgent limits apply from now if they end sooner than the current ones.
            let mut urgent = ticket.clone();
            urgent.intake.urgency = Urgency::Urgent;
            let deadlines = match (&ticket.deadlines, fresh_deadlines(&urgent, at, dir)) {
                (Some(old), Some(new)) if new.handle_by < old.handle_by => Some(new),
                _ => None,
            };
            vec![Event::Escalated {
                reason: required("reason", reason, MAX_SHORT)?,
                deadlines,
            }]
        }
        Command::CheckTime => check_time(ticket, at),
        Command::WaitForCaller { reason } => {
            // The policy the ticket was dispatched under says whether the clock stops; an
            // overdue ticket's clock never does (waiting must not hide it from supervisors).
            let pauses = ticket
                .deadlines
                .as_ref()
                .is_some_and(|d| d.pause_while_waiting)
                && ticket.handle_timeliness != Timeliness::Overdue;
            vec![Event::WaitingForCaller {
                reason: required("reason", reason, MAX_SHORT)?,
                clock_paused: pauses,
            }]
        }
        Command::Resume { note: n } => {
            let handle_by = match (&ticket.waiting, &ticket.deadlines, dir.time_limits()) {
                (Some(w), Some(d), Some((_, cal))) if w.clock_paused => {
                    Some(shifted(cal, d.handle, d.handle_by, w.since, at))
                }
                _ => None,
            };
            vec![Event::Resumed {
                note: note(n, "note")?,
                handle_by,
            }]
        }
        Command::Merge {
            master_id,
            master_status,
        } => {
            if *master_id == ticket.id {
                return Err(invalid(
                    "master_id",
                    "a ticket cannot be merged into itself",
                ));
            }
            if matches!(master_status, Status::Merged | Status::Closed) {
                return Err(invalid(
                    "master_id",
                    format!("the master ticket is {master_status}"),
                ));
            }
            vec![Event::Merged {
                master_id: master_id.clone(),
            }]
        }
        Command::Close { reason } => vec![Event::Closed {
            reason: Some(required("reason", reason, MAX_SHORT)?),
        }],
        Command::FollowMaster {
            master_id,
            unit,
            outcome,
            text,
        } => {
            if ticket.master_id.as_ref() != Some(master_id) {
                return Err(invalid("master_id", "is not this ticket's master"));
            }
            vec![Event::MasterReplied {
                master_id: master_id.clone(),
                unit: unit.clone(),
                outcome: *outcome,
                text: required("text", text, MAX_CONTENT)?,
            }]
        }
        Command::Consult { units, note: n } => {
            if units.is_empty() || units.len() > 10 {
                return Err(invalid("units", "must name 1 to 10 units"));
            }
            for (i, u) in units.iter().enumerate() {
                check_unit(dir, &format!("units[{i}]"), u)?;
                if units[..i].contains(u) {
                    return Err(invalid(&format!("units[{i}]"), "is named twice"));
                }
            }
            vec![Event::ConsultationRequested {
                units: units.clone(),
                note: note(n, "note")?,
            }]
        }
    };
    Ok(events)
}

/// Deadlines from `at` under the policy that matches the ticket, when time limits are set.
fn fresh_deadlines(ticket: &Ticket, at: DateTime<Utc>, dir: &dyn Directory) -> Option<Deadlines> {
    let (policies, cal) = dir.time_limits()?;
    let policy = policies.select(ticket)?;
    Some(deadlines_from(policy, policies.version, cal, at))
}

/// Deadlines for a transfer or re-dispatch: fresh when the ticket's policy says the new unit
/// gets the full limits, otherwise the ones it has.
fn moved_deadlines(ticket: &Ticket, at: DateTime<Utc>, dir: &dyn Directory) -> Option<Deadlines> {
    // The policy the ticket was dispatched under says whether the clock restarts.
    match &ticket.deadlines {
        Some(d) if !d.restart_on_transfer => Some(d.clone()),
        _ => fresh_deadlines(ticket, at, dir),
    }
}

/// What the clock says at `at`: warnings and overdue flags not yet raised, and a further
/// supervision level for each handle limit's length that passes after the deadline.
fn check_time(t: &Ticket, at: DateTime<Utc>) -> Vec<Event> {
    let mut events = Vec::new();
    let Some(d) = &t.deadlines else {
        return events;
    };
    if t.awaits_acknowledgement() {
        let now = timeliness(at, d.acknowledge_warn_at, d.acknowledge_by);
        if now > t.acknowledge_timeliness {
            events.push(flag(Limit::Acknowledge, now));
        }
    }
    if t.handle_clock_runs() {
        let now = timeliness(at, d.handle_warn_at, d.handle_by);
        if now > t.handle_timeliness {
            events.push(flag(Limit::Handle, now));
            if now == Timeliness::Overdue {
                events.push(Event::Supervised {
                    level: t.supervision_level + 1,
                    note: Some("overdue: handle limit passed".into()),
                });
            }
        } else if now == Timeliness::Overdue
            && t.supervision_level < MAX_OVERDUE_LEVEL
            && t.next_escalation_at().is_some_and(|e| at >= e)
        {
            events.push(Event::Supervised {
                level: t.supervision_level + 1,
                note: Some("still overdue: supervision raised".into()),
            });
        }
    }
    events
}

/// A deadline moved later by the time waited, counted the way the limit counts time.
fn shifted(
    cal: &crate::calendar::WorkingCalendar,
    span: Span,
    due: DateTime<Utc>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> DateTime<Utc> {
    match span {
        Span::NaturalHours(_) => due + (until - since),
        Span::WorkingHours(_) | Span::WorkingDays(_) => {
            cal.add_working(due, cal.working_time_between(since, until))
                .at
        }
    }
}

fn flag(limit: Limit, now: Timeliness) -> Event {
    match now {
        Timeliness::Overdue => Event::Overdue { limit },
        _ => Event::TimeWarned { limit },
    }
}

/// Whether `actor` may issue a command of `kind` on `ticket` now, whatever its fields: the
/// transition table, the role, the lead unit, and the state's own guards.
fn precondition(ticket: &Ticket, kind: CommandKind, actor: &Actor) -> Result<(), DecideError> {
    let not_allowed = |hint: &str| DecideError::NotAllowed {
        status: ticket.status,
        command: kind,
        hint: hint.to_string(),
    };
    if actor.role != Role::Admin && !kind.roles().contains(&actor.role) {
        return Err(DecideError::Forbidden {
            role: actor.role,
            command: kind,
            hint: String::new(),
        });
    }
    if allowed(ticket.status, kind).is_none() {
        return Err(not_allowed(""));
    }
    if kind.needs_lead_unit() {
        let Some(lead) = ticket.lead_unit.as_deref() else {
            return Err(not_allowed("; it has no lead unit, dispatch it first"));
        };
        if actor.role == Role::Unit && actor.unit.as_deref() != Some(lead) {
            return Err(DecideError::Forbidden {
                role: actor.role,
                command: kind,
                hint: "; only the lead unit may".into(),
            });
        }
    }
    match kind {
        CommandKind::Dispatch if ticket.lead_unit.is_some() => {
            Err(not_allowed("; it already has a lead unit, transfer it"))
        }
        CommandKind::RequestExtension if ticket.extension_pending.is_some() => {
            Err(not_allowed("; an extension request is already pending"))
        }
        CommandKind::DecideExtension if ticket.extension_pending.is_none() => {
            Err(not_allowed("; no extension request is pending"))
        }
        CommandKind::Escalate if ticket.intake.urgency == Urgency::Urgent => {
            Err(not_allowed("; it is already urgent"))
        }
        CommandKind::WaitForCaller if ticket.waiting.is_some() => {
            Err(not_allowed("; it is already waiting on the caller"))
        }
        CommandKind::Resume if ticket.waiting.is_none() => {
            Err(not_allowed("; it is not waiting on the caller"))
        }
        CommandKind::Callback if ticket.status == Status::Merged && ticket.replied_at.is_none() => {
            Err(not_allowed("; its master ticket has not been replied yet"))
        }
        _ => Ok(()),
    }
}

/// The API actions `actor` may take on `ticket` now (their fields still to be checked).
pub fn available(ticket: &Ticket, actor: &Actor) -> Vec<CommandKind> {
    commands_in(ticket.status)
        .filter(|&k| k.is_api_action() && precondition(ticket, k, actor).is_ok())
        .collect()
}

impl Ticket {
    /// New deadlines (when the event brings some) reset both clocks.
    fn set_deadlines(&mut self, deadlines: &Option<Deadlines>) {
        if let Some(d) = deadlines {
            self.deadlines = Some(d.clone());
            self.acknowledge_timeliness = Timeliness::OnTime;
            self.handle_timeliness = Timeliness::OnTime;
            self.overdue_base_level = 0;
        }
    }

    fn timeliness_mut(&mut self, limit: Limit) -> &mut Timeliness {
        match limit {
            Limit::Acknowledge => &mut self.acknowledge_timeliness,
            Limit::Handle => &mut self.handle_timeliness,
        }
    }
}

/// Folds one event into the state. `None` is the state before the first event.
pub fn evolve(state: Option<Ticket>, record: &EventRecord) -> Option<Ticket> {
    if let Event::Received {
        id,
        number,
        intake,
        proposal,
    } = &record.event
    {
        return Some(Ticket {
            id: id.clone(),
            number: number.clone(),
            status: Status::Received,
            intake: intake.clone(),
            lead_unit: None,
            assisting_units: Vec::new(),
            received_at: record.at,
            updated_at: record.at,
            version: record.seq,
            extension_pending: None,
            extension_days: 0,
            supervision_level: 0,
            callback_attempts: 0,
            reply_outcome: None,
            resolved: None,
            satisfaction: None,
            answer_entry: None,
            master_id: None,
            reopen_count: 0,
            deadlines: None,
            acknowledge_timeliness: Timeliness::OnTime,
            handle_timeliness: Timeliness::OnTime,
            overdue_base_level: 0,
            replied_at: None,
            waiting: None,
            proposal: proposal.clone(),
            routed_by: None,
            consultation_units: Vec::new(),
        });
    }
    let mut t = state?;
    t.version = record.seq;
    t.updated_at = record.at;
    match &record.event {
        Event::Received { .. } => {}
        Event::Answered { entry_id, .. } => {
            t.status = Status::Answered;
            t.replied_at = Some(record.at);
            t.answer_entry = entry_id.clone();
        }
        Event::Dispatched {
            lead_unit,
            assisting_units,
            deadlines,
            routing,
            ..
        } => {
            t.status = Status::Dispatched;
            t.lead_unit = Some(lead_unit.clone());
            t.assisting_units = assisting_units.clone();
            t.routed_by = routing.clone();
            t.set_deadlines(deadlines);
        }
        Event::Acknowledged { .. } => t.status = Status::InProgress,
        Event::Returned { .. } => t.status = Status::Returned,
        Event::ReturnUpheld { .. } => {
            t.lead_unit = None;
            t.assisting_units.clear();
            t.routed_by = None;
        }
        Event::ReturnRefused { .. } => t.status = Status::Dispatched,
        Event::ExtensionRequested { days, .. } => t.extension_pending = Some(*days),
        Event::ExtensionGranted {
            days, handle_by, ..
        } => {
            t.extension_pending = None;
            t.extension_days += days;
            if let (Some(d), Some(by)) = (t.deadlines.as_mut(), handle_by) {
                // The warning point moves with the deadline.
                d.handle_warn_at += *by - d.handle_by;
                d.handle_by = *by;
                t.handle_timeliness = timeliness(record.at, d.handle_warn_at, d.handle_by);
            }
        }
        Event::ExtensionRefused { .. } => t.extension_pending = None,
        Event::Replied { outcome, .. } => {
            t.status = Status::Replied;
            t.waiting = None;
            t.replied_at = Some(record.at);
            t.reply_outcome = Some(*outcome);
            t.extension_pending = None;
        }
        Event::CallbackMissed { attempt, .. } => t.callback_attempts = *attempt,
        Event::CallbackRecorded {
            resolved,
            satisfaction,
            ..
        } => {
            t.resolved = Some(*resolved);
            t.satisfaction = Some(*satisfaction);
        }
        Event::Closed { .. } => {
            t.status = Status::Closed;
            t.waiting = None;
            t.extension_pending = None;
        }
        Event::Reopened { deadlines, .. } => {
            t.set_deadlines(deadlines);
            t.status = Status::Reopened;
            t.reopen_count += 1;
            t.callback_attempts = 0;
            t.reply_outcome = None;
            t.replied_at = None;
        }
        Event::Transferred {
            to_unit, deadlines, ..
        } => {
            t.set_deadlines(deadlines);
            t.waiting = None;
            t.status = Status::Dispatched;
            t.lead_unit = Some(to_unit.clone());
            t.routed_by = None;
            t.assisting_units.retain(|u| u != to_unit);
            t.extension_pending = None;
        }
        Event::Supervised { level, .. } => t.supervision_level = *level,
        Event::Escalated { deadlines, .. } => {
            t.intake.urgency = Urgency::Urgent;
            t.set_deadlines(deadlines);
        }
        Event::TimeWarned { limit } => *t.timeliness_mut(*limit) = Timeliness::Warned,
        Event::WaitingForCaller {
            reason,
            clock_paused,
        } => {
            t.waiting = Some(Waiting {
                since: record.at,
                reason: reason.clone(),
                clock_paused: *clock_paused,
            });
        }
        Event::Resumed { handle_by, .. } => {
            t.waiting = None;
            if let (Some(d), Some(by)) = (t.deadlines.as_mut(), handle_by) {
                d.handle_warn_at += *by - d.handle_by;
                d.handle_by = *by;
            }
        }
        Event::Overdue { limit } => {
            *t.timeliness_mut(*limit) = Timeliness::Overdue;
            if *limit == Limit::Handle {
                t.overdue_base_level = t.supervision_level;
            }
        }
        Event::Merged { master_id } => {
            t.status = Status::Merged;
            t.master_id = Some(master_id.clone());
        }
        Event::MasterReplied { outcome, .. } => {
            t.replied_at = Some(record.at);
            t.reply_outcome = *outcome;
            t.callback_attempts = 0;
            t.resolved = None;
            t.satisfaction = None;
        }
        Event::ConsultationRequested { units, .. } => {
            for u in units {
                if !t.consultation_units.contains(u) {
                    t.consultation_units.push(u.clone());
                }
            }
        }
    }
    Some(t)
}

/// The state after all of a ticket's events, in order.
pub fn replay<'a>(records: impl IntoIterator<Item = &'a EventRecord>) -> Option<Ticket> {
    records.into_iter().fold(None, evolve)
}

/// Decides and, when accepted, returns the stamped records and the new state.
///
/// This is what every shell does: decide, stamp each event with the next sequence number, the
/// time and the actor, and fold them into the state.
pub fn execute(
    state: Option<&Ticket>,
    command: &Command,
    actor: &Actor,
    at: DateTime<Utc>,
    dir: &dyn Directory,
) -> Result<(Vec<EventRecord>, Ticket), DecideError> {
    let events = decide(state, command, actor, at, dir)?;
    let first = state.map_or(0, |t| t.version) + 1;
    let mut next = state.cloned();
    let mut records = Vec::with_capacity(events.len());
    for (seq, event) in (first..).zip(events) {
        let record = EventRecord {
            seq,
            at,
            actor: actor.clone(),
            event,
        };
        next = evolve(next, &record);
        records.push(record);
    }
    let ticket = next.ok_or_else(|| DecideError::NoTicket("no such ticket".into()))?;
    Ok((records, ticket))
}

#[cfg(test)]
pub(crate) mod tests;
