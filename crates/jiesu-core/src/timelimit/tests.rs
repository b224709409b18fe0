//! Time limits in virtual time: deadlines at dispatch, warnings, overdue, extensions.

use super::*;
use crate::directory::MemoryDirectory;
use crate::reference::{Unit, UnitKind};
use crate::role::{Actor, Role};
use crate::ticket::{Caller, Command, Event, EventRecord, Intake, Status, TicketId, execute};
use chrono::{FixedOffset, TimeZone};

fn beijing(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn dir() -> MemoryDirectory {
    MemoryDirectory::new(
        ["cgw", "swj"].map(|c| Unit {
            code: c.into(),
            name: c.into(),
            kind: UnitKind::Bureau,
            district_code: None,
        }),
        [],
        [],
    )
    .with_time_limits(PolicySet::defaults(), WorkingCalendar::china())
}

struct Clocked {
    dir: MemoryDirectory,
    ticket: Option<Ticket>,
    log: Vec<EventRecord>,
}

impl Clocked {
    fn new() -> Self {
        Clocked {
            dir: dir(),
            ticket: None,
            log: Vec::new(),
        }
    }

    fn run(&mut self, command: Command, at: DateTime<Utc>) -> Vec<&'static str> {
        let actor = Actor::new("root", Role::Admin);
        let (records, next) = execute(self.ticket.as_ref(), &command, &actor, at, &self.dir)
            .unwrap_or_else(|e| panic!("{command:?} refused: {e}"));
        let kinds = records.iter().map(|r| r.event.kind()).collect();
        self.log.extend(records);
        self.ticket = Some(next);
        kinds
    }

    fn receive(&mut self, urgency: Urgency, at: DateTime<Utc>) {
        let intake = Intake {
            channel: crate::ticket::Channel::Phone,
            title: None,
            content: "燃气泄漏".into(),
            caller: Caller {
                name: "赵".into(),
                phone: "13800000000".into(),
            },
            address: None,
            district_code: None,
            street_code: None,
            category_code: None,
            urgency,
            confidential: false,
            external_ref: None,
        };
        self.run(
            Command::Receive {
                id: TicketId("t".into()),
                number: "1".into(),
                intake,
                proposal: None,
            },
            at,
        );
    }

    fn dispatch(&mut self, at: DateTime<Utc>) {
        self.run(
            Command::Dispatch {
                lead_unit: "cgw".into(),
                assisting_units: vec![],
                note: None,
                routing: None,
            },
            at,
        );
    }

    fn t(&self) -> &Ticket {
        self.ticket.as_ref().unwrap()
    }
}

#[test]
fn urgent_ticket_dispatched_friday_23h_is_overdue_saturday_1am() {
    let mut c = Clocked::new();
    let friday_23 = beijing(2026, 11, 20, 23, 0);
    c.receive(Urgency::Urgent, friday_23);
    c.dispatch(friday_23);
    let d = c.t().deadlines.clone().unwrap();
    assert_eq!(d.policy_id, "urgent");
    assert_eq!(
        d.handle_by,
        beijing(2026, 11, 21, 1, 0),
        "2 natural hours, weekend or not"
    );
    assert_eq!(d.acknowledge_by, beijing(2026, 11, 21, 0, 0));
    assert_eq!(
        d.handle_warn_at,
        beijing(2026, 11, 21, 0, 30),
        "75% of 2 hours"
    );

    // Nothing to do before the first warning point (acknowledge, 23:45).
    assert_eq!(c.t().next_check(), Some(beijing(2026, 11, 20, 23, 45)));
    assert!(
        c.run(Command::CheckTime, beijing(2026, 11, 20, 23, 40))
            .is_empty()
    );
    assert_eq!(
        c.run(Command::CheckTime, beijing(2026, 11, 20, 23, 45)),
        ["time_warned"]
    );
    assert_eq!(
        c.run(Command::CheckTime, beijing(2026, 11, 21, 0, 0)),
        ["overdue"]
    );
    assert_eq!(c.t().acknowledge_timeliness, Timeliness::Overdue);
    assert!(c.t().is_overdue(), "on the supervisors' queue");
    assert_eq!(
        c.run(Command::CheckTime, beijing(2026, 11, 21, 0, 30)),
        ["time_warned"]
    );
    assert_eq!(c.t().handle_timeliness, Timeliness::Warned);
    assert_eq!(c.t().next_check(), Some(beijing(2026, 11, 21, 1, 0)));
    assert_eq!(
        c.run(Command::CheckTime, beijing(2026, 11, 21, 1, 0)),
        ["overdue", "supervised"]
    );
    assert_eq!(c.t().handle_timeliness, Timeliness::Overdue);
    assert_eq!(c.t().supervision_level, 1);
}

