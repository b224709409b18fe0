//! The store story on a real SQLite file.

use super::*;
use crate::{IntakeQueue, RollupStore};
use chrono::{TimeZone, Utc};
use jiesu_core::{
    Actor, Caller, Channel, Command, Intake, MemoryDirectory, Status, Urgency, execute,
};
use std::sync::Arc;

fn intake(content: &str) -> Intake {
    Intake {
        channel: Channel::Phone,
        title: Some("噪音扰民".into()),
        content: content.into(),
        caller: Caller {
            name: "李四".into(),
            phone: "13900001111".into(),
        },
        address: Some("海淀区北下关".into()),
        district_code: Some("110108".into()),
        street_code: None,
        category_code: None,
        urgency: Urgency::Normal,
        confidential: false,
        external_ref: None,
    }
}

fn new_ticket(content: &str, key: Option<&str>, hour: u32) -> NewTicket {
    NewTicket {
        id: TicketId(uuid::Uuid::now_v7().to_string()),
        intake: intake(content),
        actor: Actor::new("agent1", Role::Agent),
        received_at: Utc.with_ymd_and_hms(2026, 11, 23, hour, 0, 0).unwrap(),
        idempotency_key: key.map(String::from),
        proposal: None,
    }
}

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("jiesu.db"))
        .await
        .unwrap();
    let reference = Reference {
        units: vec![
            Unit {
                code: "cgw".into(),
                name: "城管委".into(),
                kind: UnitKind::Bureau,
                district_code: None,
            },
            Unit {
                code: "swj".into(),
                name: "水务局".into(),
                kind: UnitKind::Bureau,
                district_code: None,
            },
        ],
        ..Reference::default()
    };
    store.replace_reference(&reference).await.unwrap();
    (dir, store)
}

fn directory() -> MemoryDirectory {
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
}

#[test]
fn chunks_take_few_sizes_and_keep_every_row() {
    let rows: Vec<usize> = (0..345).collect();
    let sizes: Vec<usize> = canonical_chunks(&rows).map(<[usize]>::len).collect();
    assert_eq!(sizes, [256, 64, 16, 4, 4, 1]);
    let back: Vec<usize> = canonical_chunks(&rows).flatten().copied().collect();
    assert_eq!(back, rows);
}

