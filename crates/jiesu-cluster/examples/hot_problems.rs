//! Prints the hottest problems of a messages file (default: the top 10).
//!
//! `cargo run --release -p jiesu-cluster --example hot_problems -- messages_with_votes.csv [TOP]`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: hot_problems MESSAGES.csv [TOP]")?;
    let top = args.next().map(|t| t.parse()).transpose()?.unwrap_or(10);
    print!("{}", jiesu_cluster::eval::hot_problems(path.as_ref(), top)?);
    Ok(())
}
