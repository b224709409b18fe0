//! Words of a message: jieba segmentation minus stop words and generic complaint words.

use jieba_rs::Jieba;

/// Words that say nothing about which problem a message is about. Kept small on purpose:
/// function words jieba returns as two-character tokens, the vocabulary of complaining
/// itself (反映, 投诉, 问题, 希望, 请问 …) and of addressing the hotline (市民, 领导,
/// 相关部门 …). Single characters and numbers are dropped anyway.
pub const STOP_WORDS: &[&str] = &[
    // complaining, asking, addressing the hotline
    "反映",
    "反应",
    "投诉",
    "举报",
    "问题",
    "希望",
    "请问",
    "咨询",
    "建议",
    "要求",
    "请求",
    "市民",
    "居民",
    "群众",
    "百姓",
    "老百姓",
    "领导",
    "相关",
    "部门",
    "相关部门",
    "有关部门",
    "政府",
    "尽快",
    "解决",
    "处理",
    "关注",
    "重视",
    "强烈",
    "严重",
    "情况",
    "事情",
    "现象",
    "谢谢",
    "感谢",
    "您好",
    "你好",
    "尊敬",
    "恳请",
    "恳求",
    "呼吁",
    "麻烦",
    "帮助",
    "答复",
    "回复",
    "落实",
    "调查",
    "核实",
    "监管",
    "管理",
    "责任",
    "有关",
    "关于",
    "无人",
    "多次",
    "一直",
    "至今",
    "目前",
    "现在",
    "已经",
    "近日",
    "最近",
    "今年",
    "去年",
    "每天",
    "时间",
    "本人",
    "我们",
    "你们",
    "他们",
    "大家",
    "自己",
    "这个",
    "那个",
    "这些",
    "那些",
    "这样",
    "那样",
    "什么",
    "怎么",
    "为什么",
    "如何",
    "是否",
    "能否",
    "可以",
    "能够",
    "应该",
    "需要",
    "没有",
    "不能",
    "不是",
    "还是",
    "就是",
    "但是",
    "而且",
    "并且",
    "因为",
    "所以",
    "如果",
    "虽然",
    "然后",
    "以及",
    "或者",
    "其中",
    "其他",
    "还有",
    "进行",
    "出现",
    "存在",
    "导致",
    "造成",
    "影响",
    "一个",
    "一些",
    "很多",
    "非常",
    "特别",
    "十分",
    "比较",
    "已",
    "同时",
    "之后",
    "以后",
    "以来",
    "之前",
    "期间",
    "由于",
    "对于",
    "通过",
    "根据",
    "按照",
    "作为",
];

/// Splits text into the words that identify a problem.
pub struct Segmenter {
    jieba: Jieba,
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Segmenter {
    pub fn new() -> Self {
        Self {
            jieba: Jieba::new(),
        }
    }

    /// Places named in `text` and the text with them blanked (see [`crate::place`]).
    pub fn places(&self, text: &str) -> (Vec<crate::Place>, String) {
        crate::place::extract(&self.jieba, text)
    }

    /// 热词 the terms that say what a ticket is about, for hot-topic counts: distinct nouns
    /// (jieba tags `n…`: places `ns`, organisations `nt`, …), verbs and verbal nouns (`v`,
    /// `vn`: 停水, 施工, 退款), set phrases and abbreviations (`l`, `i`, `j`: 自来水,
    /// 安全隐患, 医保) of two or more Chinese characters, minus [`STOP_WORDS`] (反映, 希望,
    /// 处理 …), in order of appearance, at most `max`. Person names (`nr`) are left out: they
    /// identify callers, not problems; so are numbers, times, pronouns and adverbs.
    pub fn topic_terms(&self, text: &str, max: usize) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for t in self.jieba.tag(text, true) {
            if terms.len() >= max {
                break;
            }
            let kept = (t.tag.starts_with('n') && t.tag != "nr")
                || matches!(t.tag, "v" | "vn" | "l" | "i" | "j");
            if kept
                && t.word.chars().count() >= 2
                && t.word
                    .chars()
                    .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                && !STOP_WORDS.contains(&t.word)
                && !terms.iter().any(|w| w == t.word)
            {
                terms.push(t.word.to_string());
            }
        }
        terms
    }

    /// Words of `text` (repeated as often as they occur): jieba tokens of two or more
    /// characters containing a Chinese character, minus [`STOP_WORDS`].
    pub fn words(&self, text: &str) -> Vec<String> {
        self.jieba
            .cut(text, true)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| w.chars().count() >= 2)
            .filter(|w| w.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
            .filter(|w| !STOP_WORDS.contains(w))
            .map(str::to_string)
            .collect()
    }
}
