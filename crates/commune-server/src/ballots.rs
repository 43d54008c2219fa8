//! Group commit for ballots: concurrent casts are gathered into one audited transaction, so a
//! busy vote pays for one durable commit per batch instead of one per ballot. A cast is
//! acknowledged only after its batch commits; a ballot refused inside a batch (voting closed in
//! the meantime) fails alone, before anything of it is written.

use crate::error::AppError;
use commune_domain::governance::proposal::Phase;
use commune_store::Store;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// One ballot to record.
pub use commune_store::BallotCast as Cast;

/// Where a cast's answer goes: the commit time, or why it failed.
type Answer = oneshot::Sender<Result<i64, AppError>>;

struct Job {
    cast: Cast,
    done: Answer,
}

/// At most this many ballots per transaction, and this many waiting.
const MAX_BATCH: usize = 1_024;
const QUEUE: usize = 8_192;

#[derive(Clone)]
pub struct Batcher {
    jobs: mpsc::Sender<Job>,
}

impl Batcher {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Store) -> Batcher {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, queue));
        Batcher { jobs }
    }

    /// Records a ballot; returns when its batch has committed, with the commit time.
    pub async fn cast(&self, cast: Cast) -> Result<i64, AppError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Job { cast, done })
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("the ballot writer stopped")))?;
        result.await.map_err(|_| AppError::internal(anyhow::anyhow!("the ballot writer dropped a ballot")))?
    }
}

async fn run(store: Store, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write(&store, batch).await;
    }
}

/// Writes one batch; every job gets its own answer.
async fn write(store: &Store, batch: Vec<Job>) {
    let mut answers: Vec<(Answer, Result<(), AppError>)> = Vec::with_capacity(batch.len());
    let outcome: Result<i64, AppError> = async {
        let mut tx = store.write("ballots").await?;
        let mut phases: HashMap<String, Option<Phase>> = HashMap::new();
        let mut pending = Vec::with_capacity(batch.len());
        let mut casts = Vec::with_capacity(batch.len());
        for job in batch {
            let phase = match phases.get(&job.cast.proposal_id) {
                Some(phase) => *phase,
                None => {
                    let phase = tx.phase_of(&job.cast.proposal_id).await?;
                    phases.insert(job.cast.proposal_id.clone(), phase);
                    phase
                }
            };
            if phase != Some(Phase::Voting) {
                answers.push((job.done, Err(AppError::Rule("voting has closed".into()))));
                continue;
            }
            casts.push(job.cast);
            pending.push(job.done);
        }
        if !casts.is_empty() {
            tx.cast_ballots(&casts).await?;
        }
        let at = tx.at_ms();
        if pending.is_empty() {
            return Ok(at);
        }
        tx.commit().await?;
        answers.extend(pending.into_iter().map(|done| (done, Ok(()))));
        Ok(at)
    }
    .await;
    match outcome {
        Ok(at) => {
            for (done, result) in answers {
                let _ = done.send(result.map(|()| at));
            }
        }
        Err(e) => {
            e.log();
            // Nothing of the batch was committed: every ballot in it fails with the error.
            let message = e.to_string();
            for (done, _) in answers {
                let _ = done.send(Err(AppError::internal(anyhow::anyhow!("{message}"))));
            }
        }
    }
}

/// A small, short-lived cache of proposals for the voting path.
#[derive(Default)]
pub struct ProposalCache {
    entries: std::sync::Mutex<HashMap<String, (std::time::Instant, commune_store::Proposal)>>,
}

/// How long a cached proposal is used, and how many are kept.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
const CACHE_MAX: usize = 1_024;

impl ProposalCache {
    pub async fn get(&self, store: &Store, id: &str) -> Result<Option<commune_store::Proposal>, AppError> {
        if let Ok(entries) = self.entries.lock()
            && let Some((at, proposal)) = entries.get(id)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(Some(proposal.clone()));
        }
        let fresh = store.proposal(id).await?;
        if let (Some(proposal), Ok(mut entries)) = (&fresh, self.entries.lock()) {
            if entries.len() >= CACHE_MAX {
                entries.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
                if entries.len() >= CACHE_MAX {
                    entries.clear();
                }
            }
            entries.insert(id.to_owned(), (std::time::Instant::now(), proposal.clone()));
        }
        Ok(fresh)
    }
}
