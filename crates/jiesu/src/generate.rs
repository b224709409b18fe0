//! `jiesu gen`: realistic generated load, written out as JSON lines or bulk-loaded into the
//! data folder's database with a progress bar.
//!
//! A full order (ticket row, its events, their index entries) takes about 5 KB on disk, so
//! tens of millions do not fit on one machine. The loader therefore stores the most recent
//! `--full-days` as full orders, through the store's batch write path, and folds the older
//! days' events through [`jiesu_core::rollup::step`] in memory, writing only their rollups
//! ([`RollupStore::load_rollups`]): the dashboard reads rollups, so its figures cover every
//! order, while only recent orders can be opened one by one.

use crate::Common;
use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use jiesu_core::rollup::{Rollups, hour_of, step};
use jiesu_core::{china_day_start, china_offset};
use jiesu_gen::{BEIJING_ORDINARY_PER_DAY, Generator, Order, Source, Spike};
use jiesu_server::analytics::{TERMS_PER_TICKET, term_text};
use jiesu_store::analytics::HourTerms;
use jiesu_store::{AnalyticsStore, Append, NewTicket, RollupStore, SqliteStore, Store};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Orders per write of full orders.
const FULL_BATCH: usize = 2_000;

/// Options of `jiesu gen`.
#[derive(Args)]
pub struct GenArgs {
    /// Days of load.
    #[arg(long, default_value_t = 2)]
    days: u32,
    /// Orders on a weekday (weekends carry 80 %); Beijing's ordinary day is about 110,000,
    /// its peak 1,300,000.
    #[arg(long, default_value_t = BEIJING_ORDINARY_PER_DAY)]
    per_day: u64,
    /// Seed: the same seed gives the same orders.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First Beijing day, YYYY-MM-DD (default: so that the last day ends at today's midnight).
    #[arg(long)]
    start: Option<NaiveDate>,
    /// The real data folder (labelled messages and the 311 sample).
    #[arg(long, default_value = "../shared/data")]
    source: PathBuf,
    /// Write the orders as JSON lines to this file ('-' for stdout).
    #[arg(long, conflicts_with = "load")]
    out: Option<PathBuf>,
    /// Load the orders into the database of --data-dir.
    #[arg(long)]
    load: bool,
    /// With --load: the most recent days kept as full orders (tickets and events); older
    /// days are loaded as rollups only (default: every day full).
    #[arg(long)]
    full_days: Option<u32>,
    /// Extra orders of one category on one street in one Beijing hour:
    /// CATEGORY,STREET,YYYY-MM-DDTHH,EXTRA (repeatable).
    #[arg(long)]
    spike: Vec<String>,
    /// Threads generating orders (default: the cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// What a generating thread hands to the writer.
enum Batch {
    /// Full orders of a recent day, and their title terms by hour.
    Full(Vec<Order>, Vec<HourTerms>),
    /// The rollups of an older day's orders, how many orders they count, and their title
    /// terms by hour.
    Rollups(u64, Rollups, Vec<HourTerms>),
}

/// Counts the hot-topic terms of orders by receiving hour, as the server's term counter does
/// ([`jiesu_server::analytics::term_text`], at most
/// [`jiesu_server::analytics::TERMS_PER_TICKET`] per order). The generated texts repeat, so
/// each distinct text is segmented once.
struct TermCounter {
    segmenter: Arc<jiesu_cluster::Segmenter>,
    cache: HashMap<String, Vec<String>>,
    by_hour: BTreeMap<DateTime<Utc>, HashMap<String, i64>>,
}

impl TermCounter {
    fn new(segmenter: Arc<jiesu_cluster::Segmenter>) -> TermCounter {
        TermCounter {
            segmenter,
            cache: HashMap::new(),
            by_hour: BTreeMap::new(),
        }
    }

    fn add(&mut self, order: &Order) {
        let text = term_text(order.intake.title.as_deref(), &order.intake.content);
        if !self.cache.contains_key(text) {
            let terms = self.segmenter.topic_terms(text, TERMS_PER_TICKET);
            self.cache.insert(text.to_string(), terms);
        }
        let counts = self.by_hour.entry(hour_of(order.received_at)).or_default();
        for term in self.cache.get(text).into_iter().flatten() {
            match counts.get_mut(term) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(term.clone(), 1);
                }
            }
        }
    }

    fn take(&mut self) -> Vec<HourTerms> {
        std::mem::take(&mut self.by_hour)
            .into_iter()
            .map(|(h, m)| (h, m.into_iter().collect()))
            .collect()
    }
}

fn parse_spike(text: &str) -> anyhow::Result<Spike> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [category, street, hour, extra] = parts[..] else {
        bail!("spike: expected CATEGORY,STREET,YYYY-MM-DDTHH,EXTRA, got '{text}'");
    };
    let local = NaiveDateTime::parse_from_str(&format!("{hour}:00"), "%Y-%m-%dT%H:%M")
        .with_context(|| format!("spike: '{hour}' is not a Beijing hour YYYY-MM-DDTHH"))?;
    let at = local
        .and_local_timezone(china_offset())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("spike: '{hour}'"))?;
    Ok(Spike {
        category: category.to_string(),
        street: street.to_string(),
        at,
        extra: extra
            .parse()
            .with_context(|| format!("spike: extra '{extra}' is not a number"))?,
    })
}

