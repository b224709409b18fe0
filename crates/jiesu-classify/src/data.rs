//! Reading labelled (and unlabelled) messages from CSV, columns found by header name.

use crate::{Error, Result};
use std::path::Path;

/// One labelled message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Line of the record in its file (1 = header); 0 for rows made in code.
    pub line: u64,
    pub title: String,
    pub detail: String,
    pub label: String,
}

impl Row {
    pub fn new(title: &str, detail: &str, label: &str) -> Self {
        Self {
            line: 0,
            title: title.to_string(),
            detail: detail.to_string(),
            label: label.to_string(),
        }
    }
}

/// A record that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

/// The usable rows of a file and the ones skipped.
#[derive(Clone, Debug, Default)]
pub struct Labelled {
    pub rows: Vec<Row>,
    pub bad: Vec<BadRow>,
}

const TITLE: &[&str] = &["title", "留言主题", "主题", "标题"];
const DETAIL: &[&str] = &["detail", "留言详情", "详情", "内容", "text", "content"];
const LABEL: &[&str] = &["label", "一级标签", "一级分类", "类别", "标签", "category"];

fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| headers.iter().position(|h| h.eq_ignore_ascii_case(n)))
}

struct Columns {
    title: Option<usize>,
    detail: Option<usize>,
    label: Option<usize>,
}

fn open(path: &Path) -> Result<(csv::Reader<std::fs::File>, Columns)> {
    let p = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| Error::Io {
        path: p.clone(),
        error,
    })?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Csv {
            path: p.clone(),
            message: format!("cannot read the header line: {e}"),
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let cols = Columns {
        title: find(&headers, TITLE),
        detail: find(&headers, DETAIL),
        label: find(&headers, LABEL),
    };
    if cols.title.is_none() && cols.detail.is_none() {
        return Err(Error::Csv {
            path: p,
            message: format!(
                "no text column: expected a header named title and/or detail (found: {})",
                headers.join(", ")
            ),
        });
    }
    Ok((rdr, cols))
}

/// Reads `title`, `detail` and `label` columns (by header name; a UTF-8 BOM is tolerated;
/// the Chinese headers 留言主题 / 留言详情 / 一级标签 work too). Records without a label or
/// without any text, or that are not valid CSV / UTF-8, are returned in `bad` with their line.
pub fn read_labelled(path: &Path) -> Result<Labelled> {
    let p = path.display().to_string();
    let (mut rdr, cols) = open(path)?;
    let Some(label_col) = cols.label else {
        return Err(Error::Csv {
            path: p,
            message: "no label column: expected a header named label".into(),
        });
    };
    let mut out = Labelled::default();
    for (i, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i as u64 + 2, |pos| pos.line());
                out.bad.push(BadRow {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = rec.position().map_or(i as u64 + 2, |pos| pos.line());
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
        let (title, detail, label) = (get(cols.title), get(cols.detail), get(Some(label_col)));
        if rec.len() <= label_col {
            out.bad.push(BadRow {
                line,
                reason: format!("only {} fields, no label", rec.len()),
            });
        } else if label.is_empty() {
            out.bad.push(BadRow {
                line,
                reason: "empty label".into(),
            });
        } else if title.is_empty() && detail.is_empty() {
            out.bad.push(BadRow {
                line,
                reason: "empty title and detail".into(),
            });
        } else {
            out.rows.push(Row {
                line,
                title: title.to_string(),
                detail: detail.to_string(),
                label: label.to_string(),
            });
        }
    }
    Ok(out)
}

/// Reads (title, detail) pairs of unlabelled messages; unusable records are skipped.
pub fn read_texts(path: &Path) -> Result<Vec<(String, String)>> {
    let (mut rdr, cols) = open(path)?;
    let mut out = Vec::new();
    for rec in rdr.records().flatten() {
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
        let (title, detail) = (get(cols.title), get(cols.detail));
        if !title.is_empty() || !detail.is_empty() {
            out.push((title.to_string(), detail.to_string()));
        }
    }
    Ok(out)
}

/// Training texts from a three-level catalog: one row per leaf, title = level-3 name,
/// detail = level-2 name, label = level-1 name; the catch-all name 其他 ("other") is left out
/// and leaves with nothing else are skipped.
pub fn catalog_rows<'a>(leaves: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Vec<Row> {
    let keep = |s: &'a str| if s.trim() == "其他" { "" } else { s.trim() };
    leaves
        .into_iter()
        .filter_map(|(l1, l2, l3)| {
            let (l2, l3) = (keep(l2), keep(l3));
            let empty = l1.trim().is_empty() || (l2.is_empty() && l3.is_empty());
            (!empty).then(|| Row::new(l3, l2, l1.trim()))
        })
        .collect()
}

/// Reads a catalog CSV with the headers level1, level2, level3 (see [`catalog_rows`]).
pub fn read_catalog(path: &Path) -> Result<Vec<Row>> {
    let p = path.display().to_string();
    let csv_err = |e: csv::Error| Error::Csv {
        path: p.clone(),
        message: e.to_string(),
    };
    let mut rdr = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(error) => Error::Io {
            path: p.clone(),
            error,
        },
        other => Error::Csv {
            path: p.clone(),
            message: format!("{other:?}"),
        },
    })?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Csv {
                path: p.clone(),
                message: format!("no {name} column (found: {})", headers.join(", ")),
            })
    };
    let (c1, c2, c3) = (col("level1")?, col("level2")?, col("level3")?);
    let mut leaves = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let get = |c: usize| rec.get(c).unwrap_or("").to_string();
        leaves.push((get(c1), get(c2), get(c3)));
    }
    Ok(catalog_rows(
        leaves
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_header_with_bom_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(
            &path,
            "\u{feff}id,label,detail,title\n\
             1,城乡建设,小区停水,停水\n\
             2,,没有标签,无\n\
             3,教育文体,,\n\
             4,教育文体,\"学校\n收费\",乱收费\n\
             5,交通运输\n",
        )
        .unwrap();
        let data = read_labelled(&path).unwrap();
        assert_eq!(data.rows.len(), 2);
        assert_eq!(data.rows[0].title, "停水");
        assert_eq!(data.rows[0].label, "城乡建设");
        assert_eq!(data.rows[1].detail, "学校\n收费");
        let lines: Vec<u64> = data.bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 4, 7], "{:?}", data.bad);
    }

    #[test]
    fn catalog_leaves_become_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(
            &path,
            "\u{feff}level1,level2,level3\n城乡建设,城乡规划,违章建筑\n城乡建设,其他,其他\n交通运输,出租车管理,其他\n",
        )
        .unwrap();
        let rows = read_catalog(&path).unwrap();
        assert_eq!(
            rows,
            vec![
                Row::new("违章建筑", "城乡规划", "城乡建设"),
                Row::new("", "出租车管理", "交通运输")
            ]
        );
    }

    #[test]
    fn missing_label_column_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(&path, "title,detail\na,b\n").unwrap();
        let e = read_labelled(&path).unwrap_err().to_string();
        assert!(e.contains("no label column"), "{e}");
        assert_eq!(read_texts(&path).unwrap().len(), 1);
    }
}
