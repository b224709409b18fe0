//! 知识库 the knowledge base: entries (口径), their versions, what may change them, and the
//! missing answers agents file when nothing fits.
//!
//! Every change to an entry makes a new version holding the whole entry as it then stood, so
//! any version can be shown and two versions compared ([`diff`]). [`apply`] is the one place
//! that decides whether a change is allowed; storage only records what it returns.

use crate::directory::Directory;
use crate::ticket::{MAX_CONTENT, MAX_SHORT};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// Most other phrasings of one entry.
pub const MAX_QUESTIONS: usize = 50;
/// Most tags of one entry.
pub const MAX_TAGS: usize = 20;

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 新闻发布会 a press conference.
    PressConference,
    /// 官方媒体 official media.
    OfficialMedia,
    /// A department's own answer (a unit's reply to a citizen, a policy document).
    Department,
    /// Written to fill a missing answer collected from calls.
    MissingAnswer,
    /// Anything else.
    #[default]
    Other,
}

/// Where an entry is in its life. Only active entries are read out by agents, the answer bot
/// and the IVR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Being written; not yet answered from.
    Draft,
    /// In force.
    Active,
    /// 下线 withdrawn; kept with its history.
    Retired,
}

impl EntryStatus {
    /// The identifier used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Draft => "draft",
            EntryStatus::Active => "active",
            EntryStatus::Retired => "retired",
        }
    }

    /// Parses the API identifier.
    pub fn parse(s: &str) -> Option<EntryStatus> {
        [
            EntryStatus::Draft,
            EntryStatus::Active,
            EntryStatus::Retired,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 口径 what an editor writes: the official answer and what it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryContent {
    /// Short title, usually the question as callers put it.
    pub title: String,
    /// Other phrasings of the question.
    #[serde(default)]
    pub questions: Vec<String>,
    /// The answer the agent reads out.
    pub answer: String,
    /// Catalog code (any level) the entry belongs to.
    #[serde(default)]
    pub category_code: Option<String>,
    /// Division code (district or street) it applies to; city-wide when absent.
    #[serde(default)]
    pub region_code: Option<String>,
    /// Where the answer came from.
    #[serde(default)]
    pub source: Source,
    /// First day it may be read out (China time).
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Last day it may be read out (China time).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Why a knowledge-base change was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KnowledgeError {
    /// A field is missing or wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, in API spelling.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The entry's status does not allow the change.
    #[error("an entry that is {status} cannot be {change}")]
    NotAllowed {
        /// Current status.
        status: EntryStatus,
        /// The refused change.
        change: EntryChange,
    },
    /// The change was made against an older version.
    #[error("the entry is at version {current}, not {expected}: reload it and try again")]
    Stale {
        /// The version the editor saw.
        expected: u32,
        /// The version stored.
        current: u32,
    },
}

fn invalid(field: &str, message: impl Into<String>) -> KnowledgeError {
    KnowledgeError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

fn check_text(field: &str, text: &str, max: usize) -> Result<String, KnowledgeError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    Ok(t.to_string())
}

fn check_list(
    field: &str,
    items: &[String],
    max_items: usize,
) -> Result<Vec<String>, KnowledgeError> {
    if items.len() > max_items {
        return Err(invalid(field, format!("at most {max_items} items")));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let t = check_text(&format!("{field}[{i}]"), item, MAX_SHORT)?;
        if seen.insert(t.clone()) {
            out.push(t);
        }
    }
    Ok(out)
}

impl EntryContent {
    /// Checks every field (and the codes against the directory); returns the trimmed content
    /// with repeated phrasings and tags removed.
    pub fn validate(self, dir: &dyn Directory) -> Result<EntryContent, KnowledgeError> {
        let category_code = match self.category_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) if dir.catalog(code).is_some() => Some(code.to_string()),
            Some(code) => return Err(invalid("category_code", format!("no category {code}"))),
        };
        let region_code = match self.region_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) if dir.division(code).is_some() => Some(code.to_string()),
            Some(code) => return Err(invalid("region_code", format!("no division {code}"))),
        };
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until)
            && until < from
        {
            return Err(invalid("valid_until", "must not be before valid_from"));
        }
        Ok(EntryContent {
            title: check_text("title", &self.title, MAX_SHORT)?,
            questions: check_list("questions", &self.questions, MAX_QUESTIONS)?,
            answer: check_text("answer", &self.answer, MAX_CONTENT)?,
            category_code,
            region_code,
            source: self.source,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            tags: check_list("tags", &self.tags, MAX_TAGS)?,
        })
    }

    /// The title and every other phrasing.
    pub fn phrasings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.title.as_str()).chain(self.questions.iter().map(String::as_str))
    }
}