fn read(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("source: cannot read {} (see --source)", path.display()))
}

/// `jiesu gen`.
pub async fn run(common: &Common, args: GenArgs) -> anyhow::Result<()> {
    if args.days == 0 {
        bail!("days: must be at least 1");
    }
    if args.per_day == 0 {
        bail!("per-day: must be at least 1");
    }
    if args.out.is_none() && !args.load {
        bail!("give --out FILE (JSON lines) or --load (into --data-dir)");
    }
    let source = Source::from_csv(
        &read(&args.source.join("teddy2020c/messages_labeled_train.csv"))?,
        &read(&args.source.join("baltimore_311/requests_sample.csv"))?,
    )?;
    let city =
        jiesu_reference::city(&common.city).with_context(|| format!("city: '{}'", common.city))?;
    let generator = Generator::new(&city, &source, args.seed)?;
    let spikes = args
        .spike
        .iter()
        .map(|s| parse_spike(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for s in &spikes {
        if !generator.category_shares().any(|(c, _)| c == s.category) {
            bail!("spike: '{}' is not a catalog leaf", s.category);
        }
        if !generator.street_shares().any(|(c, _)| c == s.street) {
            bail!(
                "spike: '{}' is not a street of {}",
                s.street,
                city.city_name
            );
        }
    }
    let start = args.start.unwrap_or_else(|| {
        Utc::now().with_timezone(&china_offset()).date_naive()
            - TimeDelta::days(i64::from(args.days))
    });
    let end = start + TimeDelta::days(i64::from(args.days));
    let until = china_day_start(end) - TimeDelta::milliseconds(1);
    let days: Vec<NaiveDate> = (0..args.days)
        .map(|i| start + TimeDelta::days(i64::from(i)))
        .collect();
    let total: u64 = days
        .iter()
        .map(|d| generator.volume(*d, args.per_day))
        .sum::<u64>()
        + spikes
            .iter()
            .filter(|s| s.at >= china_day_start(start) && s.at <= until)
            .map(|s| u64::from(s.extra))
            .sum::<u64>();
    eprintln!(
        "生成 generating {total} orders: {} days from {start} (Beijing), {} per weekday, seed {}",
        args.days, args.per_day, args.seed
    );
    let job = Job {
        generator: Arc::new(generator),
        spikes: Arc::new(spikes),
        days: Arc::new(days),
        per_day: args.per_day,
        until,
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1),
        bar: progress(total),
        segmenter: Arc::new(jiesu_cluster::Segmenter::new()),
    };
    let started = Instant::now();
    if let Some(out) = &args.out {
        let written = write_lines(job, out).await?;
        eprintln!(
            "wrote {written} orders to {} in {:.1} s",
            out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let full_days = args.full_days.unwrap_or(args.days).min(args.days);
    load(common, job, full_days, total, started).await
}

fn progress(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} orders ({per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

struct Job {
    generator: Arc<Generator>,
    spikes: Arc<Vec<Spike>>,
    days: Arc<Vec<NaiveDate>>,
    per_day: u64,
    until: DateTime<Utc>,
    threads: usize,
    bar: ProgressBar,
    segmenter: Arc<jiesu_cluster::Segmenter>,
}

impl Job {
    /// Starts the generating threads: each takes the next day and sends its batches; days
    /// from `first_full` on are sent as full orders, earlier ones as rollups.
    fn spawn(&self, first_full: usize) -> tokio::sync::mpsc::Receiver<Batch> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(self.threads * 2);
        let next = Arc::new(AtomicUsize::new(0));
        for _ in 0..self.threads {
            let (tx, next) = (tx.clone(), next.clone());
            let (generator, spikes, days) = (
                self.generator.clone(),
                self.spikes.clone(),
                self.days.clone(),
            );
            let (per_day, until, bar) = (self.per_day, self.until, self.bar.clone());
            let mut terms = TermCounter::new(self.segmenter.clone());
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(date) = days.get(i) else { break };
                    let orders = generator.day(*date, per_day, &spikes, until);
                    if i >= first_full {
                        let mut chunk = Vec::with_capacity(FULL_BATCH);
                        for order in orders {
                            terms.add(&order);
                            chunk.push(order);
                            if chunk.len() == FULL_BATCH
                                && tx
                                    .blocking_send(Batch::Full(
                                        std::mem::take(&mut chunk),
                                        terms.take(),
                                    ))
                                    .is_err()
                            {
                                return;
                            }
                        }
                        if !chunk.is_empty()
                            && tx.blocking_send(Batch::Full(chunk, terms.take())).is_err()
                        {
                            return;
                        }
                    } else {
                        let mut rollups = Rollups::new();
                        let mut n = 0_u64;
                        for order in orders {
                            terms.add(&order);
                            let mut state = None;
                            for record in &order.records {
                                rollups.apply(&step(&mut state, record));
                            }
                            n += 1;
                            if n.is_multiple_of(4096) {
                                bar.inc(4096);
                            }
                        }
                        bar.inc(n % 4096);
                        if tx
                            .blocking_send(Batch::Rollups(n, rollups, terms.take()))
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
        rx
    }
}

async fn write_lines(job: Job, out: &std::path::Path) -> anyhow::Result<u64> {
    let mut rx = job.spawn(0);
    let file: Box<dyn Write + Send> = if out.as_os_str() == "-" {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            std::fs::File::create(out)
                .with_context(|| format!("out: cannot create {}", out.display()))?,
        )
    };
    let mut w = std::io::BufWriter::new(file);
    let mut written = 0;
    while let Some(batch) = rx.recv().await {
        let Batch::Full(orders, _) = batch else {
            continue;
        };
        for o in &orders {
            let line = serde_json::json!({
                "id": o.id,
                "number": o.state.number,
                "received_at": o.received_at,
                "intake": o.intake,
                "events": o.records,
            });
            serde_json::to_writer(&mut w, &line)?;
            w.write_all(b"\n")?;
        }
        written += orders.len() as u64;
        job.bar.inc(orders.len() as u64);
    }
    w.flush()?;
    job.bar.finish();
    Ok(written)
}

/// Writes full orders: the tickets through `create_tickets`, the rest of their lives
/// through `append_many`, both one transaction per batch (the rollups move with them).
async fn write_full(store: &SqliteStore, orders: Vec<Order>) -> anyhow::Result<u64> {
    let batch: Vec<NewTicket> = orders
        .iter()
        .map(|o| NewTicket {
            id: o.id.clone(),
            intake: o.intake.clone(),
            actor: o.actor.clone(),
            received_at: o.received_at,
            idempotency_key: None,
            proposal: None,
        })
        .collect();
    let created = store.create_tickets(batch).await?;
    let mut appends = Vec::with_capacity(orders.len());
    for (order, c) in orders.into_iter().zip(created) {
        if order.records.len() < 2 {
            continue;
        }
        // The store numbered the ticket; the rest of the life is the generated one.
        let mut state = order.state;
        state.number = c.ticket.number;
        appends.push(Append {
            expected_version: c.ticket.version,
            records: order.records[1..].to_vec(),
            state,
        });
    }
    store.append_many(&appends).await?;
    Ok(appends.len() as u64)
}

async fn load(
    common: &Common,
    job: Job,
    full_days: u32,
    total: u64,
    started: Instant,
) -> anyhow::Result<()> {
    // Creates the database and loads the city's reference data when new.
    drop(crate::setup::open(common).await?);
    let path = common.data_dir.join("jiesu.db");
    let store = SqliteStore::open(&path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let before = store.count_tickets().await?;
    // The loader counts the title terms of what it loads, and keeps the server's term counter
    // past its tickets when the counter was up to date (else the counter counts them).
    let own_terms = store
        .term_sources(store.terms_cursor().await?, 1)
        .await?
        .is_empty();
    let size_before = store.size_on_disk().await?;
    store.set_bulk_load(true).await?;
    let first_full = job.days.len() - full_days as usize;
    let mut rx = job.spawn(first_full);
    let (mut full, mut rolled, mut rows) = (0_u64, 0_u64, 0_usize);
    let result: anyhow::Result<()> = async {
        while let Some(batch) = rx.recv().await {
            match batch {
                Batch::Full(orders, terms) => {
                    let n = orders.len() as u64;
                    write_full(&store, orders).await?;
                    if own_terms {
                        store
                            .record_terms(store.last_ticket_seq().await?, &terms)
                            .await?;
                    }
                    full += n;
                    job.bar.inc(n);
                }
                Batch::Rollups(n, rollups, terms) => {
                    rows += store.load_rollups(&rollups).await?;
                    for (hour, counts) in &terms {
                        store.add_term_counts(*hour, counts).await?;
                    }
                    rolled += n;
                }
            }
            job.bar
                .set_message(format!("{full} full, {rolled} as rollups"));
        }
        Ok(())
    }
    .await;
    drop(rx);
    store.set_bulk_load(false).await?;
    result?;
    job.bar.finish();
    if full + rolled != total {
        bail!(
            "generation stopped early: {} of {total} orders loaded",
            full + rolled
        );
    }
    if rolled > 0 {
        store.set_meta("rollups_history", "bulk-loaded").await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let size = store.size_on_disk().await?;
    let tickets = store.count_tickets().await? - before;
    println!(
        "loaded {} orders in {elapsed:.1} s ({:.0} orders/s): {full} full ({tickets} tickets with events), {rolled} as rollups only ({rows} rollup rows); database {:.2} GB",
        full + rolled,
        (full + rolled) as f64 / elapsed.max(1e-9),
        size as f64 / 1e9
    );
    if full > 0 && rolled == 0 {
        println!(
            "bytes per full order: {:.0} (growth of the database / orders)",
            size.saturating_sub(size_before) as f64 / full as f64
        );
    }
    Ok(())
}
