//! The embedded backend: one SQLite file in WAL mode.
//!
//! Writes go through a single connection (SQLite has one writer anyway, and a single
//! connection avoids `SQLITE_BUSY` between our own writers); reads use a pool of read-only
//! connections that WAL lets run beside the writer. `synchronous=FULL` makes each commit durable
//! before it returns. Write transactions begin IMMEDIATE, so that another process writing to
//! the same file (`jiesu import` beside `jiesu serve`) waits its turn instead of failing.

mod analytics;
mod export;
mod knowledge;
mod rollup;

use crate::{
    Append, Created, MergeCandidate, NewTicket, Reference, RuleSetVersion, Store, StoreError,
    StoreResult, TicketFilter, TicketPage, User, from_millis, millis,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::calendar::YearSchedule;
use jiesu_core::dispatch::RuleSet;
use jiesu_core::timelimit::PolicySet;
use jiesu_core::{
    CatalogNode, Division, DivisionLevel, Event, EventRecord, Role, Ticket, TicketId, Unit,
    UnitKind, evolve, number_day, ticket_number,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Rows per multi-row INSERT (SQLite allows 32,766 bound variables per statement).
const ROWS_PER_INSERT: usize = 1000;

/// Splits `items` into chunks of 256, 64, 16, 4 or 1 rows. Each chunk size gives one SQL text,
/// so the few multi-row statements of the write path are prepared once and then reused from
/// the connection's statement cache instead of being parsed again for every batch size.
fn canonical_chunks<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let size = [256, 64, 16, 4, 1]
            .into_iter()
            .find(|&s| s <= items.len())
            .unwrap_or(1);
        let (head, tail) = items.split_at(size);
        items = tail;
        Some(head)
    })
}

/// How long a bearer token is good for after it was issued.
pub const TOKEN_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// How long an Idempotency-Key is remembered: a retry within a day returns the first ticket.
pub const IDEMPOTENCY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
    keys: Arc<Mutex<KeyWindow>>,
}

/// Idempotency-Keys of the last [`IDEMPOTENCY_WINDOW`], in memory.
#[derive(Default)]
struct KeyWindow {
    ids: HashMap<String, (TicketId, i64)>,
    pruned_at: i64,
}

impl KeyWindow {
    fn get(&self, key: &str) -> Option<&TicketId> {
        self.ids.get(key).map(|(id, _)| id)
    }

    fn insert(&mut self, key: &str, id: TicketId, at: i64) {
        self.ids.insert(key.to_string(), (id, at));
        // Forget expired keys now and then (every tenth of the window).
        let window = IDEMPOTENCY_WINDOW.num_milliseconds();
        if at - self.pruned_at > window / 10 {
            self.ids.retain(|_, (_, t)| at - *t <= window);
            self.pruned_at = at;
        }
    }
}

fn poisoned() -> StoreError {
    StoreError::Other("idempotency window lock poisoned".into())
}

/// The key that makes two inputs the same ticket: the Idempotency-Key, else the external
/// reference of an imported record.
fn dedupe_key(n: &NewTicket) -> Option<String> {
    match (&n.idempotency_key, &n.intake.external_ref) {
        (Some(k), _) => Some(format!("key:{k}")),
        (None, Some(r)) => Some(format!("ext:{r}")),
        (None, None) => None,
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs the migrations.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Checkpoint every 16 MB of log rather than 4 MB: pages written again and again
            // (the ends of the indexes) are copied back once per checkpoint.
            .pragma("wal_autocheckpoint", "4000");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&write)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        let since = millis(chrono::Utc::now() - IDEMPOTENCY_WINDOW);
        let mut keys = KeyWindow::default();
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT idempotency_key, id, received_at FROM tickets \
             WHERE received_at > $1 AND idempotency_key IS NOT NULL",
        )
        .bind(since)
        .fetch_all(&read)
        .await?;
        for (key, id, at) in rows {
            keys.ids.insert(key, (TicketId(id), at));
        }
        keys.pruned_at = millis(chrono::Utc::now());
        let store = SqliteStore {
            write,
            read,
            keys: Arc::new(Mutex::new(keys)),
        };
        // A database migrated from before rollups: count what its log already holds.
        let pending: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'rollups_rebuild'")
                .fetch_optional(&store.write)
                .await?;
        // Never on rollups that hold history with no events (a bulk load): the rebuild would
        // drop it.
        let bulk: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'rollups_history'")
                .fetch_optional(&store.write)
                .await?;
        match (pending, bulk) {
            (Some(_), None) => {
                let rows = crate::RollupStore::rebuild_rollups(&store).await?;
                tracing::info!(rows, "rollups rebuilt from the event log");
            }
            (Some(_), Some(_)) => tracing::warn!(
                "rollups not rebuilt: they hold bulk-loaded history that has no events"
            ),
            _ => {}
        }
        Ok(store)
    }
}

