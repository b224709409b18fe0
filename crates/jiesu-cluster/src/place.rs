//! Place names found in a message by suffix patterns.
//!
//! The data names places two ways: anonymised administrative units ("A市", "A3区", "K3县",
//! "西地省") and real-looking names ending in a place suffix ("景蓉华苑", "联丰路",
//! "桂花坪街道", "金鼎村"). A scan over the characters finds a suffix, then takes the name
//! that precedes it (2–6 characters) back to the nearest boundary: punctuation, an
//! administrative unit, the end of the previous place, or a function character such as 的/在.
//! Leading verbs (反映, 位于, 住在, …) are stripped, then jieba's part-of-speech tags trim
//! the candidate from the left to the nouns and unknown characters that end at the suffix
//! (so "主导投资村" is not a village), and a small list of generic names (道路, 步行街,
//! 水泥路 …) is ignored. The text with the places blanked out is what the word
//! segmenter sees, so that the word vector measures the issue and the places are compared
//! on their own.

use jieba_rs::Jieba;

/// How specific a place is; only places of the same kind are compared for a conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlaceKind {
    /// A city or province ("A市", "西地省"): in this data nearly every message has one, so it
    /// is neither evidence nor conflict.
    City,
    /// A district or county ("A3区", "K3县", "经开区").
    District,
    /// A street office or township ("桂花坪街道", "春华镇").
    Street,
    /// A residents' community ("麓泉社区").
    Community,
    /// A road, street or lane ("联丰路", "三一大道", "大古道巷").
    Road,
    /// A village ("金鼎村").
    Village,
    /// A residential compound, building or site ("景蓉华苑", "丽发新城", "五矿万境"), or an
    /// institution with its own grounds (a school, college, hospital or driving school).
    Compound,
}

impl PlaceKind {
    /// Names of concrete sites: sharing one is strong evidence, two different ones a conflict.
    pub fn is_site(self) -> bool {
        matches!(
            self,
            Self::Compound | Self::Village | Self::Road | Self::Community
        )
    }
}

/// A place name found in a message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Place {
    pub name: String,
    pub kind: PlaceKind,
}

/// Suffixes, longest first where one is the end of another.
const SUFFIXES: &[(&str, PlaceKind)] = &[
    ("街道", PlaceKind::Street),
    ("社区", PlaceKind::Community),
    ("小区", PlaceKind::Compound),
    ("花园", PlaceKind::Compound),
    ("家园", PlaceKind::Compound),
    ("公寓", PlaceKind::Compound),
    ("新村", PlaceKind::Compound),
    ("新城", PlaceKind::Compound),
    ("大厦", PlaceKind::Compound),
    ("广场", PlaceKind::Compound),
    ("山庄", PlaceKind::Compound),
    ("公馆", PlaceKind::Compound),
    ("学院", PlaceKind::Compound),
    ("大学", PlaceKind::Compound),
    ("中学", PlaceKind::Compound),
    ("小学", PlaceKind::Compound),
    ("医院", PlaceKind::Compound),
    ("驾校", PlaceKind::Compound),
    ("大道", PlaceKind::Road),
    ("大街", PlaceKind::Road),
    ("经开区", PlaceKind::District),
    ("高新区", PlaceKind::District),
    ("苑", PlaceKind::Compound),
    ("园", PlaceKind::Compound),
    ("城", PlaceKind::Compound),
    ("湾", PlaceKind::Compound),
    ("郡", PlaceKind::Compound),
    ("路", PlaceKind::Road),
    ("街", PlaceKind::Road),
    ("巷", PlaceKind::Road),
    ("村", PlaceKind::Village),
    ("镇", PlaceKind::Street),
    ("乡", PlaceKind::Street),
];

