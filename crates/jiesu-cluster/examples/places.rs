//! Prints the place names found in each message's title and text (to check the patterns).
//!
//! `cargo run --release -p jiesu-cluster --example places -- messages_with_votes.csv [N]`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: places MESSAGES.csv [N]")?;
    let n = args.next().map(|t| t.parse()).transpose()?.unwrap_or(30);
    let loaded = jiesu_cluster::read_votes(path.as_ref())?;
    let seg = jiesu_cluster::Segmenter::new();
    for r in loaded.reports.iter().take(n) {
        let (places, _) = seg.places(&format!("{}。{}", r.title, r.text));
        let names: Vec<String> = places
            .iter()
            .map(|p| format!("{}({:?})", p.name, p.kind))
            .collect();
        println!("{} {}\n    {}", r.id, r.title, names.join(" "));
    }
    Ok(())
}
