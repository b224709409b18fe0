//! `jiesu bench dashboard`: the dashboard's queries against a loaded data folder, timed.
//!
//! The server's router is built in process over the folder's database (no socket, so the
//! figure is the query and its JSON, not the network), an analyst token is made for the run,
//! and each query is sent `--rounds` times with `at=` set just after the last hour that holds
//! orders, so the windows are the generated period's last hour, day and month.

use crate::Common;
use anyhow::{Context, bail};
use axum::body::Body;
use chrono::{DateTime, TimeDelta, Utc};
use jiesu_core::{Role, china_offset};
use jiesu_store::{SqliteStore, Store};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

/// The user the benchmark reads as.
const BENCH_USER: &str = "bench-analyst";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `jiesu bench dashboard`.
pub async fn run(common: &Common, rounds: usize) -> anyhow::Result<()> {
    let path = common.data_dir.join("jiesu.db");
    if !path.exists() {
        bail!(
            "data-dir: no database in {} (load one with `jiesu gen --load`)",
            common.data_dir.display()
        );
    }
    let store = SqliteStore::open(&path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let (orders, last_hour, rows) = store.volume_totals().await.context("reading the rollups")?;
    let orders = orders.unwrap_or(0);
    let Some(last_hour) = last_hour.and_then(DateTime::<Utc>::from_timestamp_millis) else {
        bail!("data-dir: the database holds no orders (load some with `jiesu gen --load`)");
    };
    println!("orders in rollups: {orders}");
    println!("rollup rows: {rows}");
    let tickets = store.count_tickets().await?;
    let size = store.size_on_disk().await?;
    println!(
        "full orders (tickets): {tickets}; database {:.2} GB",
        size as f64 / 1e9
    );
    if rounds == 0 {
        return Ok(());
    }
    let store: jiesu_store::DynStore = Arc::new(store);
    if store.user(BENCH_USER).await.is_err() {
        let password = jiesu_server::auth::new_password();
        crate::setup::add_user(store.as_ref(), BENCH_USER, Role::Analyst, None, &password).await?;
    }
    let (token, hash) = jiesu_server::auth::new_token();
    store.add_token(&hash, BENCH_USER).await?;
    let at = last_hour + TimeDelta::hours(1);
    let state = jiesu_server::AppState::new(store.clone(), Arc::new(jiesu_server::SystemClock))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = jiesu_server::app(state);
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let at_q: String = form_urlencode(&at_text);
    let month = last_hour.with_timezone(&china_offset()).format("%Y-%m");
    let queries = [
        (
            "hot topics, last hour",
            format!("/api/v1/analytics/hot?window=hour&at={at_q}"),
        ),
        (
            "hot topics, last day",
            format!("/api/v1/analytics/hot?window=day&at={at_q}"),
        ),
        (
            "street ranking, month",
            format!("/api/v1/analytics/ranking?month={month}&by=street"),
        ),
        (
            "spike check, last hour",
            format!("/api/v1/analytics/spikes?at={at_q}"),
        ),
    ];
    println!(
        "at = {at_text} (the hour after the last generated one); {rounds} rounds per query, in process"
    );
    println!(
        "{:<24} {:>9} {:>9} {:>9}  path",
        "query", "p50 ms", "p99 ms", "max ms"
    );
    for (name, uri) in &queries {
        let mut times = Vec::with_capacity(rounds);
        let mut last = serde_json::Value::Null;
        for i in 0..rounds + 3 {
            let request = axum::http::Request::get(uri.as_str())
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())?;
            let started = Instant::now();
            let response = app.clone().oneshot(request).await?;
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            if !status.is_success() {
                bail!(
                    "{uri}: {status}: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                );
            }
            // The first rounds warm the caches and are not counted.
            if i >= 3 {
                times.push(ms);
            }
            if i == 0 {
                last = serde_json::from_slice(&body).unwrap_or_default();
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<24} {:>9.2} {:>9.2} {:>9.2}  {uri}",
            percentile(&times, 0.50),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0),
        );
        println!("{:<24} {}", "", summary(&last));
    }
    Ok(())
}

/// What a dashboard answer says, in one line: so that a fast answer is seen to be a full one.
fn summary(v: &serde_json::Value) -> String {
    let first = |list: &str| {
        let item = &v[list][0];
        match (item["name"].as_str(), item["count"].as_i64()) {
            (Some(name), Some(n)) => format!("{name} {n}"),
            _ => "-".into(),
        }
    };
    if let Some(spikes) = v["spikes"].as_array() {
        let first = spikes.first().map_or("-".to_string(), |s| {
            format!(
                "{} {} {}: {} vs {:.1} expected",
                s["dim"].as_str().unwrap_or(""),
                s["code"].as_str().unwrap_or(""),
                s["name"].as_str().unwrap_or(""),
                s["count"],
                s["expected"].as_f64().unwrap_or(0.0)
            )
        });
        return format!("{} spikes; first: {first}", spikes.len());
    }
    if v["rows"].is_array() {
        return format!(
            "{} rows; first: {}",
            v["rows"].as_array().map_or(0, Vec::len),
            first("rows")
        );
    }
    format!(
        "total {}; top category {}; top street {}; top term {}",
        v["total"],
        first("categories"),
        first("streets"),
        v["terms"][0]["term"].as_str().unwrap_or("-")
    )
}

fn form_urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
