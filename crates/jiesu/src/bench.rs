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
    let BenchCmd::Intake {
        requests,
        concurrency,
        url,
        token,
    } = cmd;
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
