//! 报告 the reports: the hourly hot-topic report (整点热点), the daily report (日报), a special
//! report on one topic (专报) and the monthly street ranking, as plain numbers in sections.
//!
//! A [`Report`] is built from counts (the rollups, the three rates, tickets) by the builders
//! here and rendered by [`render_html`] into one printable page (Chinese or English, A4, a
//! page break between sections, inline SVG bar charts, nothing fetched from elsewhere). The
//! server writes the same sections as Excel sheets and JSON.

use crate::analytics::growth;
use crate::directory::Directory;
use crate::rollup::{Figure as UnitFigure, Outcome, Rollups};
use crate::ticket::{Channel, china_offset};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// A text in Chinese and English.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Text {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// A bilingual text.
pub fn text(zh: &str, en: &str) -> Text {
    Text {
        zh: zh.to_string(),
        en: en.to_string(),
    }
}

impl Text {
    /// The text in a language.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The language of a rendered report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文, the default.
    Zh,
    /// English.
    En,
}

/// One value in a table or a key figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A count.
    Count(i64),
    /// A share (0.25 is 25%), none when the base is zero.
    Share(Option<f64>),
}

impl Cell {
    /// As shown: counts plain, shares in percent with one decimal, a missing share as `—`.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Share(Some(v)) => format!("{:.1}%", v * 100.0),
            Cell::Share(None) => "—".into(),
        }
    }
}

/// A key figure: a label and its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyFigure {
    /// What it is.
    pub label: Text,
    /// The value.
    pub value: Cell,
}

/// A table with bilingual headers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// The column headers.
    pub columns: Vec<Text>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// A bar chart: labelled counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// What the bars count.
    pub title: Text,
    /// The bars, in order.
    pub bars: Vec<(String, i64)>,
}

/// One section of a report: key figures, a chart and a table, each optional.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// A stable key (`volume`, `categories`, …).
    pub key: String,
    /// Its heading.
    pub title: Text,
    /// Key figures.
    pub figures: Vec<KeyFigure>,
    /// A bar chart.
    pub chart: Option<Chart>,
    /// A table.
    pub table: Option<Table>,
    /// A note under it (how it is counted).
    pub note: Option<Text>,
}

impl Section {
    /// An empty section.
    pub fn new(key: &str, title: Text) -> Section {
        Section {
            key: key.to_string(),
            title,
            figures: Vec::new(),
            chart: None,
            table: None,
            note: None,
        }
    }

    fn figure(mut self, zh: &str, en: &str, value: Cell) -> Section {
        self.figures.push(KeyFigure {
            label: text(zh, en),
            value,
        });
        self
    }
}

/// A report: what, over which period, and its sections.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `hourly`, `daily`, `special` or `ranking`.
    pub kind: String,
    /// The heading.
    pub title: Text,
    /// The period, as shown (`2026-11-23`, `2026-11-23 14:00–15:00`).
    pub period: String,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// `part / whole`, none when the whole is zero.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html_into(&mut out, s);
    out
}

