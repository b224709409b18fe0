//! The rollups on SQLite: two counter tables, changed by upserts inside the transactions that
//! write the events, and the bucket counters derived from the volume changes in the same
//! upserts (`rollup_buckets`, see [`jiesu_core::analytics::bucket_deltas`]).

use super::{SqliteStore, canonical_chunks, enum_text, text_enum};
use crate::rollup::RollupStore;
use crate::{StoreError, StoreResult, from_millis, millis};
use async_trait::async_trait;
use jiesu_core::analytics::bucket_deltas;
use jiesu_core::rollup::{Delta, RollupKey, Rollups, Row as RollupRow, UnitKey, step};
use jiesu_core::{Channel, EventRecord};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use std::collections::BTreeMap;

/// Events read per query while rebuilding.
const REBUILD_PAGE: i64 = 10_000;

/// The deltas summed per row, rows that do not change left out: each distinct row is then
/// written once per transaction, however many events of the batch touch it.
pub(super) fn sum(deltas: impl IntoIterator<Item = Delta>) -> BTreeMap<RollupRow, i64> {
    let mut sums = BTreeMap::new();
    for d in deltas {
        *sums.entry(d.row).or_insert(0) += d.n;
    }
    sums.retain(|_, n| *n != 0);
    sums
}

/// A volume key as stored: '' for a missing category, district or street.
struct VolumeCols {
    hour: i64,
    category: String,
    district: String,
    street: String,
    channel: &'static str,
    request_type: &'static str,
    outcome: String,
    n: i64,
}

impl VolumeCols {
    fn of(k: &RollupKey, n: i64) -> StoreResult<VolumeCols> {
        Ok(VolumeCols {
            hour: millis(k.hour),
            category: k.category.clone().unwrap_or_default(),
            district: k.district.clone().unwrap_or_default(),
            street: k.street.clone().unwrap_or_default(),
            channel: k.channel.as_str(),
            request_type: k.request_type.as_str(),
            outcome: enum_text(&k.outcome)?,
            n,
        })
    }
}

