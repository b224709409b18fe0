//! The two ways text is cut: jieba words, and overlapping character pairs (bigrams).
//!
//! Both drop punctuation and spaces and lowercase Latin letters. Bigrams catch what jieba cuts
//! differently in a short query and in the text ("医保报销" against "医保报销比例" or
//! "医保的报销"); words keep long messages precise.

use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use tantivy_jieba::JiebaTokenizer;

/// Name under which the word analyzer is registered in the index.
pub(crate) const WORDS: &str = "jiesu_words";
/// Name under which the bigram analyzer is registered in the index.
pub(crate) const BIGRAMS: &str = "jiesu_bigrams";

/// Longest token kept, in bytes (a pasted URL or a long number is noise).
const MAX_TOKEN_BYTES: usize = 48;

/// jieba in search mode (long words also yield their parts), words only, lowercased.
pub(crate) fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(JiebaTokenizer::new())
        .filter(WordsOnly)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .build()
}

/// Overlapping pairs of Chinese characters; Latin words and numbers whole.
pub(crate) fn bigrams_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(Bigrams)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .build()
}

/// Every token `analyzer` makes of `text`, in order.
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// A Han character (CJK unified ideographs and their extensions).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}')
}

/// Drops tokens without a letter or digit (punctuation, spaces).
#[derive(Clone, Copy)]
struct WordsOnly;

impl TokenFilter for WordsOnly {
    type Tokenizer<T: Tokenizer> = WordsOnlyTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> WordsOnlyTokenizer<T> {
        WordsOnlyTokenizer(tokenizer)
    }
}

#[derive(Clone)]
struct WordsOnlyTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for WordsOnlyTokenizer<T> {
    type TokenStream<'a> = WordsOnlyStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        WordsOnlyStream(self.0.token_stream(text))
    }
}

struct WordsOnlyStream<S>(S);

impl<S: TokenStream> TokenStream for WordsOnlyStream<S> {
    fn advance(&mut self) -> bool {
        while self.0.advance() {
            if self.0.token().text.chars().any(char::is_alphanumeric) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// Cuts runs of Han characters into overlapping pairs (a lone character stays whole) and keeps
/// runs of other letters and digits as one token.
#[derive(Clone, Copy)]
struct Bigrams;

impl Tokenizer for Bigrams {
    type TokenStream<'a> = BigramStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BigramStream<'a> {
        BigramStream {
            text,
            cursor: 0,
            token: Token::default(),
            position: 0,
        }
    }
}

struct BigramStream<'a> {
    text: &'a str,
    /// Byte offset where the next token may start.
    cursor: usize,
    token: Token,
    position: usize,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Han,
    Other,
    Skip,
}

fn kind(c: char) -> Kind {
    if is_han(c) {
        Kind::Han
    } else if c.is_alphanumeric() {
        Kind::Other
    } else {
        Kind::Skip
    }
}

impl BigramStream<'_> {
    fn emit(&mut self, from: usize, to: usize) -> bool {
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.position;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        self.position += 1;
        true
    }
}

impl TokenStream for BigramStream<'_> {
    fn advance(&mut self) -> bool {
        let rest = &self.text[self.cursor..];
        let mut chars = rest.char_indices().map(|(i, c)| (self.cursor + i, c));
        // Skip separators.
        let (start, first) = loop {
            match chars.next() {
                None => {
                    self.cursor = self.text.len();
                    return false;
                }
                Some((i, c)) if kind(c) != Kind::Skip => break (i, c),
                Some(_) => {}
            }
        };
        let first_end = start + first.len_utf8();
        match kind(first) {
            Kind::Han => {
                let is_run_start = self.text[..start]
                    .chars()
                    .next_back()
                    .is_none_or(|c| kind(c) != Kind::Han);
                match chars.next() {
                    Some((i, c)) if kind(c) == Kind::Han => {
                        self.cursor = first_end;
                        self.emit(start, i + c.len_utf8())
                    }
                    _ if is_run_start => {
                        // A lone character: index it whole.
                        self.cursor = first_end;
                        self.emit(start, first_end)
                    }
                    _ => {
                        // Last character of a run: already covered by the previous pair.
                        self.cursor = first_end;
                        self.advance()
                    }
                }
            }
            _ => {
                let mut end = first_end;
                for (i, c) in chars {
                    if kind(c) != Kind::Other {
                        break;
                    }
                    end = i + c.len_utf8();
                }
                self.cursor = end;
                self.emit(start, end)
            }
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_pair_han_and_keep_latin_words() {
        let got = tokens(&mut bigrams_analyzer(), "医保报销，停水！Wi-Fi 12345 水");
        assert_eq!(
            got,
            ["医保", "保报", "报销", "停水", "wi", "fi", "12345", "水"]
        );
    }

    #[test]
    fn words_drop_punctuation() {
        let got = tokens(&mut words_analyzer(), "小区停水了，怎么办？");
        assert!(got.contains(&"停水".to_string()), "{got:?}");
        assert!(got.iter().all(|t| t != "，" && t != "？"), "{got:?}");
    }
}