/// What happened to an entry in one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryChange {
    /// 新增 written (as a draft or straight into force).
    Created,
    /// 更新 its content changed.
    Updated,
    /// A draft put in force.
    Published,
    /// 下线 withdrawn.
    Retired,
    /// A retired entry put back in force.
    Reactivated,
}

impl EntryChange {
    /// Every change, in a stable order.
    pub const ALL: [EntryChange; 5] = [
        EntryChange::Created,
        EntryChange::Updated,
        EntryChange::Published,
        EntryChange::Retired,
        EntryChange::Reactivated,
    ];

    /// The identifier used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryChange::Created => "created",
            EntryChange::Updated => "updated",
            EntryChange::Published => "published",
            EntryChange::Retired => "retired",
            EntryChange::Reactivated => "reactivated",
        }
    }
}

impl fmt::Display for EntryChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry as it stands in one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Id (`KB` and a number).
    pub id: String,
    /// Version, from 1; every change adds one.
    pub version: u32,
    /// Where it is in its life.
    pub status: EntryStatus,
    /// What it says.
    #[serde(flatten)]
    pub content: EntryContent,
    /// What the last change was.
    pub change: EntryChange,
    /// When the last change was made.
    pub changed_at: DateTime<Utc>,
    /// Who made it.
    pub changed_by: String,
    /// Why, when the editor said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Entry {
    /// A new entry, version 1, as a draft or straight in force.
    pub fn create(
        id: String,
        content: EntryContent,
        publish: bool,
        at: DateTime<Utc>,
        by: &str,
    ) -> Entry {
        Entry {
            id,
            version: 1,
            status: if publish {
                EntryStatus::Active
            } else {
                EntryStatus::Draft
            },
            content,
            change: EntryChange::Created,
            changed_at: at,
            changed_by: by.to_string(),
            note: None,
        }
    }

    /// Whether it may be read out on `day` (China time): active and within its validity.
    pub fn is_answerable(&self, day: NaiveDate) -> bool {
        self.status == EntryStatus::Active
            && self.content.valid_from.is_none_or(|from| from <= day)
            && self.content.valid_until.is_none_or(|until| day <= until)
    }
}

/// A change an editor asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryAction {
    /// New content (a retired entry must be reactivated first).
    Update(EntryContent),
    /// Put a draft in force.
    Publish,
    /// Withdraw.
    Retire,
    /// Put a retired entry back in force.
    Reactivate,
}

impl EntryAction {
    /// The change it makes.
    pub fn change(&self) -> EntryChange {
        match self {
            EntryAction::Update(_) => EntryChange::Updated,
            EntryAction::Publish => EntryChange::Published,
            EntryAction::Retire => EntryChange::Retired,
            EntryAction::Reactivate => EntryChange::Reactivated,
        }
    }
}

/// Decides a change: the next version of the entry, or why not. `expected_version`, when
/// given, must be the current version (an editor saving over someone else's change is told
/// to reload).
pub fn apply(
    entry: &Entry,
    action: EntryAction,
    expected_version: Option<u32>,
    note: Option<String>,
    at: DateTime<Utc>,
    by: &str,
) -> Result<Entry, KnowledgeError> {
    if let Some(expected) = expected_version
        && expected != entry.version
    {
        return Err(KnowledgeError::Stale {
            expected,
            current: entry.version,
        });
    }
    let change = action.change();
    let allowed = matches!(
        (entry.status, &action),
        (
            EntryStatus::Draft | EntryStatus::Active,
            EntryAction::Update(_)
        ) | (EntryStatus::Draft, EntryAction::Publish)
            | (
                EntryStatus::Draft | EntryStatus::Active,
                EntryAction::Retire
            )
            | (EntryStatus::Retired, EntryAction::Reactivate)
    );
    if !allowed {
        return Err(KnowledgeError::NotAllowed {
            status: entry.status,
            change,
        });
    }
    let note = match note.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(check_text("note", n, MAX_SHORT)?),
    };
    let mut next = entry.clone();
    next.version += 1;
    next.change = change;
    next.changed_at = at;
    next.changed_by = by.to_string();
    next.note = note;
    match action {
        EntryAction::Update(content) => {
            if content == entry.content {
                return Err(invalid("answer", "nothing changed"));
            }
            next.content = content;
        }
        EntryAction::Publish | EntryAction::Reactivate => next.status = EntryStatus::Active,
        EntryAction::Retire => next.status = EntryStatus::Retired,
    }
    Ok(next)
}

/// One field that differs between two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// The field, in API spelling.
    pub field: &'static str,
    /// Its value in the older version.
    pub before: serde_json::Value,
    /// Its value in the newer version.
    pub after: serde_json::Value,
}

