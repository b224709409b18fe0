//! `jiesu bench intake`: creates tickets through the HTTP API of a real `jiesu serve` and
//! prints tickets per second and latency percentiles.
//!
//! Without `--url` it starts its own server (this same binary, as a child process) on a fresh
//! data folder, so the figure includes HTTP, JSON, validation, group commit and fsync.

use anyhow::{Context, bail};
use clap::Subcommand;
use futures::StreamExt;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Ticket creation through POST /api/v1/tickets.
    Intake {
        /// Tickets to create.
        #[arg(long, default_value_t = 50_000)]
        requests: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 128)]
        concurrency: usize,
        /// An already running server (default: start one on a temporary data folder).
        #[arg(long)]
        url: Option<String>,
        /// Bearer token for --url.
        #[arg(long)]
        token: Option<String>,
    },
    /// The dashboard's queries (hot topics last hour and day, street ranking of the month,
    /// spike check) on the data folder loaded by `jiesu gen --load`: p50/p99 per query.
    Dashboard {
        /// Times each query is sent (0: print the totals only).
        #[arg(long, default_value_t = 200)]
        rounds: usize,
    },
    /// The time-limit scanner's query over many open tickets.
    Scanner {
        /// Open (dispatched) tickets in the database.
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        /// Of those, how many are due (urgent, dispatched three hours ago).
        #[arg(long, default_value_t = 1_000)]
        due: usize,
    },
    /// Knowledge-base search: latency over many entries grown from real official replies.
    Search {
        /// Messages with replies, e.g. ../shared/data/teddy2020c/messages_with_replies.csv.
        #[arg(long)]
        data: std::path::PathBuf,
        /// Entries in the index.
        #[arg(long, default_value_t = 100_000)]
        entries: usize,
    },
}

