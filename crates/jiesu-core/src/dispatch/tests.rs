//! Routing by the rules: the street light of DESIGN §6, the order of the rules, doubt, and the
//! return report.

use super::*;
use crate::directory::MemoryDirectory;
use crate::reference::{CatalogNode, Division, Unit, UnitKind};
use crate::role::Actor;
use crate::ticket::TicketId;

const STREET: &str = "110108007";
const DISTRICT: &str = "110108";
const LIGHT: &str = "010204";

fn dir() -> MemoryDirectory {
    let unit = |code: &str, kind| Unit {
        code: code.into(),
        name: format!("unit {code}"),
        kind,
        district_code: None,
    };
    let node = |code: &str, level: u8, default_unit: Option<&str>| CatalogNode {
        code: code.into(),
        name: format!("node {code}"),
        level,
        parent_code: (code.len() > 2).then(|| code[..code.len() - 2].to_string()),
        default_unit: default_unit.map(String::from),
    };
    MemoryDirectory::new(
        ["cgw", "ylj", "swj", "scjgj", "heat", "zjw"]
            .map(|c| unit(c, UnitKind::Bureau))
            .into_iter()
            .chain([
                unit(STREET, UnitKind::Street),
                unit(DISTRICT, UnitKind::District),
            ]),
        vec![
            node("01", 1, None),
            node("0102", 2, None),
            node("010201", 3, Some("cgw")),
            node("010203", 3, Some("cgw")),
            node(LIGHT, 3, Some("cgw")),
            node("010211", 3, Some("cgw")),
            node("010214", 3, Some("cgw")),
            node("010208", 3, Some("heat")),
            node("010212", 3, Some("zjw")),
        ],
        vec![
            Division {
                code: DISTRICT.into(),
                name: "海淀区".into(),
                level: DivisionLevel::District,
                parent_code: None,
            },
            Division {
                code: STREET.into(),
                name: "北下关街道".into(),
                level: DivisionLevel::Street,
                parent_code: Some(DISTRICT.into()),
            },
        ],
    )
}

fn light(scenes: &[Scene]) -> Facts {
    Facts {
        category: Some(LIGHT.into()),
        street: Some(STREET.into()),
        district: Some(DISTRICT.into()),
        scenes: scenes.to_vec(),
        exclude: Vec::new(),
    }
}

#[test]
fn the_street_light_goes_to_four_units_in_four_scenes() {
    let rules = RuleSet::defaults();
    rules.validate(&dir()).expect("the defaults hold together");
    let mut units = Vec::new();
    for (scene, unit, rule) in [
        (Scene::ResidentialCompound, STREET, "compound-facilities"),
        (Scene::CityRoad, "cgw", "road-facilities"),
        (Scene::Park, "ylj", "park-facilities"),
        (Scene::River, "swj", "river-facilities"),
    ] {
        let r = route(&rules, &light(&[scene]), &dir());
        assert_eq!(r.lead_unit.as_deref(), Some(unit), "{scene}: {r:#?}");
        assert_eq!(r.rule.as_deref(), Some(rule));
        assert_eq!(r.kind, Some(RuleKind::Scene));
        assert!(r.confident, "{scene}");
        assert_eq!(r.rules_version, 1);
        // The other scene rules are reported as not applying, with the scene that excluded them.
        let others: Vec<_> = r
            .considered
            .iter()
            .filter(|c| c.kind == RuleKind::Scene && c.rule != rule)
            .collect();
        assert_eq!(others.len(), 4);
        assert!(others.iter().all(|c| c.outcome == Outcome::NotApplicable
            && c.why.contains(&format!("the scene is {scene}"))));
        // The catalog's default is still listed, overridden.
        let catalog = r.considered.last().expect("catalog");
        assert_eq!(
            (catalog.kind, catalog.outcome),
            (RuleKind::Catalog, Outcome::Overridden)
        );
        units.push(unit);
    }
    units.dedup();
    assert_eq!(units.len(), 4);
}