/// A suffix followed by one of these characters is a common word, not a place end
/// (路灯, 路面, 城市, 城管, 区域, 园林, 乡村 …).
fn not_a_place_end(suffix: &str, next: Option<char>) -> bool {
    let Some(n) = next else { return false };
    let words: &str = match suffix {
        "路" => "灯面况线人过费由径程基网段",
        "街" => "坊头灯",
        "城" => "市管区乡际建中镇",
        "区" => "域别间块分内",
        "园" => "林区",
        "府" => "门",
        "乡" => "村镇下",
        "镇" => "上",
        "村" => "委",
        "湾" => "区",
        _ => "",
    };
    words.contains(n)
}

/// Characters that never belong to a place name: a name starts after them.
const BOUNDARY: &str = "的在于与及是了我你他她它这那从到对向把被给很都也就还要说和或而其即由有已否会得几个让使过所某每";

/// Words stripped from the start of a name candidate.
const LEADING: &[&str] = &[
    "关于", "反映", "投诉", "举报", "位于", "靠近", "住在", "请问", "咨询", "建议", "本人", "我们",
    "希望", "要求", "请求", "解决", "强烈", "紧邻", "地处", "坐落", "座落", "楼下", "附近", "周边",
    "整个", "原来", "现在", "目前", "所在", "市民", "业主", "居民", "请", "本", "该", "此", "省",
    "市", "区", "县",
];

/// Names made of a generic prefix and a suffix: not a specific place.
const GENERIC: &[&str] = &[
    "道路",
    "马路",
    "公路",
    "铁路",
    "线路",
    "出路",
    "思路",
    "一路",
    "走路",
    "修路",
    "小路",
    "水泥路",
    "这条路",
    "那条路",
    "主干路",
    "步行街",
    "商业街",
    "老街",
    "小街",
    "城区",
    "市区",
    "县城",
    "社区",
    "小区",
    "园区",
    "校园",
    "公园",
    "乐园",
    "家园",
    "花园",
    "新城",
    "老城",
    "农村",
    "乡村",
    "城乡",
    "城镇",
    "乡镇",
    "村村",
    "全区",
    "全县",
    "全市",
    "本区",
    "该区",
    "辖区",
    "片区",
    "街区",
    "景区",
    "郊区",
    "山区",
    "城市",
    "政府",
    "地区",
    "开发区",
    "管理区",
    "试验区",
    "示范区",
    "保护区",
    "住宅小区",
    "新小区",
    "老小区",
    "该小区",
    "本小区",
    "我们小区",
    "整个小区",
    "居民小区",
    "商业广场",
    "长城",
    "幼儿园",
    "游乐园",
    "产业园",
    "工业园",
    "普惠园",
    "部分村",
    "许多村",
    "行政村",
    "全村",
    "该村",
    "本村",
    "我村",
    "城里",
    "老村",
    "大道",
    "两条路",
    "这条街",
    "一条街",
    "物流园",
    "菜园",
    "果园",
    "墓园",
    "陵园",
    "动物园",
    "植物园",
];

