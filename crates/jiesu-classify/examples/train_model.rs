//! Trains the shipped model with the default options (what `jiesu train classify` does) and
//! writes it, e.g. to `crates/jiesu-classify/models/category.json`.
//!
//! ```text
//! cargo run --release -p jiesu-classify --example train_model -- \
//!     --data messages_labeled_train.csv --catalog category_catalog_3level.csv \
//!     --unlabelled messages_with_votes.csv --unlabelled messages_with_replies.csv \
//!     --out models/category.json
//! ```

use jiesu_classify::*;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut data, mut catalog, mut out) = (None, None, None);
    let mut unlabelled = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().map(PathBuf::from);
        match a.as_str() {
            "--data" => data = v,
            "--catalog" => catalog = v,
            "--out" => out = v,
            "--unlabelled" => unlabelled.extend(v),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let data = data.ok_or("--data FILE")?;
    let out = out.ok_or("--out FILE")?;
    let rows = read_labelled(&data)?;
    for b in &rows.bad {
        eprintln!("line {}: {}", b.line, b.reason);
    }
    let name = |p: &PathBuf| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    let mut source = name(&data);
    let mut trainer = Trainer::new(TrainOptions::default());
    if let Some(c) = &catalog {
        trainer = trainer.with_extra(read_catalog(c)?);
        source = format!("{source} + catalog {}", name(c));
    }
    if !unlabelled.is_empty() {
        let mut texts = Vec::new();
        for u in &unlabelled {
            texts.extend(read_texts(u)?);
        }
        source = format!("{source} + {} unlabelled messages", texts.len());
        trainer = trainer.with_unlabelled(texts);
    }
    let model = trainer.with_source(source).train(&rows.rows)?;
    model.save(&out)?;
    println!(
        "{} rows, {} features, scale {:.3}, written to {}",
        model.provenance().rows,
        model.n_features(),
        model.scale(),
        out.display()
    );
    println!("{}", serde_json::to_string_pretty(model.provenance())?);
    Ok(())
}
