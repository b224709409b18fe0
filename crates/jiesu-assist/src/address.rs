//! 地址解析 address → district / street, against the official divisions.
//!
//! Callers say places many ways: `北京市海淀区北下关街道`, `海淀北下关`, `朝阳`, `双井附近`.
//! The gazetteer holds every district and street under its full name (strong evidence) and its
//! short name without 区 / 街道 / 地区 / 镇 / 乡 (weak evidence: `朝阳` may be a road,
//! `朝阳北路`). It finds the leftmost-longest names in the text and reasons like a careful
//! agent: a full name beats a short one, an address runs from large to small so the first
//! street named is the place, and a street name shared by two districts (`八里庄`) is reported
//! as ambiguous rather than guessed unless the district is said.

use aho_corasick::{AhoCorasick, MatchKind};
use jiesu_core::{Division, DivisionLevel};
use serde::Serialize;
use std::collections::BTreeSet;

/// Suffixes a street-level name may drop when people say it.
const STREET_SUFFIXES: [&str; 7] = [
    "街道办事处",
    "地区办事处",
    "街道",
    "地区",
    "民族乡",
    "镇",
    "乡",
];

/// What a name in the gazetteer stands for.
#[derive(Debug, Clone)]
struct Entry {
    /// Division codes it may mean (two for a street name shared by two districts).
    codes: Vec<usize>,
    /// Full official name (or with its 办事处), rather than a short form.
    strong: bool,
    /// District (true) or street (false).
    district: bool,
}

/// A place name found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// The words as written.
    pub text: String,
    /// Byte offset in the text.
    pub start: usize,
    /// A full official name rather than a short form.
    pub strong: bool,
}

/// A division, as proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    /// Official code.
    pub code: String,
    /// Official name.
    pub name: String,
}

/// Where the text says the problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resolution {
    /// Down to the street (and so the district).
    Street {
        /// The district.
        district: Place,
        /// The street, town or township.
        street: Place,
    },
    /// Only the district.
    District {
        /// The district.
        district: Place,
    },
    /// The text names a place that could be several: ask the caller.
    Ambiguous {
        /// The streets (or districts) it could be.
        candidates: Vec<Place>,
    },
    /// No place name found.
    Unknown,
}

/// The proposal with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    /// The resolution.
    pub resolution: Resolution,
    /// A community, village or compound named in the text (`…社区`, `…村`, `…小区`), not
    /// checked against any list.
    pub community: Option<String>,
    /// The place names found, in order: the reasons.
    pub found: Vec<Found>,
}

/// The divisions of one city, indexed for reading addresses.
pub struct Gazetteer {
    divisions: Vec<Division>,
    names: Vec<String>,
    entries: Vec<Entry>,
    matcher: AhoCorasick,
}

/// Short form of a district name: `海淀区` → `海淀`, `密云区` → `密云`.
fn district_short(name: &str) -> Option<&str> {
    let short = name
        .strip_suffix('区')
        .or_else(|| name.strip_suffix('县'))?;
    (short.chars().count() >= 2).then_some(short)
}

/// Short form of a street-level name: `北下关街道` → `北下关`, `长辛店镇` → `长辛店`.
fn street_short(name: &str) -> Option<&str> {
    STREET_SUFFIXES
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .filter(|short| short.chars().count() >= 2)
}

