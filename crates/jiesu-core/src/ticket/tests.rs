//! Given / when / then tests of the ticket decider, and property tests over command sequences.

use super::*;
use crate::directory::MemoryDirectory;
use crate::reference::{CatalogNode, Division, Unit, UnitKind};
use chrono::TimeZone;
use proptest::prelude::*;

/// A small directory: two bureaus, a street office, the street light leaf, Haidian and 北下关.
pub(crate) fn dir() -> MemoryDirectory {
    let unit = |code: &str, kind| Unit {
        code: code.into(),
        name: format!("unit {code}"),
        kind,
        district_code: None,
    };
    MemoryDirectory::new(
        vec![
            unit("cgw", UnitKind::Bureau),
            unit("swj", UnitKind::Bureau),
            unit("110108011", UnitKind::Street),
        ],
        vec![CatalogNode {
            code: "010101".into(),
            name: "路灯".into(),
            level: 3,
            parent_code: Some("0101".into()),
            default_unit: Some("cgw".into()),
        }],
        vec![
            Division {
                code: "110108".into(),
                name: "海淀区".into(),
                level: DivisionLevel::District,
                parent_code: None,
            },
            Division {
                code: "110108011".into(),
                name: "北下关街道".into(),
                level: DivisionLevel::Street,
                parent_code: Some("110108".into()),
            },
        ],
    )
}

