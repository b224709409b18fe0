//! Training: vocabulary, linear model, optional self-training on unlabelled messages, and the
//! softmax scale fitted on held-out folds.

use crate::data::Row;
use crate::eval::stratified_folds;
use crate::latent::Basis;
use crate::linear::{self, Linear, Problem};
use crate::model::{Model, Provenance};
use crate::text::{Doc, FeatureConfig, Scratch, Sparse, Vocab, words_available};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The learning algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Linear SVM (L2-loss, one-vs-rest), dual coordinate descent.
    Svm,
    /// Multinomial logistic regression, SGD.
    Logreg,
    /// Multinomial naive Bayes.
    Nb,
    /// Complement naive Bayes.
    Cnb,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Svm => "svm",
            Method::Logreg => "logreg",
            Method::Nb => "nb",
            Method::Cnb => "cnb",
        })
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "svm" => Ok(Method::Svm),
            "logreg" => Ok(Method::Logreg),
            "nb" => Ok(Method::Nb),
            "cnb" => Ok(Method::Cnb),
            _ => Err(format!("unknown method {s:?}: svm, logreg, nb or cnb")),
        }
    }
}

/// Self-training: after the first fit, the unlabelled messages predicted with the largest
/// margin are added with their predicted class and a lower weight, and the model is refit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelfTraining {
    pub rounds: usize,
    /// Share of the unlabelled messages added, the most confident first.
    pub fraction: f32,
    /// Sample weight of an added message (a labelled one weighs 1).
    pub weight: f32,
    /// Only messages whose best class scores at least this (one-vs-rest SVM scores are about
    /// +1 for a class's own messages and -1 for others; a message of none of the classes
    /// scores low everywhere).
    #[serde(default)]
    pub min_score: f32,
    /// Take the added messages per predicted class in proportion to the labelled class sizes
    /// (otherwise the most confident overall, which favours the easy classes).
    #[serde(default)]
    pub balanced: bool,
}

/// Everything that decides a trained model. Stored in the model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub features: FeatureConfig,
    pub method: Method,
    /// SVM cost.
    pub c: f32,
    /// Logistic regression L2 strength.
    pub lambda: f32,
    /// Logistic regression epochs / SVM max passes.
    pub epochs: usize,
    /// Naive Bayes smoothing.
    pub alpha: f32,
    /// Weigh classes inversely to their size (SVM).
    pub balanced: bool,
    /// SVM on naive-Bayes-scaled features (NBSVM) with this smoothing; 0 = plain SVM.
    #[serde(default)]
    pub nb_scale: f32,
    /// Sample weight of the extra (catalog) rows.
    #[serde(default)]
    pub extra_weight: f32,
    /// Sample weight of the annotated messages (see [`Trainer::with_annotated`]).
    #[serde(default = "one")]
    pub annotated_weight: f32,
    /// Add this many times the weights of a multinomial naive Bayes model (smoothing `alpha`,
    /// log-probabilities centred per feature) to the SVM's: still one linear model.
    #[serde(default)]
    pub nb_blend: f32,
    /// Latent (LSA) dimensions learnt from all training texts including the unlabelled
    /// messages (0 = none); folded back into the n-gram weights after training.
    #[serde(default)]
    pub latent_dims: usize,
    /// Weight γ of the latent features.
    #[serde(default)]
    pub latent_weight: f32,
    pub self_training: Option<SelfTraining>,
    /// Build the vocabulary from the unlabelled messages too (useful with self-training).
    pub vocab_from_unlabelled: bool,
    /// Fit the softmax scale on 3 internal folds (4 fits in all); otherwise scale 1.
    pub calibrate: bool,
    pub seed: u64,
}

fn one() -> f32 {
    1.0
}

impl Default for TrainOptions {
    /// The shipped configuration, chosen by 5-fold cross-validation (see BENCHMARKS.md).
    fn default() -> Self {
        Self {
            features: FeatureConfig::default(),
            method: Method::Svm,
            c: 1.0,
            lambda: 1e-4,
            epochs: 50,
            alpha: 0.05,
            balanced: true,
            nb_scale: 0.03,
            extra_weight: 5.0,
            annotated_weight: 1.0,
            nb_blend: 0.1,
            latent_dims: 100,
            latent_weight: 1.0,
            self_training: None,
            vocab_from_unlabelled: false,
            calibrate: true,
            seed: 12345,
        }
    }
}

