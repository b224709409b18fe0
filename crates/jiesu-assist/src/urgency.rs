//! 紧急程度 urgency: life-and-safety requests spotted by rules, with the words that matched.
//!
//! The rules follow the reports' urgent categories: life and safety, medical emergencies,
//! children and the elderly at risk, fire, gas, people trapped, red or yellow health codes,
//! fever and close contacts. A cue preceded by a negation (`没有燃气味`) does not count.

use aho_corasick::{AhoCorasick, MatchKind};
use jiesu_core::Urgency;
use serde::Serialize;

/// Why a request is urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// 生命安全: someone may die or be hurt.
    LifeAndSafety,
    /// 医疗急救: a medical emergency.
    Medical,
    /// 老幼安全: a child or an elderly person at risk.
    VulnerablePerson,
    /// 火灾: fire or smoke.
    Fire,
    /// 燃气: a gas leak.
    Gas,
    /// 被困: people trapped.
    Trapped,
    /// 健康码 / 发热 / 密接: the epidemic's urgent cases.
    Epidemic,
}

impl Reason {
    /// The reason in Chinese, as an agent reads it.
    pub fn label(self) -> &'static str {
        match self {
            Reason::LifeAndSafety => "生命安全",
            Reason::Medical => "医疗急救",
            Reason::VulnerablePerson => "老幼安全",
            Reason::Fire => "火灾",
            Reason::Gas => "燃气泄漏",
            Reason::Trapped => "人员被困",
            Reason::Epidemic => "健康码、发热或密接",
        }
    }
}

/// The rules: each cue and what it means.
const CUES: &[(&str, Reason)] = &[
    ("自杀", Reason::LifeAndSafety),
    ("轻生", Reason::LifeAndSafety),
    ("跳楼", Reason::LifeAndSafety),
    ("生命危险", Reason::LifeAndSafety),
    ("有人受伤", Reason::LifeAndSafety),
    ("砸伤", Reason::LifeAndSafety),
    ("触电", Reason::LifeAndSafety),
    ("坍塌", Reason::LifeAndSafety),
    ("塌方", Reason::LifeAndSafety),
    ("溺水", Reason::LifeAndSafety),
    ("打架", Reason::LifeAndSafety),
    ("持刀", Reason::LifeAndSafety),
    ("昏迷", Reason::Medical),
    ("晕倒", Reason::Medical),
    ("休克", Reason::Medical),
    ("心脏病发", Reason::Medical),
    ("呼吸困难", Reason::Medical),
    ("急救", Reason::Medical),
    ("大出血", Reason::Medical),
    ("孕妇", Reason::Medical),
    ("透析", Reason::Medical),
    ("化疗", Reason::Medical),
    ("急需用药", Reason::Medical),
    ("孩子走失", Reason::VulnerablePerson),
    ("儿童走失", Reason::VulnerablePerson),
    ("老人走失", Reason::VulnerablePerson),
    ("独居老人", Reason::VulnerablePerson),
    ("无人照看", Reason::VulnerablePerson),
    ("无人照料", Reason::VulnerablePerson),
    ("孩子被锁", Reason::VulnerablePerson),
    ("着火", Reason::Fire),
    ("起火", Reason::Fire),
    ("火灾", Reason::Fire),
    ("失火", Reason::Fire),
    ("冒烟", Reason::Fire),
    ("燃气泄漏", Reason::Gas),
    ("燃气味", Reason::Gas),
    ("煤气味", Reason::Gas),
    ("煤气泄漏", Reason::Gas),
    ("天然气泄漏", Reason::Gas),
    ("天然气味", Reason::Gas),
    ("被困", Reason::Trapped),
    ("困在电梯", Reason::Trapped),
    ("电梯困人", Reason::Trapped),
    ("关在电梯", Reason::Trapped),
    ("红码", Reason::Epidemic),
    ("黄码", Reason::Epidemic),
    ("健康码变红", Reason::Epidemic),
    ("健康码变黄", Reason::Epidemic),
    ("密接", Reason::Epidemic),
    ("密切接触者", Reason::Epidemic),
    ("发烧", Reason::Epidemic),
    ("发热", Reason::Epidemic),
];

/// Words that, just before a cue, deny it.
const NEGATIONS: [&str; 6] = ["没有", "没", "无", "不是", "并非", "未"];

/// A cue found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cue {
    /// The words.
    pub text: &'static str,
    /// What they mean.
    pub reason: Reason,
    /// Byte offset.
    pub start: usize,
}

/// The urgency proposed, with the cues that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// Urgent when any cue stands.
    pub urgency: Urgency,
    /// The cues, in order of appearance.
    pub cues: Vec<Cue>,
}

impl Assessment {
    /// The distinct reasons, in order, in Chinese: what the agent sees.
    pub fn reasons(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for c in &self.cues {
            if !out.contains(&c.reason.label()) {
                out.push(c.reason.label());
            }
        }
        out
    }
}

/// The urgency rules, compiled once.
pub struct Rules {
    matcher: AhoCorasick,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::new()
    }
}

impl Rules {
    /// Compiles the rules.
    pub fn new() -> Rules {
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(CUES.iter().map(|(w, _)| w))
            .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("empty matcher"));
        Rules { matcher }
    }

    /// Assesses a citizen's words.
    pub fn assess(&self, text: &str) -> Assessment {
        let cues: Vec<Cue> = self
            .matcher
            .find_iter(text)
            .filter(|m| {
                let before = &text[..m.start()];
                !NEGATIONS.iter().any(|n| before.ends_with(n))
            })
            .map(|m| {
                let (word, reason) = CUES[m.pattern().as_usize()];
                Cue {
                    text: word,
                    reason,
                    start: m.start(),
                }
            })
            .collect();
        Assessment {
            urgency: if cues.is_empty() {
                Urgency::Normal
            } else {
                Urgency::Urgent
            },
            cues,
        }
    }
}

/// Assesses with rules compiled for the call (keep a [`Rules`] to assess many texts).
pub fn assess(text: &str) -> Assessment {
    Rules::new().assess(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn life_and_safety_cues_make_it_urgent_with_reasons() {
        let a = assess("楼道里燃气味很重，老人晕倒了");
        assert_eq!(a.urgency, Urgency::Urgent);
        assert_eq!(a.reasons(), ["燃气泄漏", "医疗急救"]);
        assert_eq!(a.cues[0].text, "燃气味");
        let a = assess("我被困在电梯里了");
        assert_eq!(a.reasons(), ["人员被困"]);
        let a = assess("健康码变红了，急需出门就医");
        assert_eq!(a.reasons(), ["健康码、发热或密接"]);
    }

    #[test]
    fn ordinary_requests_and_denied_cues_stay_normal() {
        assert_eq!(assess("小区路灯不亮已经一周").urgency, Urgency::Normal);
        assert_eq!(assess("检查过了，没有燃气味").urgency, Urgency::Normal);
        assert_eq!(assess("不是火灾，只是烧烤的烟").urgency, Urgency::Normal);
    }
}
