//! Storage of the rollups: ticket counts kept current as events are written.
//!
//! Every write of events ([`crate::Store::create_tickets`], [`crate::Store::append_many`])
//! applies the events' [`jiesu_core::rollup::deltas`] to the stored rows in the same
//! transaction, so the counts are never behind the log. [`RollupStore::rebuild_rollups`]
//! recomputes them from the event log, for a database migrated from before rollups or after a
//! change of the counting rules.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jiesu_core::rollup::{Rollups, UnitKey};

/// Rollup storage; part of every [`crate::Store`].
#[async_trait]
pub trait RollupStore: Send + Sync {
    /// Every stored row with a count above zero.
    async fn rollups(&self) -> StoreResult<Rollups>;
    /// Clears the rollups and replays every ticket's event log into them, in one transaction
    /// (writers wait meanwhile). Returns the number of rows written.
    async fn rebuild_rollups(&self) -> StoreResult<usize>;
    /// The unit rows of the hours in `[from, to)`, in key order.
    async fn unit_rollups(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(UnitKey, i64)>>;
    /// Adds whole rollups folded elsewhere (a bulk load of history whose events are not
    /// kept) to the stored rows, a batch of rows per transaction, through the same path as
    /// live events. Returns the number of rows given.
    async fn load_rollups(&self, rollups: &Rollups) -> StoreResult<usize>;
}