/// Trains models with fixed options (and optional unlabelled messages).
#[derive(Clone, Debug)]
pub struct Trainer {
    pub options: TrainOptions,
    unlabelled: Vec<(String, String)>,
    /// Per unlabelled message, text that is not the citizen's (a reply) and helps only to
    /// choose its pseudo-label.
    unlabelled_context: Vec<String>,
    extra: Vec<Row>,
    annotated: Vec<Row>,
    /// Free text recorded in the model's provenance (for example the training file's name).
    pub source: Option<String>,
}

pub(crate) fn text_key(title: &str, detail: &str) -> u64 {
    let mut h = DefaultHasher::new();
    title.trim().hash(&mut h);
    detail.trim().hash(&mut h);
    h.finish()
}

impl Trainer {
    pub fn new(options: TrainOptions) -> Self {
        Self {
            options,
            unlabelled: Vec::new(),
            unlabelled_context: Vec::new(),
            extra: Vec::new(),
            annotated: Vec::new(),
            source: None,
        }
    }

    /// Unlabelled (title, detail) messages: their text feeds the IDF statistics and, with
    /// `self_training`, pseudo-labelled training examples.
    pub fn with_unlabelled(mut self, texts: Vec<(String, String)>) -> Self {
        self.unlabelled = texts;
        self
    }

    /// Context of each unlabelled message, in the order of `with_unlabelled` (for example the
    /// department's reply): self-training picks pseudo-labels on message + context and trains on
    /// the message alone.
    pub fn with_unlabelled_context(mut self, context: Vec<String>) -> Self {
        self.unlabelled_context = context;
        self
    }

    /// Extra labelled texts with the weight `options.extra_weight` (for example the catalog's
    /// level-2 / level-3 names under their level-1 class); rows of a class absent from the
    /// training rows are ignored.
    pub fn with_extra(mut self, rows: Vec<Row>) -> Self {
        self.extra = rows;
        self
    }

    /// More labelled messages, annotated apart from the training file (weight
    /// `options.annotated_weight`). They join the training rows; cross-validation adds them to
    /// every training fold and never tests them, and one whose text equals a held-out row is
    /// left out. Rows of a class absent from the training rows are ignored.
    pub fn with_annotated(mut self, rows: Vec<Row>) -> Self {
        self.annotated = rows;
        self
    }

    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    pub fn unlabelled_len(&self) -> usize {
        self.unlabelled.len()
    }

    /// Trains on `rows`.
    pub fn train(&self, rows: &[Row]) -> Result<Model> {
        self.fit(rows, &HashSet::new(), self.options.calibrate)
    }