#[tokio::test]
async fn numbers_run_per_china_day_and_tickets_read_back() {
    let (_d, store) = open().await;
    // 16:00 UTC on the 23rd is midnight of the 24th in Beijing.
    let created = store
        .create_tickets(vec![
            new_ticket("a", None, 1),
            new_ticket("b", None, 2),
            new_ticket("c", None, 16),
        ])
        .await
        .unwrap();
    let numbers: Vec<_> = created.iter().map(|c| c.ticket.number.as_str()).collect();
    assert_eq!(
        numbers,
        ["20261123000001", "20261123000002", "20261124000001"]
    );
    let more = store
        .create_tickets(vec![new_ticket("d", None, 3)])
        .await
        .unwrap();
    assert_eq!(more[0].ticket.number, "20261123000003");

    let t = &created[1].ticket;
    assert_eq!(store.ticket(&t.id.0).await.unwrap(), *t);
    assert_eq!(store.ticket(&t.number).await.unwrap(), *t);
    let events = store.events(&t.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(jiesu_core::replay(&events).as_ref(), Some(t));
    assert!(matches!(
        store.ticket("nope").await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn idempotency_key_never_makes_a_second_ticket() {
    let (_d, store) = open().await;
    let first = store
        .create_tickets(vec![new_ticket("x", Some("agent1:k1"), 1)])
        .await
        .unwrap();
    // Same key again, and twice within one batch.
    let again = store
        .create_tickets(vec![
            new_ticket("x", Some("agent1:k1"), 1),
            new_ticket("y", Some("agent1:k2"), 1),
            new_ticket("y", Some("agent1:k2"), 1),
        ])
        .await
        .unwrap();
    assert!(again[0].existed);
    assert_eq!(again[0].ticket.id, first[0].ticket.id);
    assert!(!again[1].existed);
    assert!(again[2].existed);
    assert_eq!(again[1].ticket.id, again[2].ticket.id);
    assert_eq!(store.count_tickets().await.unwrap(), 2);
}

#[tokio::test]
async fn keys_survive_a_restart_and_imports_dedupe_by_external_ref() {
    let (dir, store) = open().await;
    // Keys are remembered for a day of the real clock: the ticket is from an hour ago.
    let keyed = NewTicket {
        received_at: Utc::now() - chrono::TimeDelta::hours(1),
        ..new_ticket("x", Some("agent1:k1"), 1)
    };
    let first = store
        .create_tickets(vec![keyed.clone()])
        .await
        .unwrap()
        .remove(0)
        .ticket;
    let mut imported = new_ticket("history", None, 1);
    imported.intake.external_ref = Some("baltimore311:18-1".into());
    store.create_tickets(vec![imported.clone()]).await.unwrap();
    drop(store);

    let store = SqliteStore::open(&dir.path().join("jiesu.db"))
        .await
        .unwrap();
    let again = store
        .create_tickets(vec![
            NewTicket {
                id: TicketId(uuid::Uuid::now_v7().to_string()),
                ..keyed
            },
            imported,
        ])
        .await
        .unwrap();
    assert!(again.iter().all(|c| c.existed));
    assert_eq!(again[0].ticket.id, first.id);
    assert_eq!(store.count_tickets().await.unwrap(), 2);
}

#[tokio::test]
async fn stale_append_conflicts_and_changes_nothing() {
    let (_d, store) = open().await;
    let t = store
        .create_tickets(vec![new_ticket("a", None, 1)])
        .await
        .unwrap()
        .remove(0)
        .ticket;
    let dir = directory();
    let admin = Actor::new("root", Role::Admin);
    let dispatch = |u: &str| Command::Dispatch {
        lead_unit: u.into(),
        assisting_units: vec![],
        note: None,
        routing: None,
    };
    let (records, next) = execute(Some(&t), &dispatch("cgw"), &admin, Utc::now(), &dir).unwrap();
    store.append(t.version, &records, &next).await.unwrap();
    // A second writer that read the old version loses.
    let (records2, next2) = execute(Some(&t), &dispatch("swj"), &admin, Utc::now(), &dir).unwrap();
    let err = store
        .append(t.version, &records2, &next2)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    let stored = store.ticket(&t.id.0).await.unwrap();
    assert_eq!(stored.lead_unit.as_deref(), Some("cgw"));
    assert_eq!(store.events(&t.id).await.unwrap().len(), 2);

    // Units see the tickets they are involved in.
    let mine = store
        .list_tickets(&TicketFilter {
            unit: Some("cgw".into()),
            limit: 10,
            ..TicketFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.items.len(), 1);
    let theirs = store
        .list_tickets(&TicketFilter {
            unit: Some("swj".into()),
            limit: 10,
            ..TicketFilter::default()
        })
        .await
        .unwrap();
    assert!(theirs.items.is_empty());
}

#[tokio::test]
async fn event_log_is_append_only() {
    let (_d, store) = open().await;
    store
        .create_tickets(vec![new_ticket("a", None, 1)])
        .await
        .unwrap();
    let err = sqlx::query("UPDATE ticket_events SET kind = 'x'")
        .execute(&store.write)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"));
    assert!(
        sqlx::query("DELETE FROM ticket_events")
            .execute(&store.write)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn lists_filter_and_page_with_a_cursor() {
    let (_d, store) = open().await;
    let batch = (0..25)
        .map(|i| {
            new_ticket(
                if i % 5 == 0 {
                    "水管爆裂 100%"
                } else {
                    "噪音"
                },
                None,
                1,
            )
        })
        .collect();
    store.create_tickets(batch).await.unwrap();
    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let page = store
            .list_tickets(&TicketFilter {
                cursor,
                limit: 10,
                ..TicketFilter::default()
            })
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|t| t.number));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen[0], "20261123000025", "newest first");
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);

    let hits = store
        .list_tickets(&TicketFilter {
            text: Some("100%".into()),
            status: Some(Status::Received),
            limit: 50,
            ..TicketFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(hits.items.len(), 5);
    let none = store
        .list_tickets(&TicketFilter {
            text: Some("10_%".into()),
            limit: 50,
            ..TicketFilter::default()
        })
        .await
        .unwrap();
    assert!(
        none.items.is_empty(),
        "LIKE wildcards in the query are literal"
    );
}

#[tokio::test]
async fn group_commit_gives_every_concurrent_ticket_its_own_number() {
    let (dir, store) = open().await;
    let store: crate::DynStore = Arc::new(store);
    let queue = IntakeQueue::start(store.clone());
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let q = queue.clone();
            tokio::spawn(async move { q.create(new_ticket(&format!("t{i}"), None, 1)).await })
        })
        .collect();
    let mut numbers = std::collections::HashSet::new();
    for t in tasks {
        numbers.insert(t.await.unwrap().unwrap().ticket.number);
    }
    assert_eq!(numbers.len(), 300);
    drop(queue);
    drop(store);
    // Everything acknowledged is in the file after reopening.
    let reopened = SqliteStore::open(&dir.path().join("jiesu.db"))
        .await
        .unwrap();
    assert_eq!(reopened.count_tickets().await.unwrap(), 300);
}

#[tokio::test]
async fn users_and_tokens() {
    let (_d, store) = open().await;
    let user = User {
        name: "u1".into(),
        role: Role::Unit,
        unit: Some("cgw".into()),
        password_hash: "$argon2id$x".into(),
    };
    store.create_user(&user).await.unwrap();
    assert!(matches!(
        store.create_user(&user).await,
        Err(StoreError::Conflict(_))
    ));
    store.add_token("h1", "u1").await.unwrap();
    let found = store.user_by_token("h1").await.unwrap();
    assert_eq!(
        (found.role, found.unit.as_deref()),
        (Role::Unit, Some("cgw"))
    );
    assert!(matches!(
        store.user_by_token("h2").await,
        Err(StoreError::NotFound)
    ));
    // Tokens expire after 30 days and end when revoked.
    sqlx::query("INSERT INTO tokens (hash, user_name, created_at) VALUES ('old', 'u1', $1)")
        .bind(millis(
            Utc::now() - TOKEN_LIFETIME - chrono::Duration::minutes(1),
        ))
        .execute(&store.write)
        .await
        .unwrap();
    assert!(matches!(
        store.user_by_token("old").await,
        Err(StoreError::NotFound)
    ));
    store.revoke_token("h1").await.unwrap();
    assert!(matches!(
        store.user_by_token("h1").await,
        Err(StoreError::NotFound)
    ));
    // A unit user must belong to an existing unit.
    let ghost = User {
        name: "u2".into(),
        unit: Some("nope".into()),
        ..user
    };
    assert!(store.create_user(&ghost).await.is_err());
}

#[tokio::test]
async fn two_tickets_cannot_be_merged_into_each_other() {
    let (_d, store) = open().await;
    let made = store
        .create_tickets(vec![new_ticket("a", None, 1), new_ticket("b", None, 1)])
        .await
        .unwrap();
    let (a, b) = (made[0].ticket.clone(), made[1].ticket.clone());
    let dir = directory();
    let admin = Actor::new("root", Role::Admin);
    let merge = |into: &jiesu_core::Ticket| Command::Merge {
        master_id: into.id.clone(),
        master_status: into.status,
    };
    // Both decided while both were open; the second write finds its master merged.
    let (ra, na) = execute(Some(&a), &merge(&b), &admin, Utc::now(), &dir).unwrap();
    let (rb, nb) = execute(Some(&b), &merge(&a), &admin, Utc::now(), &dir).unwrap();
    store.append(a.version, &ra, &na).await.unwrap();
    let err = store.append(b.version, &rb, &nb).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(
        store.ticket(&b.id.0).await.unwrap().status,
        Status::Received
    );
}

#[tokio::test]
async fn dispatch_rule_versions_are_kept_with_who_and_why_and_never_changed() {
    let (_dir, store) = open().await;
    assert!(store.dispatch_rule_versions().await.unwrap().is_empty());
    let mut rules = jiesu_core::dispatch::RuleSet::defaults();
    store
        .save_dispatch_rules(&rules, "system", None)
        .await
        .unwrap();
    rules.version = 2;
    rules.scenes.pop();
    store
        .save_dispatch_rules(&rules, "admin", Some("市场场景改由街道负责"))
        .await
        .unwrap();
    assert!(matches!(
        store.save_dispatch_rules(&rules, "admin", None).await,
        Err(StoreError::Conflict(_))
    ));
    let versions = store.dispatch_rule_versions().await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].rules, rules);
    assert_eq!(versions[1].created_by, "admin");
    assert_eq!(versions[1].note.as_deref(), Some("市场场景改由街道负责"));
    assert_eq!(versions[0].rules.scenes.len(), 5);
    let changed = sqlx::query("UPDATE dispatch_rule_sets SET created_by = 'x'")
        .execute(&store.write)
        .await;
    assert!(changed.is_err(), "the audit is append-only");
}

// ---- rollups ----------------------------------------------------------------------------

/// Runs the commands on the stored ticket one after the other (by an admin, ten minutes
/// apart from `at`) through the store's normal append; returns the last state.
async fn drive(
    store: &SqliteStore,
    ticket: &jiesu_core::Ticket,
    at: chrono::DateTime<Utc>,
    commands: &[Command],
) -> jiesu_core::Ticket {
    let dir = directory();
    let admin = Actor::new("root", Role::Admin);
    let mut t = ticket.clone();
    for (i, c) in commands.iter().enumerate() {
        let when = at + chrono::Duration::minutes(10 * i64::try_from(i).unwrap());
        let (records, next) = execute(Some(&t), c, &admin, when, &dir)
            .unwrap_or_else(|e| panic!("{c:?} refused: {e}"));
        store.append(t.version, &records, &next).await.unwrap();
        t = next;
    }
    t
}

fn dispatch_to(unit: &str) -> Command {
    Command::Dispatch {
        lead_unit: unit.into(),
        assisting_units: vec![],
        note: None,
        routing: None,
    }
}

fn answer_directly() -> Command {
    Command::Answer {
        entry_id: None,
        entry_version: None,
        text: "按政策口径答复".into(),
    }
}

fn callback(resolved: bool) -> Command {
    Command::Callback {
        reached: true,
        resolved: Some(resolved),
        satisfaction: Some(if resolved {
            jiesu_core::Satisfaction::Satisfied
        } else {
            jiesu_core::Satisfaction::Unsatisfied
        }),
        note: None,
    }
}

/// Creates the tickets in one batch; their states.
async fn created(store: &SqliteStore, batch: Vec<NewTicket>) -> Vec<jiesu_core::Ticket> {
    store
        .create_tickets(batch)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.ticket)
        .collect()
}

