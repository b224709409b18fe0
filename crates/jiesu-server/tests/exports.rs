//! 定时数据交换 scheduled exchanges through the real app, in virtual time, on a real SQLite
//! file: a job every 6 hours for the orders awaiting verification runs at its slots and not
//! before, writes exactly the rows its filter selects, logs each run with its row count, runs
//! once after a restart for slots missed meanwhile, and posts its file to a URL.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use jiesu_core::Role;
use jiesu_server::Clock;
use jiesu_server::exchange::run_due;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};

mod common;

const USERS: &[common::TestUser] = &[
    ("admin", Role::Admin, None),
    ("agent", Role::Agent, None),
    ("dispatcher", Role::Dispatcher, None),
    ("analyst", Role::Analyst, None),
    ("cgw", Role::Unit, Some("cgw")),
];

use common::{World, beijing};

async fn start(path: &Path, fresh: bool, now: DateTime<Utc>) -> World {
    World::open(path, fresh, USERS, now).await
}

impl World {
    /// A ticket on 北下关街道 (Haidian), taken by the agent: its id and number.
    async fn new_ticket(&self, title: &str) -> (String, String) {
        let t = self
            .create(json!({
                "channel": "phone", "title": title, "content": format!("{title}，请尽快处理"),
                "caller": {"name": "赵先生", "phone": "13800001111"},
                "street_code": "110108007",
            }))
            .await;
        (
            t["id"].as_str().unwrap().to_string(),
            t["number"].as_str().unwrap().to_string(),
        )
    }

    /// Dispatched to 城管委, acknowledged and, when `reply`, replied: awaiting verification.
    async fn handled(&self, title: &str, reply: bool) -> String {
        let (id, number) = self.new_ticket(title).await;
        self.act("dispatcher", &id, "dispatch", json!({"lead_unit": "cgw"}))
            .await;
        self.act("cgw", &id, "acknowledge", json!({})).await;
        if reply {
            self.act(
                "cgw",
                &id,
                "reply",
                json!({"outcome": "solved", "text": "已处理"}),
            )
            .await;
        }
        number
    }
}

fn awaiting_verification(folder: &Path) -> Value {
    json!({
        "name": "待核实工单",
        "description": "每6小时发给城管委核实的已答复工单",
        "filter": {"statuses": ["replied"], "lead_unit": "cgw"},
        "columns": ["number", "received_at", "caller_phone", "street", "title", "lead_unit", "status"],
        "format": "csv",
        "file_name": "待核实-{date}-{hour}.csv",
        "schedule": {"every_hours": 6},
        "destination": {"folder": folder.display().to_string()},
    })
}

/// The CSV's data rows (header checked), each as its cells.
fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "编号",
            "受理时间",
            "诉求人电话",
            "街道",
            "标题",
            "承办单位",
            "状态"
        ]
    );
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