impl SqliteStore {
    /// Turns bulk-load mode on or off. On, commits no longer wait for the disk
    /// (`synchronous=OFF`): a crash during the load can lose the load, never the database's
    /// consistency. Off restores the durable `synchronous=FULL`.
    pub async fn set_bulk_load(&self, on: bool) -> StoreResult<()> {
        let pragma = if on {
            "PRAGMA synchronous = OFF"
        } else {
            "PRAGMA synchronous = FULL"
        };
        // The write pool has exactly one connection, so the setting sticks to every write.
        sqlx::query(pragma).execute(&self.write).await?;
        Ok(())
    }

    /// Orders counted in the volume rollups, the start of the last hour holding any (ms since
    /// the epoch; `None` when there are none) and the number of rollup rows (volume and unit).
    pub async fn volume_totals(&self) -> StoreResult<(Option<i64>, Option<i64>, i64)> {
        Ok(sqlx::query_as(
            "SELECT SUM(n), MAX(hour), COUNT(*) + (SELECT COUNT(*) FROM rollup_units) \
             FROM rollup_volume",
        )
        .fetch_one(&self.read)
        .await?)
    }

    /// The position of the last ticket in the tickets table (0 when empty).
    pub async fn last_ticket_seq(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM tickets")
                .fetch_one(&self.write)
                .await?,
        )
    }

    /// Bytes the database file and its write-ahead log take on disk.
    pub async fn size_on_disk(&self) -> StoreResult<u64> {
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&self.write)
            .await?;
        let size: i64 = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&self.write)
            .await?;
        Ok(u64::try_from(pages * size).unwrap_or(0))
    }
}

fn enum_text<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    match serde_json::to_value(v)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(StoreError::Other(format!("expected a string, got {other}"))),
    }
}

fn text_enum<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    Ok(serde_json::from_value(serde_json::Value::String(
        s.to_string(),
    ))?)
}

/// Columns of the `tickets` table derived from the state.
fn push_ticket_row(
    mut b: sqlx::query_builder::Separated<'_, Sqlite, &'static str>,
    t: &Ticket,
    idempotency_key: Option<&str>,
) {
    b.push_bind(t.id.0.clone())
        .push_bind(t.number.clone())
        .push_bind(t.status.as_str())
        .push_bind(t.intake.channel.as_str())
        .push_bind(t.intake.urgency.as_str())
        .push_bind(t.lead_unit.clone())
        .push_bind(t.intake.district_code.clone())
        .push_bind(t.intake.street_code.clone())
        .push_bind(t.intake.category_code.clone())
        .push_bind(t.intake.caller.phone.clone())
        .push_bind(t.intake.external_ref.clone())
        .push_bind(idempotency_key.map(String::from))
        .push_bind(t.intake.title.clone())
        .push_bind(t.intake.content.clone())
        .push_bind(millis(t.received_at))
        .push_bind(millis(t.updated_at))
        .push_bind(i64::from(t.version))
        .push_bind(serde_json::to_string(t).unwrap_or_default());
}