/// A server started for the benchmark; killed when dropped.
struct Server {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> anyhow::Result<(Server, String, String)> {
    let exe = std::env::current_exe()?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().to_str().context("temporary path is not UTF-8")?;
    let mut add = Command::new(&exe)
        .args([
            "--data-dir",
            data,
            "user",
            "add",
            "bench",
            "--role",
            "agent",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = add.stdin.take() {
        use std::io::Write;
        stdin.write_all(b"bench-password\n")?;
    }
    if !add.wait()?.success() {
        bail!("could not add the bench user");
    }
    let token = Command::new(&exe)
        .args(["--data-dir", data, "token", "bench"])
        .output()?;
    let token = String::from_utf8(token.stdout)?.trim().to_string();
    let mut child = Command::new(&exe)
        .args([
            "--data-dir",
            data,
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--no-demo",
        ])
        .env("JIESU_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout from the server")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("jiesu listening on ")
        .with_context(|| format!("unexpected first line from the server: {line}"))?
        .to_string();
    Ok((Server { child, _dir: dir }, url, token))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn run(cmd: BenchCmd) -> anyhow::Result<()> {
    let (requests, concurrency, url, token) = match cmd {
        BenchCmd::Intake {
            requests,
            concurrency,
            url,
            token,
        } => (requests, concurrency, url, token),
        BenchCmd::Scanner { tickets, due } => return scanner(tickets, due).await,
        BenchCmd::Search { data, entries } => {
            return crate::knowledge::bench_search(&data, entries);
        }
        BenchCmd::Dashboard { .. } => {
            anyhow::bail!("bench dashboard runs on --data-dir (see main.rs)")
        }
    };
    let (_server, url, token) = match url {
        Some(u) => (None, u, token.context("token: --url needs --token")?),
        None => {
            let (s, u, t) = start_server()?;
            (Some(s), u, t)
        }
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let endpoint = format!("{url}/api/v1/tickets");
    let streets = ["110108007", "110105001", "110102003", "110101001"];
    let body = |i: usize| {
        serde_json::json!({
            "channel": "phone",
            "title": "路灯不亮",
            "content": format!("第{i}号来电：小区门口路灯连续三晚不亮，老人晚上出门不安全。"),
            "caller": {"name": "王女士", "phone": format!("138{:08}", i % 100_000_000)},
            "street_code": streets[i % streets.len()],
        })
    };
    // Warm up the connections.
    for i in 0..concurrency.min(requests) {
        let r = client
            .post(&endpoint)
            .bearer_auth(&token)
            .json(&body(i))
            .send()
            .await?;
        if r.status() != 201 {
            bail!("warm-up request failed: {} {}", r.status(), r.text().await?);
        }
    }
    let started = Instant::now();
    let results: Vec<Result<Duration, String>> = futures::stream::iter(0..requests)
        .map(|i| {
            let client = &client;
            let endpoint = &endpoint;
            let token = &token;
            let body = body(i);
            async move {
                let t0 = Instant::now();
                let r = client
                    .post(endpoint)
                    .bearer_auth(token)
                    .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if r.status() != 201 {
                    return Err(format!("status {}", r.status()));
                }
                r.bytes().await.map_err(|e| e.to_string())?;
                Ok(t0.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let failures = results.len() - latencies.len();
    latencies.sort_unstable();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!("bench intake: POST /api/v1/tickets against {url}");
    println!(
        "  {} tickets in {:.2} s with {} in flight, {} failed",
        latencies.len(),
        elapsed.as_secs_f64(),
        concurrency,
        failures
    );
    println!("  throughput  {rate:.0} tickets/s (each durable before its 201)");
    println!(
        "  latency     p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!(
        "  machine     {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        bail!("{failures} requests failed, for example: {e}");
    }
    Ok(())
}

/// Fills a database with `total` dispatched tickets, `due` of them past their deadlines, then
/// times the scanner's look-up of the due ones.
async fn scanner(total: usize, due: usize) -> anyhow::Result<()> {
    use chrono::{Duration as Span, Utc};
    use indicatif::{ProgressBar, ProgressStyle};
    use jiesu_core::{
        Actor, Caller, Channel, Command, Intake, MemoryDirectory, Role, TicketId, Urgency, execute,
    };
    use jiesu_store::{Append, NewTicket, Reference, SqliteStore, Store};

    // A database of its own, in the system's temporary folder.
    let temp = tempfile::tempdir()?;
    let store = SqliteStore::open(&temp.path().join("jiesu.db")).await?;
    let city = jiesu_reference::beijing();
    store
        .replace_reference(&Reference {
            divisions: city.divisions.clone(),
            units: city.units.clone(),
            catalog: city.catalog.clone(),
        })
        .await?;
    let directory = MemoryDirectory::new(city.units, city.catalog, city.divisions)
        .with_time_limits(
            jiesu_core::timelimit::PolicySet::defaults(),
            jiesu_core::calendar::WorkingCalendar::china(),
        );
    let now = Utc::now();
    let streets = ["110108007", "110105001", "110102003", "110101001"];
    let units = ["cgw", "zjw", "swj", "110108007", "heat"];
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} loading [{bar:40}] {pos}/{len} tickets ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let agent = Actor::new("bench", Role::Agent);
    let dispatcher = Actor::new("bench", Role::Dispatcher);
    let mut i = 0;
    while i < total {
        let n = (total - i).min(2048);
        let batch: Vec<NewTicket> = (i..i + n)
            .map(|k| {
                // The first `due` tickets are urgent and three hours old: overdue now. The rest
                // are ordinary and dispatched within the last hour: due in days.
                let urgent = k < due;
                let at = if urgent {
                    now - Span::hours(3)
                } else {
                    now - Span::seconds((k % 3600) as i64)
                };
                NewTicket {
                    id: TicketId(format!("bench-{k:08}")),
                    intake: Intake {
                        channel: Channel::Phone,
                        title: Some("路灯不亮".into()),
                        content: format!("第{k}号来电：路灯不亮"),
                        caller: Caller {
                            name: "王女士".into(),
                            phone: format!("138{:08}", k % 100_000_000),
                        },
                        address: None,
                        district_code: None,
                        street_code: Some(streets[k % streets.len()].into()),
                        category_code: None,
                        urgency: if urgent {
                            Urgency::Urgent
                        } else {
                            Urgency::Normal
                        },
                        confidential: false,
                        external_ref: None,
                    }
                    .validate(&directory)
                    .unwrap_or_else(|e| panic!("bench intake: {e}")),
                    actor: agent.clone(),
                    received_at: at,
                    idempotency_key: None,
                    proposal: None,
                }
            })
            .collect();
        let created = store.create_tickets(batch).await?;
        let mut appends = Vec::with_capacity(n);
        for c in created {
            let k = i + appends.len();
            let dispatch = Command::Dispatch {
                lead_unit: units[k % units.len()].into(),
                assisting_units: vec![],
                note: None,
                routing: None,
            };
            let (records, state) = execute(
                Some(&c.ticket),
                &dispatch,
                &dispatcher,
                c.ticket.received_at,
                &directory,
            )
            .map_err(|e| anyhow::anyhow!("bench dispatch: {e}"))?;
            appends.push(Append {
                expected_version: c.ticket.version,
                records,
                state,
            });
        }
        store.append_many(&appends).await?;
        i += n;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();

    let open = store.count_tickets().await?;
    let mut timings = Vec::new();
    let mut found = 0;
    for _ in 0..50 {
        let t0 = Instant::now();
        found = store
            .due_tickets(Utc::now(), due.max(1) as u32)
            .await?
            .len();
        timings.push(t0.elapsed());
    }
    timings.sort_unstable();
    let t0 = Instant::now();
    let counted = store.count_tickets().await?;
    let full_scan = t0.elapsed();
    println!("bench scanner: due tickets among {open} dispatched ones");
    println!("  found {found} due (expected {due}), 50 look-ups");
    println!(
        "  look-up     p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&timings, 0.50).as_secs_f64() * 1e3,
        percentile(&timings, 0.99).as_secs_f64() * 1e3,
        timings.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!(
        "  for scale   counting all {counted} tickets takes {:.2} ms",
        full_scan.as_secs_f64() * 1e3
    );
    if found != due {
        bail!("expected {due} due tickets, found {found}");
    }
    Ok(())
}
