//! Highlighted HTML for titles and answer excerpts: text escaped, matches in `<mark>…</mark>`.
//!
//! Matching is done on character pairs, so every stretch of two or more characters shared with
//! the query is marked whatever jieba made of it; overlapping and touching pairs merge into one
//! mark ("<mark>医保报销</mark>", not three marks). We do not use tantivy's `SnippetGenerator`:
//! it re-tokenizes the whole answer and allocates for every token, which showed in the p99 of
//! searches over long answers.

use jiesu_core::report::escape_html_into as escape_into;
use std::collections::HashMap;
use std::ops::Range;

use crate::tokenize::is_han;

/// Characters of answer shown around the matches, in UTF-8 bytes (about 80 Chinese
/// characters).
const SNIPPET_BYTES: usize = 240;

/// Highlights query terms in titles and answers for one search. It scans the text once with
/// no allocation per character, so long answers cost little.
pub(crate) struct Highlighter {
    /// Query pairs (and Latin words, lowercased) with a weight: rarer terms weigh more when
    /// choosing the excerpt.
    terms: HashMap<String, f32>,
    /// A bit for each term's first character (its code modulo 256): a character whose bit is
    /// clear starts no term, so most characters of a long answer are passed over without
    /// hashing.
    starts: [u64; 4],
    /// Whether any term is not Chinese (a Latin word, a number).
    has_other: bool,
}

fn start_bit(c: char) -> (usize, u64) {
    let code = u32::from(c) & 255;
    ((code >> 6) as usize, 1 << (code & 63))
}

impl Highlighter {
    pub(crate) fn new(terms: HashMap<String, f32>) -> Self {
        let mut starts = [0u64; 4];
        let mut has_other = false;
        for term in terms.keys() {
            if let Some(c) = term.chars().next() {
                let (word, bit) = start_bit(c);
                starts[word] |= bit;
                has_other |= !is_han(c);
            }
        }
        Highlighter {
            terms,
            starts,
            has_other,
        }
    }

    fn may_start(&self, c: char) -> bool {
        let (word, bit) = start_bit(c);
        self.starts[word] & bit != 0
    }

    /// Byte ranges of `text` holding a query term, with their weights, in order.
    fn matches(&self, text: &str) -> Vec<(Range<usize>, f32)> {
        let mut out = Vec::new();
        let mut chars = text.char_indices().peekable();
        let mut lower = String::new();
        while let Some((i, c)) = chars.next() {
            if is_han(c) {
                if !self.may_start(c) {
                    continue;
                }
                if let Some(&(j, next)) = chars.peek()
                    && is_han(next)
                {
                    let end = j + next.len_utf8();
                    if let Some(&w) = self.terms.get(&text[i..end]) {
                        out.push((i..end, w));
                    }
                } else if let Some(&w) = self.terms.get(&text[i..i + c.len_utf8()]) {
                    out.push((i..i + c.len_utf8(), w));
                }
            } else if self.has_other && c.is_alphanumeric() {
                let mut end = i + c.len_utf8();
                while let Some(&(j, next)) = chars.peek() {
                    if is_han(next) || !next.is_alphanumeric() {
                        break;
                    }
                    end = j + next.len_utf8();
                    chars.next();
                }
                let word = &text[i..end];
                let weight = if word.chars().any(char::is_uppercase) {
                    lower.clear();
                    lower.extend(word.chars().flat_map(char::to_lowercase));
                    self.terms.get(&lower)
                } else {
                    self.terms.get(word)
                };
                if let Some(&w) = weight {
                    out.push((i..end, w));
                }
            }
        }
        out
    }

    /// The whole title, escaped, with its matches marked.
    pub(crate) fn title(&self, title: &str) -> String {
        let marks: Vec<Range<usize>> = self.matches(title).into_iter().map(|(r, _)| r).collect();
        render(title, 0..title.len(), &marks)
    }

    /// The best excerpt of the answer (the window of [`SNIPPET_BYTES`] holding the most
    /// weight of matches), escaped, with its matches marked; the opening of the answer when
    /// nothing matches.
    pub(crate) fn excerpt(&self, answer: &str) -> String {
        let matches = self.matches(answer);
        if answer.len() <= SNIPPET_BYTES {
            let marks: Vec<Range<usize>> = matches.into_iter().map(|(r, _)| r).collect();
            return render(answer, 0..answer.len(), &marks);
        }
        if matches.is_empty() {
            return render(answer, 0..floor_char_boundary(answer, SNIPPET_BYTES), &[]);
        }
        // Sliding window over the matches: the best run starting at a match.
        let (mut best, mut best_weight, mut sum, mut last) = (0, f32::MIN, 0.0f32, 0);
        for first in 0..matches.len() {
            let limit = matches[first].0.start + SNIPPET_BYTES;
            while last < matches.len() && matches[last].0.end <= limit {
                sum += matches[last].1;
                last += 1;
            }
            if sum > best_weight {
                best_weight = sum;
                best = first;
            }
            if last > first {
                sum -= matches[first].1;
            } else {
                last = first + 1;
            }
        }
        // Start a little before the first match, on a character boundary.
        let first = matches[best].0.start;
        let start = floor_char_boundary(answer, first.saturating_sub(SNIPPET_BYTES / 8));
        let end = floor_char_boundary(answer, (start + SNIPPET_BYTES).min(answer.len()));
        let marks: Vec<Range<usize>> = matches
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| r.start >= start && r.end <= end)
            .collect();
        render(answer, start..end, &marks)
    }
}

fn floor_char_boundary(text: &str, max: usize) -> usize {
    if text.len() <= max {
        return text.len();
    }
    (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// `text[range]` as HTML with `marks` (byte ranges into `text`) wrapped in `<mark>`, and `…` at
/// either end where the range cuts the text.
pub(crate) fn render(text: &str, range: Range<usize>, marks: &[Range<usize>]) -> String {
    let mut marks: Vec<Range<usize>> = marks
        .iter()
        .filter(|m| m.start < m.end && m.start >= range.start && m.end <= range.end)
        .cloned()
        .collect();
    marks.sort_by_key(|m| (m.start, m.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(marks.len());
    for m in marks {
        match merged.last_mut() {
            Some(last) if m.start <= last.end => last.end = last.end.max(m.end),
            _ => merged.push(m),
        }
    }
    let mut html = String::with_capacity(range.len() + 16 * merged.len() + 8);
    if range.start > 0 {
        html.push('…');
    }
    let mut at = range.start;
    for m in merged {
        escape_into(&mut html, &text[at..m.start]);
        html.push_str("<mark>");
        escape_into(&mut html, &text[m.clone()]);
        html.push_str("</mark>");
        at = m.end;
    }
    escape_into(&mut html, &text[at..range.end]);
    if range.end < text.len() {
        html.push('…');
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_merges_and_escapes() {
        let text = "a<b>医保报销c";
        let start = text.find('医').unwrap_or(0);
        let marks = [
            start..start + 6,
            start + 3..start + 9,
            start + 6..start + 12,
        ];
        assert_eq!(
            render(text, 0..text.len(), &marks),
            "a&lt;b&gt;<mark>医保报销</mark>c"
        );
        assert_eq!(render("abc", 1..2, &[]), "…b…");
    }
}
