//! `jiesu import FILE`: historical requests from CSV.
//!
//! Two shapes are recognised by their header:
//! - jiesu's own: `received_at,channel,title,content,caller_name,caller_phone,address,
//!   district_code,street_code,category_code,urgency,external_id,status,closed_at,note`
//!   (only `content` is required);
//! - Baltimore 311 (`SRRecordID,ServiceRequestNum,SRType,MethodReceived,CreatedDate,…`);
//! - messages with official replies (`title`, `reply`): knowledge-base entries, see
//!   [`crate::knowledge`].
//!
//! Each good row becomes a ticket received at its original time; a row the source marks closed
//! is closed with a note saying so. Importing the same file twice creates nothing new (each row's
//! source id, kept as the ticket's `external_ref`, is unique; rows of jiesu's shape without an
//! `external_id` are identified by file name and line). Bad rows are reported with their line number and reason,
//! and the good rows are imported.

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use jiesu_core::{
    Actor, Caller, Channel, Command, DecideError, Intake, MemoryDirectory, TicketId, Urgency,
    execute,
};
use jiesu_store::{Append, DynStore, NewTicket};
use std::collections::HashMap;
use std::path::Path;

/// Rows written per transaction.
const BATCH: usize = 1000;

/// One row turned into a ticket to create, and what happened to it at the source.
struct Row {
    line: u64,
    received_at: DateTime<Utc>,
    intake: Intake,
    /// Set when the source says the request is closed: when, and the note to record.
    closed: Option<(DateTime<Utc>, String)>,
}

/// A problem with one row.
struct Problem {
    line: u64,
    message: String,
}

/// The cells of one CSV row, by column name.
struct Fields<'a> {
    col: &'a HashMap<String, usize>,
    record: &'a csv::StringRecord,
}

impl<'a> Fields<'a> {
    /// The trimmed cell, `None` when absent or blank.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.col
            .get(name)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

enum Shape {
    Jiesu,
    Baltimore,
}

/// Runs the import and prints a summary.
pub async fn run(store: DynStore, file: &Path) -> anyhow::Result<()> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("file: cannot read {}", file.display()))?
        .len();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .with_context(|| format!("file: cannot open {}", file.display()))?;
    let headers = reader
        .headers()
        .context("file: no CSV header line")?
        .clone();
    let col: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
        .collect();
    if col.contains_key("reply") && col.contains_key("title") {
        drop(reader);
        return crate::knowledge::import(store, file).await;
    }
    let shape = if col.contains_key("SRRecordID") && col.contains_key("CreatedDate") {
        Shape::Baltimore
    } else if col.contains_key("content") {
        Shape::Jiesu
    } else {
        bail!(
            "file: unrecognised header; expected jiesu columns (at least 'content') or Baltimore 311 columns (SRRecordID, CreatedDate, …)"
        );
    };
    // Rows without a source id are known by file and line.
    let source = file
        .file_name()
        .map_or_else(|| "csv".into(), |n| n.to_string_lossy().into_owned());

    let reference = store.reference().await?;
    let dir = MemoryDirectory::new(reference.units, reference.catalog, reference.divisions);
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {bytes}/{total_bytes} {msg} ({eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );

    let mut problems: Vec<Problem> = Vec::new();
    let mut warnings: Vec<Problem> = Vec::new();
    let (mut created, mut existed, mut closed) = (0usize, 0usize, 0usize);
    let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    loop {
        let more = match reader.read_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(Problem {
                    line,
                    message: format!("unreadable CSV: {e}"),
                });
                if e.is_io_error() {
                    break;
                }
                continue;
            }
        };
        if more {
            let line = record.position().map_or(0, |p| p.line());
            let fields = Fields {
                col: &col,
                record: &record,
            };
            let parsed = match shape {
                Shape::Baltimore => baltimore_row(line, &fields, &mut warnings),
                Shape::Jiesu => jiesu_row(line, &fields),
            };
            match parsed.and_then(|mut row| {
                row.intake = row.intake.validate(&dir).map_err(|e| match e {
                    DecideError::Invalid { field, message } => format!("{field}: {message}"),
                    other => other.to_string(),
                })?;
                if row.intake.external_ref.is_none() {
                    row.intake.external_ref = Some(format!("{source}:{line}"));
                }
                Ok(row)
            }) {
                Ok(row) => batch.push(row),
                Err(message) => problems.push(Problem { line, message }),
            }
            bar.set_position(record.position().map_or(0, |p| p.byte()));
        }
        if batch.len() >= BATCH || (!more && !batch.is_empty()) {
            let (c, e, k) = write(&store, &dir, std::mem::take(&mut batch)).await?;
            created += c;
            existed += e;
            closed += k;
            bar.set_message(format!("{created} new"));
        }
        if !more {
            break;
        }
    }
    bar.finish_and_clear();

    report_warnings(&warnings);
    for p in &problems {
        eprintln!("line {}: skipped: {}", p.line, p.message);
    }
    println!(
        "imported {} from {}: {created} new tickets ({closed} closed at the source), {existed} already imported, {} rows skipped, {} warnings",
        match shape {
            Shape::Baltimore => "Baltimore 311 requests",
            Shape::Jiesu => "requests",
        },
        file.display(),
        problems.len(),
        warnings.len(),
    );
    Ok(())
}

