//! Twenty real messages from the 2020 TipDM data: the citizen's own words find the reply.

use std::path::PathBuf;

use jiesu_search::eval::{evaluate_records, read_replies};
use jiesu_search::{Ranking, SearchIndex, SearchQuery};

fn data_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/teddy2020c/messages_with_replies.csv")
}

#[test]
fn the_citizens_words_find_the_official_reply() -> jiesu_search::Result<()> {
    let path = data_file();
    if !path.exists() {
        eprintln!("skipped: {} is not here", path.display());
        return Ok(());
    }
    let records = read_replies(&path)?;
    assert_eq!(records.len(), 2816);
    // The one reply without a time of day is read as midnight.
    assert!(
        records
            .iter()
            .all(|r| r.reply_time >= r.time - chrono::Duration::days(1))
    );

    let sample = &records[..20];
    let report = evaluate_records(sample, Ranking::default(), "20 real rows")?;
    assert_eq!(report.detail.n, 20);
    assert!(report.detail.top3 >= 0.9, "{report}");

    let index = SearchIndex::in_memory()?;
    index.upsert_many(sample.iter().map(|r| r.to_entry()))?;
    let hits = index.search(&SearchQuery::new("物业管理"))?;
    assert_eq!(hits[0].title, "A2区景蓉华苑<mark>物业管理</mark>有问题");
    Ok(())
}
