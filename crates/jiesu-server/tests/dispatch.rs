//! Dispatch rules through the real app on a real SQLite file (issue 6): the street light of
//! DESIGN §6 in four scenes, rule versions kept by the tickets they routed, automatic dispatch,
//! the dispatcher's queue, returns reviewed and re-dispatched to another unit, first-receiver
//! responsibility, consultation, and the return report.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use jiesu_core::Role;
use serde_json::{Value, json};

mod common;

/// 北下关街道, Haidian.
const STREET: &str = "110108007";
/// 城市公共设施 (street lights).
const LIGHT: &str = "010204";

const USERS: &[common::TestUser] = &[
    ("admin", Role::Admin, None),
    ("agent", Role::Agent, None),
    ("dispatcher", Role::Dispatcher, None),
    ("analyst", Role::Analyst, None),
    ("cgw", Role::Unit, Some("cgw")),
    ("ylj", Role::Unit, Some("ylj")),
    ("swj", Role::Unit, Some("swj")),
    ("bxg", Role::Unit, Some(STREET)),
];

use common::World;

fn beijing(d: u32, h: u32) -> DateTime<Utc> {
    common::beijing(d, h, 0)
}

async fn start() -> World {
    World::fresh(USERS, beijing(23, 9)).await
}

impl World {
    /// A street-light ticket in 北下关 with this text, as the agent records it.
    async fn light(&self, content: &str) -> Value {
        self.ticket(content, LIGHT).await
    }

    async fn ticket(&self, content: &str, category: &str) -> Value {
        self.create(json!({
            "channel": "phone", "content": content, "category_code": category,
            "caller": {"name": "王女士", "phone": "13812341234"},
            "street_code": STREET,
        }))
        .await
    }

