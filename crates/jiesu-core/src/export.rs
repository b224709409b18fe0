//! 定时数据交换 scheduled exchanges: export jobs defined as data.
//!
//! An [`ExportJob`] says which tickets to take ([`ExportFilter`]), which columns to write
//! ([`Column`], with Chinese headers), in which format (CSV or Excel), under which file name
//! (a template in Beijing time), when ([`Schedule`]: every N hours from Beijing midnight, or
//! daily at a time) and where to ([`Destination`]: a folder or a URL). Everything here is
//! pure: the server reads the tickets, writes the files and logs the runs.

use crate::directory::Directory;
use crate::privacy::mask_phone;
use crate::ticket::{Status, Ticket, china_offset};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// A job definition that cannot be used, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// Field path in request spelling (`schedule.every_hours`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

/// 导出任务 an export job: what to write, when and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportJob {
    /// A unique name, e.g. `待核实工单`.
    pub name: String,
    /// What the job is for, for the admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which tickets.
    #[serde(default)]
    pub filter: ExportFilter,
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// CSV or Excel.
    pub format: Format,
    /// The file name template: `{date}` (2026-11-23), `{hour}` (06), `{minute}`, `{time}`
    /// (0600) and `{name}`, in Beijing time of the scheduled instant; ends with the format's
    /// extension.
    pub file_name: String,
    /// When.
    pub schedule: Schedule,
    /// Where to.
    pub destination: Destination,
    /// Show the caller's phone number whole (masked `138****1234` otherwise).
    #[serde(default)]
    pub show_phone: bool,
    /// Scheduled runs happen only while enabled; a run can be asked for at any time.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Which tickets an export takes; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFilter {
    /// Only these statuses (any when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
    /// Only catalog codes starting with this (a category and everything below it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Only this district code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Only this street code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Only tickets with this lead unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_unit: Option<String>,
    /// Only tickets received in the last this many hours before the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_within_hours: Option<u32>,
    /// Only overdue tickets (true) or only those not overdue (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
}

impl ExportFilter {
    /// The earliest receiving instant a run at `now` takes, when limited.
    pub fn received_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.received_within_hours
            .map(|h| now - Duration::hours(i64::from(h)))
    }

    /// Whether the ticket is one the export takes at `now`.
    pub fn matches(&self, t: &Ticket, now: DateTime<Utc>) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&t.status))
            && self.category.as_ref().is_none_or(|c| {
                t.intake
                    .category_code
                    .as_deref()
                    .is_some_and(|code| code.starts_with(c.as_str()))
            })
            && self
                .district
                .as_ref()
                .is_none_or(|d| t.intake.district_code.as_ref() == Some(d))
            && self
                .street
                .as_ref()
                .is_none_or(|s| t.intake.street_code.as_ref() == Some(s))
            && self
                .lead_unit
                .as_ref()
                .is_none_or(|u| t.lead_unit.as_ref() == Some(u))
            && self
                .received_since(now)
                .is_none_or(|since| t.received_at >= since)
            && self.overdue.is_none_or(|o| is_overdue(t) == o)
    }
}

/// Overdue as the supervisors' queue counts it: past the handle limit while with a unit.
fn is_overdue(t: &Ticket) -> bool {
    t.handle_timeliness == crate::timelimit::Timeliness::Overdue
        && matches!(
            t.status,
            Status::Dispatched | Status::InProgress | Status::Reopened
        )
}

/// File format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// UTF-8 CSV with a header line.
    Csv,
    /// An Excel workbook with one sheet.
    Xlsx,
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// When a job runs, in Beijing time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// Every N hours from Beijing midnight (N divides 24: 1, 2, 3, 4, 6, 8, 12 or 24).
    EveryHours(u32),
    /// Every day at `HH:MM`.
    DailyAt(String),
}

