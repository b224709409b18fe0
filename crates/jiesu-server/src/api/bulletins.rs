//! The printable reports: `GET /api/v1/reports/hourly` (整点热点), `/reports/daily` (日报),
//! `/reports/special` (专报; on the period's top category when no topic is given) and
//! `/reports/ranking` (the monthly street ranking), each as an HTML page (Chinese, `lang=en`
//! for English), an Excel workbook (one sheet per section) or JSON. The numbers come from the
//! analytics counters, the units' rollups, the three rates and the self-service log; the
//! sections and the page from [`jiesu_core::report`].

use crate::AppState;
use crate::api::reports::may_read;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiQuery;
use axum::extract::{OriginalUri, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use jiesu_core::analytics::{Dim, Grain, WindowKind};
use jiesu_core::export::ExportFilter;
use jiesu_core::report::{
    Cell, Daily, Lang, Report, Section, SelfService, StreetRates, Table, Text, UnitFigures, Volume,
    render_html, text,
};
use jiesu_core::{Ticket, china_day_start, china_offset};
use jiesu_store::TicketFilter;
use serde::Deserialize;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/hourly", get(hourly))
        .route("/reports/daily", get(daily))
        .route("/reports/special", get(special))
        .route("/reports/ranking", get(ranking))
}

/// Most tickets a special report reads.
const SPECIAL_MAX: usize = 20_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Xlsx,
    Json,
}

fn format_and_lang(format: Option<&str>, lang: Option<&str>) -> ApiResult<(Format, Lang)> {
    let format = match format {
        None | Some("html") => Format::Html,
        Some("xlsx") => Format::Xlsx,
        Some("json") => Format::Json,
        Some(_) => return Err(AppError::invalid("format", "must be html, xlsx or json")),
    };
    let lang = match lang {
        None | Some("zh") | Some("zh-CN") => Lang::Zh,
        Some("en") => Lang::En,
        Some(_) => return Err(AppError::invalid("lang", "must be zh or en")),
    };
    Ok((format, lang))
}

/// The query string with `key` set to `value` (others kept).
fn with_param(uri: &axum::http::Uri, key: &str, value: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .filter(|(k, _)| k != key)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    pairs.push((key.to_string(), value.to_string()));
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}?{query}", uri.path())
}