/// Creates the batch's tickets, then closes those the source closed; returns
/// (created, already there, closed).
async fn write(
    store: &DynStore,
    dir: &MemoryDirectory,
    rows: Vec<Row>,
) -> anyhow::Result<(usize, usize, usize)> {
    let importer = Actor::system();
    let news = rows
        .iter()
        .map(|r| NewTicket {
            id: TicketId(uuid::Uuid::now_v7().to_string()),
            intake: r.intake.clone(),
            actor: importer.clone(),
            received_at: r.received_at,
            idempotency_key: None,
            proposal: None,
        })
        .collect();
    let created = store.create_tickets(news).await?;
    let mut appends = Vec::new();
    let mut fresh = 0;
    for (row, c) in rows.iter().zip(&created) {
        if c.existed {
            continue;
        }
        fresh += 1;
        if let Some((at, note)) = &row.closed {
            let command = Command::Close {
                reason: note.clone(),
            };
            let at = (*at).max(c.ticket.received_at);
            let (records, state) = execute(Some(&c.ticket), &command, &importer, at, dir)
                .map_err(|e| anyhow::anyhow!("line {}: {e}", row.line))?;
            appends.push(Append {
                expected_version: c.ticket.version,
                records,
                state,
            });
        }
    }
    let closed = appends.len();
    if !appends.is_empty() {
        store.append_many(&appends).await?;
    }
    Ok((fresh, created.len() - fresh, closed))
}

/// Prints the first warnings in full and a count of each kind.
fn report_warnings(warnings: &[Problem]) {
    const SHOWN: usize = 10;
    for p in warnings.iter().take(SHOWN) {
        eprintln!("line {}: warning: {}", p.line, p.message);
    }
    if warnings.len() > SHOWN {
        let mut kinds: Vec<(String, usize)> = Vec::new();
        for p in warnings {
            let kind = p.message.split(':').next().unwrap_or_default().to_string();
            match kinds.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((kind, 1)),
            }
        }
        let summary: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        eprintln!(
            "… {} more warnings; all warnings by field: {}",
            warnings.len() - SHOWN,
            summary.join(", ")
        );
    }
}

fn jiesu_row(line: u64, f: &Fields<'_>) -> Result<Row, String> {
    let get = |name: &str| f.get(name);
    let received_at = match get("received_at") {
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| format!("received_at: '{v}' is not an RFC 3339 time"))?,
        None => Utc::now(),
    };
    let channel = match get("channel") {
        Some(v) => Channel::parse(v)
            .ok_or_else(|| format!("channel: '{v}' is not one of {}", Channel::expected()))?,
        None => Channel::Api,
    };
    let urgency = match get("urgency") {
        Some(v) => Urgency::parse(v)
            .ok_or_else(|| format!("urgency: '{v}' is not one of {}", Urgency::expected()))?,
        None => Urgency::Normal,
    };
    let closed = match get("status") {
        Some("closed") => {
            let at = match get("closed_at") {
                Some(v) => DateTime::parse_from_rfc3339(v)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|_| format!("closed_at: '{v}' is not an RFC 3339 time"))?,
                None => received_at,
            };
            Some((
                at,
                get("note").unwrap_or("closed before import").to_string(),
            ))
        }
        None | Some("received") => None,
        Some(other) => return Err(format!("status: '{other}' must be received or closed")),
    };
    let external = get("external_id").map(String::from);
    Ok(Row {
        line,
        received_at,
        intake: Intake {
            channel,
            title: get("title").map(String::from),
            content: get("content").ok_or("content: is required")?.to_string(),
            caller: Caller {
                name: get("caller_name").unwrap_or("匿名").to_string(),
                phone: get("caller_phone").unwrap_or("12345").to_string(),
            },
            address: get("address").map(String::from),
            district_code: get("district_code").map(String::from),
            street_code: get("street_code").map(String::from),
            category_code: get("category_code").map(String::from),
            urgency,
            confidential: false,
            external_ref: external,
        },
        closed,
    })
}

