//! Time limits, callbacks and the three rates through the real app, in virtual time, on a
//! real SQLite file.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use jiesu_core::rates::{GroupBy, Weights};
use jiesu_core::{
    Actor, Caller, Channel, Command, Intake, ReplyOutcome, Role, Satisfaction, TicketId, Urgency,
    execute,
};
use jiesu_server::jobs::scan_once;
use jiesu_server::{AppState, Clock, ManualClock};
use jiesu_store::{DynStore, NewTicket};
use serde_json::{Value, json};

mod common;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

fn beijing(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

const USERS: &[common::TestUser] = &[
    ("admin", Role::Admin, None),
    ("agent", Role::Agent, None),
    ("dispatcher", Role::Dispatcher, None),
    ("supervisor", Role::Supervisor, None),
    ("analyst", Role::Analyst, None),
    ("cgw", Role::Unit, Some("cgw")),
];

async fn open_store(path: &Path, fresh: bool) -> DynStore {
    Arc::new(common::open_store(path, fresh, USERS).await)
}

use common::World;

/// Starts (or restarts) the app on the database at `path` with the clock at `now`.
async fn start(path: &Path, fresh: bool, now: DateTime<Utc>) -> World {
    World::open(path, fresh, USERS, now).await
}

impl World {
    async fn new_ticket(&self, urgency: &str, content: &str) -> String {
        let t = self
            .create(json!({
                "channel": "phone", "content": content, "urgency": urgency,
                "caller": {"name": "赵先生", "phone": "13800001111"},
                "street_code": "110108007",
            }))
            .await;
        t["id"].as_str().unwrap().to_string()
    }

    async fn kinds(&self, id: &str) -> Vec<String> {
        let (_, t) = self
            .call("admin", "GET", &format!("/api/v1/tickets/{id}"), None)
            .await;
        t["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    }
}

#[tokio::test]
async fn deadlines_that_pass_while_the_scanner_is_down_are_flagged_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("jiesu.db");
    let friday_23 = beijing(2026, 11, 20, 23, 0);
    let w = start(&db, true, friday_23).await;

    // An urgent ticket dispatched Friday 23:00 must be handled by Saturday 01:00.
    let urgent = w.new_ticket("urgent", "楼道燃气味很重").await;
    let t = w
        .act(
            "dispatcher",
            &urgent,
            "dispatch",
            json!({"lead_unit": "cgw"}),
        )
        .await;
    assert_eq!(t["deadlines"]["policy_id"], "urgent");
    let handle_by: DateTime<Utc> =
        serde_json::from_value(t["deadlines"]["handle_by"].clone()).unwrap();
    assert_eq!(handle_by, beijing(2026, 11, 21, 1, 0));

    // More tickets whose limits end at different times during the night.
    let mut others = Vec::new();
    for i in 0..10 {
        w.clock.set(friday_23 + Duration::minutes(5 * i));
        let id = w.new_ticket("urgent", &format!("第{i}件紧急诉求")).await;
        w.act("dispatcher", &id, "dispatch", json!({"lead_unit": "cgw"}))
            .await;
        others.push(id);
    }
    let r = scan_once(&w.state, beijing(2026, 11, 20, 23, 20))
        .await
        .unwrap();
    assert_eq!(r.events, 0, "nothing due yet");
    drop(w);

    // Down until Saturday 09:00. On restart the first pass catches up.
    let w = start(&db, false, beijing(2026, 11, 21, 9, 0)).await;
    let r = scan_once(&w.state, w.clock.now()).await.unwrap();
    assert!(r.events > 0);
    let kinds = w.kinds(&urgent).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "overdue").count(),
        2,
        "acknowledge and handle: {kinds:?}"
    );
    let (_, t) = w
        .call("admin", "GET", &format!("/api/v1/tickets/{urgent}"), None)
        .await;
    assert_eq!(t["handle_timeliness"], "overdue");
    assert_eq!(
        t["supervision_level"], 3,
        "8 hours overdue on a 2-hour limit: top level"
    );
    for id in &others {
        let (_, t) = w
            .call("admin", "GET", &format!("/api/v1/tickets/{id}"), None)
            .await;
        assert_eq!(
            t["handle_timeliness"], "overdue",
            "no deadline missed: {id}"
        );
    }
    // All of them are on the supervisors' queue, and a second pass has nothing more to do.
    let (_, queue) = w
        .call(
            "supervisor",
            "GET",
            "/api/v1/tickets?overdue=true&limit=100",
            None,
        )
        .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 11);
    assert_eq!(scan_once(&w.state, w.clock.now()).await.unwrap().events, 0);
}

