//! Highlighted HTML for titles and answer excerpts: text escaped, matches in `<mark>…</mark>`.
//!
//! Matching is done on character pairs, so every stretch of two or more characters shared with
//! the query is marked whatever jieba made of it; overlapping and touching pairs merge into one
//! mark ("<mark>医保报销</mark>", not four marks).

use std::collections::BTreeMap;
use std::ops::Range;

use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;

/// Characters of answer shown around the matches, counted in UTF-8 bytes as tantivy does
/// (about 80 Chinese characters).
const SNIPPET_BYTES: usize = 240;

/// Highlights terms in titles and answers for one search.
pub(crate) struct Highlighter {
    terms: BTreeMap<String, f32>,
    analyzer: TextAnalyzer,
}

impl Highlighter {
    /// `terms`: query bigrams with a weight (rarer terms weigh more when choosing the excerpt).
    pub(crate) fn new(terms: BTreeMap<String, f32>, analyzer: TextAnalyzer) -> Self {
        Highlighter { terms, analyzer }
    }

    /// The whole title, escaped, with its matches marked.
    pub(crate) fn title(&self, field: tantivy::schema::Field, title: &str) -> String {
        let generator = SnippetGenerator::new(
            self.terms.clone(),
            self.analyzer.clone(),
            field,
            title.len() + 1,
        );
        let snippet = generator.snippet(title);
        let offset = snippet.fragment_range().start;
        let marks: Vec<Range<usize>> = snippet
            .highlighted()
            .iter()
            .map(|r| r.start + offset..r.end + offset)
            .collect();
        render(title, 0..title.len(), &marks)
    }

    /// The best excerpt of the answer, escaped, with its matches marked; the opening of the
    /// answer when nothing matches.
    pub(crate) fn excerpt(&self, field: tantivy::schema::Field, answer: &str) -> String {
        let generator = SnippetGenerator::new(
            self.terms.clone(),
            self.analyzer.clone(),
            field,
            SNIPPET_BYTES,
        );
        let snippet = generator.snippet(answer);
        if snippet.highlighted().is_empty() {
            let end = floor_char_boundary(answer, SNIPPET_BYTES);
            return render(answer, 0..end, &[]);
        }
        let range = snippet.fragment_range();
        let marks: Vec<Range<usize>> = snippet
            .highlighted()
            .iter()
            .map(|r| r.start + range.start..r.end + range.start)
            .collect();
        render(answer, range, &marks)
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

/// Escapes the five characters that matter in HTML text and attributes.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
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