/// Appends `text` to `out` with the five characters that matter in HTML text and attributes
/// escaped.
pub fn escape_html_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A horizontal bar chart as inline SVG, sized for an A4 page.
pub fn svg_bars(chart: &Chart, lang: Lang) -> String {
    const WIDTH: usize = 640;
    const LABEL: usize = 180;
    const ROW: usize = 20;
    let max = chart.bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = ROW * chart.bars.len() + 28;
    let mut s = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        escape(chart.title.get(lang))
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"14\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        escape(chart.title.get(lang))
    );
    let span = (WIDTH - LABEL - 60) as f64;
    for (i, (label, n)) in chart.bars.iter().enumerate() {
        let y = 24 + i * ROW;
        let w = ((*n).max(0) as f64 / max as f64 * span).round();
        let short: String = label.chars().take(14).collect();
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"#2b6cb0\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{n}</text>",
            LABEL - 6,
            y + 13,
            escape(&short),
            y + 3,
            ROW - 6,
            LABEL as f64 + w + 4.0,
            y + 13,
        );
    }
    s.push_str("</svg>");
    s
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;\
margin:2em auto;max-width:60em;color:#111;line-height:1.5}\
h1{font-size:1.6em;margin:0}h2{font-size:1.25em;border-bottom:2px solid #2b6cb0;padding-bottom:.2em}\
.period{color:#444;margin:.2em 0 1em}.toolbar{margin-bottom:1em}.toolbar a{margin-right:1em}\
.figures{display:flex;flex-wrap:wrap;gap:.6em 2em;margin:.6em 0}.figure .label{color:#555;font-size:.9em}\
.figure .value{font-size:1.4em;font-weight:bold}\
table{border-collapse:collapse;width:100%;margin:.8em 0;font-size:.92em}\
th,td{border:1px solid #999;padding:.25em .5em;text-align:left}td.n{text-align:right}\
th{background:#edf2f7}.note{color:#555;font-size:.85em}.chart{max-width:100%;height:auto;margin:.5em 0}\
@page{size:A4;margin:15mm}\
@media print{.toolbar{display:none}body{margin:0;max-width:none}\
section+section{break-before:page}thead{display:table-header-group}\
tr,.figure,svg{break-inside:avoid}h2{break-after:avoid}}";

/// The report as one HTML page. `links` are shown above it on screen only (the language
/// toggle, the Excel file): `(text, href)`.
pub fn render_html(report: &Report, lang: Lang, links: &[(String, String)]) -> String {
    let mut h = String::new();
    let html_lang = match lang {
        Lang::Zh => "zh-CN",
        Lang::En => "en",
    };
    let title = escape(report.title.get(lang));
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} {}</title><style>{STYLE}</style></head><body>",
        escape(&report.period)
    );
    if !links.is_empty() {
        h.push_str("<nav class=\"toolbar\">");
        for (label, href) in links {
            let _ = write!(h, "<a href=\"{}\">{}</a>", escape(href), escape(label));
        }
        h.push_str("</nav>");
    }
    let generated = report
        .generated_at
        .with_timezone(&china_offset())
        .format("%Y-%m-%d %H:%M");
    let (period_word, made_word) = match lang {
        Lang::Zh => ("统计时段", "生成时间（北京时间）"),
        Lang::En => ("Period", "Made (Beijing time)"),
    };
    let _ = write!(
        h,
        "<header><h1>{title}</h1><p class=\"period\">{period_word}: {} · {made_word}: {generated}</p></header>",
        escape(&report.period)
    );
    for section in &report.sections {
        let _ = write!(
            h,
            "<section id=\"{}\"><h2>{}</h2>",
            escape(&section.key),
            escape(section.title.get(lang))
        );
        if !section.figures.is_empty() {
            h.push_str("<div class=\"figures\">");
            for f in &section.figures {
                let _ = write!(
                    h,
                    "<div class=\"figure\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>",
                    escape(f.label.get(lang)),
                    escape(&f.value.display())
                );
            }
            h.push_str("</div>");
        }
        if let Some(chart) = &section.chart
            && !chart.bars.is_empty()
        {
            h.push_str(&svg_bars(chart, lang));
        }
        if let Some(table) = &section.table {
            h.push_str("<table><thead><tr>");
            for c in &table.columns {
                let _ = write!(h, "<th>{}</th>", escape(c.get(lang)));
            }
            h.push_str("</tr></thead><tbody>");
            if table.rows.is_empty() {
                let none = match lang {
                    Lang::Zh => "无",
                    Lang::En => "none",
                };
                let _ = write!(
                    h,
                    "<tr><td colspan=\"{}\">{none}</td></tr>",
                    table.columns.len().max(1)
                );
            }
            for row in &table.rows {
                h.push_str("<tr>");
                for cell in row {
                    let class = if matches!(cell, Cell::Text(_)) {
                        ""
                    } else {
                        " class=\"n\""
                    };
                    let _ = write!(h, "<td{class}>{}</td>", escape(&cell.display()));
                }
                h.push_str("</tr>");
            }
            h.push_str("</tbody></table>");
        }
        if let Some(note) = &section.note {
            let _ = write!(h, "<p class=\"note\">{}</p>", escape(note.get(lang)));
        }
        h.push_str("</section>");
    }
    h.push_str("</body></html>");
    h
}

/// Volume counts of a window, by the dimensions the reports show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Volume {
    /// Tickets received.
    pub total: i64,
    /// By outcome so far.
    pub outcomes: BTreeMap<&'static str, i64>,
    /// By channel.
    pub channels: BTreeMap<&'static str, i64>,
    /// By level-2 category code.
    pub categories: HashMap<String, i64>,
    /// By street code.
    pub streets: HashMap<String, i64>,
    /// By district code.
    pub districts: HashMap<String, i64>,
    /// By hour of receipt (start of the hour).
    pub hours: BTreeMap<DateTime<Utc>, i64>,
}

impl Volume {
    /// The volume rows received in `[from, to)`.
    pub fn of(rollups: &Rollups, from: DateTime<Utc>, to: DateTime<Utc>) -> Volume {
        let mut v = Volume::default();
        for (k, n) in rollups.volumes() {
            if k.hour < from || k.hour >= to {
                continue;
            }
            v.total += n;
            let outcome = match k.outcome {
                Outcome::Received => "received",
                Outcome::Answered => "answered",
                Outcome::Dispatched => "dispatched",
            };
            *v.outcomes.entry(outcome).or_default() += n;
            *v.channels.entry(k.channel.as_str()).or_default() += n;
            if let Some(c) = k.category_at(2).or(k.category_at(1)) {
                *v.categories.entry(c.to_string()).or_default() += n;
            }
            if let Some(s) = &k.street {
                *v.streets.entry(s.clone()).or_default() += n;
            }
            if let Some(d) = &k.district {
                *v.districts.entry(d.clone()).or_default() += n;
            }
            *v.hours.entry(k.hour).or_default() += n;
        }
        v
    }
}

/// Unit figures by unit and figure.
pub type UnitFigures = HashMap<String, HashMap<UnitFigure, i64>>;

/// The unit figures of `[from, to)` in the rollups, by unit.
pub fn unit_figures(rollups: &Rollups, from: DateTime<Utc>, to: DateTime<Utc>) -> UnitFigures {
    let mut out: UnitFigures = HashMap::new();
    for (k, n) in rollups.units() {
        if k.hour >= from && k.hour < to {
            *out.entry(k.unit.clone())
                .or_default()
                .entry(k.figure)
                .or_default() += n;
        }
    }
    out
}

/// The largest counts first (ties by code), at most `top`.
fn ranked(counts: &HashMap<String, i64>, top: usize) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(top);
    v
}

fn category_name(dir: &dyn Directory, code: &str) -> String {
    dir.catalog(code)
        .map_or(code.to_string(), |c| c.name.clone())
}

fn division_name(dir: &dyn Directory, code: &str) -> String {
    dir.division(code)
        .map_or(code.to_string(), |d| d.name.clone())
}

fn district_of(dir: &dyn Directory, street: &str) -> String {
    dir.division(street)
        .and_then(|d| d.parent_code.as_deref())
        .map(|p| division_name(dir, p))
        .unwrap_or_default()
}

fn channel_name(c: &str, lang: Lang) -> String {
    let zh = match Channel::parse(c) {
        Some(Channel::Phone) => "电话",
        Some(Channel::Web) => "网站",
        Some(Channel::Wechat) => "微信",
        Some(Channel::App) => "App",
        Some(Channel::Letter) => "信件",
        Some(Channel::Api) => "接口",
        None => c,
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => c.to_string(),
    }
}

/// Self-service contacts of a period: IVR calls and bot questions, and those served without an
/// agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelfService {
    /// IVR calls.
    pub ivr: i64,
    /// IVR calls served by the menu alone.
    pub ivr_served: i64,
    /// Bot questions.
    pub bot: i64,
    /// Bot questions answered.
    pub bot_served: i64,
}

