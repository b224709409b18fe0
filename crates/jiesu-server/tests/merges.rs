//! 一件多诉 through the real app on a real SQLite file (issue 6 part 5): three callers report
//! the same broken street light in one compound within the hour, the later ones get the first
//! proposed as master with the words they share, the same words from another compound are not
//! proposed, the dispatcher merges them, the unit replies to the master, and the next
//! morning's callback list holds every caller.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use jiesu_core::Role;
use serde_json::{Value, json};

mod common;
use std::collections::BTreeSet;

/// 北下关街道, Haidian.
const STREET: &str = "110108007";
/// 城市公共设施 (street lights).
const LIGHT: &str = "010204";

const USERS: &[(&str, Role, Option<&str>)] = &[
    ("agent", Role::Agent, None),
    ("dispatcher", Role::Dispatcher, None),
    ("supervisor", Role::Supervisor, None),
    ("bxg", Role::Unit, Some(STREET)),
];

use common::{World, beijing};

async fn start() -> World {
    World::fresh(USERS, beijing(23, 9, 0)).await
}

impl World {
    /// A caller reports a broken street light at `at`.
    async fn report(&self, at: DateTime<Utc>, name: &str, phone: &str, content: &str) -> Value {
        self.clock.set(at);
        self.create(json!({
            "channel": "phone", "title": "路灯不亮", "content": content,
            "category_code": LIGHT, "street_code": STREET,
            "caller": {"name": name, "phone": phone},
        }))
        .await
    }

    async fn duplicates(&self, ticket: &Value) -> Value {
        let id = ticket["id"].as_str().expect("an id");
        self.get_ok("dispatcher", &format!("/api/v1/tickets/{id}/duplicates"))
            .await
    }
}

