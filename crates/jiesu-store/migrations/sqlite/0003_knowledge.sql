-- 知识库 the knowledge base: each entry as it stands now, every version it went through,
-- the missing answers agents filed, and what self-service (bot and IVR) did.

-- The current version of each entry (the whole entry as JSON). `seq` grows with every change
-- (uses included), so the search index catches up by reading what is past its last `seq`.
CREATE TABLE kb_entries (
    id         TEXT PRIMARY KEY,
    number     INTEGER NOT NULL UNIQUE,
    version    INTEGER NOT NULL,
    status     TEXT NOT NULL,
    category_code TEXT,
    body       TEXT NOT NULL,
    uses       BIGINT NOT NULL DEFAULT 0,
    seq        BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX kb_entries_seq ON kb_entries (seq);

-- Every version of every entry, append-only.
CREATE TABLE kb_versions (
    entry_id TEXT NOT NULL,
    version  INTEGER NOT NULL,
    change   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (entry_id, version)
);
CREATE INDEX kb_versions_at ON kb_versions (at);
CREATE TRIGGER kb_versions_no_update BEFORE UPDATE ON kb_versions
BEGIN SELECT RAISE(ABORT, 'kb_versions is append-only'); END;
CREATE TRIGGER kb_versions_no_delete BEFORE DELETE ON kb_versions
BEGIN SELECT RAISE(ABORT, 'kb_versions is append-only'); END;

-- 缺失口径 questions nothing answered, grouped: one row per question, one ask per filing.
CREATE TABLE kb_missing (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    question       TEXT NOT NULL,
    asked          INTEGER NOT NULL,
    first_asked_at BIGINT NOT NULL,
    last_asked_at  BIGINT NOT NULL,
    category_code  TEXT,
    entry_id       TEXT,
    closed_by      TEXT,
    closed_at      BIGINT
);
CREATE INDEX kb_missing_open ON kb_missing (closed_at, asked);
CREATE TABLE kb_missing_asks (
    missing_id BIGINT NOT NULL REFERENCES kb_missing (id),
    at         BIGINT NOT NULL,
    agent      TEXT NOT NULL,
    question   TEXT NOT NULL,
    ticket_id  TEXT
);

-- The IVR menu, every version kept.
CREATE TABLE ivr_menus (
    version    INTEGER PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

-- Self-service contacts: IVR calls and answer-bot questions, with how each ended.
CREATE TABLE self_service (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    state      TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    ended_at   BIGINT
);
CREATE INDEX self_service_started ON self_service (started_at);
