//! The printable reports through the real app on a real SQLite file: a daily report over a
//! known day of tickets shows the right totals and shares in HTML and in Excel; the hourly,
//! special and ranking reports answer in their three formats; bad parameters are refused
//! naming the field.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use jiesu_core::Role;
use jiesu_server::app;
use jiesu_store::knowledge::Contact;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Read;
use tower::ServiceExt;

mod common;

const USERS: &[common::TestUser] = &[
    ("agent", Role::Agent, None),
    ("dispatcher", Role::Dispatcher, None),
    ("analyst", Role::Analyst, None),
    ("cgw", Role::Unit, Some("cgw")),
];

use common::{World, beijing};

impl World {
    /// The raw answer: status, content type and body.
    async fn get(&self, user: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
        let resp = app(self.state.clone())
            .oneshot(common::request(Some(&self.tokens[user]), "GET", path, None))
            .await
            .unwrap();
        let status = resp.status();
        let media = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, media, body)
    }

    /// A ticket received at `at` on 北下关街道 under 市政设施 › 路灯; then answered directly,
    /// dispatched, or left.
    async fn ticket(&self, at: DateTime<Utc>, title: &str, then: &str) -> String {
        self.clock.set(at);
        let t = self
            .create(json!({
                "channel": "phone", "title": title, "content": format!("{title}，请处理"),
                "caller": {"name": "钱女士", "phone": "13900002222"},
                "street_code": "110108007", "category_code": "010204",
            }))
            .await;
        let id = t["id"].as_str().unwrap().to_string();
        let (action, user, body) = match then {
            "answer" => ("answer", "agent", json!({"text": "已告知报修渠道"})),
            "dispatch" => ("dispatch", "dispatcher", json!({"lead_unit": "cgw"})),
            _ => return t["number"].as_str().unwrap().to_string(),
        };
        self.act(user, &id, action, body).await;
        t["number"].as_str().unwrap().to_string()
    }
}

/// The text of every sheet of a workbook (shared strings and sheet XML), by sheet file.
fn workbook(bytes: &[u8]) -> (Vec<String>, String) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names = Vec::new();
    let mut text = String::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().to_string();
        if name.starts_with("xl/worksheets/sheet")
            || name == "xl/sharedStrings.xml"
            || name == "xl/workbook.xml"
        {
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            if name.starts_with("xl/worksheets/sheet") {
                names.push(name);
            }
            text.push_str(&s);
        }
    }
    (names, text)
}

