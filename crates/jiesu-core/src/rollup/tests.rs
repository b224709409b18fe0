//! Tests of the rollups: one per rule, and a property that rollups kept event by event, in any
//! interleaving of tickets, equal the rollups rebuilt from the logs.

use super::*;
use crate::role::{Actor, Role};
use crate::ticket::tests::dir;
use crate::ticket::{
    Caller, Command, ReplyOutcome, ReviewDecision, Satisfaction, TicketId, Urgency, execute,
};
use crate::timelimit::Limit;
use chrono::TimeZone;
use proptest::prelude::*;

fn intake(channel: Channel, title: &str) -> Intake {
    Intake {
        channel,
        title: Some(title.into()),
        content: "小区门口路灯坏了一周".into(),
        caller: Caller {
            name: "张三".into(),
            phone: "13812341234".into(),
        },
        address: None,
        district_code: Some("110108".into()),
        street_code: Some("110108011".into()),
        category_code: Some("010101".into()),
        urgency: Urgency::Normal,
        confidential: false,
        external_ref: None,
    }
}

fn receive(id: &str, intake: Intake) -> Command {
    Command::Receive {
        id: TicketId(id.into()),
        number: format!("20261123{id}"),
        intake,
        proposal: None,
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap()
}

fn admin() -> Actor {
    Actor::new("root", Role::Admin)
}

fn dispatch(unit: &str) -> Command {
    Command::Dispatch {
        lead_unit: unit.into(),
        assisting_units: vec![],
        note: None,
        routing: None,
    }
}

fn answer() -> Command {
    Command::Answer {
        entry_id: None,
        entry_version: None,
        text: "按口径答复".into(),
    }
}

fn unresolved() -> Command {
    Command::Callback {
        reached: true,
        resolved: Some(false),
        satisfaction: Some(Satisfaction::Unsatisfied),
        note: None,
    }
}

/// The log of one ticket after the commands (by admin, one hour apart); panics on a refusal.
fn log_of(commands: &[Command]) -> Vec<EventRecord> {
    let d = dir();
    let mut log = Vec::new();
    let mut state: Option<Ticket> = None;
    for (i, c) in commands.iter().enumerate() {
        let when = at() + chrono::Duration::hours(i as i64);
        let (records, next) = execute(state.as_ref(), c, &admin(), when, &d)
            .unwrap_or_else(|e| panic!("{c:?} refused: {e}"));
        log.extend(records);
        state = Some(next);
    }
    log
}

fn phone_ticket(rest: &[Command]) -> Vec<EventRecord> {
    let mut commands = vec![receive("t1", intake(Channel::Phone, "路灯不亮"))];
    commands.extend_from_slice(rest);
    log_of(&commands)
}

fn volume(outcome: Outcome) -> Row {
    Row::Volume(RollupKey {
        hour: Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
        category: Some("010101".into()),
        district: Some("110108".into()),
        street: Some("110108011".into()),
        channel: Channel::Phone,
        request_type: RequestType::Complaint,
        outcome,
    })
}

fn unit_row(hours_after_nine: u32, unit: &str, figure: Figure) -> Row {
    Row::Unit(UnitKey {
        hour: Utc
            .with_ymd_and_hms(2026, 11, 23, 9 + hours_after_nine, 0, 0)
            .unwrap(),
        unit: unit.into(),
        figure,
    })
}

fn only_volume(r: &Rollups) -> Vec<(Row, i64)> {
    r.iter()
        .filter(|(row, _)| matches!(row, Row::Volume(_)))
        .map(|(row, n)| (row.clone(), n))
        .collect()
}

// ---- request type -----------------------------------------------------------------------

#[test]
fn each_keyword_tells_its_request_type() {
    let cases = [
        ("咨询社保缴费", RequestType::Consultation),
        ("请问公积金怎么提取", RequestType::Consultation),
        ("如何办理居住证", RequestType::Consultation),
        ("投诉商家不退款", RequestType::Complaint),
        ("举报夜间施工", RequestType::Complaint),
        ("老人摔倒求助", RequestType::Help),
        ("请帮忙联系物业", RequestType::Help),
        ("建议增设公交站", RequestType::Suggestion),
        ("表扬社区工作人员", RequestType::Praise),
        ("感谢城管及时处理", RequestType::Praise),
    ];
    for (title, expected) in cases {
        assert_eq!(
            RequestType::of_text(Some(title), "详见录音"),
            expected,
            "{title}"
        );
    }
}

#[test]
fn without_a_keyword_a_request_is_a_complaint() {
    assert_eq!(
        RequestType::of_text(Some("路灯不亮"), "小区门口路灯坏了一周"),
        RequestType::Complaint
    );
    assert_eq!(RequestType::of_text(None, ""), RequestType::Complaint);
}

#[test]
fn the_earliest_keyword_wins_and_the_title_comes_first() {
    assert_eq!(
        RequestType::of_text(None, "请问怎么投诉这家店"),
        RequestType::Consultation
    );
    assert_eq!(
        RequestType::of_text(None, "我要投诉，请问多久处理"),
        RequestType::Complaint
    );
    assert_eq!(
        RequestType::of_text(Some("建议延长开放时间"), "请问图书馆几点关门"),
        RequestType::Suggestion
    );
    let i = intake(Channel::Web, "感谢民警");
    assert_eq!(RequestType::of(&i), RequestType::Praise);
}

// ---- keys -------------------------------------------------------------------------------

#[test]
fn category_levels_are_prefixes_of_the_leaf_code() {
    let Row::Volume(mut key) = volume(Outcome::Received) else {
        unreachable!()
    };
    assert_eq!(key.category_at(1), Some("01"));
    assert_eq!(key.category_at(2), Some("0101"));
    assert_eq!(key.category_at(3), Some("010101"));
    assert_eq!(key.category_at(0), None);
    assert_eq!(key.category_at(4), None);
    key.category = Some("0203".into());
    assert_eq!(key.category_at(2), Some("0203"));
    assert_eq!(key.category_at(3), None, "filed at level 2");
    key.category = None;
    assert_eq!(key.category_at(1), None);
}

#[test]
fn hours_start_on_the_hour() {
    let t = Utc.with_ymd_and_hms(2026, 11, 23, 9, 59, 59).unwrap();
    assert_eq!(
        hour_of(t),
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    );
    let before_epoch = Utc.with_ymd_and_hms(1969, 12, 31, 23, 30, 0).unwrap();
    assert_eq!(
        hour_of(before_epoch),
        Utc.with_ymd_and_hms(1969, 12, 31, 23, 0, 0).unwrap()
    );
}

// ---- volume rules -----------------------------------------------------------------------

#[test]
fn a_received_ticket_counts_once_in_its_received_row() {
    let r = rebuild(&[phone_ticket(&[])]);
    assert_eq!(only_volume(&r), vec![(volume(Outcome::Received), 1)]);
    assert_eq!(r.len(), 1);
}

#[test]
fn answering_moves_the_ticket_to_answered_in_its_receiving_hour() {
    let r = rebuild(&[phone_ticket(&[answer()])]);
    assert_eq!(only_volume(&r), vec![(volume(Outcome::Answered), 1)]);
}

#[test]
fn the_first_dispatch_moves_it_to_dispatched_and_counts_for_the_unit() {
    let log = phone_ticket(&[dispatch("cgw")]);
    let r = rebuild(std::slice::from_ref(&log));
    assert_eq!(only_volume(&r), vec![(volume(Outcome::Dispatched), 1)]);
    assert_eq!(r.get(&unit_row(1, "cgw", Figure::Dispatched)), 1);
    assert_eq!(r.units().count(), 1);
}

#[test]
fn a_redispatch_after_an_upheld_return_moves_nothing_but_counts_for_the_new_unit() {
    let log = phone_ticket(&[
        dispatch("cgw"),
        Command::Return {
            reason: "不属于本单位职责".into(),
        },
        Command::Review {
            decision: ReviewDecision::Uphold,
            redispatch_to: Some("swj".into()),
            assisting_units: vec![],
            note: None,
            flag_rule: false,
            routing: None,
        },
    ]);
    let r = rebuild(std::slice::from_ref(&log));
    assert_eq!(only_volume(&r), vec![(volume(Outcome::Dispatched), 1)]);
    assert_eq!(r.get(&unit_row(1, "cgw", Figure::Dispatched)), 1);
    assert_eq!(r.get(&unit_row(3, "swj", Figure::Dispatched)), 1);
}

#[test]
fn a_reopened_direct_answer_that_is_dispatched_counts_as_dispatched() {
    let log = phone_ticket(&[answer(), unresolved()]);
    let r = rebuild(std::slice::from_ref(&log));
    assert_eq!(
        only_volume(&r),
        vec![(volume(Outcome::Answered), 1)],
        "reopened, not yet dispatched"
    );
    let log = phone_ticket(&[answer(), unresolved(), dispatch("cgw")]);
    let r = rebuild(std::slice::from_ref(&log));
    assert_eq!(only_volume(&r), vec![(volume(Outcome::Dispatched), 1)]);
}

#[test]
fn merging_and_closing_leave_the_ticket_where_it_is() {
    let merged = phone_ticket(&[Command::Merge {
        master_id: TicketId("m".into()),
        master_status: Status::Dispatched,
    }]);
    let closed = log_of(&[
        receive("t2", intake(Channel::Phone, "路灯不亮")),
        answer(),
        Command::Close {
            reason: "重复来电".into(),
        },
    ]);
    let r = rebuild(&[merged, closed]);
    assert_eq!(
        only_volume(&r),
        vec![
            (volume(Outcome::Received), 1),
            (volume(Outcome::Answered), 1)
        ]
    );
}

#[test]
fn rows_split_by_channel_and_request_type() {
    let a = log_of(&[receive("a", intake(Channel::Web, "请问路灯归谁管"))]);
    let b = log_of(&[receive("b", intake(Channel::Phone, "路灯不亮"))]);
    let r = rebuild(&[a, b]);
    let keys: Vec<_> = r
        .volumes()
        .map(|(k, n)| (k.channel, k.request_type, n))
        .collect();
    assert_eq!(
        keys,
        vec![
            (Channel::Phone, RequestType::Complaint, 1),
            (Channel::Web, RequestType::Consultation, 1),
        ],
        "in key order: phone before web"
    );
}

// ---- unit rules -------------------------------------------------------------------------

/// A dispatched ticket and a record of `event` at 12:10 (hand-made, to set `on_time`).
fn after_dispatch(event: Event) -> Vec<Delta> {
    let log = phone_ticket(&[dispatch("cgw")]);
    let before = crate::ticket::replay(&log).unwrap();
    let record = EventRecord {
        seq: before.version + 1,
        at: Utc.with_ymd_and_hms(2026, 11, 23, 12, 10, 0).unwrap(),
        actor: admin(),
        event,
    };
    let after = evolve(Some(before.clone()), &record).unwrap();
    deltas(Some(&before), &record, &after)
}

fn plus_one(row: Row) -> Vec<Delta> {
    vec![Delta { row, n: 1 }]
}

#[test]
fn acknowledgements_count_on_time_or_late_when_known() {
    let ack = |on_time| Event::Acknowledged {
        unit: "cgw".into(),
        on_time,
    };
    assert_eq!(
        after_dispatch(ack(Some(true))),
        plus_one(unit_row(3, "cgw", Figure::AcknowledgedOnTime))
    );
    assert_eq!(
        after_dispatch(ack(Some(false))),
        plus_one(unit_row(3, "cgw", Figure::AcknowledgedLate))
    );
    assert_eq!(after_dispatch(ack(None)), vec![], "no time limits in force");
}

#[test]
fn replies_count_on_time_or_late_for_the_replying_unit() {
    let reply = |on_time| Event::Replied {
        unit: "cgw".into(),
        outcome: ReplyOutcome::Solved,
        text: "已修复".into(),
        on_time,
    };
    assert_eq!(
        after_dispatch(reply(Some(true))),
        plus_one(unit_row(3, "cgw", Figure::RepliedOnTime))
    );
    assert_eq!(
        after_dispatch(reply(Some(false))),
        plus_one(unit_row(3, "cgw", Figure::RepliedLate))
    );
    assert_eq!(after_dispatch(reply(None)), vec![]);
}

#[test]
fn an_overdue_flag_counts_for_the_lead_unit() {
    for limit in [Limit::Acknowledge, Limit::Handle] {
        assert_eq!(
            after_dispatch(Event::Overdue { limit }),
            plus_one(unit_row(3, "cgw", Figure::Overdue))
        );
    }
}

#[test]
fn a_transfer_and_a_reopening_count_as_dispatches_to_the_unit() {
    assert_eq!(
        after_dispatch(Event::Transferred {
            from_unit: Some("cgw".into()),
            to_unit: "swj".into(),
            reason: "职责调整".into(),
            deadlines: None,
        }),
        plus_one(unit_row(3, "swj", Figure::Dispatched)),
        "no volume move: it was already dispatched"
    );
    assert_eq!(
        after_dispatch(Event::Reopened {
            reason: "caller says unresolved".into(),
            deadlines: None,
        }),
        plus_one(unit_row(3, "cgw", Figure::Dispatched))
    );
}

// ---- properties -------------------------------------------------------------------------

fn any_intake() -> impl Strategy<Value = Intake> {
    let title = prop::sample::select(vec![
        "路灯不亮",
        "请问路灯归谁管",
        "求助：老人走失",
        "建议增设路灯",
        "感谢维修师傅",
    ]);
    (
        prop::sample::select(Channel::ALL.to_vec()),
        title,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(channel, title, street, category)| {
            let mut i = intake(channel, title);
            if !street {
                i.street_code = None;
                i.district_code = None;
            }
            if !category {
                i.category_code = None;
            }
            i
        })
}

fn any_step() -> impl Strategy<Value = Command> {
    let unit = prop::sample::select(vec!["cgw", "swj", "110108011"]).prop_map(String::from);
    let sat = prop::sample::select(Satisfaction::ALL.to_vec());
    prop_oneof![
        Just(answer()),
        unit.clone().prop_map(|u| dispatch(&u)),
        Just(Command::Acknowledge),
        Just(Command::Return {
            reason: "不属于本单位".into()
        }),
        (any::<bool>(), prop::option::of(unit.clone())).prop_map(|(up, to)| Command::Review {
            decision: if up {
                ReviewDecision::Uphold
            } else {
                ReviewDecision::Refuse
            },
            redispatch_to: to,
            assisting_units: vec![],
            note: None,
            flag_rule: false,
            routing: None,
        }),
        prop::sample::select(ReplyOutcome::ALL.to_vec()).prop_map(|outcome| Command::Reply {
            outcome,
            text: "处理完毕".into()
        }),
        (any::<bool>(), any::<bool>(), sat).prop_map(|(reached, resolved, s)| {
            Command::Callback {
                reached,
                resolved: Some(resolved),
                satisfaction: Some(s),
                note: None,
            }
        }),
        unit.prop_map(|to_unit| Command::Transfer {
            to_unit,
            reason: "职责调整".into()
        }),
        Just(Command::Supervise { note: None }),
        Just(Command::CheckTime),
        Just(Command::CheckTime),
        Just(Command::Escalate {
            reason: "涉及安全".into()
        }),
        Just(Command::Merge {
            master_id: TicketId("m".into()),
            master_status: Status::Dispatched
        }),
        Just(Command::Close {
            reason: "重复".into()
        }),
    ]
}

/// One ticket's log: received, then the accepted ones of the commands, `gaps` minutes apart.
fn run(id: usize, intake: Intake, steps: &[(Command, i64)]) -> Vec<EventRecord> {
    // Time limits in force, so acknowledgements and replies are on time or late, and
    // `CheckTime` flags overdue tickets.
    let d = dir().with_time_limits(
        crate::timelimit::PolicySet::defaults(),
        crate::calendar::WorkingCalendar::china(),
    );
    let mut when = at() + chrono::Duration::minutes(13 * id as i64);
    let first = receive(&format!("t{id}"), intake);
    let (mut log, ticket) = execute(None, &first, &admin(), when, &d).expect("receive");
    let mut state = Some(ticket);
    for (command, gap) in steps {
        when += chrono::Duration::minutes(*gap);
        if let Ok((records, next)) = execute(state.as_ref(), command, &admin(), when, &d) {
            log.extend(records);
            state = Some(next);
        }
    }
    log
}

/// The outcome read straight off a log: dispatched once → dispatched, else answered once →
/// answered, else received.
fn outcome_of(log: &[EventRecord]) -> Outcome {
    let has = |kinds: &[&str]| log.iter().any(|r| kinds.contains(&r.event.kind()));
    if has(&["dispatched", "transferred"]) {
        Outcome::Dispatched
    } else if has(&["answered"]) {
        Outcome::Answered
    } else {
        Outcome::Received
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Rollups kept event by event as the events of several tickets arrive interleaved equal
    /// the rollups rebuilt from the logs; no count is ever negative; and every ticket sits in
    /// the volume row its own log says.
    #[test]
    fn live_rollups_equal_rebuilt_ones(
        tickets in prop::collection::vec(
            (any_intake(), prop::collection::vec((any_step(), prop_oneof![1i64..180, 1i64..6000]), 0..12)),
            1..6,
        ),
        order in prop::collection::vec(any::<prop::sample::Index>(), 80),
    ) {
        let logs: Vec<Vec<EventRecord>> = tickets
            .iter()
            .enumerate()
            .map(|(i, (intake, steps))| run(i, intake.clone(), steps))
            .collect();

        // Arrival: repeatedly pick a ticket with events left; its next event arrives.
        let mut next = vec![0usize; logs.len()];
        let mut states: Vec<Option<Ticket>> = vec![None; logs.len()];
        let mut live = Rollups::new();
        let mut picks = order.iter().cycle();
        let total: usize = logs.iter().map(Vec::len).sum();
        for _ in 0..total {
            let pending: Vec<usize> = (0..logs.len()).filter(|&i| next[i] < logs[i].len()).collect();
            let i = pending[picks.next().expect("cycle").index(pending.len())];
            let record = &logs[i][next[i]];
            next[i] += 1;
            live.apply(&step(&mut states[i], record));
            for (row, n) in live.iter() {
                prop_assert!(n > 0, "{row:?} at {n}");
            }
        }

        let rebuilt = rebuild(&logs);
        prop_assert_eq!(&live, &rebuilt);

        let mut expected: BTreeMap<RollupKey, i64> = BTreeMap::new();
        for (log, state) in logs.iter().zip(&states) {
            let ticket = state.as_ref().expect("received");
            *expected.entry(RollupKey::of(ticket, outcome_of(log))).or_default() += 1;
        }
        let volumes: BTreeMap<RollupKey, i64> =
            rebuilt.volumes().map(|(k, n)| (k.clone(), n)).collect();
        prop_assert_eq!(volumes, expected);
    }
}