/// What differs between two versions of an entry, field by field (status included).
pub fn diff(older: &Entry, newer: &Entry) -> Vec<FieldChange> {
    use serde_json::json;
    let (a, b) = (&older.content, &newer.content);
    let pairs = [
        ("status", json!(older.status), json!(newer.status)),
        ("title", json!(a.title), json!(b.title)),
        ("questions", json!(a.questions), json!(b.questions)),
        ("answer", json!(a.answer), json!(b.answer)),
        (
            "category_code",
            json!(a.category_code),
            json!(b.category_code),
        ),
        ("region_code", json!(a.region_code), json!(b.region_code)),
        ("source", json!(a.source), json!(b.source)),
        ("valid_from", json!(a.valid_from), json!(b.valid_from)),
        ("valid_until", json!(a.valid_until), json!(b.valid_until)),
        ("tags", json!(a.tags), json!(b.tags)),
    ];
    pairs
        .into_iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| FieldChange {
            field,
            before,
            after,
        })
        .collect()
}

/// The characters that matter when comparing questions: letters and digits, lower-cased,
/// full-width forms folded to ASCII; punctuation and spaces dropped.
pub fn normalize_question(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn bigrams(normalized: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = normalized.chars().collect();
    if chars.len() == 1 {
        return HashSet::from([(chars[0], ' ')]);
    }
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// How closely two texts share their character pairs: Dice's coefficient over character
/// bigrams of the normalized texts, 0 (nothing shared) to 1 (the same).
pub fn text_similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (
        bigrams(&normalize_question(a)),
        bigrams(&normalize_question(b)),
    );
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(&b).count();
    2.0 * shared as f32 / (a.len() + b.len()) as f32
}

/// 缺失口径 two callers asked the same question when their words are this similar.
pub const SAME_QUESTION: f32 = 0.6;

/// How well an entry answers a question, 0 to 1: the best phrasing's score, which is the mean
/// of how much of the phrasing the question covers and how similar the two are overall
/// (character bigrams). A long question that contains an entry's whole title scores about
/// one half; a rephrasing with other words scores low.
pub fn answer_confidence<'a>(question: &str, phrasings: impl Iterator<Item = &'a str>) -> f32 {
    let q = bigrams(&normalize_question(question));
    if q.is_empty() {
        return 0.0;
    }
    phrasings
        .map(|p| {
            let p = bigrams(&normalize_question(p));
            if p.is_empty() {
                return 0.0;
            }
            let shared = q.intersection(&p).count() as f32;
            let covered = shared / p.len() as f32;
            let dice = 2.0 * shared / (q.len() + p.len()) as f32;
            (covered + dice) / 2.0
        })
        .fold(0.0, f32::max)
}

/// 缺失口径 a question the knowledge base could not answer, with how many asked it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingAnswer {
    /// Id.
    pub id: i64,
    /// The question as first filed.
    pub question: String,
    /// How many times it was filed.
    pub asked: u32,
    /// When first filed.
    pub first_asked_at: DateTime<Utc>,
    /// When last filed.
    pub last_asked_at: DateTime<Utc>,
    /// Catalog code, when the agent gave one.
    #[serde(default)]
    pub category_code: Option<String>,
    /// The entry written for it, once closed.
    #[serde(default)]
    pub entry_id: Option<String>,
    /// Who closed it and when.
    #[serde(default)]
    pub closed_by: Option<String>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

