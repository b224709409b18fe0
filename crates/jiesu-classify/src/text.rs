//! Text → features: normalisation, character n-grams (and optionally jieba words), the
//! vocabulary with IDF, and sparse TF-IDF vectors.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// How a message becomes features. Stored in the model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Shortest character n-gram.
    pub char_min: usize,
    /// Longest character n-gram (0 = no character n-grams).
    pub char_max: usize,
    /// Longest word n-gram from the jieba tokenizer (0 = no word features; needs the
    /// crate feature `words`).
    pub word_max: usize,
    /// A title n-gram counts this many times a detail n-gram.
    pub title_weight: f32,
    /// Term frequency as 1 + ln(tf).
    pub sublinear_tf: bool,
    /// Keep features seen in at least this many documents.
    pub min_df: u32,
    /// Also title-only character n-grams up to this length (named `t:…`; 0 = none).
    #[serde(default)]
    pub title_grams: usize,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            char_min: 1,
            char_max: 3,
            word_max: 0,
            title_weight: 3.0,
            sublinear_tf: false,
            min_df: 3,
            title_grams: 0,
        }
    }
}

/// A sparse vector: (feature index, value), sorted by index, indices unique.
pub(crate) type Sparse = Vec<(u32, f32)>;

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

const PRIME: u64 = 0x0000_0100_0000_01b3;
const CHAR_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const WORD_BASIS: u64 = 0x84222325_cbf29ce4;
const TITLE_BASIS: u64 = 0x9e37_79b9_7f4a_7c15;

fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn hash_chars(basis: u64, cs: &[char]) -> u64 {
    let mut h = basis;
    for &c in cs {
        h = (h ^ u64::from(c as u32)).wrapping_mul(PRIME);
    }
    fmix(h)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4e00..=0x9fff | 0x3400..=0x4dbf | 0xf900..=0xfaff | 0x20000..=0x2ffff)
}

/// Normalised runs of text: full-width ASCII folded to ASCII, lower case, every run of digits
/// becomes one `0`; anything that is not a CJK character, a letter or a digit splits runs.
pub(crate) fn segments(text: &str, out: &mut Segs) {
    out.chars.clear();
    out.bounds.clear();
    let cur = &mut out.chars;
    let mut start = 0;
    let mut last_digit = false;
    for c in text.chars() {
        let c = match c as u32 {
            0xff01..=0xff5e => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        };
        if c.is_ascii_digit() {
            if !last_digit {
                cur.push('0');
            }
            last_digit = true;
            continue;
        }
        last_digit = false;
        if c.is_ascii_alphabetic() {
            cur.push(c.to_ascii_lowercase());
        } else if is_cjk(c) || (c.is_alphabetic() && !c.is_ascii()) {
            cur.push(c);
        } else if cur.len() > start {
            out.bounds.push((start, cur.len()));
            start = cur.len();
        }
    }
    if cur.len() > start {
        out.bounds.push((start, cur.len()));
    }
}

/// Normalised runs of characters, all in one buffer.
#[derive(Default)]
pub(crate) struct Segs {
    chars: Vec<char>,
    bounds: Vec<(usize, usize)>,
}

impl Segs {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[char]> {
        self.bounds.iter().map(|&(a, b)| &self.chars[a..b])
    }
}

/// Calls `f(hash, gram)` for every character n-gram of the configured lengths.
#[inline]
fn char_grams(segs: &Segs, cfg: &FeatureConfig, mut f: impl FnMut(u64, &[char])) {
    if cfg.char_max == 0 {
        return;
    }
    for seg in segs.iter() {
        for n in cfg.char_min.max(1)..=cfg.char_max {
            for w in seg.windows(n) {
                f(hash_chars(CHAR_BASIS, w), w);
            }
        }
    }
}

#[cfg(feature = "words")]
fn jieba() -> &'static jieba_rs::Jieba {
    static J: std::sync::OnceLock<jieba_rs::Jieba> = std::sync::OnceLock::new();
    J.get_or_init(jieba_rs::Jieba::new)
}

/// Whether this build can make word features.
pub(crate) fn words_available() -> bool {
    cfg!(feature = "words")
}

/// Calls `f(hash, name)` for every word n-gram (words from jieba, normalised runs).
#[cfg(feature = "words")]
fn word_grams(segs: &Segs, cfg: &FeatureConfig, mut f: impl FnMut(u64, &dyn Fn() -> String)) {
    if cfg.word_max == 0 {
        return;
    }
    let mut s = String::new();
    for seg in segs.iter() {
        s.clear();
        s.extend(seg.iter());
        let words: Vec<Vec<char>> = jieba()
            .cut(&s, true)
            .into_iter()
            .map(|w| w.word.chars().collect())
            .collect();
        for n in 1..=cfg.word_max {
            for win in words.windows(n) {
                let mut joined: Vec<char> = Vec::new();
                for (i, w) in win.iter().enumerate() {
                    if i > 0 {
                        joined.push('\u{1}');
                    }
                    joined.extend_from_slice(w);
                }
                let h = hash_chars(WORD_BASIS, &joined);
                f(h, &|| {
                    let mut name = String::from("w:");
                    name.extend(joined.iter().map(|&c| if c == '\u{1}' { ' ' } else { c }));
                    name
                });
            }
        }
    }
}

