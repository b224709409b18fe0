//! The real data the generated load imitates: citizen messages (their category labels, titles
//! and texts) and the shape of how requests spread over a city's neighbourhoods.
//!
//! Nothing here reads files: the caller passes the CSV text in.

use crate::GenError;
use serde::Deserialize;
use std::collections::HashMap;

/// One real citizen message with its first-level category label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The catalog's level-1 name the message was labelled with (`城乡建设`).
    pub label: String,
    /// Its title.
    pub title: String,
    /// Its text.
    pub detail: String,
}

/// The real data a [`crate::Generator`] draws from.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// Labelled messages: the category mix and the texts.
    pub messages: Vec<Message>,
    /// Requests per neighbourhood of a real 311 service, largest first: the rank-size shape
    /// given to the city's streets.
    pub neighbourhood_counts: Vec<u32>,
}

#[derive(Deserialize)]
struct LabelledRow {
    title: String,
    detail: String,
    label: String,
}

#[derive(Deserialize)]
struct BaltimoreRow {
    #[serde(rename = "Neighborhood")]
    neighbourhood: Option<String>,
}

impl Source {
    /// Reads the labelled messages (`id,title,time,detail,label`, TipDM 2020 C attachment 2)
    /// and the 311 requests (Baltimore sample, column `Neighborhood`). Rows without a label or
    /// a neighbourhood are skipped.
    pub fn from_csv(labelled: &str, requests_311: &str) -> Result<Source, GenError> {
        let mut messages = Vec::new();
        for row in csv::Reader::from_reader(labelled.as_bytes()).deserialize() {
            let row: LabelledRow = row.map_err(|e| GenError::Source(e.to_string()))?;
            let label = row.label.trim().to_string();
            if label.is_empty() || row.detail.trim().is_empty() {
                continue;
            }
            messages.push(Message {
                label,
                title: row.title.trim().to_string(),
                detail: row.detail.trim().to_string(),
            });
        }
        let mut counts: HashMap<String, u32> = HashMap::new();
        for row in csv::Reader::from_reader(requests_311.as_bytes()).deserialize() {
            let row: BaltimoreRow = row.map_err(|e| GenError::Source(e.to_string()))?;
            if let Some(n) = row.neighbourhood.filter(|n| !n.trim().is_empty()) {
                *counts.entry(n).or_default() += 1;
            }
        }
        let mut neighbourhood_counts: Vec<u32> = counts.into_values().collect();
        neighbourhood_counts.sort_unstable_by(|a, b| b.cmp(a));
        if messages.is_empty() {
            return Err(GenError::Source("no labelled messages".into()));
        }
        if neighbourhood_counts.is_empty() {
            return Err(GenError::Source(
                "no 311 requests with a neighbourhood".into(),
            ));
        }
        Ok(Source {
            messages,
            neighbourhood_counts,
        })
    }
}

/// Rewrites the anonymised places of a message (`A市`, `A3区`, `西地省`) to the generated
/// district, so that its text agrees with the street the order is filed under.
pub(crate) fn rewrite_places(text: &str, city: &str, district: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_uppercase() {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            match chars.get(j) {
                Some('区' | '县') if j > i + 1 => {
                    out.push_str(district);
                    i = j + 1;
                    continue;
                }
                Some('市') if j == i + 1 => {
                    out.push_str(city);
                    i = j + 1;
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
        i += 1;
    }
    out.replace("西地省", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_become_the_generated_district() {
        assert_eq!(
            rewrite_places("A市A3区大道占道施工", "北京市", "海淀区"),
            "北京市海淀区大道占道施工"
        );
        assert_eq!(
            rewrite_places("西地省E市ABC", "北京市", "东城区"),
            "北京市ABC"
        );
    }
}
