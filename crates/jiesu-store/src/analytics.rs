//! Storage of the analytics: bucket counters read by dashboards, term counters for hot topics,
//! and the spike alerts raised.
//!
//! The bucket counters (`rollup_buckets`) are written only by the rollup upserts inside the
//! event transactions (see [`crate::RollupStore`]); the term counters are added by whoever
//! tokenizes titles (the server's term counter following the tickets in order, or a bulk
//! loader through [`AnalyticsStore::add_term_counts`]).

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::TicketId;
use jiesu_core::analytics::{Dim, Grain};
use serde::Serialize;

/// A spike alert as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Its number.
    pub id: i64,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// Start of the hour that spiked.
    pub hour: DateTime<Utc>,
    #[serde(flatten)]
    /// What spiked and how much.
    pub spike: NewAlert,
}

/// An alert to raise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAlert {
    /// `category3` (or another category level) or `street`.
    pub dim: Dim,
    /// The category or street code.
    pub key: String,
    /// The category of a street alert that holds most of the spike.
    pub category: Option<String>,
    /// The street of a category alert that holds most of the spike.
    pub street: Option<String>,
    /// Tickets received in the hour.
    pub count: i64,
    /// Tickets expected.
    pub expected: f64,
    /// The z-score.
    pub z: f64,
    /// How the expectation and score were computed.
    pub statistic: String,
}

/// A ticket as an alert lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRef {
    /// Id.
    pub id: TicketId,
    /// Order number.
    pub number: String,
    /// Title.
    pub title: Option<String>,
    /// Catalog code.
    pub category_code: Option<String>,
    /// Street code.
    pub street_code: Option<String>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// The text of a ticket whose terms are to be counted.
#[derive(Debug, Clone, PartialEq)]
pub struct TermSource {
    /// Position in the tickets table.
    pub seq: i64,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Title.
    pub title: Option<String>,
    /// The request.
    pub content: String,
}

/// Terms counted in one hour.
pub type HourTerms = (DateTime<Utc>, Vec<(String, i64)>);

/// Analytics storage; part of every [`crate::Store`].
#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Tickets received in `[from, to)` (bucket starts of `grain`) by key of `dim`, summed over
    /// the buckets; keys with no ticket are left out, '' counts those with none.
    async fn bucket_counts(
        &self,
        grain: Grain,
        dim: Dim,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, i64)>>;
    /// The counts of these `keys` of `dim`, summed over these bucket starts: point lookups
    /// of each (bucket, key), for when a few keys need their history.
    async fn key_counts(
        &self,
        grain: Grain,
        dim: Dim,
        buckets: &[DateTime<Utc>],
        keys: &[String],
    ) -> StoreResult<Vec<(String, i64)>>;
    /// The same counts bucket by bucket, in time order.
    async fn bucket_series(
        &self,
        grain: Grain,
        dim: Dim,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(DateTime<Utc>, String, i64)>>;
    /// Tickets received in one hour by (leaf category, street), only those under a category
    /// prefix and/or on a street when given.
    async fn hour_cells(
        &self,
        hour: DateTime<Utc>,
        category_prefix: Option<&str>,
        street: Option<&str>,
    ) -> StoreResult<Vec<(String, String, i64)>>;
    /// The `top` most counted terms of one bucket (`grain` h, d or w), most first: a range
    /// scan of an index, however many terms the bucket has.
    async fn top_terms(
        &self,
        grain: Grain,
        bucket: DateTime<Utc>,
        top: u32,
    ) -> StoreResult<Vec<(String, i64)>>;
    /// The counts of these terms in one bucket (terms never counted left out).
    async fn term_counts(
        &self,
        grain: Grain,
        bucket: DateTime<Utc>,
        terms: &[String],
    ) -> StoreResult<Vec<(String, i64)>>;
    /// Adds term counts of tickets received in `hour` to its hour, Beijing day and week.
    async fn add_term_counts(
        &self,
        hour: DateTime<Utc>,
        counts: &[(String, i64)],
    ) -> StoreResult<()>;
    /// Tickets after position `after_seq`, in order, at most `limit`.
    async fn term_sources(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<TermSource>>;
    /// Adds term counts and moves the term counter's position to `through_seq`, in one
    /// transaction, so that no ticket is counted twice or missed.
    async fn record_terms(&self, through_seq: i64, counts: &[HourTerms]) -> StoreResult<()>;
    /// The term counter's position (0 before the first ticket).
    async fn terms_cursor(&self) -> StoreResult<i64>;
    /// Stores new alerts; one already raised for the same hour, dim and key is skipped.
    /// Returns those stored.
    async fn insert_alerts(
        &self,
        raised_at: DateTime<Utc>,
        hour: DateTime<Utc>,
        alerts: &[NewAlert],
    ) -> StoreResult<Vec<Alert>>;
    /// Alerts, newest first, at most `limit`.
    async fn alerts(&self, limit: u32) -> StoreResult<Vec<Alert>>;
    /// One alert.
    async fn alert(&self, id: i64) -> StoreResult<Alert>;
    /// The tickets received in an hour, under a category prefix and/or on a street when given,
    /// newest first, at most `limit`.
    async fn hour_orders(
        &self,
        hour: DateTime<Utc>,
        category_prefix: Option<&str>,
        street: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<OrderRef>>;
}
