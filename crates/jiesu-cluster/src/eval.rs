//! Evaluation on the 2020 TipDM challenge messages: the hot problems of the year and the
//! precision of merge proposals on a hand-labelled sample of pairs (`data/pairs.csv`).

use crate::{Cluster, Config, Error, Linkage, Loaded, Matcher, Result, cluster_with, read_votes};
use chrono::{FixedOffset, Utc};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

fn china_date(t: chrono::DateTime<Utc>) -> String {
    match FixedOffset::east_opt(8 * 3600) {
        Some(china) => t.with_timezone(&china).format("%Y-%m-%d").to_string(),
        None => t.format("%Y-%m-%d").to_string(),
    }
}

/// What was read from the messages file.
#[derive(Clone, Debug)]
pub struct LoadSummary {
    pub reports: usize,
    /// (line, reason) of the records skipped.
    pub bad: Vec<(u64, String)>,
    /// (line, id, id it repeats) of the repeated records.
    pub repeats: Vec<(u64, String, String)>,
}

impl LoadSummary {
    fn of(l: &Loaded) -> Self {
        Self {
            reports: l.reports.len(),
            bad: l.bad.iter().map(|b| (b.line, b.reason.clone())).collect(),
            repeats: l
                .repeats
                .iter()
                .map(|r| (r.line, r.id.clone(), r.same_as.clone()))
                .collect(),
        }
    }
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} reports read; {} records skipped; {} records repeat an earlier one (same caller, title and text; votes added to the first)",
            self.reports,
            self.bad.len(),
            self.repeats.len()
        )?;
        for (line, reason) in &self.bad {
            writeln!(f, "  line {line}: {reason}")?;
        }
        if !self.repeats.is_empty() {
            let list: Vec<String> = self
                .repeats
                .iter()
                .map(|(line, id, same)| format!("line {line} ({id} = {same})"))
                .collect();
            writeln!(f, "  repeated: {}", list.join(", "))?;
        }
        Ok(())
    }
}

/// One ranked problem.
#[derive(Clone, Debug)]
pub struct HotRow {
    pub rank: usize,
    pub heat: f64,
    pub cluster: Cluster,
}

/// The hottest problems of a messages file.
#[derive(Clone, Debug)]
pub struct HotProblems {
    pub load: LoadSummary,
    pub clusters: usize,
    pub multi: usize,
    pub rows: Vec<HotRow>,
}

impl fmt::Display for HotProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.load)?;
        writeln!(
            f,
            "{} problems, {} of them reported more than once\n",
            self.clusters, self.multi
        )?;
        writeln!(
            f,
            "rank  heat  msgs  people  likes  dislikes  span                     place         title | top terms"
        )?;
        for r in &self.rows {
            let c = &r.cluster;
            writeln!(
                f,
                "{:>4} {:>5.1} {:>5} {:>7} {:>6} {:>9}  {} – {}  {:<12}  {} | {}",
                r.rank,
                r.heat,
                c.members.len(),
                c.callers,
                c.likes,
                c.dislikes,
                china_date(c.first),
                china_date(c.last),
                c.place.as_deref().unwrap_or("-"),
                c.title,
                c.top_terms.join(" ")
            )?;
            if c.members.len() > 1 {
                writeln!(f, "{:>46}ids: {}", "", c.members.join(" "))?;
            }
        }
        Ok(())
    }
}

/// Clusters the messages of `path` with the default settings and returns the `top` hottest
/// problems.
pub fn hot_problems(path: &Path, top: usize) -> Result<HotProblems> {
    let loaded = read_votes(path)?;
    let config = Config::default();
    let matcher = Matcher::new(&loaded.reports, config);
    let clusters = cluster_with(
        &matcher,
        &loaded.reports,
        Linkage::Average,
        config.threshold,
    );
    let rows = crate::rank_by_heat(&clusters, top)
        .into_iter()
        .enumerate()
        .map(|(i, (heat, c))| HotRow {
            rank: i + 1,
            heat,
            cluster: c.clone(),
        })
        .collect();
    Ok(HotProblems {
        load: LoadSummary::of(&loaded),
        clusters: clusters.len(),
        multi: clusters.iter().filter(|c| c.members.len() > 1).count(),
        rows,
    })
}

/// One labelled pair of `data/pairs.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledPair {
    pub id_a: String,
    pub id_b: String,
    pub same: bool,
    pub note: String,
}

/// Reads `id_a,id_b,same,note`.
pub fn read_pairs(path: &Path) -> Result<Vec<LabelledPair>> {
    let p = path.display().to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| Error::Csv {
            path: p.clone(),
            message: e.to_string(),
        })?;
    let mut out = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| Error::Csv {
            path: p.clone(),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let get = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let same = match get(2).as_str() {
            "1" => true,
            "0" => false,
            other => {
                return Err(Error::BadPair {
                    path: p,
                    line,
                    message: format!("`same` must be 0 or 1, not `{other}`"),
                });
            }
        };
        out.push(LabelledPair {
            id_a: get(0),
            id_b: get(1),
            same,
            note: get(3),
        });
    }
    Ok(out)
}

