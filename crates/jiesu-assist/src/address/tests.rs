//! The resolver on hand-picked cases and on the labelled test set.

use super::*;

fn beijing() -> Gazetteer {
    Gazetteer::new(&jiesu_reference::beijing().divisions)
}

fn street_of(g: &Gazetteer, text: &str) -> Option<(String, String)> {
    match g.resolve(text).resolution {
        Resolution::Street { district, street } => Some((district.name, street.name)),
        _ => None,
    }
}

#[test]
fn full_and_short_names() {
    let g = beijing();
    let bxg = Some(("海淀区".to_string(), "北下关街道".to_string()));
    assert_eq!(street_of(&g, "北京市海淀区北下关街道交大东路12号"), bxg);
    assert_eq!(street_of(&g, "海淀北下关附近"), bxg);
    assert_eq!(street_of(&g, "北下关街道办事处门口"), bxg);
    match g.resolve("朝阳这边").resolution {
        Resolution::District { district } => assert_eq!(district.name, "朝阳区"),
        other => panic!("{other:?}"),
    }
    match g.resolve("我住海淀").resolution {
        Resolution::District { district } => {
            assert_eq!(district.name, "海淀区", "bare 海淀 is the district")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn longest_name_wins_and_roads_named_after_districts_do_not_mislead() {
    let g = beijing();
    assert_eq!(
        street_of(&g, "朝阳门街道"),
        Some(("东城区".into(), "朝阳门街道".into()))
    );
    // 朝阳北路 and 丰台路 are roads; the street named is 东华门 in 东城.
    assert_eq!(
        street_of(&g, "东华门街道丰台路3号"),
        Some(("东城区".into(), "东华门街道".into()))
    );
    assert_eq!(
        street_of(&g, "东华门街道朝阳北路12号"),
        Some(("东城区".into(), "东华门街道".into()))
    );
}

#[test]
fn a_street_name_in_two_districts_is_ambiguous_unless_the_district_is_said() {
    let g = beijing();
    match g.resolve("八里庄附近路灯坏了").resolution {
        Resolution::Ambiguous { candidates } => {
            let names: Vec<&str> = candidates.iter().map(|p| p.code.as_str()).collect();
            assert_eq!(names.len(), 2, "{names:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        street_of(&g, "朝阳区八里庄"),
        Some(("朝阳区".into(), "八里庄街道".into()))
    );
    assert_eq!(
        street_of(&g, "海淀八里庄"),
        Some(("海淀区".into(), "八里庄街道".into()))
    );
}

#[test]
fn communities_and_unknown_places() {
    let g = beijing();
    let p = g.resolve("我住在阳光小区3号楼");
    assert_eq!(p.community.as_deref(), Some("阳光小区"));
    assert_eq!(g.resolve("楼下太吵了").resolution, Resolution::Unknown);
}

/// The labelled test set (tools/gen_address_testset.py): at least 95% right, and the
/// ambiguous strings reported as ambiguous, not guessed.
#[test]
fn labelled_test_set_accuracy() {
    let e = beijing().evaluate(TEST_SET).unwrap();
    println!(
        "address test set: {}/{} = {:.4}",
        e.right,
        e.total,
        e.accuracy()
    );
    for w in &e.wrong {
        println!("  wrong: {w}");
    }
    assert!(e.total >= 300);
    assert!(e.ambiguous_total >= 10 && e.ambiguous_right == e.ambiguous_total);
    assert!(e.accuracy() >= 0.95, "accuracy {:.4}", e.accuracy());
}

#[test]
fn a_bad_labelled_file_names_the_line() {
    let bad = "text,district_code,street_code,ambiguous\n海淀区,110108,,maybe\n";
    assert_eq!(beijing().evaluate(bad).unwrap_err().line, 2);
}