impl Schedule {
    /// Checks the schedule.
    pub fn validate(&self) -> Result<(), Invalid> {
        match self {
            Schedule::EveryHours(n) if *n == 0 || 24 % *n != 0 => Err(invalid(
                "schedule.every_hours",
                "must divide 24: 1, 2, 3, 4, 6, 8, 12 or 24",
            )),
            Schedule::EveryHours(_) => Ok(()),
            Schedule::DailyAt(t) => parse_time(t).map(|_| ()),
        }
    }

    /// The latest scheduled instant at or before `at`.
    pub fn latest(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&china_offset());
        let day = local.date_naive();
        let slot = match self {
            Schedule::EveryHours(n) => {
                let n = (*n).clamp(1, 24);
                let hour = local.hour() / n * n;
                day.and_hms_opt(hour, 0, 0)?
            }
            Schedule::DailyAt(t) => {
                let time = parse_time(t).ok()?;
                let today = day.and_time(time);
                if today <= local.naive_local() {
                    today
                } else {
                    (day - chrono::Days::new(1)).and_time(time)
                }
            }
        };
        china_offset()
            .from_local_datetime(&slot)
            .single()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The first scheduled instant strictly after `after`.
    pub fn next_run(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let step = match self {
            Schedule::EveryHours(n) => Duration::hours(i64::from((*n).clamp(1, 24))),
            Schedule::DailyAt(_) => Duration::days(1),
        };
        // China has no daylight saving: slots are evenly spaced.
        self.latest(after).map(|l| l + step)
    }

    /// The slot a job should run for at `now`, if one came since `since` (its last scheduled
    /// run, or its creation): only the latest, however many were missed.
    pub fn due(&self, since: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.latest(now).filter(|slot| *slot > since)
    }
}

fn parse_time(t: &str) -> Result<NaiveTime, Invalid> {
    NaiveTime::parse_from_str(t, "%H:%M")
        .map_err(|_| invalid("schedule.daily_at", "must be a time like 08:30"))
}

/// Where a run's file goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    /// Written into this folder (an absolute path on the server), replacing a file of the
    /// same name whole.
    Folder(String),
    /// POSTed as the request body to this `http://` or `https://` URL (the server may refuse
    /// `https://` when built without TLS).
    Url(String),
}

/// A column an export can write, with its Chinese header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// 编号.
    Number,
    /// 受理时间.
    ReceivedAt,
    /// 渠道.
    Channel,
    /// 诉求人.
    CallerName,
    /// 诉求人电话 (masked unless the job shows phones).
    CallerPhone,
    /// 区.
    District,
    /// 街道.
    Street,
    /// 地址.
    Address,
    /// 类别.
    Category,
    /// 标题.
    Title,
    /// 内容.
    Content,
    /// 紧急程度.
    Urgency,
    /// 承办单位.
    LeadUnit,
    /// 状态.
    Status,
    /// 时限 the reply deadline.
    Deadline,
    /// 是否超期.
    Overdue,
    /// 答复时间.
    RepliedAt,
}

