//! Category classifier for citizen messages (DESIGN §6, issue 5).
//!
//! A message (title + detail, or one free text) becomes a sparse TF-IDF vector of character
//! 1–3-grams (title n-grams counted three times); a linear model gives one score per class and
//! a softmax with a scale fitted on held-out folds turns scores into probabilities. The shipped
//! method (chosen by cross-validation, see BENCHMARKS.md) is a one-vs-rest linear SVM trained by
//! dual coordinate descent on naive-Bayes-scaled features (NBSVM), with the catalog's level-2 /
//! level-3 names as extra training texts of their level-1 class, latent (LSA) features learnt
//! from the training and unlabelled texts, and a naive Bayes blend; the latter two are folded
//! back into the n-gram weights, so every model is one linear model over n-grams. Logistic
//! regression, naive Bayes, jieba word n-grams (crate feature `words`) and self-training on
//! unlabelled messages (optionally choosing pseudo-labels with a reply as context) are there
//! as options.
//! Messages labelled apart from the training file can be added as annotated rows: trained on,
//! never tested in cross-validation.
//! Everything a model needs is in one versioned JSON file.
//!
//! ```no_run
//! use jiesu_classify::{read_labelled, Model, TrainOptions, Trainer};
//! let data = read_labelled("messages.csv".as_ref()).unwrap();
//! let model = Trainer::new(TrainOptions::default()).train(&data.rows).unwrap();
//! model.save("category.json".as_ref()).unwrap();
//! let p = Model::load("category.json".as_ref()).unwrap().predict("小区停水三天了");
//! println!("{} {:.2}", p.top[0].0, p.top[0].1);
//! ```

mod data;
mod eval;
mod latent;
mod linear;
mod model;
mod rng;
mod text;
mod train;

#[cfg(test)]
mod tests;

pub use data::{BadRow, Labelled, Row, catalog_rows, read_catalog, read_labelled, read_texts};
pub use eval::{ClassMetrics, Report, cross_validate, evaluate, stratified_folds};
pub use model::{FORMAT, FORMAT_VERSION, Model, Prediction, Provenance, data_sha256};
pub use text::FeatureConfig;
pub use train::{Method, SelfTraining, TrainOptions, Trainer};

/// The model file shipped with jiesu (`models/category.json`, see `models/PROVENANCE.md`).
pub const BUILTIN_MODEL: &[u8] = include_bytes!("../models/category.json");

/// The shipped model: trained on the 914 labelled messages of the 2020 TipDM challenge, the
/// catalog names and the text of the challenge's 7,142 unlabelled messages, with the default
/// options.
pub fn builtin() -> Result<Model> {
    Model::from_json(BUILTIN_MODEL, "built-in model")
}

/// Errors of the classifier library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {message}")]
    Csv { path: String, message: String },
    #[error("{path}: not a jiesu classifier model: {message}")]
    BadModel { path: String, message: String },
    #[error(
        "{path}: model file format version {found} is not supported (this build reads version {expected}); retrain with `jiesu train classify`"
    )]
    Version {
        path: String,
        found: u32,
        expected: u32,
    },
    #[error("cannot train: {0}")]
    Train(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