async fn insert_events(
    tx: &mut Transaction<'_, Sqlite>,
    records: &[(&TicketId, &EventRecord)],
) -> StoreResult<()> {
    for chunk in canonical_chunks(records) {
        let mut rows = Vec::with_capacity(chunk.len());
        for (id, r) in chunk {
            rows.push((
                id.0.clone(),
                i64::from(r.seq),
                r.event.kind(),
                millis(r.at),
                serde_json::to_string(&r.actor)?,
                serde_json::to_string(&r.event)?,
            ));
        }
        let mut q = QueryBuilder::<Sqlite>::new(
            // OR ROLLBACK: a failing row fails the whole transaction anyway, and SQLite then
            // needs no statement journal for the multi-row insert.
            "INSERT OR ROLLBACK INTO ticket_events (ticket_id, seq, kind, at, actor, event) ",
        );
        q.push_values(rows, |mut b, row| {
            b.push_bind(row.0)
                .push_bind(row.1)
                .push_bind(row.2)
                .push_bind(row.3)
                .push_bind(row.4)
                .push_bind(row.5);
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn set_ticket_units(
    tx: &mut Transaction<'_, Sqlite>,
    id: &TicketId,
    t: &Ticket,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM ticket_units WHERE ticket_id = $1")
        .bind(&id.0)
        .execute(&mut **tx)
        .await?;
    let mut units: Vec<&String> = t.lead_unit.iter().chain(&t.assisting_units).collect();
    // Units invited to a consultation see the ticket too.
    for u in &t.consultation_units {
        if !units.contains(&u) {
            units.push(u);
        }
    }
    if units.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO ticket_units (unit_code, ticket_id) ");
    q.push_values(units, |mut b, u| {
        b.push_bind(u.clone()).push_bind(id.0.clone());
    });
    q.build().execute(&mut **tx).await?;
    Ok(())
}

/// `text` with the LIKE wildcards (and the escape character) made literal, for a pattern used
/// with `ESCAPE '\'`.
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// ` AND column LIKE pattern ESCAPE '\'`.
fn and_like(q: &mut QueryBuilder<Sqlite>, column: &str, pattern: &str) {
    q.push(format_args!(" AND {column} LIKE "))
        .push_bind(pattern.to_string())
        .push(" ESCAPE '\\'");
}

/// ` AND column IN (values…)`; nothing when there are no values.
fn and_in<'a>(
    q: &mut QueryBuilder<Sqlite>,
    column: &str,
    values: impl ExactSizeIterator<Item = &'a str>,
) {
    if values.len() == 0 {
        return;
    }
    q.push(format_args!(" AND {column} IN ("));
    let mut list = q.separated(", ");
    for v in values {
        list.push_bind(v.to_string());
    }
    q.push(")");
}

/// A page of `limit` tickets from rows of `seq` and `state` fetched with one row more than the
/// page: the tickets, and the `seq` to continue from when there are more.
fn ticket_page(
    rows: Vec<sqlx::sqlite::SqliteRow>,
    limit: u32,
) -> StoreResult<(Vec<Ticket>, Option<i64>)> {
    let more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in rows.into_iter().take(limit as usize) {
        last = Some(row.try_get::<i64, _>("seq")?);
        items.push(ticket_from_state(row.try_get("state")?)?);
    }
    Ok((items, if more { last } else { None }))
}

fn ticket_from_state(state: &str) -> StoreResult<Ticket> {
    Ok(serde_json::from_str(state)?)
}

#[async_trait]
impl Store for SqliteStore {
    async fn replace_reference(&self, r: &Reference) -> StoreResult<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        for table in ["divisions", "units", "catalog"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        for chunk in r.divisions.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO divisions (code, name, level, parent_code) ",
            );
            q.push_values(chunk, |mut b, d| {
                b.push_bind(d.code.clone())
                    .push_bind(d.name.clone())
                    .push_bind(enum_text(&d.level).unwrap_or_default())
                    .push_bind(d.parent_code.clone());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in r.units.chunks(ROWS_PER_INSERT) {
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO units (code, name, kind, district_code) ");
            q.push_values(chunk, |mut b, u| {
                b.push_bind(u.code.clone())
                    .push_bind(u.name.clone())
                    .push_bind(enum_text(&u.kind).unwrap_or_default())
                    .push_bind(u.district_code.clone());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in r.catalog.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO catalog (code, name, level, parent_code, default_unit) ",
            );
            q.push_values(chunk, |mut b, c| {
                b.push_bind(c.code.clone())
                    .push_bind(c.name.clone())
                    .push_bind(i64::from(c.level))
                    .push_bind(c.parent_code.clone())
                    .push_bind(c.default_unit.clone());
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reference(&self) -> StoreResult<Reference> {
        let mut r = Reference::default();
        for row in sqlx::query("SELECT code, name, level, parent_code FROM divisions ORDER BY code")
            .fetch_all(&self.read)
            .await?
        {
            r.divisions.push(Division {
                code: row.try_get("code")?,
                name: row.try_get("name")?,
                level: text_enum::<DivisionLevel>(row.try_get("level")?)?,
                parent_code: row.try_get("parent_code")?,
            });
        }
        for row in sqlx::query("SELECT code, name, kind, district_code FROM units ORDER BY code")
            .fetch_all(&self.read)
            .await?
        {
            r.units.push(Unit {
                code: row.try_get("code")?,
                name: row.try_get("name")?,
                kind: text_enum::<UnitKind>(row.try_get("kind")?)?,
                district_code: row.try_get("district_code")?,
            });
        }
        for row in sqlx::query(
            "SELECT code, name, level, parent_code, default_unit FROM catalog ORDER BY code",
        )
        .fetch_all(&self.read)
        .await?
        {
            let level: i64 = row.try_get("level")?;
            r.catalog.push(CatalogNode {
                code: row.try_get("code")?,
                name: row.try_get("name")?,
                level: u8::try_from(level).unwrap_or(0),
                parent_code: row.try_get("parent_code")?,
                default_unit: row.try_get("default_unit")?,
            });
        }
        Ok(r)
    }

    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read)
            .await?)
    }

    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn create_tickets(&self, batch: Vec<NewTicket>) -> StoreResult<Vec<Created>> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;

        // Tickets already made for a key: recent Idempotency-Keys from memory, external
        // references (imports) from the unique column.
        let mut seen: HashMap<String, Ticket> = HashMap::new();
        let keys: Vec<Option<String>> = batch.iter().map(dedupe_key).collect();
        let known_ids: Vec<(String, TicketId)> = {
            let window = self.keys.lock().map_err(|_| poisoned())?;
            batch
                .iter()
                .zip(&keys)
                .filter_map(|(n, key)| {
                    let k = n.idempotency_key.as_deref()?;
                    Some((key.clone()?, window.get(k)?.clone()))
                })
                .collect()
        };
        for chunk in known_ids.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT id, state FROM tickets WHERE id IN (");
            let mut sep = q.separated(", ");
            for (_, id) in chunk {
                sep.push_bind(id.0.clone());
            }
            q.push(")");
            let mut by_id = HashMap::new();
            for row in q.build().fetch_all(&mut *tx).await? {
                let id: String = row.try_get("id")?;
                by_id.insert(id, ticket_from_state(row.try_get("state")?)?);
            }
            for (key, id) in chunk {
                if let Some(t) = by_id.get(&id.0) {
                    seen.insert(key.clone(), t.clone());
                }
            }
        }
        let refs: Vec<&str> = batch
            .iter()
            .filter(|n| n.idempotency_key.is_none())
            .filter_map(|n| n.intake.external_ref.as_deref())
            .collect();
        for chunk in refs.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT external_ref, state FROM tickets WHERE external_ref IN (",
            );
            let mut sep = q.separated(", ");
            for r in chunk {
                sep.push_bind(r.to_string());
            }
            q.push(")");
            for row in q.build().fetch_all(&mut *tx).await? {
                let r: String = row.try_get("external_ref")?;
                seen.insert(
                    format!("ext:{r}"),
                    ticket_from_state(row.try_get("state")?)?,
                );
            }
        }

        // Which inputs create a ticket: not seen before, not repeated earlier in the batch.
        let mut fresh: Vec<usize> = Vec::new();
        let mut first_in_batch: HashMap<&str, usize> = HashMap::new();
        let mut per_day: BTreeMap<String, u64> = BTreeMap::new();
        for (i, n) in batch.iter().enumerate() {
            if let Some(k) = keys[i].as_deref() {
                if seen.contains_key(k) || first_in_batch.contains_key(k) {
                    continue;
                }
                first_in_batch.insert(k, i);
            }
            fresh.push(i);
            *per_day.entry(number_day(n.received_at)).or_default() += 1;
        }

        // Allocate order numbers: one counter update per local day in the batch.
        let mut next_seq: HashMap<String, u64> = HashMap::new();
        for (day, count) in &per_day {
            let count = i64::try_from(*count).unwrap_or(i64::MAX);
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO day_counters (day, last) VALUES ($1, $2) \
                 ON CONFLICT (day) DO UPDATE SET last = day_counters.last + excluded.last \
                 RETURNING last",
            )
            .bind(day)
            .bind(count)
            .fetch_one(&mut *tx)
            .await?;
            next_seq.insert(day.clone(), u64::try_from(last - count + 1).unwrap_or(1));
        }

        // Fold each new ticket's first event into its state.
        let mut created: HashMap<usize, (EventRecord, Ticket)> = HashMap::new();
        for &i in &fresh {
            let n = &batch[i];
            let day = number_day(n.received_at);
            let seq = next_seq.entry(day.clone()).or_insert(1);
            let number = ticket_number(&day, *seq);
            *seq += 1;
            let record = EventRecord {
                seq: 1,
                at: n.received_at,
                actor: n.actor.clone(),
                event: Event::Received {
                    id: n.id.clone(),
                    number,
                    intake: n.intake.clone(),
                    proposal: n.proposal.clone(),
                },
            };
            let ticket = evolve(None, &record)
                .ok_or_else(|| StoreError::Other("a received event made no ticket".into()))?;
            created.insert(i, (record, ticket));
        }

        let rows: Vec<(&Ticket, Option<&str>)> = fresh
            .iter()
            .map(|i| (&created[i].1, batch[*i].idempotency_key.as_deref()))
            .collect();
        for chunk in canonical_chunks(&rows) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT OR ROLLBACK INTO tickets (id, number, status, channel, urgency, lead_unit, \
                 district_code, street_code, category_code, caller_phone, external_ref, idempotency_key, title, content, \
                 received_at, updated_at, version, state) ",
            );
            q.push_values(chunk, |b, (t, key)| push_ticket_row(b, t, *key));
            q.build().execute(&mut *tx).await?;
        }
        let events: Vec<(&TicketId, &EventRecord)> = fresh
            .iter()
            .map(|i| (&created[i].1.id, &created[i].0))
            .collect();
        insert_events(&mut tx, &events).await?;
        let received = fresh.iter().flat_map(|i| {
            let (record, ticket) = &created[i];
            jiesu_core::rollup::deltas(None, record, ticket)
        });
        rollup::apply(&mut tx, &rollup::sum(received)).await?;
        tx.commit().await?;
        let mut window = self.keys.lock().map_err(|_| poisoned())?;
        for &i in &fresh {
            let n = &batch[i];
            if let Some(k) = n.idempotency_key.as_deref() {
                window.insert(k, n.id.clone(), millis(n.received_at));
            }
        }
        drop(window);

        // Answer every input in order.
        let mut out = Vec::with_capacity(batch.len());
        for (i, key) in keys.iter().enumerate() {
            if let Some((_, t)) = created.get(&i) {
                out.push(Created {
                    ticket: t.clone(),
                    existed: false,
                });
                continue;
            }
            let key = key.as_deref().unwrap_or_default();
            let ticket = match seen.get(key) {
                Some(t) => t.clone(),
                None => {
                    let first = first_in_batch.get(key).copied().unwrap_or(i);
                    created
                        .get(&first)
                        .map(|(_, t)| t.clone())
                        .ok_or_else(|| StoreError::Other("lost a batch entry".into()))?
                }
            };
            out.push(Created {
                ticket,
                existed: true,
            });
        }
        Ok(out)
    }

    async fn ticket(&self, id_or_number: &str) -> StoreResult<Ticket> {
        let state: String =
            sqlx::query_scalar("SELECT state FROM tickets WHERE id = $1 OR number = $1")
                .bind(id_or_number)
                .fetch_one(&self.read)
                .await?;
        ticket_from_state(&state)
    }

    async fn events(&self, id: &TicketId) -> StoreResult<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, event FROM ticket_events WHERE ticket_id = $1 ORDER BY seq",
        )
        .bind(&id.0)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|row| {
                let event: Event = serde_json::from_str(row.try_get("event")?)?;
                Ok(EventRecord {
                    seq: u32::try_from(row.try_get::<i64, _>("seq")?).unwrap_or(0),
                    at: from_millis(row.try_get("at")?)?,
                    actor: serde_json::from_str(row.try_get("actor")?)?,
                    event,
                })
            })
            .collect()
    }

    async fn append_many(&self, appends: &[Append]) -> StoreResult<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let mut events: Vec<(&TicketId, &EventRecord)> = Vec::new();
        let mut changes = Vec::new();
        for a in appends {
            let state = &a.state;
            let conflict = || {
                StoreError::Conflict(format!(
                    "ticket {} changed meanwhile; reload and try again",
                    state.number
                ))
            };
            let previous: Option<String> =
                sqlx::query_scalar("SELECT state FROM tickets WHERE id = $1 AND version = $2")
                    .bind(&state.id.0)
                    .bind(i64::from(a.expected_version))
                    .fetch_optional(&mut *tx)
                    .await?;
            let before = ticket_from_state(&previous.ok_or_else(conflict)?)?;
            // A master must still be open when the merge is written: two tickets merged
            // into each other at the same moment would otherwise both disappear.
            for r in &a.records {
                if let Event::Merged { master_id } = &r.event {
                    let status: Option<String> =
                        sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1")
                            .bind(&master_id.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if matches!(status.as_deref(), None | Some("merged") | Some("closed")) {
                        return Err(StoreError::Conflict(format!(
                            "the master ticket {master_id} is no longer open"
                        )));
                    }
                }
            }
            sqlx::query(
                "UPDATE tickets SET status = $1, urgency = $2, lead_unit = $3, updated_at = $4, \
                 version = $5, state = $6, replied_at = $7, next_check = $8, overdue = $9 \
                 WHERE id = $10",
            )
            .bind(state.status.as_str())
            .bind(state.intake.urgency.as_str())
            .bind(state.lead_unit.clone())
            .bind(millis(state.updated_at))
            .bind(i64::from(state.version))
            .bind(serde_json::to_string(state)?)
            .bind(state.replied_at.map(millis))
            .bind(state.next_check().map(millis))
            .bind(i64::from(state.is_overdue()))
            .bind(&state.id.0)
            .execute(&mut *tx)
            .await?;
            if before.lead_unit != state.lead_unit
                || before.assisting_units != state.assisting_units
            {
                set_ticket_units(&mut tx, &state.id, state).await?;
            }
            events.extend(a.records.iter().map(|r| (&state.id, r)));
            // The rollups move with the events, folded from the state they were decided on.
            let mut folded = Some(before);
            for r in &a.records {
                changes.extend(jiesu_core::rollup::step(&mut folded, r));
            }
        }
        insert_events(&mut tx, &events).await?;
        rollup::apply(&mut tx, &rollup::sum(changes)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_tickets(&self, f: &TicketFilter) -> StoreResult<TicketPage> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT seq, state FROM tickets t WHERE 1 = 1");
        if let Some(s) = f.status {
            q.push(" AND status = ").push_bind(s.as_str());
        }
        if let Some(u) = &f.unit {
            q.push(" AND id IN (SELECT ticket_id FROM ticket_units WHERE unit_code = ")
                .push_bind(u.clone())
                .push(")");
        }
        if let Some(d) = &f.district {
            q.push(" AND district_code = ").push_bind(d.clone());
        }
        if let Some(o) = f.overdue {
            q.push(" AND overdue = ").push_bind(i64::from(o));
        }
        if let Some(p) = &f.caller_phone {
            q.push(" AND caller_phone = ").push_bind(p.clone());
        }
        if let Some(text) = &f.text {
            let pattern = format!("%{}%", like_literal(text));
            q.push(" AND (title LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR content LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(c) = f.cursor {
            q.push(" AND seq < ").push_bind(c);
        }
        let limit = f.limit.clamp(1, 500);
        q.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let rows = q.build().fetch_all(&self.read).await?;
        let (items, next_cursor) = ticket_page(rows, limit)?;
        Ok(TicketPage { items, next_cursor })
    }

    async fn due_tickets(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Ticket>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT state FROM tickets WHERE next_check <= $1 ORDER BY next_check LIMIT $2",
        )
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|s| ticket_from_state(s)).collect()
    }

    async fn callback_list(
        &self,
        replied_before: DateTime<Utc>,
        max_attempts: u32,
        limit: u32,
    ) -> StoreResult<Vec<Ticket>> {
        let rows: Vec<String> = sqlx::query_scalar(
            // A merged ticket is on the list once its master's reply reached it (replied_at).
            "SELECT state FROM tickets WHERE status IN ('replied', 'answered', 'merged') \
             AND replied_at < $1 AND json_extract(state, '$.callback_attempts') < $2 \
             ORDER BY replied_at LIMIT $3",
        )
        .bind(millis(replied_before))
        .bind(i64::from(max_attempts))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|s| ticket_from_state(s)).collect()
    }

    async fn events_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(TicketId, EventRecord)>> {
        let rows: Vec<(String, i64, i64, String, String)> = sqlx::query_as(
            "SELECT ticket_id, seq, at, actor, event FROM ticket_events \
             WHERE at >= $1 AND at < $2 ORDER BY pos",
        )
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id, seq, at, actor, event)| {
                Ok((
                    TicketId(id),
                    EventRecord {
                        seq: u32::try_from(seq).unwrap_or(0),
                        at: from_millis(at)?,
                        actor: serde_json::from_str(&actor)?,
                        event: serde_json::from_str(&event)?,
                    },
                ))
            })
            .collect()
    }

    async fn tickets_active_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TicketId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT ticket_id FROM ticket_events WHERE at >= $1 AND at < $2 \
             ORDER BY ticket_id",
        )
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.read)
        .await?;
        Ok(ids.into_iter().map(TicketId).collect())
    }

    async fn logs(&self, ids: &[TicketId]) -> StoreResult<Vec<Vec<EventRecord>>> {
        let mut logs: Vec<Vec<EventRecord>> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT ticket_id, seq, at, actor, event FROM ticket_events WHERE ticket_id IN (",
            );
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id.0.clone());
            }
            q.push(") ORDER BY ticket_id, seq");
            let mut current: Option<String> = None;
            for row in q.build().fetch_all(&self.read).await? {
                let id: String = row.try_get("ticket_id")?;
                if current.as_deref() != Some(id.as_str()) {
                    logs.push(Vec::new());
                    current = Some(id);
                }
                let record = EventRecord {
                    seq: u32::try_from(row.try_get::<i64, _>("seq")?).unwrap_or(0),
                    at: from_millis(row.try_get("at")?)?,
                    actor: serde_json::from_str(row.try_get("actor")?)?,
                    event: serde_json::from_str(row.try_get("event")?)?,
                };
                if let Some(log) = logs.last_mut() {
                    log.push(record);
                }
            }
        }
        Ok(logs)
    }

    async fn tickets_by_ids(&self, ids: &[TicketId]) -> StoreResult<Vec<Ticket>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT state FROM tickets WHERE id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id.0.clone());
            }
            q.push(")");
            for row in q.build().fetch_all(&self.read).await? {
                out.push(ticket_from_state(row.try_get("state")?)?);
            }
        }
        Ok(out)
    }

    async fn merge_candidates(
        &self,
        since: DateTime<Utc>,
        streets: &[String],
        per_street: u32,
        recent: u32,
    ) -> StoreResult<Vec<MergeCandidate>> {
        // Literal SQL only (sqlx refuses strings built at run time): the columns twice.
        macro_rules! columns {
            () => {
                "SELECT id, number, version, status, title, content, \
                 json_extract(state, '$.address') AS address, street_code, received_at \
                 FROM tickets WHERE status NOT IN ('closed', 'merged') AND received_at >= $1 "
            };
        }
        let mut rows = Vec::new();
        for street in streets {
            rows.extend(
                sqlx::query(concat!(
                    columns!(),
                    "AND street_code = $2 ORDER BY received_at DESC LIMIT $3"
                ))
                .bind(millis(since))
                .bind(street)
                .bind(i64::from(per_street))
                .fetch_all(&self.read)
                .await?,
            );
        }
        rows.extend(
            sqlx::query(concat!(columns!(), "ORDER BY received_at DESC LIMIT $2"))
                .bind(millis(since))
                .bind(i64::from(recent))
                .fetch_all(&self.read)
                .await?,
        );
        let mut out: Vec<MergeCandidate> = Vec::with_capacity(rows.len());
        let mut seen = std::collections::HashSet::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            if !seen.insert(id.clone()) {
                continue;
            }
            let status: String = row.try_get("status")?;
            out.push(MergeCandidate {
                id: TicketId(id),
                number: row.try_get("number")?,
                version: u32::try_from(row.try_get::<i64, _>("version")?).unwrap_or(0),
                status: jiesu_core::Status::parse(&status)
                    .ok_or_else(|| StoreError::Other(format!("unknown status '{status}'")))?,
                title: row.try_get("title")?,
                content: row.try_get("content")?,
                address: row.try_get("address")?,
                street_code: row.try_get("street_code")?,
                received_at: from_millis(row.try_get("received_at")?)?,
            });
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.received_at));
        Ok(out)
    }

    async fn merged_counts(&self, masters: &[TicketId]) -> StoreResult<Vec<(TicketId, u32)>> {
        let mut out = Vec::new();
        for chunk in masters.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT json_extract(state, '$.master_id') AS master, count(*) AS n FROM tickets \
                 WHERE status = 'merged' AND json_extract(state, '$.master_id') IN (",
            );
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id.0.clone());
            }
            q.push(") GROUP BY master");
            for row in q.build().fetch_all(&self.read).await? {
                let n: i64 = row.try_get("n")?;
                out.push((
                    TicketId(row.try_get("master")?),
                    u32::try_from(n).unwrap_or(u32::MAX),
                ));
            }
        }
        Ok(out)
    }

    async fn merged_into(&self, master: &TicketId) -> StoreResult<Vec<Ticket>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT state FROM tickets \
             WHERE status = 'merged' AND json_extract(state, '$.master_id') = $1 ORDER BY seq",
        )
        .bind(&master.0)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|s| ticket_from_state(s)).collect()
    }

    async fn policy_set(&self) -> StoreResult<Option<PolicySet>> {
        let body: Option<String> =
            sqlx::query_scalar("SELECT body FROM policy_sets ORDER BY version DESC LIMIT 1")
                .fetch_optional(&self.read)
                .await?;
        body.map(|b| serde_json::from_str(&b).map_err(StoreError::from))
            .transpose()
    }

    async fn save_policy_set(&self, set: &PolicySet, by: &str) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO policy_sets (version, body, created_at, created_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING",
        )
        .bind(i64::from(set.version))
        .bind(serde_json::to_string(set)?)
        .bind(millis(chrono::Utc::now()))
        .bind(by)
        .execute(&self.write)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "policy version {} already exists",
                set.version
            )));
        }
        Ok(())
    }

    async fn calendar_years(&self) -> StoreResult<Vec<YearSchedule>> {
        let bodies: Vec<String> =
            sqlx::query_scalar("SELECT body FROM calendar_years ORDER BY year")
                .fetch_all(&self.read)
                .await?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(StoreError::from))
            .collect()
    }

    async fn save_calendar_year(&self, year: &YearSchedule, by: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO calendar_years (year, body, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (year) DO UPDATE SET body = excluded.body, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(i64::from(year.year))
        .bind(serde_json::to_string(year)?)
        .bind(millis(chrono::Utc::now()))
        .bind(by)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn dispatch_rule_versions(&self) -> StoreResult<Vec<RuleSetVersion>> {
        let rows: Vec<(String, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT body, created_at, created_by, note FROM dispatch_rule_sets ORDER BY version",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(body, at, by, note)| {
                Ok(RuleSetVersion {
                    rules: serde_json::from_str(&body)?,
                    created_at: from_millis(at)?,
                    created_by: by,
                    note,
                })
            })
            .collect()
    }

    async fn save_dispatch_rules(
        &self,
        rules: &RuleSet,
        by: &str,
        note: Option<&str>,
    ) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO dispatch_rule_sets (version, body, created_at, created_by, note) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version) DO NOTHING",
        )
        .bind(i64::from(rules.version))
        .bind(serde_json::to_string(rules)?)
        .bind(millis(chrono::Utc::now()))
        .bind(by)
        .bind(note)
        .execute(&self.write)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "dispatch rules version {} already exists",
                rules.version
            )));
        }
        Ok(())
    }

    async fn count_tickets(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
            .fetch_one(&self.read)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO users (name, role, unit_code, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(user.unit.clone())
        .bind(&user.password_hash)
        .bind(millis(chrono::Utc::now()))
        .execute(&self.write)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "user '{}' already exists",
                user.name
            )));
        }
        Ok(())
    }

    async fn user(&self, name: &str) -> StoreResult<User> {
        let row =
            sqlx::query("SELECT name, role, unit_code, password_hash FROM users WHERE name = $1")
                .bind(name)
                .fetch_one(&self.read)
                .await?;
        user_from_row(&row)
    }

    async fn add_token(&self, token_hash: &str, user: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO tokens (hash, user_name, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user)
            .bind(millis(chrono::Utc::now()))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn user_by_token(&self, token_hash: &str) -> StoreResult<User> {
        let row = sqlx::query(
            "SELECT u.name, u.role, u.unit_code, u.password_hash FROM tokens t \
             JOIN users u ON u.name = t.user_name WHERE t.hash = $1 AND t.created_at > $2",
        )
        .bind(token_hash)
        .bind(millis(chrono::Utc::now() - TOKEN_LIFETIME))
        .fetch_one(&self.read)
        .await?;
        user_from_row(&row)
    }

    async fn revoke_token(&self, token_hash: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM tokens WHERE hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        name: row.try_get("name")?,
        role: Role::from_str(&role).map_err(|e| StoreError::Other(e.to_string()))?,
        unit: row.try_get("unit_code")?,
        password_hash: row.try_get("password_hash")?,
    })
}

#[cfg(test)]
mod tests;
