//! `jiesu gen` through the real binary: the orders it loads are all counted, the ones kept in
//! full have their tickets, and the same seed writes the same file.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_jiesu");
const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

fn jiesu(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("JIESU_LOG", "warn")
        .output()
        .expect("run jiesu");
    assert!(
        out.status.success(),
        "jiesu {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

/// `jiesu gen --load` with these arguments, reading the real data.
fn gen_load(dir: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["gen", "--load", "--source", SOURCE];
    all.extend_from_slice(args);
    jiesu(dir, &all)
}

/// The number after `label` in the output.
fn figure(out: &str, label: &str) -> u64 {
    let at = out
        .find(label)
        .unwrap_or_else(|| panic!("no '{label}' in {out}"))
        + label.len();
    out[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after '{label}' in {out}"))
}

#[test]
fn a_loaded_folder_counts_every_generated_order() {
    let dir = tempfile::tempdir().unwrap();
    // Monday and Tuesday 16-17 November 2026: 2,000 orders each, the Tuesday kept in full.
    let out = gen_load(
        dir.path(),
        &[
            "--days",
            "2",
            "--per-day",
            "2000",
            "--full-days",
            "1",
            "--start",
            "2026-11-16",
            "--seed",
            "3",
        ],
    );
    assert_eq!(figure(&out, "loaded"), 4_000, "{out}");
    let totals = jiesu(dir.path(), &["bench", "dashboard", "--rounds", "0"]);
    assert_eq!(figure(&totals, "orders in rollups:"), 4_000, "{totals}");
    assert_eq!(figure(&totals, "full orders (tickets):"), 2_000, "{totals}");

    // Loading more adds to what is there.
    let out = gen_load(
        dir.path(),
        &[
            "--days",
            "1",
            "--per-day",
            "500",
            "--start",
            "2026-11-18",
            "--seed",
            "4",
        ],
    );
    assert_eq!(figure(&out, "loaded"), 500, "{out}");
    let totals = jiesu(dir.path(), &["bench", "dashboard", "--rounds", "0"]);
    assert_eq!(figure(&totals, "orders in rollups:"), 4_500, "{totals}");

    // The history without events is not thrown away by a rebuild from the event log.
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["rollups", "rebuild"])
        .env("JIESU_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("jiesu gen --load"));
    let totals = jiesu(dir.path(), &["bench", "dashboard", "--rounds", "0"]);
    assert_eq!(figure(&totals, "orders in rollups:"), 4_500, "{totals}");
}

#[test]
fn full_orders_have_rollups_equal_to_the_ones_rebuilt_from_their_events() {
    let dir = tempfile::tempdir().unwrap();
    let out = gen_load(
        dir.path(),
        &[
            "--days",
            "2",
            "--per-day",
            "1000",
            "--start",
            "2026-11-20",
            "--seed",
            "5",
        ],
    );
    // Friday 1,000 and Saturday 800 (weekends carry 80 %).
    assert_eq!(figure(&out, "loaded"), 1_800, "{out}");
    let live = jiesu(dir.path(), &["bench", "dashboard", "--rounds", "0"]);
    assert_eq!(figure(&live, "full orders (tickets):"), 1_800, "{live}");
    jiesu(dir.path(), &["rollups", "rebuild"]);
    let rebuilt = jiesu(dir.path(), &["bench", "dashboard", "--rounds", "0"]);
    assert_eq!(figure(&rebuilt, "orders in rollups:"), 1_800, "{rebuilt}");
    assert_eq!(
        figure(&rebuilt, "rollup rows:"),
        figure(&live, "rollup rows:"),
        "{live}\n{rebuilt}"
    );
}

#[test]
fn the_same_seed_writes_the_same_orders() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str| -> String {
        let file = dir.path().join(name);
        jiesu(
            dir.path(),
            &[
                "gen",
                "--days",
                "1",
                "--per-day",
                "300",
                "--start",
                "2026-11-16",
                "--seed",
                "9",
                "--source",
                SOURCE,
                "--out",
                file.to_str().unwrap(),
            ],
        );
        std::fs::read_to_string(file).unwrap()
    };
    let a = write("a.jsonl");
    assert_eq!(a, write("b.jsonl"));
    let lines: Vec<serde_json::Value> = a
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 300);
    for order in &lines {
        assert_eq!(order["events"][0]["kind"], "received");
        assert!(
            order["intake"]["street_code"]
                .as_str()
                .unwrap()
                .starts_with("1101")
        );
    }
}
