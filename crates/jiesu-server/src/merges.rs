//! 一件多诉 the same problem reported by many people: proposals to merge, and merged tickets
//! following their master.
//!
//! **Proposals.** A ticket is compared with the open tickets (neither closed nor merged)
//! received within [`WINDOW_DAYS`] of it: every one of its street (up to [`PER_STREET`]) and
//! the [`RECENT`] newest of the rest, with `jiesu-cluster`'s matcher (TF-IDF words, place
//! names, a shared compound raising the score and two different compounds cutting it). What
//! makes that fast enough for intake is that each ticket's [`Profile`] (its segmented,
//! weighted words and places) is computed once and kept here, keyed by ticket id and
//! version, at most [`CACHE_MAX`] of them; only new tickets are analysed on a request.
//!
//! **The corpus.** Word weights (IDF) come from the open tickets of the window themselves (at
//! most [`CORPUS_MAX`], newest first), rebuilt every [`REBUILD_EVERY`] in the background (and
//! after a minute while the corpus is still small, as on a fresh install): what is common in
//! this week's requests (停水 during a water cut) weighs less than what singles out one
//! problem, and no corpus file has to be shipped or kept current. A rebuild drops the cached
//! profiles, which are recomputed lazily.
//!
//! **The master.** The one to merge into is the master the proposed tickets already share (the
//! one with most tickets merged into it), or else the oldest of the ticket and its proposals.
//!
//! **Following the master.** When a master is replied (or answered at first contact), every
//! ticket merged into it, directly or through another merged ticket, gets the reply in the
//! same transaction ([`Command::FollowMaster`]) and so goes on the callback list with it: each
//! caller is called back. A ticket merged into a master that has already replied gets the
//! reply at once.

use crate::AppState;
use crate::error::{ApiResult, AppError};
use chrono::{DateTime, Duration, Utc};
use jiesu_cluster::{Config, Matcher, Profile, Report};
use jiesu_core::{Actor, Command, Event, Status, Ticket, TicketId, execute};
use jiesu_store::{Append, MergeCandidate};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Tickets received at most this many days apart are compared.
pub const WINDOW_DAYS: i64 = 7;
/// Open tickets of the same street compared, newest first.
pub const PER_STREET: u32 = 2000;
/// Newest open tickets of any street compared as well.
pub const RECENT: u32 = 300;
/// Profiles kept in memory.
pub const CACHE_MAX: usize = 20_000;
/// Open tickets the word weights are computed from.
pub const CORPUS_MAX: u32 = 5000;
/// How often the word weights are recomputed.
pub const REBUILD_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// Proposals answered per ticket.
pub const MAX_PROPOSALS: usize = 10;

/// The matcher with the word weights of one moment.
struct Built {
    matcher: Matcher,
    generation: u64,
    at: Instant,
    docs: usize,
}

/// A ticket's profile: (version, matcher generation, profile).
type Cached = (u32, u64, Arc<Profile>);

/// Pause after each background comparison of a new ticket before the next may start.
pub const WARM_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// The merge proposer: the matcher in use and the profiles of the tickets seen.
pub struct Merges {
    /// Taken by the one background comparison of new tickets that may run at a time.
    warming: Arc<tokio::sync::Semaphore>,
    built: tokio::sync::Mutex<Option<Arc<Built>>>,
    profiles: Mutex<HashMap<TicketId, Cached>>,
    rebuilding: AtomicBool,
    generations: AtomicU64,
}

/// A ticket proposed as the same problem, with why.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    /// Its id.
    pub id: TicketId,
    /// Its number.
    pub number: String,
    /// Its title.
    pub title: Option<String>,
    /// Its status.
    pub status: Status,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Its street.
    pub street_code: Option<String>,
    /// Similarity, 0 to 1; proposed from 0.4.
    pub score: f32,
    /// The words both say that weighed most.
    pub shared_terms: Vec<String>,
    /// The most specific place both name, if any.
    pub same_place: Option<String>,
}

