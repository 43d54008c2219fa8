//! The ledger writer: concurrent requests are gathered into batches of up to 8,190 transfers and
//! applied in one durable transaction ([`commune_store::Store::ledger_batch`]). Each request is
//! answered only after its batch commits. The engine fails a transfer or a linked chain alone,
//! so requests in one batch cannot fail each other; if the database itself refuses a batch, its
//! requests are retried one by one, so a bad request cannot sink its neighbours either.

use crate::error::AppError;
use crate::metrics::LedgerMetrics;
use commune_domain::ledger::{CreateAccountResult, CreateTransferResult, Transfer};
use commune_store::{LedgerBatch, NewAccount, Note, Settle, Store};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// TigerBeetle's batch size: at most this many transfers per transaction.
pub const MAX_BATCH: usize = 8_190;
/// Requests waiting for the writer; senders wait when it is full.
const QUEUE: usize = 16_384;

/// One client request: accounts to ensure, then transfers (a linked chain must end inside it).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub accounts: Vec<NewAccount>,
    pub transfers: Vec<Transfer>,
    pub notes: HashMap<u128, Note>,
    /// The payment request these transfers pay, if any.
    pub settles: Option<Settle>,
}

/// The engine's answer to one request, in the order of its accounts and transfers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub accounts: Vec<CreateAccountResult>,
    pub transfers: Vec<CreateTransferResult>,
    pub at_ms: i64,
}

struct Job {
    request: Request,
    done: oneshot::Sender<Result<Answer, AppError>>,
}

#[derive(Clone)]
pub struct LedgerWriter {
    jobs: mpsc::Sender<Job>,
}

impl LedgerWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Store, metrics: LedgerMetrics) -> LedgerWriter {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, metrics, queue));
        LedgerWriter { jobs }
    }

    /// Submits a request; returns once its batch has committed (or failed).
    pub async fn submit(&self, request: Request) -> Result<Answer, AppError> {
        if request.transfers.len() > MAX_BATCH {
            return Err(AppError::bad_request("batch_too_large", format!("at most {MAX_BATCH} transfers per request")));
        }
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { request, done })
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("the ledger writer stopped")))?;
        answer.await.map_err(|_| AppError::internal(anyhow::anyhow!("the ledger writer dropped a request")))?
    }
}

async fn run(store: Store, metrics: LedgerMetrics, mut queue: mpsc::Receiver<Job>) {
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let mut size = first.request.transfers.len();
        let mut batch = vec![first];
        // A request whose chain is left open must not link into its neighbour: it goes alone.
        let alone = |job: &Job| job.request.transfers.last().is_some_and(|t| t.flags.linked);
        if !alone(&batch[0]) {
            while let Ok(job) = queue.try_recv() {
                if alone(&job) || size + job.request.transfers.len() > MAX_BATCH {
                    carried = Some(job);
                    break;
                }
                size += job.request.transfers.len();
                batch.push(job);
            }
        }
        write(&store, &metrics, batch).await;
    }
}

async fn write(store: &Store, metrics: &LedgerMetrics, jobs: Vec<Job>) {
    let mut combined = LedgerBatch::default();
    for job in &jobs {
        combined.accounts.extend(job.request.accounts.iter().cloned());
        combined.transfers.extend(job.request.transfers.iter().copied());
        combined.notes.extend(job.request.notes.iter().map(|(k, v)| (*k, v.clone())));
        combined.settles.extend(job.request.settles.iter().cloned());
    }
    // A batch cut off by a failover is applied again once the new primary answers: transfers
    // carry their ids and accounts derived ones, so a batch that did commit is answered as a
    // replay the second time and moves nothing twice.
    let since = std::time::Instant::now();
    let applied = loop {
        match store.ledger_batch("ledger", &combined).await {
            Err(e) if e.is_unavailable() && store.wait_for_primary(since).await => {
                tracing::warn!(
                    transfers = combined.transfers.len(),
                    "a ledger batch met an unavailable database; applying it again"
                );
                continue;
            }
            applied => break applied,
        }
    };
    match applied {
        Ok(outcome) => {
            metrics.record(&outcome.transfers);
            let (mut a, mut t) = (outcome.accounts.into_iter(), outcome.transfers.into_iter());
            for job in jobs {
                let answer = Answer {
                    accounts: a.by_ref().take(job.request.accounts.len()).collect(),
                    transfers: t.by_ref().take(job.request.transfers.len()).collect(),
                    at_ms: outcome.at_ms,
                };
                let closed =
                    job.request.settles.as_ref().is_some_and(|s| outcome.closed_requests.contains(&s.request_id));
                let reply = if closed {
                    Err(AppError::Rule(
                        "this request was cancelled or declined before it could be paid; nothing moved".into(),
                    ))
                } else {
                    Ok(answer)
                };
                let _ = job.done.send(reply);
            }
        }
        Err(e) if jobs.len() > 1 && !e.is_unavailable() => {
            tracing::warn!(error = %e, requests = jobs.len(), "a ledger batch failed; retrying its requests one by one");
            for job in jobs {
                Box::pin(write(store, metrics, vec![job])).await;
            }
        }
        Err(e) => {
            // One request, or several when the database stayed away: each gets the error.
            let mut jobs = jobs.into_iter();
            if let Some(job) = jobs.next() {
                let _ = job.done.send(Err(AppError::from(e)));
            }
            for job in jobs {
                let _ = job.done.send(Err(AppError::Unavailable));
            }
        }
    }
}
