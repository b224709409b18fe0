//! Storage of 定时数据交换 scheduled exchanges: export jobs, their run log, and the paged
//! ticket read a run makes.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::Ticket;
use jiesu_core::export::{ExportFilter, ExportJob};
use serde::Serialize;

/// An export job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredExport {
    /// Id.
    pub id: i64,
    /// The definition.
    #[serde(flatten)]
    pub job: ExportJob,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who changed it last.
    pub updated_by: String,
    /// The scheduled instant of its last scheduled run.
    pub last_scheduled: Option<DateTime<Utc>>,
}

/// One run of an export job, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportRun {
    /// Id (0 before it is logged).
    pub id: i64,
    /// The job.
    pub job_id: i64,
    /// `schedule` or `manual`.
    pub trigger: String,
    /// The slot of a scheduled run.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Tickets written.
    pub rows: u64,
    /// The file written or the URL posted to.
    pub target: Option<String>,
    /// `ok` or `failed`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
}

/// Export-job storage; part of every [`crate::Store`].
#[async_trait]
pub trait ExportStore: Send + Sync {
    /// Saves a new job; [`crate::StoreError::Conflict`] when its name is taken.
    async fn create_export(
        &self,
        job: &ExportJob,
        by: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<StoredExport>;
    /// Every job not deleted, by id.
    async fn exports(&self) -> StoreResult<Vec<StoredExport>>;
    /// One job; [`crate::StoreError::NotFound`] when unknown or deleted.
    async fn export(&self, id: i64) -> StoreResult<StoredExport>;
    /// Replaces a job's definition; its schedule position is kept, or moved to `resume_after`
    /// when given (slots up to it are not run).
    async fn update_export(
        &self,
        id: i64,
        job: &ExportJob,
        by: &str,
        at: DateTime<Utc>,
        resume_after: Option<DateTime<Utc>>,
    ) -> StoreResult<StoredExport>;
    /// Deletes a job; its runs stay in the log.
    async fn delete_export(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// Logs a run; a scheduled run also becomes the job's last scheduled run. Returns its id.
    async fn log_export_run(&self, run: &ExportRun) -> StoreResult<i64>;
    /// A job's runs, newest first.
    async fn export_runs(&self, job_id: i64, limit: u32) -> StoreResult<Vec<ExportRun>>;
    /// A page of the tickets the filter selects at `now`, oldest first, after the ticket at
    /// position `after` (from the previous page); with the position to continue from, `None`
    /// on the last page.
    async fn export_tickets(
        &self,
        filter: &ExportFilter,
        now: DateTime<Utc>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<(Vec<Ticket>, Option<i64>)>;
}
