//! Reading messages with their votes from CSV (the 2020 TipDM challenge layout:
//! `id,user,title,time,detail,dislikes,likes`).

use crate::{Error, Report, Result};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::Path;

/// A record that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    /// Line of the record in its file (1 = header).
    pub line: u64,
    pub reason: String,
}

/// A record that repeats an earlier one (same caller, title and text): its votes are added
/// to the first and it is not read as a report of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repeat {
    pub line: u64,
    pub id: String,
    pub same_as: String,
}

/// The reports of a file and the records skipped.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub reports: Vec<Report>,
    pub bad: Vec<BadRow>,
    pub repeats: Vec<Repeat>,
}

/// Times in the data are China local time (UTC+8), written `2019/2/28 11:25:05`,
/// `2019-08-01 00:00:00` or `2019-08-01`.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    jiesu_core::parse_china_time(s).map(|t| t.with_timezone(&Utc))
}

fn column(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers.iter().position(|h| {
        h.trim_start_matches('\u{feff}')
            .trim()
            .eq_ignore_ascii_case(name)
    })
}

/// Reads `id,user,title,time,detail,dislikes,likes` (columns found by name; `user`,
/// `dislikes` and `likes` may be missing). Records with a bad time or count are listed in
/// [`Loaded::bad`] with their line number and the rest is read.
pub fn read_votes(path: &Path) -> Result<Loaded> {
    let p = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| Error::Io {
        path: p.clone(),
        error,
    })?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let csv_err = |e: csv::Error| Error::Csv {
        path: p.clone(),
        message: e.to_string(),
    };
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let need = |name: &str| {
        column(&headers, name).ok_or_else(|| Error::Csv {
            path: p.clone(),
            message: format!("no `{name}` column in the header line"),
        })
    };
    let (id, title, time, detail) = (need("id")?, need("title")?, need("time")?, need("detail")?);
    let (user, likes, dislikes) = (
        column(&headers, "user"),
        column(&headers, "likes"),
        column(&headers, "dislikes"),
    );
    let mut out = Loaded::default();
    let mut first: HashMap<(String, String, String), usize> = HashMap::new();
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                out.bad.push(BadRow {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let get = |i: usize| record.get(i).unwrap_or("").trim();
        let count = |c: Option<usize>, name: &str| -> std::result::Result<u64, String> {
            match c.map(get) {
                None | Some("") => Ok(0),
                Some(v) => v
                    .parse::<u64>()
                    .map_err(|_| format!("{name} `{v}` is not a count")),
            }
        };
        let at = parse_time(get(time));
        let parsed = match (at, count(likes, "likes"), count(dislikes, "dislikes")) {
            (None, ..) => Err(format!("time `{}` is not a date", get(time))),
            (_, Err(e), _) | (_, _, Err(e)) => Err(e),
            (Some(at), Ok(l), Ok(d)) => Ok((at, l, d)),
        };
        let (at, l, d) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                out.bad.push(BadRow { line, reason });
                continue;
            }
        };
        if get(id).is_empty() {
            out.bad.push(BadRow {
                line,
                reason: "empty id".into(),
            });
            continue;
        }
        let caller = user.map(get).filter(|u| !u.is_empty()).map(str::to_string);
        let key = (
            caller.clone().unwrap_or_default(),
            get(title).to_string(),
            get(detail).to_string(),
        );
        if let Some(&k) = first.get(&key) {
            let kept = &mut out.reports[k];
            kept.likes += l;
            kept.dislikes += d;
            out.repeats.push(Repeat {
                line,
                id: get(id).to_string(),
                same_as: kept.id.clone(),
            });
            continue;
        }
        first.insert(key, out.reports.len());
        out.reports.push(Report {
            id: get(id).to_string(),
            title: get(title).to_string(),
            text: get(detail).to_string(),
            at,
            street_code: None,
            address: None,
            caller,
            likes: l,
            dislikes: d,
        });
    }
    Ok(out)
}
