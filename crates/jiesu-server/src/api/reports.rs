//! 三率 `GET /api/v1/reports/rates?month=2026-11&by=unit|street&format=json|csv|xlsx`: the
//! monthly ranking of units or streets by the three rates and the composite.
//!
//! Weights default to 0.1 / 0.5 / 0.4 and can be given as `w_response`, `w_resolution`,
//! `w_satisfaction`. The same table is what `jiesu report rates` prints.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiQuery;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use jiesu_core::rates::{GroupBy, RateRow, Weights, rank};
use jiesu_core::{Role, china_day_start, china_offset};
use jiesu_store::{DynStore, Reference};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/rates", get(rates))
        .route("/reports/assist", get(assist))
}

/// A ranked table for one month.
#[derive(Debug, Clone, Serialize)]
pub struct RatesTable {
    /// `2026-11`.
    pub month: String,
    /// Units or streets.
    pub by: GroupBy,
    /// The weights used.
    pub weights: Weights,
    /// Ranked rows, each with its name.
    pub rows: Vec<NamedRow>,
}

/// A row with the name of its unit or street.
#[derive(Debug, Clone, Serialize)]
pub struct NamedRow {
    /// Unit or street name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub row: RateRow,
}

/// A report's period: `from` and `to` days (China time, `to` included) and the instants that
/// bound them.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// The first instant of `from`.
    pub start: DateTime<Utc>,
    /// The first instant after `to`.
    pub end: DateTime<Utc>,
}

impl Period {
    /// The period from the query's `from` and `to` (`YYYY-MM-DD`): `to` defaults to today and
    /// `from` to `days` days ending with `to`; at most a year long.
    pub fn parse(
        state: &AppState,
        from: Option<&str>,
        to: Option<&str>,
        days: u32,
    ) -> ApiResult<Period> {
        let day = |field: &str, raw: Option<&str>| -> ApiResult<Option<NaiveDate>> {
            match raw {
                None | Some("") => Ok(None),
                Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| AppError::invalid(field, "must be a day like 2026-11-23")),
            }
        };
        let today = state.today();
        let to = day("to", to)?.unwrap_or(today);
        let from = day("from", from)?.unwrap_or(to - chrono::Days::new(u64::from(days.max(1)) - 1));
        if from > to || (to - from).num_days() > 366 {
            return Err(AppError::invalid(
                "from",
                "must be on or before 'to', at most 366 days before it",
            ));
        }
        Ok(Period {
            from,
            to,
            start: china_day_start(from),
            end: china_day_start(to + chrono::Days::new(1)),
        })
    }
}

/// The first instant of a month `YYYY-MM` in China, and of the month after.
pub fn month_bounds(month: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), AppError> {
    let bad = || AppError::invalid("month", "must be a month like 2026-11");
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(bad)?;
    Ok((china_day_start(first), china_day_start(next)))
}

/// Counts the month's events into the ranked table.
pub async fn rates_table(
    store: &DynStore,
    reference: &Reference,
    month: &str,
    by: GroupBy,
    weights: Weights,
) -> Result<RatesTable, AppError> {
    weights
        .validate()
        .map_err(|m| AppError::invalid("weights", m))?;
    let (from, to) = month_bounds(month)?;
    let ids = store.tickets_active_between(from, to).await?;
    let logs = store.logs(&ids).await?;
    let names: HashMap<&str, &str> = match by {
        GroupBy::Unit => reference
            .units
            .iter()
            .map(|u| (u.code.as_str(), u.name.as_str()))
            .collect(),
        GroupBy::Street => reference
            .divisions
            .iter()
            .map(|d| (d.code.as_str(), d.name.as_str()))
            .collect(),
    };
    let rows = rank(&logs, from, to, by, weights)
        .into_iter()
        .map(|row| NamedRow {
            name: names
                .get(row.code.as_str())
                .copied()
                .unwrap_or("")
                .to_string(),
            row,
        })
        .collect();
    Ok(RatesTable {
        month: month.to_string(),
        by,
        weights,
        rows,
    })
}

const HEADER: [&str; 13] = [
    "排名 rank",
    "代码 code",
    "名称 name",
    "派单 dispatched",
    "按时签收 acknowledged on time",
    "有效回访 valid callbacks",
    "已解决 resolved",
    "满意 satisfied",
    "基本满意 basically satisfied",
    "响应率 response rate",
    "解决率 resolution rate",
    "满意率 satisfaction rate",
    "综合得分 composite",
];

fn cells(r: &NamedRow) -> [String; 13] {
    let pct = |v: Option<f64>| v.map_or(String::new(), |v| format!("{:.2}", v * 100.0));
    let c = &r.row.counts;
    [
        r.row.rank.to_string(),
        r.row.code.clone(),
        r.name.clone(),
        c.dispatched.to_string(),
        c.acknowledged_on_time.to_string(),
        c.valid_callbacks.to_string(),
        c.resolved.to_string(),
        c.satisfied.to_string(),
        c.basically_satisfied.to_string(),
        pct(r.row.response_rate),
        pct(r.row.resolution_rate),
        pct(r.row.satisfaction_rate),
        pct(r.row.composite),
    ]
}

