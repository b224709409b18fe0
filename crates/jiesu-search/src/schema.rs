//! The index layout: one tantivy document per entry.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::entry::IndexedEntry;
use crate::tokenize::{BIGRAMS, WORDS};

/// Written beside the index; a different value means the layout or the tokenizers changed and
/// the index must be rebuilt.
pub(crate) const FORMAT: &str = "jiesu-search index format 2\n";

/// Stored in the region field of entries without a region (they serve the whole city).
pub(crate) const CITY_WIDE: &str = "*";

/// Handles to every field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    pub id: Field,
    pub version: Field,
    pub title: Field,
    pub questions: Field,
    pub answer: Field,
    pub title_bigrams: Field,
    pub questions_bigrams: Field,
    pub answer_bigrams: Field,
    /// Every level of the catalog code: "01", "0103", "010307".
    pub category: Field,
    /// The entry's own division code, or [`CITY_WIDE`].
    pub region: Field,
    /// The entry's division code and the codes of the divisions containing it.
    pub region_within: Field,
    pub status: Field,
    pub updated_at: Field,
    pub uses: Field,
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        version: b.add_u64_field("version", STORED | FAST),
        title: b.add_text_field("title", text(WORDS, true)),
        questions: b.add_text_field("questions", text(WORDS, false)),
        answer: b.add_text_field("answer", text(WORDS, true)),
        title_bigrams: b.add_text_field("title_bigrams", text(BIGRAMS, false)),
        questions_bigrams: b.add_text_field("questions_bigrams", text(BIGRAMS, false)),
        answer_bigrams: b.add_text_field("answer_bigrams", text(BIGRAMS, false)),
        category: b.add_text_field("category", STRING | FAST),
        region: b.add_text_field("region", STRING | FAST),
        region_within: b.add_text_field("region_within", STRING | FAST),
        status: b.add_text_field("status", STRING | FAST),
        updated_at: b.add_i64_field("updated_at", FAST),
        uses: b.add_u64_field("uses", FAST),
    };
    (b.build(), fields)
}

/// The levels of a catalog code, two digits each: "010307" → "01", "0103", "010307".
pub(crate) fn category_levels(code: &str) -> Vec<&str> {
    let mut out: Vec<&str> = (2..code.len())
        .step_by(2)
        .filter_map(|end| code.get(..end))
        .collect();
    out.push(code);
    out
}

/// A division code and the codes containing it (province 2, city 4, district 6, street 9,
/// community 12 digits): "110108007" → "11", "1101", "110108", "110108007".
pub(crate) fn region_levels(code: &str) -> Vec<&str> {
    let mut out: Vec<&str> = [2, 4, 6, 9]
        .into_iter()
        .filter(|&end| end < code.len())
        .filter_map(|end| code.get(..end))
        .collect();
    out.push(code);
    out
}

impl Fields {
    pub(crate) fn document(&self, entry: &IndexedEntry) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, &entry.id);
        doc.add_u64(self.version, u64::from(entry.version));
        doc.add_text(self.title, &entry.title);
        doc.add_text(self.title_bigrams, &entry.title);
        for phrasing in entry.questions.iter().chain(&entry.tags) {
            doc.add_text(self.questions, phrasing);
            doc.add_text(self.questions_bigrams, phrasing);
        }
        doc.add_text(self.answer, &entry.answer);
        doc.add_text(self.answer_bigrams, &entry.answer);
        if let Some(code) = entry.category_code.as_deref().map(str::trim)
            && !code.is_empty()
        {
            for level in category_levels(code) {
                doc.add_text(self.category, level);
            }
        }
        match entry.region_code.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => {
                doc.add_text(self.region, code);
                for level in region_levels(code) {
                    doc.add_text(self.region_within, level);
                }
            }
            _ => doc.add_text(self.region, CITY_WIDE),
        }
        doc.add_text(self.status, entry.status.as_str());
        doc.add_i64(self.updated_at, entry.updated_at.timestamp());
        doc.add_u64(self.uses, entry.uses);
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(category_levels("010307"), ["01", "0103", "010307"]);
        assert_eq!(category_levels("01"), ["01"]);
        assert_eq!(
            region_levels("110108007"),
            ["11", "1101", "110108", "110108007"]
        );
        assert_eq!(region_levels("110108"), ["11", "1101", "110108"]);
    }
}
