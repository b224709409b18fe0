//! The trained model, its versioned file and prediction with explanations.

use crate::data::Row;
use crate::linear::{self, Linear};
use crate::text::{Scratch, Sparse, Vocab};
use crate::train::{Method, TrainOptions};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::path::Path;

/// The `format` field of every model file.
pub const FORMAT: &str = "jiesu-classify";
/// Version of the model file layout; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// Where a model comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// When it was trained (RFC 3339, UTC).
    pub trained_at: String,
    /// Labelled rows it was trained on.
    pub rows: usize,
    /// SHA-256 over the rows (title, detail, label, each followed by a NUL byte).
    pub data_sha256: String,
    /// Rows per class.
    pub class_counts: Vec<(String, usize)>,
    /// What the caller said about the data (file name).
    pub source: Option<String>,
    /// Extra labelled texts (catalog names) trained on with a lower weight.
    #[serde(default)]
    pub extra_rows: usize,
    /// Annotated messages (labelled apart from the training file) trained on as well.
    #[serde(default)]
    pub annotated_rows: usize,
    /// Unlabelled messages available to the training (IDF statistics, self-training).
    pub unlabelled_rows: usize,
    /// Unlabelled messages added with a predicted class by self-training.
    pub self_trained_rows: usize,
    /// Version of the crate that trained it.
    pub trainer_version: String,
}

/// SHA-256 over labelled rows as recorded in [`Provenance::data_sha256`]: tells whether a
/// model was trained on exactly these rows.
pub fn data_sha256(rows: &[Row]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        for s in [&r.title, &r.detail, &r.label] {
            h.update(s.as_bytes());
            h.update([0u8]);
        }
    }
    hex::encode(h.finalize())
}

impl Provenance {
    pub(crate) fn new(
        rows: &[Row],
        source: Option<String>,
        extra: usize,
        annotated: usize,
        unlabelled: usize,
        self_trained: usize,
    ) -> Self {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for r in rows {
            *counts.entry(r.label.clone()).or_default() += 1;
        }
        Self {
            trained_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            rows: rows.len(),
            data_sha256: data_sha256(rows),
            class_counts: counts.into_iter().collect(),
            source,
            extra_rows: extra,
            annotated_rows: annotated,
            unlabelled_rows: unlabelled,
            self_trained_rows: self_trained,
            trainer_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// A proposal: the classes by probability, and the features that weighed most for the first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// (class, probability), most probable first; all classes.
    pub top: Vec<(String, f32)>,
    /// (feature, contribution to the top class's score over the average class), largest first.
    pub words: Vec<(String, f32)>,
}

/// A trained classifier.
#[derive(Clone, Debug)]
pub struct Model {
    classes: Vec<String>,
    options: TrainOptions,
    provenance: Provenance,
    vocab: Vocab,
    linear: Linear,
    scale: f32,
    /// Per feature [idf, weight of class 0, .., weight of class k-1]: what one prediction reads
    /// for a feature sits together in memory.
    rows: Vec<f32>,
    /// The quantisation unit of the weights is 2^unit_log2 (exact in the file).
    unit_log2: i32,
}

/// The file layout (JSON). Weights and IDF are stored as integers in fixed units so that a
/// saved and reloaded model predicts exactly as the one in memory.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    format_version: u32,
    method: Method,
    classes: Vec<String>,
    provenance: Provenance,
    options: TrainOptions,
    /// Softmax scale: probabilities = softmax(scale × scores).
    scale: f64,
    bias: Vec<f64>,
    /// Feature names: character n-grams, or `w:` + words for word n-grams.
    features: Vec<String>,
    /// IDF of each feature, in thousandths.
    idf_milli: Vec<u32>,
    /// One weight per (feature, class), feature-major, in units of 2^`weight_unit_log2`.
    weight_unit_log2: i32,
    weights: Vec<i32>,
}

#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    format_version: Option<u32>,
}

/// Weights become multiples of a power of two such that the largest is at most 32767 units.
const WEIGHT_STEPS: f64 = 32_767.0;