async fn all_logs(store: &SqliteStore, tickets: &[&jiesu_core::Ticket]) -> Vec<Vec<EventRecord>> {
    let ids: Vec<TicketId> = tickets.iter().map(|t| t.id.clone()).collect();
    store.logs(&ids).await.unwrap()
}

#[tokio::test]
async fn live_rollups_equal_the_ones_rebuilt_from_the_log() {
    let (_d, store) = open().await;
    let mut batch: Vec<NewTicket> = (0..6)
        .map(|i| new_ticket(&format!("t{i}"), None, 1 + i % 2))
        .collect();
    batch[1].intake.street_code = Some("110108011".into());
    batch[2].intake.category_code = Some("010101".into());
    batch[3].intake.channel = Channel::Web;
    batch[4].intake.title = Some("咨询社保".into());
    let t: Vec<_> = created(&store, batch).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
    drive(
        &store,
        &t[0],
        at,
        &[
            dispatch_to("cgw"),
            Command::Acknowledge,
            Command::Reply {
                outcome: jiesu_core::ReplyOutcome::Solved,
                text: "已处理".into(),
            },
            callback(true),
        ],
    )
    .await;
    let t1 = drive(
        &store,
        &t[1],
        at,
        &[answer_directly(), callback(false), dispatch_to("swj")],
    )
    .await;
    let t2 = drive(
        &store,
        &t[2],
        at,
        &[
            dispatch_to("cgw"),
            Command::Return {
                reason: "不属于本单位职责".into(),
            },
            Command::Review {
                decision: jiesu_core::ReviewDecision::Uphold,
                redispatch_to: Some("swj".into()),
                assisting_units: vec![],
                note: None,
                flag_rule: false,
                routing: None,
            },
        ],
    )
    .await;
    drive(
        &store,
        &t[3],
        at,
        &[Command::Merge {
            master_id: t2.id.clone(),
            master_status: t2.status,
        }],
    )
    .await;
    drive(
        &store,
        &t[4],
        at,
        &[
            answer_directly(),
            Command::Close {
                reason: "来电人撤回".into(),
            },
        ],
    )
    .await;
    // Two tickets written in one transaction.
    let dir = directory();
    let admin = Actor::new("root", Role::Admin);
    let (r5, n5) = execute(Some(&t[5]), &dispatch_to("cgw"), &admin, at, &dir).unwrap();
    let (r1, n1) = execute(Some(&t1), &Command::Acknowledge, &admin, at, &dir).unwrap();
    let appends = [
        Append {
            expected_version: t[5].version,
            records: r5,
            state: n5,
        },
        Append {
            expected_version: t1.version,
            records: r1,
            state: n1,
        },
    ];
    store.append_many(&appends).await.unwrap();

    let live = store.rollups().await.unwrap();
    let logs = all_logs(&store, &t.iter().collect::<Vec<_>>()).await;
    assert_eq!(live, jiesu_core::rollup::rebuild(&logs));
    assert!(live.units().count() > 0, "units were counted too");
    let zeros: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rollup_volume WHERE n = 0")
        .fetch_one(&store.read)
        .await
        .unwrap();
    assert_eq!(zeros, 0, "rows that come back to zero are deleted");

    // The bucket counters kept live equal those derived from the volume rows, and the
    // outcome moves above (answered, dispatched) cancelled out for the other dimensions.
    let live_buckets = all_buckets(&store).await;
    let derived: Vec<(String, String, i64, String, i64)> =
        jiesu_core::analytics::bucket_deltas(live.iter().filter_map(|(row, n)| match row {
            jiesu_core::rollup::Row::Volume(k) => Some((k, n)),
            jiesu_core::rollup::Row::Unit(_) => None,
        }))
        .into_iter()
        .map(|(k, n)| {
            (
                k.grain.as_str().to_string(),
                k.dim.as_str().to_string(),
                millis(k.bucket),
                k.key,
                n,
            )
        })
        .collect();
    assert_eq!(live_buckets, derived);
    let channel_total: i64 = live_buckets
        .iter()
        .filter(|b| b.0 == "d" && b.1 == "channel")
        .map(|b| b.4)
        .sum();
    assert_eq!(
        channel_total, 6,
        "every ticket counted once a day by channel"
    );

    let written = store.rebuild_rollups().await.unwrap();
    assert_eq!(written, live.len());
    assert_eq!(store.rollups().await.unwrap(), live);
    assert_eq!(all_buckets(&store).await, live_buckets, "rebuilt == live");
}