/// The category and street sections with growth over a previous window: shared by the daily
/// and hourly reports.
fn hot_sections(
    now: &Volume,
    before: &Volume,
    dir: &dyn Directory,
    before_label: Text,
    top: usize,
) -> [Section; 2] {
    let growth_col = text("增幅", "growth");
    let mut categories = Section::new("categories", text("热点类别", "Top categories"));
    let top_categories = ranked(&now.categories, top);
    categories.chart = Some(Chart {
        title: text("诉求量", "Tickets"),
        bars: top_categories
            .iter()
            .map(|(c, n)| (category_name(dir, c), *n))
            .collect(),
    });
    categories.table = Some(Table {
        columns: vec![
            text("类别代码", "code"),
            text("类别", "category"),
            text("诉求量", "tickets"),
            before_label.clone(),
            growth_col.clone(),
        ],
        rows: top_categories
            .iter()
            .map(|(c, n)| {
                let b = before.categories.get(c).copied().unwrap_or(0);
                vec![
                    Cell::Text(c.clone()),
                    Cell::Text(category_name(dir, c)),
                    Cell::Count(*n),
                    Cell::Count(b),
                    Cell::Share(growth(*n, b)),
                ]
            })
            .collect(),
    });
    let mut streets = Section::new("streets", text("街道乡镇", "Top streets and townships"));
    let top_streets = ranked(&now.streets, top);
    streets.chart = Some(Chart {
        title: text("诉求量", "Tickets"),
        bars: top_streets
            .iter()
            .map(|(s, n)| (division_name(dir, s), *n))
            .collect(),
    });
    streets.table = Some(Table {
        columns: vec![
            text("街道代码", "code"),
            text("街道乡镇", "street"),
            text("区", "district"),
            text("诉求量", "tickets"),
            before_label,
            growth_col,
        ],
        rows: top_streets
            .iter()
            .map(|(s, n)| {
                let b = before.streets.get(s).copied().unwrap_or(0);
                vec![
                    Cell::Text(s.clone()),
                    Cell::Text(division_name(dir, s)),
                    Cell::Text(district_of(dir, s)),
                    Cell::Count(*n),
                    Cell::Count(b),
                    Cell::Share(growth(*n, b)),
                ]
            })
            .collect(),
    });
    [categories, streets]
}

/// What the daily report is made of.
pub struct Daily<'a> {
    /// The day, as shown.
    pub day: String,
    /// Its first instant.
    pub start: DateTime<Utc>,
    /// Tickets received that day.
    pub today: Volume,
    /// Tickets received the day before.
    pub yesterday: Volume,
    /// The units' time-limit figures of the day.
    pub units: UnitFigures,
    /// Self-service contacts of the day.
    pub self_service: SelfService,
    /// Names of codes.
    pub dir: &'a dyn Directory,
    /// Sections after the categories (hot terms, spikes).
    pub extra: Vec<Section>,
    /// When it is made.
    pub generated_at: DateTime<Utc>,
}