fn dequantize(q: i32, unit: f64) -> f32 {
    (f64::from(q) * unit) as f32
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Model {
    pub(crate) fn from_parts(
        classes: Vec<String>,
        options: TrainOptions,
        mut vocab: Vocab,
        mut linear: Linear,
        scale: f32,
        provenance: Provenance,
    ) -> Self {
        // Centre each feature's weights on their mean over the classes: every score moves by
        // the same amount, so no probability changes, and a weight now says what the feature
        // adds to a class over the average class (the explanation).
        let k = linear.k;
        for row in linear.w.chunks_mut(k) {
            let mean = row.iter().sum::<f32>() / k as f32;
            for w in row.iter_mut() {
                *w -= mean;
            }
        }
        // Quantise now, so the model in memory equals the model reloaded from its file.
        for idf in vocab.idf.iter_mut() {
            *idf = (*idf * 1000.0).round().max(0.0) as u32 as f32 / 1000.0;
        }
        let unit_log2 = weight_unit_log2(&linear.w);
        let unit = 2f64.powi(unit_log2);
        for w in linear.w.iter_mut() {
            *w = dequantize((f64::from(*w) / unit).round() as i32, unit);
        }
        Self {
            classes,
            options,
            provenance,
            vocab,
            linear,
            scale,
            unit_log2,
            rows: Vec::new(),
        }
        .with_rows()
    }

    fn with_rows(mut self) -> Self {
        let k = self.linear.k;
        let mut rows = Vec::with_capacity(self.vocab.len() * (k + 1));
        for (idf, w) in self.vocab.idf.iter().zip(self.linear.w.chunks(k)) {
            rows.push(*idf);
            rows.extend_from_slice(w);
        }
        self.rows = rows;
        self
    }

    pub(crate) fn set_scale(&mut self, scale: f32) {
        self.scale = scale;
    }

    /// The classes the model knows, in a fixed (sorted) order.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    pub fn options(&self) -> &TrainOptions {
        &self.options
    }

    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// Number of features (vocabulary size).
    pub fn n_features(&self) -> usize {
        self.vocab.len()
    }

    /// The softmax scale fitted on held-out folds.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    pub(crate) fn class_index(&self, label: &str) -> Option<usize> {
        self.classes.iter().position(|c| c == label)
    }

    /// Class scores of a message into `out` (the same as `linear.scores` of the TF-IDF
    /// vector, in one pass over the features); with `x`, also the TF-IDF vector.
    fn score_into(&self, title: &str, detail: &str, out: &mut [f32], mut x: Option<&mut Sparse>) {
        let k = self.linear.k;
        out.fill(0.0);
        let mut norm = 0.0f32;
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let counts = self
                .vocab
                .term_counts(&self.options.features, title, detail, &mut s);
            if let Some(x) = x.as_mut() {
                x.reserve(counts.len());
            }
            for &(j, tf) in counts {
                let row = &self.rows[j as usize * (k + 1)..(j as usize + 1) * (k + 1)];
                let v = tf * row[0];
                norm += v * v;
                for (o, w) in out.iter_mut().zip(&row[1..]) {
                    *o += v * w;
                }
                if let Some(x) = x.as_mut() {
                    x.push((j, v));
                }
            }
        });
        let inv = if norm > 0.0 { 1.0 / norm.sqrt() } else { 0.0 };
        for (o, b) in out.iter_mut().zip(&self.linear.b) {
            *o = *o * inv + b;
        }
        if let Some(x) = x {
            for e in x.iter_mut() {
                e.1 *= inv;
            }
        }
    }

    /// Raw class scores of a message.
    pub(crate) fn scores(&self, title: &str, detail: &str) -> Vec<f32> {
        let mut out = vec![0.0; self.classes.len()];
        self.score_into(title, detail, &mut out, None);
        out
    }

    /// The index of the most probable class (no probabilities, no explanation: fastest).
    pub fn predict_index(&self, title: &str, detail: &str) -> usize {
        let mut buf = [0.0f32; 16];
        if self.classes.len() <= buf.len() {
            let buf = &mut buf[..self.classes.len()];
            self.score_into(title, detail, buf, None);
            linear::argmax(buf)
        } else {
            linear::argmax(&self.scores(title, detail))
        }
    }

    /// Classifies one free text (an agent's notes, a citizen's words).
    pub fn predict(&self, text: &str) -> Prediction {
        self.predict_message("", text)
    }

    /// Classifies a message with a title and a detail (the title weighs more).
    pub fn predict_message(&self, title: &str, detail: &str) -> Prediction {
        let k = self.classes.len();
        let mut p = vec![0.0; k];
        let mut x = Sparse::new();
        self.score_into(title, detail, &mut p, Some(&mut x));
        let best = linear::argmax(&p);
        linear::softmax(&mut p, self.scale);
        let mut top: Vec<(String, f32)> = self.classes.iter().cloned().zip(p).collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Prediction {
            top,
            words: self.explain(&x, best, 8),
        }
    }

    /// The features with the largest contribution x_j·w_jc to class `c` (weights are centred
    /// per feature, so this is what the feature adds to `c` over the average class); n-grams
    /// inside an already listed one are skipped, a longer one replaces a listed one it contains,
    /// single characters only fill up, and features under 5% of the strongest are left out.
    fn explain(&self, x: &Sparse, c: usize, n: usize) -> Vec<(String, f32)> {
        let k = self.linear.k;
        let mut contrib: Vec<(f32, u32)> = x
            .iter()
            .map(|&(j, v)| (v * self.rows[j as usize * (k + 1) + 1 + c], j))
            .filter(|(s, _)| *s > 0.0)
            .collect();
        // Only the best few can be listed (with some spare for the skipped ones).
        let keep = (4 * n).max(16);
        if contrib.len() > keep {
            contrib.select_nth_unstable_by(keep, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            contrib.truncate(keep);
        }
        contrib.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top = contrib.first().map_or(0.0, |c| c.0);
        let mut out: Vec<(String, f32)> = Vec::with_capacity(n);
        for pass in 0..2 {
            for &(s, j) in &contrib {
                if out.len() >= n {
                    return out;
                }
                let name = self.vocab.names[j as usize].as_str();
                let display = name
                    .strip_prefix("w:")
                    .or_else(|| name.strip_prefix("t:"))
                    .unwrap_or(name);
                let single = display.chars().count() < 2;
                if (pass == 0) == single {
                    continue;
                }
                if s < 0.05 * top {
                    break; // the rest weighs next to nothing
                }
                // (A byte match of one UTF-8 string in another is a character match.)
                let inside = |small: &str, big: &str| {
                    big.as_bytes()
                        .windows(small.len())
                        .any(|w| w == small.as_bytes())
                };
                if out.iter().any(|(o, _)| inside(display, o)) {
                    continue;
                }
                // A longer n-gram replaces the shorter ones it contains (校乱 → 校乱收), in
                // the place of the first.
                if let Some(i) = out.iter().position(|(o, _)| inside(o, display)) {
                    out[i].0 = display.to_string();
                    let mut j = 0;
                    out.retain(|(o, _)| {
                        j += 1;
                        j - 1 == i || !inside(o, display)
                    });
                    continue;
                }
                out.push((display.to_string(), s));
            }
        }
        out
    }

    /// Writes the model file (JSON).
    pub fn save(&self, path: &Path) -> Result<()> {
        let unit = 2f64.powi(self.unit_log2);
        let file = ModelFile {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            method: self.options.method,
            classes: self.classes.clone(),
            provenance: self.provenance.clone(),
            options: self.options.clone(),
            scale: f64::from(self.scale),
            bias: self.linear.b.iter().map(|&b| f64::from(b)).collect(),
            features: self.vocab.names.clone(),
            idf_milli: self
                .vocab
                .idf
                .iter()
                .map(|&i| (i * 1000.0).round() as u32)
                .collect(),
            weight_unit_log2: self.unit_log2,
            weights: self
                .linear
                .w
                .iter()
                .map(|&w| (f64::from(w) / unit).round() as i32)
                .collect(),
        };
        let json = serde_json::to_vec(&file).map_err(|e| Error::BadModel {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        // Write beside and rename, so a server reloading the file never sees half of it.
        let tmp = path.with_extension("json.tmp");
        let io = |error| Error::Io {
            path: path.display().to_string(),
            error,
        };
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a model file; refuses other formats and other format versions.
    pub fn load(path: &Path) -> Result<Self> {
        let p = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| Error::Io {
            path: p.clone(),
            error,
        })?;
        Self::from_json(&bytes, &p)
    }

    /// Parses a model from the bytes of a model file (`origin` names it in errors).
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<Self> {
        let bad = |message: String| Error::BadModel {
            path: origin.to_string(),
            message,
        };
        let header: Header = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(bad(format!(
                "format is {:?}, expected {FORMAT:?}",
                header.format.unwrap_or_default()
            )));
        }
        match header.format_version {
            Some(FORMAT_VERSION) => {}
            found => {
                return Err(Error::Version {
                    path: origin.to_string(),
                    found: found.unwrap_or(0),
                    expected: FORMAT_VERSION,
                });
            }
        }
        let f: ModelFile = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        let (nf, k) = (f.features.len(), f.classes.len());
        if k < 2 || f.bias.len() != k || f.idf_milli.len() != nf || f.weights.len() != nf * k {
            return Err(bad(format!(
                "inconsistent sizes: {k} classes, {} biases, {nf} features, {} idf, {} weights",
                f.bias.len(),
                f.idf_milli.len(),
                f.weights.len()
            )));
        }
        if !(-200..=200).contains(&f.weight_unit_log2) {
            return Err(bad(format!(
                "weight_unit_log2 {} is out of range",
                f.weight_unit_log2
            )));
        }
        let unit = 2f64.powi(f.weight_unit_log2);
        if f.method != f.options.method {
            return Err(bad("method and options.method differ".into()));
        }
        let idf = f.idf_milli.iter().map(|&q| q as f32 / 1000.0).collect();
        let vocab = Vocab::from_names(f.features, idf);
        let linear = Linear {
            k,
            w: f.weights.iter().map(|&q| dequantize(q, unit)).collect(),
            b: f.bias.iter().map(|&b| b as f32).collect(),
        };
        Ok(Self {
            classes: f.classes,
            options: f.options,
            provenance: f.provenance,
            vocab,
            linear,
            scale: f.scale as f32,
            unit_log2: f.weight_unit_log2,
            rows: Vec::new(),
        }
        .with_rows())
    }
}

fn weight_unit_log2(w: &[f32]) -> i32 {
    let max = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if max > 0.0 && max.is_finite() {
        (f64::from(max) / WEIGHT_STEPS).log2().ceil() as i32
    } else {
        0
    }
}
