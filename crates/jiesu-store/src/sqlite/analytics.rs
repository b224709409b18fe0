//! The analytics on SQLite: reads of the bucket and term counters (range scans of their
//! primary keys and of the terms' top index), the term counter's writes and the alerts.

use super::{SqliteStore, canonical_chunks};
use crate::analytics::{Alert, AnalyticsStore, HourTerms, NewAlert, OrderRef, TermSource};
use crate::{StoreError, StoreResult, from_millis, millis};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::TicketId;
use jiesu_core::analytics::{Dim, Grain};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use std::collections::BTreeMap;

/// Meta key of the term counter's position in `tickets.seq`.
const TERMS_CURSOR: &str = "terms_seq";

/// The upper bound of the codes starting with `prefix` (catalog codes are ASCII).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{7f}")
}

fn dim_of(s: &str) -> StoreResult<Dim> {
    Dim::ALL
        .iter()
        .copied()
        .find(|d| d.as_str() == s)
        .ok_or_else(|| StoreError::Other(format!("unknown dimension '{s}'")))
}

fn some(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn alert_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Alert> {
    Ok(Alert {
        id: row.try_get("id")?,
        raised_at: from_millis(row.try_get("raised_at")?)?,
        hour: from_millis(row.try_get("hour")?)?,
        spike: NewAlert {
            dim: dim_of(row.try_get("dim")?)?,
            key: row.try_get("key")?,
            category: some(row.try_get("category")?),
            street: some(row.try_get("street")?),
            count: row.try_get("count")?,
            expected: row.try_get("expected")?,
            z: row.try_get("z")?,
            statistic: row.try_get("statistic")?,
        },
    })
}

/// The columns of an alert, in the order [`alert_from_row`] reads them by name.
macro_rules! alert_columns {
    () => {
        "id, raised_at, hour, dim, key, category, street, count, expected, z, statistic"
    };
}

/// Adds term counts of an hour to its hour, day and week buckets.
async fn add_terms(tx: &mut Transaction<'_, Sqlite>, counts: &[HourTerms]) -> StoreResult<()> {
    let mut sums: BTreeMap<(&'static str, i64, &str), i64> = BTreeMap::new();
    for (hour, terms) in counts {
        for grain in [Grain::Hour, Grain::Day, Grain::Week] {
            let bucket = millis(grain.bucket_of(*hour));
            for (term, n) in terms {
                *sums
                    .entry((grain.as_str(), bucket, term.as_str()))
                    .or_insert(0) += n;
            }
        }
    }
    let rows: Vec<_> = sums.into_iter().filter(|(_, n)| *n != 0).collect();
    for chunk in canonical_chunks(&rows) {
        let mut q =
            QueryBuilder::<Sqlite>::new("INSERT INTO rollup_terms (grain, bucket, term, n) ");
        q.push_values(chunk, |mut b, ((grain, bucket, term), n)| {
            b.push_bind(*grain)
                .push_bind(*bucket)
                .push_bind(term.to_string())
                .push_bind(*n);
        });
        q.push(" ON CONFLICT (grain, bucket, term) DO UPDATE SET n = n + excluded.n");
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

#[async_trait]
impl AnalyticsStore for SqliteStore {
    async fn bucket_counts(
        &self,
        grain: Grain,
        dim: Dim,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT key, SUM(n) FROM rollup_buckets \
             WHERE grain = $1 AND dim = $2 AND bucket >= $3 AND bucket < $4 \
             GROUP BY key HAVING SUM(n) <> 0",
        )
        .bind(grain.as_str())
        .bind(dim.as_str())
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.read)
        .await?)
    }

    async fn key_counts(
        &self,
        grain: Grain,
        dim: Dim,
        buckets: &[DateTime<Utc>],
        keys: &[String],
    ) -> StoreResult<Vec<(String, i64)>> {
        let mut sums: BTreeMap<String, i64> = BTreeMap::new();
        if buckets.is_empty() {
            return Ok(Vec::new());
        }
        // `bucket IN (…) AND key IN (…)` lets SQLite seek each pair in the primary key
        // instead of scanning every key of the buckets.
        for chunk in keys.chunks(400) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT key, SUM(n) FROM rollup_buckets WHERE grain = ",
            );
            q.push_bind(grain.as_str())
                .push(" AND dim = ")
                .push_bind(dim.as_str())
                .push(" AND bucket IN (");
            let mut sep = q.separated(", ");
            for b in buckets {
                sep.push_bind(millis(*b));
            }
            q.push(") AND key IN (");
            let mut sep = q.separated(", ");
            for k in chunk {
                sep.push_bind(k.clone());
            }
            q.push(") GROUP BY key");
            let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&self.read).await?;
            for (k, n) in rows {
                *sums.entry(k).or_insert(0) += n;
            }
        }
        Ok(sums.into_iter().filter(|(_, n)| *n != 0).collect())
    }

    async fn bucket_series(
        &self,
        grain: Grain,
        dim: Dim,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, i64)>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT bucket, key, n FROM rollup_buckets \
             WHERE grain = $1 AND dim = $2 AND bucket >= $3 AND bucket < $4 AND n <> 0 \
             ORDER BY bucket, key",
        )
        .bind(grain.as_str())
        .bind(dim.as_str())
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(b, k, n)| Ok((from_millis(b)?, k, n)))
            .collect()
    }

    async fn hour_cells(
        &self,
        hour: DateTime<Utc>,
        category_prefix: Option<&str>,
        street: Option<&str>,
    ) -> StoreResult<Vec<(String, String, i64)>> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT category, street, SUM(n) FROM rollup_volume WHERE hour = ",
        );
        q.push_bind(millis(hour));
        if let Some(p) = category_prefix {
            q.push(" AND category >= ")
                .push_bind(p.to_string())
                .push(" AND category < ")
                .push_bind(prefix_end(p));
        }
        if let Some(s) = street {
            q.push(" AND street = ").push_bind(s.to_string());
        }
        q.push(" GROUP BY category, street HAVING SUM(n) <> 0");
        Ok(q.build_query_as().fetch_all(&self.read).await?)
    }

    async fn top_terms(
        &self,
        grain: Grain,
        bucket: DateTime<Utc>,
        top: u32,
    ) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT term, n FROM rollup_terms INDEXED BY rollup_terms_top \
             WHERE grain = $1 AND bucket = $2 ORDER BY n DESC LIMIT $3",
        )
        .bind(grain.as_str())
        .bind(millis(bucket))
        .bind(i64::from(top))
        .fetch_all(&self.read)
        .await?)
    }

    async fn term_counts(
        &self,
        grain: Grain,
        bucket: DateTime<Utc>,
        terms: &[String],
    ) -> StoreResult<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for chunk in terms.chunks(500) {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT term, n FROM rollup_terms WHERE grain = ");
            q.push_bind(grain.as_str())
                .push(" AND bucket = ")
                .push_bind(millis(bucket))
                .push(" AND term IN (");
            let mut sep = q.separated(", ");
            for t in chunk {
                sep.push_bind(t.clone());
            }
            q.push(")");
            out.extend(
                q.build_query_as::<(String, i64)>()
                    .fetch_all(&self.read)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn add_term_counts(
        &self,
        hour: DateTime<Utc>,
        counts: &[(String, i64)],
    ) -> StoreResult<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        add_terms(&mut tx, &[(hour, counts.to_vec())]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn term_sources(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<TermSource>> {
        let rows = sqlx::query(
            "SELECT seq, received_at, title, content FROM tickets WHERE seq > $1 \
             ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TermSource {
                    seq: row.try_get("seq")?,
                    received_at: from_millis(row.try_get("received_at")?)?,
                    title: row.try_get("title")?,
                    content: row.try_get("content")?,
                })
            })
            .collect()
    }

    async fn record_terms(&self, through_seq: i64, counts: &[HourTerms]) -> StoreResult<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        add_terms(&mut tx, counts).await?;
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(TERMS_CURSOR)
        .bind(through_seq.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn terms_cursor(&self) -> StoreResult<i64> {
        let value: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(TERMS_CURSOR)
            .fetch_optional(&self.write)
            .await?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    async fn insert_alerts(
        &self,
        raised_at: DateTime<Utc>,
        hour: DateTime<Utc>,
        alerts: &[NewAlert],
    ) -> StoreResult<Vec<Alert>> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let mut stored = Vec::new();
        for a in alerts {
            let row = sqlx::query(concat!(
                "INSERT INTO alerts (raised_at, hour, dim, key, category, street, count, \
                 expected, z, statistic) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (hour, dim, key) DO NOTHING RETURNING ",
                alert_columns!()
            ))
            .bind(millis(raised_at))
            .bind(millis(hour))
            .bind(a.dim.as_str())
            .bind(&a.key)
            .bind(a.category.clone().unwrap_or_default())
            .bind(a.street.clone().unwrap_or_default())
            .bind(a.count)
            .bind(a.expected)
            .bind(a.z)
            .bind(&a.statistic)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                stored.push(alert_from_row(&row)?);
            }
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn alerts(&self, limit: u32) -> StoreResult<Vec<Alert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            alert_columns!(),
            " FROM alerts ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn alert(&self, id: i64) -> StoreResult<Alert> {
        let row = sqlx::query(concat!(
            "SELECT ",
            alert_columns!(),
            " FROM alerts WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&self.read)
        .await?;
        alert_from_row(&row)
    }

    async fn hour_orders(
        &self,
        hour: DateTime<Utc>,
        category_prefix: Option<&str>,
        street: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<OrderRef>> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT id, number, title, category_code, street_code, received_at FROM tickets \
             WHERE received_at >= ",
        );
        q.push_bind(millis(hour))
            .push(" AND received_at < ")
            .push_bind(millis(hour + chrono::TimeDelta::hours(1)));
        if let Some(p) = category_prefix {
            q.push(" AND category_code >= ")
                .push_bind(p.to_string())
                .push(" AND category_code < ")
                .push_bind(prefix_end(p));
        }
        if let Some(s) = street {
            q.push(" AND street_code = ").push_bind(s.to_string());
        }
        q.push(" ORDER BY received_at DESC, seq DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = q.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(OrderRef {
                    id: TicketId(row.try_get("id")?),
                    number: row.try_get("number")?,
                    title: row.try_get("title")?,
                    category_code: row.try_get("category_code")?,
                    street_code: row.try_get("street_code")?,
                    received_at: from_millis(row.try_get("received_at")?)?,
                })
            })
            .collect()
    }
}
