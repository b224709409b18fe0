//! The knowledge base, the answer bot, the IVR and the notice stream through the real app, on
//! a real SQLite file with a real search index.

use axum::http::StatusCode;
use http_body_util::BodyExt;
use jiesu_core::Role;
use jiesu_server::{AppState, ManualClock, Options, app};
use jiesu_store::DynStore;
use serde_json::{Value, json};

mod common;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

const USERS: &[common::TestUser] = &[
    ("admin", Role::Admin, None),
    ("agent", Role::Agent, None),
    ("agent2", Role::Agent, None),
    ("editor", Role::Editor, None),
    ("analyst", Role::Analyst, None),
];

struct World {
    state: AppState,
    tokens: BTreeMap<&'static str, String>,
}

async fn start(dir: &Path, fresh: bool) -> World {
    let store = common::open_store(&dir.join("kb.db"), fresh, USERS).await;
    let store: DynStore = Arc::new(store);
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let options = Options {
        model_file: None,
        index_dir: Some(dir.join("search")),
    };
    let state = AppState::with_options(store.clone(), clock, options)
        .await
        .unwrap();
    let tokens = common::tokens(&store, USERS).await;
    World { state, tokens }
}

impl World {
    async fn call(
        &self,
        user: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let token = user.map(|u| self.tokens[u].as_str());
        common::send(&self.state, token, method, path, body).await
    }

    async fn ok(&self, user: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.call(Some(user), method, path, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v
    }

    async fn entry(&self, title: &str, answer: &str) -> Value {
        self.ok(
            "editor",
            "POST",
            "/api/v1/knowledge/entries",
            Some(json!({
                "title": title, "answer": answer, "publish": true,
                "questions": [], "category_code": "01", "source": "press_conference",
            })),
        )
        .await
    }

    async fn search(&self, q: &str) -> Vec<String> {
        let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let v = self
            .ok(
                "agent",
                "GET",
                &format!("/api/v1/knowledge/search?q={q}"),
                None,
            )
            .await;
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    }
}

#[tokio::test]
async fn an_entry_lives_edits_show_at_once_and_retired_entries_are_never_answered() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(dir.path(), true).await;
    let e = w
        .entry(
            "冬季供暖什么时候开始",
            "本市供暖季为每年11月15日至次年3月15日，遇寒冷天气可提前供暖。",
        )
        .await;
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(
        (e["version"].as_i64(), e["status"].as_str()),
        (Some(1), Some("active"))
    );
    w.entry(
        "医保报销需要什么材料",
        "携带身份证、社保卡、费用票据和明细到区医保中心办理。",
    )
    .await;

