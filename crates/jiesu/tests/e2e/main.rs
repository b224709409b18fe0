//! End-to-end tests through the real `jiesu` binary and its HTTP API.

mod harness;

use harness::Jiesu;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn kinds(ticket: &Value) -> Vec<String> {
    ticket["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn street_light() -> Value {
    json!({
        "channel": "phone",
        "title": "路灯不亮",
        "content": "北下关街道大柳树路口路灯连续三晚不亮，老人晚上出门不安全。",
        "caller": {"name": "王女士", "phone": "13812341234"},
        "address": "海淀区大柳树路口",
        "street_code": "110108007",
    })
}

/// The README's walk: an agent creates, a dispatcher dispatches, the unit acknowledges and
/// replies, the agent records the callback, and the ticket is closed with every step recorded.
#[tokio::test]
async fn a_ticket_walks_from_call_to_close() {
    let j = Jiesu::new();
    let s = j.serve(&[]);
    let agent = j.token("agent1");
    let dispatcher = j.token("dispatcher1");
    let unit = j.token("beixiaguan1");
    let other_unit = j.token("cgw1");

    // While the caller talks, the assistant reads the place and the urgency.
    let (status, help) = s
        .post(
            "/api/v1/assist",
            &agent,
            json!({"text": "海淀北下关交大东路路灯不亮，还闻到燃气味"}),
        )
        .await;
    assert_eq!(status, 200, "{help}");
    assert_eq!(help["address"]["resolution"]["street"]["code"], "110108007");
    assert_eq!(help["urgency"]["value"], "urgent");
    assert_eq!(help["urgency"]["reasons"], json!(["燃气泄漏"]));

    let (status, t) = s.post("/api/v1/tickets", &agent, street_light()).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["status"], "received");
    assert_eq!(
        t["district_code"], "110108",
        "district filled from the street"
    );
    let number = t["number"].as_str().expect("number");
    assert_eq!(number.len(), 14, "date + six-digit sequence: {number}");
    let id = t["id"].as_str().expect("id").to_string();
    let path = |action: &str| format!("/api/v1/tickets/{id}/{action}");

    let (status, t) = s
        .post(
            &path("dispatch"),
            &dispatcher,
            json!({"lead_unit": "110108007", "note": "请尽快修复"}),
        )
        .await;
    assert_eq!(
        (status, t["status"].as_str()),
        (200, Some("dispatched")),
        "{t}"
    );

    // Another unit cannot see or touch it.
    let (status, body) = s.get(&format!("/api/v1/tickets/{id}"), &other_unit).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = s.post(&path("acknowledge"), &other_unit, json!({})).await;
    assert_eq!(status, 404);

    // The lead unit sees the ticket with the caller's phone masked.
    let (status, seen) = s.get(&format!("/api/v1/tickets/{id}"), &unit).await;
    assert_eq!(status, 200);
    assert_eq!(seen["caller"]["phone"], "138****1234");
    assert_eq!(
        seen["events"][0]["details"]["intake"]["caller"]["phone"], "138****1234",
        "events are masked too"
    );
    assert_eq!(seen["allowed_actions"], json!(["acknowledge", "return"]));
    let (_, inbox) = s.get("/api/v1/tickets?status=dispatched", &unit).await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str())
    );

    let (status, t) = s.post(&path("acknowledge"), &unit, json!({})).await;
    assert_eq!(
        (status, t["status"].as_str()),
        (200, Some("in_progress")),
        "{t}"
    );
    let (status, err) = s
        .post(&path("reply"), &unit, json!({"outcome": 1, "text": "x"}))
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("outcome")),
        "{err}"
    );
    let (status, t) = s
        .post(
            &path("reply"),
            &unit,
            json!({"outcome": "solved", "text": "已更换灯泡，路灯恢复照明。"}),
        )
        .await;
    assert_eq!(
        (status, t["status"].as_str()),
        (200, Some("replied")),
        "{t}"
    );
    let (status, t) = s
        .post(
            &path("callback"),
            &agent,
            json!({"reached": true, "resolved": true, "satisfaction": "satisfied"}),
        )
        .await;
    assert_eq!((status, t["status"].as_str()), (200, Some("closed")), "{t}");

    let (_, full) = s.get(&format!("/api/v1/tickets/{id}"), &agent).await;
    assert_eq!(
        kinds(&full),
        [
            "received",
            "dispatched",
            "acknowledged",
            "replied",
            "callback_recorded",
            "closed"
        ]
    );
    let actors: Vec<&str> = full["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        [
            "agent1",
            "dispatcher1",
            "beixiaguan1",
            "beixiaguan1",
            "agent1",
            "agent1"
        ]
    );

    // A second dispatch of a closed ticket is refused and changes nothing.
    let (status, err) = s
        .post(&path("dispatch"), &dispatcher, json!({"lead_unit": "cgw"}))
        .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "not_allowed_in_status");
    let (_, after) = s.get(&format!("/api/v1/tickets/{id}"), &agent).await;
    assert_eq!(after["version"], full["version"]);
    assert_eq!(kinds(&after).len(), 6);
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let j = Jiesu::new();
    let s = j.serve(&["--no-demo"]);
    let out = j.run(
        &["user", "add", "amy", "--role", "agent"],
        "correct-horse\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let agent = j.token("amy");

    let cases = [
        (
            json!({"channel": "fax", "content": "x", "caller": {"name": "a", "phone": "13800000000"}}),
            "channel",
        ),
        (
            json!({"channel": "web", "content": "  ", "caller": {"name": "a", "phone": "13800000000"}}),
            "content",
        ),
        (
            json!({"channel": "web", "content": "x", "caller": {"name": "a"}}),
            "caller.phone",
        ),
        (
            json!({"channel": "web", "content": "x", "caller": {"name": "a", "phone": "13800000000"}, "street_code": "999999999"}),
            "street_code",
        ),
        (
            json!({"channel": "web", "content": "x", "caller": {"name": "a", "phone": "13800000000"}, "district_code": "110105", "street_code": "110108007"}),
            "street_code",
        ),
        (
            json!({"channel": "web", "content": "x", "caller": {"name": "a", "phone": "13800000000"}, "category_code": "99"}),
            "category_code",
        ),
    ];
    for (body, field) in cases {
        let (status, err) = s.post("/api/v1/tickets", &agent, body).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["error"]["code"], "invalid_input");
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    let (_, list) = s.get("/api/v1/tickets", &agent).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );

    let (status, err) = s.call("GET", "/api/v1/tickets", None, None).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, err) = s
        .call("GET", "/api/v1/tickets", Some("jsu_forged"), None)
        .await;
    assert_eq!(status, 401, "{err}");
    // Signing out ends the token at once.
    let (status, signed_in) = s
        .call(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(json!({"name": "amy", "password": "correct-horse"})),
        )
        .await;
    assert_eq!(status, 201, "{signed_in}");
    let short = signed_in["token"].as_str().unwrap().to_string();
    assert_eq!(s.get("/api/v1/me", &short).await.0, 200);
    assert_eq!(
        s.call("DELETE", "/api/v1/auth/token", Some(&short), None)
            .await
            .0,
        204
    );
    assert_eq!(s.get("/api/v1/me", &short).await.0, 401);
    // The framework's own refusals speak JSON too.
    let (status, err) = s
        .call("DELETE", "/api/v1/tickets", Some(&agent), None)
        .await;
    assert_eq!(status, 405);
    assert!(err["error"]["message"].is_string(), "{err}");
    let wrong_type =
        json!({"channel": 5, "content": "x", "caller": {"name": "a", "phone": "13800000000"}});
    let (status, err) = s.post("/api/v1/tickets", &agent, wrong_type).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("channel")),
        "{err}"
    );

    // The CLI refuses bad input with a line naming the field.
    let out = j.run(&["user", "add", "u9", "--role", "unit"], "long-enough\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unit:"));
    let out = j.run(&["user", "add", "u9", "--role", "wizard"], "long-enough\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
    let out = j.run(&["user", "add", "amy", "--role", "agent"], "long-enough\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[tokio::test]
async fn an_idempotency_key_never_makes_a_second_ticket() {
    let j = Jiesu::new();
    let s = j.serve(&[]);
    let agent = j.token("agent1");
    let mut body = street_light();
    body["content"] = json!("幂等测试：同一来电重复提交");
    let send = || async {
        let r = s
            .client
            .post(format!("{}/api/v1/tickets", s.url))
            .bearer_auth(&agent)
            .header("Idempotency-Key", "call-7731")
            .json(&body)
            .send()
            .await
            .unwrap();
        let replayed = r.headers().get("idempotent-replayed").is_some();
        (
            r.status().as_u16(),
            replayed,
            r.json::<Value>().await.unwrap(),
        )
    };
    let (s1, r1, a) = send().await;
    let (s2, r2, b) = send().await;
    assert_eq!((s1, r1), (201, false));
    assert_eq!((s2, r2), (201, true));
    assert_eq!(a["id"], b["id"]);
    // The same key for a different request is refused and creates nothing.
    let other = s
        .client
        .post(format!("{}/api/v1/tickets", s.url))
        .bearer_auth(&agent)
        .header("Idempotency-Key", "call-7731")
        .json(&street_light())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 409);
    let (_, list) = s
        .get("/api/v1/tickets?text=幂等测试&limit=50", &agent)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// SIGKILL in the middle of a stream of creates loses no ticket that got its 201.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_ticket() {
    let j = Jiesu::new();
    let mut s = j.serve(&["--no-demo"]);
    let out = j.run(
        &["user", "add", "amy", "--role", "agent"],
        "correct-horse\n",
    );
    assert!(out.status.success());
    let token = j.token("amy");
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let url = s.url.clone();
    let mut writers = Vec::new();
    for w in 0..16 {
        let (acknowledged, token, url) = (acknowledged.clone(), token.clone(), url.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0.. {
                let mut body = street_light();
                body["content"] = json!(format!("writer {w} call {i}"));
                let sent = client
                    .post(format!("{url}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                let Ok(resp) = sent else { break };
                if resp.status() != 201 {
                    break;
                }
                let Ok(v) = resp.json::<Value>().await else {
                    break;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(v["id"].as_str().unwrap().to_string());
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    s.kill9();
    for w in writers {
        let _ = w.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 100,
        "the stream was running: {}",
        acknowledged.len()
    );

    let s = j.serve(&["--no-demo"]);
    let mut found = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?limit=500&cursor={c}"),
            None => "/api/v1/tickets?limit=500".to_string(),
        };
        let (status, page) = s.get(&path, &token).await;
        assert_eq!(status, 200);
        for t in page["items"].as_array().unwrap() {
            found.insert(t["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| !found.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged tickets lost",
        lost.len(),
        acknowledged.len()
    );
}

#[tokio::test]
async fn baltimore_311_history_imports_with_its_quirks_reported() {
    let j = Jiesu::new();
    // The real sample from the project's shared data (beside the repository).
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/baltimore_311/requests_sample.csv"
    );
    assert!(
        std::path::Path::new(file).exists(),
        "shared data missing: {file}"
    );
    let out = j.run(&["import", file], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("10000 new tickets"), "{stdout}");
    assert!(
        stderr.contains("placeholder location (39, -77)"),
        "quirks are reported: {stderr}"
    );
    assert!(stderr.contains("Neighborhood"), "{stderr}");
    // Importing again creates nothing.
    let again = j.run(&["import", file], "");
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 new tickets, 10000 already imported")
            || String::from_utf8_lossy(&again.stdout).contains("10000 already imported")
    );

    // A file with bad rows: good rows in, bad rows named by line.
    let bad = j.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "content,channel,caller_phone,street_code,received_at\n\
         路灯不亮,phone,13800000000,110108007,2026-11-20T08:00:00+08:00\n\
         ,phone,13800000000,,\n\
         噪音,fax,13800000000,,\n\
         井盖缺失,web,13800000000,110108007,yesterday\n\
         暖气不热,web,13800000000,,\n",
    )
    .unwrap();
    let out = j.run(&["import", bad.to_str().unwrap()], "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("2 new tickets") && stdout.contains("3 rows skipped"),
        "{stdout}"
    );
    assert!(stderr.contains("line 3: skipped: content"), "{stderr}");
    assert!(stderr.contains("line 4: skipped: channel"), "{stderr}");
    assert!(stderr.contains("line 5: skipped: received_at"), "{stderr}");

    // The imported history is served.
    let s = j.serve(&["--no-demo"]);
    let admin_out = j.run(
        &["user", "add", "boss", "--role", "admin"],
        "correct-horse\n",
    );
    assert!(admin_out.status.success());
    let token = j.token("boss");
    let (_, closed) = s.get("/api/v1/tickets?status=closed&limit=1", &token).await;
    let t = &closed["items"][0];
    assert!(
        t["external_ref"]
            .as_str()
            .unwrap_or_default()
            .starts_with("baltimore311:"),
        "{t}"
    );
    let (_, open) = s
        .get(
            "/api/v1/tickets?status=received&text=Pothole&limit=5",
            &token,
        )
        .await;
    assert!(open["items"].as_array().is_some());
}

/// The monthly ranking from the command line, on the demo's tickets.
#[tokio::test]
async fn report_rates_ranks_units_from_the_command_line() {
    let j = Jiesu::new();
    drop(j.serve(&[])); // first start loads the demo
    // The demo's history spans the last three days: this month or, early on, the last one.
    let now = chrono::Utc::now().with_timezone(&jiesu_core::china_offset());
    let months = [now, now - chrono::Duration::days(3)].map(|d| d.format("%Y-%m").to_string());
    let mut csv = String::new();
    for month in &months {
        let out = j.run(
            &["report", "rates", "--month", month, "--format", "csv"],
            "",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(text.starts_with("排名 rank,代码 code,名称 name"), "{text}");
        csv.push_str(&text);
    }
    assert!(
        csv.lines()
            .any(|r| r.contains(",cgw,北京市城市管理委员会,")),
        "the city management commission had demo tickets: {csv}"
    );
    let month = &months[0];
    let xlsx = j.dir.path().join("rates.xlsx");
    let out = j.run(
        &[
            "report",
            "rates",
            "--month",
            month,
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success());
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
    let bad = j.run(&["report", "rates", "--month", "2026-13"], "");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("month"));
}

#[tokio::test]
async fn the_demo_knowledge_base_answers_and_the_replies_file_imports_once() {
    let j = Jiesu::new();
    // The whole file of messages with official replies becomes the knowledge base.
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/teddy2020c/messages_with_replies.csv"
    );
    let server = j.serve(&[]);
    let agent = j.token("agent1");
    // The demo: 600 entries from official replies, searchable in Chinese at once.
    let (status, list) = server
        .get("/api/v1/knowledge/entries?limit=1", &agent)
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 600);
    let (status, found) = server
        .get("/api/v1/knowledge/search?q=%E7%89%A9%E4%B8%9A", &agent)
        .await;
    assert_eq!(status, 200);
    let first = &found["items"][0];
    assert!(
        first["title_html"]
            .as_str()
            .unwrap()
            .contains("<mark>物业</mark>"),
        "{first}"
    );
    // The demo IVR menu reads an entry of the demo knowledge base.
    let (status, menu) = server.get("/api/v1/ivr/menu", &agent).await;
    assert_eq!(status, 200);
    assert_eq!(
        menu["menu"]["nodes"]["policy"]["options"]["1"]["entry_id"],
        "KB000001"
    );
    drop(server);

    let out = j.run(&["import", file], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("already in the knowledge base"), "{stdout}");
    let added: usize = stdout.split_whitespace().next().unwrap().parse().unwrap();
    assert!(added > 2000, "{stdout}");
    let again = j.run(&["import", file], "");
    assert!(
        String::from_utf8_lossy(&again.stdout).starts_with("0 entries added"),
        "importing twice adds nothing"
    );
    // A restarted server finds what the import wrote (the index catches up from the database).
    let server = j.serve(&["--no-demo"]);
    let (_, list) = server
        .get("/api/v1/knowledge/entries?limit=1", &agent)
        .await;
    assert_eq!(list["total"], 600 + added);
    let (_, found) = server
        .get(
            "/api/v1/knowledge/search?q=%E5%B9%BF%E9%93%81%E9%9B%86%E5%9B%A2",
            &agent,
        )
        .await;
    assert!(!found["items"].as_array().unwrap().is_empty(), "{found}");
}

/// Four weeks of generated Beijing traffic with 40 extra reports of one problem on one street
/// in one hour: the spike check of that hour finds exactly one alert, for that category and
/// that street; the hours around it find none.
#[tokio::test]
async fn a_spike_in_generated_traffic_raises_exactly_one_alert() {
    let j = Jiesu::new();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    // 25 October to 22 November 2026 (29 Beijing days), the last day kept as full orders; the
    // spike is 事故处理 (010101) on 北下关街道 (110108007) from 10:00 to 11:00 on the last day.
    let out = j.run(
        &[
            "gen",
            "--load",
            "--days",
            "29",
            "--per-day",
            "1500",
            "--full-days",
            "1",
            "--start",
            "2026-10-25",
            "--seed",
            "7",
            "--source",
            source,
            "--spike",
            "010101,110108007,2026-11-22T10,40",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added = j.run(
        &["user", "add", "analyst9", "--role", "analyst"],
        "pw-analyst9\n",
    );
    assert!(added.status.success());
    let analyst = j.token("analyst9");
    let server = j.serve(&["--no-demo"]);

    let spikes_at = |at: &'static str| {
        let server = &server;
        let analyst = &analyst;
        async move {
            let (status, body) = server
                .get(&format!("/api/v1/analytics/spikes?at={at}"), analyst)
                .await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    // `at` is the end of the hour checked (the last complete hour before it).
    let found = spikes_at("2026-11-22T11:00:00%2B08:00").await;
    let spikes = found["spikes"].as_array().expect("spikes");
    assert_eq!(spikes.len(), 1, "exactly one alert: {found}");
    let alert = &spikes[0];
    assert_eq!(alert["dim"], "category3", "{alert}");
    assert_eq!(alert["key"], "010101", "{alert}");
    assert_eq!(alert["street"], "110108007", "{alert}");
    assert!(alert["count"].as_i64().unwrap() >= 40, "{alert}");
    for quiet in ["2026-11-22T10:00:00%2B08:00", "2026-11-22T12:00:00%2B08:00"] {
        let none = spikes_at(quiet).await;
        assert_eq!(
            none["spikes"].as_array().unwrap().len(),
            0,
            "{quiet}: {none}"
        );
    }
}

#[tokio::test]
async fn annotated_messages_train_the_model_but_are_never_tested() {
    let j = Jiesu::new();
    let dir = j.dir.path();
    let data = dir.join("labelled.csv");
    let rows = "小区停水三天,小区已经停水三天了物业不管,城乡建设\n\
         违章建筑无人管,楼顶有人搭建违章建筑请城管处理,城乡建设\n\
         物业乱收停车费,小区物业违规收取停车费,城乡建设\n\
         拆迁安置房不交房,拆迁安置房工程延期回迁户无房可住,城乡建设\n\
         学校乱收费,小学乱收补课费老师强制补课,教育文体\n\
         幼儿园入学难,孩子上幼儿园报名难学位不够,教育文体\n\
         中学老师体罚学生,班主任体罚学生请教育局调查,教育文体\n\
         教师工资拖欠,乡村教师的绩效工资被学校拖欠,教育文体\n";
    std::fs::write(&data, format!("title,detail,label\n{rows}{rows}")).unwrap();
    let annotated = dir.join("annotated.csv");
    std::fs::write(
        &annotated,
        "title,detail,label\n\
         窨井盖丢失,路边窨井盖丢失晚上行人容易掉进去,城乡建设\n\
         窨井盖松动,窨井盖松动车辆经过响声很大,城乡建设\n",
    )
    .unwrap();
    let (data, annotated) = (data.to_str().unwrap(), annotated.to_str().unwrap());
    let model = dir.join("m.json");
    let stdout = j.ok(&[
        "train",
        "classify",
        "--data",
        data,
        "--annotated",
        annotated,
        "--no-catalog",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(stdout.contains("on 16 rows"), "{stdout}");
    let saved: Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(saved["provenance"]["annotated_rows"], 2);
    let stdout = j.ok(&[
        "classify",
        "--model",
        model.to_str().unwrap(),
        "--json",
        "窨井盖不见了",
    ]);
    let p: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(p["top"][0][0], "城乡建设", "{p}");

    // Cross-validation tests the 16 labelled rows, never the annotated ones.
    let stdout = j.ok(&[
        "eval",
        "classify",
        "--data",
        data,
        "--cv",
        "2",
        "--annotated",
        annotated,
        "--no-catalog",
    ]);
    assert!(stdout.contains("(16 rows"), "{stdout}");
    assert!(stdout.contains("16 messages, 2 classes"), "{stdout}");

    // A missing file is named, and nothing is written.
    std::fs::remove_file(&model).unwrap();
    let out = j.run(
        &[
            "train",
            "classify",
            "--data",
            data,
            "--annotated",
            "nowhere.csv",
            "--out",
            model.to_str().unwrap(),
        ],
        "",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("annotated") && stderr.contains("nowhere.csv"),
        "{stderr}"
    );
    assert!(!model.exists());
}