#[test]
fn without_a_scene_the_catalog_decides_but_not_confidently() {
    let r = route(&RuleSet::defaults(), &light(&[]), &dir());
    assert_eq!(r.lead_unit.as_deref(), Some("cgw"));
    assert_eq!(r.rule.as_deref(), Some("catalog:010204"));
    assert!(!r.confident, "a scene rule could have applied");
    assert!(
        r.considered
            .iter()
            .any(|c| c.outcome == Outcome::Undecided && c.why.contains("no scene"))
    );

    // Two scenes in one text are a doubt too.
    let r = route(
        &RuleSet::defaults(),
        &light(&[Scene::ResidentialCompound, Scene::CityRoad]),
        &dir(),
    );
    assert!(!r.confident);
    assert!(
        r.considered
            .iter()
            .any(|c| c.why.contains("several scenes"))
    );

    // A category no scene rule covers routes confidently by the catalog.
    let mut heat = light(&[]);
    heat.category = Some("010208".into());
    let r = route(&RuleSet::defaults(), &heat, &dir());
    assert_eq!(
        (r.lead_unit.as_deref(), r.confident),
        (Some("heat"), true),
        "{r:#?}"
    );
}

#[test]
fn the_compound_needs_the_street_and_an_inner_category_needs_narrowing() {
    let mut facts = light(&[Scene::ResidentialCompound]);
    facts.street = None;
    let r = route(&RuleSet::defaults(), &facts, &dir());
    assert_eq!(r.lead_unit.as_deref(), Some("cgw"), "falls to the catalog");
    assert!(!r.confident);
    let compound = &r.considered[0];
    assert_eq!(compound.outcome, Outcome::Undecided);
    assert!(compound.why.contains("street is unknown"), "{compound:?}");

    let mut facts = light(&[Scene::Park]);
    facts.category = Some("0102".into());
    let r = route(&RuleSet::defaults(), &facts, &dir());
    assert_eq!(r.lead_unit, None);
    assert!(r.considered.iter().all(|c| c.outcome == Outcome::Undecided));
}

#[test]
fn responsibility_lists_come_before_scenes_and_leaf_rules_before_the_catalog() {
    let mut rules = RuleSet::defaults();
    rules.leaves.push(LeafRule {
        category: LIGHT.into(),
        lead_unit: Some("zjw".into()),
        assisting_units: vec!["cgw".into()],
        auto_dispatch: true,
    });
    rules.validate(&dir()).expect("valid");
    let r = route(&rules, &light(&[]), &dir());
    assert_eq!(r.lead_unit.as_deref(), Some("zjw"));
    assert_eq!(r.assisting_units, vec!["cgw".to_string()]);
    assert_eq!(r.rule.as_deref(), Some("leaf:010204"));
    assert!(r.auto_dispatch);

    rules.responsibilities.push(Responsibility {
        id: "bxg-lights".into(),
        division: STREET.into(),
        categories: vec!["0102".into()],
        unit: STREET.into(),
        scene: None,
    });
    rules.validate(&dir()).expect("valid");
    let r = route(&rules, &light(&[Scene::Park]), &dir());
    assert_eq!(r.lead_unit.as_deref(), Some(STREET));
    assert_eq!(r.kind, Some(RuleKind::StreetResponsibility));
    let park = r
        .considered
        .iter()
        .find(|c| c.rule == "park-facilities")
        .expect("park");
    assert_eq!(park.outcome, Outcome::Overridden);

    // Another street's list does not apply there.
    let mut elsewhere = light(&[Scene::Park]);
    elsewhere.street = Some("110108008".into());
    let r = route(&rules, &elsewhere, &dir());
    assert_eq!(r.lead_unit.as_deref(), Some("ylj"));

    // The street office may not send back a ticket in its own list; 城管委 may.
    let facts = light(&[]);
    assert_eq!(
        rules
            .first_receiver_entry(STREET, &facts)
            .map(|e| e.id.as_str()),
        Some("bxg-lights")
    );
    assert!(rules.first_receiver_entry("cgw", &facts).is_none());
    rules.first_receiver_responsibility = false;
    assert!(rules.first_receiver_entry(STREET, &facts).is_none());
}

#[test]
fn a_unit_that_returned_the_ticket_is_passed_over() {
    let mut facts = light(&[Scene::CityRoad]);
    facts.exclude = vec!["cgw".into()];
    let r = route(&RuleSet::defaults(), &facts, &dir());
    // Both the road rule and the catalog name 城管委: nothing is left to propose.
    assert_eq!(r.lead_unit, None);
    assert!(r.considered.iter().any(|c| c.why.contains("cgw returned")));
    facts.scenes = vec![Scene::Park];
    facts.exclude = vec!["ylj".into()];
    let r = route(&RuleSet::defaults(), &facts, &dir());
    assert_eq!(r.lead_unit.as_deref(), Some("cgw"));
}

