//! The generator against the shares it promises, on the real source data.

use super::*;
use chrono::{NaiveDate, TimeZone, Timelike};
use jiesu_core::rollup::{Outcome, rebuild};
use jiesu_core::{Event, Status, replay};
use std::sync::OnceLock;

fn source() -> &'static Source {
    static SOURCE: OnceLock<Source> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
        let labelled =
            std::fs::read_to_string(format!("{data}/teddy2020c/messages_labeled_train.csv"))
                .unwrap();
        let requests =
            std::fs::read_to_string(format!("{data}/baltimore_311/requests_sample.csv")).unwrap();
        Source::from_csv(&labelled, &requests).unwrap()
    })
}

fn generator(seed: u64) -> Generator {
    Generator::new(&jiesu_reference::beijing(), source(), seed).unwrap()
}

/// A Monday.
fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()
}

fn far() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

#[test]
fn hourly_counts_follow_the_daily_curve_and_weekends_are_lighter() {
    let g = generator(1);
    for date in [monday(), monday() + TimeDelta::days(5)] {
        let orders: Vec<Order> = g.day(date, 20_000, &[], far()).collect();
        assert_eq!(orders.len() as u64, g.volume(date, 20_000));
        let mut by_hour = [0_u64; 24];
        for o in &orders {
            let local = o.received_at.with_timezone(&jiesu_core::china_offset());
            assert_eq!(local.date_naive(), date);
            by_hour[local.hour() as usize] += 1;
        }
        let shares = hour_shares(date);
        for h in 0..24 {
            let got = by_hour[h] as f64 / orders.len() as f64;
            assert!(
                (got - shares[h]).abs() < 1e-3,
                "hour {h}: {got} vs {}",
                shares[h]
            );
        }
        // Night is low, mornings and afternoons peak.
        assert!(by_hour[3] * 10 < by_hour[10]);
        assert!(by_hour[15] > by_hour[20]);
        // Received in order, numbered in order.
        assert!(
            orders
                .windows(2)
                .all(|w| w[0].received_at <= w[1].received_at)
        );
    }
    assert_eq!(g.volume(monday() + TimeDelta::days(5), 1000), 800);
}

#[test]
fn category_and_street_shares_match_the_source_within_tolerance() {
    let g = generator(7);
    let orders: Vec<Order> = g.day(monday(), 60_000, &[], far()).collect();
    let n = orders.len() as f64;
    // Level 1: the labelled messages' shares (95 % of the load; 5 % for the others).
    let mut expected1: HashMap<String, f64> = HashMap::new();
    for (code, share) in g.category_shares() {
        *expected1.entry(code[..2].to_string()).or_default() += share;
    }
    let mut got1: HashMap<String, f64> = HashMap::new();
    for o in &orders {
        let code = o.intake.category_code.as_deref().unwrap();
        *got1.entry(code[..2].to_string()).or_default() += 1.0 / n;
    }
    assert_eq!(expected1.len(), 15);
    for (code, share) in &expected1 {
        let got = got1.get(code).copied().unwrap_or(0.0);
        assert!(
            (got - share).abs() < 0.01,
            "level 1 {code}: {got} vs {share}"
        );
    }
    // 城乡建设 is the biggest labelled class (203 of 914 messages).
    let catalog = jiesu_reference::catalog();
    let biggest = expected1
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(c, _)| c.clone())
        .unwrap();
    assert_eq!(
        catalog.iter().find(|n| n.code == biggest).unwrap().name,
        "城乡建设"
    );
    // Streets: per district, and the busiest street.
    let beijing = jiesu_reference::beijing();
    let mut expected_d: HashMap<String, f64> = HashMap::new();
    for (code, share) in g.street_shares() {
        *expected_d.entry(code[..6].to_string()).or_default() += share;
    }
    let mut got_d: HashMap<String, f64> = HashMap::new();
    let mut got_s: HashMap<String, f64> = HashMap::new();
    for o in &orders {
        let street = o.intake.street_code.as_deref().unwrap();
        assert!(street.starts_with(o.intake.district_code.as_deref().unwrap()));
        *got_d.entry(street[..6].to_string()).or_default() += 1.0 / n;
        *got_s.entry(street.to_string()).or_default() += 1.0 / n;
    }
    assert_eq!(expected_d.len(), beijing.districts().count());
    for (code, share) in &expected_d {
        let got = got_d.get(code).copied().unwrap_or(0.0);
        assert!(
            (got - share).abs() < 0.01,
            "district {code}: {got} vs {share}"
        );
    }
    let (top, top_share) = g
        .street_shares()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert!((got_s[top] - top_share).abs() < 0.004);
    // The text speaks of the generated district, not of the anonymised A市.
    let o = &orders[0];
    let district = beijing
        .division(o.intake.district_code.as_deref().unwrap())
        .unwrap();
    assert!(
        o.intake
            .address
            .as_deref()
            .unwrap()
            .starts_with(&district.name)
    );
    assert!(orders.iter().all(|o| !o.intake.content.contains("A市")));
}

