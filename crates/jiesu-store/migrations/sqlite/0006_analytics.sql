-- Analytics: counters derived from the rollups for fast dashboard reads, term counters for hot
-- topics, and the spike alerts raised.

-- Tickets received per bucket and one dimension, derived from the volume deltas inside the
-- same transactions as rollup_volume (sqlite/rollup.rs::apply). grain 'h': the bucket is the
-- start of a UTC hour; grain 'd': the start of a Beijing day. dim is one of category1,
-- category2, category3 (catalog prefix), district, street, channel, request_type, outcome;
-- key '' stands for "none" (no street, or a category filed at a coarser level). The rows of
-- one grain, bucket and dim add up to the tickets received in the bucket.
CREATE TABLE rollup_buckets (
    grain  TEXT NOT NULL,
    dim    TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    key    TEXT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (grain, dim, bucket, key)
) WITHOUT ROWID;

-- Terms of ticket titles per bucket: grain 'h' (UTC hour), 'd' (Beijing day), 'w' (Beijing
-- week from Monday). Filled by the server's term counter (following tickets.seq, cursor in
-- meta 'terms_seq') or a bulk loader, never on the intake path.
CREATE TABLE rollup_terms (
    grain  TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    term   TEXT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (grain, bucket, term)
) WITHOUT ROWID;
-- The top terms of a bucket are a range scan of this index.
CREATE INDEX rollup_terms_top ON rollup_terms (grain, bucket, n DESC);

-- Spike alerts raised, at most one per hour, dimension and key.
CREATE TABLE alerts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    raised_at BIGINT NOT NULL,
    hour      BIGINT NOT NULL,
    dim       TEXT NOT NULL,
    key       TEXT NOT NULL,
    -- The street (for a category alert) or category (for a street alert) that holds most of
    -- the spike, '' when none does.
    street    TEXT NOT NULL DEFAULT '',
    category  TEXT NOT NULL DEFAULT '',
    count     BIGINT NOT NULL,
    expected  DOUBLE PRECISION NOT NULL,
    z         DOUBLE PRECISION NOT NULL,
    statistic TEXT NOT NULL,
    UNIQUE (hour, dim, key)
);

-- Derived counters of a database that already holds rollups are rebuilt on next open.
INSERT INTO meta (key, value) VALUES ('rollups_rebuild', 'pending')
    ON CONFLICT (key) DO NOTHING;