/// The answer in the format asked for.
fn answer(
    report: Report,
    format: Format,
    lang: Lang,
    uri: &axum::http::Uri,
    file: &str,
) -> ApiResult<Response> {
    match format {
        Format::Json => Ok(Json(report).into_response()),
        Format::Html => {
            let (other, other_lang) = match lang {
                Lang::Zh => ("English", "en"),
                Lang::En => ("中文", "zh"),
            };
            let excel = match lang {
                Lang::Zh => "下载Excel",
                Lang::En => "Excel workbook",
            };
            let links = [
                (other.to_string(), with_param(uri, "lang", other_lang)),
                (excel.to_string(), with_param(uri, "format", "xlsx")),
            ];
            Ok((
                [(CONTENT_TYPE, "text/html; charset=utf-8")],
                render_html(&report, lang, &links),
            )
                .into_response())
        }
        Format::Xlsx => Ok((
            [
                (
                    CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}.xlsx\""),
                ),
            ],
            to_xlsx(&report)?,
        )
            .into_response()),
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique in the book.
fn sheet_name(title: &str, taken: &mut Vec<String>) -> String {
    let clean: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    let mut name = clean.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{clean}{n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// The report as an Excel workbook: one sheet per section, Chinese headers; counts as numbers,
/// shares as percentages.
pub fn to_xlsx(report: &Report) -> ApiResult<Vec<u8>> {
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let bold = XFormat::new().set_bold();
    let percent = XFormat::new().set_num_format("0.0%");
    let mut taken = Vec::new();
    for section in &report.sections {
        let sheet = book.add_worksheet();
        sheet
            .set_name(sheet_name(&section.title.zh, &mut taken))
            .map_err(fail)?;
        sheet.set_column_width(0, 24).map_err(fail)?;
        for c in 1..8 {
            sheet.set_column_width(c, 16).map_err(fail)?;
        }
        let title = format!(
            "{} {} · {}",
            report.title.zh, report.period, section.title.zh
        );
        sheet
            .write_string_with_format(0, 0, &title, &bold)
            .map_err(fail)?;
        let mut row = 2u32;
        let put = |sheet: &mut rust_xlsxwriter::Worksheet, r: u32, c: u16, cell: &Cell| match cell {
            Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ()),
            Cell::Count(n) => sheet.write_number(r, c, *n as f64).map(|_| ()),
            Cell::Share(Some(v)) => sheet
                .write_number_with_format(r, c, *v, &percent)
                .map(|_| ()),
            Cell::Share(None) => sheet.write_string(r, c, "—").map(|_| ()),
        };
        for f in &section.figures {
            sheet
                .write_string_with_format(row, 0, &f.label.zh, &bold)
                .map_err(fail)?;
            put(sheet, row, 1, &f.value).map_err(fail)?;
            row += 1;
        }
        if !section.figures.is_empty() {
            row += 1;
        }
        if let Some(table) = &section.table {
            for (c, h) in table.columns.iter().enumerate() {
                sheet
                    .write_string_with_format(row, c as u16, &h.zh, &bold)
                    .map_err(fail)?;
            }
            row += 1;
            for r in &table.rows {
                for (c, cell) in r.iter().enumerate() {
                    put(sheet, row, c as u16, cell).map_err(fail)?;
                }
                row += 1;
            }
        } else if let Some(chart) = &section.chart {
            sheet
                .write_string_with_format(row, 0, "项目", &bold)
                .map_err(fail)?;
            sheet
                .write_string_with_format(row, 1, &chart.title.zh, &bold)
                .map_err(fail)?;
            row += 1;
            for (label, n) in &chart.bars {
                sheet.write_string(row, 0, label).map_err(fail)?;
                sheet.write_number(row, 1, *n as f64).map_err(fail)?;
                row += 1;
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// 热词 the terms of the window's titles with their growth, from the analytics.
fn terms_section(hot: &crate::analytics::Hot, before: Text) -> Section {
    let mut section = Section::new("terms", text("热词", "Hot terms"));
    section.chart = Some(jiesu_core::report::Chart {
        title: text("提及工单数", "Tickets naming it"),
        bars: hot
            .terms
            .iter()
            .map(|t| (t.term.clone(), t.trend.count))
            .collect(),
    });
    section.table = Some(Table {
        columns: vec![
            text("热词", "term"),
            text("工单数", "tickets"),
            before,
            text("增幅", "growth"),
            text("近四周均值", "4-week mean"),
        ],
        rows: hot
            .terms
            .iter()
            .map(|t| {
                vec![
                    Cell::Text(t.term.clone()),
                    Cell::Count(t.trend.count),
                    Cell::Count(t.trend.previous),
                    Cell::Share(t.trend.growth),
                    Cell::Text(format!("{:.1}", t.trend.baseline)),
                ]
            })
            .collect(),
    });
    section
}

/// 预警 spikes: hour, what, name, count, expected and z-score, from alerts as the API shows
/// them.
fn spikes_section(title: Text, alerts: &[serde_json::Value]) -> Section {
    let mut section = Section::new("spikes", title);
    let hour = |v: &serde_json::Value| {
        serde_json::from_value::<DateTime<Utc>>(v.clone())
            .map(|t| t.with_timezone(&china_offset()).format("%H:00").to_string())
            .unwrap_or_default()
    };
    section.table = Some(Table {
        columns: vec![
            text("时段", "hour"),
            text("类型", "kind"),
            text("名称", "name"),
            text("诉求量", "tickets"),
            text("预期", "expected"),
            text("z值", "z"),
        ],
        rows: alerts
            .iter()
            .map(|a| {
                let kind = a["dim"].as_str().unwrap_or_default();
                vec![
                    Cell::Text(hour(&a["hour"])),
                    Cell::Text(if kind == "street" { "街道" } else { "类别" }.to_string()),
                    Cell::Text(a["name"].as_str().unwrap_or_default().to_string()),
                    Cell::Count(a["count"].as_i64().unwrap_or(0)),
                    Cell::Text(format!("{:.1}", a["expected"].as_f64().unwrap_or(0.0))),
                    Cell::Text(format!("{:.1}", a["z"].as_f64().unwrap_or(0.0))),
                ]
            })
            .collect(),
    });
    section.note = Some(text(
        "预警为当时段诉求量显著高于近四周同时段水平的类别或街道。",
        "A spike is a category or street whose hour was well above the same hour in the past 4 weeks.",
    ));
    section
}

/// Tickets received in `[from, to)` by the dimensions the reports show, from the analytics
/// bucket counters (daily buckets for whole Beijing days, hourly otherwise); `by_hour` adds
/// the hour-by-hour totals.
async fn volume(
    state: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by_hour: bool,
) -> ApiResult<Volume> {
    let day = Grain::Day;
    let grain =
        if to - from >= Duration::days(1) && day.bucket_of(from) == from && day.bucket_of(to) == to
        {
            day
        } else {
            Grain::Hour
        };
    let mut v = Volume::default();
    let counts = |dim| state.store.bucket_counts(grain, dim, from, to);
    for (key, n) in counts(Dim::Channel).await? {
        v.total += n;
        if let Some(c) = jiesu_core::Channel::parse(&key) {
            *v.channels.entry(c.as_str()).or_default() += n;
        }
    }
    for (key, n) in counts(Dim::Outcome).await? {
        let outcome = match key.as_str() {
            "answered" => "answered",
            "dispatched" => "dispatched",
            _ => "received",
        };
        *v.outcomes.entry(outcome).or_default() += n;
    }
    for (dim, map) in [
        (Dim::Category2, &mut v.categories),
        (Dim::Street, &mut v.streets),
        (Dim::District, &mut v.districts),
    ] {
        for (key, n) in counts(dim).await? {
            if !key.is_empty() {
                *map.entry(key).or_default() += n;
            }
        }
    }
    if by_hour {
        for (at, _, n) in state
            .store
            .bucket_series(Grain::Hour, Dim::Channel, from, to)
            .await?
        {
            *v.hours.entry(at).or_default() += n;
        }
    }
    Ok(v)
}

/// The units' time-limit figures of `[from, to)`.
async fn unit_figures(
    state: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<UnitFigures> {
    let mut out = UnitFigures::new();
    for (k, n) in state.store.unit_rollups(from, to).await? {
        *out.entry(k.unit).or_default().entry(k.figure).or_default() += n;
    }
    Ok(out)
}

#[derive(Deserialize)]
struct DailyQuery {
    date: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

/// The day asked for (`YYYY-MM-DD`), yesterday in China by default.
fn report_day(state: &AppState, date: Option<&str>) -> ApiResult<NaiveDate> {
    match date {
        None | Some("") => Ok(state.today() - chrono::Days::new(1)),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| AppError::invalid("date", "must be a day like 2026-11-23")),
    }
}

async fn self_service(
    state: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<SelfService> {
    let counts = state.store.contacts_between(from, to).await?;
    let mut s = SelfService::default();
    for ((kind, outcome), n) in counts {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        match kind.as_str() {
            "ivr" => {
                s.ivr += n;
                if outcome == jiesu_core::ivr::CallOutcome::SelfServed.as_str() {
                    s.ivr_served += n;
                }
            }
            "bot" => {
                s.bot += n;
                if outcome == "answered" {
                    s.bot_served += n;
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

/// `GET /reports/daily?date=2026-11-23&format=html|xlsx|json&lang=zh|en`.
async fn daily(
    State(state): State<AppState>,
    who: Principal,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<DailyQuery>,
) -> ApiResult<Response> {
    may_read(&who)?;
    let (format, lang) = format_and_lang(q.format.as_deref(), q.lang.as_deref())?;
    let day = report_day(&state, q.date.as_deref())?;
    let start = china_day_start(day);
    let ss = self_service(&state, start, start + Duration::days(1)).await?;
    let directory = state.directory();
    let end = start + Duration::days(1);
    let hot = crate::analytics::hot(&state, WindowKind::Day, 2, 10, end).await?;
    let alerts: Vec<serde_json::Value> = state
        .store
        .alerts(1000)
        .await?
        .iter()
        .filter(|a| a.hour >= start && a.hour < end)
        .rev()
        .map(|a| crate::analytics::alert_json(&state, a))
        .collect();
    let extra = vec![
        terms_section(&hot, text("前一日", "day before")),
        spikes_section(text("当日预警", "Spikes of the day"), &alerts),
    ];
    let report = jiesu_core::report::daily(Daily {
        day: day.to_string(),
        start,
        today: volume(&state, start, end, true).await?,
        yesterday: volume(&state, start - Duration::days(1), start, false).await?,
        units: unit_figures(&state, start, end).await?,
        self_service: ss,
        dir: directory.as_ref(),
        extra,
        generated_at: state.clock.now(),
    });
    answer(report, format, lang, &uri, &format!("daily-{day}"))
}

#[derive(Deserialize)]
struct HourlyQuery {
    at: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

/// `GET /reports/hourly?at=…`: the last complete clock hour before `at` (now by default).
async fn hourly(
    State(state): State<AppState>,
    who: Principal,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<HourlyQuery>,
) -> ApiResult<Response> {
    may_read(&who)?;
    let (format, lang) = format_and_lang(q.format.as_deref(), q.lang.as_deref())?;
    let at = match q.at.as_deref() {
        None | Some("") => state.clock.now(),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                AppError::invalid(
                    "at",
                    "must be an RFC 3339 instant like 2026-11-23T15:00:00+08:00",
                )
            })?,
    };
    let this_hour = at
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at);
    let start = this_hour - Duration::hours(1);
    let directory = state.directory();
    let hot = crate::analytics::hot(&state, WindowKind::Hour, 2, 10, this_hour).await?;
    let names = crate::analytics::Names::new(&state.reference);
    let spikes: Vec<serde_json::Value> = crate::analytics::spike_check(&state, start)
        .await?
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            v["hour"] = serde_json::to_value(start).unwrap_or_default();
            v["name"] = names.of(a.dim, &a.key).into();
            v
        })
        .collect();
    let extra = vec![
        terms_section(&hot, text("上一小时", "hour before")),
        spikes_section(text("本时段预警", "Spikes this hour"), &spikes),
    ];
    let now = volume(&state, start, this_hour, false).await?;
    let before = volume(&state, start - Duration::hours(1), start, false).await?;
    let mut past_weeks = Vec::with_capacity(4);
    for w in 1..=4 {
        let at = start - Duration::weeks(w);
        let counts = state
            .store
            .bucket_counts(Grain::Hour, Dim::Channel, at, at + Duration::hours(1))
            .await?;
        past_weeks.push(counts.iter().map(|(_, n)| n).sum());
    }
    let report = jiesu_core::report::hourly(
        start,
        &now,
        &before,
        &past_weeks,
        directory.as_ref(),
        extra,
        state.clock.now(),
    );
    let name = start
        .with_timezone(&china_offset())
        .format("hourly-%Y-%m-%d-%H")
        .to_string();
    answer(report, format, lang, &uri, &name)
}

#[derive(Deserialize)]
struct SpecialQuery {
    category: Option<String>,
    term: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

/// `GET /reports/special?category=0102|term=…&from=&to=` (30 days to today by default).
async fn special(
    State(state): State<AppState>,
    who: Principal,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<SpecialQuery>,
) -> ApiResult<Response> {
    may_read(&who)?;
    let (format, lang) = format_and_lang(q.format.as_deref(), q.lang.as_deref())?;
    let period =
        crate::api::reports::Period::parse(&state, q.from.as_deref(), q.to.as_deref(), 30)?;
    let in_period = |t: &Ticket| t.received_at >= period.start && t.received_at < period.end;
    let directory = state.directory();
    let mut tickets = Vec::new();
    let mut category = q.category.as_deref().map(|c| c.trim().to_string());
    // A term left blank (the reports page's form) is no term.
    let term = q.term.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if category.is_none() && term.is_none() {
        // No topic: the period's most frequent category.
        category = volume(&state, period.start, period.end, false)
            .await?
            .categories
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(code, _)| code);
    }
    let topic: Text = match (category.as_deref(), term) {
        (Some(c), None) if !c.is_empty() => {
            let node = jiesu_core::Directory::catalog(directory.as_ref(), c).ok_or_else(|| {
                AppError::invalid("category", format!("unknown catalog code '{c}'"))
            })?;
            // Read from the period's start on (the receiving-time index), not from the
            // first ticket ever.
            let hours = (period.end - period.start).num_hours();
            let filter = ExportFilter {
                category: Some(c.to_string()),
                received_within_hours: u32::try_from(hours).ok(),
                ..ExportFilter::default()
            };
            let mut after = None;
            loop {
                let (page, next) = state
                    .store
                    .export_tickets(&filter, period.end, after, 1000)
                    .await?;
                tickets.extend(page.into_iter().filter(in_period));
                match next {
                    Some(n) if tickets.len() < SPECIAL_MAX => after = Some(n),
                    _ => break,
                }
            }
            Text {
                zh: node.name.clone(),
                en: format!("category {c} {}", node.name),
            }
        }
        (None, Some(t)) if !t.is_empty() && t.chars().count() <= 50 => {
            let mut filter = TicketFilter {
                text: Some(t.to_string()),
                limit: 500,
                ..TicketFilter::default()
            };
            'pages: loop {
                let page = state.store.list_tickets(&filter).await?;
                for ticket in page.items {
                    if ticket.received_at < period.start {
                        break 'pages;
                    }
                    if in_period(&ticket) {
                        tickets.push(ticket);
                    }
                }
                match page.next_cursor {
                    Some(c) if tickets.len() < SPECIAL_MAX => filter.cursor = Some(c),
                    _ => break,
                }
            }
            Text {
                zh: format!("“{t}”"),
                en: format!("\"{t}\""),
            }
        }
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "category",
                "give a category or a term, not both",
            ));
        }
        (None, Some(_)) => return Err(AppError::invalid("term", "must be 1 to 50 characters")),
        (Some(_), None) => {
            return Err(AppError::invalid(
                "category",
                "must not be empty when given",
            ));
        }
        (None, None) => Text {
            zh: "无（期间没有诉求）".into(),
            en: "none (no tickets in the period)".into(),
        },
    };
    let days: Vec<NaiveDate> = period
        .from
        .iter_days()
        .take_while(|d| *d <= period.to)
        .collect();
    let report = jiesu_core::report::special(
        topic,
        &days,
        &tickets,
        directory.as_ref(),
        state.clock.now(),
    );
    answer(
        report,
        format,
        lang,
        &uri,
        &format!("special-{}-{}", period.from, period.to),
    )
}

#[derive(Deserialize)]
struct RankingQuery {
    month: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

/// `GET /reports/ranking?month=2026-11`: streets by volume and by the three rates.
async fn ranking(
    State(state): State<AppState>,
    who: Principal,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> ApiResult<Response> {
    let month = crate::api::reports::report_month(&state, &who, q.month)?;
    let (format, lang) = format_and_lang(q.format.as_deref(), q.lang.as_deref())?;
    let bounds = crate::api::reports::month_bounds(&month)?;
    let rates = crate::api::reports::rates_table(
        &state.store,
        &state.reference,
        &month,
        jiesu_core::rates::GroupBy::Street,
        jiesu_core::rates::Weights::default(),
    )
    .await?;
    let rates: Vec<StreetRates> = rates
        .rows
        .iter()
        .map(|r| StreetRates {
            code: r.row.code.clone(),
            response: r.row.response_rate,
            resolution: r.row.resolution_rate,
            satisfaction: r.row.satisfaction_rate,
            composite: r.row.composite,
        })
        .collect();
    let directory = state.directory();
    let report = jiesu_core::report::ranking(
        &month,
        &volume(&state, bounds.0, bounds.1, false).await?,
        &rates,
        directory.as_ref(),
        10,
        state.clock.now(),
    );
    answer(report, format, lang, &uri, &format!("ranking-{month}"))
}