#[cfg(not(feature = "words"))]
fn word_grams(_: &Segs, _: &FeatureConfig, _: impl FnMut(u64, &dyn Fn() -> String)) {}

/// Every feature of a text with its display name (slow path, for building the vocabulary).
pub(crate) fn named_grams(
    text: &str,
    cfg: &FeatureConfig,
    mut f: impl FnMut(u64, &dyn Fn() -> String),
) {
    let mut segs = Segs::default();
    segments(text, &mut segs);
    char_grams(&segs, cfg, |h, w| f(h, &|| w.iter().collect()));
    word_grams(&segs, cfg, f);
}

/// Title-only character n-grams (hash, name).
fn title_grams(segs: &Segs, cfg: &FeatureConfig, mut f: impl FnMut(u64, &[char])) {
    for seg in segs.iter() {
        for n in 1..=cfg.title_grams {
            for w in seg.windows(n) {
                f(hash_chars(TITLE_BASIS, w), w);
            }
        }
    }
}

/// Feature names, their hashes and IDF.
#[derive(Clone, Debug)]
pub(crate) struct Vocab {
    pub(crate) index: IdMap<u32>,
    pub(crate) names: Vec<String>,
    pub(crate) idf: Vec<f32>,
}

/// A document for training: title and detail.
pub(crate) struct Doc<'a> {
    pub(crate) title: &'a str,
    pub(crate) detail: &'a str,
}

impl Vocab {
    /// Builds the vocabulary: features in at least `min_df` of the `vocab_docs`; IDF counted
    /// over `vocab_docs` and `idf_only_docs` together (smoothed: ln((1+N)/(1+df)) + 1).
    pub(crate) fn build(cfg: &FeatureConfig, vocab_docs: &[Doc], idf_only_docs: &[Doc]) -> Self {
        // hash -> (df in vocab docs, df in all docs, name)
        let mut stats: IdMap<(u32, u32, String)> = IdMap::default();
        let mut seen: IdMap<()> = IdMap::default();
        let mut segs = Segs::default();
        for (k, doc) in vocab_docs.iter().chain(idf_only_docs).enumerate() {
            let in_vocab = k < vocab_docs.len();
            seen.clear();
            let mut visit = |h: u64, name: &dyn Fn() -> String| {
                if seen.insert(h, ()).is_none() {
                    if in_vocab {
                        let e = stats.entry(h).or_insert_with(|| (0, 0, name()));
                        e.0 += 1;
                        e.1 += 1;
                    } else if let Some(e) = stats.get_mut(&h) {
                        e.1 += 1;
                    } else {
                        stats.insert(h, (0, 1, String::new()));
                    }
                }
            };
            named_grams(doc.title, cfg, &mut visit);
            named_grams(doc.detail, cfg, &mut visit);
            if cfg.title_grams > 0 {
                segments(doc.title, &mut segs);
                title_grams(&segs, cfg, |h, w| {
                    visit(h, &|| format!("t:{}", w.iter().collect::<String>()))
                });
            }
        }
        let n_docs = (vocab_docs.len() + idf_only_docs.len()) as f32;
        let mut kept: Vec<(u64, u32, String)> = stats
            .into_iter()
            .filter(|(_, (df, _, _))| *df >= cfg.min_df.max(1))
            .map(|(h, (_, df_all, name))| (h, df_all, name))
            .collect();
        // A stable order: by name, so equal data gives an equal model file.
        kept.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)));
        let mut v = Vocab {
            index: IdMap::default(),
            names: Vec::with_capacity(kept.len()),
            idf: Vec::with_capacity(kept.len()),
        };
        for (i, (h, df, name)) in kept.into_iter().enumerate() {
            v.index.insert(h, i as u32);
            v.names.push(name);
            v.idf.push(((1.0 + n_docs) / (1.0 + df as f32)).ln() + 1.0);
        }
        v
    }

    /// Rebuilds the hash index from the names (after loading a model file).
    pub(crate) fn from_names(names: Vec<String>, idf: Vec<f32>) -> Self {
        let mut index = IdMap::default();
        for (i, name) in names.iter().enumerate() {
            index.insert(name_hash(name), i as u32);
        }
        Vocab { index, names, idf }
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The TF-IDF vector of a message, L2-normalised.
    pub(crate) fn vectorize(
        &self,
        cfg: &FeatureConfig,
        title: &str,
        detail: &str,
        scratch: &mut Scratch,
    ) -> Sparse {
        let counts = self.term_counts(cfg, title, detail, scratch);
        let mut out: Sparse = Vec::with_capacity(counts.len());
        let mut norm = 0.0f32;
        for &(i, tf) in counts {
            let v = tf * self.idf[i as usize];
            norm += v * v;
            out.push((i, v));
        }
        if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            for (_, v) in out.iter_mut() {
                *v *= inv;
            }
        }
        out
    }

    /// The (transformed) term frequencies of a message's known features, each once.
    pub(crate) fn term_counts<'s>(
        &self,
        cfg: &FeatureConfig,
        title: &str,
        detail: &str,
        scratch: &'s mut Scratch,
    ) -> &'s [(u32, f32)] {
        // Term frequencies accumulate in a dense buffer (all zero between calls); `touched`
        // lists the features seen (with repeats).
        // Hashes first, then the lookups in a tight loop (independent memory accesses
        // overlap), then the counts.
        let Scratch {
            segs,
            dense,
            touched,
            hashes,
            counts,
        } = scratch;
        if dense.len() < self.len() {
            dense.resize(self.len(), 0.0);
        }
        touched.clear();
        for (text, weight) in [(title, cfg.title_weight), (detail, 1.0)] {
            if text.is_empty() {
                continue;
            }
            segments(text, segs);
            hashes.clear();
            char_grams(segs, cfg, |h, _| hashes.push(h));
            if cfg.word_max > 0 {
                word_grams(segs, cfg, |h, _| hashes.push(h));
            }
            let start = touched.len();
            touched.extend(hashes.iter().filter_map(|h| self.index.get(h).copied()));
            for &i in &touched[start..] {
                dense[i as usize] += weight;
            }
        }
        if cfg.title_grams > 0 && !title.is_empty() {
            segments(title, segs);
            hashes.clear();
            title_grams(segs, cfg, |h, _| hashes.push(h));
            let start = touched.len();
            touched.extend(hashes.iter().filter_map(|h| self.index.get(h).copied()));
            for &i in &touched[start..] {
                dense[i as usize] += 1.0;
            }
        }
        counts.clear();
        for &i in touched.iter() {
            let tf = std::mem::take(&mut dense[i as usize]);
            if tf == 0.0 {
                continue; // a repeat, already taken
            }
            counts.push((i, if cfg.sublinear_tf { sublinear(tf) } else { tf }));
        }
        counts
    }
}