    /// Trains on `rows` ignoring unlabelled messages whose text is in `exclude`
    /// (cross-validation passes the held-out rows so their text is never seen).
    pub(crate) fn fit(
        &self,
        rows: &[Row],
        exclude: &HashSet<u64>,
        calibrate: bool,
    ) -> Result<Model> {
        let o = &self.options;
        if o.features.word_max > 0 && !words_available() {
            return Err(Error::Train(
                "word features need jiesu-classify built with the `words` feature".into(),
            ));
        }
        let classes: Vec<String> = rows
            .iter()
            .map(|r| r.label.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if classes.len() < 2 {
            return Err(Error::Train(format!(
                "need at least two classes, found {} in {} rows",
                classes.len(),
                rows.len()
            )));
        }
        let own: HashSet<u64> = rows.iter().map(|r| text_key(&r.title, &r.detail)).collect();
        let keep: Vec<usize> = (0..self.unlabelled.len())
            .filter(|&i| {
                let (t, d) = &self.unlabelled[i];
                let k = text_key(t, d);
                !exclude.contains(&k) && !own.contains(&k)
            })
            .collect();
        let unl: Vec<&(String, String)> = keep.iter().map(|&i| &self.unlabelled[i]).collect();
        let unl_context: Vec<&str> = keep
            .iter()
            .map(|&i| self.unlabelled_context.get(i).map_or("", String::as_str))
            .collect();

        let mut extra: Vec<&Row> = if o.extra_weight > 0.0 {
            self.extra
                .iter()
                .filter(|r| classes.binary_search(&r.label).is_ok())
                .collect()
        } else {
            Vec::new()
        };
        // The same extra rows in any order give the same model.
        extra.sort_by(|a, b| (&a.label, &a.title, &a.detail).cmp(&(&b.label, &b.title, &b.detail)));
        let annotated = self.annotated_rows(&classes, &own, exclude);
        // Every training row with its weight: the labelled rows first, then the catalog's, then
        // the annotated ones.
        let weighted: Vec<(&Row, f32)> = rows
            .iter()
            .map(|r| (r, 1.0))
            .chain(extra.iter().map(|r| (*r, o.extra_weight)))
            .chain(annotated.iter().copied())
            .collect();
        let docs: Vec<Doc> = weighted
            .iter()
            .map(|(r, _)| Doc {
                title: &r.title,
                detail: &r.detail,
            })
            .collect();
        let udocs: Vec<Doc> = unl
            .iter()
            .map(|(t, d)| Doc {
                title: t,
                detail: d,
            })
            .collect();
        let vocab = if o.vocab_from_unlabelled {
            let all: Vec<Doc> = docs
                .iter()
                .chain(&udocs)
                .map(|d| Doc {
                    title: d.title,
                    detail: d.detail,
                })
                .collect();
            Vocab::build(&o.features, &all, &[])
        } else {
            Vocab::build(&o.features, &docs, &udocs)
        };
        if vocab.len() == 0 {
            return Err(Error::Train(format!(
                "no features: no n-gram occurs in {} or more of the {} training texts (min_df)",
                o.features.min_df,
                docs.len()
            )));
        }
        let mut scratch = Scratch::default();
        let xs: Vec<Sparse> = weighted
            .iter()
            .map(|(r, _)| vocab.vectorize(&o.features, &r.title, &r.detail, &mut scratch))
            .collect();
        let k = classes.len();
        let n_text = vocab.len();
        let (basis, xs, xu) = self.latent(&vocab, xs, &udocs, &mut scratch);
        let n_all = n_text + basis.as_ref().map_or(0, |b| b.l);
        let refs: Vec<&Sparse> = xs.iter().collect();
        let ys: Vec<usize> = weighted
            .iter()
            .map(|(r, _)| classes.binary_search(&r.label).unwrap_or(0))
            .collect();
        let ones: Vec<f32> = weighted.iter().map(|(_, w)| *w).collect();
        let mut lin = self.fit_linear(&Problem {
            xs: &refs,
            ys: &ys,
            weights: &ones,
            n_features: n_all,
            n_text,
            n_classes: k,
        });

        let mut self_trained = 0;
        if let Some(st) = o
            .self_training
            .as_ref()
            .filter(|st| st.rounds > 0 && !unl.is_empty())
        {
            let xu: Vec<Sparse> = match xu {
                Some(xu) => xu,
                None => unl
                    .iter()
                    .map(|(t, d)| vocab.vectorize(&o.features, t, d, &mut scratch))
                    .collect(),
            };
            // With context (a department's reply), pseudo-labels are chosen on message + context
            // but the message alone is trained on.
            let xr: Vec<Sparse> = if unl_context.iter().any(|c| !c.is_empty()) {
                unl.iter()
                    .zip(&unl_context)
                    .map(|((t, d), c)| {
                        let x = vocab.vectorize(&o.features, t, &format!("{d}\n{c}"), &mut scratch);
                        match &basis {
                            Some(b) => b.augment(&x, n_text, o.latent_weight),
                            None => x,
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let rank_x: &[Sparse] = if xr.is_empty() { &xu } else { &xr };
            let take = ((xu.len() as f32 * st.fraction).round() as usize).min(xu.len());
            for _ in 0..st.rounds {
                let mut buf = vec![0.0f32; k];
                let mut ranked: Vec<(f32, usize, usize, f32)> = rank_x
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        lin.scores(x, &mut buf);
                        let best = linear::argmax(&buf);
                        let second = buf
                            .iter()
                            .enumerate()
                            .filter(|(c, _)| *c != best)
                            .map(|(_, s)| *s)
                            .fold(f32::NEG_INFINITY, f32::max);
                        (buf[best] - second, i, best, buf[best])
                    })
                    .filter(|r| r.3 >= st.min_score)
                    .collect();
                ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                if st.balanced {
                    let mut quota: Vec<usize> = (0..k)
                        .map(|c| {
                            let n = ys[..rows.len()].iter().filter(|&&y| y == c).count();
                            (take as f32 * n as f32 / rows.len() as f32).round() as usize
                        })
                        .collect();
                    ranked.retain(|r| {
                        let q = &mut quota[r.2];
                        *q > 0 && {
                            *q -= 1;
                            true
                        }
                    });
                }
                let mut all: Vec<&Sparse> = refs.clone();
                let mut all_y = ys.clone();
                let mut all_w = ones.clone();
                for &(_, i, c, _) in ranked.iter().take(take) {
                    all.push(&xu[i]);
                    all_y.push(c);
                    all_w.push(st.weight);
                }
                self_trained = take;
                lin = self.fit_linear(&Problem {
                    xs: &all,
                    ys: &all_y,
                    weights: &all_w,
                    n_features: n_all,
                    n_text,
                    n_classes: k,
                });
            }
        }

        if let Some(b) = &basis {
            lin.w = b.fold(&lin.w, k, n_text, o.latent_weight);
        }
        let mut model = Model::from_parts(
            classes,
            o.clone(),
            vocab,
            lin,
            1.0,
            Provenance::new(
                rows,
                self.source.clone(),
                extra.len(),
                annotated.len(),
                unl.len(),
                self_trained,
            ),
        );
        if calibrate {
            model.set_scale(self.held_out_scale(rows, exclude)?);
        }
        Ok(model)
    }

    /// The annotated rows to train on, with their weights: of a known class, not held out and
    /// not a copy of a labelled row.
    fn annotated_rows<'a>(
        &'a self,
        classes: &[String],
        own: &HashSet<u64>,
        exclude: &HashSet<u64>,
    ) -> Vec<(&'a Row, f32)> {
        let o = &self.options;
        if o.annotated_weight <= 0.0 {
            return Vec::new();
        }
        self.annotated
            .iter()
            .filter(|r| classes.binary_search(&r.label).is_ok())
            .filter(|r| {
                let k = text_key(&r.title, &r.detail);
                !exclude.contains(&k) && !own.contains(&k)
            })
            .map(|r| (r, o.annotated_weight))
            .collect()
    }

    /// With `latent_dims`, the latent basis of all training texts (labelled, extra and
    /// unlabelled), the training vectors augmented with their latent features, and the
    /// unlabelled ones augmented likewise.
    fn latent(
        &self,
        vocab: &Vocab,
        xs: Vec<Sparse>,
        udocs: &[Doc],
        scratch: &mut Scratch,
    ) -> (Option<Basis>, Vec<Sparse>, Option<Vec<Sparse>>) {
        let o = &self.options;
        if o.latent_dims == 0 {
            return (None, xs, None);
        }
        let xu: Vec<Sparse> = udocs
            .iter()
            .map(|d| vocab.vectorize(&o.features, d.title, d.detail, scratch))
            .collect();
        let all: Vec<&Sparse> = xs.iter().chain(&xu).collect();
        let b = Basis::fit(&all, vocab.len(), o.latent_dims, 2, o.seed);
        let n = vocab.len();
        let g = o.latent_weight;
        let xs = xs.iter().map(|x| b.augment(x, n, g)).collect();
        let xu = xu.iter().map(|x| b.augment(x, n, g)).collect();
        (Some(b), xs, Some(xu))
    }

    fn fit_linear(&self, p: &Problem) -> Linear {
        let o = &self.options;
        match o.method {
            Method::Svm if o.nb_blend > 0.0 => {
                let mut lin = linear::svm(p, o.c, o.balanced, o.epochs.max(1), o.seed, o.nb_scale);
                let nb = linear::naive_bayes(p, o.alpha, false);
                let k = lin.k;
                for (row, nrow) in lin.w.chunks_mut(k).zip(nb.w.chunks(k)) {
                    let mean = nrow.iter().sum::<f32>() / k as f32;
                    for (w, v) in row.iter_mut().zip(nrow) {
                        *w += o.nb_blend * (v - mean);
                    }
                }
                for (b, v) in lin.b.iter_mut().zip(&nb.b) {
                    *b += o.nb_blend * v;
                }
                lin
            }
            Method::Svm => linear::svm(p, o.c, o.balanced, o.epochs.max(1), o.seed, o.nb_scale),
            Method::Logreg => linear::logreg(p, o.lambda, o.epochs.max(1), o.seed),
            Method::Nb => linear::naive_bayes(p, o.alpha, false),
            Method::Cnb => linear::naive_bayes(p, o.alpha, true),
        }
    }

    /// Fits the softmax scale on the scores of 3 internal held-out folds.
    fn held_out_scale(&self, rows: &[Row], exclude: &HashSet<u64>) -> Result<f32> {
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        let folds = stratified_folds(&labels, 3, self.options.seed ^ 0xca1);
        let mut held = Vec::new();
        for f in 0..3 {
            let (train, test) = crate::eval::split_fold(rows, &folds, f);
            let mut ex = exclude.clone();
            ex.extend(test.iter().map(|r| text_key(&r.title, &r.detail)));
            let m = match self.fit(&train, &ex, false) {
                Ok(m) => m,
                Err(_) => return Ok(1.0), // a fold without two classes: keep the raw scores
            };
            for r in test {
                if let Some(y) = m.class_index(&r.label) {
                    held.push((m.scores(&r.title, &r.detail), y));
                }
            }
        }
        Ok(if held.is_empty() {
            1.0
        } else {
            linear::fit_scale(&held)
        })
    }
}
