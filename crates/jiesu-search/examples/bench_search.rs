//! Prints build time, search latency and update latency for a large knowledge base.
//!
//! ```text
//! cargo run --release -p jiesu-search --example bench_search -- \
//!     [PATH to messages_with_replies.csv] [--entries N] [--queries N] [--dir DIR]
//! ```

use std::path::PathBuf;

use jiesu_search::bench::{BenchOptions, run};
use jiesu_search::eval::read_replies;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut path = PathBuf::from("../shared/data/teddy2020c/messages_with_replies.csv");
    let mut options = BenchOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--entries" => options.entries = args.next().ok_or("--entries N")?.parse()?,
            "--queries" => options.queries = args.next().ok_or("--queries N")?.parse()?,
            "--updates" => options.updates = args.next().ok_or("--updates N")?.parse()?,
            "--dir" => options.dir = Some(args.next().ok_or("--dir DIR")?.into()),
            other => path = other.into(),
        }
    }
    let records = read_replies(&path)?;
    println!("{}", run(&records, &options)?);
    Ok(())
}
