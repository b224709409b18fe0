-- jiesu schema, SQLite. A PostgreSQL backend will keep its own migrations with the same tables.
-- Times are milliseconds since the Unix epoch (UTC); JSON is stored as TEXT.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT
);

CREATE TABLE units (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    district_code TEXT
);

CREATE TABLE catalog (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    level        INTEGER NOT NULL,
    parent_code  TEXT,
    default_unit TEXT
);

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    unit_code     TEXT REFERENCES units(code),
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users(name),
    created_at BIGINT NOT NULL
);

-- Current state of each ticket: a fold of its events, with the columns lists filter on.
CREATE TABLE tickets (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    number        TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL,
    channel       TEXT NOT NULL,
    urgency       TEXT NOT NULL,
    lead_unit     TEXT,
    district_code TEXT,
    street_code   TEXT,
    category_code TEXT,
    caller_phone  TEXT NOT NULL,
    external_ref  TEXT,
    -- The client's Idempotency-Key (per user). Looked up in memory for a 24-hour window, loaded
    -- from here at start; not indexed, because random keys would scatter index writes.
    idempotency_key TEXT,
    title         TEXT,
    content       TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    -- When the unit replied (or the centre answered): callback lists go by it.
    replied_at    BIGINT,
    -- The next instant the time-limit scanner must look at this ticket; NULL when never.
    next_check    BIGINT,
    -- 1 while overdue and still with a unit: the supervisors' queue.
    overdue       INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL,
    state         TEXT NOT NULL
);
CREATE INDEX tickets_status ON tickets (status, seq);
CREATE INDEX tickets_received ON tickets (received_at);
CREATE INDEX tickets_next_check ON tickets (next_check) WHERE next_check IS NOT NULL;
CREATE INDEX tickets_overdue ON tickets (overdue, seq) WHERE overdue = 1;
CREATE INDEX tickets_replied ON tickets (status, replied_at);
CREATE INDEX tickets_district ON tickets (district_code, seq);
CREATE INDEX tickets_caller_phone ON tickets (caller_phone);
-- An imported record is imported once, however often its file is imported.
CREATE UNIQUE INDEX tickets_external_ref ON tickets (external_ref) WHERE external_ref IS NOT NULL;

-- Units currently involved in a ticket (lead and assisting): who may see it.
CREATE TABLE ticket_units (
    unit_code TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    PRIMARY KEY (unit_code, ticket_id)
);
CREATE INDEX ticket_units_ticket ON ticket_units (ticket_id);

-- The append-only log: every change to every ticket, in order. `pos` orders the whole log;
-- `event` is the event as JSON `{"kind", "details"}`, `kind` repeated for queries.
CREATE TABLE ticket_events (
    pos       INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    event     TEXT NOT NULL,
    UNIQUE (ticket_id, seq)
);
-- Reports read a period of the log.
CREATE INDEX ticket_events_at ON ticket_events (at);


-- Last order number handed out per local day.
CREATE TABLE day_counters (
    day  TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;

-- Time-limit policy sets, every version kept: a ticket names the version it was held to.
CREATE TABLE policy_sets (
    version    INTEGER PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

-- The working calendar, one row per year as the State Council announced it (JSON).
CREATE TABLE calendar_years (
    year       INTEGER PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
