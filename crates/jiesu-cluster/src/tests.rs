//! Behaviour an agent or analyst would notice.

use crate::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::OnceLock;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 6, day, hour, 0, 0)
        .single()
        .unwrap()
}

fn report(id: &str, title: &str, text: &str, at: DateTime<Utc>) -> Report {
    Report {
        id: id.into(),
        title: title.into(),
        text: text.into(),
        at,
        street_code: None,
        address: None,
        caller: Some(format!("caller-{id}")),
        likes: 0,
        dislikes: 0,
    }
}

/// A small corpus: several problems, so that common words get a low weight.
fn corpus() -> Vec<Report> {
    vec![
        report(
            "l1",
            "A3区景蓉华苑小区路灯不亮",
            "景蓉华苑小区内3栋旁边的路灯坏了一个多月，晚上漆黑一片，老人出行摔倒，请物业尽快维修路灯。",
            at(3, 20),
        ),
        report(
            "l2",
            "景蓉华苑路灯坏了没人修",
            "我住在A3区景蓉华苑，小区里面的路灯已经坏了很久，晚上回家很黑，希望尽快修好路灯。",
            at(5, 21),
        ),
        report(
            "l3",
            "A3区景蓉华苑小区路灯长期不亮",
            "景蓉华苑小区路灯长期不亮，物业推诿，业主夜间出行不安全，请督促维修。",
            at(6, 9),
        ),
        report(
            "m1",
            "A5区桂花坪街道丽景花园路灯不亮",
            "丽景花园小区内的路灯坏了一个多月，晚上漆黑一片，老人出行摔倒，请物业尽快维修路灯。",
            at(4, 20),
        ),
        report(
            "n1",
            "A2区联丰路工地夜间施工噪音扰民",
            "联丰路上的工地每天晚上施工到凌晨两点，噪音很大，附近居民无法休息。",
            at(3, 23),
        ),
        report(
            "n2",
            "联丰路夜间施工太吵",
            "A2区联丰路工地夜里施工，挖掘机噪音扰民，晚上根本睡不着。",
            at(4, 1),
        ),
        report(
            "w1",
            "A7县金鼎村停水三天",
            "金鼎村自来水已经停了三天，村民生活用水困难，请自来水公司尽快恢复供水。",
            at(10, 8),
        ),
        report(
            "p1",
            "A6区月亮岛路违章停车严重",
            "月亮岛路两边长期违章停车，早晚高峰堵塞，请交警加强执法。",
            at(12, 8),
        ),
        report(
            "s1",
            "咨询人才购房补贴申请条件",
            "研究生落户后购买公寓能否申请人才购房补贴？需要哪些材料？",
            at(14, 10),
        ),
        report(
            "t1",
            "公交205路不按时发车",
            "205路公交车早上首班经常不按时发车，等车半小时，导致上班迟到。",
            at(15, 7),
        ),
    ]
}

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| Matcher::new(&corpus(), Config::default()))
}

fn find<'a>(reports: &'a [Report], id: &str) -> &'a Report {
    reports.iter().find(|r| r.id == id).unwrap()
}

