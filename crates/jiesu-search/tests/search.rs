//! What an agent notices: the right entries come back, in the right order, with the right
//! marks, and nothing retired or out of place.

use chrono::{Duration, Utc};
use jiesu_search::{EntryStatus, Error, IndexedEntry, SearchIndex, SearchQuery};

fn entry(id: &str, title: &str, answer: &str) -> IndexedEntry {
    IndexedEntry::new(id, title, answer)
}

fn ids(index: &SearchIndex, q: &SearchQuery) -> Vec<String> {
    match index.search(q) {
        Ok(hits) => hits.into_iter().map(|h| h.id).collect(),
        Err(e) => panic!("search failed: {e}"),
    }
}

fn text(t: &str) -> SearchQuery {
    SearchQuery::new(t)
}

#[test]
fn retired_entry_is_never_returned_for_an_active_search() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    let mut old = entry("old", "停水通知", "旧的停水安排已经作废。");
    old.status = EntryStatus::Retired;
    let mut draft = entry("draft", "停水通知草稿", "停水安排草稿。");
    draft.status = EntryStatus::Draft;
    index.upsert_many([old, draft, entry("new", "停水通知", "明天上午停水四小时。")])?;

    assert_eq!(ids(&index, &text("停水")), ["new"]);
    let mut all = text("停水");
    all.statuses = vec![EntryStatus::Retired, EntryStatus::Active];
    let mut got = ids(&index, &all);
    got.sort();
    assert_eq!(got, ["new", "old"]);
    Ok(())
}

#[test]
fn an_updated_answer_is_found_by_its_new_words_only() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    index.upsert(&entry("kb", "供暖时间", "本市供暖自十一月十五日开始。"))?;
    assert_eq!(ids(&index, &text("十一月十五日")), ["kb"]);

    let mut changed = entry("kb", "供暖时间", "今年供暖提前到十一月一日开始。");
    changed.version = 2;
    index.upsert(&changed)?;
    assert_eq!(ids(&index, &text("提前")), ["kb"]);
    assert!(ids(&index, &text("十五日")).is_empty());
    assert_eq!(index.len(), 1);
    assert_eq!(index.versions()?.get("kb"), Some(&2));
    Ok(())
}

#[test]
fn title_matches_outrank_answer_only_matches() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    index.upsert_many([
        entry(
            "body",
            "小区物业服务标准",
            "物业应当公示收费项目，居民遇到医保报销问题可咨询社区。",
        ),
        entry(
            "title",
            "医保报销需要哪些材料",
            "请携带社保卡、发票和病历到窗口办理。",
        ),
    ])?;
    assert_eq!(ids(&index, &text("医保报销")), ["title", "body"]);
    Ok(())
}

#[test]
fn a_question_phrasing_counts_like_a_title() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    let mut e = entry("kb", "居住证办理", "携带身份证和租房合同到派出所。");
    e.questions = vec!["外地人怎么办暂住证".into()];
    index.upsert_many([e, entry("other", "护照办理", "到出入境窗口办理。")])?;
    assert_eq!(ids(&index, &text("暂住证")), ["kb"]);
    Ok(())
}

#[test]
fn category_prefix_filter() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    let mut a = entry("a", "路灯不亮", "路灯由城管委维护。");
    a.category_code = Some("010307".into());
    let mut b = entry("b", "路灯不亮", "小区内路灯由物业维护。");
    b.category_code = Some("0204".into());
    index.upsert_many([a, b])?;

    for prefix in ["01", "0103", "010307"] {
        let mut q = text("路灯");
        q.category = Some(prefix.into());
        assert_eq!(ids(&index, &q), ["a"], "prefix {prefix}");
    }
    let mut q = text("路灯");
    q.category = Some("03".into());
    assert!(ids(&index, &q).is_empty());
    Ok(())
}

#[test]
fn region_filter_district_serves_its_streets_and_city_wide_serves_all() -> jiesu_search::Result<()>
{
    let index = SearchIndex::in_memory()?;
    let mut district = entry(
        "haidian",
        "垃圾分类投放时间",
        "海淀区垃圾分类投放时间为早晚。",
    );
    district.region_code = Some("110108".into());
    let mut street = entry(
        "zhongguancun",
        "垃圾分类投放点",
        "中关村街道投放点在社区东门。",
    );
    street.region_code = Some("110108013".into());
    let mut other = entry(
        "dongcheng",
        "垃圾分类投放时间",
        "东城区垃圾分类投放时间为全天。",
    );
    other.region_code = Some("110101".into());
    let city = entry("city", "垃圾分类指南", "全市垃圾分类分为四类。");
    index.upsert_many([district, street, other, city])?;

    let sorted = |q: &SearchQuery| {
        let mut v = ids(&index, q);
        v.sort();
        v
    };
    // A caller in a Haidian street: the district's entry, that street's entry, city-wide ones.
    let mut q = text("垃圾分类");
    q.region = Some("110108013".into());
    assert_eq!(sorted(&q), ["city", "haidian", "zhongguancun"]);
    // Another Haidian street: not Zhongguancun's own entry.
    q.region = Some("110108007".into());
    assert_eq!(sorted(&q), ["city", "haidian"]);
    // The whole district: its streets too.
    q.region = Some("110108".into());
    assert_eq!(sorted(&q), ["city", "haidian", "zhongguancun"]);
    // Dongcheng.
    q.region = Some("110101001".into());
    assert_eq!(sorted(&q), ["city", "dongcheng"]);
    Ok(())
}