impl Column {
    /// Every column, in a sensible order.
    pub const ALL: &'static [Column] = &[
        Column::Number,
        Column::ReceivedAt,
        Column::Channel,
        Column::CallerName,
        Column::CallerPhone,
        Column::District,
        Column::Street,
        Column::Address,
        Column::Category,
        Column::Title,
        Column::Content,
        Column::Urgency,
        Column::LeadUnit,
        Column::Status,
        Column::Deadline,
        Column::Overdue,
        Column::RepliedAt,
    ];

    /// The header written above the column.
    pub fn header(self) -> &'static str {
        match self {
            Column::Number => "编号",
            Column::ReceivedAt => "受理时间",
            Column::Channel => "渠道",
            Column::CallerName => "诉求人",
            Column::CallerPhone => "诉求人电话",
            Column::District => "区",
            Column::Street => "街道",
            Column::Address => "地址",
            Column::Category => "类别",
            Column::Title => "标题",
            Column::Content => "内容",
            Column::Urgency => "紧急程度",
            Column::LeadUnit => "承办单位",
            Column::Status => "状态",
            Column::Deadline => "时限",
            Column::Overdue => "是否超期",
            Column::RepliedAt => "答复时间",
        }
    }

    /// The cell of this column for a ticket; codes become names through `dir`.
    pub fn cell(self, t: &Ticket, dir: &dyn Directory, show_phone: bool) -> String {
        let time = |at: DateTime<Utc>| {
            at.with_timezone(&china_offset())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let division = |code: &Option<String>| {
            code.as_deref()
                .map(|c| dir.division(c).map_or(c.to_string(), |d| d.name.clone()))
                .unwrap_or_default()
        };
        match self {
            Column::Number => t.number.clone(),
            Column::ReceivedAt => time(t.received_at),
            Column::Channel => channel_name(t.intake.channel).to_string(),
            Column::CallerName if t.intake.confidential => crate::privacy::HIDDEN_NAME.into(),
            Column::CallerName => t.intake.caller.name.clone(),
            Column::CallerPhone if show_phone => t.intake.caller.phone.clone(),
            Column::CallerPhone => mask_phone(&t.intake.caller.phone),
            Column::District => division(&t.intake.district_code),
            Column::Street => division(&t.intake.street_code),
            Column::Address => opt(&t.intake.address),
            Column::Category => t
                .intake
                .category_code
                .as_deref()
                .map(|c| dir.catalog(c).map_or(c.to_string(), |n| n.name.clone()))
                .unwrap_or_default(),
            Column::Title => t
                .intake
                .title
                .clone()
                .unwrap_or_else(|| t.intake.content.chars().take(30).collect()),
            Column::Content => t.intake.content.clone(),
            Column::Urgency => match t.intake.urgency {
                crate::ticket::Urgency::Normal => "一般".into(),
                crate::ticket::Urgency::Urgent => "紧急".into(),
            },
            Column::LeadUnit => t
                .lead_unit
                .as_deref()
                .map(|c| dir.unit(c).map_or(c.to_string(), |u| u.name.clone()))
                .unwrap_or_default(),
            Column::Status => status_name(t.status).to_string(),
            Column::Deadline => t
                .deadlines
                .as_ref()
                .map(|d| time(d.handle_by))
                .unwrap_or_default(),
            Column::Overdue => if is_overdue(t) { "是" } else { "否" }.into(),
            Column::RepliedAt => t.replied_at.map(time).unwrap_or_default(),
        }
    }
}

/// The Chinese name of a status, as written in exports and reports.
pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Received => "已受理",
        Status::Answered => "直接答复",
        Status::Dispatched => "已派单",
        Status::Returned => "已退单",
        Status::InProgress => "办理中",
        Status::Replied => "已答复待核实",
        Status::Reopened => "重办",
        Status::Closed => "已结案",
        Status::Merged => "已合并",
    }
}

fn channel_name(c: crate::ticket::Channel) -> &'static str {
    use crate::ticket::Channel as C;
    match c {
        C::Phone => "电话",
        C::Web => "网站",
        C::Wechat => "微信",
        C::App => "App",
        C::Letter => "信件",
        C::Api => "接口",
    }
}

/// Longest accepted job name or file name template, in characters.
const MAX_NAME: usize = 100;