fn numbers(rows: &[Vec<String>]) -> Vec<String> {
    let mut n: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_six_hourly_export_runs_on_time_with_the_rows_its_filter_selects() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("jiesu.db");
    let out = dir.path().join("out");
    let w = start(&db, true, beijing(23, 7, 0)).await;

    let (status, job) = w
        .call(
            "admin",
            "POST",
            "/api/v1/exports",
            Some(awaiting_verification(&out)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let id = job["id"].as_i64().unwrap();
    assert_eq!(job["next_run"], json!(beijing(23, 12, 0)));

    // Two orders replied by the unit (awaiting verification), one still being handled, one
    // never dispatched.
    let mut replied = vec![
        w.handled("路灯不亮", true).await,
        w.handled("井盖缺失", true).await,
    ];
    replied.sort();
    let in_progress = w.handled("垃圾清运不及时", false).await;
    let (_, received) = w.new_ticket("咨询社保").await;

    // Not before its slot.
    assert!(
        run_due(&w.state, beijing(23, 11, 59))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!out.exists(), "nothing written before noon");

    // At 12:00 Beijing: one run, the file named for the slot, the two replied orders only.
    w.clock.set(beijing(23, 12, 0));
    let runs = run_due(&w.state, w.clock.now()).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "ok", "{:?}", runs[0].error);
    assert_eq!(runs[0].rows, 2);
    assert_eq!(runs[0].scheduled_for, Some(beijing(23, 12, 0)));
    let noon = out.join("待核实-2026-11-23-12.csv");
    let got = rows(&noon);
    assert_eq!(numbers(&got), replied);
    assert!(!got.iter().any(|r| r[0] == in_progress || r[0] == received));
    for r in &got {
        assert_eq!(r[2], "138****1111", "phones masked unless asked");
        assert_eq!(r[3], "北下关街道");
        assert_eq!(r[6], "已答复待核实");
        assert!(!r[5].is_empty() && r[5] != "cgw", "the unit's name: {r:?}");
    }
    // No temporary file is left beside it.
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(files.len(), 1);
    // Once per slot.
    w.clock.set(beijing(23, 12, 30));
    assert!(run_due(&w.state, w.clock.now()).await.unwrap().is_empty());

    // The third order is replied at 13:00; the server is down from 13:30 to 01:10 next day,
    // over the 18:00 and 00:00 slots. On restart the job runs once, for 00:00, not once per
    // missed slot.
    w.clock.set(beijing(23, 13, 0));
    let in_progress_id = {
        let (_, t) = w
            .call(
                "admin",
                "GET",
                &format!("/api/v1/tickets/{in_progress}"),
                None,
            )
            .await;
        t["id"].as_str().unwrap().to_string()
    };
    w.act(
        "cgw",
        &in_progress_id,
        "reply",
        json!({"outcome": "solved", "text": "已清运"}),
    )
    .await;
    drop(w);
    let w = start(&db, false, beijing(24, 1, 10)).await;
    let runs = run_due(&w.state, w.clock.now()).await.unwrap();
    assert_eq!(runs.len(), 1, "one run for the missed slots");
    assert_eq!(runs[0].scheduled_for, Some(beijing(24, 0, 0)));
    assert_eq!(runs[0].rows, 3);
    let midnight = out.join("待核实-2026-11-24-00.csv");
    let mut all = replied.clone();
    all.push(in_progress.clone());
    all.sort();
    assert_eq!(numbers(&rows(&midnight)), all);
    assert!(!out.join("待核实-2026-11-23-18.csv").exists());
    assert!(run_due(&w.state, w.clock.now()).await.unwrap().is_empty());

    // The run log, newest first, with the row counts; analysts may read it.
    let log = w
        .get_ok("analyst", &format!("/api/v1/exports/{id}/runs"))
        .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["rows"], 3);
    assert_eq!(items[0]["trigger"], "schedule");
    assert_eq!(items[0]["target"], midnight.display().to_string());
    assert_eq!(items[1]["rows"], 2);
    assert_eq!(items[1]["scheduled_for"], json!(beijing(23, 12, 0)));
    let (_, job) = w
        .call("analyst", "GET", &format!("/api/v1/exports/{id}"), None)
        .await;
    assert_eq!(job["next_run"], json!(beijing(24, 6, 0)));
    assert_eq!(job["last_scheduled"], json!(beijing(24, 0, 0)));

    // Disabled, it does not run at its slot; asked, it runs at once.
    let mut def = awaiting_verification(&out);
    def["enabled"] = json!(false);
    def["show_phone"] = json!(true);
    def["format"] = json!("xlsx");
    def["file_name"] = json!("{name}-{date}-{time}.xlsx");
    let (status, job) = w
        .call("admin", "PUT", &format!("/api/v1/exports/{id}"), Some(def))
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["next_run"], Value::Null);
    w.clock.set(beijing(24, 6, 0));
    assert!(run_due(&w.state, w.clock.now()).await.unwrap().is_empty());
    let (status, run) = w
        .call("admin", "POST", &format!("/api/v1/exports/{id}/run"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["status"], "ok");
    assert_eq!(run["trigger"], "manual");
    assert_eq!(run["rows"], 3);
    let book = out.join("待核实工单-2026-11-24-0600.xlsx");
    let strings = sheet_strings(&book);
    assert!(strings.contains("13800001111"), "phones shown when asked");
    assert!(strings.contains("编号") && strings.contains("北下关街道"));
    for n in &all {
        assert!(strings.contains(n.as_str()), "{n} in the workbook");
    }

    // Switched back on at 13:00, it does not catch up on 06:00 and 12:00: next run at 18:00.
    w.clock.set(beijing(24, 13, 0));
    let mut def = awaiting_verification(&out);
    def["enabled"] = json!(true);
    let (status, job) = w
        .call("admin", "PUT", &format!("/api/v1/exports/{id}"), Some(def))
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["next_run"], json!(beijing(24, 18, 0)));
    assert!(run_due(&w.state, w.clock.now()).await.unwrap().is_empty());

    // Deleted: gone from the list, not run; analysts may not delete.
    let (status, _) = w
        .call("analyst", "DELETE", &format!("/api/v1/exports/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w
        .call("admin", "DELETE", &format!("/api/v1/exports/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = w.call("admin", "GET", "/api/v1/exports", None).await;
    assert_eq!(list["items"], json!([]));
    let (status, _) = w
        .call("admin", "GET", &format!("/api/v1/exports/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The text of a workbook's shared strings and first sheet.
fn sheet_strings(path: &Path) -> String {
    use std::io::Read;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut text = String::new();
    for name in ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"] {
        if let Ok(mut f) = zip.by_name(name) {
            f.read_to_string(&mut text).unwrap();
        }
    }
    text
}

#[tokio::test]
async fn bad_definitions_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(&dir.path().join("jiesu.db"), true, beijing(23, 7, 0)).await;
    let good = awaiting_verification(&dir.path().join("out"));
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut j = good.clone();
                j["schedule"] = json!({"every_hours": 5});
                j
            },
            "schedule.every_hours",
        ),
        (
            {
                let mut j = good.clone();
                j["schedule"] = json!({"daily_at": "8点"});
                j
            },
            "schedule.daily_at",
        ),
        (
            {
                let mut j = good.clone();
                j["schedule"] = json!({"weekly": 1});
                j
            },
            "schedule",
        ),
        (
            {
                let mut j = good.clone();
                j["columns"] = json!(["number", "salary"]);
                j
            },
            "columns[1]",
        ),
        (
            {
                let mut j = good.clone();
                j["columns"] = json!([]);
                j
            },
            "columns",
        ),
        (
            {
                let mut j = good.clone();
                j["filter"]["statuses"] = json!(["waiting"]);
                j
            },
            "filter.statuses[0]",
        ),
        (
            {
                let mut j = good.clone();
                j["format"] = json!("pdf");
                j
            },
            "format",
        ),
        (
            {
                let mut j = good.clone();
                j["file_name"] = json!("../etc/x.csv");
                j
            },
            "file_name",
        ),
        (
            {
                let mut j = good.clone();
                j.as_object_mut().unwrap().remove("file_name");
                j
            },
            "file_name",
        ),
        (
            {
                let mut j = good.clone();
                j["destination"] = json!({"folder": "exports"});
                j
            },
            "destination.folder",
        ),
        (
            {
                let mut j = good.clone();
                j["destination"] = json!({"url": "ftp://example.org"});
                j
            },
            "destination.url",
        ),
        (
            {
                let mut j = good.clone();
                j["destination"] = json!({"url": "https://partner.example.gov.cn/inbox"});
                j
            },
            "destination.url",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = w.call("admin", "POST", "/api/v1/exports", Some(body)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {answer}"
        );
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    // Analysts read, admins write; names are unique.
    let (status, _) = w
        .call("analyst", "POST", "/api/v1/exports", Some(good.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w
        .call("admin", "POST", "/api/v1/exports", Some(good.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = w.call("admin", "POST", "/api/v1/exports", Some(good)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let (status, list) = w.call("analyst", "GET", "/api/v1/exports", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, _) = w.call("agent", "GET", "/api/v1/exports", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// What the receiving server got: the file name header and the body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[tokio::test]
async fn a_url_destination_receives_the_file() {
    use axum::routing::post;
    let received: Received = Arc::default();
    let inbox = received.clone();
    let partner = axum::Router::new().route(
        "/inbox",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let inbox = inbox.clone();
                async move {
                    let name = headers
                        .get("content-disposition")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    inbox.lock().unwrap().push((name, body.to_vec()));
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, partner).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let w = start(&dir.path().join("jiesu.db"), true, beijing(23, 7, 0)).await;
    let mine = w.handled("路灯不亮", true).await;
    w.handled("垃圾清运不及时", false).await;
    let mut def = awaiting_verification(dir.path());
    def["destination"] = json!({"url": format!("http://{addr}/inbox")});
    def["schedule"] = json!({"daily_at": "08:30"});
    let (status, job) = w.call("admin", "POST", "/api/v1/exports", Some(def)).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["next_run"], json!(beijing(23, 8, 30)));

    w.clock.set(beijing(23, 8, 30));
    let runs = run_due(&w.state, w.clock.now()).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "ok", "{:?}", runs[0].error);
    assert_eq!(runs[0].rows, 1);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (name, body) = &got[0];
    let expected: String =
        form_urlencoded::byte_serialize("待核实-2026-11-23-08.csv".as_bytes()).collect();
    assert!(name.contains(&expected), "{name}");
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.starts_with("编号,"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains(&mine));

    // A partner that is down: the run is logged as failed, with the reason.
    let mut def = awaiting_verification(dir.path());
    def["name"] = json!("发往停机的伙伴");
    def["destination"] = json!({"url": "http://127.0.0.1:9/inbox"});
    let (_, job) = w.call("admin", "POST", "/api/v1/exports", Some(def)).await;
    let (status, run) = w
        .call(
            "admin",
            "POST",
            &format!("/api/v1/exports/{}/run", job["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["status"], "failed");
    assert!(
        run["error"].as_str().unwrap().contains("127.0.0.1:9"),
        "{run}"
    );
}

/// The columns the OpenAPI document lists are the core's, and a job as answered has the
/// documented properties.
#[tokio::test]
async fn the_document_lists_the_columns_and_the_job_shape() {
    let doc: Value =
        serde_json::from_str(include_str!("../src/api/openapi.json")).expect("openapi.json");
    let schemas = &doc["components"]["schemas"];
    let documented: Vec<&str> = schemas["ExportColumn"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let core: Vec<String> = jiesu_core::export::Column::ALL
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(documented, core);

    let dir = tempfile::tempdir().unwrap();
    let w = start(&dir.path().join("jiesu.db"), true, beijing(23, 7, 0)).await;
    let (_, job) = w
        .call(
            "admin",
            "POST",
            "/api/v1/exports",
            Some(awaiting_verification(dir.path())),
        )
        .await;
    let mut answered: Vec<&String> = job.as_object().unwrap().keys().collect();
    answered.sort();
    let mut required: Vec<&str> = schemas["StoredExportJob"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // `description` is answered when the job has one.
    required.push("description");
    required.sort();
    assert_eq!(answered, required);
}

/// The background job itself: looking every 20 ms, it runs a job once the virtual clock reaches
/// its slot, and not before.
#[tokio::test]
async fn the_background_job_runs_exports_when_the_clock_reaches_the_slot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let w = start(&dir.path().join("jiesu.db"), true, beijing(23, 7, 0)).await;
    w.handled("路灯不亮", true).await;
    let (status, job) = w
        .call(
            "admin",
            "POST",
            "/api/v1/exports",
            Some(awaiting_verification(&out)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let id = job["id"].as_i64().unwrap();
    let runs = async || {
        let (_, log) = w
            .call("admin", "GET", &format!("/api/v1/exports/{id}/runs"), None)
            .await;
        log["items"].as_array().unwrap().clone()
    };
    let task =
        jiesu_server::jobs::spawn_exports(w.state.clone(), std::time::Duration::from_millis(20));
    w.clock.set(beijing(23, 11, 59));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(runs().await.is_empty(), "not before its slot");
    w.clock.set(beijing(23, 12, 0));
    let mut log = Vec::new();
    for _ in 0..250 {
        log = runs().await;
        if !log.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    task.abort();
    assert_eq!(runs().await.len(), 1, "once for the slot");
    assert_eq!(log[0]["rows"], 1);
    assert_eq!(log[0]["scheduled_for"], json!(beijing(23, 12, 0)));
    assert!(out.join("待核实-2026-11-23-12.csv").exists());
}