#[test]
fn snippets_mark_the_query_and_escape_html() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    index.upsert(&entry(
        "kb",
        "停水<script>通知</script>",
        "受管网维修影响，<script>alert(1)</script>明日九时至十三时停水，请提前储水。",
    ))?;
    let hits = index.search(&text("停水"))?;
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(
        hit.title,
        "<mark>停水</mark>&lt;script&gt;通知&lt;/script&gt;"
    );
    assert!(hit.snippet.contains("<mark>停水</mark>"), "{}", hit.snippet);
    assert!(hit.snippet.contains("&lt;script&gt;"), "{}", hit.snippet);
    assert!(!hit.snippet.contains("<script>"), "{}", hit.snippet);
    Ok(())
}

#[test]
fn a_multi_word_query_is_marked_as_one_stretch() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    index.upsert(&entry("kb", "异地就医", "办理医保报销时需提供发票。"))?;
    let hits = index.search(&text("医保报销"))?;
    assert!(
        hits[0].snippet.contains("<mark>医保报销</mark>"),
        "{}",
        hits[0].snippet
    );
    Ok(())
}

#[test]
fn rebuild_leaves_exactly_the_given_entries() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    index.upsert_many([entry("a", "停水", "甲"), entry("b", "停电", "乙")])?;
    let n = index.rebuild([entry("b", "停电", "乙"), entry("c", "停气", "丙")])?;
    assert_eq!(n, 2);
    let mut got: Vec<String> = index.versions()?.into_keys().collect();
    got.sort();
    assert_eq!(got, ["b", "c"]);
    assert!(ids(&index, &text("停水")).is_empty());
    Ok(())
}

#[test]
fn remove_takes_an_entry_out_at_once() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    index.upsert_many([entry("a", "停水", "甲"), entry("b", "停水通知", "乙")])?;
    index.remove("a")?;
    assert_eq!(ids(&index, &text("停水")), ["b"]);
    Ok(())
}

