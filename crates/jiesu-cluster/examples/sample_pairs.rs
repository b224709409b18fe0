//! Draws the pairs to label for `data/pairs.csv` (how: `data/PAIRS.md`).
//!
//! `cargo run --release -p jiesu-cluster --example sample_pairs -- messages_with_votes.csv > pairs_unlabelled.csv`
//!
//! All pairs of messages at most 7 days apart are scored with the default weights. Half the
//! sample comes from pairs at or above 0.40 (a little under any threshold we would choose),
//! stratified over the score range; the other half from pairs below 0.40: near misses
//! (0.25–0.40), pairs naming the same site, and pairs sharing at least one heavy word.
//! A message enters the sample at most once, so that the two big campaigns of the year
//! (hundreds of pairs each) do not fill it. Fixed seed, so the draw can be repeated.
use jiesu_cluster::{Config, Matcher, Profile};

/// (score, text cosine, shares a site, a, b)
type Candidate = (f32, f32, bool, usize, usize);
/// (score, a, b, group)
type Chosen = (f32, usize, usize, &'static str);

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: sample_pairs MESSAGES.csv")?;
    let loaded = jiesu_cluster::read_votes(path.as_ref())?;
    let reports = &loaded.reports;
    let matcher = Matcher::new(reports, Config::default());
    let profiles: Vec<Profile> = reports.iter().map(|r| matcher.profile(r)).collect();
    let window = chrono::Duration::days(7);
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by_key(|&i| reports[i].at);
    let mut pairs: Vec<Candidate> = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if reports[j].at - reports[i].at > window {
                break;
            }
            let s = matcher.similarity(&profiles[i], &profiles[j]);
            let site = s.place >= 1.0;
            if s.score >= 0.15 || site {
                pairs.push((s.score, s.text, site, i, j));
            }
        }
    }
    eprintln!("{} candidate pairs", pairs.len());
    let mut rng = Rng(20_200_512);
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut take = |filter: &dyn Fn(&Candidate) -> bool,
                    n: usize,
                    group: &'static str,
                    chosen: &mut Vec<Chosen>| {
        let mut pool: Vec<&Candidate> = pairs.iter().filter(|p| filter(p)).collect();
        eprintln!("{group}: {} in pool", pool.len());
        let mut taken = 0;
        while taken < n && !pool.is_empty() {
            let p = pool.swap_remove(rng.below(pool.len()));
            let used = |x: usize| chosen.iter().any(|c| c.1 == x || c.2 == x);
            if !used(p.3) && !used(p.4) {
                chosen.push((p.0, p.3, p.4, group));
                taken += 1;
            }
        }
    };
    let bins = [
        (0.40, 0.45),
        (0.45, 0.50),
        (0.50, 0.55),
        (0.55, 0.65),
        (0.65, 0.80),
        (0.80, 1.01),
    ];
    for (lo, hi) in bins {
        take(&|p| p.0 >= lo && p.0 < hi, 18, "above", &mut chosen);
    }
    take(&|p| p.0 >= 0.25 && p.0 < 0.40, 45, "near-miss", &mut chosen);
    take(&|p| p.0 < 0.40 && p.2, 30, "same-site", &mut chosen);
    take(
        &|p| p.0 < 0.25 && p.1 >= 0.15,
        33,
        "same-words",
        &mut chosen,
    );
    println!("id_a,id_b,score,group");
    for (s, a, b, g) in chosen {
        println!("{},{},{s:.3},{g}", reports[a].id, reports[b].id);
    }
    Ok(())
}