#[test]
fn same_broken_street_light_in_the_same_compound_is_proposed_with_its_reasons() {
    let all = corpus();
    let new = find(&all, "l2");
    let open: Vec<Report> = all.iter().filter(|r| r.id != "l2").cloned().collect();
    let proposals = matcher().propose(new, &open);
    let ids: Vec<&str> = proposals.iter().map(|p| p.id.as_str()).collect();
    assert!(ids.contains(&"l1"), "{proposals:?}");
    let p = &proposals[0];
    assert!(
        p.id.starts_with('l'),
        "best proposal is about the same compound: {proposals:?}"
    );
    assert!(p.shared_terms.iter().any(|t| t == "路灯"), "{p:?}");
    assert_eq!(p.same_place.as_deref(), Some("景蓉华苑"));
    assert!(
        proposals.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
}

#[test]
fn the_same_words_in_two_different_compounds_are_not_proposed() {
    let all = corpus();
    // m1 copies l1's text word for word, in another compound.
    let proposals = matcher().propose(find(&all, "m1"), &all);
    assert!(proposals.iter().all(|p| p.id != "l1"), "{proposals:?}");
    let m = matcher();
    let s = m.similarity(&m.profile(find(&all, "m1")), &m.profile(find(&all, "l1")));
    assert!(s.conflict < 1.0 && s.score < m.config().threshold, "{s:?}");
}

#[test]
fn a_report_older_than_the_window_is_not_proposed() {
    let all = corpus();
    let new = find(&all, "l2").clone();
    let mut old = find(&all, "l1").clone();
    old.at = new.at - Duration::days(8);
    assert!(matcher().propose(&new, &[old.clone()]).is_empty());
    old.at = new.at - Duration::days(6);
    assert_eq!(matcher().propose(&new, &[old]).len(), 1);
}

#[test]
fn noise_on_the_same_road_is_proposed_and_a_different_problem_is_not() {
    let all = corpus();
    let proposals = matcher().propose(find(&all, "n2"), &all);
    let ids: Vec<&str> = proposals.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["n1"], "{proposals:?}");
    assert_eq!(proposals[0].same_place.as_deref(), Some("联丰路"));
}

#[test]
fn clustering_groups_what_belongs_together() {
    let all = corpus();
    let clusters = cluster(matcher(), &all);
    let of = |id: &str| {
        clusters
            .iter()
            .position(|c| c.members.iter().any(|m| m == id))
    };
    assert_eq!(of("l1"), of("l2"));
    assert_eq!(of("l1"), of("l3"));
    assert_eq!(of("n1"), of("n2"));
    assert_ne!(of("l1"), of("m1"));
    assert_ne!(of("l1"), of("n1"));
    let lights = &clusters[of("l1").unwrap()];
    assert_eq!(lights.members.len(), 3);
    assert_eq!(lights.place.as_deref(), Some("景蓉华苑"));
    assert!(lights.top_terms.iter().any(|t| t == "路灯"), "{lights:?}");
    assert_eq!((lights.first, lights.last), (at(3, 20), at(6, 9)));
    assert_eq!(
        clusters.iter().map(|c| c.members.len()).sum::<usize>(),
        all.len()
    );
    for linkage in [Linkage::Single, Linkage::Average] {
        let c = cluster_with(matcher(), &all, linkage, 0.40);
        assert_eq!(c[0].members.len(), 3, "{linkage:?}");
    }
}

#[test]
fn many_people_and_likes_rank_above_a_single_message() {
    let mut reports: Vec<Report> = (0..10)
        .map(|i| {
            let mut r = report(
                &format!("h{i}"),
                "丽发新城小区旁搅拌站噪音扰民",
                "丽发新城小区旁边建了搅拌站，噪音和灰尘严重影响居民生活。",
                at(1 + i, 10),
            );
            r.likes = 5;
            r
        })
        .collect();
    let mut single = report(
        "x",
        "A1区某路口红绿灯时间太短",
        "路口红绿灯时间太短，行人来不及过马路。",
        at(2, 9),
    );
    single.likes = 3;
    reports.push(single);
    let m = Matcher::new(&reports, Config::default());
    let clusters = cluster(&m, &reports);
    let ranked = rank_by_heat(&clusters, 10);
    assert_eq!(ranked[0].1.members.len(), 10);
    assert_eq!(ranked[0].1.likes, 50);
    assert!(ranked[0].0 > ranked[1].0);
    assert_eq!(ranked[1].1.members, ["x"]);
    // The index itself: more callers, more votes, closer in time are each hotter.
    let week = Duration::days(7);
    assert!(heat_index(10, 10, 50, 0, week) > heat_index(1, 1, 50, 0, Duration::zero()));
    assert!(heat_index(5, 5, 0, 0, week) > heat_index(5, 5, 0, 0, week * 10));
    assert!(heat_index(1, 1, 10, 0, week) > heat_index(1, 1, 0, 0, week));
}

