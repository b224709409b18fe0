//! The knowledge base from official replies: the demo loaded on first `serve`, and
//! `jiesu import FILE` for a whole file of messages with replies (`title`, `reply` columns).
//!
//! Each official reply to a citizen's message becomes an active entry: the message title is its
//! question, the reply its answer, the category the one the assistant proposes for the message.

use anyhow::Context;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use jiesu_core::ivr::{Choice, Menu, Node, PhoneNumber};
use jiesu_core::knowledge::{EntryContent, Source};
use jiesu_store::DynStore;
use jiesu_store::knowledge::EntryFilter;
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;

/// The demo knowledge base (see `data/PROVENANCE.md`).
const DEMO: &str = include_str!("../data/demo_knowledge.csv");

/// Entries stored per transaction.
const BATCH: usize = 500;

/// A reply that could not be read.
pub struct Skipped {
    /// CSV line.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Reads `title`/`reply` rows into entry contents, the category proposed by the assistant.
fn read(
    source: impl Read,
    assistant: &jiesu_server::Assistant,
) -> anyhow::Result<(Vec<EntryContent>, Vec<Skipped>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(source);
    let headers = reader
        .headers()
        .context("file: no CSV header line")?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let (Some(title), Some(reply)) = (col("title"), col("reply")) else {
        anyhow::bail!("file: a knowledge file needs 'title' and 'reply' columns");
    };
    let detail = col("detail");
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                skipped.push(Skipped {
                    line: e.position().map_or(0, |p| p.line()),
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).map(str::trim).unwrap_or_default();
        let (t, r) = (cell(title), cell(reply));
        if t.is_empty() || r.is_empty() {
            skipped.push(Skipped {
                line,
                reason: "title or reply is empty".into(),
            });
            continue;
        }
        let text = format!("{t} {}", detail.map(cell).unwrap_or_default());
        let category = assistant
            .categorize(&text)
            .top
            .first()
            .and_then(|c| c["code"].as_str().map(String::from));
        entries.push(EntryContent {
            title: t.chars().take(jiesu_core::ticket::MAX_SHORT).collect(),
            questions: vec![],
            answer: r.chars().take(jiesu_core::ticket::MAX_CONTENT).collect(),
            category_code: category,
            region_code: None,
            source: Source::Department,
            valid_from: None,
            valid_until: None,
            tags: vec!["留言答复".into()],
        });
    }
    Ok((entries, skipped))
}

/// Stores the entries not already in the knowledge base (same title and answer), in batches,
/// with a progress bar when `show` is set. Returns (stored, already there).
async fn store_new(
    store: &DynStore,
    entries: Vec<EntryContent>,
    show: bool,
) -> anyhow::Result<(usize, usize)> {
    let mut known: HashSet<(String, String)> = HashSet::new();
    let mut offset = 0;
    loop {
        let (page, _) = store
            .list_entries(&EntryFilter {
                limit: 1000,
                offset,
                ..EntryFilter::default()
            })
            .await?;
        if page.is_empty() {
            break;
        }
        offset += 1000;
        known.extend(
            page.into_iter()
                .map(|s| (s.entry.content.title, s.entry.content.answer)),
        );
    }
    let total = entries.len();
    let fresh: Vec<EntryContent> = entries
        .into_iter()
        .filter(|e| known.insert((e.title.clone(), e.answer.clone())))
        .collect();
    let bar = if show {
        ProgressBar::new(fresh.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} entries [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let stored = fresh.len();
    for chunk in fresh.chunks(BATCH) {
        store
            .import_entries(
                chunk.iter().cloned().map(|c| (c, true)).collect(),
                Utc::now(),
                "import",
            )
            .await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok((stored, total - stored))
}

/// `jiesu import FILE` for a file with `title` and `reply` columns.
pub async fn import(store: DynStore, file: &Path) -> anyhow::Result<()> {
    let reference = store.reference().await?;
    let assistant = jiesu_server::Assistant::new(&reference, None);
    let f = std::fs::File::open(file)
        .with_context(|| format!("file: cannot open {}", file.display()))?;
    let (entries, skipped) = read(f, &assistant)?;
    for s in skipped.iter().take(20) {
        eprintln!("line {}: {}", s.line, s.reason);
    }
    let (stored, existed) = store_new(&store, entries, true).await?;
    println!(
        "{stored} entries added, {existed} already in the knowledge base, {} rows skipped",
        skipped.len()
    );
    Ok(())
}

/// The demo knowledge base and an IVR menu that reads some of it.
pub async fn load_demo(store: &DynStore) -> anyhow::Result<()> {
    let reference = store.reference().await?;
    let assistant = jiesu_server::Assistant::new(&reference, None);
    let (entries, _) = read(DEMO.as_bytes(), &assistant)?;
    let first: Vec<String> = entries.iter().take(3).map(|e| e.title.clone()).collect();
    store_new(store, entries, false).await?;
    let mut policy = BTreeMap::new();
    let mut prompt = String::from("政策咨询：");
    for (i, title) in first.iter().enumerate() {
        let key = (i + 1).to_string();
        prompt.push_str(&format!("{title}，请按{key}；"));
        policy.insert(
            key,
            Choice::ReadEntry {
                entry_id: format!("KB{:06}", i + 1),
            },
        );
    }
    policy.insert("0".into(), Choice::Agent);
    prompt.push_str("人工服务请按0。");
    let districts: Vec<PhoneNumber> = reference
        .divisions
        .iter()
        .filter(|d| d.level == jiesu_core::DivisionLevel::District)
        .take(4)
        .enumerate()
        .map(|(i, d)| PhoneNumber {
            name: format!("{}（演示号码）", d.name),
            phone: format!("010-8888000{i}"),
        })
        .collect();
    let menu = Menu {
        root: "main".into(),
        nodes: BTreeMap::from([
            (
                "main".into(),
                Node {
                    prompt: "您好，这里是12345市民服务热线。政策咨询请按1，各区服务电话请按2，\
                             留言请按9，人工服务请按0。"
                        .into(),
                    options: BTreeMap::from([
                        (
                            "1".into(),
                            Choice::Menu {
                                node: "policy".into(),
                            },
                        ),
                        ("2".into(), Choice::ReadNumbers { numbers: districts }),
                        ("9".into(), Choice::Message),
                        ("0".into(), Choice::Agent),
                    ]),
                },
            ),
            (
                "policy".into(),
                Node {
                    prompt,
                    options: policy,
                },
            ),
        ]),
    };
    store.save_ivr_menu(&menu, "demo").await?;
    Ok(())
}

/// `jiesu eval answers --data FILE`: how often a citizen's own words (a message's detail, never
/// indexed) find the official reply to that message, and how the answer bot's confidence
/// threshold trades answered questions against right answers.
pub fn eval_answers(path: &Path) -> anyhow::Result<()> {
    use jiesu_search::{SearchIndex, SearchQuery};
    let records = jiesu_search::eval::read_replies(path)
        .with_context(|| format!("data: {}", path.display()))?;
    let report = jiesu_search::eval::evaluate_records(
        &records,
        jiesu_search::Ranking::default(),
        "default",
    )?;
    println!("{report}");

    // The bot: the best of the top three by confidence, as `POST /api/v1/answer` does.
    let index = SearchIndex::in_memory()?;
    index.upsert_many(records.iter().map(|r| r.to_entry()))?;
    let by_id: std::collections::HashMap<&str, &jiesu_search::eval::ReplyRecord> =
        records.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut scored: Vec<(f32, bool)> = Vec::with_capacity(records.len());
    for r in &records {
        let mut q = SearchQuery::new(r.detail.clone());
        q.limit = 3;
        let hits = index.search(&q)?;
        let best = hits
            .iter()
            .filter_map(|h| by_id.get(h.id.as_str()))
            .map(|e| {
                let c = jiesu_core::knowledge::answer_confidence(
                    &r.detail,
                    std::iter::once(e.title.as_str()),
                );
                (c, e.title == r.title && e.reply == r.reply)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        scored.push(best.unwrap_or((0.0, false)));
    }
    println!(
        "\nanswer bot on the same {} questions (details):",
        scored.len()
    );
    println!("threshold  answered  right when answered");
    for t in [0.1f32, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5] {
        let answered: Vec<bool> = scored
            .iter()
            .filter(|(c, _)| *c >= t)
            .map(|(_, ok)| *ok)
            .collect();
        let right = answered.iter().filter(|ok| **ok).count();
        println!(
            "{t:>9.2}  {:>7.1}%  {:>18.1}%",
            100.0 * answered.len() as f64 / scored.len().max(1) as f64,
            100.0 * right as f64 / answered.len().max(1) as f64
        );
    }
    println!(
        "in use: {:.2} (jiesu_server::api::selfservice::ANSWER_THRESHOLD)",
        jiesu_server::api::selfservice::ANSWER_THRESHOLD
    );
    Ok(())
}

/// `jiesu bench search --data FILE --entries N`: search and update latency over N entries grown
/// from the real ones.
pub fn bench_search(path: &Path, entries: usize) -> anyhow::Result<()> {
    let records = jiesu_search::eval::read_replies(path)
        .with_context(|| format!("data: {}", path.display()))?;
    let options = jiesu_search::bench::BenchOptions {
        entries,
        ..Default::default()
    };
    let report = jiesu_search::bench::run(&records, &options)?;
    println!("{report}");
    Ok(())
}
