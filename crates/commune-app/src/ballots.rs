//! Group commit for ballots: concurrent casts are gathered into one audited transaction, so a
//! busy vote pays for one durable commit per batch instead of one per ballot. A cast is
//! acknowledged only after its batch commits; a ballot refused inside a batch (voting closed in
//! the meantime) fails alone, before anything of it is written.

use crate::error::AppError;
use commune_domain::governance::proposal::Phase;
use commune_store::Store;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

use commune_domain::authz::VoteRight;
use commune_store::BallotCast;

/// One ballot to record, with the right to cast it (only the domain's `may_vote` grants one, so
/// the writers cannot be handed a ballot nobody authorized).
#[derive(Debug, Clone)]
pub struct Cast {
    ballot: BallotCast,
    _right: VoteRight,
}

impl Cast {
    pub fn new(ballot: BallotCast, right: VoteRight) -> Cast {
        Cast { ballot, _right: right }
    }

    pub fn proposal_id(&self) -> &str {
        &self.ballot.proposal_id
    }
}

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
    let (casts, dones): (Vec<Cast>, Vec<Answer>) = batch.into_iter().map(|j| (j.cast, j.done)).unzip();
    // A batch cut off by a failover is written again once the new primary answers: casting a
    // ballot replaces the voter's ballot, so a batch that did commit changes nothing the second
    // time.
    let since = std::time::Instant::now();
    let recorded = loop {
        match record(store, commune_store::now_ms(), casts.clone()).await {
            Err(AppError::Unavailable) if store.wait_for_primary(since).await => {
                tracing::warn!(ballots = casts.len(), "a ballot batch met an unavailable database; writing it again");
                continue;
            }
            recorded => break recorded,
        }
    };
    match recorded {
        Ok((at, results)) => {
            for (done, result) in dones.into_iter().zip(results) {
                let _ = done.send(result.map(|()| at));
            }
        }
        Err(e) => {
            e.log();
            // Nothing of the batch was committed: every ballot in it fails with the error.
            let message = e.to_string();
            let unavailable = matches!(e, AppError::Unavailable);
            for done in dones {
                let error =
                    if unavailable { AppError::Unavailable } else { AppError::internal(anyhow::anyhow!("{message}")) };
                let _ = done.send(Err(error));
            }
        }
    }
}

/// Records ballots at `at_ms` in one audited transaction: each one only while its proposal is
/// still voting (the close serialises against this transaction), so a ballot never lands after
/// the count. Returns the commit time and one result per ballot, in order.
pub async fn record(store: &Store, at_ms: i64, casts: Vec<Cast>) -> Result<(i64, Vec<Result<(), AppError>>), AppError> {
    let mut tx = store.write_at("ballots", at_ms).await?;
    let mut phases: HashMap<String, Option<Phase>> = HashMap::new();
    let mut results = Vec::with_capacity(casts.len());
    let mut open = Vec::with_capacity(casts.len());
    for cast in casts {
        let phase = match phases.get(cast.proposal_id()) {
            Some(phase) => *phase,
            None => {
                let phase = tx.phase_of(cast.proposal_id()).await?;
                phases.insert(cast.proposal_id().to_owned(), phase);
                phase
            }
        };
        if phase == Some(Phase::Voting) {
            open.push(cast.ballot);
            results.push(Ok(()));
        } else {
            results.push(Err(AppError::Rule("voting has closed".into())));
        }
    }
    if !open.is_empty() {
        tx.cast_ballots(&open).await?;
        tx.commit().await?;
    }
    Ok((at_ms, results))
}

/// Records one ballot from another instance with its home instance's signature, in one audited
/// write (as the signing chapter), only while its proposal is still voting.
pub async fn record_remote(store: &Store, chapter: &str, cast: Cast, signed: &str) -> Result<i64, AppError> {
    let mut tx = store.write(&format!("ap:{chapter}")).await?;
    let at = tx.at_ms();
    if tx.phase_of(cast.proposal_id()).await? != Some(Phase::Voting) {
        return Err(AppError::Rule("voting has closed".into()));
    }
    let ballot = cast.ballot;
    tx.cast_ballots(std::slice::from_ref(&ballot)).await?;
    tx.put_remote_ballot(&ballot.proposal_id, &ballot.voter_id, chapter, signed, ballot.secret).await?;
    tx.commit().await?;
    Ok(at)
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