    async fn explain(&self, body: Value) -> Value {
        let (status, e) = self
            .call("dispatcher", "POST", "/api/v1/dispatch/explain", Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        e
    }

    async fn put_rules(&self, user: &str, rules: Value) -> (StatusCode, Value) {
        self.call(user, "PUT", "/api/v1/dispatch/rules", Some(rules))
            .await
    }
}

const SCENES: [(&str, &str, &str); 4] = [
    (
        "北下关某小区院内的路灯坏了一周，晚上很黑",
        STREET,
        "compound-facilities",
    ),
    ("交大东路路口的路灯连续三晚不亮", "cgw", "road-facilities"),
    ("紫竹院公园东门里面的路灯不亮", "ylj", "park-facilities"),
    ("南长河河边步道的路灯全都不亮", "swj", "river-facilities"),
];

#[tokio::test]
async fn the_street_light_goes_to_four_units_in_four_scenes() {
    let w = start().await;
    for (text, unit, rule) in SCENES {
        let e = w
            .explain(json!({"text": text, "category_code": LIGHT, "street_code": STREET}))
            .await;
        let r = &e["routing"];
        assert_eq!(r["lead_unit"], unit, "{text}: {e:#}");
        assert_eq!(r["rule"], rule);
        assert_eq!(r["confident"], true);
        assert_eq!(r["rules_version"], 1);
        // Why the others did not apply: the scene read from the words rules them out.
        let scene = e["scene"]["value"].as_str().expect("one scene");
        let considered = r["considered"].as_array().expect("considered");
        assert!(considered.len() >= 6, "{considered:?}");
        for c in considered {
            if c["rule"] != rule && c["kind"] == "scene" {
                assert_eq!(c["outcome"], "not_applicable", "{c}");
                assert!(c["why"].as_str().unwrap().contains(scene), "{c}");
            }
        }
        assert!(
            considered
                .iter()
                .any(|c| c["rule"] == "catalog:010204" && c["outcome"] == "overridden")
        );
        assert!(e["lead_unit_name"].is_string());

        // The same through a recorded ticket, and in the dispatcher's queue with the proposal.
        let t = w.light(text).await;
        assert_eq!(t["status"], "received", "no leaf is switched on by default");
        let e = w.explain(json!({"ticket": t["number"]})).await;
        assert_eq!(e["routing"]["lead_unit"], unit);
    }
    let (status, q) = w
        .call("dispatcher", "GET", "/api/v1/dispatch/queue", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let units: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["routing"]["lead_unit"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["swj", "ylj", "cgw", STREET], "newest first");

    // The assistant names the scene and the unit while the agent types.
    let (status, a) = w
        .call(
            "agent",
            "POST",
            "/api/v1/assist",
            Some(json!({"text": SCENES[2].0, "category_code": LIGHT})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["scene"]["value"], "park");
    assert_eq!(a["scene"]["found"][0]["words"], json!(["公园"]));
    assert_eq!(a["unit"]["value"], "ylj");
    assert_eq!(a["unit"]["rule"], "park-facilities");

    // Agents and units do not read the dispatcher's queue.
    let (status, _) = w.call("agent", "GET", "/api/v1/dispatch/queue", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w
        .call(
            "cgw",
            "POST",
            "/api/v1/dispatch/explain",
            Some(json!({"text": "路灯"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_rule_change_is_a_new_version_and_tickets_keep_the_version_that_routed_them() {
    let w = start().await;
    let road = SCENES[1].0;
    let first = w.light(road).await;
    let first = w
        .act(
            "dispatcher",
            &first["id"],
            "dispatch",
            json!({"lead_unit": "cgw"}),
        )
        .await;
    assert_eq!(
        first["routed_by"],
        json!({"rules_version": 1, "rule": "road-facilities", "proposed_unit": "cgw", "automatic": false})
    );

    // Only admins change the rules; a rule naming an unknown unit or category is refused.
    let (_, mut rules) = w
        .call("dispatcher", "GET", "/api/v1/dispatch/rules", None)
        .await;
    assert_eq!(rules["version"], 1);
    rules["scenes"][1]["target"] = json!("district_government");
    rules["note"] = json!("道路照明下放到区");
    let (status, e) = w.put_rules("dispatcher", rules.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "forbidden");
    let mut wrong = rules.clone();
    wrong["scenes"][2]["target"] = json!({"unit": "no-such-bureau"});
    let (status, e) = w.put_rules("admin", wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "scenes[2].target.unit");
    let mut wrong = rules.clone();
    wrong["leaves"] = json!([{"category": "999999", "lead_unit": "cgw"}]);
    let (status, e) = w.put_rules("admin", wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "leaves[0].category");
    let mut wrong = rules.clone();
    wrong["scenes"][0]["scene"] = json!("beach");
    let (status, e) = w.put_rules("admin", wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "scenes[0].scene");

    let (status, v2) = w.put_rules("admin", rules).await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(v2["version"], 2);

    // New tickets go by version 2; the first keeps version 1.
    let second = w.light(road).await;
    let e = w.explain(json!({"ticket": second["id"]})).await;
    assert_eq!(e["routing"]["lead_unit"], "110108");
    let second = w
        .act(
            "dispatcher",
            &second["id"],
            "dispatch",
            json!({"lead_unit": "110108"}),
        )
        .await;
    assert_eq!(second["routed_by"]["rules_version"], 2);
    assert_eq!(second["routed_by"]["rule"], "road-facilities");
    let (_, first) = w
        .call(
            "admin",
            "GET",
            &format!("/api/v1/tickets/{}", first["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(first["routed_by"]["rules_version"], 1);
    assert_eq!(first["lead_unit"], "cgw");
    let dispatched = common::find(&first["events"], "kind", "dispatched");
    assert_eq!(dispatched["details"]["routing"]["rules_version"], 1);

    // A dispatcher who picks another unit than the rules is recorded as such.
    let third = w.light(road).await;
    let third = w
        .act(
            "dispatcher",
            &third["id"],
            "dispatch",
            json!({"lead_unit": "zjw"}),
        )
        .await;
    assert_eq!(
        third["routed_by"],
        json!({"rules_version": 2, "proposed_unit": "110108", "automatic": false})
    );

    // The audit: every version, who, why and what changed; old versions stay readable.
    let (status, h) = w
        .call("analyst", "GET", "/api/v1/dispatch/rules/versions", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = h["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["version"], 2);
    assert_eq!(items[0]["created_by"], "admin");
    assert_eq!(items[0]["note"], "道路照明下放到区");
    assert_eq!(items[0]["changed"], json!(["road-facilities"]));
    assert_eq!(items[1]["created_by"], "system");
    let (_, old) = w
        .call("agent", "GET", "/api/v1/dispatch/rules?version=1", None)
        .await;
    assert_eq!(old["scenes"][1]["target"], json!({"unit": "cgw"}));
}

#[tokio::test]
async fn only_switched_on_leaves_with_a_confident_routing_are_dispatched_automatically() {
    let w = start().await;
    let (_, mut rules) = w.call("admin", "GET", "/api/v1/dispatch/rules", None).await;
    rules["leaves"] = json!([{"category": LIGHT, "auto_dispatch": true}]);
    let (status, e) = w.put_rules("admin", rules).await;
    assert_eq!(status, StatusCode::OK, "{e}");

    // On a road, said clearly: out at once to 城管委, by the automatic dispatcher.
    let t = w.light(SCENES[1].0).await;
    assert_eq!(t["status"], "dispatched", "{t}");
    assert_eq!(t["lead_unit"], "cgw");
    assert_eq!(t["routed_by"]["automatic"], true);
    assert_eq!(t["routed_by"]["rule"], "road-facilities");
    assert!(t["deadlines"].is_object(), "held to the time limits");
    let (_, detail) = w
        .call(
            "admin",
            "GET",
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(detail["events"][1]["actor"]["name"], "auto-dispatch");

    // No scene in the words: a scene rule could have applied, so a dispatcher decides.
    let doubtful = w.light("路灯不亮，晚上很黑").await;
    assert_eq!(doubtful["status"], "received");
    // Two scenes: a doubt too.
    let two = w.light("小区门口马路边的路灯不亮").await;
    assert_eq!(two["status"], "received");
    // A leaf whose switch is off waits whatever its routing.
    let heat = w.ticket("暖气不热，室温只有十五度", "010208").await;
    assert_eq!(heat["status"], "received");

    let (_, q) = w
        .call("dispatcher", "GET", "/api/v1/dispatch/queue", None)
        .await;
    let items = q["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let waiting = items
        .iter()
        .find(|i| i["ticket"]["id"] == doubtful["id"])
        .expect("in the queue");
    assert_eq!(
        waiting["routing"]["lead_unit"], "cgw",
        "the proposal is filled in"
    );
    assert_eq!(waiting["routing"]["confident"], false);
    assert_eq!(waiting["routing"]["auto_dispatch"], true);
    let heat = items
        .iter()
        .find(|i| i["ticket"]["id"] == heat["id"])
        .unwrap();
    assert_eq!(
        (
            &heat["routing"]["lead_unit"],
            &heat["routing"]["confident"],
            &heat["routing"]["auto_dispatch"]
        ),
        (&json!("heat"), &json!(true), &json!(false))
    );
}

#[tokio::test]
async fn a_returned_ticket_reaches_review_and_an_upheld_return_goes_to_another_unit() {
    let w = start().await;
    // The park rule sends it to 园林绿化局, which finds the lamp is on the road outside.
    let t = w.light(SCENES[2].0).await;
    w.act(
        "dispatcher",
        &t["id"],
        "dispatch",
        json!({"lead_unit": "ylj"}),
    )
    .await;
    let returned = w
        .act(
            "ylj",
            &t["id"],
            "return",
            json!({"reason": "该路灯在公园围墙外的道路上，不属公园管理"}),
        )
        .await;
    assert_eq!(returned["status"], "returned");

    let (status, r) = w
        .call("dispatcher", "GET", "/api/v1/dispatch/returns", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item["ticket"]["id"], t["id"]);
    assert_eq!(item["returned_by"], "ylj");
    assert_eq!(item["reason"], "该路灯在公园围墙外的道路上，不属公园管理");
    assert_eq!(item["routed_by"]["rule"], "park-facilities");
    // The proposal for the re-dispatch passes over the unit that returned it.
    assert_eq!(item["redispatch"]["lead_unit"], "cgw");
    assert!(
        item["redispatch"]["considered"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["rule"] == "park-facilities"
                && c["why"].as_str().unwrap().contains("ylj returned"))
    );

    // Upheld, with the rule flagged: re-dispatched by the rules to 城管委.
    let upheld = w
        .act(
            "dispatcher",
            &t["id"],
            "review",
            json!({"decision": "uphold", "flag_rule": true, "note": "公园外道路"}),
        )
        .await;
    assert_eq!(upheld["status"], "dispatched");
    assert_eq!(upheld["lead_unit"], "cgw");
    assert_eq!(upheld["routed_by"]["rule"], "catalog:010204");
    let (_, detail) = w
        .call(
            "admin",
            "GET",
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
            None,
        )
        .await;
    let flagged = common::find(&detail["events"], "kind", "return_upheld");
    assert_eq!(flagged["details"]["flagged_rule"], "park-facilities");
    let (_, r) = w
        .call("dispatcher", "GET", "/api/v1/dispatch/returns", None)
        .await;
    assert_eq!(r["items"], json!([]));

    // 城管委 returns it too; the reviewer refuses: it stays with 城管委.
    w.act("cgw", &t["id"], "return", json!({"reason": "应由街道处理"}))
        .await;
    let refused = w
        .act(
            "dispatcher",
            &t["id"],
            "review",
            json!({"decision": "refuse", "note": "道路照明属城管委"}),
        )
        .await;
    assert_eq!(
        (&refused["status"], &refused["lead_unit"]),
        (&json!("dispatched"), &json!("cgw"))
    );

    // Another park ticket that stays: the report shows which unit and which rule misroute.
    let ok = w.light(SCENES[2].0).await;
    w.act(
        "dispatcher",
        &ok["id"],
        "dispatch",
        json!({"lead_unit": "ylj"}),
    )
    .await;
    let rep = w
        .get_ok(
            "analyst",
            "/api/v1/reports/returns?from=2026-11-01&to=2026-11-30",
        )
        .await;
    let ylj = common::find(&rep["by_unit"], "key", "ylj");
    assert_eq!(
        (&ylj["dispatched"], &ylj["returned"], &ylj["upheld"]),
        (&json!(2), &json!(1), &json!(1))
    );
    assert_eq!(ylj["return_rate"], 0.5);
    assert_eq!(ylj["name"], "北京市园林绿化局");
    let park = common::find(&rep["by_rule"], "key", "park-facilities");
    assert_eq!(
        (&park["flagged"], &park["misroute_rate"]),
        (&json!(1), &json!(0.5))
    );
    let cgw = common::find(&rep["by_unit"], "key", "cgw");
    assert_eq!(
        (&cgw["returned"], &cgw["refused"], &cgw["upheld"]),
        (&json!(1), &json!(1), &json!(0))
    );
    let (status, e) = w
        .call(
            "analyst",
            "GET",
            "/api/v1/reports/returns?from=2026-13-01",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "from");
}

#[tokio::test]
async fn the_first_receiver_keeps_a_ticket_in_its_responsibility_list() {
    let w = start().await;
    let (_, mut rules) = w.call("admin", "GET", "/api/v1/dispatch/rules", None).await;
    rules["responsibilities"] = json!([{
        "id": "bxg-public-facilities", "division": STREET, "categories": ["0102"], "unit": STREET
    }]);
    let (status, e) = w.put_rules("admin", rules).await;
    assert_eq!(status, StatusCode::OK, "{e}");

    // The street's list comes before the park rule.
    let t = w.light(SCENES[2].0).await;
    let e = w.explain(json!({"ticket": t["id"]})).await;
    assert_eq!(e["routing"]["lead_unit"], STREET);
    assert_eq!(e["routing"]["kind"], "street_responsibility");
    w.act(
        "dispatcher",
        &t["id"],
        "dispatch",
        json!({"lead_unit": STREET}),
    )
    .await;
    let (status, e) = w
        .try_act(
            "bxg",
            &t["id"],
            "return",
            json!({"reason": "公园内应由园林局处理"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bxg-public-facilities")
    );

    // 城管委 holds no such list: it may send back a ticket it got.
    let other = w.light(SCENES[1].0).await;
    w.act(
        "dispatcher",
        &other["id"],
        "dispatch",
        json!({"lead_unit": "cgw"}),
    )
    .await;
    w.act(
        "cgw",
        &other["id"],
        "return",
        json!({"reason": "属街道职责清单"}),
    )
    .await;
}

#[tokio::test]
async fn several_units_are_invited_to_a_consultation_and_see_the_ticket() {
    let w = start().await;
    let t = w
        .light("小区门口马路边的路灯不亮，物业和城管互相推诿")
        .await;
    w.act(
        "dispatcher",
        &t["id"],
        "dispatch",
        json!({"lead_unit": STREET}),
    )
    .await;
    let id = t["id"].as_str().unwrap();
    let (status, _) = w
        .call("ylj", "GET", &format!("/api/v1/tickets/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, e) = w
        .try_act(
            "dispatcher",
            &t["id"],
            "consult",
            json!({"units": ["cgw", "nobody"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "units[1]");
    let c = w
        .act(
            "dispatcher",
            &t["id"],
            "consult",
            json!({"units": ["cgw", "ylj"], "note": "会商路灯权属"}),
        )
        .await;
    assert_eq!(c["consultation_units"], json!(["cgw", "ylj"]));
    assert_eq!(c["lead_unit"], STREET);
    let (status, seen) = w
        .call("ylj", "GET", &format!("/api/v1/tickets/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["caller"]["phone"], "138****1234");
    assert!(
        seen["allowed_actions"].as_array().unwrap().is_empty(),
        "invited, not in charge"
    );
    let (status, _) = w
        .try_act("cgw", &t["id"], "consult", json!({"units": ["swj"]}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
