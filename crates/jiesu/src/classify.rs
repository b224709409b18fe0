//! `jiesu train classify`, `jiesu eval classify`, `jiesu classify TEXT`: the category
//! classifier of the smart assistant (DESIGN §6, issue 5) from the command line.
//!
//! The model file defaults to `DATA_DIR/models/category.json`; when that file does not exist,
//! `eval` and `classify` use the model shipped inside the binary (trained on the 914 labelled
//! messages of the 2020 TipDM challenge, see `crates/jiesu-classify/models/PROVENANCE.md`).

use crate::Common;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use jiesu_classify::{
    Method, Model, Row, TrainOptions, Trainer, catalog_rows, cross_validate, evaluate,
    read_catalog, read_labelled, read_texts,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `jiesu train …`
#[derive(Subcommand)]
pub enum TrainCmd {
    /// Train the category classifier from a labelled CSV (columns title, detail, label).
    Classify(TrainArgs),
}

#[derive(Args)]
pub struct TrainArgs {
    /// Labelled messages: a CSV with the columns title, detail and label (found by header).
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the model [default: DATA_DIR/models/category.json].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub options: TrainOpts,
}

/// How to train (shared by `train classify` and `eval classify --cv`).
#[derive(Args, Clone)]
pub struct TrainOpts {
    /// svm (linear SVM on NB-scaled character n-grams, the default), logreg, nb or cnb.
    #[arg(long, default_value = "svm")]
    pub method: Method,
    /// Catalog CSV (level1, level2, level3) whose names become extra training texts
    /// [default: the catalog built into jiesu].
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// Train without catalog names.
    #[arg(long, conflicts_with = "catalog")]
    pub no_catalog: bool,
    /// Unlabelled messages (CSV with title, detail) for the IDF statistics; repeatable.
    #[arg(long)]
    pub unlabelled: Vec<PathBuf>,
    /// More labelled messages (CSV with title, detail, label) that are only trained on:
    /// cross-validation adds them to every training fold and never tests them; repeatable.
    #[arg(long)]
    pub annotated: Vec<PathBuf>,
    /// Seed of the SVM's example order.
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Args)]
pub struct EvalArgs {
    /// Labelled messages: a CSV with the columns title, detail and label.
    #[arg(long)]
    pub data: PathBuf,
    /// Cross-validate: train on k-1 folds, test on the held-out fold (stratified, k ≥ 2);
    /// without it, the model is tested on the whole file.
    #[arg(long)]
    pub cv: Option<usize>,
    /// Seed of the fold assignment.
    #[arg(long, default_value_t = 2026)]
    pub fold_seed: u64,
    /// The model to test [default: DATA_DIR/models/category.json, else the built-in model].
    #[arg(long, conflicts_with = "cv")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub options: TrainOpts,
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// The citizen's words or the agent's notes ("-" reads stdin).
    pub text: String,
    /// A title to go with the text (weighs more, as in the training messages).
    #[arg(long, default_value = "")]
    pub title: String,
    /// The model [default: DATA_DIR/models/category.json, else the built-in model].
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The default model file under the data folder.
pub fn default_model_path(common: &Common) -> PathBuf {
    common.data_dir.join("models").join("category.json")
}

/// The model to use: `--model`, else the data folder's, else the built-in one.
pub fn load_model(common: &Common, model: Option<&Path>) -> Result<(Model, String)> {
    if let Some(path) = model {
        let m = Model::load(path).context("model")?;
        return Ok((m, path.display().to_string()));
    }
    let path = default_model_path(common);
    if path.exists() {
        let m = Model::load(&path).context("model")?;
        return Ok((m, path.display().to_string()));
    }
    Ok((
        jiesu_classify::builtin().context("the built-in model")?,
        "built-in model".to_string(),
    ))
}

fn read_data(path: &Path) -> Result<Vec<Row>> {
    let data = read_labelled(path).context("data")?;
    for bad in data.bad.iter().take(20) {
        eprintln!(
            "{}: line {}: skipped: {}",
            path.display(),
            bad.line,
            bad.reason
        );
    }
    if data.bad.len() > 20 {
        eprintln!(
            "{}: {} more rows skipped",
            path.display(),
            data.bad.len() - 20
        );
    }
    if data.rows.is_empty() {
        bail!("data: {}: no usable rows", path.display());
    }
    Ok(data.rows)
}

fn trainer(opts: &TrainOpts, data: &Path) -> Result<Trainer> {
    let mut options = TrainOptions {
        method: opts.method,
        ..TrainOptions::default()
    };
    if let Some(seed) = opts.seed {
        options.seed = seed;
    }
    let (catalog, catalog_name) = if opts.no_catalog {
        (Vec::new(), "no catalog".to_string())
    } else if let Some(path) = &opts.catalog {
        let rows = read_catalog(path).context("catalog")?;
        let name = format!("catalog {}", file_name(path));
        (rows, name)
    } else {
        let nodes = jiesu_reference::catalog();
        let name_of = |code: &str| {
            nodes
                .iter()
                .find(|n| n.code == code)
                .map_or("", |n| n.name.as_str())
        };
        let leaves: Vec<(&str, &str, &str)> = nodes
            .iter()
            .filter(|n| n.level == 3 && n.code.len() >= 6)
            .map(|n| {
                (
                    name_of(&n.code[..2]),
                    name_of(&n.code[..4]),
                    n.name.as_str(),
                )
            })
            .collect();
        (catalog_rows(leaves), "built-in catalog".to_string())
    };
    let mut unlabelled = Vec::new();
    for path in &opts.unlabelled {
        unlabelled.extend(read_texts(path).context("unlabelled")?);
    }
    let mut annotated = Vec::new();
    for path in &opts.annotated {
        annotated.extend(read_data(path).context("annotated")?);
    }
    let mut source = format!("{} + {catalog_name}", file_name(data));
    if !opts.unlabelled.is_empty() {
        source.push_str(&format!(" + {} unlabelled messages", unlabelled.len()));
    }
    if !opts.annotated.is_empty() {
        source.push_str(&format!(" + {} annotated messages", annotated.len()));
    }
    Ok(Trainer::new(options)
        .with_extra(catalog)
        .with_annotated(annotated)
        .with_unlabelled(unlabelled)
        .with_source(source))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `jiesu train classify --data FILE [--out MODEL]`
pub fn train(common: &Common, cmd: TrainCmd) -> Result<()> {
    let TrainCmd::Classify(args) = cmd;
    let rows = read_data(&args.data)?;
    let trainer = trainer(&args.options, &args.data)?;
    let started = Instant::now();
    let model = trainer.train(&rows).context("training")?;
    let out = args.out.unwrap_or_else(|| default_model_path(common));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("out: {}", dir.display()))?;
    }
    model.save(&out).context("out")?;
    let p = model.provenance();
    println!(
        "trained {} on {} rows ({} classes, {} features) in {:.1} s; data sha256 {}",
        model.options().method,
        p.rows,
        model.classes().len(),
        model.n_features(),
        started.elapsed().as_secs_f64(),
        &p.data_sha256[..16]
    );
    for (label, n) in &p.class_counts {
        println!("  {label}: {n}");
    }
    println!("model written to {}", out.display());
    Ok(())
}