#[tokio::test]
async fn callback_list_next_morning_and_unreachable_callers_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let monday = beijing(2026, 11, 23, 10, 0);
    let w = start(&dir.path().join("jiesu.db"), true, monday).await;
    let id = w.new_ticket("normal", "路灯不亮").await;
    w.act("dispatcher", &id, "dispatch", json!({"lead_unit": "cgw"}))
        .await;
    w.act("cgw", &id, "acknowledge", json!({})).await;
    w.clock.set(beijing(2026, 11, 23, 15, 0));
    let t = w
        .act(
            "cgw",
            &id,
            "reply",
            json!({"outcome": "solved", "text": "已修复"}),
        )
        .await;
    assert_eq!(t["status"], "replied");

    let on = |list: &Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str())
    };
    let (_, today) = w
        .call("agent", "GET", "/api/v1/callbacks?date=2026-11-23", None)
        .await;
    assert!(!on(&today), "replied today: tomorrow's list");
    let tomorrow = w.get_ok("agent", "/api/v1/callbacks?date=2026-11-24").await;
    assert!(on(&tomorrow));
    let (status, _) = w.call("cgw", "GET", "/api/v1/callbacks", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Three missed calls close it as unreachable.
    w.clock.set(beijing(2026, 11, 24, 9, 0));
    let missed = json!({"reached": false});
    assert_eq!(
        w.act("agent", &id, "callback", missed.clone()).await["status"],
        "replied"
    );
    assert_eq!(
        w.act("agent", &id, "callback", missed.clone()).await["status"],
        "replied"
    );
    let t = w.act("agent", &id, "callback", missed).await;
    assert_eq!(t["status"], "closed");
    let (_, after) = w
        .call("agent", "GET", "/api/v1/callbacks?date=2026-11-25", None)
        .await;
    assert!(!on(&after));

    // With no delay, a ticket replied today is on today's list.
    let (_, mut set) = w.call("admin", "GET", "/api/v1/policies", None).await;
    set["callback"]["delay_days"] = json!(0);
    let (status, _) = w.call("admin", "PUT", "/api/v1/policies", Some(set)).await;
    assert_eq!(status, StatusCode::OK);
    let same_day = w.new_ticket("normal", "井盖缺失").await;
    w.act(
        "dispatcher",
        &same_day,
        "dispatch",
        json!({"lead_unit": "cgw"}),
    )
    .await;
    w.act("cgw", &same_day, "acknowledge", json!({})).await;
    w.act(
        "cgw",
        &same_day,
        "reply",
        json!({"outcome": "solved", "text": "已补装"}),
    )
    .await;
    let (_, today) = w
        .call("agent", "GET", "/api/v1/callbacks?date=2026-11-24", None)
        .await;
    let listed = today["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == same_day.as_str());
    assert!(listed, "{today}");
}

#[tokio::test]
async fn admins_edit_policies_and_new_dispatches_follow_the_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(
        &dir.path().join("jiesu.db"),
        true,
        beijing(2026, 11, 16, 9, 0),
    )
    .await;
    let before = w.new_ticket("normal", "噪音").await;
    let t = w
        .act(
            "dispatcher",
            &before,
            "dispatch",
            json!({"lead_unit": "cgw"}),
        )
        .await;
    assert_eq!(t["deadlines"]["policy_version"], 1);

    let (_, mut set) = w.call("agent", "GET", "/api/v1/policies", None).await;
    set["policies"][2]["handle"] = json!({"unit": "working_days", "amount": 3});
    let (status, _) = w
        .call("dispatcher", "PUT", "/api/v1/policies", Some(set.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut bad = set.clone();
    bad["policies"][0]["warn_percent"] = json!(0);
    let (status, err) = w.call("admin", "PUT", "/api/v1/policies", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "policies[0].warn_percent");
    let (status, saved) = w.call("admin", "PUT", "/api/v1/policies", Some(set)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);

    let after = w.new_ticket("normal", "噪音").await;
    let t = w
        .act(
            "dispatcher",
            &after,
            "dispatch",
            json!({"lead_unit": "cgw"}),
        )
        .await;
    assert_eq!(t["deadlines"]["policy_version"], 2);
    let handle_by: DateTime<Utc> =
        serde_json::from_value(t["deadlines"]["handle_by"].clone()).unwrap();
    assert_eq!(
        handle_by,
        beijing(2026, 11, 19, 9, 0),
        "Monday + 3 working days"
    );
    let (_, old) = w
        .call("admin", "GET", &format!("/api/v1/tickets/{before}"), None)
        .await;
    assert_eq!(
        old["deadlines"]["policy_version"], 1,
        "tickets already out keep their limits"
    );

    // Next year's calendar, entered the day it is announced.
    let (_, y) = w.call("agent", "GET", "/api/v1/calendar/2027", None).await;
    assert_eq!(y["in_table"], false);
    let schedule =
        json!({"year": 2027, "holidays": [["2027-01-01", "元旦"]], "makeup_workdays": []});
    let (status, y) = w
        .call("admin", "PUT", "/api/v1/calendar/2027", Some(schedule))
        .await;
    assert_eq!(status, StatusCode::OK, "{y}");
    assert_eq!(y["in_table"], true);
    let wrong = json!({"year": 2027, "holidays": [], "makeup_workdays": [["2027-01-06", "x"]]});
    let (status, _) = w
        .call("admin", "PUT", "/api/v1/calendar/2027", Some(wrong))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a Wednesday cannot be a make-up day"
    );
}

async fn store_event_count(store: &DynStore) -> usize {
    let all = store
        .events_between(beijing(2000, 1, 1, 0, 0), beijing(2100, 1, 1, 0, 0))
        .await
        .unwrap();
    all.len()
}

/// What the generator did, counted as it went: the ground truth the report must match.
#[derive(Default, Debug, PartialEq)]
struct Truth {
    dispatched: u64,
    on_time: u64,
    callbacks: u64,
    resolved: u64,
    satisfied: u64,
    basically: u64,
}

#[tokio::test]
async fn a_generated_month_gives_the_rates_the_generator_knows() {
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let start_at = beijing(2026, 11, 2, 9, 0);
    let w = start(&dir.path().join("jiesu.db"), true, start_at).await;
    let store = w.state.store.clone();
    let directory = w.state.directory();
    let units = ["cgw", "zjw", "swj", "110108007", "110105001"];
    let streets = ["110108007", "110108001", "110105001"];
    let mut rng = rand::rngs::StdRng::seed_from_u64(12345);
    let mut truth: BTreeMap<&str, Truth> = BTreeMap::new();
    let mut by_street: BTreeMap<&str, Truth> = BTreeMap::new();
    let admin = Actor::new("dispatcher", Role::Dispatcher);
    let agent = Actor::new("agent", Role::Agent);
    for i in 0..400 {
        let at = start_at + Duration::minutes(80 * i);
        let street = streets[rng.gen_range(0..streets.len())];
        let unit = units[rng.gen_range(0..units.len())];
        let created = store
            .create_tickets(vec![NewTicket {
                id: TicketId(format!("gen-{i}")),
                intake: Intake {
                    channel: Channel::Phone,
                    title: None,
                    content: format!("第{i}件"),
                    caller: Caller {
                        name: "市民".into(),
                        phone: "13900000000".into(),
                    },
                    address: None,
                    district_code: None,
                    street_code: Some(street.into()),
                    category_code: None,
                    urgency: Urgency::Normal,
                    confidential: false,
                    external_ref: None,
                }
                .validate(directory.as_ref())
                .unwrap(),
                actor: agent.clone(),
                received_at: at,
                idempotency_key: None,
                proposal: None,
            }])
            .await
            .unwrap();
        let mut t = created[0].ticket.clone();
        let step = |t: &mut jiesu_core::Ticket, c: Command, who: &Actor, at: DateTime<Utc>| {
            let (records, next) = execute(Some(t), &c, who, at, directory.as_ref()).unwrap();
            let appended = (t.version, records, next.clone());
            *t = next;
            appended
        };
        let mut appends = Vec::new();
        let dispatch = Command::Dispatch {
            lead_unit: unit.into(),
            assisting_units: vec![],
            note: None,
            routing: None,
        };
        appends.push(step(&mut t, dispatch, &admin, at));
        truth.entry(unit).or_default().dispatched += 1;
        by_street.entry(street).or_default().dispatched += 1;
        // One in ten is transferred before anyone acknowledges: a dispatch for each unit.
        let mut unit = unit;
        if rng.gen_bool(0.1) {
            let to = units[(units.iter().position(|u| *u == unit).unwrap() + 1) % units.len()];
            let transfer = Command::Transfer {
                to_unit: to.into(),
                reason: "职责不符".into(),
            };
            appends.push(step(&mut t, transfer, &admin, at + Duration::minutes(30)));
            truth.entry(to).or_default().dispatched += 1;
            by_street.entry(street).or_default().dispatched += 1;
            unit = to;
        }
        let unit_actor = Actor::of_unit("u", unit);
        // Acknowledged within the limit (1 working day) or 4 days later, which is late
        // whatever the weekday (November 2026 has no holiday).
        let late = rng.gen_bool(0.3);
        let ack_at = if late {
            at + Duration::days(4)
        } else {
            at + Duration::hours(2)
        };
        appends.push(step(&mut t, Command::Acknowledge, &unit_actor, ack_at));
        if !late {
            truth.entry(unit).or_default().on_time += 1;
            by_street.entry(street).or_default().on_time += 1;
        }
        let reply = Command::Reply {
            outcome: ReplyOutcome::Solved,
            text: "已处理".into(),
        };
        appends.push(step(
            &mut t,
            reply,
            &unit_actor,
            ack_at + Duration::hours(3),
        ));
        if rng.gen_bool(0.8) {
            let resolved = rng.gen_bool(0.7);
            let satisfaction = match rng.gen_range(0..3) {
                0 => Satisfaction::Satisfied,
                1 => Satisfaction::BasicallySatisfied,
                _ => Satisfaction::Unsatisfied,
            };
            let cb = Command::Callback {
                reached: true,
                resolved: Some(resolved),
                satisfaction: Some(satisfaction),
                note: None,
            };
            appends.push(step(&mut t, cb, &agent, ack_at + Duration::hours(20)));
            for tally in [
                &mut *truth.get_mut(unit).unwrap(),
                &mut *by_street.get_mut(street).unwrap(),
            ] {
                tally.callbacks += 1;
                tally.resolved += u64::from(resolved);
                match satisfaction {
                    Satisfaction::Satisfied => tally.satisfied += 1,
                    Satisfaction::BasicallySatisfied => tally.basically += 1,
                    Satisfaction::Unsatisfied => {}
                }
            }
            // An unresolved or unsatisfied callback reopens the ticket to the same unit: one
            // more dispatch, acknowledged within the fresh limit an hour later.
            if !resolved || satisfaction == Satisfaction::Unsatisfied {
                let again = ack_at + Duration::hours(21);
                appends.push(step(&mut t, Command::Acknowledge, &unit_actor, again));
                for tally in [
                    &mut *truth.get_mut(unit).unwrap(),
                    &mut *by_street.get_mut(street).unwrap(),
                ] {
                    tally.dispatched += 1;
                    tally.on_time += 1;
                }
            }
        }
        for (version, records, state) in appends {
            store.append(version, &records, &state).await.unwrap();
        }
    }
    // Every generated event falls inside November 2026: the last ticket is received on the
    // 24th, acknowledged at the latest 4 days later, called back within a day.
    let last = start_at + Duration::minutes(80 * 399) + Duration::days(4) + Duration::hours(23);
    assert!(last < beijing(2026, 12, 1, 0, 0));
    // And one dispatched on the last evening of the month, acknowledged (on time) after
    // midnight: November's dispatch, acknowledged on time, whenever the acknowledgement came.
    let eve = beijing(2026, 11, 30, 23, 0);
    let late_one = store
        .create_tickets(vec![NewTicket {
            id: TicketId("gen-eve".into()),
            intake: Intake {
                channel: Channel::Phone,
                title: None,
                content: "月底来电".into(),
                caller: Caller {
                    name: "市民".into(),
                    phone: "13900000000".into(),
                },
                address: None,
                district_code: None,
                street_code: Some(streets[0].into()),
                category_code: None,
                urgency: Urgency::Normal,
                confidential: false,
                external_ref: None,
            }
            .validate(directory.as_ref())
            .unwrap(),
            actor: agent.clone(),
            received_at: eve,
            idempotency_key: None,
            proposal: None,
        }])
        .await
        .unwrap();
    let t = &late_one[0].ticket;
    let dispatch = Command::Dispatch {
        lead_unit: "cgw".into(),
        assisting_units: vec![],
        note: None,
        routing: None,
    };
    let (r1, t1) = execute(Some(t), &dispatch, &admin, eve, directory.as_ref()).unwrap();
    store.append(t.version, &r1, &t1).await.unwrap();
    let cgw = Actor::of_unit("u", "cgw");
    let after_midnight = eve + Duration::minutes(90);
    let (r2, t2) = execute(
        Some(&t1),
        &Command::Acknowledge,
        &cgw,
        after_midnight,
        directory.as_ref(),
    )
    .unwrap();
    store.append(t1.version, &r2, &t2).await.unwrap();
    truth.entry("cgw").or_default().dispatched += 1;
    truth.entry("cgw").or_default().on_time += 1;
    by_street.entry(streets[0]).or_default().dispatched += 1;
    by_street.entry(streets[0]).or_default().on_time += 1;

    let (from, to) = jiesu_server::api::reports::month_bounds("2026-11").unwrap();
    for (by, expected) in [(GroupBy::Unit, &truth), (GroupBy::Street, &by_street)] {
        let table = jiesu_server::api::reports::rates_table(
            &store,
            &w.state.reference,
            "2026-11",
            by,
            Weights::default(),
        )
        .await
        .unwrap();
        let events = store.events_between(from, to).await.unwrap();
        assert!(
            events.len() < store_event_count(&store).await,
            "December's event is left out"
        );
        for row in &table.rows {
            let key = row.row.code.as_str();
            let t = expected
                .get(key)
                .unwrap_or_else(|| panic!("unexpected row {key}"));
            let c = &row.row.counts;
            assert_eq!(
                (
                    c.dispatched,
                    c.acknowledged_on_time,
                    c.valid_callbacks,
                    c.resolved,
                    c.satisfied,
                    c.basically_satisfied
                ),
                (
                    t.dispatched,
                    t.on_time,
                    t.callbacks,
                    t.resolved,
                    t.satisfied,
                    t.basically
                ),
                "{key}"
            );
            let response = t.on_time as f64 / t.dispatched as f64;
            let resolution = t.resolved as f64 / t.callbacks as f64;
            let satisfaction = (t.satisfied as f64 + 0.9 * t.basically as f64) / t.callbacks as f64;
            let composite = 0.1 * response + 0.5 * resolution + 0.4 * satisfaction;
            let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
            assert!(close(row.row.response_rate, response), "{key}");
            assert!(close(row.row.resolution_rate, resolution), "{key}");
            assert!(close(row.row.satisfaction_rate, satisfaction), "{key}");
            assert!(close(row.row.composite, composite), "{key}");
        }
        assert_eq!(table.rows.len(), expected.len());
        let ranks: Vec<usize> = table.rows.iter().map(|r| r.row.rank).collect();
        assert_eq!(ranks, (1..=expected.len()).collect::<Vec<_>>());
        let composites: Vec<f64> = table
            .rows
            .iter()
            .map(|r| r.row.composite.unwrap())
            .collect();
        assert!(
            composites.windows(2).all(|w| w[0] >= w[1]),
            "ranked best first"
        );
    }

    // The API gives the same table, and CSV and XLSX exports of it.
    let body = w
        .get_ok("analyst", "/api/v1/reports/rates?month=2026-11&by=unit")
        .await;
    assert_eq!(body["rows"].as_array().unwrap().len(), truth.len());
    let (status, _) = w
        .call("cgw", "GET", "/api/v1/reports/rates?month=2026-11", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn assisted_tickets_keep_the_proposal_and_acceptance_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(
        &dir.path().join("jiesu.db"),
        true,
        beijing(2026, 11, 23, 10, 0),
    )
    .await;
    let text = "海淀北下关交大东路燃气味很重";
    // The agent keeps the proposed street but records the request as normal, not urgent.
    let t = w
        .create(json!({
            "channel": "phone", "content": text, "assist": true,
            "caller": {"name": "赵先生", "phone": "13800001111"},
            "street_code": "110108007", "urgency": "normal",
        }))
        .await;
    assert_eq!(t["proposal"]["street_code"], "110108007");
    assert_eq!(t["proposal"]["urgency"], "urgent");
    assert!(
        t["proposal"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "燃气泄漏")
    );
    // Without the flag nothing is proposed.
    let plain = w.new_ticket("normal", "路灯不亮").await;
    let (_, p) = w
        .call("admin", "GET", &format!("/api/v1/tickets/{plain}"), None)
        .await;
    assert!(p["proposal"].is_null());

    let r = w
        .get_ok("analyst", "/api/v1/reports/assist?month=2026-11")
        .await;
    let a = &r["acceptance"];
    assert_eq!(a["tickets"], 1);
    assert_eq!(
        (
            a["street"]["proposed"].as_u64(),
            a["street"]["kept"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            a["urgency"]["proposed"].as_u64(),
            a["urgency"]["kept"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(a["urgency"]["rate"], 0.0);
    // The built-in model proposes a level-1 category the agent did not fill in.
    assert_eq!(
        (
            a["category"]["proposed"].as_u64(),
            a["category"]["kept"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert!(
        t["proposal"]["category_code"]
            .as_str()
            .is_some_and(|c| c.len() == 2),
        "{t}"
    );
}

/// What the assistant reads in `text`, asked by the holder of `token`.
async fn assist(state: &AppState, token: &str, text: &str) -> Value {
    common::send(
        state,
        Some(token),
        "POST",
        "/api/v1/assist",
        Some(json!({ "text": text })),
    )
    .await
    .1
}

/// Two tiny models that disagree: `swap` sends school complaints to 城乡建设.
fn tiny_model(swap: bool) -> jiesu_classify::Model {
    use jiesu_classify::{Row, TrainOptions, Trainer};
    let (school, housing) = if swap {
        ("城乡建设", "教育文体")
    } else {
        ("教育文体", "城乡建设")
    };
    let rows = vec![
        Row::new("学校乱收费", "小学乱收补课费，老师强制学生补课", school),
        Row::new("幼儿园入学难", "孩子上幼儿园报名难，学位不够", school),
        Row::new("中学老师体罚学生", "中学班主任体罚学生", school),
        Row::new("学生转学问题", "小学生转学手续，学校不给办理", school),
        Row::new("小区停水三天", "小区停水三天了，物业不管", housing),
        Row::new("物业乱收停车费", "小区物业违规收取停车费", housing),
        Row::new("违章建筑无人管", "小区楼顶搭建违章建筑", housing),
        Row::new("小区路灯坏了", "小区路灯坏了一个月，物业不修", housing),
    ];
    Trainer::new(TrainOptions::default()).train(&rows).unwrap()
}

#[tokio::test]
async fn a_retrained_model_file_is_used_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let model_file = dir.path().join("category.json");
    tiny_model(false).save(&model_file).unwrap();
    let store = open_store(&dir.path().join("jiesu.db"), true).await;
    let clock = Arc::new(ManualClock::new(beijing(2026, 11, 23, 10, 0)));
    let state = AppState::with_model_file(store.clone(), clock, Some(model_file.clone()))
        .await
        .unwrap();
    let (token, hash) = jiesu_server::auth::new_token();
    store.add_token(&hash, "agent").await.unwrap();
    let first = assist(&state, &token, "小学老师强制学生补课乱收费").await;
    assert_eq!(first["category"]["top"][0]["name"], "教育文体", "{first}");
    assert!(
        !first["category"]["words"].as_array().unwrap().is_empty(),
        "words that weighed"
    );
    assert!(
        !state.assistant.reload_model(),
        "unchanged file: nothing to do"
    );

    // Retrained: the new file is picked up by the running app.
    std::thread::sleep(std::time::Duration::from_millis(20));
    tiny_model(true).save(&model_file).unwrap();
    assert!(state.assistant.reload_model());
    let second = assist(&state, &token, "小学老师强制学生补课乱收费").await;
    assert_eq!(second["category"]["top"][0]["name"], "城乡建设", "{second}");

    // A broken file leaves the model in use.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&model_file, b"{not a model").unwrap();
    assert!(!state.assistant.reload_model());
    let third = assist(&state, &token, "小学老师强制学生补课乱收费").await;
    assert_eq!(third["category"]["top"][0]["name"], "城乡建设");
}

#[tokio::test]
async fn a_model_trained_on_leaf_labels_proposes_leaf_codes_that_route() {
    use jiesu_classify::{Row, TrainOptions, Trainer};
    // A city's own orders labelled at level 3, by code, by name and by path of names.
    let rows = vec![
        Row::new("小区停水三天", "小区停水三天了，物业不管", "011003"),
        Row::new("物业乱收停车费", "小区物业违规收取停车费", "011003"),
        Row::new("物业不修路灯", "小区路灯坏了一个月，物业不修", "011003"),
        Row::new(
            "学校乱收费",
            "小学乱收补课费，老师强制学生补课",
            "教育文体/教育收费/乱收费",
        ),
        Row::new(
            "补课乱收费",
            "中学老师强制学生参加收费补课",
            "教育文体/教育收费/乱收费",
        ),
        Row::new(
            "幼儿园收费高",
            "幼儿园乱收费，收费标准不公开",
            "教育文体/教育收费/乱收费",
        ),
        Row::new("出租车拒载", "出租车司机拒载乘客还绕路", "交通运输"),
        Row::new("网约车绕路", "网约车司机绕路多收费", "交通运输"),
        Row::new("出租车不打表", "出租车司机不打表乱要价", "交通运输"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let model_file = dir.path().join("category.json");
    Trainer::new(TrainOptions::default())
        .train(&rows)
        .unwrap()
        .save(&model_file)
        .unwrap();
    let store = open_store(&dir.path().join("jiesu.db"), true).await;
    let clock = Arc::new(ManualClock::new(beijing(2026, 11, 23, 10, 0)));
    let state = AppState::with_model_file(store.clone(), clock, Some(model_file))
        .await
        .unwrap();
    let (token, hash) = jiesu_server::auth::new_token();
    store.add_token(&hash, "agent").await.unwrap();
    let a = assist(&state, &token, "我们小区物业乱收停车费").await;
    let top = &a["category"]["top"][0];
    assert_eq!(
        (&top["code"], &top["level"]),
        (&json!("011003"), &json!(3)),
        "{a}"
    );
    // The leaf routes by its catalog default unit (物业服务 → 住建委).
    assert_eq!(a["unit"]["value"], "zjw", "{a}");

    let a = assist(&state, &token, "学校老师强制补课乱收费").await;
    let top = &a["category"]["top"][0];
    assert_eq!(top["code"], "140303", "{a}");
    assert_eq!(top["level"], 3);

    // A level-1 name stays level 1, though a level-2 node has the same name.
    let a = assist(&state, &token, "出租车司机拒载绕路").await;
    let top = &a["category"]["top"][0];
    assert_eq!(
        (&top["name"], &top["level"]),
        (&json!("交通运输"), &json!(1)),
        "{a}"
    );
    assert_eq!(top["code"].as_str().map(str::len), Some(2), "{a}");
}
