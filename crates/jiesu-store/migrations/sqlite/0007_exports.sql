-- 定时数据交换 scheduled exchanges: export jobs defined as data, and the log of their runs.

CREATE TABLE export_jobs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    -- The job definition (jiesu_core::export::ExportJob) as JSON.
    definition     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    updated_by     TEXT NOT NULL,
    -- The scheduled instant of the last scheduled run: the next is the first slot after it.
    last_scheduled BIGINT,
    -- Deleted jobs are kept for their run log.
    deleted_at     BIGINT
);
CREATE UNIQUE INDEX export_jobs_name ON export_jobs (name) WHERE deleted_at IS NULL;

CREATE TABLE export_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        INTEGER NOT NULL REFERENCES export_jobs(id),
    -- 'schedule' or 'manual'.
    trigger       TEXT NOT NULL,
    scheduled_for BIGINT,
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT NOT NULL,
    rows          INTEGER NOT NULL,
    -- The file written or the URL posted to.
    target        TEXT,
    -- 'ok' or 'failed'.
    status        TEXT NOT NULL,
    error         TEXT
);
CREATE INDEX export_runs_job ON export_runs (job_id, id);