/// Every bucket counter, in key order (`grain, dim, bucket, key, n`).
async fn all_buckets(store: &SqliteStore) -> Vec<(String, String, i64, String, i64)> {
    let mut rows: Vec<(String, String, i64, String, i64)> =
        sqlx::query_as("SELECT grain, dim, bucket, key, n FROM rollup_buckets")
            .fetch_all(&store.read)
            .await
            .unwrap();
    assert!(rows.iter().all(|r| r.4 != 0), "no counter left at zero");
    // In the order of the core's keys: grain h < d, dimensions in declaration order.
    let grain = |g: &str| usize::from(g == "d");
    let dim = |d: &str| {
        jiesu_core::analytics::Dim::ALL
            .iter()
            .position(|x| x.as_str() == d)
    };
    rows.sort_by(|a, b| {
        (grain(&a.0), dim(&a.1), a.2, &a.3).cmp(&(grain(&b.0), dim(&b.1), b.2, &b.3))
    });
    rows
}

#[tokio::test]
async fn rollups_loaded_in_bulk_add_to_the_live_ones() {
    let (_d, store) = open().await;
    let t: Vec<_> = created(
        &store,
        (0..3)
            .map(|i| new_ticket(&format!("t{i}"), None, 1))
            .collect(),
    )
    .await;
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
    drive(
        &store,
        &t[0],
        at,
        &[dispatch_to("cgw"), Command::Acknowledge],
    )
    .await;
    let live = store.rollups().await.unwrap();
    let logs = all_logs(&store, &t.iter().collect::<Vec<_>>()).await;
    // History folded elsewhere: the same tickets once more, loaded without their events.
    let history = jiesu_core::rollup::rebuild(&logs);
    assert_eq!(store.load_rollups(&history).await.unwrap(), history.len());
    let loaded = store.rollups().await.unwrap();
    let volume = |r: &jiesu_core::rollup::Rollups| r.volumes().map(|(_, n)| n).sum::<i64>();
    assert_eq!(volume(&loaded), 2 * volume(&live));
    assert_eq!(volume(&loaded), 6);
    for (row, n) in live.iter() {
        assert_eq!(loaded.get(row), 2 * n);
    }
    // Loading nothing writes nothing.
    let empty = jiesu_core::rollup::Rollups::new();
    assert_eq!(store.load_rollups(&empty).await.unwrap(), 0);
    assert_eq!(store.rollups().await.unwrap(), loaded);
}