/// Reusable buffers for vectorising.
#[derive(Default)]
pub(crate) struct Scratch {
    segs: Segs,
    dense: Vec<f32>,
    touched: Vec<u32>,
    hashes: Vec<u64>,
    counts: Vec<(u32, f32)>,
}

/// 1 + ln(tf), from a table for the small whole numbers that most counts are.
fn sublinear(tf: f32) -> f32 {
    static TABLE: std::sync::LazyLock<Vec<f32>> =
        std::sync::LazyLock::new(|| (0..256).map(|i| 1.0 + (i as f32).ln()).collect());
    if tf < 256.0 && tf.fract() == 0.0 {
        TABLE[tf as usize]
    } else {
        1.0 + tf.ln()
    }
}

/// The hash of a feature from its name: word n-grams are named `w:` + words joined by spaces,
/// title-only n-grams `t:` + the characters, character n-grams by the characters themselves
/// (they never contain `:` or a space).
fn name_hash(name: &str) -> u64 {
    if let Some(gram) = name.strip_prefix("t:") {
        return hash_chars(TITLE_BASIS, &gram.chars().collect::<Vec<_>>());
    }
    match name.strip_prefix("w:") {
        Some(words) => {
            let joined: Vec<char> = words
                .chars()
                .map(|c| if c == ' ' { '\u{1}' } else { c })
                .collect();
            hash_chars(WORD_BASIS, &joined)
        }
        None => hash_chars(CHAR_BASIS, &name.chars().collect::<Vec<_>>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_digits_width_and_case() {
        let mut segs = Segs::default();
        segments("Ａ3区2019年，ＡＢ路！", &mut segs);
        let s: Vec<String> = segs.iter().map(|s| s.iter().collect()).collect();
        assert_eq!(s, vec!["a0区0年", "ab路"]);
    }

    #[test]
    fn vectors_are_unit_length_and_title_weighs_more() {
        let cfg = FeatureConfig::default();
        let docs = [
            Doc {
                title: "停水",
                detail: "小区停水",
            },
            Doc {
                title: "学校",
                detail: "学校收费",
            },
        ];
        let v = Vocab::build(
            &FeatureConfig {
                min_df: 1,
                ..cfg.clone()
            },
            &docs,
            &[],
        );
        let mut s = Scratch::default();
        let x = v.vectorize(&cfg, "停水", "学校", &mut s);
        let n: f32 = x.iter().map(|p| p.1 * p.1).sum();
        assert!((n - 1.0).abs() < 1e-5);
        let get = |name: &str| {
            let i = v.names.iter().position(|n| n == name).unwrap() as u32;
            x.iter().find(|p| p.0 == i).unwrap().1
        };
        assert!(get("停水") > get("学校"));
        let again = Vocab::from_names(v.names.clone(), v.idf.clone());
        assert_eq!(again.vectorize(&cfg, "停水", "学校", &mut s), x);
    }
}