    // Agents search in Chinese and get the entry with a highlighted snippet.
    assert_eq!(w.search("供暖").await.first(), Some(&id));
    let (_, hits) = w
        .call(
            Some("agent"),
            "GET",
            "/api/v1/knowledge/search?q=%E4%BE%9B%E6%9A%96",
            None,
        )
        .await;
    assert!(
        hits["items"][0]["title_html"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
    assert!(
        hits["items"][0]["answer"]
            .as_str()
            .unwrap()
            .contains("11月15日")
    );

    // Only editors write.
    let (status, err) = w
        .call(
            Some("agent"),
            "POST",
            "/api/v1/knowledge/entries",
            Some(json!({"title": "x", "answer": "y"})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    // An update is searchable by its new words the moment it is saved, not by the old ones.
    let updated = w
        .ok(
            "editor",
            "PUT",
            &format!("/api/v1/knowledge/entries/{id}"),
            Some(json!({
                "expected_version": 1, "note": "政策调整",
                "title": "冬季供暖什么时候开始",
                "answer": "今年供暖提前至11月8日开始，地暖用户请提前排气。",
                "category_code": "01", "source": "press_conference",
            })),
        )
        .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(w.search("地暖排气").await.first(), Some(&id));
    assert!(!w.search("寒冷天气").await.contains(&id));
    // Saving over someone else's change is refused and changes nothing.
    let (status, _) = w
        .call(
            Some("editor"),
            "PUT",
            &format!("/api/v1/knowledge/entries/{id}"),
            Some(json!({"expected_version": 1, "title": "t", "answer": "a"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Every version is kept and two can be compared.
    let versions = w
        .ok(
            "agent",
            "GET",
            &format!("/api/v1/knowledge/entries/{id}/versions"),
            None,
        )
        .await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 2);
    let v1 = w
        .ok(
            "agent",
            "GET",
            &format!("/api/v1/knowledge/entries/{id}/versions/1"),
            None,
        )
        .await;
    assert!(v1["answer"].as_str().unwrap().contains("3月15日"));
    let d = w
        .ok(
            "agent",
            "GET",
            &format!("/api/v1/knowledge/entries/{id}/diff?from=1&to=2"),
            None,
        )
        .await;
    assert_eq!(d["changes"][0]["field"], "answer");

    // Retired: gone from search, never answered by the bot, not citable in a ticket.
    w.ok(
        "editor",
        "POST",
        &format!("/api/v1/knowledge/entries/{id}/retire"),
        Some(json!({"note": "供暖季结束"})),
    )
    .await;
    assert!(!w.search("供暖").await.contains(&id));
    let bot = w
        .ok(
            "agent",
            "POST",
            "/api/v1/answer",
            Some(json!({"question": "冬季供暖什么时候开始"})),
        )
        .await;
    assert_eq!(bot["answered"], false, "{bot}");
    assert!(
        bot["answers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["entry_id"] != id.as_str())
    );
    let (status, t) = w
        .call(
            Some("agent"),
            "POST",
            "/api/v1/tickets",
            Some(json!({"channel": "phone", "content": "暖气什么时候来",
                        "caller": {"name": "王女士", "phone": "13900001111"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let ticket = t["id"].as_str().unwrap();
    let (status, err) = w
        .call(
            Some("agent"),
            "POST",
            &format!("/api/v1/tickets/{ticket}/answer"),
            Some(json!({"entry_id": id, "text": "已答复"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "entry_id");
    // Retired entries are still there for editors who ask for them.
    let q: String = form_urlencoded::byte_serialize("地暖".as_bytes()).collect();
    let retired = w
        .ok(
            "editor",
            "GET",
            &format!("/api/v1/knowledge/search?q={q}&status=retired"),
            None,
        )
        .await;
    assert_eq!(retired["items"][0]["id"], id.as_str());

    // Reactivated, it answers again, and the ticket records the version read out.
    w.ok(
        "editor",
        "POST",
        &format!("/api/v1/knowledge/entries/{id}/reactivate"),
        None,
    )
    .await;
    let answered = w
        .ok(
            "agent",
            "POST",
            &format!("/api/v1/tickets/{ticket}/answer"),
            Some(json!({"entry_id": id, "text": "已按口径答复"})),
        )
        .await;
    assert_eq!(answered["status"], "answered");
    let events = w
        .ok("agent", "GET", &format!("/api/v1/tickets/{ticket}"), None)
        .await;
    let last = events["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["details"]["entry_version"], 4, "{last}");

    // The period's changes are counted.
    let report = w
        .ok("analyst", "GET", "/api/v1/reports/knowledge", None)
        .await;
    assert_eq!(report["changes"]["created"], 2);
    assert_eq!(report["changes"]["updated"], 1);
    assert_eq!(report["changes"]["retired"], 1);
    assert_eq!(report["changes"]["reactivated"], 1);
}

#[tokio::test]
async fn bad_entries_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(dir.path(), true).await;
    for (body, field) in [
        (json!({"answer": "a"}), "title"),
        (json!({"title": " ", "answer": "a"}), "title"),
        (
            json!({"title": "t", "answer": "a", "category_code": "99"}),
            "category_code",
        ),
        (
            json!({"title": "t", "answer": "a", "region_code": "110199"}),
            "region_code",
        ),
        (
            json!({"title": "t", "answer": "a", "colour": "red"}),
            "colour",
        ),
        (
            json!({"title": "t", "answer": "a", "publish": "yes"}),
            "publish",
        ),
        (
            json!({"title": "t", "answer": "a", "source": "rumour"}),
            "source",
        ),
        (
            json!({"title": "t", "answer": "a", "valid_from": "2026-12-01", "valid_until": "2026-11-01"}),
            "valid_until",
        ),
    ] {
        let (status, err) = w
            .call(
                Some("editor"),
                "POST",
                "/api/v1/knowledge/entries",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    let (status, _) = w
        .call(Some("agent"), "GET", "/api/v1/knowledge/search?q=", None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let list = w
        .ok("agent", "GET", "/api/v1/knowledge/entries", None)
        .await;
    assert_eq!(list["total"], 0, "nothing was stored");
}

#[tokio::test]
async fn a_change_is_pushed_to_a_connected_agent() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(dir.path(), true).await;
    let e = w
        .entry("公积金提取条件", "购房、租房、退休等情形可以提取。")
        .await;
    let id = e["id"].as_str().unwrap().to_string();
    let resp = app(w.state.clone())
        .oneshot(common::request(
            Some(&w.tokens["agent"]),
            "GET",
            "/api/v1/notices",
            None,
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = resp.into_body();
    w.ok(
        "editor",
        "PUT",
        &format!("/api/v1/knowledge/entries/{id}"),
        Some(
            json!({"title": "公积金提取条件", "answer": "购房、租房、退休、大病等情形可以提取。"}),
        ),
    )
    .await;
    let mut text = String::new();
    while !text.contains("\n\n") {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
            .await
            .expect("a notice within five seconds")
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
    assert!(text.contains("event: entry.updated"), "{text}");
    assert!(
        text.contains(&id) && text.contains("\"version\":2"),
        "{text}"
    );
}

#[tokio::test]
async fn missing_answers_group_the_same_question_and_close_with_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(dir.path(), true).await;
    for (agent, q) in [
        ("agent", "新冠疫苗第四针在哪里打？"),
        ("agent2", "新冠疫苗第四针在哪里打"),
        ("agent", "小区电动车充电桩谁来装"),
        ("agent2", "请问新冠疫苗第四针在哪里打啊"),
    ] {
        let (status, _) = w
            .call(
                Some(agent),
                "POST",
                "/api/v1/knowledge/missing",
                Some(json!({"question": q})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let queue = w
        .ok("editor", "GET", "/api/v1/knowledge/missing", None)
        .await;
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["asked"], 3);
    assert_eq!(items[1]["asked"], 1);
    let e = w
        .entry("新冠疫苗第四针接种地点", "可到各社区卫生服务中心接种。")
        .await;
    let item = items[0]["id"].as_i64().unwrap();
    let closed = w
        .ok(
            "editor",
            "POST",
            &format!("/api/v1/knowledge/missing/{item}/close"),
            Some(json!({"entry_id": e["id"]})),
        )
        .await;
    assert_eq!(closed["entry_id"], e["id"]);
    let queue = w
        .ok("editor", "GET", "/api/v1/knowledge/missing", None)
        .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    let (status, _) = w
        .call(Some("agent"), "GET", "/api/v1/knowledge/missing", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents file, editors rank");
}

#[tokio::test]
async fn the_bot_answers_citing_the_entry_or_hands_over_keeping_the_question() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(dir.path(), true).await;
    let e = w
        .entry(
            "居住证怎么办理",
            "持身份证、居住登记卡和住所证明到居住地派出所办理。",
        )
        .await;
    // Public: no sign-in.
    let (status, bot) = w
        .call(
            None,
            "POST",
            "/api/v1/answer",
            Some(json!({"question": "请问居住证怎么办理？"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bot["answered"], true, "{bot}");
    assert_eq!(bot["answers"][0]["entry_id"], e["id"]);
    assert_eq!(bot["answers"][0]["version"], 1);
    assert!(bot["confidence"].as_f64().unwrap() >= bot["threshold"].as_f64().unwrap());

    let question = "楼下烧烤店油烟太大晚上还很吵";
    let (_, bot) = w
        .call(
            None,
            "POST",
            "/api/v1/answer",
            Some(json!({"question": question})),
        )
        .await;
    assert_eq!(bot["answered"], false, "{bot}");
    let ticket_option = &bot["handover"]["options"][1];
    assert_eq!(ticket_option["draft"]["content"], question);
    let href = ticket_option["href"].as_str().unwrap();
    let (status, t) = w
        .call(None, "POST", href, Some(json!({"phone": "13712345678"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let ticket = w
        .ok(
            "agent",
            "GET",
            &format!("/api/v1/tickets/{}", t["ticket_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(ticket["content"], question);
    let (status, _) = w
        .call(None, "POST", href, Some(json!({"phone": "13712345678"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one work order per question");

    let (status, err) = w
        .call(
            None,
            "POST",
            "/api/v1/answer",
            Some(json!({"question": ""})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("question"))
    );

    let report = w
        .ok("analyst", "GET", "/api/v1/reports/self-service", None)
        .await;
    assert_eq!(report["bot"]["total"], 2);
    assert_eq!(report["bot"]["self_served"], 1);
}

#[tokio::test]
async fn a_pbx_walks_the_ivr_menu_and_self_service_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(dir.path(), true).await;
    let e = w
        .entry("供暖费缴纳", "可通过银行、热力公司营业厅或手机APP缴纳。")
        .await;
    let id = e["id"].as_str().unwrap();
    let menu = json!({
        "root": "main",
        "nodes": {
            "main": {"prompt": "政策咨询请按1，留言请按9，人工服务请按0。", "options": {
                "1": {"action": "menu", "node": "policy"},
                "9": {"action": "message"},
                "0": {"action": "agent"}
            }},
            "policy": {"prompt": "供暖费缴纳请按1。", "options": {
                "1": {"action": "read_entry", "entry_id": id}
            }}
        }
    });
    // A menu pointing at an unknown entry is refused where it points.
    let mut broken = menu.clone();
    broken["nodes"]["policy"]["options"]["1"]["entry_id"] = json!("KB999999");
    let (status, err) = w
        .call(Some("editor"), "PUT", "/api/v1/ivr/menu", Some(broken))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "nodes.policy.options.1.entry_id");
    w.ok("editor", "PUT", "/api/v1/ivr/menu", Some(menu)).await;

    // Call 1 hears the answer and hangs up: served without an agent.
    let start = w
        .ok(
            "agent",
            "POST",
            "/api/v1/ivr/calls",
            Some(json!({"call_id": "c1", "caller_phone": "13800000001"})),
        )
        .await;
    assert_eq!(
        (start["action"].as_str(), start["node"].as_str()),
        (Some("gather"), Some("main"))
    );
    let step = w
        .ok(
            "agent",
            "POST",
            "/api/v1/ivr/calls/c1/keys",
            Some(json!({"key": "1"})),
        )
        .await;
    assert_eq!(step["node"], "policy");
    let step = w
        .ok(
            "agent",
            "POST",
            "/api/v1/ivr/calls/c1/keys",
            Some(json!({"key": "1"})),
        )
        .await;
    assert_eq!(step["action"], "play");
    assert!(step["prompt"].as_str().unwrap().contains("热力公司营业厅"));
    let bye = w
        .ok("agent", "POST", "/api/v1/ivr/calls/c1/hangup", None)
        .await;
    assert_eq!(bye["outcome"], "self_served");

    // Call 2 leaves a message: it becomes a work order with the caller's number.
    w.ok(
        "agent",
        "POST",
        "/api/v1/ivr/calls",
        Some(json!({"call_id": "c2", "caller_phone": "13800000002"})),
    )
    .await;
    let rec = w
        .ok(
            "agent",
            "POST",
            "/api/v1/ivr/calls/c2/keys",
            Some(json!({"key": "9"})),
        )
        .await;
    assert_eq!(rec["action"], "record");
    let done = w
        .ok(
            "agent",
            "POST",
            "/api/v1/ivr/calls/c2/message",
            Some(json!({"text": "小区门口路灯坏了三天"})),
        )
        .await;
    assert_eq!(done["action"], "hangup");
    let ticket = w
        .ok(
            "agent",
            "GET",
            &format!("/api/v1/tickets/{}", done["ticket_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(ticket["caller"]["phone"], "13800000002");

    // Call 3 presses wrong keys three times and is handed to an agent.
    w.ok(
        "agent",
        "POST",
        "/api/v1/ivr/calls",
        Some(json!({"call_id": "c3"})),
    )
    .await;
    for expected in ["gather", "gather", "transfer"] {
        let s = w
            .ok(
                "agent",
                "POST",
                "/api/v1/ivr/calls/c3/keys",
                Some(json!({"key": "7"})),
            )
            .await;
        assert_eq!(s["action"], expected);
    }
    let (status, _) = w
        .call(
            Some("agent"),
            "POST",
            "/api/v1/ivr/calls/c3/keys",
            Some(json!({"key": "1"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the call has ended");

    // Retiring the entry the menu reads hands the next caller to a person instead.
    w.ok(
        "editor",
        "POST",
        &format!("/api/v1/knowledge/entries/{id}/retire"),
        None,
    )
    .await;
    w.ok(
        "agent",
        "POST",
        "/api/v1/ivr/calls",
        Some(json!({"call_id": "c4"})),
    )
    .await;
    w.ok(
        "agent",
        "POST",
        "/api/v1/ivr/calls/c4/keys",
        Some(json!({"key": "1"})),
    )
    .await;
    let s = w
        .ok(
            "agent",
            "POST",
            "/api/v1/ivr/calls/c4/keys",
            Some(json!({"key": "1"})),
        )
        .await;
    assert_eq!(s["action"], "transfer");

    let report = w
        .ok("analyst", "GET", "/api/v1/reports/self-service", None)
        .await;
    assert_eq!(report["ivr"]["total"], 4);
    assert_eq!(report["ivr"]["self_served"], 1);
    assert_eq!(report["ivr"]["self_served_share"], 0.25);
    assert_eq!(report["ivr"]["by_outcome"]["ticket"], 1);
    assert_eq!(report["ivr"]["by_outcome"]["agent"], 2);
}

#[tokio::test]
async fn the_index_survives_a_restart_and_rebuilds_itself_when_lost() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let w = start(dir.path(), true).await;
        let e = w
            .entry("垃圾分类投放时间", "早7点至9点、晚6点至8点定时定点投放。")
            .await;
        e["id"].as_str().unwrap().to_string()
    };
    let w = start(dir.path(), false).await;
    assert_eq!(w.search("垃圾分类").await, vec![id.clone()]);
    drop(w);
    std::fs::remove_dir_all(dir.path().join("search")).unwrap();
    let w = start(dir.path(), false).await;
    assert_eq!(w.search("垃圾分类").await, vec![id]);
}

#[tokio::test]
async fn drafts_stay_with_the_editors_until_published() {
    let dir = tempfile::tempdir().unwrap();
    let w = start(dir.path(), true).await;
    let (status, draft) = w
        .call(
            Some("editor"),
            "POST",
            "/api/v1/knowledge/entries",
            Some(json!({"title": "春节期间垃圾清运安排", "answer": "除夕至初三每日清运两次。"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_str().unwrap();
    let (status, _) = w
        .call(
            Some("agent"),
            "GET",
            &format!("/api/v1/knowledge/entries/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = w
        .call(
            Some("agent"),
            "GET",
            "/api/v1/knowledge/entries?status=draft",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let list = w
        .ok("agent", "GET", "/api/v1/knowledge/entries", None)
        .await;
    assert_eq!(list["total"], 0);
    assert!(w.search("垃圾清运").await.is_empty());
    let editors = w
        .ok("editor", "GET", "/api/v1/knowledge/entries", None)
        .await;
    assert_eq!(editors["total"], 1);
    w.ok(
        "editor",
        "POST",
        &format!("/api/v1/knowledge/entries/{id}/publish"),
        None,
    )
    .await;
    assert_eq!(w.search("垃圾清运").await, vec![id.to_string()]);
}
