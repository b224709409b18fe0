//! Group commit for new tickets.
//!
//! Every request hands its ticket to one writer task and waits. The writer takes everything
//! that has queued up while the previous transaction was committing (up to [`MAX_BATCH`]) and
//! writes it in one transaction: one fsync for the whole batch. A caller is answered only after
//! the commit, so an acknowledged ticket is on disk.

use crate::{Created, DynStore, NewTicket, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

/// Largest number of tickets written in one transaction.
pub const MAX_BATCH: usize = 2048;

type Job = (NewTicket, oneshot::Sender<StoreResult<Created>>);

/// The intake queue: cheap to clone, shared by all request handlers.
#[derive(Clone)]
pub struct IntakeQueue {
    tx: mpsc::Sender<Job>,
}

impl IntakeQueue {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(store: DynStore) -> IntakeQueue {
        let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 4);
        tokio::spawn(writer(store, rx));
        IntakeQueue { tx }
    }

    /// Creates one ticket; returns once it is committed.
    pub async fn create(&self, ticket: NewTicket) -> StoreResult<Created> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((ticket, done))
            .await
            .map_err(|_| StoreError::Other("the intake writer has stopped".into()))?;
        wait.await
            .map_err(|_| StoreError::Other("the intake writer dropped the request".into()))?
    }
}

async fn writer(store: DynStore, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (batch, waiters): (Vec<_>, Vec<_>) = jobs.drain(..).unzip();
        let size = batch.len();
        let started = std::time::Instant::now();
        let result = store.create_tickets(batch).await;
        tracing::debug!(
            size,
            micros = started.elapsed().as_micros() as u64,
            "intake batch"
        );
        match result {
            Ok(created) => {
                for (waiter, c) in waiters.into_iter().zip(created) {
                    let _ = waiter.send(Ok(c));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size, "intake batch failed");
                let msg = e.to_string();
                for waiter in waiters {
                    let _ = waiter.send(Err(StoreError::Other(msg.clone())));
                }
            }
        }
    }
}