impl Gazetteer {
    /// Indexes the districts and streets of a city.
    pub fn new(divisions: &[Division]) -> Gazetteer {
        let divisions = divisions.to_vec();
        let mut names: Vec<String> = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut add = |name: &str, index: usize, strong: bool, district: bool| {
            match names.iter().position(|n| n == name) {
                Some(i) => {
                    let e = &mut entries[i];
                    // A bare short name shared by a district and a street means the district
                    // (`海淀` is 海淀区 more often than 海淀街道).
                    if e.district && !district && !strong {
                        return;
                    }
                    if district && !strong && !e.district {
                        *e = Entry {
                            codes: vec![index],
                            strong,
                            district,
                        };
                        return;
                    }
                    if !e.codes.contains(&index) {
                        e.codes.push(index);
                    }
                    e.strong |= strong;
                }
                None => {
                    names.push(name.to_string());
                    entries.push(Entry {
                        codes: vec![index],
                        strong,
                        district,
                    });
                }
            }
        };
        for (i, d) in divisions.iter().enumerate() {
            match d.level {
                DivisionLevel::District => {
                    add(&d.name, i, true, true);
                    if let Some(s) = district_short(&d.name) {
                        add(s, i, false, true);
                    }
                }
                DivisionLevel::Street => {
                    add(&d.name, i, true, false);
                    add(&format!("{}办事处", d.name), i, true, false);
                    if let Some(s) = street_short(&d.name) {
                        add(s, i, false, false);
                    }
                }
            }
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&names)
            .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("empty matcher"));
        Gazetteer {
            divisions,
            names,
            entries,
            matcher,
        }
    }

    fn place(&self, index: usize) -> Place {
        let d = &self.divisions[index];
        Place {
            code: d.code.clone(),
            name: d.name.clone(),
        }
    }

    fn district_of(&self, index: usize) -> Option<usize> {
        let parent = self.divisions[index].parent_code.as_deref()?;
        self.divisions.iter().position(|d| d.code == parent)
    }

    /// Reads the place out of a citizen's words.
    pub fn resolve(&self, text: &str) -> Proposal {
        let mut found = Vec::new();
        let mut strong_districts: BTreeSet<usize> = BTreeSet::new();
        let mut weak_districts: BTreeSet<usize> = BTreeSet::new();
        // Street mentions in order: (strong, candidate streets).
        let mut streets: Vec<(bool, Vec<usize>)> = Vec::new();
        for m in self.matcher.find_iter(text) {
            let entry = &self.entries[m.pattern().as_usize()];
            // A short name that runs into 路 / 大街 / 桥 … names a road: 朝阳北路, 丰台路.
            if !entry.strong && is_road(&text[m.end()..]) {
                continue;
            }
            found.push(Found {
                text: self.names[m.pattern().as_usize()].clone(),
                start: m.start(),
                strong: entry.strong,
            });
            match (entry.district, entry.strong) {
                (true, true) => strong_districts.extend(&entry.codes),
                (true, false) => weak_districts.extend(&entry.codes),
                (false, strong) => streets.push((strong, entry.codes.clone())),
            }
        }
        let community = community(text);
        // The district said in full rules; a short one (could be a road's name) only helps.
        let in_district = |street: usize, set: &BTreeSet<usize>| {
            self.district_of(street).is_some_and(|d| set.contains(&d))
        };
        let ordered = streets
            .iter()
            .filter(|(strong, _)| *strong)
            .chain(streets.iter().filter(|(strong, _)| !*strong));
        for (_, candidates) in ordered {
            let mut fits: Vec<usize> = candidates.clone();
            if !strong_districts.is_empty() {
                fits.retain(|s| in_district(*s, &strong_districts));
                if fits.is_empty() {
                    continue; // a street of another district: a road or compound name
                }
            }
            if fits.len() > 1 {
                let narrowed: Vec<usize> = fits
                    .iter()
                    .copied()
                    .filter(|s| in_district(*s, &weak_districts))
                    .collect();
                if !narrowed.is_empty() {
                    fits = narrowed;
                }
            }
            let resolution = match fits.as_slice() {
                [street] => match self.district_of(*street) {
                    Some(d) => Resolution::Street {
                        district: self.place(d),
                        street: self.place(*street),
                    },
                    None => continue,
                },
                many => Resolution::Ambiguous {
                    candidates: many.iter().map(|s| self.place(*s)).collect(),
                },
            };
            return Proposal {
                resolution,
                community,
                found,
            };
        }
        let districts = if strong_districts.is_empty() {
            weak_districts
        } else {
            strong_districts
        };
        let resolution = match districts.len() {
            0 => Resolution::Unknown,
            1 => Resolution::District {
                district: self.place(*districts.iter().next().unwrap_or(&0)),
            },
            _ => Resolution::Ambiguous {
                candidates: districts.iter().map(|d| self.place(*d)).collect(),
            },
        };
        Proposal {
            resolution,
            community,
            found,
        }
    }
}