#[test]
fn rules_with_unknown_codes_are_refused_naming_the_field() {
    let d = dir();
    let mut rules = RuleSet::defaults();
    rules.scenes[2].target = Target::Unit("nobody".into());
    let e = rules.validate(&d).unwrap_err();
    assert_eq!(e.field, "scenes[2].target.unit");

    let mut rules = RuleSet::defaults();
    rules.scenes[0].categories.push("999999".into());
    assert_eq!(
        rules.validate(&d).unwrap_err().field,
        "scenes[0].categories[5]"
    );

    let mut rules = RuleSet::defaults();
    rules.leaves.push(LeafRule {
        category: "0102".into(),
        lead_unit: None,
        assisting_units: vec![],
        auto_dispatch: false,
    });
    assert_eq!(rules.validate(&d).unwrap_err().field, "leaves[0].lead_unit");

    let mut rules = RuleSet::defaults();
    rules.scenes[1].id = rules.scenes[0].id.clone();
    assert_eq!(rules.validate(&d).unwrap_err().field, "scenes[1].id");

    let mut rules = RuleSet::defaults();
    rules.responsibilities.push(Responsibility {
        id: "x".into(),
        division: "999999999".into(),
        categories: vec![LIGHT.into()],
        unit: "cgw".into(),
        scene: None,
    });
    assert_eq!(
        rules.validate(&d).unwrap_err().field,
        "responsibilities[0].division"
    );
}

#[test]
fn rule_sets_read_back_as_written() {
    let rules = RuleSet::defaults();
    let json = serde_json::to_value(&rules).expect("json");
    assert_eq!(json["scenes"][0]["target"], "street_office");
    assert_eq!(
        json["scenes"][1]["target"],
        serde_json::json!({"unit": "cgw"})
    );
    let back: RuleSet = serde_json::from_value(json).expect("back");
    assert_eq!(back, rules);
}

#[test]
fn returns_are_counted_per_unit_and_per_rule() {
    let at = |h: u32| {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-11-23T{h:02}:00:00Z"))
            .expect("instant")
            .with_timezone(&Utc)
    };
    let rec = |seq: u32, event: Event| EventRecord {
        seq,
        at: at(seq),
        actor: Actor::system(),
        event,
    };
    let dispatched = |unit: &str, rule: Option<&str>| Event::Dispatched {
        lead_unit: unit.into(),
        assisting_units: vec![],
        note: None,
        deadlines: None,
        routing: Some(RoutedBy {
            rules_version: 1,
            rule: rule.map(String::from),
            proposed_unit: Some(unit.into()),
            automatic: false,
        }),
    };
    let log = vec![
        rec(
            1,
            Event::Received {
                id: TicketId("t".into()),
                number: "1".into(),
                intake: serde_json::from_value(serde_json::json!({
                    "channel": "phone", "content": "路灯", "caller": {"name": "王", "phone": "13800000000"}
                }))
                .expect("intake"),
                proposal: None,
            },
        ),
        rec(2, dispatched("cgw", Some("catalog:010204"))),
        rec(
            3,
            Event::Returned {
                unit: "cgw".into(),
                reason: "小区内".into(),
            },
        ),
        rec(
            4,
            Event::ReturnUpheld {
                note: None,
                flagged_rule: Some("catalog:010204".into()),
            },
        ),
        rec(5, dispatched(STREET, Some("compound-facilities"))),
    ];
    let report = return_report(&[log], at(0), at(23));
    let cgw = report.by_unit.iter().find(|r| r.key == "cgw").expect("cgw");
    assert_eq!(
        (cgw.dispatched, cgw.returned, cgw.upheld, cgw.flagged),
        (1, 1, 1, 1)
    );
    assert_eq!(cgw.return_rate, Some(1.0));
    assert_eq!(report.by_unit[0].key, "cgw", "most returns first");
    let street = report.by_unit.iter().find(|r| r.key == STREET).expect("st");
    assert_eq!((street.dispatched, street.returned), (1, 0));
    assert_eq!(street.return_rate, Some(0.0));
    let rule = &report.by_rule[0];
    assert_eq!(
        (rule.key.as_str(), rule.misroute_rate),
        ("catalog:010204", Some(1.0))
    );
}