/// Counts of a binary decision against the labels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl Counts {
    fn add(&mut self, predicted: bool, same: bool) {
        match (predicted, same) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "precision {:.3}  recall {:.3}  F1 {:.3}  (tp {} fp {} fn {} tn {})",
            self.precision(),
            self.recall(),
            self.f1(),
            self.tp,
            self.fp,
            self.fn_,
            self.tn
        )
    }
}

/// A scored labelled pair.
#[derive(Clone, Debug)]
pub struct ScoredPair {
    pub pair: LabelledPair,
    pub score: f32,
    pub in_window: bool,
}

/// Merge proposals measured on labelled pairs.
#[derive(Clone, Debug)]
pub struct PairPrecision {
    pub pairs: usize,
    pub positives: usize,
    /// Pairs whose ids are not in the messages file.
    pub missing: Vec<(String, String)>,
    pub threshold: f32,
    pub window_days: i64,
    /// Merge proposals at the configured threshold.
    pub at_threshold: Counts,
    /// (threshold, counts) over a range of thresholds.
    pub sweep: Vec<(f32, Counts)>,
    /// Same-cluster decisions of average and single linkage (all messages clustered).
    pub average_link: Counts,
    pub single_link: Counts,
    /// Labelled pairs the proposals get wrong at the threshold.
    pub errors: Vec<ScoredPair>,
}

impl fmt::Display for PairPrecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} labelled pairs, {} the same problem{}",
            self.pairs,
            self.positives,
            if self.missing.is_empty() {
                String::new()
            } else {
                format!("; {} pairs skipped (ids not found)", self.missing.len())
            }
        )?;
        writeln!(
            f,
            "merge proposals (window {} days, threshold {:.2}): {}",
            self.window_days, self.threshold, self.at_threshold
        )?;
        writeln!(f, "same cluster, average link: {}", self.average_link)?;
        writeln!(f, "same cluster, single link:  {}", self.single_link)?;
        writeln!(f, "\nthreshold sweep (proposals):")?;
        for (t, c) in &self.sweep {
            writeln!(f, "  {t:.2}  {c}")?;
        }
        writeln!(f, "\nwrong at the threshold:")?;
        for e in &self.errors {
            writeln!(
                f,
                "  {} {} {} score {:.3}{}  {}",
                if e.pair.same { "missed" } else { "WRONG MERGE" },
                e.pair.id_a,
                e.pair.id_b,
                e.score,
                if e.in_window { "" } else { " (outside window)" },
                e.pair.note
            )?;
        }
        Ok(())
    }
}

/// Precision, recall and F1 of merge proposals (same window and threshold as
/// [`Config::default`]) on the labelled pairs of `pairs_path`, the messages read from
/// `votes_path`; also a threshold sweep and the same-cluster decisions of clustering.
pub fn pair_precision(votes_path: &Path, pairs_path: &Path) -> Result<PairPrecision> {
    let loaded = read_votes(votes_path)?;
    let pairs = read_pairs(pairs_path)?;
    let config = Config::default();
    let matcher = Matcher::new(&loaded.reports, config);
    let index: HashMap<&str, usize> = loaded
        .reports
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let window = chrono::Duration::days(config.window_days);
    let mut scored = Vec::new();
    let mut missing = Vec::new();
    for p in pairs {
        let (Some(&a), Some(&b)) = (index.get(p.id_a.as_str()), index.get(p.id_b.as_str())) else {
            missing.push((p.id_a.clone(), p.id_b.clone()));
            continue;
        };
        let (ra, rb) = (&loaded.reports[a], &loaded.reports[b]);
        let s = matcher.similarity(&matcher.profile(ra), &matcher.profile(rb));
        scored.push(ScoredPair {
            pair: p,
            score: s.score,
            in_window: (ra.at - rb.at).abs() <= window,
        });
    }
    let counts = |t: f32| {
        let mut c = Counts::default();
        for s in &scored {
            c.add(s.in_window && s.score >= t, s.pair.same);
        }
        c
    };
    let sweep = (0..=12)
        .map(|k| 0.30 + 0.025 * k as f32)
        .map(|t| (t, counts(t)))
        .collect();
    let same_cluster = |linkage: Linkage| {
        let clusters = cluster_with(&matcher, &loaded.reports, linkage, config.threshold);
        let mut of: HashMap<&str, usize> = HashMap::new();
        for (k, c) in clusters.iter().enumerate() {
            for m in &c.members {
                of.insert(m.as_str(), k);
            }
        }
        let mut c = Counts::default();
        for s in &scored {
            let together = of.get(s.pair.id_a.as_str()) == of.get(s.pair.id_b.as_str());
            c.add(together, s.pair.same);
        }
        c
    };
    let errors = scored
        .iter()
        .filter(|s| (s.in_window && s.score >= config.threshold) != s.pair.same)
        .cloned()
        .collect();
    Ok(PairPrecision {
        pairs: scored.len(),
        positives: scored.iter().filter(|s| s.pair.same).count(),
        missing,
        threshold: config.threshold,
        window_days: config.window_days,
        at_threshold: counts(config.threshold),
        sweep,
        average_link: same_cluster(Linkage::Average),
        single_link: same_cluster(Linkage::Single),
        errors,
    })
}
