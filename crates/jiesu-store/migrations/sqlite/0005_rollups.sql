-- Rollups: ticket counts kept current as events are written, in the same transaction, so a
-- dashboard reads a few rows instead of scanning orders. Rebuildable from ticket_events.
-- Key columns hold '' rather than NULL (no category, district or street), so that the primary
-- key matches every row once.

-- Tickets by the hour they were received (ms since the epoch, start of the UTC hour) and
-- dimensions; each ticket sits in exactly one row.
CREATE TABLE rollup_volume (
    hour         BIGINT NOT NULL,
    category     TEXT NOT NULL DEFAULT '',
    district     TEXT NOT NULL DEFAULT '',
    street       TEXT NOT NULL DEFAULT '',
    channel      TEXT NOT NULL,
    request_type TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (hour, category, district, street, channel, request_type, outcome)
) WITHOUT ROWID;

-- Time-limit figures of a unit in the hour of the event.
CREATE TABLE rollup_units (
    hour   BIGINT NOT NULL,
    unit   TEXT NOT NULL,
    figure TEXT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (hour, unit, figure)
) WITHOUT ROWID;

-- A database that already holds tickets gets its rollups rebuilt from the log on next open.
INSERT INTO meta (key, value) VALUES ('rollups_rebuild', 'pending');