#[tokio::test]
async fn an_hour_on_a_street_counts_one_answered_and_two_dispatched() {
    use jiesu_core::rollup::{Figure, Outcome, RequestType, RollupKey, Row, UnitKey};
    let (_d, store) = open().await;
    let batch = (0..3)
        .map(|i| {
            let mut n = new_ticket(&format!("t{i}"), None, 8);
            n.intake.street_code = Some("110108011".into());
            n
        })
        .collect();
    let t: Vec<_> = created(&store, batch).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 8, 20, 0).unwrap();
    drive(&store, &t[0], at, &[answer_directly()]).await;
    drive(&store, &t[1], at, &[dispatch_to("cgw")]).await;
    drive(&store, &t[2], at, &[dispatch_to("cgw")]).await;

    let r = store.rollups().await.unwrap();
    let row = |outcome| {
        Row::Volume(RollupKey {
            hour: Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap(),
            category: None,
            district: Some("110108".into()),
            street: Some("110108011".into()),
            channel: Channel::Phone,
            request_type: RequestType::Complaint,
            outcome,
        })
    };
    assert_eq!(r.get(&row(Outcome::Received)), 0);
    assert_eq!(r.get(&row(Outcome::Answered)), 1);
    assert_eq!(r.get(&row(Outcome::Dispatched)), 2);
    assert_eq!(
        r.volumes().map(|(_, n)| n).sum::<i64>(),
        3,
        "one row per ticket"
    );
    let cgw = Row::Unit(UnitKey {
        hour: Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap(),
        unit: "cgw".into(),
        figure: Figure::Dispatched,
    });
    assert_eq!(r.get(&cgw), 2);
    assert_eq!(r.len(), 3);
}