impl ExportJob {
    /// Checks the definition; the error names the field at fault.
    pub fn validate(&self) -> Result<(), Invalid> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(invalid("name", "must be 1 to 100 characters"));
        }
        if self.columns.is_empty() {
            return Err(invalid("columns", "must name at least one column"));
        }
        for (i, c) in self.columns.iter().enumerate() {
            if self.columns[..i].contains(c) {
                return Err(invalid(&format!("columns[{i}]"), "is already in the list"));
            }
        }
        self.validate_file_name()?;
        self.schedule.validate()?;
        match &self.destination {
            Destination::Folder(p) if !std::path::Path::new(p).is_absolute() => Err(invalid(
                "destination.folder",
                "must be an absolute path on the server",
            )),
            Destination::Url(u) if !(u.starts_with("http://") || u.starts_with("https://")) => Err(
                invalid("destination.url", "must start with http:// or https://"),
            ),
            _ => Ok(()),
        }?;
        if self.filter.received_within_hours == Some(0) {
            return Err(invalid(
                "filter.received_within_hours",
                "must be at least 1",
            ));
        }
        for (field, v) in [
            ("filter.category", &self.filter.category),
            ("filter.district", &self.filter.district),
            ("filter.street", &self.filter.street),
            ("filter.lead_unit", &self.filter.lead_unit),
        ] {
            if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(invalid(field, "must not be empty when given"));
            }
        }
        Ok(())
    }

    fn validate_file_name(&self) -> Result<(), Invalid> {
        let f = &self.file_name;
        if f.trim().is_empty() || f.chars().count() > MAX_NAME {
            return Err(invalid("file_name", "must be 1 to 100 characters"));
        }
        if f.contains(['/', '\\', '\0']) || f.starts_with('.') {
            return Err(invalid(
                "file_name",
                "must be a plain file name (no folders, not starting with a dot)",
            ));
        }
        let mut rest = f.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                return Err(invalid("file_name", "has a '{' without its '}'"));
            };
            let key = &after[..close];
            if !["date", "hour", "minute", "time", "name"].contains(&key) {
                return Err(invalid(
                    "file_name",
                    format!(
                        "unknown placeholder {{{key}}}: use {{date}}, {{hour}}, {{minute}}, {{time}} or {{name}}"
                    ),
                ));
            }
            rest = &after[close + 1..];
        }
        let ext = format!(".{}", self.format.extension());
        if !f.to_lowercase().ends_with(&ext) {
            return Err(invalid("file_name", format!("must end with {ext}")));
        }
        Ok(())
    }

    /// The file name of a run for the instant `at` (Beijing time).
    pub fn file_name_at(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&china_offset());
        self.file_name
            .replace("{date}", &local.format("%Y-%m-%d").to_string())
            .replace("{hour}", &local.format("%H").to_string())
            .replace("{minute}", &local.format("%M").to_string())
            .replace("{time}", &local.format("%H%M").to_string())
            .replace("{name}", &self.name.replace(['/', '\\'], "_"))
    }

    /// The header line.
    pub fn headers(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.header()).collect()
    }

    /// One ticket's cells.
    pub fn row(&self, t: &Ticket, dir: &dyn Directory) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| c.cell(t, dir, self.show_phone))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beijing(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        china_offset()
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn job() -> ExportJob {
        serde_json::from_value(serde_json::json!({
            "name": "待核实工单",
            "filter": {"statuses": ["replied"], "lead_unit": "cgw"},
            "columns": ["number", "received_at", "caller_phone", "street", "status"],
            "format": "csv",
            "file_name": "待核实-{date}-{hour}.csv",
            "schedule": {"every_hours": 6},
            "destination": {"folder": "/var/lib/jiesu/exports"}
        }))
        .unwrap()
    }

    fn field_of(j: &ExportJob) -> String {
        j.validate().unwrap_err().field
    }

    #[test]
    fn every_six_hours_runs_at_beijing_midnight_six_noon_and_eighteen() {
        let s = Schedule::EveryHours(6);
        assert_eq!(s.next_run(beijing(23, 0, 0)), Some(beijing(23, 6, 0)));
        assert_eq!(s.next_run(beijing(23, 5, 59)), Some(beijing(23, 6, 0)));
        assert_eq!(s.next_run(beijing(23, 6, 0)), Some(beijing(23, 12, 0)));
        assert_eq!(s.next_run(beijing(23, 19, 30)), Some(beijing(24, 0, 0)));
        assert_eq!(s.latest(beijing(23, 17, 59)), Some(beijing(23, 12, 0)));
    }

    #[test]
    fn daily_runs_once_a_day_at_its_time() {
        let s = Schedule::DailyAt("08:30".into());
        assert_eq!(s.next_run(beijing(23, 8, 29)), Some(beijing(23, 8, 30)));
        assert_eq!(s.next_run(beijing(23, 8, 30)), Some(beijing(24, 8, 30)));
        assert_eq!(s.latest(beijing(23, 7, 0)), Some(beijing(22, 8, 30)));
    }

    #[test]
    fn missed_slots_make_one_run_for_the_latest() {
        let s = Schedule::EveryHours(6);
        // Last ran at 06:00; down until 19:10: one run, for 18:00.
        assert_eq!(
            s.due(beijing(23, 6, 0), beijing(23, 19, 10)),
            Some(beijing(23, 18, 0))
        );
        // Nothing new since the last run.
        assert_eq!(s.due(beijing(23, 18, 0), beijing(23, 23, 59)), None);
        // Created at 07:00: nothing before 12:00.
        assert_eq!(s.due(beijing(23, 7, 0), beijing(23, 11, 59)), None);
        assert_eq!(
            s.due(beijing(23, 7, 0), beijing(23, 12, 0)),
            Some(beijing(23, 12, 0))
        );
    }

    #[test]
    fn file_names_use_beijing_time() {
        let j = job();
        assert_eq!(
            j.file_name_at(beijing(23, 6, 0)),
            "待核实-2026-11-23-06.csv"
        );
        // 23:00 UTC is 07:00 the next day in Beijing.
        let utc = Utc.with_ymd_and_hms(2026, 11, 23, 23, 0, 0).unwrap();
        assert_eq!(j.file_name_at(utc), "待核实-2026-11-24-07.csv");
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(job().validate(), Ok(()));
        let mut j = job();
        j.schedule = Schedule::EveryHours(5);
        assert_eq!(field_of(&j), "schedule.every_hours");
        let mut j = job();
        j.schedule = Schedule::DailyAt("25:00".into());
        assert_eq!(field_of(&j), "schedule.daily_at");
        let mut j = job();
        j.file_name = "../x.csv".into();
        assert_eq!(field_of(&j), "file_name");
        let mut j = job();
        j.file_name = "x-{day}.csv".into();
        assert_eq!(field_of(&j), "file_name");
        let mut j = job();
        j.format = Format::Xlsx;
        assert_eq!(field_of(&j), "file_name");
        let mut j = job();
        j.columns.push(Column::Number);
        assert_eq!(field_of(&j), "columns[5]");
        let mut j = job();
        j.columns.clear();
        assert_eq!(field_of(&j), "columns");
        let mut j = job();
        j.destination = Destination::Folder("exports".into());
        assert_eq!(field_of(&j), "destination.folder");
        let mut j = job();
        j.destination = Destination::Url("ftp://x".into());
        assert_eq!(field_of(&j), "destination.url");
        let mut j = job();
        j.name = " ".into();
        assert_eq!(field_of(&j), "name");
        let mut j = job();
        j.filter.received_within_hours = Some(0);
        assert_eq!(field_of(&j), "filter.received_within_hours");
    }

    #[test]
    fn unknown_columns_are_refused_when_read() {
        let mut v = serde_json::to_value(job()).unwrap();
        v["columns"] = serde_json::json!(["number", "salary"]);
        assert!(serde_json::from_value::<ExportJob>(v).is_err());
    }

    #[test]
    fn the_definition_round_trips_as_json() {
        let j = job();
        let back: ExportJob = serde_json::from_value(serde_json::to_value(&j).unwrap()).unwrap();
        assert_eq!(back, j);
        assert_eq!(
            serde_json::to_value(&j).unwrap()["schedule"],
            serde_json::json!({"every_hours": 6})
        );
    }
}