#[test]
fn repeated_overdue_raises_supervision_up_to_the_top_level() {
    let mut c = Clocked::new();
    let start = beijing(2026, 11, 20, 23, 0);
    c.receive(Urgency::Urgent, start);
    c.dispatch(start);
    c.run(Command::Acknowledge, beijing(2026, 11, 20, 23, 10));
    // Scanner down all weekend: one catch-up check flags everything at once.
    let kinds = c.run(Command::CheckTime, beijing(2026, 11, 21, 1, 0));
    assert_eq!(kinds, ["overdue", "supervised"]);
    // Each further 2 hours overdue raises the level, up to the top.
    assert_eq!(c.t().next_check(), Some(beijing(2026, 11, 21, 3, 0)));
    assert_eq!(
        c.run(Command::CheckTime, beijing(2026, 11, 21, 3, 0)),
        ["supervised"]
    );
    assert_eq!(
        c.run(Command::CheckTime, beijing(2026, 11, 21, 5, 0)),
        ["supervised"]
    );
    assert_eq!(c.t().supervision_level, MAX_OVERDUE_LEVEL);
    assert_eq!(c.t().next_check(), None);
    assert!(
        c.run(Command::CheckTime, beijing(2026, 11, 30, 0, 0))
            .is_empty()
    );
}

#[test]
fn ordinary_ticket_before_spring_festival_gets_the_official_deadline() {
    // Dispatched Friday 13 February 2026, 10:00. Saturday the 14th is a make-up working day;
    // 15–23 February are the Spring Festival holiday. Five working days of 24 hours:
    // 13th 10:00–24:00 (14 h) + 14th (24 h) + 24th, 25th, 26th (72 h) + 27th 00:00–10:00.
    let mut c = Clocked::new();
    let friday = beijing(2026, 2, 13, 10, 0);
    c.receive(Urgency::Normal, friday);
    c.dispatch(friday);
    let d = c.t().deadlines.clone().unwrap();
    assert_eq!(d.policy_id, "normal");
    assert_eq!(d.handle_by, beijing(2026, 2, 27, 10, 0));
    // One working day to acknowledge: the rest of Friday and Saturday (make-up) morning.
    assert_eq!(d.acknowledge_by, beijing(2026, 2, 14, 10, 0));
    // Warned after 90 working hours: 14 + 24 + 24 + 24 = 86 h by 25 Feb midnight, + 4 h.
    assert_eq!(d.handle_warn_at, beijing(2026, 2, 26, 4, 0));
}

#[test]
fn a_granted_extension_moves_the_deadline_by_working_days() {
    let mut c = Clocked::new();
    let monday = beijing(2026, 11, 16, 9, 0);
    c.receive(Urgency::Normal, monday);
    c.dispatch(monday);
    c.run(Command::Acknowledge, beijing(2026, 11, 16, 10, 0));
    assert_eq!(
        c.t().deadlines.as_ref().unwrap().handle_by,
        beijing(2026, 11, 23, 9, 0)
    );
    c.run(
        Command::RequestExtension {
            days: 3,
            reason: "需协调".into(),
        },
        beijing(2026, 11, 18, 9, 0),
    );
    c.run(
        Command::DecideExtension {
            granted: true,
            note: None,
        },
        beijing(2026, 11, 18, 10, 0),
    );
    assert_eq!(
        c.t().deadlines.as_ref().unwrap().handle_by,
        beijing(2026, 11, 26, 9, 0),
        "Monday 23rd + 3 working days"
    );
    let kinds = c.run(
        Command::Reply {
            outcome: crate::ticket::ReplyOutcome::Solved,
            text: "已处理".into(),
        },
        beijing(2026, 11, 25, 9, 0),
    );
    assert_eq!(kinds, ["replied"]);
    assert!(matches!(
        c.log.last().unwrap().event,
        Event::Replied {
            on_time: Some(true),
            ..
        }
    ));
    assert_eq!(c.t().status, Status::Replied);
    assert_eq!(c.t().next_check(), None, "the clock stops at the reply");
}

#[test]
fn a_policy_edit_does_not_move_tickets_already_out() {
    let mut c = Clocked::new();
    let at = beijing(2026, 11, 16, 9, 0);
    c.receive(Urgency::Normal, at);
    c.dispatch(at);
    let before = c.t().deadlines.clone().unwrap();
    let mut tighter = PolicySet::defaults();
    tighter.version = 2;
    tighter.policies[2].handle = Span::WorkingDays(1);
    c.dir.set_time_limits(tighter, WorkingCalendar::china());
    c.run(Command::Acknowledge, beijing(2026, 11, 16, 10, 0));
    assert_eq!(c.t().deadlines.as_ref(), Some(&before));
    assert_eq!(before.policy_version, 1);
}