#[test]
fn a_blank_query_is_refused_naming_the_text_field() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    for blank in ["", "  \t\n "] {
        match index.search(&text(blank)) {
            Err(e @ Error::Invalid { .. }) => assert_eq!(e.field(), Some("text")),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    let mut too_many = text("停水");
    too_many.limit = 1_000;
    assert!(matches!(
        index.search(&too_many),
        Err(Error::Invalid { field: "limit", .. })
    ));
    // Punctuation only: nothing to look for, nothing found.
    assert!(index.search(&text("？！"))?.is_empty());
    Ok(())
}

#[test]
fn usage_and_recency_break_ties() -> jiesu_search::Result<()> {
    let index = SearchIndex::in_memory()?;
    let mut old = entry("old", "燃气开户", "到燃气营业厅办理。");
    old.updated_at = Utc::now() - Duration::days(800);
    let fresh = entry("fresh", "燃气开户", "到燃气营业厅办理。");
    index.upsert_many([old, fresh])?;
    assert_eq!(ids(&index, &text("燃气开户")), ["fresh", "old"]);

    let mut cited = entry("old", "燃气开户", "到燃气营业厅办理。");
    cited.updated_at = Utc::now() - Duration::days(800);
    cited.uses = 500;
    index.upsert(&cited)?;
    assert_eq!(ids(&index, &text("燃气开户")), ["old", "fresh"]);
    Ok(())
}

#[test]
fn reopening_an_index_directory_keeps_its_entries() -> jiesu_search::Result<()> {
    let dir = tempfile::tempdir().map_err(|source| Error::Io {
        path: "tempdir".into(),
        source,
    })?;
    {
        let index = SearchIndex::open(dir.path())?;
        index.upsert(&entry("kb", "公积金提取", "凭购房合同提取。"))?;
    }
    let index = SearchIndex::open(dir.path())?;
    assert_eq!(index.len(), 1);
    assert_eq!(ids(&index, &text("公积金")), ["kb"]);
    Ok(())
}

#[test]
fn a_damaged_index_is_wiped_and_a_foreign_directory_refused() -> jiesu_search::Result<()> {
    let dir = tempfile::tempdir().map_err(|source| Error::Io {
        path: "tempdir".into(),
        source,
    })?;
    {
        let index = SearchIndex::open(dir.path())?;
        index.upsert(&entry("kb", "公积金提取", "凭购房合同提取。"))?;
    }
    std::fs::write(dir.path().join("meta.json"), b"not json").map_err(|source| Error::Io {
        path: dir.path().into(),
        source,
    })?;
    let index = SearchIndex::open(dir.path())?;
    assert_eq!(index.len(), 0, "the caller rebuilds from its database");
    index.upsert(&entry("kb", "公积金提取", "凭购房合同提取。"))?;
    assert_eq!(index.len(), 1);

    let foreign = tempfile::tempdir().map_err(|source| Error::Io {
        path: "tempdir".into(),
        source,
    })?;
    let precious = foreign.path().join("notes.txt");
    std::fs::write(&precious, b"keep me").map_err(|source| Error::Io {
        path: precious.clone(),
        source,
    })?;
    assert!(matches!(
        SearchIndex::open(foreign.path()),
        Err(Error::NotAnIndex(_))
    ));
    assert!(precious.exists());
    Ok(())
}

#[test]
fn the_index_is_shared_across_threads() -> jiesu_search::Result<()> {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SearchIndex>();
    let index = std::sync::Arc::new(SearchIndex::in_memory()?);
    let writers: Vec<_> = (0..4)
        .map(|i| {
            let index = index.clone();
            std::thread::spawn(move || {
                index.upsert(&entry(&format!("kb{i}"), "停水通知", "明日停水。"))?;
                index.search(&text("停水")).map(|hits| hits.len())
            })
        })
        .collect();
    for w in writers {
        let found = w.join().map_err(|_| Error::Invalid {
            field: "thread",
            reason: "panicked",
        })??;
        assert!(found >= 1);
    }
    assert_eq!(index.len(), 4);
    Ok(())
}

/// A filter passing few entries is applied before scoring: the hits and their scores are the
/// same as filtering every match of the unfiltered search.
#[test]
fn a_narrow_filter_finds_what_filtering_every_match_finds() -> jiesu_search::Result<()> {
    let fillers = [
        "物业", "噪音", "垃圾", "拆迁", "学位", "落户", "公交", "社保",
    ];
    let category = |i: usize| format!("{:02}{:02}", 1 + i % 20, 1 + i % 3);
    let entries = (0..2_000).map(|i| {
        let mut title = format!("{}{}", fillers[i % 8], fillers[(i / 8) % 8]);
        if i % 40 == 0 {
            title.push_str("路灯不亮");
        }
        if i % 50 == 3 {
            title.push_str("停水通知");
        }
        let mut e = entry(&i.to_string(), &title, &format!("{title}的办理说明。"));
        e.category_code = Some(category(i));
        e.status = if i % 25 == 3 {
            EntryStatus::Retired
        } else {
            EntryStatus::Active
        };
        e.uses = (i % 5) as u64;
        e
    });
    let index = SearchIndex::in_memory()?;
    index.upsert_many(entries)?;

    let every = |statuses: Vec<EntryStatus>| -> jiesu_search::Result<Vec<(String, f32)>> {
        let mut q = text("路灯停水");
        q.limit = SearchQuery::MAX_LIMIT;
        q.statuses = statuses;
        let hits = index.search(&q)?;
        assert!(hits.len() < SearchQuery::MAX_LIMIT, "every match returned");
        Ok(hits.into_iter().map(|h| (h.id, h.score)).collect())
    };
    let same = |got: Vec<jiesu_search::Hit>, want: Vec<(String, f32)>| {
        assert!(!want.is_empty());
        assert_eq!(got.len(), want.len());
        for (hit, (id, score)) in got.iter().zip(&want) {
            assert_eq!(&hit.id, id);
            assert!(
                (hit.score - score).abs() < 1e-4 * score.abs(),
                "{hit:?} {score}"
            );
        }
    };

    let id_num = |id: &str| id.parse::<usize>().unwrap_or(usize::MAX);
    let mut q = text("路灯停水");
    q.limit = SearchQuery::MAX_LIMIT;
    q.category = Some("01".into());
    let want: Vec<_> = every(Vec::new())?
        .into_iter()
        .filter(|(id, _)| category(id_num(id)).starts_with("01"))
        .collect();
    same(index.search(&q)?, want);

    let mut q = text("路灯停水");
    q.limit = SearchQuery::MAX_LIMIT;
    q.statuses = vec![EntryStatus::Retired];
    let want: Vec<_> = every(vec![EntryStatus::Active, EntryStatus::Retired])?
        .into_iter()
        .filter(|(id, _)| id_num(id) % 25 == 3)
        .collect();
    same(index.search(&q)?, want);
    Ok(())
}