/// The ticket to merge into.
#[derive(Debug, Clone, Serialize)]
pub struct Master {
    /// Its id.
    pub id: TicketId,
    /// Its number.
    pub number: String,
    /// Its title.
    pub title: Option<String>,
    /// Its status.
    pub status: Status,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Tickets already merged into it.
    pub merged_count: u32,
    /// `oldest` (the first report of the problem) or `shared` (already the master of
    /// tickets merged before).
    pub reason: &'static str,
}

/// The proposals for one ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// Best first.
    pub proposals: Vec<Duplicate>,
    /// The ticket to merge into; this ticket itself when it is the oldest. `None` without
    /// proposals.
    pub master: Option<Master>,
    /// Open tickets compared.
    pub compared: usize,
}

fn report_of(id: &TicketId, title: Option<&str>, content: &str, at: DateTime<Utc>) -> Report {
    Report {
        id: id.0.clone(),
        title: title.unwrap_or_default().to_string(),
        text: content.to_string(),
        at,
        street_code: None,
        address: None,
        caller: None,
        likes: 0,
        dislikes: 0,
    }
}

fn ticket_report(t: &Ticket) -> Report {
    Report {
        street_code: t.intake.street_code.clone(),
        address: t.intake.address.clone(),
        ..report_of(
            &t.id,
            t.intake.title.as_deref(),
            &t.intake.content,
            t.received_at,
        )
    }
}

fn candidate_report(c: &MergeCandidate) -> Report {
    Report {
        street_code: c.street_code.clone(),
        address: c.address.clone(),
        ..report_of(&c.id, c.title.as_deref(), &c.content, c.received_at)
    }
}

impl Default for Merges {
    fn default() -> Self {
        Merges {
            warming: Arc::new(tokio::sync::Semaphore::new(1)),
            built: tokio::sync::Mutex::default(),
            profiles: Mutex::default(),
            rebuilding: AtomicBool::default(),
            generations: AtomicU64::default(),
        }
    }
}

impl Merges {
    /// Leave to compare a new ticket in the background, unless such a comparison is already
    /// running: under heavy intake the comparisons are skipped (proposals are still made when
    /// someone asks), so that they never hold up intake's connections.
    pub fn try_warm(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.warming.clone().try_acquire_owned().ok()
    }

    /// The matcher in use: built on first use, rebuilt in the background when stale.
    async fn matcher(self: &Arc<Self>, state: &AppState) -> ApiResult<Arc<Built>> {
        let mut built = self.built.lock().await;
        if let Some(b) = built.as_ref() {
            let stale = b.at.elapsed() > REBUILD_EVERY
                || (b.docs < 200 && b.at.elapsed() > std::time::Duration::from_secs(60));
            if stale && !self.rebuilding.swap(true, Ordering::SeqCst) {
                let (me, state) = (self.clone(), state.clone());
                tokio::spawn(async move {
                    match me.build(&state).await {
                        Ok(fresh) => *me.built.lock().await = Some(fresh),
                        Err(e) => tracing::warn!(error = %e, "merge matcher not rebuilt"),
                    }
                    me.rebuilding.store(false, Ordering::SeqCst);
                });
            }
            return Ok(b.clone());
        }
        let fresh = self.build(state).await?;
        *built = Some(fresh.clone());
        Ok(fresh)
    }

    async fn build(&self, state: &AppState) -> ApiResult<Arc<Built>> {
        let since = state.clock.now() - Duration::days(WINDOW_DAYS);
        let corpus: Vec<Report> = state
            .store
            .merge_candidates(since, &[], 0, CORPUS_MAX)
            .await?
            .iter()
            .map(candidate_report)
            .collect();
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let docs = corpus.len();
        let started = Instant::now();
        let matcher = tokio::task::spawn_blocking(move || {
            Matcher::new(
                &corpus,
                Config {
                    window_days: WINDOW_DAYS,
                    ..Config::default()
                },
            )
        })
        .await
        .map_err(|e| AppError::Internal(format!("merge matcher: {e}")))?;
        tracing::info!(docs, took = ?started.elapsed(), "merge matcher built");
        Ok(Arc::new(Built {
            matcher,
            generation,
            at: Instant::now(),
            docs,
        }))
    }