/// Where a place name really starts inside `candidate` (a char index): from the right,
/// jieba tokens are kept while they are nouns, unknown words or single characters that are
/// not function words.
fn name_start(jieba: &Jieba, candidate: &str) -> usize {
    let tags = jieba.tag(candidate, false);
    let mut start = candidate.chars().count();
    for (k, t) in tags.iter().rev().enumerate() {
        let function = matches!(
            t.tag,
            "p" | "c" | "u" | "r" | "d" | "m" | "q" | "uj" | "ul" | "f" | "t"
        );
        let keep = if t.word.chars().count() == 1 || k == 0 {
            // Unknown names fall apart into single characters; the word right before the
            // suffix is part of the name whatever its tag (特立路, 联丰路).
            !function
        } else {
            t.tag.starts_with('n') || matches!(t.tag, "x" | "eng" | "j" | "s")
        };
        if !keep {
            break;
        }
        start = t.start;
    }
    start
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn is_name_char(c: char) -> bool {
    is_cjk(c) || c.is_ascii_alphanumeric()
}

/// Normalised form: a compound named with and without "小区" is the same compound.
fn normalise(name: &str) -> String {
    let trimmed = name.strip_suffix("小区").unwrap_or(name);
    if trimmed.chars().count() >= 3 {
        trimmed.to_string()
    } else {
        name.to_string()
    }
}

/// Finds the places in `text` and returns them (in order, repeated ones once) with the
/// text where each place is replaced by a space.
pub fn extract(jieba: &Jieba, text: &str) -> (Vec<Place>, String) {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut places: Vec<Place> = Vec::new();
    let mut rest = String::with_capacity(text.len());
    let mut boundary = 0usize; // first index a name may start at
    let mut emitted = 0usize; // chars[..emitted] are copied to `rest` or blanked
    let mut i = 0usize;
    let mut compound_end: Option<usize> = None;
    let push = |places: &mut Vec<Place>, name: String, kind: PlaceKind| {
        let place = Place {
            name: normalise(&name),
            kind,
        };
        if !places.contains(&place) {
            places.push(place);
        }
    };
    while i < n {
        let c = chars[i];
        // Anonymised administrative units: a capital letter, digits, then 市/区/县/省.
        // Not inside a code ("B2A3区") nor a zone right after a compound ("奥城E4区").
        let standalone =
            i == 0 || (!chars[i - 1].is_ascii_alphanumeric() && compound_end != Some(i));
        if c.is_ascii_uppercase() && standalone {
            let mut j = i + 1;
            while j < n && chars[j].is_ascii_digit() {
                j += 1;
            }
            if j < n && "市区县省".contains(chars[j]) {
                let kind = if "市省".contains(chars[j]) {
                    PlaceKind::City
                } else {
                    PlaceKind::District
                };
                push(&mut places, chars[i..=j].iter().collect(), kind);
                rest.extend(&chars[emitted..i]);
                rest.push(' ');
                i = j + 1;
                emitted = i;
                boundary = i;
                continue;
            }
        }
        if !is_name_char(c) || BOUNDARY.contains(c) {
            boundary = i + 1;
            i += 1;
            continue;
        }
        if c == '省' && i >= 2 && boundary + 2 <= i {
            // Real province names such as 西地省.
            let name: String = chars[i - 2..=i].iter().collect();
            push(&mut places, name, PlaceKind::City);
            rest.extend(&chars[emitted..i - 2]);
            rest.push(' ');
            i += 1;
            emitted = i;
            boundary = i;
            continue;
        }
        let mut matched = None;
        for (suffix, kind) in SUFFIXES {
            let len = suffix.chars().count();
            if i + len <= n
                && suffix.chars().zip(&chars[i..i + len]).all(|(a, b)| a == *b)
                && !not_a_place_end(suffix, chars.get(i + len).copied())
            {
                matched = Some((*suffix, *kind, len));
                break;
            }
        }
        let Some((suffix, kind, len)) = matched else {
            i += 1;
            continue;
        };
        let mut start = boundary.max(i.saturating_sub(6));
        loop {
            let prefix: String = chars[start..i].iter().collect();
            match LEADING.iter().find(|w| prefix.starts_with(*w)) {
                Some(w) => start += w.chars().count(),
                None => break,
            }
        }
        let candidate: String = chars[start..i].iter().collect();
        if len < 3 {
            start += name_start(jieba, &candidate);
        }
        let prefix: String = chars[start..i].iter().collect();
        let name = format!("{prefix}{suffix}");
        let long_enough = len >= 3 || prefix.chars().count() >= 2;
        let all_digits = prefix.chars().all(|c| c.is_ascii_digit());
        if long_enough && !all_digits && !GENERIC.contains(&name.as_str()) {
            push(&mut places, name, kind);
            rest.extend(&chars[emitted..start]);
            rest.push(' ');
            emitted = i + len;
            boundary = i + len;
            if kind == PlaceKind::Compound {
                compound_end = Some(i + len);
            }
        } else if prefix.is_empty() && len == 2 {
            // "小区" right after a compound name, or alone: nothing new.
            boundary = i + len;
        }
        i += len;
    }
    rest.extend(&chars[emitted.min(n)..]);
    (places, rest)
}