#[test]
fn policy_sets_are_checked() {
    assert!(PolicySet::defaults().validate().is_ok());
    let mut bad = PolicySet::defaults();
    bad.policies[0].warn_percent = 100;
    assert_eq!(
        bad.validate().unwrap_err().field,
        "policies[0].warn_percent"
    );
    let mut bad = PolicySet::defaults();
    bad.policies.truncate(1);
    assert_eq!(bad.validate().unwrap_err().field, "policies[0]");
}

#[test]
fn waiting_on_the_caller_stops_the_handle_clock_and_moves_the_deadline() {
    let mut c = Clocked::new();
    let monday = beijing(2026, 11, 16, 9, 0);
    c.receive(Urgency::Normal, monday);
    c.dispatch(monday);
    c.run(Command::Acknowledge, beijing(2026, 11, 16, 10, 0));
    let wait = Command::WaitForCaller {
        reason: "等待诉求人提供房产证明".into(),
    };
    assert_eq!(
        c.run(wait, beijing(2026, 11, 18, 9, 0)),
        ["waiting_for_caller"]
    );
    assert!(c.t().waiting.as_ref().unwrap().clock_paused);
    // Past the original deadline (Monday 23rd 09:00) nothing is flagged while waiting.
    assert_eq!(c.t().next_check(), None);
    assert!(
        c.run(Command::CheckTime, beijing(2026, 11, 24, 9, 0))
            .is_empty()
    );
    // Resumed Wednesday 25th 09:00: 5 working days waited, the deadline moves by as much.
    c.run(Command::Resume { note: None }, beijing(2026, 11, 25, 9, 0));
    assert_eq!(
        c.t().deadlines.as_ref().unwrap().handle_by,
        beijing(2026, 11, 30, 9, 0)
    );
    assert!(c.t().waiting.is_none());
    assert!(c.t().next_check().is_some());
}

#[test]
fn urgent_clocks_never_stop() {
    let mut c = Clocked::new();
    let at = beijing(2026, 11, 20, 23, 0);
    c.receive(Urgency::Urgent, at);
    c.dispatch(at);
    c.run(Command::Acknowledge, beijing(2026, 11, 20, 23, 5));
    let wait = Command::WaitForCaller {
        reason: "联系不上".into(),
    };
    c.run(wait, beijing(2026, 11, 20, 23, 10));
    assert!(!c.t().waiting.as_ref().unwrap().clock_paused);
    let kinds = c.run(Command::CheckTime, beijing(2026, 11, 21, 1, 0));
    assert!(kinds.contains(&"overdue"), "{kinds:?}");
}

#[test]
fn an_overdue_ticket_cannot_stop_its_clock_by_waiting() {
    let mut c = Clocked::new();
    let monday = beijing(2026, 11, 2, 9, 0);
    c.receive(Urgency::Normal, monday);
    c.dispatch(monday);
    c.run(Command::Acknowledge, beijing(2026, 11, 2, 10, 0));
    c.run(Command::CheckTime, beijing(2026, 11, 9, 9, 0));
    assert!(c.t().is_overdue());
    let wait = Command::WaitForCaller {
        reason: "等待材料".into(),
    };
    c.run(wait, beijing(2026, 11, 10, 9, 0));
    assert!(!c.t().waiting.as_ref().unwrap().clock_paused);
    assert!(c.t().is_overdue(), "still on the supervisors' queue");
    assert!(c.t().next_check().is_some(), "escalation goes on");
    c.run(Command::Resume { note: None }, beijing(2026, 11, 30, 9, 0));
    assert_eq!(
        c.t().deadlines.as_ref().unwrap().handle_by,
        beijing(2026, 11, 9, 9, 0),
        "a wait that did not stop the clock moves nothing"
    );
}

#[test]
fn the_pause_rule_is_the_one_the_ticket_was_dispatched_under() {
    let mut c = Clocked::new();
    let at = beijing(2026, 11, 16, 9, 0);
    c.receive(Urgency::Normal, at);
    c.dispatch(at);
    c.run(Command::Acknowledge, beijing(2026, 11, 16, 10, 0));
    let mut no_pause = PolicySet::defaults();
    no_pause.version = 2;
    for p in &mut no_pause.policies {
        p.pause_while_waiting = false;
    }
    c.dir.set_time_limits(no_pause, WorkingCalendar::china());
    let wait = Command::WaitForCaller {
        reason: "等待材料".into(),
    };
    c.run(wait, beijing(2026, 11, 17, 9, 0));
    assert!(
        c.t().waiting.as_ref().unwrap().clock_paused,
        "version 1 pauses"
    );
}