#[tokio::test]
async fn a_database_from_before_rollups_gets_them_counted_on_open() {
    let (dir, store) = open().await;
    let t: Vec<_> = created(
        &store,
        vec![new_ticket("a", None, 1), new_ticket("b", None, 2)],
    )
    .await;
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
    drive(&store, &t[0], at, &[dispatch_to("cgw")]).await;
    let live = store.rollups().await.unwrap();
    // As the upgrade leaves it: empty tables, a rebuild pending.
    for sql in [
        "DELETE FROM rollup_volume",
        "DELETE FROM rollup_units",
        "INSERT INTO meta (key, value) VALUES ('rollups_rebuild', 'pending')",
    ] {
        sqlx::query(sql).execute(&store.write).await.unwrap();
    }
    drop(store);
    let store = SqliteStore::open(&dir.path().join("jiesu.db"))
        .await
        .unwrap();
    assert_eq!(store.rollups().await.unwrap(), live);
    assert_eq!(store.meta("rollups_rebuild").await.unwrap(), None);
    // Counting goes on from there.
    drive(&store, &t[1], at, &[answer_directly()]).await;
    let logs = all_logs(&store, &t.iter().collect::<Vec<_>>()).await;
    assert_eq!(
        store.rollups().await.unwrap(),
        jiesu_core::rollup::rebuild(&logs)
    );
}