/// 日报 the daily report: volume and change, answered directly vs dispatched, self-served
/// share, top categories and streets with growth over the day before, channels, and the units
/// with most overdue; `extra` sections (hot terms, spikes) go after the categories.
pub fn daily(input: Daily<'_>) -> Report {
    let Daily {
        day,
        start,
        today,
        yesterday,
        units,
        self_service,
        dir,
        extra,
        generated_at,
    } = input;
    let answered = today.outcomes.get("answered").copied().unwrap_or(0);
    let dispatched = today.outcomes.get("dispatched").copied().unwrap_or(0);
    let pending = today.outcomes.get("received").copied().unwrap_or(0);
    let contacts = self_service.ivr + self_service.bot;
    let served = self_service.ivr_served + self_service.bot_served;

    let mut volume = Section::new("volume", text("受理总量", "Volume"))
        .figure("受理量", "Tickets received", Cell::Count(today.total))
        .figure("前一日", "The day before", Cell::Count(yesterday.total))
        .figure(
            "环比",
            "Change",
            Cell::Share(growth(today.total, yesterday.total)),
        )
        .figure("直接答复", "Answered directly", Cell::Count(answered))
        .figure(
            "直接答复占比",
            "Share answered directly",
            Cell::Share(share(answered, today.total)),
        )
        .figure("派单", "Dispatched", Cell::Count(dispatched))
        .figure(
            "派单占比",
            "Share dispatched",
            Cell::Share(share(dispatched, today.total)),
        )
        .figure(
            "待处理",
            "Not yet answered or dispatched",
            Cell::Count(pending),
        )
        .figure("自助服务量", "Self-service contacts", Cell::Count(contacts))
        .figure(
            "自助解决占比",
            "Share self-served (IVR and bot)",
            Cell::Share(share(served, contacts)),
        );
    volume.chart = Some(Chart {
        title: text("分时受理量（北京时间）", "Tickets by hour (Beijing time)"),
        bars: (0..24)
            .map(|h| {
                let at = start + Duration::hours(h);
                (
                    format!("{h:02}:00"),
                    today.hours.get(&at).copied().unwrap_or(0),
                )
            })
            .collect(),
    });
    volume.note = Some(text(
        "受理量按受理时间计入当日；直接答复与派单按当前办理情况统计；自助服务为语音导航与智能问答，自助解决指未转人工。",
        "Tickets count on the day they were received; answered and dispatched as they stand now; self-service is the IVR menu and the answer bot, self-served meaning without an agent.",
    ));

    let mut channels = Section::new("channels", text("受理渠道", "Channels"));
    channels.table = Some(Table {
        columns: vec![
            text("渠道", "channel"),
            text("受理量", "tickets"),
            text("占比", "share"),
        ],
        rows: Channel::ALL
            .iter()
            .map(|c| {
                let n = today.channels.get(c.as_str()).copied().unwrap_or(0);
                vec![
                    Cell::Text(channel_name(c.as_str(), Lang::Zh)),
                    Cell::Count(n),
                    Cell::Share(share(n, today.total)),
                ]
            })
            .collect(),
    });

    let [categories, streets] =
        hot_sections(&today, &yesterday, dir, text("前一日", "day before"), 10);

    let mut overdue: Vec<(String, i64, i64, i64)> = units
        .iter()
        .map(|(u, f)| {
            let get = |k| f.get(&k).copied().unwrap_or(0);
            (
                u.clone(),
                get(UnitFigure::Overdue),
                get(UnitFigure::Dispatched),
                get(UnitFigure::RepliedLate),
            )
        })
        .filter(|(_, o, _, _)| *o > 0)
        .collect();
    overdue.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    overdue.truncate(10);
    let mut late = Section::new(
        "overdue_units",
        text("超期较多的承办单位", "Units with most overdue"),
    );
    late.table = Some(Table {
        columns: vec![
            text("单位", "unit"),
            text("超期", "overdue"),
            text("当日派单", "dispatched that day"),
            text("超期答复", "replied late"),
        ],
        rows: overdue
            .into_iter()
            .map(|(u, o, d, l)| {
                vec![
                    Cell::Text(dir.unit(&u).map_or(u.clone(), |x| x.name.clone())),
                    Cell::Count(o),
                    Cell::Count(d),
                    Cell::Count(l),
                ]
            })
            .collect(),
    });

    let mut sections = vec![volume, channels, categories];
    sections.extend(extra);
    sections.push(streets);
    sections.push(late);
    Report {
        kind: "daily".into(),
        title: text("12345热线日报", "12345 hotline daily report"),
        period: day,
        generated_at,
        sections,
    }
}

