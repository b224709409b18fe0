//! Prints how well the knowledge-base search finds the official reply for a citizen's message.
//!
//! ```text
//! cargo run --release -p jiesu-search --example eval_answers -- \
//!     ../shared/data/teddy2020c/messages_with_replies.csv [--compare]
//! ```
//!
//! `--compare` also runs words only, character pairs only, and other weightings.

use jiesu_search::Ranking;
use jiesu_search::eval::{evaluate_records, read_replies};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/data/teddy2020c/messages_with_replies.csv".into());
    let compare = args.any(|a| a == "--compare");
    let records = read_replies(&path)?;
    let base = Ranking::default();
    let mut runs = vec![("default (words + pairs)", base)];
    if compare {
        runs.extend([
            (
                "jieba words only",
                Ranking {
                    bigram_weight: 0.0,
                    ..base
                },
            ),
            (
                "character pairs only",
                Ranking {
                    word_weight: 0.0,
                    ..base
                },
            ),
            (
                "pairs weighted 1.0",
                Ranking {
                    bigram_weight: 1.0,
                    ..base
                },
            ),
            (
                "pairs weighted 0.25",
                Ranking {
                    bigram_weight: 0.25,
                    ..base
                },
            ),
            (
                "no field boosts",
                Ranking {
                    title_boost: 1.0,
                    questions_boost: 1.0,
                    ..base
                },
            ),
            (
                "all query terms",
                Ranking {
                    max_query_terms: usize::MAX,
                    ..base
                },
            ),
            (
                "32 rarest terms",
                Ranking {
                    max_query_terms: 32,
                    ..base
                },
            ),
        ]);
    }
    for (label, ranking) in runs {
        println!("{}\n", evaluate_records(&records, ranking, label)?);
    }
    Ok(())
}
