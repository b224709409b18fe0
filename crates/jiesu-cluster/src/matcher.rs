//! Similarity of two reports and merge proposals for an incoming one.

use crate::place::{Place, PlaceKind};
use crate::text::Segmenter;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// One citizen message as the matcher sees it: a ticket's text, time, place and votes.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub id: String,
    pub title: String,
    pub text: String,
    pub at: DateTime<Utc>,
    /// Street (街道/乡镇) code when the ticket's address was resolved; two different codes
    /// are a place conflict.
    pub street_code: Option<String>,
    /// Address as entered; searched for place names with the title and the text.
    pub address: Option<String>,
    /// The caller, when known: the heat index counts people, not posts.
    pub caller: Option<String>,
    pub likes: u64,
    pub dislikes: u64,
}

/// The weights of the similarity, all in one place.
///
/// `score = (text · cos + place · p) × conflict`, where `cos` is the cosine of the TF-IDF
/// word vectors (title words counted `title_boost` times, term frequency `1 + ln tf`,
/// `idf = 1 + ln((N + 1) / (df + 1))` over the corpus), `p` is 1 when both name the same
/// site (compound, village, road or community), `street` when they share only a street or
/// township (or street code), `district` when they share only a district, 0 otherwise, and
/// `conflict` is `site_conflict` when both name compounds or villages and none is shared,
/// `road_conflict` when they name only roads and none is shared, `district_conflict`
/// when both name districts (or street codes) and none is shared, the smallest applying, 1
/// otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    pub text: f32,
    pub place: f32,
    pub street: f32,
    pub district: f32,
    pub title_boost: f32,
    pub site_conflict: f32,
    pub road_conflict: f32,
    pub district_conflict: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            text: 0.75,
            place: 0.25,
            street: 0.4,
            district: 0.1,
            title_boost: 2.0,
            site_conflict: 0.3,
            road_conflict: 0.6,
            district_conflict: 0.3,
        }
    }
}

/// Settings of the matcher.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Only reports at most this many days apart are compared.
    pub window_days: i64,
    /// Pairs scoring at least this are proposed for merging.
    pub threshold: f32,
    pub weights: Weights,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            window_days: 7,
            threshold: 0.40,
            weights: Weights::default(),
        }
    }
}

/// A proposal to merge an incoming report into an open one (一件多诉), with its reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeProposal {
    /// The open report that looks like the same problem.
    pub id: String,
    pub score: f32,
    /// The words that weighed most in the text similarity, heaviest first.
    pub shared_terms: Vec<String>,
    /// The most specific place both reports name, if any.
    pub same_place: Option<String>,
}

/// A report prepared for comparison: its weighted word vector and its places.
#[derive(Clone, Debug)]
pub struct Profile {
    pub id: String,
    pub at: DateTime<Utc>,
    /// (hash of the word, weight), sorted by hash, unit length.
    terms: Vec<(u64, f32)>,
    /// The words, parallel to `terms`.
    words: Vec<String>,
    pub places: Vec<Place>,
    pub street_code: Option<String>,
}

impl Profile {
    /// The heaviest words of this report.
    pub fn top_words(&self, n: usize) -> Vec<(String, f32)> {
        let mut w: Vec<(String, f32)> = self
            .words
            .iter()
            .cloned()
            .zip(self.terms.iter().map(|t| t.1))
            .collect();
        w.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        w.truncate(n);
        w
    }

    pub(crate) fn terms(&self) -> impl Iterator<Item = (u64, f32, &str)> {
        self.terms
            .iter()
            .zip(&self.words)
            .map(|(t, w)| (t.0, t.1, w.as_str()))
    }
}

fn hash(word: &str) -> u64 {
    let mut h = DefaultHasher::new();
    word.hash(&mut h);
    h.finish()
}

/// The similarity of two reports with what it rests on.
#[derive(Clone, Debug, PartialEq)]
pub struct Similarity {
    pub score: f32,
    /// Cosine of the word vectors.
    pub text: f32,
    /// Place agreement `p` (see [`Weights`]).
    pub place: f32,
    /// Conflict factor (1 = none).
    pub conflict: f32,
    pub shared_terms: Vec<String>,
    pub same_place: Option<String>,
}