impl RatesTable {
    /// CSV, rates in percent, with a bilingual header.
    pub fn to_csv(&self) -> Result<Vec<u8>, AppError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| AppError::Internal(e.to_string());
        w.write_record(HEADER).map_err(fail)?;
        for r in &self.rows {
            w.write_record(cells(r)).map_err(fail)?;
        }
        w.into_inner()
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// An Excel workbook with one sheet, rates in percent.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, AppError> {
        use rust_xlsxwriter::{Format, Workbook};
        let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet
            .set_name(format!("三率 {}", self.month))
            .map_err(fail)?;
        let bold = Format::new().set_bold();
        for (col, h) in HEADER.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            sheet
                .write_string_with_format(0, col, *h, &bold)
                .map_err(fail)?;
            sheet.set_column_width(col, 14).map_err(fail)?;
        }
        sheet.set_column_width(2, 28).map_err(fail)?;
        for (i, r) in self.rows.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let c = &r.row.counts;
            let numbers = [
                r.row.rank as f64,
                f64::NAN,
                f64::NAN,
                c.dispatched as f64,
                c.acknowledged_on_time as f64,
                c.valid_callbacks as f64,
                c.resolved as f64,
                c.satisfied as f64,
                c.basically_satisfied as f64,
            ];
            for (col, v) in numbers.iter().enumerate() {
                if !v.is_nan() {
                    sheet.write_number(row, col as u16, *v).map_err(fail)?;
                }
            }
            sheet.write_string(row, 1, &r.row.code).map_err(fail)?;
            sheet.write_string(row, 2, &r.name).map_err(fail)?;
            let rates = [
                r.row.response_rate,
                r.row.resolution_rate,
                r.row.satisfaction_rate,
                r.row.composite,
            ];
            for (k, v) in rates.iter().enumerate() {
                if let Some(v) = v {
                    sheet
                        .write_number(row, 9 + k as u16, (v * 10000.0).round() / 100.0)
                        .map_err(fail)?;
                }
            }
        }
        book.save_to_buffer().map_err(fail)
    }
}

#[derive(Deserialize)]
struct RatesQuery {
    month: Option<String>,
    by: Option<GroupBy>,
    format: Option<String>,
    w_response: Option<f64>,
    w_resolution: Option<f64>,
    w_satisfaction: Option<f64>,
}

/// Who may read reports: analysts, supervisors and dispatchers.
pub(crate) fn may_read(who: &Principal) -> ApiResult<()> {
    who.require(
        &[Role::Analyst, Role::Supervisor, Role::Dispatcher],
        "read reports",
    )
}

/// Who may read reports, and the month asked for (this month in China by default).
pub(crate) fn report_month(
    state: &AppState,
    who: &Principal,
    month: Option<String>,
) -> ApiResult<String> {
    may_read(who)?;
    Ok(month.unwrap_or_else(|| {
        state
            .clock
            .now()
            .with_timezone(&china_offset())
            .format("%Y-%m")
            .to_string()
    }))
}

async fn rates(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<RatesQuery>,
) -> ApiResult<Response> {
    let month = report_month(&state, &who, q.month)?;
    let defaults = Weights::default();
    let weights = Weights {
        response: q.w_response.unwrap_or(defaults.response),
        resolution: q.w_resolution.unwrap_or(defaults.resolution),
        satisfaction: q.w_satisfaction.unwrap_or(defaults.satisfaction),
    };
    let by = q.by.unwrap_or(GroupBy::Unit);
    let table = rates_table(&state.store, &state.reference, &month, by, weights).await?;
    let file = |ext: &str| format!("attachment; filename=\"rates-{month}.{ext}\"");
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(table).into_response()),
        Some("csv") => Ok((
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (CONTENT_DISPOSITION, file("csv")),
            ],
            table.to_csv()?,
        )
            .into_response()),
        Some("xlsx") => Ok((
            [
                (
                    CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (CONTENT_DISPOSITION, file("xlsx")),
            ],
            table.to_xlsx()?,
        )
            .into_response()),
        Some(_) => Err(AppError::invalid("format", "must be json, csv or xlsx")),
    }
}

#[derive(Deserialize)]
struct AssistQuery {
    month: Option<String>,
}

/// `GET /api/v1/reports/assist?month=2026-11`: how often agents kept each field the assistant
/// proposed.
async fn assist(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<AssistQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let month = report_month(&state, &who, q.month)?;
    let (from, to) = month_bounds(&month)?;
    let events = state.store.events_between(from, to).await?;
    let a = jiesu_core::acceptance::acceptance(events.iter().map(|(_, r)| r));
    Ok(Json(serde_json::json!({"month": month, "acceptance": a})))
}
