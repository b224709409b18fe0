//! Analytics against a real SQLite file: five weeks of steady traffic with one burst of one
//! problem on one street raises exactly one alert, pushed to listeners, listing the orders
//! behind it; hot topics show hand-checked growth; bad parameters are 422s naming them.

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::{TestUser, next_event, request, send};
use jiesu_core::analytics::{Dim, Grain};
use jiesu_core::{Actor, Caller, Channel, Intake, Role, TicketId, Urgency};
use jiesu_server::app;
use jiesu_store::{DynStore, NewTicket};
use serde_json::Value;
use std::collections::BTreeSet;
use tower::ServiceExt;

const USERS: &[TestUser] = &[
    ("analyst", Role::Analyst, None),
    ("dispatcher", Role::Dispatcher, None),
    ("agent", Role::Agent, None),
];

/// A cell of traffic: a leaf category, a street of a district, and the title its callers give.
#[derive(Debug, Clone)]
struct Cell {
    category: String,
    district: String,
    street: String,
    title: &'static str,
}

/// Three leaf categories and three streets of Beijing's reference data.
fn places() -> (Vec<String>, Vec<(String, String)>) {
    let city = jiesu_reference::beijing();
    let leaves: Vec<String> = city
        .catalog
        .iter()
        .filter(|c| c.level == 3)
        .take(3)
        .map(|c| c.code.clone())
        .collect();
    let streets: Vec<(String, String)> = city
        .divisions
        .iter()
        .filter_map(|d| Some((d.parent_code.clone()?, d.code.clone())))
        .take(3)
        .collect();
    (leaves, streets)
}

const TITLES: [&str; 3] = ["小区停水", "夜间施工噪音", "路灯不亮"];

fn ticket(cell: &Cell, at: DateTime<Utc>) -> NewTicket {
    NewTicket {
        id: TicketId(uuid::Uuid::now_v7().to_string()),
        intake: Intake {
            channel: Channel::Phone,
            title: Some(cell.title.to_string()),
            content: format!("{}，请尽快处理。", cell.title),
            caller: Caller {
                name: "王五".into(),
                phone: "13800001111".into(),
            },
            address: None,
            district_code: Some(cell.district.clone()),
            street_code: Some(cell.street.clone()),
            category_code: Some(cell.category.clone()),
            urgency: Urgency::Normal,
            confidential: false,
            external_ref: None,
        },
        actor: Actor::new("agent", Role::Agent),
        received_at: at,
        idempotency_key: None,
        proposal: None,
    }
}

/// Writes tickets in batches; returns their ids, in order.
async fn write(store: &DynStore, batch: Vec<NewTicket>) -> Vec<TicketId> {
    let mut ids = Vec::new();
    for chunk in batch.chunks(2000) {
        for c in store.create_tickets(chunk.to_vec()).await.unwrap() {
            ids.push(c.ticket.id);
        }
    }
    ids
}

/// Steady background traffic from `start` for `hours` hours: in every hour each cell
/// (category × street) gets 0, 1 or 2 tickets (mean 1, a fixed pseudo-random sequence), so a
/// category or a street has 0 to 6 an hour, never a spike. Returns the tickets written with
/// their cell and hour. Kept in one function: a library generator will replace it.
async fn background(
    store: &DynStore,
    cells: &[Cell],
    start: DateTime<Utc>,
    hours: i64,
) -> Vec<(usize, DateTime<Utc>, TicketId)> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut batch = Vec::new();
    let mut keys = Vec::new();
    for h in 0..hours {
        let hour = start + TimeDelta::hours(h);
        for (i, cell) in cells.iter().enumerate() {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let n = (state >> 33) % 3;
            for k in 0..n {
                let at = hour + TimeDelta::minutes(7 + 20 * k as i64 + i as i64);
                batch.push(ticket(cell, at));
                keys.push((i, hour));
            }
        }
    }
    let ids = write(store, batch).await;
    keys.into_iter()
        .zip(ids)
        .map(|((i, h), id)| (i, h, id))
        .collect()
}

use common::World as App;