fn intake() -> Intake {
    Intake {
        channel: Channel::Phone,
        title: Some("路灯不亮".into()),
        content: "小区门口路灯坏了一周".into(),
        caller: Caller {
            name: "张三".into(),
            phone: "13812341234".into(),
        },
        address: None,
        district_code: None,
        street_code: Some("110108011".into()),
        category_code: Some("010101".into()),
        urgency: Urgency::Normal,
        confidential: false,
        external_ref: None,
    }
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn admin() -> Actor {
    Actor::new("root", Role::Admin)
}

fn receive() -> Command {
    Command::Receive {
        id: TicketId("t1".into()),
        number: "20261123000001".into(),
        intake: intake(),
        proposal: None,
    }
}

/// Given the commands (by admin), returns the state; panics if any is refused.
fn given(commands: &[Command]) -> (Vec<EventRecord>, Option<Ticket>) {
    let d = dir();
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let mut log = Vec::new();
    let mut state = None;
    for c in commands {
        let (records, next) = execute(state.as_ref(), c, &admin(), at, &d)
            .unwrap_or_else(|e| panic!("{c:?} refused: {e}"));
        log.extend(records);
        state = Some(next);
    }
    (log, state)
}

fn dispatch(unit: &str) -> Command {
    Command::Dispatch {
        lead_unit: unit.into(),
        assisting_units: vec![],
        note: None,
        routing: None,
    }
}

fn reply() -> Command {
    Command::Reply {
        outcome: ReplyOutcome::Solved,
        text: "已修复".into(),
    }
}

fn follow_master() -> Command {
    Command::FollowMaster {
        master_id: TicketId("m".into()),
        unit: Some("cgw".into()),
        outcome: Some(ReplyOutcome::Solved),
        text: "已修复".into(),
    }
}

fn merge_into_m() -> Command {
    Command::Merge {
        master_id: TicketId("m".into()),
        master_status: Status::Dispatched,
    }
}

/// 一件多诉: a merged ticket waits for its master; the master's reply puts its caller on the
/// callback list, and the callback records the caller's answer and closes it.
#[test]
fn a_merged_ticket_is_called_back_after_its_master_is_replied() {
    let (_, t) = given(&[receive(), merge_into_m()]);
    let t = t.unwrap();
    let refused = decide(
        Some(&t),
        &callback(true, Satisfaction::Satisfied),
        &admin(),
        at(),
        &dir(),
    );
    assert!(
        matches!(&refused, Err(DecideError::NotAllowed { hint, .. }) if hint.contains("master")),
        "{refused:?}"
    );
    assert!(available(&t, &Actor::new("a", Role::Agent)).is_empty());

    let (log, t) = given(&[receive(), merge_into_m(), follow_master()]);
    let t = t.unwrap();
    assert_eq!(t.status, Status::Merged);
    assert_eq!(t.replied_at, Some(at()));
    assert_eq!(t.reply_outcome, Some(ReplyOutcome::Solved));
    assert_eq!(log.last().unwrap().event.kind(), "master_replied");
    assert_eq!(
        available(&t, &Actor::new("a", Role::Agent)),
        vec![CommandKind::Callback]
    );

    let (_, t) = given(&[
        receive(),
        merge_into_m(),
        follow_master(),
        callback(false, Satisfaction::Unsatisfied),
    ]);
    let t = t.unwrap();
    assert_eq!(
        t.status,
        Status::Closed,
        "a merged caller's answer closes it"
    );
    assert_eq!(t.resolved, Some(false));
    assert_eq!(t.master_id, Some(TicketId("m".into())));

    let wrong = Command::FollowMaster {
        master_id: TicketId("other".into()),
        unit: None,
        outcome: None,
        text: "x".into(),
    };
    let (_, t) = given(&[receive(), merge_into_m()]);
    assert!(decide(t.as_ref(), &wrong, &admin(), at(), &dir()).is_err());
}

fn callback(resolved: bool, satisfaction: Satisfaction) -> Command {
    Command::Callback {
        reached: true,
        resolved: Some(resolved),
        satisfaction: Some(satisfaction),
        note: None,
    }
}

#[test]
fn the_whole_walk_ends_closed_with_every_step_recorded() {
    let (log, t) = given(&[
        receive(),
        dispatch("cgw"),
        Command::Acknowledge,
        reply(),
        callback(true, Satisfaction::Satisfied),
    ]);
    let t = t.unwrap();
    assert_eq!(t.status, Status::Closed);
    let kinds: Vec<_> = log.iter().map(|r| r.event.kind()).collect();
    assert_eq!(
        kinds,
        [
            "received",
            "dispatched",
            "acknowledged",
            "replied",
            "callback_recorded",
            "closed"
        ]
    );
    assert_eq!(t.version, 6);
    assert_eq!(
        t.intake.district_code.as_deref(),
        Some("110108"),
        "filled from the street"
    );
}

#[test]
fn closed_tickets_refuse_dispatch_and_change_nothing() {
    let (_, t) = given(&[
        receive(),
        Command::Answer {
            entry_id: Some("kb-1".into()),
            entry_version: Some(1),
            text: "按政策".into(),
        },
        callback(true, Satisfaction::Satisfied),
    ]);
    let t = t.unwrap();
    let err = decide(Some(&t), &dispatch("cgw"), &admin(), at(), &dir()).unwrap_err();
    assert!(matches!(
        err,
        DecideError::NotAllowed {
            status: Status::Closed,
            command: CommandKind::Dispatch,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "a ticket that is closed does not accept 'dispatch'"
    );
}

#[test]
fn unresolved_callback_reopens_under_supervision() {
    let (_, t) = given(&[
        receive(),
        dispatch("cgw"),
        Command::Acknowledge,
        reply(),
        callback(false, Satisfaction::Unsatisfied),
    ]);
    let t = t.unwrap();
    assert_eq!(t.status, Status::Reopened);
    assert_eq!(t.supervision_level, 1);
    assert_eq!(t.lead_unit.as_deref(), Some("cgw"));
    // The same unit acknowledges again.
    let unit = Actor::of_unit("cgw-user", "cgw");
    let events = decide(Some(&t), &Command::Acknowledge, &unit, at(), &dir()).unwrap();
    assert_eq!(events[0].kind(), "acknowledged");
}

#[test]
fn missed_callbacks_count_attempts_and_keep_status() {
    let missed = Command::Callback {
        reached: false,
        resolved: None,
        satisfaction: None,
        note: None,
    };
    let (_, t) = given(&[
        receive(),
        dispatch("cgw"),
        Command::Acknowledge,
        reply(),
        missed.clone(),
        missed,
    ]);
    let t = t.unwrap();
    assert_eq!(t.status, Status::Replied);
    assert_eq!(t.callback_attempts, 2);
}

#[test]
fn reached_callback_needs_answers() {
    let (_, t) = given(&[receive(), dispatch("cgw"), Command::Acknowledge, reply()]);
    let c = Command::Callback {
        reached: true,
        resolved: None,
        satisfaction: Some(Satisfaction::Satisfied),
        note: None,
    };
    let err = decide(t.as_ref(), &c, &admin(), at(), &dir()).unwrap_err();
    assert_eq!(
        err,
        DecideError::Invalid {
            field: "resolved".into(),
            message: "is required when reached".into()
        }
    );
}

#[test]
fn upheld_return_goes_to_another_unit() {
    let (_, t) = given(&[
        receive(),
        dispatch("cgw"),
        Command::Return {
            reason: "不属于我单位职责".into(),
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
    let t = t.unwrap();
    assert_eq!(t.status, Status::Dispatched);
    assert_eq!(t.lead_unit.as_deref(), Some("swj"));
}

#[test]
fn refused_return_stays_with_the_unit() {
    let (_, t) = given(&[
        receive(),
        dispatch("cgw"),
        Command::Return {
            reason: "不归我管".into(),
        },
        Command::Review {
            decision: ReviewDecision::Refuse,
            redispatch_to: None,
            assisting_units: vec![],
            note: Some("职责清单内".into()),
            flag_rule: false,
            routing: None,
        },
    ]);
    let t = t.unwrap();
    assert_eq!(
        (t.status, t.lead_unit.as_deref()),
        (Status::Dispatched, Some("cgw"))
    );
}

#[test]
fn return_needs_a_reason() {
    let (_, t) = given(&[receive(), dispatch("cgw")]);
    let err = decide(
        t.as_ref(),
        &Command::Return {
            reason: "  ".into(),
        },
        &admin(),
        at(),
        &dir(),
    )
    .unwrap_err();
    assert!(matches!(err, DecideError::Invalid { ref field, .. } if field == "reason"));
}

#[test]
fn extensions_are_asked_once_and_decided() {
    let ask = Command::RequestExtension {
        days: 3,
        reason: "需要协调物业".into(),
    };
    let (_, t) = given(&[
        receive(),
        dispatch("cgw"),
        Command::Acknowledge,
        ask.clone(),
    ]);
    let t = t.unwrap();
    assert_eq!(t.extension_pending, Some(3));
    assert!(matches!(
        decide(Some(&t), &ask, &admin(), at(), &dir()),
        Err(DecideError::NotAllowed { .. })
    ));
    let (_, t) = given(&[
        receive(),
        dispatch("cgw"),
        Command::Acknowledge,
        ask,
        Command::DecideExtension {
            granted: true,
            note: None,
        },
    ]);
    let t = t.unwrap();
    assert_eq!((t.extension_pending, t.extension_days), (None, 3));
}

#[test]
fn only_the_lead_unit_acts() {
    let (_, t) = given(&[receive(), dispatch("cgw")]);
    let other = Actor::of_unit("swj-user", "swj");
    let err = decide(t.as_ref(), &Command::Acknowledge, &other, at(), &dir()).unwrap_err();
    assert!(matches!(
        err,
        DecideError::Forbidden {
            role: Role::Unit,
            ..
        }
    ));
    let agent = Actor::new("a", Role::Agent);
    assert!(matches!(
        decide(t.as_ref(), &dispatch("swj"), &agent, at(), &dir()),
        Err(DecideError::Forbidden { .. })
    ));
}

#[test]
fn available_actions_follow_role_lead_unit_and_guards() {
    let (_, t) = given(&[receive(), dispatch("cgw")]);
    let t = t.unwrap();
    let lead = Actor::of_unit("cgw-user", "cgw");
    assert_eq!(
        available(&t, &lead),
        [CommandKind::Acknowledge, CommandKind::Return]
    );
    assert!(available(&t, &Actor::of_unit("swj-user", "swj")).is_empty());
    let supervisor = Actor::new("s", Role::Supervisor);
    assert_eq!(
        available(&t, &supervisor),
        [
            CommandKind::Supervise,
            CommandKind::Escalate,
            CommandKind::Close,
            CommandKind::Consult
        ]
    );
    let ask = Command::RequestExtension {
        days: 2,
        reason: "协调中".into(),
    };
    let (_, t) = given(&[receive(), dispatch("cgw"), Command::Acknowledge, ask]);
    let t = t.unwrap();
    let kinds = available(&t, &lead);
    assert!(
        !kinds.contains(&CommandKind::RequestExtension),
        "already pending"
    );
    assert!(available(&t, &supervisor).contains(&CommandKind::DecideExtension));
}

#[test]
fn intake_names_the_bad_field() {
    let d = dir();
    let mut i = intake();
    i.caller.phone = "call me".into();
    assert!(
        matches!(i.validate(&d), Err(DecideError::Invalid { field, .. }) if field == "caller.phone")
    );
    let mut i = intake();
    i.district_code = Some("110105".into());
    assert!(
        matches!(i.validate(&d), Err(DecideError::Invalid { field, .. }) if field == "street_code")
    );
    let mut i = intake();
    i.category_code = Some("999999".into());
    assert!(
        matches!(i.validate(&d), Err(DecideError::Invalid { field, .. }) if field == "category_code")
    );
    let mut i = intake();
    i.content = "\n ".into();
    assert!(
        matches!(i.validate(&d), Err(DecideError::Invalid { field, .. }) if field == "content")
    );
}

#[test]
fn units_see_masked_phone_and_no_name_when_confidential() {
    let (_, t) = given(&[receive()]);
    let mut t = t.unwrap();
    t.intake.confidential = true;
    let r = t.redacted_for_unit();
    assert_eq!(r.intake.caller.phone, "138****1234");
    assert_eq!(r.intake.caller.name, "***");
}

#[test]
fn events_round_trip_as_kind_and_details() {
    let (log, _) = given(&[receive(), dispatch("cgw")]);
    let json = serde_json::to_value(&log[1]).unwrap();
    assert_eq!(json["kind"], "dispatched");
    assert_eq!(json["details"]["lead_unit"], "cgw");
    assert_eq!(json["actor"]["role"], "admin");
    let back: EventRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, log[1]);
}

// ---- properties -------------------------------------------------------------------------

fn any_command() -> impl Strategy<Value = Command> {
    let unit = prop_oneof![Just("cgw"), Just("swj"), Just("110108011"), Just("nope")]
        .prop_map(String::from);
    let text = prop_oneof![Just(String::new()), Just("处理完毕".to_string())];
    let sat = prop_oneof![
        Just(Satisfaction::Satisfied),
        Just(Satisfaction::BasicallySatisfied),
        Just(Satisfaction::Unsatisfied)
    ];
    let status = prop::sample::select(Status::ALL.to_vec());
    prop_oneof![
        Just(receive()),
        text.clone().prop_map(|text| Command::Answer {
            entry_id: None,
            entry_version: None,
            text
        }),
        unit.clone().prop_map(|u| Command::Dispatch {
            lead_unit: u,
            assisting_units: vec![],
            note: None,
            routing: None,
        }),
        Just(Command::Acknowledge),
        text.clone().prop_map(|reason| Command::Return { reason }),
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
        (0u32..40, text.clone())
            .prop_map(|(days, reason)| Command::RequestExtension { days, reason }),
        any::<bool>().prop_map(|granted| Command::DecideExtension {
            granted,
            note: None
        }),
        (
            prop::sample::select(ReplyOutcome::ALL.to_vec()),
            text.clone()
        )
            .prop_map(|(outcome, text)| Command::Reply { outcome, text }),
        (
            any::<bool>(),
            prop::option::of(any::<bool>()),
            prop::option::of(sat)
        )
            .prop_map(|(reached, resolved, satisfaction)| Command::Callback {
                reached,
                resolved,
                satisfaction,
                note: None
            }),
        (unit, text.clone()).prop_map(|(to_unit, reason)| Command::Transfer { to_unit, reason }),
        Just(Command::Supervise { note: None }),
        text.clone().prop_map(|reason| Command::Escalate { reason }),
        status.prop_map(|s| Command::Merge {
            master_id: TicketId("m".into()),
            master_status: s
        }),
        text.prop_map(|reason| Command::Close { reason }),
        Just(follow_master()),
    ]
}

fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        3 => Just(admin()),
        1 => prop::sample::select(Role::ALL.to_vec()).prop_map(|r| if r == Role::Unit {
            Actor::of_unit("u", "cgw")
        } else {
            Actor::new("x", r)
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Replaying the stored events always gives the stored state, and every accepted command
    /// moves the ticket along a row of the transition table.
    #[test]
    fn replay_equals_state_and_only_table_transitions(
        steps in prop::collection::vec((any_command(), any_actor()), 1..40)
    ) {
        let d = dir();
        let mut at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut log: Vec<EventRecord> = Vec::new();
        let mut state: Option<Ticket> = None;
        for (command, actor) in steps {
            at += chrono::Duration::minutes(7);
            match execute(state.as_ref(), &command, &actor, at, &d) {
                Ok((records, next)) => {
                    if let Some(prev) = &state {
                        let to = allowed(prev.status, command.kind());
                        prop_assert!(to.is_some_and(|to| to.contains(&next.status)),
                            "{:?} --{:?}--> {:?} is not in the table", prev.status, command.kind(), next.status);
                    } else {
                        prop_assert_eq!(next.status, Status::Received);
                    }
                    prop_assert_eq!(next.version as usize, log.len() + records.len());
                    log.extend(records);
                    state = Some(next);
                }
                Err(_) => {
                    // Refused: nothing to append, the state stays as it was (it is not touched).
                }
            }
            prop_assert_eq!(&replay(&log), &state);
        }
    }

    /// A closed ticket accepts no command at all; a merged one only follows its master's
    /// reply and then has its caller called back.
    #[test]
    fn terminal_states_accept_nothing(command in any_command()) {
        prop_assert_eq!(commands_in(Status::Closed).count(), 0);
        prop_assert_eq!(
            commands_in(Status::Merged).collect::<Vec<_>>(),
            vec![CommandKind::FollowMaster, CommandKind::Callback]
        );
        let (_, t) = given(&[receive(), Command::Close { reason: "重复".into() }]);
        prop_assert!(decide(t.as_ref(), &command, &admin(), at(), &dir()).is_err());
    }
}