/// The labelled test set (`tools/gen_address_testset.py`): `text,district_code,street_code,
/// ambiguous`.
pub const TEST_SET: &str = include_str!("../data/address_testset.csv");

/// How the resolver did on a labelled set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    /// Rows read.
    pub total: usize,
    /// Rows resolved as labelled (ambiguous ones reported as ambiguous).
    pub right: usize,
    /// Of those labelled ambiguous, how many were reported so.
    pub ambiguous_total: usize,
    /// Ambiguous rows reported as ambiguous.
    pub ambiguous_right: usize,
    /// The misses: the text and what came out.
    pub wrong: Vec<String>,
}

impl Evaluation {
    /// Share right.
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.right as f64 / self.total as f64
        }
    }
}

/// A labelled row that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Gazetteer {
    /// Resolves every row of a labelled CSV (header `text,district_code,street_code,ambiguous`)
    /// and counts how many come out as labelled.
    pub fn evaluate(&self, csv_text: &str) -> Result<Evaluation, BadRow> {
        let mut e = Evaluation::default();
        let mut lines = csv_text.lines().enumerate();
        let header = lines
            .next()
            .map(|(_, h)| h.trim_start_matches('\u{feff}').trim());
        if header != Some("text,district_code,street_code,ambiguous") {
            return Err(BadRow {
                line: 1,
                message: "header must be text,district_code,street_code,ambiguous".into(),
            });
        }
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.rsplitn(4, ',').collect();
            let [ambiguous, street, district, text] = cells[..] else {
                return Err(BadRow {
                    line: i + 1,
                    message: "expected 4 columns".into(),
                });
            };
            let ambiguous = match ambiguous.trim() {
                "1" => true,
                "0" => false,
                other => {
                    return Err(BadRow {
                        line: i + 1,
                        message: format!("ambiguous: '{other}' must be 0 or 1"),
                    });
                }
            };
            let got = self.resolve(text).resolution;
            let ok = match &got {
                Resolution::Ambiguous { .. } => ambiguous,
                Resolution::Street {
                    district: d,
                    street: s,
                } => !ambiguous && d.code == district && s.code == street,
                Resolution::District { district: d } => {
                    !ambiguous && street.is_empty() && d.code == district
                }
                Resolution::Unknown => false,
            };
            e.total += 1;
            e.ambiguous_total += usize::from(ambiguous);
            if ok {
                e.right += 1;
                e.ambiguous_right += usize::from(ambiguous);
            } else {
                e.wrong.push(format!("{text} → {got:?}"));
            }
        }
        Ok(e)
    }
}

/// Whether the words right after a name make it a road's or a bridge's name.
fn is_road(rest: &str) -> bool {
    const ROADS: [&str; 12] = [
        "路", "北路", "南路", "东路", "西路", "中路", "大街", "街", "桥", "大道", "胡同", "环",
    ];
    ROADS.iter().any(|r| rest.starts_with(r))
}

/// A community, village or compound named in the text: the run of CJK characters before
/// 社区 / 小区 / 村 / 家园 / 花园 / 苑.
fn community(text: &str) -> Option<String> {
    const MARKS: [&str; 6] = ["社区", "小区", "家园", "花园", "村", "苑"];
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, _)) in chars.iter().enumerate() {
        let rest = &text[at..];
        if let Some(mark) = MARKS.iter().find(|m| rest.starts_with(**m)) {
            let cjk = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
            let start = chars[..i]
                .iter()
                .rev()
                .take_while(|(_, c)| cjk(*c))
                .take(5)
                .last()
                .map(|(s, _)| *s)?;
            // Drop the words that lead into a place: 我住在阳光小区 → 阳光小区.
            let name = text[start..at].trim_start_matches(|c| "我家住在是的到于就位于".contains(c));
            if name.chars().count() >= 2 {
                return Some(format!("{name}{mark}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