#[test]
fn the_same_seed_gives_the_same_orders_and_another_seed_others() {
    let take = |seed| -> Vec<(String, String, Vec<EventRecord>)> {
        generator(seed)
            .day(monday(), 500, &[], far())
            .map(|o| (o.id.0, o.intake.content, o.records))
            .collect()
    };
    assert_eq!(take(3), take(3));
    assert_ne!(take(3), take(4));
}

#[test]
fn lives_are_real_events_with_realistic_shares() {
    let g = generator(11);
    let orders: Vec<Order> = g.day(monday(), 5_000, &[], far()).collect();
    let n = orders.len() as f64;
    let mut answered = 0.0;
    let mut late = 0.0;
    let mut replied = 0.0;
    for o in &orders {
        // The state is the fold of the events, which start with `received`.
        assert_eq!(replay(&o.records).as_ref(), Some(&o.state));
        assert!(matches!(o.records[0].event, Event::Received { .. }));
        assert!(o.records.windows(2).all(|w| w[0].at <= w[1].at));
        for r in &o.records {
            match &r.event {
                Event::Answered { .. } => answered += 1.0,
                Event::Replied { on_time, .. } => {
                    replied += 1.0;
                    if *on_time == Some(false) {
                        late += 1.0;
                    }
                }
                _ => {}
            }
        }
    }
    assert!(
        (answered / n - life::ANSWERED_SHARE).abs() < 0.03,
        "{answered}"
    );
    let late_share = late / replied;
    assert!((0.05..0.16).contains(&late_share), "{late_share}");
    let closed = orders
        .iter()
        .filter(|o| o.state.status == Status::Closed)
        .count() as f64;
    assert!(closed / n > 0.8, "{closed}");
    // Folded into rollups, every order sits in one volume row; dispatched ones count.
    let logs: Vec<Vec<EventRecord>> = orders.iter().map(|o| o.records.clone()).collect();
    let rollups = rebuild(&logs);
    assert_eq!(
        rollups.volumes().map(|(_, n)| n).sum::<i64>(),
        orders.len() as i64
    );
    let dispatched: i64 = rollups
        .volumes()
        .filter(|(k, _)| k.outcome == Outcome::Dispatched)
        .map(|(_, n)| n)
        .sum();
    assert!(dispatched as f64 / n > 0.5);
}

#[test]
fn lives_stop_at_the_end_of_the_period() {
    let g = generator(5);
    let until = china_day_start(monday()) + TimeDelta::hours(20);
    let orders: Vec<Order> = g.day(monday(), 2_000, &[], until).collect();
    assert!(
        orders
            .iter()
            .all(|o| o.records.iter().all(|r| r.at <= until))
    );
    // Orders received near the end are still open.
    assert!(orders.iter().any(|o| o.state.status != Status::Closed));
}

#[test]
fn a_spike_adds_orders_of_one_category_on_one_street_in_one_hour() {
    let g = generator(9);
    let at = china_day_start(monday()) + TimeDelta::minutes(10 * 60 + 5);
    let spike = Spike {
        category: "010101".into(),
        street: "110108007".into(),
        at,
        extra: 300,
    };
    let spikes = [spike];
    let day = g.day(monday(), 1_000, &spikes, far());
    assert_eq!(day.total(), 1_300);
    let orders: Vec<Order> = day.collect();
    assert_eq!(orders.len(), 1_300);
    let hour = jiesu_core::rollup::hour_of(at);
    let hit = orders
        .iter()
        .filter(|o| {
            o.intake.category_code.as_deref() == Some("010101")
                && o.intake.street_code.as_deref() == Some("110108007")
                && jiesu_core::rollup::hour_of(o.received_at) == hour
        })
        .count();
    assert!(hit >= 300);
}
