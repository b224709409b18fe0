//! Measures `Matcher::propose` against thousands of open reports.
//!
//! `cargo run --release -p jiesu-cluster --example propose_speed -- messages_with_votes.csv`
//!
//! Every message of the file is an open report (the window is widened to cover the whole
//! year, so each incoming report is compared with all of them); 300 of them arrive again as
//! new reports. Prepared profiles are what a server keeps; raw reports are re-analysed on
//! every call.
use jiesu_cluster::{Config, Matcher, Profile};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: propose_speed MESSAGES.csv")?;
    let reports = jiesu_cluster::read_votes(path.as_ref())?.reports;
    let t = Instant::now();
    let config = Config {
        window_days: 3650,
        ..Config::default()
    };
    let matcher = Matcher::new(&reports, config);
    println!(
        "matcher built from {} reports in {:.2?}",
        reports.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let open: Vec<Profile> = reports.iter().map(|r| matcher.profile(r)).collect();
    let per = t.elapsed() / open.len() as u32;
    println!(
        "profiles of {} open reports in {:.2?} ({per:.2?} each)",
        open.len(),
        t.elapsed()
    );
    let news: Vec<&jiesu_cluster::Report> = reports
        .iter()
        .step_by(reports.len() / 300)
        .take(300)
        .collect();
    let t = Instant::now();
    let mut proposals = 0;
    for r in &news {
        let new = matcher.profile(r);
        proposals += matcher.propose_profiles(&new, &open).len();
    }
    let e = t.elapsed();
    println!(
        "propose (open profiles kept): {} new reports against {} open in {e:.2?}: {:.0} reports/s, {:.2?} each, {proposals} proposals",
        news.len(),
        open.len(),
        news.len() as f64 / e.as_secs_f64(),
        e / news.len() as u32
    );
    let t = Instant::now();
    for r in news.iter().take(5) {
        matcher.propose(r, &reports);
    }
    let e = t.elapsed();
    println!(
        "propose (raw reports, all re-analysed): 5 new reports against {} open in {e:.2?}: {:.2?} each",
        reports.len(),
        e / 5
    );
    Ok(())
}
