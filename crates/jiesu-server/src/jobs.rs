//! Background jobs. The time-limit scanner raises warnings and overdue flags; the index sync
//! keeps the knowledge base searchable as it changes; the spike watch runs the spike check at
//! each new hour of the clock; the term counter counts the terms of new tickets' titles for
//! the hot topics.
//!
//! Every ticket carries the next instant its time limits need a look (`next_check`, indexed);
//! the scanner asks the store for the tickets whose instant has come, lets the core decide
//! what the clock says (`check_time`), and appends the events. Nothing is kept in memory, so
//! after a restart the first pass catches up on every deadline that passed while it was down.

use crate::AppState;
use chrono::{DateTime, Utc};
use jiesu_core::{Actor, Command, execute};
use jiesu_store::{Append, StoreError};
use std::time::Duration;

/// The term counter's rest between pages of tickets.
const TERM_PAUSE: Duration = Duration::from_millis(200);

/// Tickets looked at per store round trip.
const PAGE: u32 = 500;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanReport {
    /// Tickets whose time had come.
    pub checked: usize,
    /// Events appended (warnings, overdue flags, supervision).
    pub events: usize,
}

/// One pass at `now`: flags every ticket whose next check is due.
pub async fn scan_once(state: &AppState, now: DateTime<Utc>) -> Result<ScanReport, StoreError> {
    let actor = Actor::system();
    let mut report = ScanReport::default();
    loop {
        let due = state.store.due_tickets(now, PAGE).await?;
        if due.is_empty() {
            return Ok(report);
        }
        let directory = state.directory();
        let mut appends = Vec::with_capacity(due.len());
        for ticket in &due {
            match execute(
                Some(ticket),
                &Command::CheckTime,
                &actor,
                now,
                directory.as_ref(),
            ) {
                Ok((records, _)) if records.is_empty() => {}
                Ok((records, next)) => {
                    report.events += records.len();
                    appends.push(Append {
                        expected_version: ticket.version,
                        records,
                        state: next,
                    });
                }
                Err(e) => tracing::warn!(ticket = %ticket.number, error = %e, "time check refused"),
            }
        }
        report.checked += due.len();
        let progressed = appends.len();
        match state.store.append_many(&appends).await {
            Ok(()) => {}
            // Someone changed one of them meanwhile: take them one by one; the loser is
            // simply looked at again on the next round.
            Err(StoreError::Conflict(_)) => {
                for a in &appends {
                    match state.store.append_many(std::slice::from_ref(a)).await {
                        Ok(()) | Err(StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
        // Catching up may make a ticket due again at once (one more supervision level per
        // period overdue): go round until nothing is due. A due ticket with nothing to flag
        // would come back forever: stop rather than spin.
        if progressed == 0 {
            return Ok(report);
        }
    }
}

/// Runs `job` now and then every `every` (a tick missed while the job ran waits rather than
/// bursts), until the runtime stops.
fn repeat<F, Fut>(state: AppState, every: Duration, job: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            job(state.clone()).await;
        }
    })
}

/// Looks every `every` for a retrained category model file and puts it in use.
pub fn spawn_model_watch(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    repeat(state, every, |state| async move {
        let assistant = state.assistant.clone();
        let _ = tokio::task::spawn_blocking(move || assistant.reload_model()).await;
    })
}

/// Runs [`scan_once`] now and then every `every`, until the runtime stops.
pub fn spawn_scanner(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    repeat(state, every, |state| async move {
        let now = state.clock.now();
        match scan_once(&state, now).await {
            Ok(r) if r.events > 0 => {
                tracing::info!(
                    checked = r.checked,
                    events = r.events,
                    "time limits checked"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "time-limit scan failed"),
        }
    })
}

/// Brings the knowledge base's search index up to the database every `every`: uses counted
/// by answers, and changes made by another process.
pub fn spawn_index_sync(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    repeat(state, every, |state| async move {
        if let Err(e) = state.knowledge.sync(state.store.as_ref()).await {
            tracing::error!(error = %e, "search index sync failed");
        }
    })
}

/// Runs the spike check ([`crate::analytics::raise_alerts`]) whenever the clock has entered a
/// new hour, looking every `every`. After a restart the last complete hour is checked at once;
/// an alert already raised for it is not raised again.
pub fn spawn_spike_watch(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut checked = None;
        loop {
            tick.tick().await;
            let now = state.clock.now();
            let hour = jiesu_core::rollup::hour_of(now);
            if checked == Some(hour) {
                continue;
            }
            match crate::analytics::raise_alerts(&state, now).await {
                Ok(raised) => {
                    checked = Some(hour);
                    if !raised.is_empty() {
                        tracing::warn!(alerts = raised.len(), "spike alerts raised");
                    }
                }
                Err(e) => tracing::error!(error = %e, "spike check failed"),
            }
        }
    })
}

/// Counts the terms of new tickets every `every`, pausing between pages
/// ([`crate::analytics::count_terms_paced`]).
pub fn spawn_term_counter(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    repeat(state, every, |state| async move {
        if let Err(e) = crate::analytics::count_terms_paced(&state, TERM_PAUSE).await {
            tracing::error!(error = %e, "term counting failed");
        }
    })
}

/// 定时数据交换 runs the export jobs whose time has come by the state's clock, now and then
/// every `every`; after a restart the first pass runs each job missed meanwhile once.
pub fn spawn_exports(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    repeat(state, every, |state| async move {
        let now = state.clock.now();
        if let Err(e) = crate::exchange::run_due(&state, now).await {
            tracing::error!(error = %e, "scheduled exports failed");
        }
    })
}