#[tokio::test]
async fn the_daily_report_shows_the_days_totals_and_shares_in_html_and_excel() {
    let w = World::fresh(USERS, beijing(22, 9, 0)).await;
    // The day before: 4 tickets.
    for h in [9, 10, 11, 12] {
        w.ticket(beijing(22, h, 0), "路灯不亮", "dispatch").await;
    }
    // 2026-11-23 in Beijing: 5 tickets from 00:10 to 23:50 — 2 answered directly, 2
    // dispatched, 1 waiting.
    w.ticket(beijing(23, 0, 10), "咨询路灯报修电话", "answer")
        .await;
    w.ticket(beijing(23, 8, 0), "咨询路灯维修时限", "answer")
        .await;
    w.ticket(beijing(23, 9, 30), "路灯不亮", "dispatch").await;
    w.ticket(beijing(23, 14, 0), "路灯闪烁", "dispatch").await;
    w.ticket(beijing(23, 23, 50), "路灯杆倾斜", "none").await;
    // The next day, Beijing time (still the 23rd in UTC): not in the report.
    w.ticket(beijing(24, 0, 5), "路灯不亮", "dispatch").await;
    // Self-service: 3 IVR calls (2 served by the menu) and 1 bot question answered.
    for (id, kind, outcome) in [
        ("c1", "ivr", "self_served"),
        ("c2", "ivr", "self_served"),
        ("c3", "ivr", "agent"),
        ("b1", "bot", "answered"),
    ] {
        w.state
            .store
            .save_contact(&Contact {
                id: id.into(),
                kind: kind.into(),
                started_at: beijing(23, 10, 0),
                state: json!({}),
                outcome: outcome.into(),
                ended_at: Some(beijing(23, 10, 2)),
            })
            .await
            .unwrap();
    }
    w.clock.set(beijing(24, 8, 0));
    jiesu_server::analytics::count_terms(&w.state)
        .await
        .unwrap();

    // JSON: the numbers.
    let report = w
        .get_ok(
            "analyst",
            "/api/v1/reports/daily?date=2026-11-23&format=json",
        )
        .await;
    let figures: BTreeMap<String, Value> = report["sections"][0]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["label"]["zh"].as_str().unwrap().to_string(),
                f["value"].clone(),
            )
        })
        .collect();
    assert_eq!(figures["受理量"], json!(5));
    assert_eq!(figures["前一日"], json!(4));
    assert_eq!(figures["直接答复"], json!(2));
    assert_eq!(figures["派单"], json!(2));
    assert_eq!(figures["待处理"], json!(1));
    assert!((figures["直接答复占比"].as_f64().unwrap() - 0.4).abs() < 1e-9);
    assert!((figures["自助解决占比"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    // The hot terms of the day's titles, against the day before.
    let section = |key: &str| {
        report["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("no section {key}"))
            .clone()
    };
    let terms = section("terms");
    let top = &terms["table"]["rows"][0];
    assert_eq!(top[0], "路灯", "{terms}");
    assert_eq!(top[1], 4, "{terms}");
    // jieba reads 路灯不亮 as 路 + 灯不亮: once today, four times the day before.
    let rows = terms["table"]["rows"].as_array().unwrap();
    let dim = rows.iter().find(|r| r[0] == "灯不亮").expect("灯不亮");
    assert_eq!(
        dim.as_array().unwrap()[1..4],
        [json!(1), json!(4), json!(-0.75)],
        "{terms}"
    );
    assert_eq!(section("spikes")["table"]["rows"], json!([]));

    // HTML, Chinese by default: the same figures as shown, printable.
    let (status, media, body) = w
        .get("analyst", "/api/v1/reports/daily?date=2026-11-23")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(media, "text/html; charset=utf-8");
    let html = String::from_utf8(body).unwrap();
    let shown = |label: &str, value: &str| {
        format!("<div class=\"label\">{label}</div><div class=\"value\">{value}</div>")
    };
    for (label, value) in [
        ("受理量", "5"),
        ("前一日", "4"),
        ("环比", "25.0%"),
        ("直接答复占比", "40.0%"),
        ("派单占比", "40.0%"),
        ("自助解决占比", "75.0%"),
    ] {
        assert!(html.contains(&shown(label, value)), "{label} {value}");
    }
    assert!(html.contains("2026-11-23") && html.contains("北下关街道"));
    assert!(html.contains("@media print") && html.contains("<svg"));
    assert!(html.contains("lang=en"), "a link to the English page");
    // English.
    let (_, _, body) = w
        .get("analyst", "/api/v1/reports/daily?date=2026-11-23&lang=en")
        .await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains(&shown("Share answered directly", "40.0%")));
    assert!(html.contains("<html lang=\"en\">"));

    // Excel: one sheet per section, Chinese headers, the counts as numbers.
    let (status, media, body) = w
        .get(
            "analyst",
            "/api/v1/reports/daily?date=2026-11-23&format=xlsx",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        media.starts_with("application/vnd.openxmlformats"),
        "{media}"
    );
    let (sheets, text) = workbook(&body);
    let sections = report["sections"].as_array().unwrap().len();
    assert_eq!(sheets.len(), sections);
    assert!(
        text.contains("name=\"受理总量\"") && text.contains("name=\"热点类别\""),
        "sheet names"
    );
    for label in ["受理量", "直接答复占比", "街道乡镇", "北下关街道"] {
        assert!(text.contains(label), "{label} in the workbook");
    }
    // 受理量 5 and 前一日 4 as numbers next to their labels; the share as 0.4 in percent.
    assert!(text.contains("<v>5</v>") && text.contains("<v>4</v>") && text.contains("<v>0.4</v>"));
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_the_field() {
    let w = World::fresh(USERS, beijing(22, 9, 0)).await;
    for (path, field) in [
        ("/api/v1/reports/daily?date=2026-13-01", "date"),
        ("/api/v1/reports/daily?date=yesterday", "date"),
        ("/api/v1/reports/daily?format=pdf", "format"),
        ("/api/v1/reports/daily?lang=fr", "lang"),
        ("/api/v1/reports/hourly?at=15:00", "at"),
        ("/api/v1/reports/special?category=", "category"),
        ("/api/v1/reports/special?category=99", "category"),
        ("/api/v1/reports/special?category=01&term=路灯", "category"),
        (
            "/api/v1/reports/special?term=路灯&from=2026-11-30&to=2026-11-01",
            "from",
        ),
        ("/api/v1/reports/ranking?month=2026-13", "month"),
    ] {
        let (status, answer) = w.call("analyst", "GET", path, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{path}: {answer}");
    }
    let (status, _) = w.call("agent", "GET", "/api/v1/reports/daily", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn hourly_special_and_ranking_reports_answer_in_every_format() {
    let w = World::fresh(USERS, beijing(22, 9, 0)).await;
    let first = w.ticket(beijing(23, 14, 5), "路灯不亮", "dispatch").await;
    let second = w.ticket(beijing(23, 14, 40), "路灯闪烁", "none").await;
    w.ticket(beijing(23, 15, 10), "噪音扰民", "none").await;
    w.clock.set(beijing(23, 15, 20));

    // The hour 14:00–15:00: two tickets.
    let hourly = w
        .get_ok("dispatcher", "/api/v1/reports/hourly?format=json")
        .await;
    assert_eq!(hourly["period"], "2026-11-23 14:00–15:00");
    assert_eq!(hourly["sections"][0]["figures"][0]["value"], 2);

    // The special report on the term 路灯 over the month so far: both tickets, newest first.
    let special = w
        .get_ok(
            "analyst",
            "/api/v1/reports/special?term=路灯&from=2026-11-01&to=2026-11-23&format=json",
        )
        .await;
    assert_eq!(special["sections"][0]["figures"][0]["value"], 2);
    let samples = &special["sections"][3]["table"]["rows"];
    assert_eq!(samples[0][0], json!(second));
    assert_eq!(samples[1][0], json!(first));
    // By category 0102: all three, every ticket here being filed under 010204.
    let by_category = w
        .get_ok(
            "analyst",
            "/api/v1/reports/special?category=0102&from=2026-11-20&format=json",
        )
        .await;
    assert_eq!(by_category["sections"][0]["figures"][0]["value"], 3);
    // Without a topic: the period's top category, the same.
    let top = w
        .get_ok("analyst", "/api/v1/reports/special?format=json")
        .await;
    assert_eq!(top["sections"][0]["figures"][0]["value"], 3);
    assert_eq!(top["title"]["zh"], "专报：城市建设和市政管理");

    // The month's ranking: 北下关街道 first by volume.
    let ranking = w
        .get_ok(
            "analyst",
            "/api/v1/reports/ranking?month=2026-11&format=json",
        )
        .await;
    let top = &ranking["sections"][0]["table"]["rows"][0];
    assert_eq!(top[2], "北下关街道");
    assert_eq!(top[4], 3);
    assert_eq!(ranking["sections"].as_array().unwrap().len(), 4);

    for path in [
        "/api/v1/reports/hourly?at=2026-11-23T15:00:00%2B08:00",
        "/api/v1/reports/special?term=路灯",
        "/api/v1/reports/ranking?month=2026-11",
    ] {
        let (status, media, body) = w.get("analyst", path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(media, "text/html; charset=utf-8");
        assert!(
            String::from_utf8(body)
                .unwrap()
                .starts_with("<!DOCTYPE html>")
        );
        let (status, media, body) = w.get("analyst", &format!("{path}&format=xlsx")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(media.starts_with("application/vnd.openxmlformats"));
        assert!(!workbook(&body).0.is_empty());
    }
}

#[tokio::test]
async fn units_that_let_deadlines_pass_show_in_the_daily_report() {
    let w = World::fresh(USERS, beijing(22, 9, 0)).await;
    w.clock.set(beijing(23, 9, 0));
    let t = w
        .create(json!({
            "channel": "phone", "urgency": "urgent", "content": "楼道燃气味很重",
            "caller": {"name": "孙先生", "phone": "13700003333"},
            "street_code": "110108007",
        }))
        .await;
    let id = t["id"].as_str().unwrap();
    let (status, _) = w
        .call(
            "dispatcher",
            "POST",
            &format!("/api/v1/tickets/{id}/dispatch"),
            Some(json!({"lead_unit": "cgw"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Nobody acknowledges or replies: by 15:00 both deadlines have passed.
    let scanned = jiesu_server::jobs::scan_once(&w.state, beijing(23, 15, 0))
        .await
        .unwrap();
    assert!(scanned.events > 0);
    w.clock.set(beijing(24, 8, 0));
    let report = w
        .get_ok(
            "analyst",
            "/api/v1/reports/daily?date=2026-11-23&format=json",
        )
        .await;
    let units = common::find(&report["sections"], "key", "overdue_units");
    let row = &units["table"]["rows"][0];
    let name = row[0].as_str().unwrap();
    assert!(
        !name.is_empty() && name != "cgw",
        "the unit's name: {units}"
    );
    assert!(row[1].as_i64().unwrap() >= 1, "{units}");
    assert_eq!(row[2], 1, "dispatched to it that day: {units}");
}