/// 整点热点 the hot topics of the hour starting at `start` (volume `now`): categories and
/// streets against the hour before, and the total against the mean of the same hour in the
/// past weeks (`past_weeks`, their totals). `extra` sections (terms,
/// spikes) go after the categories.
pub fn hourly(
    start: DateTime<Utc>,
    now: &Volume,
    before: &Volume,
    past_weeks: &[i64],
    dir: &dyn Directory,
    extra: Vec<Section>,
    generated_at: DateTime<Utc>,
) -> Report {
    let hour = Duration::hours(1);
    let baseline = past_weeks.iter().sum::<i64>() as f64 / past_weeks.len().max(1) as f64;
    let volume = Section::new("volume", text("本时段受理量", "Tickets this hour"))
        .figure("受理量", "Tickets received", Cell::Count(now.total))
        .figure("上一小时", "The hour before", Cell::Count(before.total))
        .figure(
            "环比",
            "Change",
            Cell::Share(growth(now.total, before.total)),
        )
        .figure(
            "近四周同时段均值",
            "Mean of this hour, past 4 weeks",
            Cell::Text(format!("{baseline:.1}")),
        )
        .figure(
            "较均值",
            "Against the mean",
            Cell::Share((baseline > 0.0).then(|| (now.total as f64 - baseline) / baseline)),
        );
    let [categories, streets] = hot_sections(now, before, dir, text("上一小时", "hour before"), 10);
    let mut sections = vec![volume, categories];
    sections.extend(extra);
    sections.push(streets);
    let local = start.with_timezone(&china_offset());
    Report {
        kind: "hourly".into(),
        title: text("整点热点", "Hot topics of the hour"),
        period: format!(
            "{}–{}",
            local.format("%Y-%m-%d %H:%M"),
            (local + hour).format("%H:%M")
        ),
        generated_at,
        sections,
    }
}

/// One street's row in the monthly ranking by the three rates: code, response, resolution and
/// satisfaction rates and the composite (none when there was nothing to count).
#[derive(Debug, Clone, PartialEq)]
pub struct StreetRates {
    /// Street code.
    pub code: String,
    /// 响应率.
    pub response: Option<f64>,
    /// 解决率.
    pub resolution: Option<f64>,
    /// 满意率.
    pub satisfaction: Option<f64>,
    /// 综合得分.
    pub composite: Option<f64>,
}

/// The monthly ranking of streets and townships: top `top` by the month's volume `v` and by
/// each of the three rates.
pub fn ranking(
    month: &str,
    v: &Volume,
    rates: &[StreetRates],
    dir: &dyn Directory,
    top: usize,
    generated_at: DateTime<Utc>,
) -> Report {
    let mut volume = Section::new("volume", text("诉求量前十", "Top by volume"));
    let by_volume = ranked(&v.streets, top);
    volume.chart = Some(Chart {
        title: text("诉求量", "Tickets"),
        bars: by_volume
            .iter()
            .map(|(s, n)| (division_name(dir, s), *n))
            .collect(),
    });
    volume.table = Some(Table {
        columns: vec![
            text("名次", "rank"),
            text("街道代码", "code"),
            text("街道乡镇", "street"),
            text("区", "district"),
            text("诉求量", "tickets"),
            text("占全市", "share of the city"),
        ],
        rows: by_volume
            .iter()
            .enumerate()
            .map(|(i, (s, n))| {
                vec![
                    Cell::Count(i as i64 + 1),
                    Cell::Text(s.clone()),
                    Cell::Text(division_name(dir, s)),
                    Cell::Text(district_of(dir, s)),
                    Cell::Count(*n),
                    Cell::Share(share(*n, v.total)),
                ]
            })
            .collect(),
    });
    let mut sections = vec![volume];
    type Pick = fn(&StreetRates) -> Option<f64>;
    let by_rate: [(&str, Text, Pick); 3] = [
        (
            "response",
            text("响应率前十", "Top by response rate"),
            |r| r.response,
        ),
        (
            "resolution",
            text("解决率前十", "Top by resolution rate"),
            |r| r.resolution,
        ),
        (
            "satisfaction",
            text("满意率前十", "Top by satisfaction rate"),
            |r| r.satisfaction,
        ),
    ];
    for (key, title, pick) in by_rate {
        let mut rows: Vec<(&StreetRates, f64)> = rates
            .iter()
            .filter_map(|r| pick(r).map(|v| (r, v)))
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.code.cmp(&b.0.code)));
        rows.truncate(top);
        let mut section = Section::new(key, title.clone());
        section.table = Some(Table {
            columns: vec![
                text("名次", "rank"),
                text("街道代码", "code"),
                text("街道乡镇", "street"),
                text("区", "district"),
                title,
                text("综合得分", "composite"),
            ],
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, (r, v))| {
                    vec![
                        Cell::Count(i as i64 + 1),
                        Cell::Text(r.code.clone()),
                        Cell::Text(division_name(dir, &r.code)),
                        Cell::Text(district_of(dir, &r.code)),
                        Cell::Share(Some(*v)),
                        Cell::Share(r.composite),
                    ]
                })
                .collect(),
        });
        if let Some(t) = section.table.as_mut() {
            t.columns[4] = match key {
                "response" => text("响应率", "response rate"),
                "resolution" => text("解决率", "resolution rate"),
                _ => text("满意率", "satisfaction rate"),
            };
        }
        section.note = Some(text(
            "三率按当月事件统计：响应率=按时签收÷派单，解决率=已解决÷有效回访，满意率=(满意+0.9×基本满意)÷有效回访。",
            "The three rates count the month's events: response = acknowledged on time ÷ dispatched, resolution = resolved ÷ valid callbacks, satisfaction = (satisfied + 0.9 × basically satisfied) ÷ valid callbacks.",
        ));
        sections.push(section);
    }
    Report {
        kind: "ranking".into(),
        title: text(
            "街道乡镇月度排名",
            "Monthly ranking of streets and townships",
        ),
        period: month.to_string(),
        generated_at,
        sections,
    }
}