/// `jiesu eval classify --data FILE [--cv K] [--model MODEL]`
pub fn eval(common: &Common, args: EvalArgs) -> Result<()> {
    let rows = read_data(&args.data)?;
    let started = Instant::now();
    let report = match args.cv {
        Some(k) => {
            if k < 2 || k > rows.len() {
                bail!("cv: {k} folds for {} rows; use 2 ≤ k ≤ rows", rows.len());
            }
            let trainer = trainer(&args.options, &args.data)?;
            println!(
                "{k}-fold stratified cross-validation of {} on {} ({} rows, fold seed {})",
                trainer.options.method,
                file_name(&args.data),
                rows.len(),
                args.fold_seed
            );
            cross_validate(&trainer, &rows, k, args.fold_seed).context("cross-validation")?
        }
        None => {
            let (model, name) = load_model(common, args.model.as_deref())?;
            println!(
                "{name} ({}, trained {} on {} rows) tested on {} ({} rows)",
                model.options().method,
                model.provenance().trained_at,
                model.provenance().rows,
                file_name(&args.data),
                rows.len()
            );
            if model.provenance().data_sha256 == jiesu_classify::data_sha256(&rows) {
                println!(
                    "note: the model was trained on exactly these rows: these are training figures; \
                     use --cv K for figures on unseen messages"
                );
            }
            evaluate(&model, &rows)
        }
    };
    print!("{report}");
    println!("({:.1} s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// `jiesu classify TEXT [--model MODEL]`
pub fn classify(common: &Common, args: ClassifyArgs) -> Result<()> {
    let text = if args.text == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the text from stdin")?
    } else {
        args.text
    };
    let (model, name) = load_model(common, args.model.as_deref())?;
    let p = model.predict_message(&args.title, &text);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&p)?);
        return Ok(());
    }
    println!("category (model: {name})");
    for (label, prob) in p.top.iter().take(3) {
        println!("  {:>5.1}%  {label}", prob * 100.0);
    }
    let words: Vec<String> = p
        .words
        .iter()
        .map(|(w, s)| format!("{w} ({s:.3})"))
        .collect();
    println!("words that weighed most: {}", words.join(", "));
    Ok(())
}
