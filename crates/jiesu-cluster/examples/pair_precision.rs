//! Precision, recall and F1 of merge proposals on the hand-labelled pairs.
//!
//! `cargo run --release -p jiesu-cluster --example pair_precision -- messages_with_votes.csv [crates/jiesu-cluster/data/pairs.csv]`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let votes = args
        .next()
        .ok_or("usage: pair_precision MESSAGES.csv [PAIRS.csv]")?;
    let pairs = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data/pairs.csv").to_string());
    print!(
        "{}",
        jiesu_cluster::eval::pair_precision(votes.as_ref(), pairs.as_ref())?
    );
    Ok(())
}
