//! The knowledge base on SQLite.

use super::{SqliteStore, and_in, and_like, like_literal};
use crate::knowledge::{Contact, EntryFilter, KnowledgeStore, MissingFiling, StoredEntry};
use crate::{StoreError, StoreResult, from_millis, millis};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::ivr::Menu;
use jiesu_core::knowledge::{Entry, EntryContent, MissingAnswer, group_question};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use std::collections::BTreeMap;

/// How far back an open missing answer still collects the same question.
const MISSING_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(90);

fn stored(row: &sqlx::sqlite::SqliteRow) -> StoreResult<StoredEntry> {
    let body: String = row.try_get("body")?;
    let uses: i64 = row.try_get("uses")?;
    Ok(StoredEntry {
        entry: serde_json::from_str(&body)?,
        uses: u64::try_from(uses).unwrap_or(0),
        seq: row.try_get("seq")?,
    })
}

fn missing(row: &sqlx::sqlite::SqliteRow) -> StoreResult<MissingAnswer> {
    let closed_at: Option<i64> = row.try_get("closed_at")?;
    Ok(MissingAnswer {
        id: row.try_get("id")?,
        question: row.try_get("question")?,
        asked: u32::try_from(row.try_get::<i64, _>("asked")?).unwrap_or(u32::MAX),
        first_asked_at: from_millis(row.try_get("first_asked_at")?)?,
        last_asked_at: from_millis(row.try_get("last_asked_at")?)?,
        category_code: row.try_get("category_code")?,
        entry_id: row.try_get("entry_id")?,
        closed_by: row.try_get("closed_by")?,
        closed_at: closed_at.map(from_millis).transpose()?,
    })
}

async fn next_seq(tx: &mut Transaction<'_, Sqlite>) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM kb_entries")
            .fetch_one(&mut **tx)
            .await?,
    )
}