    /// The profile of a report, from the cache when its version was seen with this matcher.
    fn profile(&self, built: &Built, report: &Report, version: u32) -> Arc<Profile> {
        let id = TicketId(report.id.clone());
        if let Ok(cache) = self.profiles.lock()
            && let Some((v, g, p)) = cache.get(&id)
            && *v == version
            && *g == built.generation
        {
            return p.clone();
        }
        let p = Arc::new(built.matcher.profile(report));
        if let Ok(mut cache) = self.profiles.lock() {
            if cache.len() >= CACHE_MAX {
                let keep_after = report.at - Duration::days(2 * WINDOW_DAYS);
                cache.retain(|_, (_, g, p)| *g == built.generation && p.at >= keep_after);
                if cache.len() >= CACHE_MAX {
                    cache.clear();
                }
            }
            cache.insert(id, (version, built.generation, p.clone()));
        }
        p
    }

    /// Profiles kept in memory now.
    pub fn cached(&self) -> usize {
        self.profiles.lock().map_or(0, |c| c.len())
    }

    /// The merge proposals for each of `tickets`, in order.
    pub async fn find(
        self: &Arc<Self>,
        state: &AppState,
        tickets: &[Ticket],
    ) -> ApiResult<Vec<Found>> {
        let Some(earliest) = tickets.iter().map(|t| t.received_at).min() else {
            return Ok(Vec::new());
        };
        let mut streets: Vec<String> = tickets
            .iter()
            .filter_map(|t| t.intake.street_code.clone())
            .collect();
        streets.sort();
        streets.dedup();
        let since = earliest - Duration::days(WINDOW_DAYS);
        let candidates = state
            .store
            .merge_candidates(since, &streets, PER_STREET, RECENT)
            .await?;
        let built = self.matcher(state).await?;
        let me = self.clone();
        let news: Vec<(Report, u32)> = tickets
            .iter()
            .map(|t| (ticket_report(t), t.version))
            .collect();
        let candidates = Arc::new(candidates);
        let pool = candidates.clone();
        let proposals = tokio::task::spawn_blocking(move || {
            let open: Vec<Profile> = pool
                .iter()
                .map(|c| {
                    me.profile(&built, &candidate_report(c), c.version)
                        .as_ref()
                        .clone()
                })
                .collect();
            news.iter()
                .map(|(r, v)| {
                    let new = me.profile(&built, r, *v);
                    built.matcher.propose_profiles(&new, &open)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| AppError::Internal(format!("merge proposals: {e}")))?;
        let by_id: HashMap<&str, &MergeCandidate> =
            candidates.iter().map(|c| (c.id.0.as_str(), c)).collect();
        let mut proposed_ids: Vec<TicketId> = proposals
            .iter()
            .flatten()
            .map(|p| TicketId(p.id.clone()))
            .chain(tickets.iter().map(|t| t.id.clone()))
            .collect();
        proposed_ids.sort();
        proposed_ids.dedup();
        let counts: HashMap<TicketId, u32> = state
            .store
            .merged_counts(&proposed_ids)
            .await?
            .into_iter()
            .collect();
        let mut out = Vec::with_capacity(tickets.len());
        for (t, props) in tickets.iter().zip(proposals) {
            let proposals: Vec<Duplicate> = props
                .into_iter()
                .filter_map(|p| {
                    let c = by_id.get(p.id.as_str())?;
                    Some(Duplicate {
                        id: c.id.clone(),
                        number: c.number.clone(),
                        title: c.title.clone(),
                        status: c.status,
                        received_at: c.received_at,
                        street_code: c.street_code.clone(),
                        score: p.score,
                        shared_terms: p.shared_terms,
                        same_place: p.same_place,
                    })
                })
                .take(MAX_PROPOSALS)
                .collect();
            let master = master_of(t, &proposals, &counts);
            out.push(Found {
                proposals,
                master,
                compared: candidates.iter().filter(|c| c.id != t.id).count(),
            });
        }
        Ok(out)
    }
}

/// The master the proposals already share, or else the oldest of the ticket and its proposals.
fn master_of(
    t: &Ticket,
    proposals: &[Duplicate],
    counts: &HashMap<TicketId, u32>,
) -> Option<Master> {
    let count = |id: &TicketId| counts.get(id).copied().unwrap_or(0);
    let of = |d: &Duplicate, reason| Master {
        id: d.id.clone(),
        number: d.number.clone(),
        title: d.title.clone(),
        status: d.status,
        received_at: d.received_at,
        merged_count: count(&d.id),
        reason,
    };
    let itself = |reason| Master {
        id: t.id.clone(),
        number: t.number.clone(),
        title: t.intake.title.clone(),
        status: t.status,
        received_at: t.received_at,
        merged_count: count(&t.id),
        reason,
    };
    let oldest = proposals
        .iter()
        .min_by(|a, b| (a.received_at, &a.number).cmp(&(b.received_at, &b.number)))?;
    // The first proposal with the most tickets merged into it (proposals run best first).
    let shared = proposals.iter().filter(|d| count(&d.id) > 0).fold(
        None::<&Duplicate>,
        |best, d| match best {
            Some(b) if count(&b.id) >= count(&d.id) => Some(b),
            _ => Some(d),
        },
    );
    Some(match shared {
        Some(d) if count(&d.id) >= count(&t.id) => of(d, "shared"),
        _ if count(&t.id) > 0 => itself("shared"),
        _ if (oldest.received_at, &oldest.number) < (t.received_at, &t.number) => {
            of(oldest, "oldest")
        }
        _ => itself("oldest"),
    })
}

/// The appends that carry `done` (a command just decided on a ticket) to the tickets merged
/// into it: a reply or answer reaches every ticket merged into this one (and into those); a
/// merge into a master that has already replied brings that reply at once.
pub async fn follow(state: &AppState, command: &Command, done: Append) -> ApiResult<Vec<Append>> {
    let now = state.clock.now();
    let dir = state.directory();
    let system = Actor::system();
    let mut appends = vec![done];
    let master = appends[0].state.clone();
    let (unit, outcome, text) = match command {
        Command::Reply { outcome, text } => {
            (master.lead_unit.clone(), Some(*outcome), text.clone())
        }
        Command::Answer { text, .. } => (None, None, text.clone()),
        Command::Merge { master_id, .. } => {
            let m = match state.store.ticket(&master_id.0).await {
                Ok(m) => m,
                Err(e) => return Err(e.into()),
            };
            if !matches!(m.status, Status::Replied | Status::Answered) {
                return Ok(appends);
            }
            let events = state.store.events(&m.id).await?;
            let Some(reply) = events.iter().rev().find_map(|r| match &r.event {
                Event::Replied {
                    unit,
                    outcome,
                    text,
                    ..
                } => Some((Some(unit.clone()), Some(*outcome), text.clone())),
                Event::Answered { text, .. } => Some((None, None, text.clone())),
                _ => None,
            }) else {
                return Ok(appends);
            };
            let follow = Command::FollowMaster {
                master_id: m.id.clone(),
                unit: reply.0,
                outcome: reply.1,
                text: reply.2,
            };
            let (records, next) = execute(Some(&master), &follow, &system, now, dir.as_ref())?;
            appends[0].records.extend(records);
            appends[0].state = next;
            return Ok(appends);
        }
        _ => return Ok(appends),
    };
    // Every ticket merged into this one, or into one merged into it, once.
    let mut seen: HashSet<TicketId> = HashSet::from([master.id.clone()]);
    let mut queue = vec![master.id.clone()];
    while let Some(id) = queue.pop() {
        for t in state.store.merged_into(&id).await? {
            if !seen.insert(t.id.clone()) || seen.len() > 10_000 {
                continue;
            }
            queue.push(t.id.clone());
            let follow = Command::FollowMaster {
                master_id: t.master_id.clone().unwrap_or_else(|| id.clone()),
                unit: unit.clone(),
                outcome,
                text: text.clone(),
            };
            let (records, next) = execute(Some(&t), &follow, &system, now, dir.as_ref())?;
            appends.push(Append {
                expected_version: t.version,
                records,
                state: next,
            });
        }
    }
    Ok(appends)
}