fn ids(proposals: &Value) -> BTreeSet<String> {
    proposals
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn three_callers_one_street_light_merged_replied_and_all_called_back() {
    let w = start().await;
    let first = w
        .report(
            beijing(23, 19, 0),
            "张先生",
            "13811110001",
            "大柳树小区3号楼前的路灯坏了，晚上一片漆黑，老人出门不方便",
        )
        .await;
    let second = w
        .report(
            beijing(23, 19, 20),
            "李女士",
            "13811110002",
            "大柳树小区3号楼门口路灯不亮，晚上漆黑一片",
        )
        .await;
    let third = w
        .report(
            beijing(23, 19, 45),
            "王大爷",
            "13811110003",
            "大柳树小区路灯坏了，3号楼前一片漆黑",
        )
        .await;
    // The same words from another compound of the same street.
    let elsewhere = w
        .report(
            beijing(23, 19, 50),
            "赵先生",
            "13811110004",
            "皂君庙小区3号楼前的路灯坏了，晚上一片漆黑，老人出门不方便",
        )
        .await;

    // The second and the third get the first as master, with the words and place they share.
    for (later, others) in [(&second, vec![&first]), (&third, vec![&first, &second])] {
        let d = w.duplicates(later).await;
        let proposed = ids(&d["proposals"]);
        for o in &others {
            assert!(proposed.contains(o["id"].as_str().unwrap()), "{d}");
        }
        assert!(!proposed.contains(elsewhere["id"].as_str().unwrap()), "{d}");
        assert_eq!(d["master"]["id"], first["id"], "{d}");
        assert_eq!(d["master"]["reason"], "oldest");
        let best = &d["proposals"][0];
        assert!(best["score"].as_f64().unwrap() >= 0.4, "{d}");
        let words: Vec<&str> = best["shared_terms"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(words.iter().any(|w| w.contains('灯')), "{words:?}");
        assert_eq!(best["same_place"], "大柳树", "{d}");
        assert_eq!(best["status"], "received");
        assert!(d["compared"].as_u64().unwrap() >= 3);
    }
    // The other compound's report is nobody's duplicate.
    let d = w.duplicates(&elsewhere).await;
    assert_eq!(d["proposals"], json!([]), "{d}");
    assert_eq!(d["master"], Value::Null);
    // The first sees the later ones and is its own master.
    let d = w.duplicates(&first).await;
    assert_eq!(
        ids(&d["proposals"]),
        BTreeSet::from([
            second["id"].as_str().unwrap().to_string(),
            third["id"].as_str().unwrap().to_string()
        ])
    );
    assert_eq!(d["master"]["id"], first["id"]);

    // The dispatcher's queue shows each one's best proposal beside the routing.
    let q = w.get_ok("dispatcher", "/api/v1/dispatch/queue").await;
    let item = |t: &Value| {
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["ticket"]["id"] == t["id"])
            .cloned()
            .unwrap_or_else(|| panic!("{t} not queued: {q}"))
    };
    assert_eq!(item(&second)["duplicate"]["master"]["id"], first["id"]);
    assert!(
        item(&second)["duplicate"]["best"]["score"]
            .as_f64()
            .unwrap()
            >= 0.4
    );
    assert_eq!(item(&elsewhere)["duplicate"], Value::Null);

    // Only the centre's roles see proposals.
    let path = format!(
        "/api/v1/tickets/{}/duplicates",
        first["id"].as_str().unwrap()
    );
    assert_eq!(
        w.call("bxg", "GET", &path, None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(w.call("agent", "GET", &path, None).await.0, StatusCode::OK);
    let (status, e) = w
        .call("dispatcher", "GET", "/api/v1/tickets/nope/duplicates", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");

    // The dispatcher merges the second and third into the first.
    w.clock.set(beijing(23, 20, 0));
    for t in [&second, &third] {
        let merged = w
            .act(
                "dispatcher",
                &t["id"],
                "merge",
                json!({"master_id": first["id"]}),
            )
            .await;
        assert_eq!(merged["status"], "merged");
        assert_eq!(merged["master_id"], first["id"]);
    }
    // Merged tickets are no longer proposed; the master now is the shared one.
    let d = w.duplicates(&first).await;
    assert_eq!(d["proposals"], json!([]), "{d}");

    // The unit handles the master and replies.
    w.act(
        "dispatcher",
        &first["id"],
        "dispatch",
        json!({"lead_unit": STREET}),
    )
    .await;
    w.act("bxg", &first["id"], "acknowledge", json!({})).await;
    w.clock.set(beijing(23, 21, 0));
    w.act(
        "bxg",
        &first["id"],
        "reply",
        json!({"outcome": "solved", "text": "已更换3号楼前路灯灯泡"}),
    )
    .await;

    // Each merged ticket carries the master's reply in its history.
    let (_, s) = w
        .call(
            "agent",
            "GET",
            &format!("/api/v1/tickets/{}", second["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s["status"], "merged");
    assert_eq!(s["reply_outcome"], "solved");
    assert_eq!(s["allowed_actions"], json!(["callback"]), "{s}");
    let last = s["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "master_replied", "{last}");
    assert_eq!(last["details"]["text"], "已更换3号楼前路灯灯泡");

    // Tomorrow's callback list holds all three callers.
    w.clock.set(beijing(24, 8, 0));
    let list = w.get_ok("agent", "/api/v1/callbacks?date=2026-11-24").await;
    let phones: BTreeSet<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["caller"]["phone"].as_str().unwrap())
        .collect();
    assert_eq!(
        phones,
        BTreeSet::from(["13811110001", "13811110002", "13811110003"]),
        "{list}"
    );

    // Calling the second caller back records the answer and takes them off the list; the
    // master stays for its own caller.
    let called = w
        .act(
            "agent",
            &second["id"],
            "callback",
            json!({"reached": true, "resolved": true, "satisfaction": "satisfied"}),
        )
        .await;
    assert_eq!(called["status"], "closed");
    assert_eq!(called["satisfaction"], "satisfied");
    let (_, list) = w
        .call("agent", "GET", "/api/v1/callbacks?date=2026-11-24", None)
        .await;
    assert_eq!(list["total"], 2, "{list}");

    // A fifth caller merged after the reply is on the list at once.
    let late = w
        .report(
            beijing(24, 8, 30),
            "孙女士",
            "13811110005",
            "大柳树小区3号楼前路灯还是不亮",
        )
        .await;
    let d = w.duplicates(&late).await;
    assert_eq!(d["master"]["id"], first["id"], "{d}");
    assert_eq!(d["master"]["reason"], "shared", "{d}");
    let merged = w
        .act(
            "dispatcher",
            &late["id"],
            "merge",
            json!({"master_id": first["id"]}),
        )
        .await;
    assert_eq!(merged["reply_outcome"], "solved", "{merged}");
    let (_, list) = w
        .call("agent", "GET", "/api/v1/callbacks?date=2026-11-25", None)
        .await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == late["id"]),
        "{list}"
    );
}
