//! 定时数据交换 running an export job: read the tickets its filter selects page by page,
//! write them as CSV or Excel, put the file in its folder (whole: a temporary file renamed)
//! or POST it to its URL, and log the run with its row count.

use crate::AppState;
use chrono::{DateTime, Utc};
use jiesu_core::export::{Destination, ExportJob, Format};
use jiesu_store::StoreError;
use jiesu_store::export::{ExportRun, StoredExport};

/// Tickets read per store round trip.
const PAGE: u32 = 1000;

/// How long a URL destination has to take the file.
const POST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Reading the tickets failed.
    #[error("reading the tickets: {0}")]
    Store(#[from] StoreError),
    /// Writing the file failed.
    #[error("writing the file: {0}")]
    Render(String),
    /// Putting the file in its folder or posting it failed.
    #[error("delivering the file: {0}")]
    Deliver(String),
}

/// The rows of a file being written.
enum Sheet {
    Csv(Box<csv::Writer<Vec<u8>>>),
    Xlsx(Box<rust_xlsxwriter::Workbook>, u32),
}

impl Sheet {
    fn new(job: &ExportJob) -> Result<Sheet, RunError> {
        let render = |e: rust_xlsxwriter::XlsxError| RunError::Render(e.to_string());
        let headers = job.headers();
        match job.format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(&headers)
                    .map_err(|e| RunError::Render(e.to_string()))?;
                Ok(Sheet::Csv(Box::new(w)))
            }
            Format::Xlsx => {
                let mut book = rust_xlsxwriter::Workbook::new();
                let sheet = book.add_worksheet();
                sheet.set_name("工单").map_err(render)?;
                let bold = rust_xlsxwriter::Format::new().set_bold();
                for (col, h) in headers.iter().enumerate() {
                    let col = u16::try_from(col).unwrap_or(u16::MAX);
                    sheet
                        .write_string_with_format(0, col, *h, &bold)
                        .map_err(render)?;
                    sheet.set_column_width(col, 16).map_err(render)?;
                }
                Ok(Sheet::Xlsx(Box::new(book), 1))
            }
        }
    }

    fn push(&mut self, cells: &[String]) -> Result<(), RunError> {
        match self {
            Sheet::Csv(w) => w
                .write_record(cells)
                .map_err(|e| RunError::Render(e.to_string())),
            Sheet::Xlsx(book, row) => {
                let sheet = book
                    .worksheet_from_index(0)
                    .map_err(|e| RunError::Render(e.to_string()))?;
                for (col, cell) in cells.iter().enumerate() {
                    sheet
                        .write_string(*row, u16::try_from(col).unwrap_or(u16::MAX), cell)
                        .map_err(|e| RunError::Render(e.to_string()))?;
                }
                *row += 1;
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<Vec<u8>, RunError> {
        match self {
            Sheet::Csv(w) => w.into_inner().map_err(|e| RunError::Render(e.to_string())),
            Sheet::Xlsx(mut book, _) => book
                .save_to_buffer()
                .map_err(|e| RunError::Render(e.to_string())),
        }
    }
}

/// The file of a run at `at`: its bytes and the number of tickets in it.
pub async fn render(
    state: &AppState,
    job: &ExportJob,
    at: DateTime<Utc>,
) -> Result<(Vec<u8>, u64), RunError> {
    let directory = state.directory();
    let mut sheet = Sheet::new(job)?;
    let mut rows = 0u64;
    let mut after = None;
    loop {
        let (page, next) = state
            .store
            .export_tickets(&job.filter, at, after, PAGE)
            .await?;
        for t in page.iter().filter(|t| job.filter.matches(t, at)) {
            sheet.push(&job.row(t, directory.as_ref()))?;
            rows += 1;
        }
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok((sheet.finish()?, rows))
}

/// Puts the file where the job says; returns the path written or the URL posted to.
pub async fn deliver(job: &ExportJob, file_name: &str, bytes: Vec<u8>) -> Result<String, RunError> {
    match &job.destination {
        Destination::Folder(folder) => {
            let folder = std::path::Path::new(folder);
            let fail = |e: std::io::Error| RunError::Deliver(format!("{}: {e}", folder.display()));
            tokio::fs::create_dir_all(folder).await.map_err(fail)?;
            let target = folder.join(file_name);
            let temp = folder.join(format!(".{file_name}.{}.tmp", uuid::Uuid::new_v4()));
            tokio::fs::write(&temp, &bytes).await.map_err(fail)?;
            if let Err(e) = tokio::fs::rename(&temp, &target).await {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(fail(e));
            }
            Ok(target.display().to_string())
        }
        Destination::Url(url) => {
            let encoded: String = form_urlencoded::byte_serialize(file_name.as_bytes()).collect();
            let client = reqwest::Client::builder()
                .timeout(POST_TIMEOUT)
                .build()
                .map_err(|e| RunError::Deliver(e.to_string()))?;
            let response = client
                .post(url)
                .header("content-type", job.format.media_type())
                .header(
                    "content-disposition",
                    format!("attachment; filename*=UTF-8''{encoded}"),
                )
                .body(bytes)
                .send()
                .await
                .map_err(|e| RunError::Deliver(format!("{url}: {e}")))?;
            let status = response.status();
            if !status.is_success() {
                return Err(RunError::Deliver(format!("{url} answered {status}")));
            }
            Ok(url.clone())
        }
    }
}

/// Runs a job now — for its scheduled slot, or on request when `scheduled_for` is `None` —
/// and logs the run, failed or not.
pub async fn run(
    state: &AppState,
    stored: &StoredExport,
    scheduled_for: Option<DateTime<Utc>>,
) -> Result<ExportRun, StoreError> {
    let started_at = state.clock.now();
    let at = scheduled_for.unwrap_or(started_at);
    let job = &stored.job;
    let file_name = job.file_name_at(at);
    let outcome = match render(state, job, at).await {
        Ok((bytes, rows)) => deliver(job, &file_name, bytes)
            .await
            .map(|target| (rows, target)),
        Err(e) => Err(e),
    };
    let mut run = ExportRun {
        id: 0,
        job_id: stored.id,
        trigger: if scheduled_for.is_some() {
            "schedule"
        } else {
            "manual"
        }
        .into(),
        scheduled_for,
        started_at,
        finished_at: state.clock.now(),
        rows: 0,
        target: None,
        status: "ok".into(),
        error: None,
    };
    match outcome {
        Ok((rows, target)) => {
            run.rows = rows;
            run.target = Some(target);
            tracing::info!(job = %job.name, rows, target = ?run.target, "export written");
        }
        Err(e) => {
            tracing::warn!(job = %job.name, error = %e, "export failed");
            run.status = "failed".into();
            run.error = Some(e.to_string());
        }
    }
    run.id = state.store.log_export_run(&run).await?;
    Ok(run)
}

/// One pass at `now`: runs every enabled job whose slot has come since its last scheduled run
/// (or its creation). Slots missed while the server was down make one run, for the latest.
pub async fn run_due(state: &AppState, now: DateTime<Utc>) -> Result<Vec<ExportRun>, StoreError> {
    let mut runs = Vec::new();
    for stored in state.store.exports().await? {
        if !stored.job.enabled {
            continue;
        }
        let since = stored.last_scheduled.unwrap_or(stored.created_at);
        let Some(slot) = stored.job.schedule.due(since, now) else {
            continue;
        };
        if stored
            .job
            .schedule
            .next_run(since)
            .is_some_and(|first| first < slot)
        {
            tracing::info!(job = %stored.job.name, %since, %slot, "missed export slots: running once for the latest");
        }
        runs.push(run(state, &stored, Some(slot)).await?);
    }
    Ok(runs)
}