async fn app_at(now: DateTime<Utc>) -> App {
    App::fresh(USERS, now).await
}

impl App {
    async fn get(&self, who: &str, uri: &str) -> (StatusCode, Value) {
        send(&self.state, Some(&self.tokens[who]), "GET", uri, None).await
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

#[tokio::test]
async fn a_burst_of_one_problem_on_one_street_raises_one_alert_with_its_orders() {
    // Five weeks from Monday 19 October 2026, 00:00 Beijing.
    let start = utc(2026, 10, 18, 16);
    let hours = 5 * 7 * 24;
    let t = app_at(start).await;
    let (leaves, streets) = places();
    let mut cells = Vec::new();
    for (c, category) in leaves.iter().enumerate() {
        for (district, street) in &streets {
            cells.push(Cell {
                category: category.clone(),
                district: district.clone(),
                street: street.clone(),
                title: TITLES[c],
            });
        }
    }
    let traffic = background(&t.store, &cells, start, hours).await;

    // The burst: 25 calls about the first category on the second street, Sunday 22 November
    // 10:00-11:00 Beijing.
    let spike_hour = utc(2026, 11, 22, 2);
    let target = 1; // category 0, street 1
    let burst: Vec<NewTicket> = (0..25)
        .map(|k| ticket(&cells[target], spike_hour + TimeDelta::minutes(2 * k + 1)))
        .collect();
    let burst_ids = write(&t.store, burst).await;

    // A supervisor's page listens for notices.
    let listening = app(t.state.clone())
        .oneshot(request(
            Some(&t.tokens["analyst"]),
            "GET",
            "/api/v1/notices",
            None,
        ))
        .await
        .unwrap();
    assert_eq!(listening.status(), StatusCode::OK);
    let mut stream = listening.into_body();

    // The watch runs at each new hour across the burst and after it, twice each time.
    let mut raised = Vec::new();
    for h in -2..=3 {
        let now = spike_hour + TimeDelta::hours(h) + TimeDelta::seconds(20);
        t.clock.set(now);
        for _ in 0..2 {
            raised.extend(
                jiesu_server::analytics::raise_alerts(&t.state, now)
                    .await
                    .unwrap(),
            );
        }
    }
    assert_eq!(raised.len(), 1, "{raised:#?}");
    let alert = &raised[0];
    assert_eq!(alert.hour, spike_hour);
    assert_eq!(alert.spike.dim, Dim::Category3);
    assert_eq!(alert.spike.key, leaves[0]);
    assert_eq!(alert.spike.street.as_deref(), Some(streets[1].1.as_str()));
    let background_cell: Vec<&TicketId> = traffic
        .iter()
        .filter(|(i, h, _)| *i == target && *h == spike_hour)
        .map(|(_, _, id)| id)
        .collect();
    let background_category = traffic
        .iter()
        .filter(|(i, h, _)| *i / streets.len() == 0 && *h == spike_hour)
        .count();
    assert_eq!(alert.spike.count, 25 + background_category as i64);
    assert!(
        alert.spike.z >= 4.0 && alert.spike.expected < 7.0,
        "{alert:?}"
    );

    // Pushed at once.
    let (name, notice) = next_event(&mut stream).await;
    assert_eq!(name, "alert.raised");
    assert_eq!(notice["data"]["id"], alert.id);
    assert_eq!(notice["data"]["key"], leaves[0].as_str());
    assert_eq!(notice["data"]["street"], streets[1].1.as_str());
    assert!(!notice["data"]["name"].as_str().unwrap().is_empty());

    // Listed, and the orders behind it are the burst and the background of that cell.
    let (status, list) = t.get("analyst", "/api/v1/alerts").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, one) = t
        .get("analyst", &format!("/api/v1/alerts/{}", alert.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let orders: BTreeSet<&str> = one["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = burst_ids
        .iter()
        .chain(background_cell)
        .map(|id| id.0.as_str())
        .collect();
    assert_eq!(orders, expected);
    let times: Vec<&str> = one["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["received_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // The read-only check of that hour says the same; an hour later nothing.
    let at = |t: DateTime<Utc>| t.to_rfc3339().replace('+', "%2B");
    let (status, check) = t
        .get(
            "analyst",
            &format!(
                "/api/v1/analytics/spikes?at={}",
                at(spike_hour + TimeDelta::minutes(70))
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    let spikes = check["spikes"].as_array().unwrap();
    assert_eq!(spikes.len(), 1, "{check}");
    assert_eq!(spikes[0]["code"], leaves[0].as_str());
    assert!(check["statistic"].as_str().unwrap().contains("poisson"));
    let (_, later) = t
        .get(
            "analyst",
            &format!(
                "/api/v1/analytics/spikes?at={}",
                at(spike_hour + TimeDelta::minutes(130))
            ),
        )
        .await;
    assert_eq!(later["spikes"], Value::Array(vec![]));

    // The street ranking of November counts every ticket of the month on each street.
    let (status, ranking) = t
        .get(
            "analyst",
            "/api/v1/analytics/ranking?month=2026-11&by=street",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ranking}");
    let november = utc(2026, 10, 31, 16);
    let rows = ranking["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for (s, (district, street)) in streets.iter().enumerate() {
        let mut count = traffic
            .iter()
            .filter(|(i, h, _)| *i % streets.len() == s && *h >= november)
            .count();
        if s == 1 {
            count += 25;
        }
        let row = rows.iter().find(|r| r["code"] == street.as_str()).unwrap();
        assert_eq!(row["count"], count, "{street}");
        assert_eq!(row["district"], district.as_str());
    }
    assert!(
        rows.windows(2)
            .all(|w| w[0]["count"].as_i64() >= w[1]["count"].as_i64())
    );
    let shares: f64 = rows.iter().map(|r| r["share"].as_f64().unwrap()).sum();
    assert!(
        (shares - 1.0).abs() < 1e-9,
        "three streets hold every ticket"
    );

    // Counters rebuilt from the event log equal the live ones.
    let read = async || {
        let mut all = Vec::new();
        for dim in Dim::ALL {
            for grain in [Grain::Hour, Grain::Day] {
                let mut c = t
                    .store
                    .bucket_counts(grain, *dim, start, start + TimeDelta::weeks(6))
                    .await
                    .unwrap();
                c.sort();
                all.push(c);
            }
        }
        all
    };
    let live = read().await;
    t.store.rebuild_rollups().await.unwrap();
    assert_eq!(read().await, live);
}

#[tokio::test]
async fn hot_topics_show_growth_against_the_hour_before_and_past_weeks() {
    // Monday 23 November 2026, 10:00-11:00 Beijing is the hour looked at.
    let hour = utc(2026, 11, 23, 2);
    let t = app_at(hour + TimeDelta::minutes(75)).await;
    let (leaves, streets) = places();
    let cell = |c: usize, s: usize| Cell {
        category: leaves[c].clone(),
        district: streets[s].0.clone(),
        street: streets[s].1.clone(),
        title: TITLES[c],
    };
    let mut batch = Vec::new();
    let mut add = |c: usize, s: usize, at: DateTime<Utc>, n: usize| {
        for k in 0..n {
            batch.push(ticket(
                &cell(c, s),
                at + TimeDelta::minutes(5 * k as i64 + 1),
            ));
        }
    };
    add(0, 0, hour, 3); // the hour: 3 of category 0 on street 0 …
    add(1, 1, hour, 1); // … and 1 of category 1 on street 1
    add(0, 0, hour - TimeDelta::hours(1), 2); // the hour before: 2
    add(0, 0, hour - TimeDelta::weeks(1), 1); // a week before: 1
    add(0, 0, hour - TimeDelta::weeks(2), 3); // two weeks before: 3
    write(&t.store, batch).await;
    let counted = jiesu_server::analytics::count_terms(&t.state)
        .await
        .unwrap();
    assert_eq!(counted, 10);
    assert_eq!(
        jiesu_server::analytics::count_terms(&t.state)
            .await
            .unwrap(),
        0,
        "each ticket counted once"
    );

    let (status, hot) = t
        .get(
            "dispatcher",
            "/api/v1/analytics/hot?window=hour&level=3&top=5",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{hot}");
    assert_eq!(hot["window"]["from"], "2026-11-23T02:00:00Z");
    assert_eq!(hot["previous"]["from"], "2026-11-23T01:00:00Z");
    assert_eq!(hot["total"], 4);
    assert_eq!(hot["previous_total"], 2);
    let top = &hot["categories"][0];
    assert_eq!(top["code"], leaves[0].as_str());
    assert_eq!(top["count"], 3);
    assert_eq!(top["previous"], 2);
    assert_eq!(top["growth"], 0.5);
    assert_eq!(top["baseline"], 1.0, "(1 + 3 + 0 + 0) / 4");
    assert_eq!(top["ratio"], 3.0);
    assert_eq!(
        hot["categories"][1]["growth"],
        Value::Null,
        "nothing before"
    );
    let water = hot["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "停水")
        .expect("停水 among the terms");
    assert_eq!(water["count"], 3);
    assert_eq!(water["previous"], 2);
    assert_eq!(water["growth"], 0.5);
    assert_eq!(water["baseline"], 1.0);
    assert_eq!(hot["streets"][0]["code"], streets[0].1.as_str());
    assert_eq!(hot["streets"][0]["count"], 3);
    assert_eq!(hot["streets"][0]["previous"], 2);

    // Monday is not over in Beijing, so the last complete day is Sunday 22 November: nothing.
    let (_, day) = t.get("analyst", "/api/v1/analytics/hot?window=day").await;
    assert_eq!(day["window"]["from"], "2026-11-21T16:00:00Z");
    assert_eq!(day["total"], 0);
    // The last complete week, 16-22 November, holds the ticket of a week ago (Monday 16
    // November 10:00); the week before it the three of two weeks ago.
    let (_, week) = t
        .get("analyst", "/api/v1/analytics/hot?window=week&level=1")
        .await;
    assert_eq!(week["window"]["from"], "2026-11-15T16:00:00Z");
    assert_eq!(week["total"], 1);
    assert_eq!(week["categories"][0]["code"], &leaves[0][..2]);
    assert_eq!(week["categories"][0]["previous"], 3);

    // Volume series: the hour and the one before, by channel.
    let (status, volume) = t
        .get(
            "analyst",
            "/api/v1/analytics/volume?from=2026-11-23&to=2026-11-24&grain=hour&by=channel",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{volume}");
    let phone = &volume["series"][0];
    assert_eq!(phone["key"], "phone");
    assert_eq!(phone["points"].as_array().unwrap().len(), 24);
    assert_eq!(phone["points"][9][1], 2, "09:00 Beijing");
    assert_eq!(phone["points"][10][1], 4, "10:00 Beijing");
}

#[tokio::test]
async fn bad_parameters_are_422_naming_them_and_roles_are_checked() {
    let t = app_at(utc(2026, 11, 23, 2)).await;
    for (uri, field) in [
        ("/api/v1/analytics/hot?window=year", "window"),
        ("/api/v1/analytics/hot?level=4", "level"),
        ("/api/v1/analytics/hot?top=0", "top"),
        ("/api/v1/analytics/hot?at=yesterday", "at"),
        ("/api/v1/analytics/ranking?month=2026-13", "month"),
        ("/api/v1/analytics/ranking?by=unit", "by"),
        ("/api/v1/analytics/volume?grain=minute", "grain"),
        (
            "/api/v1/analytics/volume?from=2026-01-01&to=2026-11-01",
            "from",
        ),
        ("/api/v1/alerts/abc", "id"),
    ] {
        let (status, body) = t.get("analyst", uri).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
        assert_eq!(body["error"]["field"], field, "{uri}");
    }
    let (status, _) = t.get("analyst", "/api/v1/alerts/7").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t.get("dispatcher", "/api/v1/analytics/hot").await;
    assert_eq!(status, StatusCode::OK);
    for uri in ["/api/v1/analytics/ranking", "/api/v1/alerts"] {
        let (status, _) = t.get("dispatcher", uri).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
    }
    let (status, _) = t.get("agent", "/api/v1/analytics/hot").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