/// Compares reports: document frequencies from a corpus, a word segmenter and a [`Config`].
pub struct Matcher {
    config: Config,
    segmenter: Segmenter,
    df: HashMap<u64, u32>,
    docs: u32,
}

impl Matcher {
    /// Builds a matcher whose word weights (IDF) come from `corpus`.
    pub fn new(corpus: &[Report], config: Config) -> Self {
        let segmenter = Segmenter::new();
        let mut df: HashMap<u64, u32> = HashMap::new();
        for r in corpus {
            let (_, words) = analyse(&segmenter, r);
            let mut seen: Vec<u64> = words.iter().map(|(w, _)| hash(w)).collect();
            seen.sort_unstable();
            seen.dedup();
            for h in seen {
                *df.entry(h).or_default() += 1;
            }
        }
        Self {
            config,
            segmenter,
            df,
            docs: u32::try_from(corpus.len()).unwrap_or(u32::MAX),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The same matcher with other settings (the IDF is kept).
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    fn idf(&self, h: u64) -> f32 {
        let df = self.df.get(&h).copied().unwrap_or(0);
        1.0 + ((self.docs as f32 + 1.0) / (df as f32 + 1.0)).ln()
    }

    /// Prepares a report for comparison (segmentation and place extraction: the slow part).
    pub fn profile(&self, report: &Report) -> Profile {
        let (places, words) = analyse(&self.segmenter, report);
        let mut tf: HashMap<&str, f32> = HashMap::new();
        for (w, in_title) in &words {
            *tf.entry(w.as_str()).or_default() += if *in_title {
                self.config.weights.title_boost
            } else {
                1.0
            };
        }
        let mut v: Vec<(u64, f32, String)> = tf
            .into_iter()
            .map(|(w, f)| {
                let h = hash(w);
                (h, (1.0 + f.ln()) * self.idf(h), w.to_string())
            })
            .collect();
        let norm = v.iter().map(|t| t.1 * t.1).sum::<f32>().sqrt();
        if norm > 0.0 {
            for t in &mut v {
                t.1 /= norm;
            }
        }
        v.sort_unstable_by_key(|t| t.0);
        Profile {
            id: report.id.clone(),
            at: report.at,
            terms: v.iter().map(|t| (t.0, t.1)).collect(),
            words: v.into_iter().map(|t| t.2).collect(),
            places,
            street_code: report.street_code.clone(),
        }
    }

    /// Similarity of two prepared reports, with its reasons (time is not looked at).
    pub fn similarity(&self, a: &Profile, b: &Profile) -> Similarity {
        let w = &self.config.weights;
        let (text, shared) = cosine(a, b);
        let (place, conflict, same_place) = compare_places(a, b, w);
        let score = (w.text * text + w.place * place) * conflict;
        let mut shared_terms: Vec<(f32, &str)> = shared;
        shared_terms.sort_by(|x, y| y.0.total_cmp(&x.0));
        Similarity {
            score,
            text,
            place,
            conflict,
            shared_terms: shared_terms
                .into_iter()
                .take(6)
                .map(|(_, w)| w.to_string())
                .collect(),
            same_place,
        }
    }

    /// Open reports that look like the same problem as `new`: within the time window,
    /// scoring at least the threshold, best first.
    pub fn propose_profiles(&self, new: &Profile, open: &[Profile]) -> Vec<MergeProposal> {
        let window = Duration::days(self.config.window_days);
        let mut out: Vec<MergeProposal> = open
            .iter()
            .filter(|o| o.id != new.id && (o.at - new.at).abs() <= window)
            .filter_map(|o| {
                // The score cannot exceed text·cos + place: skip the full comparison when
                // even a shared site would not lift it to the threshold.
                let w = &self.config.weights;
                if w.text * dot(new, o) + w.place < self.config.threshold {
                    return None;
                }
                let s = self.similarity(new, o);
                (s.score >= self.config.threshold).then(|| MergeProposal {
                    id: o.id.clone(),
                    score: s.score,
                    shared_terms: s.shared_terms,
                    same_place: s.same_place,
                })
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// [`Matcher::propose_profiles`] on raw reports. Preparing thousands of open reports
    /// on every call is slow: keep their [`Profile`]s where reports arrive one by one.
    pub fn propose(&self, new: &Report, open: &[Report]) -> Vec<MergeProposal> {
        let window = Duration::days(self.config.window_days);
        let open: Vec<Profile> = open
            .iter()
            .filter(|o| (o.at - new.at).abs() <= window)
            .map(|o| self.profile(o))
            .collect();
        self.propose_profiles(&self.profile(new), &open)
    }
}

/// Places and words (with "in title") of a report.
fn analyse(segmenter: &Segmenter, r: &Report) -> (Vec<Place>, Vec<(String, bool)>) {
    let (mut places, title_rest) = segmenter.places(&r.title);
    let (text_places, text_rest) = segmenter.places(&r.text);
    let address_places = r
        .address
        .as_deref()
        .map(|a| segmenter.places(a).0)
        .unwrap_or_default();
    for p in text_places.into_iter().chain(address_places) {
        if !places.contains(&p) {
            places.push(p);
        }
    }
    let mut words: Vec<(String, bool)> = segmenter
        .words(&title_rest)
        .into_iter()
        .map(|w| (w, true))
        .collect();
    words.extend(segmenter.words(&text_rest).into_iter().map(|w| (w, false)));
    (places, words)
}

/// Cosine of the word vectors, without the reasons.
fn dot(a: &Profile, b: &Profile) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
    while i < a.terms.len() && j < b.terms.len() {
        let (ha, wa) = a.terms[i];
        let (hb, wb) = b.terms[j];
        match ha.cmp(&hb) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += wa * wb;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

fn cosine<'a>(a: &'a Profile, b: &Profile) -> (f32, Vec<(f32, &'a str)>) {
    let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
    let mut shared = Vec::new();
    while i < a.terms.len() && j < b.terms.len() {
        let (ha, wa) = a.terms[i];
        let (hb, wb) = b.terms[j];
        match ha.cmp(&hb) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += wa * wb;
                shared.push((wa * wb, a.words[i].as_str()));
                i += 1;
                j += 1;
            }
        }
    }
    (dot.min(1.0), shared)
}

/// (p, conflict factor, most specific shared place).
fn compare_places(a: &Profile, b: &Profile, w: &Weights) -> (f32, f32, Option<String>) {
    let shared: Vec<&Place> = a
        .places
        .iter()
        .filter(|p| p.kind != PlaceKind::City && b.places.contains(p))
        .collect();
    let best = shared.iter().max_by_key(|p| p.kind).map(|p| (*p).clone());
    let same_street_code = matches!((&a.street_code, &b.street_code), (Some(x), Some(y)) if x == y);
    let p = match best.as_ref().map(|p| p.kind) {
        Some(k) if k.is_site() => 1.0,
        Some(PlaceKind::Street) => w.street,
        _ if same_street_code => w.street,
        Some(PlaceKind::District) => w.district,
        _ => 0.0,
    };
    let has = |x: &Profile, kinds: &[PlaceKind]| x.places.iter().any(|p| kinds.contains(&p.kind));
    let shares = |kinds: &[PlaceKind]| shared.iter().any(|p| kinds.contains(&p.kind));
    let sites = [PlaceKind::Compound, PlaceKind::Village];
    let mut conflict: f32 = 1.0;
    if has(a, &sites) && has(b, &sites) && !shares(&sites) {
        conflict = conflict.min(w.site_conflict);
    }
    let roads = [PlaceKind::Road];
    if !has(a, &sites) && !has(b, &sites) && has(a, &roads) && has(b, &roads) && !shares(&roads) {
        conflict = conflict.min(w.road_conflict);
    }
    let districts = [PlaceKind::District];
    let code_conflict = matches!((&a.street_code, &b.street_code), (Some(x), Some(y)) if x != y);
    if code_conflict || (has(a, &districts) && has(b, &districts) && !shares(&districts)) {
        conflict = conflict.min(w.district_conflict);
    }
    let same_place = best.or_else(|| {
        same_street_code
            .then(|| a.street_code.clone())
            .flatten()
            .map(|name| Place {
                name,
                kind: PlaceKind::Street,
            })
    });
    (p, conflict, same_place.map(|p| p.name))
}