#[test]
fn bad_dates_are_reported_with_their_line_and_the_rest_is_read() {
    let dir = std::env::temp_dir().join(format!("jiesu-cluster-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("votes.csv");
    std::fs::write(
        &path,
        "id,user,title,time,detail,dislikes,likes\n\
         1,u1,路灯不亮,2019/2/28 11:25:05,小区路灯坏了,0,2\n\
         2,u2,停水,yesterday,村里停水,0,0\n\
         3,u3,噪音,2019-08-01,\"工地噪音\n夜里施工\",1,0\n\
         4,u4,路灯,2019-13-45 10:00:00,路灯坏了,0,0\n\
         5,u1,路灯不亮,2019/2/28 11:30:00,小区路灯坏了,0,3\n\
         6,u6,积水,2019-08-02 08:00:00,路口积水,x,0\n",
    )
    .unwrap();
    let loaded = read_votes(&path).unwrap();
    let ids: Vec<&str> = loaded.reports.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["1", "3"]);
    let lines: Vec<u64> = loaded.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [3, 6, 8], "{:?}", loaded.bad);
    assert!(loaded.bad[0].reason.contains("yesterday"));
    assert_eq!(loaded.repeats.len(), 1);
    assert_eq!(
        (loaded.repeats[0].line, loaded.repeats[0].same_as.as_str()),
        (7, "1")
    );
    assert_eq!(
        loaded.reports[0].likes, 5,
        "a repeat's votes go to the first post"
    );
    // China time: 2019-08-01 00:00 +08:00.
    assert_eq!(
        loaded.reports[1].at,
        Utc.with_ymd_and_hms(2019, 7, 31, 16, 0, 0)
            .single()
            .unwrap()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn places_are_found_by_their_suffix() {
    let seg = Segmenter::new();
    let (places, rest) = seg
        .places("A市A3区联丰路米兰春天G2栋，反映A7县春华镇金鼎村和景蓉华苑小区、桂花坪街道的问题");
    let names: Vec<(&str, PlaceKind)> = places.iter().map(|p| (p.name.as_str(), p.kind)).collect();
    assert_eq!(
        names,
        [
            ("A市", PlaceKind::City),
            ("A3区", PlaceKind::District),
            ("联丰路", PlaceKind::Road),
            ("A7县", PlaceKind::District),
            ("春华镇", PlaceKind::Street),
            ("金鼎村", PlaceKind::Village),
            ("景蓉华苑", PlaceKind::Compound),
            ("桂花坪街道", PlaceKind::Street),
        ]
    );
    assert!(!rest.contains("联丰路") && rest.contains("米兰春天"));
    let (none, _) = seg.places("道路上的路灯不亮，小区里的水泥路坏了");
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn real_messages_read_and_cluster() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/teddy2020c/messages_with_votes.csv"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} not found");
        return;
    };
    let head: String = text.lines().take(51).map(|l| format!("{l}\n")).collect();
    let dir = std::env::temp_dir().join(format!("jiesu-cluster-real-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let small = dir.join("head.csv");
    std::fs::write(&small, head).unwrap();
    let loaded = read_votes(&small).unwrap();
    assert!(loaded.reports.len() >= 40, "{}", loaded.reports.len());
    let m = Matcher::new(&loaded.reports, Config::default());
    let clusters = cluster(&m, &loaded.reports);
    assert!(!clusters.is_empty() && clusters.len() <= loaded.reports.len());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn topic_terms_keep_the_nouns_that_say_what_the_problem_is() {
    let seg = crate::Segmenter::new();
    let terms = seg.topic_terms("反映小区停水三天，希望自来水公司尽快处理", 8);
    assert_eq!(terms, ["小区", "停水", "自来水", "公司"]);
    assert!(
        seg.topic_terms("噪音噪音噪音扰民", 8)
            .iter()
            .filter(|t| *t == "噪音")
            .count()
            <= 1
    );
    assert!(
        seg.topic_terms("小区停水，道路施工，路灯损坏，垃圾清运，噪音扰民", 2)
            .len()
            <= 2
    );
}
