//! Evaluation: accuracy, macro-F1, per-class precision / recall / F1, the confusion matrix,
//! and stratified k-fold cross-validation.

use crate::Result;
use crate::data::Row;
use crate::model::Model;
use crate::rng::SplitMix64;
use crate::train::{Trainer, text_key};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// Metrics of one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Messages whose true class this is.
    pub support: usize,
}

/// The result of an evaluation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub n: usize,
    pub accuracy: f64,
    /// Unweighted mean of the per-class F1 over classes with support or predictions.
    pub macro_f1: f64,
    pub per_class: Vec<ClassMetrics>,
    pub classes: Vec<String>,
    /// `confusion[true][predicted]`, in the order of `classes`.
    pub confusion: Vec<Vec<usize>>,
    /// Accuracy of each fold (cross-validation only).
    pub fold_accuracy: Vec<f64>,
}

impl Report {
    /// Builds the report from a confusion matrix (`confusion[true][predicted]`).
    pub fn from_confusion(classes: Vec<String>, confusion: Vec<Vec<usize>>) -> Self {
        let k = classes.len();
        let n: usize = confusion.iter().flatten().sum();
        let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
        let mut per_class = Vec::with_capacity(k);
        let mut f1_sum = 0.0;
        let mut counted = 0;
        for (i, label) in classes.iter().enumerate() {
            let tp = confusion[i][i] as f64;
            let support: usize = confusion[i].iter().sum();
            let predicted: usize = (0..k).map(|t| confusion[t][i]).sum();
            let precision = if predicted > 0 {
                tp / predicted as f64
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            if support > 0 || predicted > 0 {
                f1_sum += f1;
                counted += 1;
            }
            per_class.push(ClassMetrics {
                label: label.clone(),
                precision,
                recall,
                f1,
                support,
            });
        }
        Self {
            n,
            accuracy: if n > 0 {
                correct as f64 / n as f64
            } else {
                0.0
            },
            macro_f1: if counted > 0 {
                f1_sum / counted as f64
            } else {
                0.0
            },
            per_class,
            classes,
            confusion,
            fold_accuracy: Vec::new(),
        }
    }

    /// Builds the report from (true label, predicted label) pairs; the classes are the model's
    /// (if given) followed by any other label seen.
    pub fn from_pairs(known: &[String], pairs: &[(String, String)]) -> Self {
        let mut classes: Vec<String> = known.to_vec();
        for (t, p) in pairs {
            for l in [t, p] {
                if !classes.contains(l) {
                    classes.push(l.clone());
                }
            }
        }
        let idx: BTreeMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut confusion = vec![vec![0usize; classes.len()]; classes.len()];
        for (t, p) in pairs {
            confusion[idx[t.as_str()]][idx[p.as_str()]] += 1;
        }
        Self::from_confusion(classes, confusion)
    }
}

/// Display width of a string in a terminal: CJK and full-width characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115f
            | 0x2e80..=0xa4cf
            | 0xac00..=0xd7a3
            | 0xf900..=0xfaff
            | 0xfe30..=0xfe4f
            | 0xff00..=0xff60
            | 0xffe0..=0xffe6
            | 0x20000..=0x3fffd => 2,
            _ => 1,
        })
        .sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name_w = self
            .classes
            .iter()
            .map(|c| width(c))
            .max()
            .unwrap_or(5)
            .max(8)
            + 4;
        writeln!(
            f,
            "{} messages, {} classes: accuracy {:.4}, macro-F1 {:.4}",
            self.n,
            self.classes.len(),
            self.accuracy,
            self.macro_f1
        )?;
        if !self.fold_accuracy.is_empty() {
            let m = self.fold_accuracy.iter().sum::<f64>() / self.fold_accuracy.len() as f64;
            let var = self
                .fold_accuracy
                .iter()
                .map(|a| (a - m).powi(2))
                .sum::<f64>()
                / self.fold_accuracy.len().max(2).saturating_sub(1) as f64;
            let folds: Vec<String> = self
                .fold_accuracy
                .iter()
                .map(|a| format!("{a:.4}"))
                .collect();
            writeln!(
                f,
                "{} folds: accuracy per fold {} (mean {m:.4} ± {:.4})",
                self.fold_accuracy.len(),
                folds.join(" "),
                var.sqrt()
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{}{:>10}{:>10}{:>10}{:>10}",
            pad("class", name_w),
            "precision",
            "recall",
            "F1",
            "support"
        )?;
        for c in &self.per_class {
            writeln!(
                f,
                "{}{:>10.4}{:>10.4}{:>10.4}{:>10}",
                pad(&c.label, name_w),
                c.precision,
                c.recall,
                c.f1,
                c.support
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "confusion matrix (rows: true class, columns: predicted class)"
        )?;
        write!(f, "{}", pad("", name_w))?;
        for i in 0..self.classes.len() {
            write!(f, "{:>6}", i + 1)?;
        }
        writeln!(f)?;
        for (i, row) in self.confusion.iter().enumerate() {
            write!(
                f,
                "{}",
                pad(&format!("{} {}", i + 1, self.classes[i]), name_w)
            )?;
            for v in row {
                write!(f, "{v:>6}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Evaluates a trained model on labelled rows.
pub fn evaluate(model: &Model, rows: &[Row]) -> Report {
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let p = model.predict_index(&r.title, &r.detail);
            (r.label.clone(), model.classes()[p].clone())
        })
        .collect();
    Report::from_pairs(model.classes(), &pairs)
}

/// Assigns each row (by its label) to one of `k` folds, each class spread evenly over the
/// folds after a seeded shuffle. Returns the fold of every row.
pub fn stratified_folds(labels: &[&str], k: usize, seed: u64) -> Vec<usize> {
    let k = k.max(1);
    let mut by_class: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let mut rng = SplitMix64::new(seed);
    let mut folds = vec![0; labels.len()];
    let mut next = 0;
    for idx in by_class.values_mut() {
        rng.shuffle(idx);
        for &i in idx.iter() {
            folds[i] = next % k;
            next += 1;
        }
    }
    folds
}

/// Stratified k-fold cross-validation: for each fold, trains on the other folds with
/// `trainer` and predicts the fold. Unlabelled messages whose text equals a held-out row are
/// never used. The softmax scale is not fitted here (it changes no predicted class).
pub fn cross_validate(trainer: &Trainer, rows: &[Row], k: usize, seed: u64) -> Result<Report> {
    let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    let folds = stratified_folds(&labels, k, seed);
    let classes: Vec<String> = labels
        .iter()
        .map(|l| l.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut pairs = Vec::with_capacity(rows.len());
    let mut fold_accuracy = Vec::new();
    for f in 0..k.max(1) {
        let (train, test) = split_fold(rows, &folds, f);
        if test.is_empty() {
            continue;
        }
        let exclude: HashSet<u64> = test.iter().map(|r| text_key(&r.title, &r.detail)).collect();
        let model = trainer.fit(&train, &exclude, false)?;
        let mut correct = 0;
        for r in &test {
            let p = model.classes()[model.predict_index(&r.title, &r.detail)].clone();
            correct += usize::from(p == r.label);
            pairs.push((r.label.clone(), p));
        }
        fold_accuracy.push(correct as f64 / test.len() as f64);
    }
    let mut report = Report::from_pairs(&classes, &pairs);
    report.fold_accuracy = fold_accuracy;
    Ok(report)
}

/// The rows of fold `f` (to test on) and the others (to train on), as `folds` assigns them.
pub(crate) fn split_fold<'a>(
    rows: &'a [Row],
    folds: &[usize],
    f: usize,
) -> (Vec<Row>, Vec<&'a Row>) {
    let mut train = Vec::new();
    let mut test = Vec::new();
    for (r, g) in rows.iter().zip(folds) {
        if *g == f {
            test.push(r);
        } else {
            train.push(r.clone());
        }
    }
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_a_hand_made_confusion_are_exact() {
        // true A: 8 → A, 2 → B;  true B: 1 → A, 4 → B, 0 → C;  true C: 0, 1 → B, 4 → C.
        let classes = vec!["A".to_string(), "B".to_string(), "C".to_string()];
        let r = Report::from_confusion(classes, vec![vec![8, 2, 0], vec![1, 4, 0], vec![0, 1, 4]]);
        assert_eq!(r.n, 20);
        assert_eq!(r.accuracy, 16.0 / 20.0);
        let a = &r.per_class[0];
        assert_eq!(
            (a.precision, a.recall, a.support),
            (8.0 / 9.0, 8.0 / 10.0, 10)
        );
        let f1a = 2.0 * (8.0 / 9.0) * 0.8 / (8.0 / 9.0 + 0.8);
        assert!((a.f1 - f1a).abs() < 1e-12);
        let b = &r.per_class[1];
        assert_eq!((b.precision, b.recall), (4.0 / 7.0, 4.0 / 5.0));
        let f1b = 2.0 * (4.0 / 7.0) * 0.8 / (4.0 / 7.0 + 0.8);
        let c = &r.per_class[2];
        assert_eq!((c.precision, c.recall, c.f1), (1.0, 0.8, 2.0 * 0.8 / 1.8));
        assert!((r.macro_f1 - (f1a + f1b + 2.0 * 0.8 / 1.8) / 3.0).abs() < 1e-12);
        let text = r.to_string();
        assert!(text.contains("accuracy 0.8000"), "{text}");
    }

    #[test]
    fn pairs_add_unknown_labels_and_empty_classes_do_not_count() {
        let known = vec!["甲".to_string(), "乙".to_string(), "丙".to_string()];
        let pairs = vec![
            ("甲".to_string(), "甲".to_string()),
            ("丁".to_string(), "甲".to_string()),
        ];
        let r = Report::from_pairs(&known, &pairs);
        assert_eq!(r.classes, vec!["甲", "乙", "丙", "丁"]);
        assert_eq!(r.confusion[3][0], 1);
        assert_eq!(r.accuracy, 0.5);
        // 甲: p = 1/2, r = 1 → F1 2/3; 丁: F1 0; 乙, 丙 have neither support nor predictions.
        assert!((r.macro_f1 - (2.0 / 3.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn folds_are_stratified_and_reproducible() {
        let labels: Vec<&str> = (0..30).map(|i| if i < 20 { "a" } else { "b" }).collect();
        let f = stratified_folds(&labels, 5, 7);
        assert_eq!(f, stratified_folds(&labels, 5, 7));
        for fold in 0..5 {
            let a = (0..20).filter(|&i| f[i] == fold).count();
            let b = (20..30).filter(|&i| f[i] == fold).count();
            assert_eq!((a, b), (4, 2));
        }
    }
}