/// 专报 a special report on one topic (a category or a term) over the Beijing days `days`:
/// its volume day by day, how it was handled, its streets and units, and sample orders (the
/// newest first). `tickets` are the topic's tickets received in the period.
pub fn special(
    topic: Text,
    days: &[chrono::NaiveDate],
    tickets: &[crate::ticket::Ticket],
    dir: &dyn Directory,
    generated_at: DateTime<Utc>,
) -> Report {
    use crate::ticket::Status;
    let total = tickets.len() as i64;
    let mut by_day: BTreeMap<chrono::NaiveDate, i64> = days.iter().map(|d| (*d, 0)).collect();
    let mut streets: HashMap<String, i64> = HashMap::new();
    let mut units: HashMap<String, i64> = HashMap::new();
    let (mut answered, mut dispatched, mut closed) = (0, 0, 0);
    for t in tickets {
        let day = t.received_at.with_timezone(&china_offset()).date_naive();
        if let Some(n) = by_day.get_mut(&day) {
            *n += 1;
        }
        if let Some(s) = &t.intake.street_code {
            *streets.entry(s.clone()).or_default() += 1;
        }
        if let Some(u) = &t.lead_unit {
            *units.entry(u.clone()).or_default() += 1;
            dispatched += 1;
        } else if t.status == Status::Answered || t.answer_entry.is_some() {
            answered += 1;
        }
        if t.status == Status::Closed {
            closed += 1;
        }
    }
    let mut volume = Section::new("volume", text("诉求量走势", "Volume over time"))
        .figure("诉求量", "Tickets", Cell::Count(total))
        .figure("直接答复", "Answered directly", Cell::Count(answered))
        .figure("派单", "Dispatched", Cell::Count(dispatched))
        .figure(
            "派单占比",
            "Share dispatched",
            Cell::Share(share(dispatched, total)),
        )
        .figure("已结案", "Closed", Cell::Count(closed))
        .figure("结案率", "Share closed", Cell::Share(share(closed, total)));
    volume.chart = Some(Chart {
        title: text("每日诉求量", "Tickets per day"),
        bars: by_day
            .iter()
            .map(|(d, n)| (d.format("%m-%d").to_string(), *n))
            .collect(),
    });
    let mut where_ = Section::new("streets", text("涉及街道乡镇", "Streets and townships"));
    where_.table = Some(Table {
        columns: vec![
            text("街道乡镇", "street"),
            text("区", "district"),
            text("诉求量", "tickets"),
            text("占比", "share"),
        ],
        rows: ranked(&streets, 10)
            .into_iter()
            .map(|(s, n)| {
                vec![
                    Cell::Text(division_name(dir, &s)),
                    Cell::Text(district_of(dir, &s)),
                    Cell::Count(n),
                    Cell::Share(share(n, total)),
                ]
            })
            .collect(),
    });
    let mut who = Section::new("units", text("承办单位", "Handling units"));
    who.table = Some(Table {
        columns: vec![text("单位", "unit"), text("工单数", "tickets")],
        rows: ranked(&units, 10)
            .into_iter()
            .map(|(u, n)| {
                vec![
                    Cell::Text(dir.unit(&u).map_or(u.clone(), |x| x.name.clone())),
                    Cell::Count(n),
                ]
            })
            .collect(),
    });
    let mut newest: Vec<&crate::ticket::Ticket> = tickets.iter().collect();
    newest.sort_by(|a, b| {
        b.received_at
            .cmp(&a.received_at)
            .then_with(|| b.number.cmp(&a.number))
    });
    let mut samples = Section::new("samples", text("典型工单", "Sample orders"));
    samples.table = Some(Table {
        columns: vec![
            text("编号", "number"),
            text("受理时间", "received"),
            text("街道乡镇", "street"),
            text("标题", "title"),
            text("状态", "status"),
        ],
        rows: newest
            .iter()
            .take(10)
            .map(|t| {
                vec![
                    Cell::Text(t.number.clone()),
                    Cell::Text(
                        t.received_at
                            .with_timezone(&china_offset())
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                    ),
                    Cell::Text(
                        t.intake
                            .street_code
                            .as_deref()
                            .map(|s| division_name(dir, s))
                            .unwrap_or_default(),
                    ),
                    Cell::Text(
                        t.intake
                            .title
                            .clone()
                            .unwrap_or_else(|| t.intake.content.chars().take(30).collect()),
                    ),
                    Cell::Text(crate::export::status_name(t.status).to_string()),
                ]
            })
            .collect(),
    });
    let period = match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => String::new(),
    };
    Report {
        kind: "special".into(),
        title: Text {
            zh: format!("专报：{}", topic.zh),
            en: format!("Special report: {}", topic.en),
        },
        period,
        generated_at,
        sections: vec![volume, where_, who, samples],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::MemoryDirectory;
    use crate::reference::{CatalogNode, Division, DivisionLevel};
    use crate::rollup::{Delta, RequestType, RollupKey, Row};
    use chrono::TimeZone;

    fn beijing(d: u32, h: u32) -> DateTime<Utc> {
        china_offset()
            .with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn dir() -> MemoryDirectory {
        MemoryDirectory::new(
            vec![],
            vec![CatalogNode {
                code: "0102".into(),
                name: "市政设施".into(),
                level: 2,
                parent_code: Some("01".into()),
                default_unit: None,
            }],
            vec![
                Division {
                    code: "110108".into(),
                    name: "海淀区".into(),
                    level: DivisionLevel::District,
                    parent_code: None,
                },
                Division {
                    code: "110108007".into(),
                    name: "北下关街道".into(),
                    level: DivisionLevel::Street,
                    parent_code: Some("110108".into()),
                },
            ],
        )
    }

    fn rollups(rows: &[(DateTime<Utc>, Outcome, i64)]) -> Rollups {
        let mut r = Rollups::new();
        let deltas: Vec<Delta> = rows
            .iter()
            .map(|(at, outcome, n)| Delta {
                row: Row::Volume(RollupKey {
                    hour: *at,
                    category: Some("010204".into()),
                    district: Some("110108".into()),
                    street: Some("110108007".into()),
                    channel: Channel::Phone,
                    request_type: RequestType::Complaint,
                    outcome: *outcome,
                }),
                n: *n,
            })
            .collect();
        r.apply(&deltas);
        r
    }

    fn daily_of(r: &Rollups, ss: SelfService) -> Report {
        let start = beijing(23, 0);
        let end = beijing(24, 0);
        let d = dir();
        daily(Daily {
            day: "2026-11-23".into(),
            start,
            today: Volume::of(r, start, end),
            yesterday: Volume::of(r, beijing(22, 0), start),
            units: unit_figures(r, start, end),
            self_service: ss,
            dir: &d,
            extra: vec![],
            generated_at: beijing(24, 1),
        })
    }

    fn figure<'a>(r: &'a Report, section: &str, zh: &str) -> &'a Cell {
        &r.sections
            .iter()
            .find(|s| s.key == section)
            .unwrap()
            .figures
            .iter()
            .find(|f| f.label.zh == zh)
            .unwrap()
            .value
    }

    #[test]
    fn the_daily_report_counts_the_beijing_day_and_its_shares() {
        let r = rollups(&[
            (beijing(23, 0), Outcome::Answered, 3),
            (beijing(23, 23), Outcome::Dispatched, 5),
            (beijing(23, 9), Outcome::Received, 2),
            // The day before, and the day after: not in the day.
            (beijing(22, 23), Outcome::Dispatched, 8),
            (beijing(24, 0), Outcome::Dispatched, 100),
        ]);
        let ss = SelfService {
            ivr: 6,
            ivr_served: 3,
            bot: 4,
            bot_served: 1,
        };
        let report = daily_of(&r, ss);
        assert_eq!(figure(&report, "volume", "受理量"), &Cell::Count(10));
        assert_eq!(figure(&report, "volume", "前一日"), &Cell::Count(8));
        assert_eq!(figure(&report, "volume", "环比").display(), "25.0%");
        assert_eq!(figure(&report, "volume", "直接答复占比").display(), "30.0%");
        assert_eq!(figure(&report, "volume", "派单占比").display(), "50.0%");
        assert_eq!(figure(&report, "volume", "自助解决占比").display(), "40.0%");
        let streets = report.sections.iter().find(|s| s.key == "streets").unwrap();
        let row = &streets.table.as_ref().unwrap().rows[0];
        assert_eq!(row[1], Cell::Text("北下关街道".into()));
        assert_eq!(row[2], Cell::Text("海淀区".into()));
        assert_eq!(row[3], Cell::Count(10));
        let categories = report
            .sections
            .iter()
            .find(|s| s.key == "categories")
            .unwrap();
        assert_eq!(
            categories.table.as_ref().unwrap().rows[0][1],
            Cell::Text("市政设施".into())
        );
    }

    #[test]
    fn the_page_prints_on_a4_with_breaks_repeated_headers_and_inline_charts() {
        let r = rollups(&[(beijing(23, 10), Outcome::Dispatched, 4)]);
        let report = daily_of(&r, SelfService::default());
        let zh = render_html(&report, Lang::Zh, &[("English".into(), "?lang=en".into())]);
        assert!(zh.starts_with("<!DOCTYPE html><html lang=\"zh-CN\">"));
        assert!(zh.contains("12345热线日报") && zh.contains("受理量"));
        assert!(zh.contains("@page{size:A4"));
        assert!(zh.contains("@media print{.toolbar{display:none}"));
        assert!(zh.contains("section+section{break-before:page}"));
        assert!(zh.contains("thead{display:table-header-group}"));
        assert!(zh.contains("<svg class=\"chart\""));
        assert!(
            !zh.contains("src=") && !zh.contains("<link"),
            "no external assets"
        );
        assert!(zh.contains("<nav class=\"toolbar\"><a href=\"?lang=en\">English</a></nav>"));
        let en = render_html(&report, Lang::En, &[]);
        assert!(en.contains("<html lang=\"en\">") && en.contains("12345 hotline daily report"));
        assert!(en.contains("Share answered directly"));
        assert!(!en.contains("<nav"));
    }

    #[test]
    fn the_hourly_report_compares_with_the_hour_before_and_past_weeks() {
        let r = rollups(&[
            (beijing(23, 14), Outcome::Dispatched, 6),
            (beijing(23, 13), Outcome::Dispatched, 4),
            (beijing(16, 14), Outcome::Dispatched, 2),
        ]);
        let hour = |h| Volume::of(&r, beijing(23, h), beijing(23, h + 1));
        let report = hourly(
            beijing(23, 14),
            &hour(14),
            &hour(13),
            &[2, 0, 0, 0],
            &dir(),
            vec![],
            beijing(23, 15),
        );
        assert_eq!(report.period, "2026-11-23 14:00–15:00");
        assert_eq!(figure(&report, "volume", "受理量"), &Cell::Count(6));
        assert_eq!(figure(&report, "volume", "环比").display(), "50.0%");
        assert_eq!(
            figure(&report, "volume", "近四周同时段均值").display(),
            "0.5"
        );
        assert_eq!(figure(&report, "volume", "较均值").display(), "1100.0%");
    }

    #[test]
    fn the_ranking_orders_streets_by_volume_and_by_each_rate() {
        let r = rollups(&[(beijing(23, 10), Outcome::Dispatched, 7)]);
        let month = Volume::of(&r, beijing(1, 0), beijing(30, 0));
        let rates = [
            StreetRates {
                code: "110108007".into(),
                response: Some(0.5),
                resolution: None,
                satisfaction: Some(0.9),
                composite: None,
            },
            StreetRates {
                code: "110108008".into(),
                response: Some(0.8),
                resolution: Some(1.0),
                satisfaction: Some(0.7),
                composite: Some(0.8),
            },
        ];
        let report = ranking("2026-11", &month, &rates, &dir(), 10, beijing(30, 0));
        let table = |key: &str| {
            report
                .sections
                .iter()
                .find(|s| s.key == key)
                .unwrap()
                .table
                .clone()
                .unwrap()
        };
        assert_eq!(table("volume").rows[0][2], Cell::Text("北下关街道".into()));
        assert_eq!(table("volume").rows[0][5].display(), "100.0%");
        assert_eq!(table("response").rows[0][1], Cell::Text("110108008".into()));
        assert_eq!(
            table("satisfaction").rows[0][1],
            Cell::Text("110108007".into())
        );
        // A street without a resolution rate is not ranked by it.
        assert_eq!(table("resolution").rows.len(), 1);
    }

    #[test]
    fn text_is_escaped() {
        let mut report = Report {
            kind: "special".into(),
            title: text("<b>", "<b>"),
            period: "x".into(),
            generated_at: beijing(23, 0),
            sections: vec![Section::new("s", text("a&b", "a&b"))],
        };
        report.sections[0].table = Some(Table {
            columns: vec![text("<i>", "<i>")],
            rows: vec![vec![Cell::Text("<script>".into())]],
        });
        let html = render_html(&report, Lang::Zh, &[]);
        assert!(!html.contains("<script>") && !html.contains("<b>") && !html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;") && html.contains("a&amp;b"));
    }

    #[test]
    fn shares_and_growth_show_a_dash_without_a_base() {
        assert_eq!(Cell::Share(growth(5, 0)).display(), "—");
        assert_eq!(Cell::Share(growth(5, 4)).display(), "25.0%");
        assert_eq!(Cell::Share(share(1, 3)).display(), "33.3%");
    }
}