async fn insert_version(tx: &mut Transaction<'_, Sqlite>, e: &Entry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO kb_versions (entry_id, version, change, at, actor, body) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&e.id)
    .bind(i64::from(e.version))
    .bind(e.change.as_str())
    .bind(millis(e.changed_at))
    .bind(&e.changed_by)
    .bind(serde_json::to_string(e)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_new(
    tx: &mut Transaction<'_, Sqlite>,
    content: EntryContent,
    publish: bool,
    at: DateTime<Utc>,
    by: &str,
) -> StoreResult<Entry> {
    let number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM kb_entries")
        .fetch_one(&mut **tx)
        .await?;
    let entry = Entry::create(format!("KB{number:06}"), content, publish, at, by);
    let seq = next_seq(tx).await?;
    sqlx::query(
        "INSERT INTO kb_entries (id, number, version, status, category_code, body, uses, seq, \
         changed_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
    )
    .bind(&entry.id)
    .bind(number)
    .bind(i64::from(entry.version))
    .bind(entry.status.as_str())
    .bind(&entry.content.category_code)
    .bind(serde_json::to_string(&entry)?)
    .bind(seq)
    .bind(millis(at))
    .execute(&mut **tx)
    .await?;
    insert_version(tx, &entry).await?;
    Ok(entry)
}

#[async_trait]
impl KnowledgeStore for SqliteStore {
    async fn create_entry(
        &self,
        content: EntryContent,
        publish: bool,
        at: DateTime<Utc>,
        by: &str,
    ) -> StoreResult<Entry> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let entry = insert_new(&mut tx, content, publish, at, by).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn import_entries(
        &self,
        entries: Vec<(EntryContent, bool)>,
        at: DateTime<Utc>,
        by: &str,
    ) -> StoreResult<usize> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let n = entries.len();
        for (content, publish) in entries {
            insert_new(&mut tx, content, publish, at, by).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn save_entry(&self, next: &Entry) -> StoreResult<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let seq = next_seq(&mut tx).await?;
        let done = sqlx::query(
            "UPDATE kb_entries SET version = $1, status = $2, category_code = $3, body = $4, \
             seq = $5, changed_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(i64::from(next.version))
        .bind(next.status.as_str())
        .bind(&next.content.category_code)
        .bind(serde_json::to_string(next)?)
        .bind(seq)
        .bind(millis(next.changed_at))
        .bind(&next.id)
        .bind(i64::from(next.version) - 1)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "entry {} changed meanwhile; reload it and try again",
                next.id
            )));
        }
        insert_version(&mut tx, next).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn entry(&self, id: &str) -> StoreResult<StoredEntry> {
        let row = sqlx::query("SELECT body, uses, seq FROM kb_entries WHERE id = $1")
            .bind(id)
            .fetch_one(&self.read)
            .await?;
        stored(&row)
    }

    async fn entries(&self, ids: &[String]) -> StoreResult<Vec<StoredEntry>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT body, uses, seq FROM kb_entries WHERE id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id);
            }
            q.push(")");
            for row in q.build().fetch_all(&self.read).await? {
                out.push(stored(&row)?);
            }
        }
        Ok(out)
    }

    async fn entry_versions(&self, id: &str) -> StoreResult<Vec<Entry>> {
        let bodies: Vec<String> =
            sqlx::query_scalar("SELECT body FROM kb_versions WHERE entry_id = $1 ORDER BY version")
                .bind(id)
                .fetch_all(&self.read)
                .await?;
        if bodies.is_empty() {
            return Err(StoreError::NotFound);
        }
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(StoreError::from))
            .collect()
    }

    async fn list_entries(&self, f: &EntryFilter) -> StoreResult<(Vec<StoredEntry>, u64)> {
        let filter = |q: &mut QueryBuilder<Sqlite>| {
            q.push(" WHERE 1 = 1");
            and_in(q, "status", f.statuses.iter().map(|s| s.as_str()));
            if let Some(c) = &f.category {
                and_like(q, "category_code", &format!("{}%", like_literal(c)));
            }
        };
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM kb_entries");
        filter(&mut count);
        let total: i64 = count.build_query_scalar().fetch_one(&self.read).await?;
        let mut q = QueryBuilder::<Sqlite>::new("SELECT body, uses, seq FROM kb_entries");
        filter(&mut q);
        q.push(" ORDER BY changed_at DESC, number DESC LIMIT ")
            .push_bind(i64::from(f.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        let rows = q.build().fetch_all(&self.read).await?;
        let items = rows.iter().map(stored).collect::<StoreResult<Vec<_>>>()?;
        Ok((items, u64::try_from(total).unwrap_or(0)))
    }

    async fn entries_since(&self, seq: i64, limit: u32) -> StoreResult<Vec<StoredEntry>> {
        let rows = sqlx::query(
            "SELECT body, uses, seq FROM kb_entries WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(stored).collect()
    }

    async fn record_use(&self, id: &str) -> StoreResult<()> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let seq = next_seq(&mut tx).await?;
        let done = sqlx::query("UPDATE kb_entries SET uses = uses + 1, seq = $1 WHERE id = $2")
            .bind(seq)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn entry_changes_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<BTreeMap<String, u64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT change, COUNT(*) FROM kb_versions WHERE at >= $1 AND at < $2 GROUP BY change",
        )
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(c, n)| (c, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn file_missing(&self, f: MissingFiling) -> StoreResult<MissingAnswer> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let rows =
            sqlx::query("SELECT * FROM kb_missing WHERE closed_at IS NULL AND last_asked_at >= $1")
                .bind(millis(f.at - MISSING_WINDOW))
                .fetch_all(&mut *tx)
                .await?;
        let open = rows.iter().map(missing).collect::<StoreResult<Vec<_>>>()?;
        let id = match group_question(&f.question, &open) {
            Some(item) => {
                sqlx::query(
                    "UPDATE kb_missing SET asked = asked + 1, last_asked_at = $1, \
                     category_code = COALESCE(category_code, $2) WHERE id = $3",
                )
                .bind(millis(f.at))
                .bind(&f.category_code)
                .bind(item.id)
                .execute(&mut *tx)
                .await?;
                item.id
            }
            None => {
                sqlx::query_scalar(
                    "INSERT INTO kb_missing (question, asked, first_asked_at, last_asked_at, \
                     category_code) VALUES ($1, 1, $2, $2, $3) RETURNING id",
                )
                .bind(&f.question)
                .bind(millis(f.at))
                .bind(&f.category_code)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        sqlx::query(
            "INSERT INTO kb_missing_asks (missing_id, at, agent, question, ticket_id) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(millis(f.at))
        .bind(&f.agent)
        .bind(&f.question)
        .bind(&f.ticket_id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT * FROM kb_missing WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        missing(&row)
    }

    async fn missing_answers(
        &self,
        open_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<MissingAnswer>> {
        let sql = if open_only {
            "SELECT * FROM kb_missing WHERE closed_at IS NULL \
             ORDER BY asked DESC, last_asked_at DESC LIMIT $1"
        } else {
            "SELECT * FROM kb_missing ORDER BY closed_at IS NOT NULL, asked DESC, \
             last_asked_at DESC LIMIT $1"
        };
        let rows = sqlx::query(sql)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(missing).collect()
    }

    async fn close_missing(
        &self,
        id: i64,
        entry_id: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<MissingAnswer> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE kb_missing SET entry_id = $1, closed_by = $2, closed_at = $3 \
             WHERE id = $4 AND closed_at IS NULL",
        )
        .bind(entry_id)
        .bind(by)
        .bind(millis(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT * FROM kb_missing WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "missing answer {id} is already closed"
            )));
        }
        tx.commit().await?;
        missing(&row)
    }

    async fn ivr_menu(&self) -> StoreResult<Option<(u32, Menu)>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT version, body FROM ivr_menus ORDER BY version DESC LIMIT 1")
                .fetch_optional(&self.read)
                .await?;
        row.map(|(v, body)| Ok((u32::try_from(v).unwrap_or(0), serde_json::from_str(&body)?)))
            .transpose()
    }

    async fn save_ivr_menu(&self, menu: &Menu, by: &str) -> StoreResult<u32> {
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO ivr_menus (version, body, created_at, created_by) \
             SELECT COALESCE(MAX(version), 0) + 1, $1, $2, $3 FROM ivr_menus RETURNING version",
        )
        .bind(serde_json::to_string(menu)?)
        .bind(millis(Utc::now()))
        .bind(by)
        .fetch_one(&self.write)
        .await?;
        Ok(u32::try_from(version).unwrap_or(0))
    }

    async fn contact(&self, id: &str) -> StoreResult<Contact> {
        let row = sqlx::query("SELECT * FROM self_service WHERE id = $1")
            .bind(id)
            .fetch_one(&self.read)
            .await?;
        let state: String = row.try_get("state")?;
        let ended_at: Option<i64> = row.try_get("ended_at")?;
        Ok(Contact {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            started_at: from_millis(row.try_get("started_at")?)?,
            state: serde_json::from_str(&state)?,
            outcome: row.try_get("outcome")?,
            ended_at: ended_at.map(from_millis).transpose()?,
        })
    }

    async fn save_contact(&self, c: &Contact) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO self_service (id, kind, started_at, state, outcome, ended_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
             state = excluded.state, outcome = excluded.outcome, ended_at = excluded.ended_at",
        )
        .bind(&c.id)
        .bind(&c.kind)
        .bind(millis(c.started_at))
        .bind(serde_json::to_string(&c.state)?)
        .bind(&c.outcome)
        .bind(c.ended_at.map(millis))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn contacts_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<BTreeMap<(String, String), u64>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, outcome, COUNT(*) FROM self_service \
             WHERE started_at >= $1 AND started_at < $2 GROUP BY kind, outcome",
        )
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(k, o, n)| ((k, o), u64::try_from(n).unwrap_or(0)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiesu_core::knowledge::{EntryAction, EntryStatus, Source, apply};

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("kb.db")).await.unwrap();
        (dir, s)
    }

    fn content(title: &str) -> EntryContent {
        EntryContent {
            title: title.into(),
            questions: vec![],
            answer: "答复".into(),
            category_code: None,
            region_code: None,
            source: Source::Other,
            valid_from: None,
            valid_until: None,
            tags: vec![],
        }
    }

    #[tokio::test]
    async fn versions_are_kept_and_a_stale_save_is_refused() {
        let (_d, s) = store().await;
        let now = Utc::now();
        let e1 = s
            .create_entry(content("停水"), true, now, "ed")
            .await
            .unwrap();
        assert_eq!(e1.id, "KB000001");
        let e2 = apply(&e1, EntryAction::Retire, None, None, now, "ed").unwrap();
        s.save_entry(&e2).await.unwrap();
        // A second save of version 2 (someone else's retire) conflicts.
        assert!(matches!(
            s.save_entry(&e2).await,
            Err(StoreError::Conflict(_))
        ));
        let versions = s.entry_versions("KB000001").await.unwrap();
        assert_eq!(versions, vec![e1.clone(), e2.clone()]);
        assert_eq!(
            s.entry("KB000001").await.unwrap().entry.status,
            EntryStatus::Retired
        );
        // The index follows the change order: the retire comes after the creation.
        let since = s.entries_since(0, 10).await.unwrap();
        assert_eq!(since.len(), 1);
        s.record_use("KB000001").await.unwrap();
        let after = s.entries_since(since[0].seq, 10).await.unwrap();
        assert_eq!(after[0].uses, 1);
        let counts = s
            .entry_changes_between(
                now - chrono::TimeDelta::hours(1),
                now + chrono::TimeDelta::hours(1),
            )
            .await
            .unwrap();
        assert_eq!(counts.get("created"), Some(&1));
        assert_eq!(counts.get("retired"), Some(&1));
        // Versions are append-only.
        assert!(
            sqlx::query("DELETE FROM kb_versions")
                .execute(&s.write)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn the_same_question_is_grouped_and_ranked() {
        let (_d, s) = store().await;
        let at = Utc::now();
        let file = |q: &str, agent: &str| MissingFiling {
            question: q.into(),
            category_code: None,
            agent: agent.into(),
            ticket_id: None,
            at,
        };
        s.file_missing(file("小区停车位怎么租", "a1"))
            .await
            .unwrap();
        for (q, a) in [
            ("新冠疫苗第四针在哪里打？", "a1"),
            ("新冠疫苗第四针在哪里打", "a2"),
            ("请问新冠疫苗第四针在哪里打啊", "a3"),
        ] {
            s.file_missing(file(q, a)).await.unwrap();
        }
        let queue = s.missing_answers(true, 10).await.unwrap();
        assert_eq!(queue.len(), 2);
        assert_eq!(
            (queue[0].question.as_str(), queue[0].asked),
            ("新冠疫苗第四针在哪里打？", 3)
        );
        let closed = s
            .close_missing(queue[0].id, "KB000009", "ed", at)
            .await
            .unwrap();
        assert_eq!(closed.entry_id.as_deref(), Some("KB000009"));
        assert!(
            s.close_missing(queue[0].id, "KB000009", "ed", at)
                .await
                .is_err()
        );
        assert_eq!(s.missing_answers(true, 10).await.unwrap().len(), 1);
    }
}