/// Baltimore keeps local times without a zone; we read them as US Eastern Standard Time.
fn baltimore_time(field: &str, v: &str) -> Result<DateTime<Utc>, String> {
    let naive = NaiveDateTime::parse_from_str(v, "%m/%d/%Y %I:%M:%S %p")
        .map_err(|_| format!("{field}: '{v}' is not a time like 04/12/2018 11:11:26 AM"))?;
    let est = FixedOffset::west_opt(5 * 3600).ok_or("bad offset")?;
    est.from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| format!("{field}: '{v}' is not a valid local time"))
}

fn baltimore_row(line: u64, f: &Fields<'_>, warnings: &mut Vec<Problem>) -> Result<Row, String> {
    let get = |name: &str| f.get(name);
    let id = get("ServiceRequestNum")
        .or_else(|| get("SRRecordID"))
        .ok_or("ServiceRequestNum: is required")?;
    let kind = get("SRType").ok_or("SRType: is required")?;
    let created = baltimore_time(
        "CreatedDate",
        get("CreatedDate").ok_or("CreatedDate: is required")?,
    )?;
    let channel = match get("MethodReceived") {
        Some("Phone") => Channel::Phone,
        Some("Web") | Some("Email") => Channel::Web,
        Some("Mail") => Channel::Letter,
        Some("API") | Some("Internal") | Some("System") | Some("Other") | None => Channel::Api,
        Some(other) => {
            warnings.push(Problem {
                line,
                message: format!("MethodReceived: unknown '{other}', imported as api"),
            });
            Channel::Api
        }
    };
    let neighbourhood = get("Neighborhood");
    if neighbourhood.is_none() {
        warnings.push(Problem {
            line,
            message: "Neighborhood: empty".into(),
        });
    }
    if get("Latitude") == Some("39") && get("Longitude") == Some("-77") {
        warnings.push(Problem {
            line,
            message: "Latitude/Longitude: placeholder location (39, -77)".into(),
        });
    }
    let address = match (get("Address"), neighbourhood) {
        (Some(a), Some(n)) => Some(format!("{a} ({n})")),
        (Some(a), None) => Some(a.to_string()),
        (None, Some(n)) => Some(n.to_string()),
        (None, None) => None,
    };
    let status = get("SRStatus").unwrap_or("");
    let agency = get("Agency").unwrap_or("unknown agency");
    let closed = if status.starts_with("Closed") {
        let at = match get("CloseDate").or_else(|| get("StatusDate")) {
            Some(v) => baltimore_time("CloseDate", v)?,
            None => created,
        };
        let outcome = get("Outcome").map(|o| format!(", {o}")).unwrap_or_default();
        Some((
            at,
            format!("Baltimore 311: {status} by {agency}{outcome}")
                .chars()
                .take(200)
                .collect(),
        ))
    } else {
        None
    };
    let mut content = format!("{kind}, handled by {agency}");
    if let Some(a) = &address {
        content.push_str(&format!(" at {a}"));
    }
    Ok(Row {
        line,
        received_at: created,
        intake: Intake {
            channel,
            title: Some(kind.to_string()),
            content,
            // 311 records carry no caller; the city's service number stands in for callbacks.
            caller: Caller {
                name: "Baltimore 311".into(),
                phone: "311".into(),
            },
            address: address.map(|a| a.chars().take(200).collect()),
            district_code: None,
            street_code: None,
            category_code: None,
            urgency: Urgency::Normal,
            confidential: false,
            external_ref: Some(format!("baltimore311:{id}")),
        },
        closed,
    })
}