/// The open missing answer a newly filed question belongs to: the most similar one at or
/// above [`SAME_QUESTION`], if any.
pub fn group_question<'a>(
    question: &str,
    open: impl IntoIterator<Item = &'a MissingAnswer>,
) -> Option<&'a MissingAnswer> {
    open.into_iter()
        .filter(|m| m.closed_at.is_none())
        .map(|m| (text_similarity(question, &m.question), m))
        .filter(|(s, _)| *s >= SAME_QUESTION)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::MemoryDirectory;
    use crate::reference::{CatalogNode, Division, DivisionLevel};

    fn dir() -> MemoryDirectory {
        MemoryDirectory::new(
            vec![],
            vec![CatalogNode {
                code: "01".into(),
                name: "城乡建设".into(),
                level: 1,
                parent_code: None,
                default_unit: None,
            }],
            vec![Division {
                code: "110108".into(),
                name: "海淀区".into(),
                level: DivisionLevel::District,
                parent_code: None,
            }],
        )
    }

    fn content(title: &str, answer: &str) -> EntryContent {
        EntryContent {
            title: title.into(),
            questions: vec![],
            answer: answer.into(),
            category_code: None,
            region_code: None,
            source: Source::Other,
            valid_from: None,
            valid_until: None,
            tags: vec![],
        }
    }

    fn at(h: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 23, h, 0, 0).unwrap()
    }

    #[test]
    fn validation_names_the_field_and_trims() {
        let d = dir();
        let mut c = content("  医保报销  ", "带身份证到区医保中心办理。");
        c.questions = vec!["怎么报销".into(), "怎么报销".into()];
        let ok = c.clone().validate(&d).unwrap();
        assert_eq!(ok.title, "医保报销");
        assert_eq!(ok.questions, vec!["怎么报销"]);
        let cases = [
            (content("", "x"), "title"),
            (content("t", " "), "answer"),
            (
                EntryContent {
                    category_code: Some("99".into()),
                    ..content("t", "a")
                },
                "category_code",
            ),
            (
                EntryContent {
                    region_code: Some("999999".into()),
                    ..content("t", "a")
                },
                "region_code",
            ),
            (
                EntryContent {
                    questions: vec!["".into()],
                    ..content("t", "a")
                },
                "questions[0]",
            ),
            (
                EntryContent {
                    valid_from: NaiveDate::from_ymd_opt(2026, 12, 1),
                    valid_until: NaiveDate::from_ymd_opt(2026, 11, 1),
                    ..content("t", "a")
                },
                "valid_until",
            ),
        ];
        for (c, field) in cases {
            match c.validate(&d) {
                Err(KnowledgeError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_life_of_an_entry() {
        let e = Entry::create(
            "KB1".into(),
            content("停水", "明日恢复"),
            false,
            at(1),
            "ed",
        );
        assert_eq!(e.status, EntryStatus::Draft);
        assert!(!e.is_answerable(at(1).date_naive()));
        let e2 = apply(&e, EntryAction::Publish, Some(1), None, at(2), "ed").unwrap();
        assert_eq!((e2.version, e2.status), (2, EntryStatus::Active));
        assert!(e2.is_answerable(at(2).date_naive()));
        // Saving over a newer version is refused.
        let stale = apply(
            &e2,
            EntryAction::Update(content("停水", "后日恢复")),
            Some(1),
            None,
            at(3),
            "ed",
        );
        assert_eq!(
            stale,
            Err(KnowledgeError::Stale {
                expected: 1,
                current: 2
            })
        );
        let e3 = apply(
            &e2,
            EntryAction::Update(content("停水", "后日恢复")),
            Some(2),
            Some("通知更新".into()),
            at(3),
            "ed",
        )
        .unwrap();
        let changes = diff(&e2, &e3);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "answer");
        let e4 = apply(&e3, EntryAction::Retire, None, None, at(4), "ed").unwrap();
        assert!(!e4.is_answerable(at(4).date_naive()));
        // A retired entry is not edited; it is reactivated first.
        assert!(matches!(
            apply(
                &e4,
                EntryAction::Update(content("x", "y")),
                None,
                None,
                at(5),
                "ed"
            ),
            Err(KnowledgeError::NotAllowed { .. })
        ));
        let e5 = apply(&e4, EntryAction::Reactivate, None, None, at(5), "ed").unwrap();
        assert_eq!((e5.version, e5.status), (5, EntryStatus::Active));
        assert_eq!(diff(&e4, &e5)[0].field, "status");
    }

    #[test]
    fn validity_dates_bound_answering() {
        let mut c = content("冬季供暖", "11月15日开始");
        c.valid_from = NaiveDate::from_ymd_opt(2026, 11, 1);
        c.valid_until = NaiveDate::from_ymd_opt(2026, 11, 30);
        let e = Entry::create("KB2".into(), c, true, at(1), "ed");
        assert!(e.is_answerable(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()));
        assert!(!e.is_answerable(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
        assert!(!e.is_answerable(NaiveDate::from_ymd_opt(2026, 10, 31).unwrap()));
    }

    #[test]
    fn the_same_question_in_other_punctuation_groups() {
        let open = [MissingAnswer {
            id: 7,
            question: "新冠疫苗第四针在哪里打？".into(),
            asked: 3,
            first_asked_at: at(1),
            last_asked_at: at(2),
            category_code: None,
            entry_id: None,
            closed_by: None,
            closed_at: None,
        }];
        assert_eq!(
            group_question("新冠疫苗第四针在哪里打", &open).map(|m| m.id),
            Some(7)
        );
        assert_eq!(
            group_question("请问新冠疫苗第四针在哪里打啊", &open).map(|m| m.id),
            Some(7)
        );
        assert_eq!(group_question("小区停车费怎么收", &open), None);
    }

    #[test]
    fn confidence_is_high_for_the_question_and_low_for_other_words() {
        let c = content("公积金提取需要什么材料", "身份证、银行卡……");
        let exact = answer_confidence("公积金提取需要什么材料？", c.phrasings());
        let related = answer_confidence("我想问一下公积金提取要带什么", c.phrasings());
        let unrelated = answer_confidence("楼下饭店油烟太大", c.phrasings());
        assert!(exact > 0.95, "{exact}");
        assert!(related > unrelated && related < exact, "{related}");
        assert!(unrelated < 0.1, "{unrelated}");
    }
}