#[tokio::test]
async fn term_counts_add_up_per_hour_day_and_week_and_read_back_top_first() {
    use crate::AnalyticsStore;
    use jiesu_core::analytics::Grain;
    let (_d, store) = open().await;
    // Monday 23 November 2026, 10:00 and 11:00 Beijing.
    let ten = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();
    let eleven = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
    let counts = |pairs: &[(&str, i64)]| -> Vec<(String, i64)> {
        pairs.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    };
    store
        .add_term_counts(ten, &counts(&[("停水", 3), ("路灯", 1), ("噪音", 2)]))
        .await
        .unwrap();
    store
        .record_terms(42, &[(eleven, counts(&[("路灯", 4)]))])
        .await
        .unwrap();
    assert_eq!(store.terms_cursor().await.unwrap(), 42);
    assert_eq!(
        store.top_terms(Grain::Hour, ten, 2).await.unwrap(),
        counts(&[("停水", 3), ("噪音", 2)])
    );
    let day = Grain::Day.bucket_of(ten);
    assert_eq!(
        store.top_terms(Grain::Day, day, 1).await.unwrap(),
        counts(&[("路灯", 5)])
    );
    let week = Grain::Week.bucket_of(eleven);
    let mut some = store
        .term_counts(Grain::Week, week, &["停水".into(), "没有".into()])
        .await
        .unwrap();
    some.sort();
    assert_eq!(some, counts(&[("停水", 3)]));
}

#[tokio::test]
async fn key_counts_sum_the_asked_keys_over_the_asked_hours_only() {
    use crate::AnalyticsStore;
    use jiesu_core::analytics::{Dim, Grain};
    let (_d, store) = open().await;
    // 北下关: two at 08:00 and one at 09:00 (UTC); 紫竹院: one at 08:00 and one at 10:00.
    let placed = [
        ("110108007", 8),
        ("110108007", 8),
        ("110108007", 9),
        ("110108011", 8),
        ("110108011", 10),
    ];
    let batch = placed
        .iter()
        .enumerate()
        .map(|(i, (street, hour))| {
            let mut n = new_ticket(&format!("k{i}"), None, *hour);
            n.intake.street_code = Some((*street).into());
            n
        })
        .collect();
    store.create_tickets(batch).await.unwrap();
    let h = |hour| Utc.with_ymd_and_hms(2026, 11, 23, hour, 0, 0).unwrap();
    let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let both = store
        .key_counts(
            Grain::Hour,
            Dim::Street,
            &[h(8), h(9)],
            &keys(&["110108007", "110108011"]),
        )
        .await
        .unwrap();
    assert_eq!(
        both,
        vec![("110108007".to_string(), 3), ("110108011".to_string(), 1)]
    );
    // The same as the scan of those hours, restricted to the key.
    let scanned = store
        .bucket_counts(Grain::Hour, Dim::Street, h(8), h(10))
        .await
        .unwrap();
    assert!(scanned.contains(&("110108007".to_string(), 3)));
    let one = store
        .key_counts(Grain::Hour, Dim::Street, &[h(10)], &keys(&["110108007"]))
        .await
        .unwrap();
    assert!(
        one.is_empty(),
        "no ticket of that street in that hour: {one:?}"
    );
}

#[tokio::test]
async fn bulk_loaded_history_survives_a_pending_rebuild_on_open() {
    let (dir, store) = open().await;
    // History folded elsewhere and loaded as rollups only, as `jiesu gen --load` leaves it.
    let t: Vec<_> = created(&store, vec![new_ticket("a", None, 1)]).await;
    let history =
        jiesu_core::rollup::rebuild(&all_logs(&store, &t.iter().collect::<Vec<_>>()).await);
    store.load_rollups(&history).await.unwrap();
    store
        .set_meta("rollups_history", "bulk-loaded")
        .await
        .unwrap();
    let loaded = store.rollups().await.unwrap();
    // A later upgrade asks for a rebuild from the event log.
    sqlx::query("INSERT INTO meta (key, value) VALUES ('rollups_rebuild', 'pending')")
        .execute(&store.write)
        .await
        .unwrap();
    drop(store);
    let store = SqliteStore::open(&dir.path().join("jiesu.db"))
        .await
        .unwrap();
    assert_eq!(
        store.rollups().await.unwrap(),
        loaded,
        "the history with no events is kept"
    );
}
