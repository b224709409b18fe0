//! Export jobs and their run log on SQLite; the ticket read of a run uses the tickets'
//! status, district and receiving-time indexes and goes by `seq`.

use super::{SqliteStore, and_in, and_like, like_literal, ticket_page};
use crate::export::{ExportRun, ExportStore, StoredExport};
use crate::{StoreError, StoreResult, from_millis, millis};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::Ticket;
use jiesu_core::export::{ExportFilter, ExportJob};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

/// The columns of a job, in the order [`job_from_row`] reads them.
macro_rules! job_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, definition, created_at, created_by, updated_at, updated_by, \
             last_scheduled FROM export_jobs ",
            $rest
        )
    };
}

fn job_from_row(row: &SqliteRow) -> StoreResult<StoredExport> {
    let definition: String = row.try_get("definition")?;
    Ok(StoredExport {
        id: row.try_get("id")?,
        job: serde_json::from_str(&definition)?,
        created_at: from_millis(row.try_get("created_at")?)?,
        created_by: row.try_get("created_by")?,
        updated_at: from_millis(row.try_get("updated_at")?)?,
        updated_by: row.try_get("updated_by")?,
        last_scheduled: row
            .try_get::<Option<i64>, _>("last_scheduled")?
            .map(from_millis)
            .transpose()?,
    })
}

fn run_from_row(row: &SqliteRow) -> StoreResult<ExportRun> {
    Ok(ExportRun {
        id: row.try_get("id")?,
        job_id: row.try_get("job_id")?,
        trigger: row.try_get("trigger")?,
        scheduled_for: row
            .try_get::<Option<i64>, _>("scheduled_for")?
            .map(from_millis)
            .transpose()?,
        started_at: from_millis(row.try_get("started_at")?)?,
        finished_at: from_millis(row.try_get("finished_at")?)?,
        rows: u64::try_from(row.try_get::<i64, _>("rows")?).unwrap_or(0),
        target: row.try_get("target")?,
        status: row.try_get("status")?,
        error: row.try_get("error")?,
    })
}

/// A 409 where the job's name is taken, else the database error.
fn name_taken(name: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("an export job named '{name}' already exists"))
        }
        _ => e.into(),
    }
}

#[async_trait]
impl ExportStore for SqliteStore {
    async fn create_export(
        &self,
        job: &ExportJob,
        by: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<StoredExport> {
        let definition = serde_json::to_string(job)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO export_jobs (name, definition, created_at, created_by, updated_at, \
             updated_by) VALUES ($1, $2, $3, $4, $3, $4) RETURNING id",
        )
        .bind(&job.name)
        .bind(definition)
        .bind(millis(at))
        .bind(by)
        .fetch_one(&self.write)
        .await
        .map_err(name_taken(&job.name))?;
        self.export_on(&self.write, id).await
    }

    async fn exports(&self) -> StoreResult<Vec<StoredExport>> {
        let rows = sqlx::query(job_select!("WHERE deleted_at IS NULL ORDER BY id"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn export(&self, id: i64) -> StoreResult<StoredExport> {
        self.export_on(&self.read, id).await
    }

    async fn update_export(
        &self,
        id: i64,
        job: &ExportJob,
        by: &str,
        at: DateTime<Utc>,
        resume_after: Option<DateTime<Utc>>,
    ) -> StoreResult<StoredExport> {
        let result = sqlx::query(
            "UPDATE export_jobs SET name = $1, definition = $2, updated_at = $3, \
             updated_by = $4, last_scheduled = COALESCE($6, last_scheduled) \
             WHERE id = $5 AND deleted_at IS NULL",
        )
        .bind(&job.name)
        .bind(serde_json::to_string(job)?)
        .bind(millis(at))
        .bind(by)
        .bind(id)
        .bind(resume_after.map(millis))
        .execute(&self.write)
        .await
        .map_err(name_taken(&job.name))?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.export_on(&self.write, id).await
    }

    async fn delete_export(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE export_jobs SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(millis(at))
        .bind(id)
        .execute(&self.write)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn log_export_run(&self, run: &ExportRun) -> StoreResult<i64> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO export_runs (job_id, trigger, scheduled_for, started_at, finished_at, \
             rows, target, status, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
        )
        .bind(run.job_id)
        .bind(&run.trigger)
        .bind(run.scheduled_for.map(millis))
        .bind(millis(run.started_at))
        .bind(millis(run.finished_at))
        .bind(i64::try_from(run.rows).unwrap_or(i64::MAX))
        .bind(&run.target)
        .bind(&run.status)
        .bind(&run.error)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(slot) = run.scheduled_for {
            sqlx::query(
                "UPDATE export_jobs SET last_scheduled = $1 WHERE id = $2 \
                 AND (last_scheduled IS NULL OR last_scheduled < $1)",
            )
            .bind(millis(slot))
            .bind(run.job_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn export_runs(&self, job_id: i64, limit: u32) -> StoreResult<Vec<ExportRun>> {
        let rows = sqlx::query(
            "SELECT id, job_id, trigger, scheduled_for, started_at, finished_at, rows, target, \
             status, error FROM export_runs WHERE job_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(job_id)
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(run_from_row).collect()
    }

    async fn export_tickets(
        &self,
        f: &ExportFilter,
        now: DateTime<Utc>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<(Vec<Ticket>, Option<i64>)> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT seq, state FROM tickets WHERE 1 = 1");
        and_in(&mut q, "status", f.statuses.iter().map(|s| s.as_str()));
        if let Some(c) = &f.category {
            and_like(&mut q, "category_code", &format!("{}%", like_literal(c)));
        }
        if let Some(d) = &f.district {
            q.push(" AND district_code = ").push_bind(d.clone());
        }
        if let Some(s) = &f.street {
            q.push(" AND street_code = ").push_bind(s.clone());
        }
        if let Some(u) = &f.lead_unit {
            q.push(" AND lead_unit = ").push_bind(u.clone());
        }
        if let Some(since) = f.received_since(now) {
            q.push(" AND received_at >= ").push_bind(millis(since));
        }
        if let Some(o) = f.overdue {
            q.push(" AND overdue = ").push_bind(i64::from(o));
        }
        if let Some(a) = after {
            q.push(" AND seq > ").push_bind(a);
        }
        let limit = limit.clamp(1, 5000);
        q.push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let rows = q.build().fetch_all(&self.read).await?;
        ticket_page(rows, limit)
    }
}

impl SqliteStore {
    async fn export_on(&self, pool: &sqlx::SqlitePool, id: i64) -> StoreResult<StoredExport> {
        let row = sqlx::query(job_select!("WHERE id = $1 AND deleted_at IS NULL"))
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        job_from_row(&row)
    }
}