/// Adds the sums to the stored rows; a row that comes back to zero is deleted, as in
/// [`Rollups::apply`].
pub(super) async fn apply(
    tx: &mut Transaction<'_, Sqlite>,
    sums: &BTreeMap<RollupRow, i64>,
) -> StoreResult<()> {
    let mut volumes = Vec::new();
    let mut units = Vec::new();
    for (row, &n) in sums {
        match row {
            RollupRow::Volume(k) => volumes.push(VolumeCols::of(k, n)?),
            RollupRow::Unit(k) => {
                units.push((millis(k.hour), k.unit.clone(), enum_text(&k.figure)?, n))
            }
        }
    }
    for chunk in canonical_chunks(&volumes) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO rollup_volume \
             (hour, category, district, street, channel, request_type, outcome, n) ",
        );
        q.push_values(chunk, |mut b, v| {
            b.push_bind(v.hour)
                .push_bind(v.category.clone())
                .push_bind(v.district.clone())
                .push_bind(v.street.clone())
                .push_bind(v.channel)
                .push_bind(v.request_type)
                .push_bind(v.outcome.clone())
                .push_bind(v.n);
        });
        q.push(
            " ON CONFLICT (hour, category, district, street, channel, request_type, outcome) \
             DO UPDATE SET n = n + excluded.n",
        );
        q.build().execute(&mut **tx).await?;
    }
    for chunk in canonical_chunks(&units) {
        let mut q =
            QueryBuilder::<Sqlite>::new("INSERT INTO rollup_units (hour, unit, figure, n) ");
        q.push_values(chunk, |mut b, (hour, unit, figure, n)| {
            b.push_bind(*hour)
                .push_bind(unit.clone())
                .push_bind(figure.clone())
                .push_bind(*n);
        });
        q.push(" ON CONFLICT (hour, unit, figure) DO UPDATE SET n = n + excluded.n");
        q.build().execute(&mut **tx).await?;
    }
    apply_buckets(tx, sums).await?;
    // Only a row that lost tickets can have come back to zero.
    for v in volumes.iter().filter(|v| v.n < 0) {
        sqlx::query(
            "DELETE FROM rollup_volume WHERE hour = $1 AND category = $2 AND district = $3 \
             AND street = $4 AND channel = $5 AND request_type = $6 AND outcome = $7 AND n = 0",
        )
        .bind(v.hour)
        .bind(&v.category)
        .bind(&v.district)
        .bind(&v.street)
        .bind(v.channel)
        .bind(v.request_type)
        .bind(&v.outcome)
        .execute(&mut **tx)
        .await?;
    }
    for (hour, unit, figure, _) in units.iter().filter(|u| u.3 < 0) {
        sqlx::query(
            "DELETE FROM rollup_units WHERE hour = $1 AND unit = $2 AND figure = $3 AND n = 0",
        )
        .bind(hour)
        .bind(unit)
        .bind(figure)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The hourly and daily counters by one dimension ([`bucket_deltas`]), derived from the
/// volume changes of the same transaction.
async fn apply_buckets(
    tx: &mut Transaction<'_, Sqlite>,
    sums: &BTreeMap<RollupRow, i64>,
) -> StoreResult<()> {
    let deltas = bucket_deltas(sums.iter().filter_map(|(row, &n)| match row {
        RollupRow::Volume(k) => Some((k, n)),
        RollupRow::Unit(_) => None,
    }));
    let rows: Vec<(&'static str, &'static str, i64, &str, i64)> = deltas
        .iter()
        .map(|(k, &n)| {
            (
                k.grain.as_str(),
                k.dim.as_str(),
                millis(k.bucket),
                k.key.as_str(),
                n,
            )
        })
        .collect();
    for chunk in canonical_chunks(&rows) {
        let mut q =
            QueryBuilder::<Sqlite>::new("INSERT INTO rollup_buckets (grain, dim, bucket, key, n) ");
        q.push_values(chunk, |mut b, (grain, dim, bucket, key, n)| {
            b.push_bind(*grain)
                .push_bind(*dim)
                .push_bind(*bucket)
                .push_bind(key.to_string())
                .push_bind(*n);
        });
        q.push(" ON CONFLICT (grain, dim, bucket, key) DO UPDATE SET n = n + excluded.n");
        q.build().execute(&mut **tx).await?;
    }
    for (grain, dim, bucket, key, _) in rows.iter().filter(|r| r.4 < 0) {
        sqlx::query(
            "DELETE FROM rollup_buckets WHERE grain = $1 AND dim = $2 AND bucket = $3 \
             AND key = $4 AND n = 0",
        )
        .bind(grain)
        .bind(dim)
        .bind(bucket)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn some(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn record_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<EventRecord> {
    Ok(EventRecord {
        seq: u32::try_from(row.try_get::<i64, _>("seq")?).unwrap_or(0),
        at: from_millis(row.try_get("at")?)?,
        actor: serde_json::from_str(row.try_get("actor")?)?,
        event: serde_json::from_str(row.try_get("event")?)?,
    })
}

#[async_trait]
impl RollupStore for SqliteStore {
    async fn rollups(&self) -> StoreResult<Rollups> {
        let mut deltas = Vec::new();
        for row in sqlx::query(
            "SELECT hour, category, district, street, channel, request_type, outcome, n \
             FROM rollup_volume WHERE n <> 0",
        )
        .fetch_all(&self.read)
        .await?
        {
            let channel: String = row.try_get("channel")?;
            deltas.push(Delta {
                row: RollupRow::Volume(RollupKey {
                    hour: from_millis(row.try_get("hour")?)?,
                    category: some(row.try_get("category")?),
                    district: some(row.try_get("district")?),
                    street: some(row.try_get("street")?),
                    channel: Channel::parse(&channel)
                        .ok_or_else(|| StoreError::Other(format!("unknown channel '{channel}'")))?,
                    request_type: text_enum(row.try_get("request_type")?)?,
                    outcome: text_enum(row.try_get("outcome")?)?,
                }),
                n: row.try_get("n")?,
            });
        }
        for row in sqlx::query("SELECT hour, unit, figure, n FROM rollup_units WHERE n <> 0")
            .fetch_all(&self.read)
            .await?
        {
            deltas.push(Delta {
                row: RollupRow::Unit(UnitKey {
                    hour: from_millis(row.try_get("hour")?)?,
                    unit: row.try_get("unit")?,
                    figure: text_enum(row.try_get("figure")?)?,
                }),
                n: row.try_get("n")?,
            });
        }
        let mut rollups = Rollups::new();
        rollups.apply(&deltas);
        Ok(rollups)
    }

    async fn rebuild_rollups(&self) -> StoreResult<usize> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM rollup_volume")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM rollup_units")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM rollup_buckets")
            .execute(&mut *tx)
            .await?;
        // Ticket by ticket, each log in order, a page of events at a time.
        let mut rollups = Rollups::new();
        let mut state = None;
        let (mut last_id, mut last_seq) = (String::new(), 0_i64);
        loop {
            let rows = sqlx::query(
                "SELECT ticket_id, seq, at, actor, event FROM ticket_events \
                 WHERE (ticket_id, seq) > ($1, $2) ORDER BY ticket_id, seq LIMIT $3",
            )
            .bind(&last_id)
            .bind(last_seq)
            .bind(REBUILD_PAGE)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let id: String = row.try_get("ticket_id")?;
                if id != last_id {
                    state = None;
                    last_id = id;
                }
                let record = record_from_row(row)?;
                last_seq = i64::from(record.seq);
                rollups.apply(&step(&mut state, &record));
            }
        }
        let sums: BTreeMap<RollupRow, i64> = rollups.iter().map(|(r, n)| (r.clone(), n)).collect();
        apply(&mut tx, &sums).await?;
        sqlx::query("DELETE FROM meta WHERE key = 'rollups_rebuild'")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(sums.len())
    }
}
