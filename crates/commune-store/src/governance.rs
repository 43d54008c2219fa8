//! Proposals, weight snapshots, ballots, delegations, tallies, discussion, policies and
//! execution requests.

use crate::{Result, Store, StoreError, WriteTx, conflict_as, one_row};
use commune_domain::governance::floors::Floors;
use commune_domain::governance::methods::VotingMethod;
use commune_domain::governance::proposal::{Effect, Kind, Phase, Weighting};
use commune_domain::org::Role;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A proposal as stored, with its organisation and author for display.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Proposal {
    pub id: String,
    pub org_id: String,
    pub org_slug: String,
    pub org_name: String,
    pub author_id: String,
    pub author_handle: String,
    pub title: String,
    pub body: String,
    pub domain: String,
    pub kind: Kind,
    pub method: VotingMethod,
    pub weighting: Weighting,
    pub quorum: f64,
    pub effect: Effect,
    pub options: Vec<String>,
    pub secret: bool,
    pub phase: Phase,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub voting_opens_at: i64,
    pub voting_closes_at: i64,
    pub closed_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub outcome: String,
    /// The constitutional floors in force when it was published (none for a draft).
    pub floors: Option<Floors>,
    /// Why it benefits its author, when it does (empty otherwise).
    pub self_interest: String,
}

impl Proposal {
    /// The mode whose tally decides it (see [`commune_domain::governance::proposal::deciding_mode`]).
    pub fn deciding_mode(&self) -> Weighting {
        commune_domain::governance::proposal::deciding_mode(self.weighting, self.kind, &self.effect)
    }
}

/// The editable part of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalDraft {
    pub org_id: String,
    pub title: String,
    pub body: String,
    pub domain: String,
    pub kind: Kind,
    pub method: VotingMethod,
    pub weighting: Weighting,
    pub quorum: f64,
    pub effect: Effect,
    pub options: Vec<String>,
    pub secret: bool,
    pub voting_opens_at: i64,
    pub voting_closes_at: i64,
    /// Why it benefits its author, when it does (empty otherwise).
    pub self_interest: String,
}

/// The audit actor of every secret ballot: who cast it is not recorded in the log.
pub const SECRET_BALLOT_ACTOR: &str = "secret-ballot";

/// One ballot of a group commit.
#[derive(Debug, Clone, PartialEq)]
pub struct BallotCast {
    pub proposal_id: String,
    pub voter_id: String,
    pub ballot: String,
    pub nonce: String,
    pub receipt: String,
    pub secret: bool,
}

/// A voter's standing on one proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct VoterContext {
    /// The voter's role in the proposal's organisation, if they belong to it.
    pub role: Option<Role>,
    pub eligible: bool,
    pub delegate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BallotRow {
    pub voter_id: String,
    pub voter_handle: String,
    pub ballot: String,
    pub nonce: String,
    pub receipt: String,
    pub cast_at: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Delegation {
    pub id: String,
    pub org_id: String,
    pub delegator_id: String,
    pub delegator_handle: String,
    pub delegate_id: String,
    pub delegate_handle: String,
    /// Empty for a global delegation.
    pub domain: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TallyRow {
    pub proposal_id: String,
    pub primary_mode: String,
    pub equal_result: String,
    pub merit_result: String,
    pub modes_differ: bool,
    /// The delegations in force at close, as JSON `[[delegator, domain, delegate], ...]`.
    pub delegations: String,
    pub computed_at: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comment {
    pub id: String,
    pub author_handle: String,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

/// f64 ↔ TEXT with exact round trips (quorum and policy values).
pub fn weight_text(w: f64) -> String {
    format!("{w:?}")
}

fn parse_weight(raw: &str) -> Result<f64> {
    raw.parse().map_err(|_| StoreError::Corrupt(format!("weight '{raw}'")))
}

/// A snapshotted weight: whole micro-votes as decimal TEXT (every value of a u64, on both
/// backends).
fn parse_units(raw: &str) -> Result<u64> {
    raw.parse().map_err(|_| StoreError::Corrupt(format!("weight '{raw}' is not a whole number of micro-votes")))
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

const PROPOSAL_SELECT: &str =
    "SELECT p.id, p.org_id, o.slug AS org_slug, o.name AS org_name, p.author_id, m.handle AS author_handle,
        p.title, p.body, p.domain, p.kind, p.method, p.weighting, p.quorum, p.effect, p.options, p.secret, p.phase,
        p.created_at, p.published_at, p.voting_opens_at, p.voting_closes_at, p.closed_at, p.finished_at, p.outcome,
        p.floors, p.self_interest
    FROM proposals p JOIN orgs o ON o.id = p.org_id JOIN members m ON m.id = p.author_id";

fn proposal_from(row: &AnyRow) -> Result<Proposal> {
    let text = |c: &str| -> Result<String> { Ok(row.try_get::<String, _>(c)?) };
    Ok(Proposal {
        id: text("id")?,
        org_id: text("org_id")?,
        org_slug: text("org_slug")?,
        org_name: text("org_name")?,
        author_id: text("author_id")?,
        author_handle: text("author_handle")?,
        title: text("title")?,
        body: text("body")?,
        domain: text("domain")?,
        kind: Kind::parse(&text("kind")?).map_err(corrupt)?,
        method: serde_json::from_str(&text("method")?).map_err(corrupt)?,
        weighting: Weighting::parse(&text("weighting")?).map_err(corrupt)?,
        quorum: parse_weight(&text("quorum")?)?,
        effect: serde_json::from_str(&text("effect")?).map_err(corrupt)?,
        options: serde_json::from_str(&text("options")?).map_err(corrupt)?,
        secret: row.try_get::<i64, _>("secret")? == 1,
        phase: Phase::parse(&text("phase")?).ok_or_else(|| corrupt("phase"))?,
        created_at: row.try_get("created_at")?,
        published_at: row.try_get("published_at")?,
        voting_opens_at: row.try_get("voting_opens_at")?,
        voting_closes_at: row.try_get("voting_closes_at")?,
        closed_at: row.try_get("closed_at")?,
        finished_at: row.try_get("finished_at")?,
        outcome: text("outcome")?,
        floors: match text("floors")?.as_str() {
            "" => None,
            json => Some(serde_json::from_str(json).map_err(corrupt)?),
        },
        self_interest: text("self_interest")?,
    })
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(corrupt)
}

impl Store {
    pub async fn proposal(&self, id: &str) -> Result<Option<Proposal>> {
        let sql = format!("{PROPOSAL_SELECT} WHERE p.id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(proposal_from).transpose()
    }

    /// An organisation's proposals, newest first; drafts only for their author.
    pub async fn org_proposals(&self, org_id: &str, viewer_id: &str) -> Result<Vec<Proposal>> {
        let sql = format!(
            "{PROPOSAL_SELECT} WHERE p.org_id = $1 AND (p.phase <> 'draft' OR p.author_id = $2)
             ORDER BY p.voting_closes_at DESC, p.id DESC LIMIT 500"
        );
        sqlx::query(&sql)
            .bind(org_id)
            .bind(viewer_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(proposal_from)
            .collect()
    }

    /// Published proposals in `member_id`'s organisations that are voting now, or open or close
    /// within `[from_ms, to_ms)`: the daily docket.
    pub async fn docket(&self, member_id: &str, from_ms: i64, to_ms: i64) -> Result<Vec<Proposal>> {
        let sql = format!(
            "{PROPOSAL_SELECT} JOIN memberships ms ON ms.org_id = p.org_id AND ms.member_id = $1
             WHERE p.phase IN ('discussion', 'voting', 'closed', 'executed', 'failed')
               AND (p.phase = 'voting'
                    OR (p.voting_opens_at >= $2 AND p.voting_opens_at < $3)
                    OR (p.voting_closes_at >= $2 AND p.voting_closes_at < $3))
             ORDER BY p.voting_closes_at, p.id LIMIT 200"
        );
        sqlx::query(&sql)
            .bind(member_id)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(proposal_from)
            .collect()
    }

    /// Proposals of the member's organisations in discussion (opening soonest first), and those
    /// whose voting closed since `since_ms` (newest first): at most 50 of each.
    pub async fn proposals_around(&self, member_id: &str, since_ms: i64) -> Result<(Vec<Proposal>, Vec<Proposal>)> {
        let discussing = format!(
            "{PROPOSAL_SELECT} JOIN memberships ms ON ms.org_id = p.org_id AND ms.member_id = $1
             WHERE p.phase = 'discussion' ORDER BY p.voting_opens_at, p.id LIMIT 50"
        );
        let fresh = format!(
            "{PROPOSAL_SELECT} JOIN memberships ms ON ms.org_id = p.org_id AND ms.member_id = $1
             WHERE p.phase IN ('closed', 'executed', 'failed') AND p.voting_closes_at >= $2
             ORDER BY p.voting_closes_at DESC, p.id LIMIT 50"
        );
        let discussing = sqlx::query(&discussing).bind(member_id).fetch_all(self.reader()).await?;
        let fresh = sqlx::query(&fresh).bind(member_id).bind(since_ms).fetch_all(self.reader()).await?;
        Ok((
            discussing.iter().map(proposal_from).collect::<Result<_>>()?,
            fresh.iter().map(proposal_from).collect::<Result<_>>()?,
        ))
    }

    /// Proposals in voting that `member_id` may vote on and has not: closing soonest first.
    pub async fn votes_awaiting(&self, member_id: &str) -> Result<Vec<Proposal>> {
        let sql = format!(
            "{PROPOSAL_SELECT} JOIN weight_snapshots w ON w.proposal_id = p.id AND w.member_id = $1
             WHERE p.phase = 'voting'
               AND NOT EXISTS (SELECT 1 FROM ballots b WHERE b.proposal_id = p.id AND b.voter_id = $1)
             ORDER BY p.voting_closes_at, p.id LIMIT 200"
        );
        sqlx::query(&sql).bind(member_id).fetch_all(self.reader()).await?.iter().map(proposal_from).collect()
    }

    /// Proposals with a step due at `now_ms` (bounded per call), oldest first.
    pub async fn due_proposals(&self, now_ms: i64, limit: i64) -> Result<Vec<(String, Phase)>> {
        let rows = sqlx::query(
            "SELECT id, phase FROM proposals
             WHERE (phase = 'discussion' AND voting_opens_at <= $1)
                OR (phase = 'voting' AND voting_closes_at <= $1)
                OR phase = 'closed'
             ORDER BY voting_closes_at, id LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let phase: String = r.try_get(1)?;
                Ok((r.try_get(0)?, Phase::parse(&phase).ok_or_else(|| corrupt("phase"))?))
            })
            .collect()
    }

    /// Every tallied proposal's id, for verification.
    pub async fn tallied_proposals(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT proposal_id FROM tallies ORDER BY proposal_id").fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// The weight snapshot in micro-votes: `(member_id, equal, merit)`, by member id.
    pub async fn weights(&self, proposal_id: &str) -> Result<Vec<(String, u64, u64)>> {
        fetch_weights(self.reader(), proposal_id).await
    }

    pub async fn ballots(&self, proposal_id: &str) -> Result<Vec<BallotRow>> {
        fetch_ballots(self.reader(), proposal_id).await
    }

    pub async fn ballot_of(&self, proposal_id: &str, voter_id: &str) -> Result<Option<BallotRow>> {
        let sql = format!("{BALLOT_SELECT} WHERE b.proposal_id = $1 AND b.voter_id = $2");
        let row = sqlx::query(&sql).bind(proposal_id).bind(voter_id).fetch_optional(self.reader()).await?;
        row.as_ref().map(ballot_from).transpose()
    }

    pub async fn live_delegations(&self, org_id: &str) -> Result<Vec<Delegation>> {
        fetch_delegations(self.reader(), org_id).await
    }

    pub async fn tally(&self, proposal_id: &str) -> Result<Option<TallyRow>> {
        let row = sqlx::query(
            "SELECT proposal_id, primary_mode, equal_result, merit_result, modes_differ, delegations, computed_at
             FROM tallies WHERE proposal_id = $1",
        )
        .bind(proposal_id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok(TallyRow {
                proposal_id: r.try_get(0)?,
                primary_mode: r.try_get(1)?,
                equal_result: r.try_get(2)?,
                merit_result: r.try_get(3)?,
                modes_differ: r.try_get::<i64, _>(4)? == 1,
                delegations: r.try_get(5)?,
                computed_at: r.try_get(6)?,
            })
        })
        .transpose()
    }

    pub async fn comments(&self, proposal_id: &str) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT c.id, m.handle, m.display_name, c.body, c.created_at FROM comments c JOIN members m ON m.id = c.author_id
             WHERE c.proposal_id = $1 ORDER BY c.created_at, c.id LIMIT 1000",
        )
        .bind(proposal_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Comment {
                    id: r.try_get(0)?,
                    author_handle: r.try_get(1)?,
                    author_name: r.try_get(2)?,
                    body: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Everything a ballot needs to know about its voter, in one query: their role in the
    /// organisation now, whether they were eligible when voting opened, and their delegate for the
    /// proposal's domain (whose vote their own overrides).
    pub async fn voter_context(&self, proposal: &Proposal, member_id: &str) -> Result<VoterContext> {
        let row = sqlx::query(
            "SELECT (SELECT role FROM memberships WHERE org_id = $1 AND member_id = $2) AS role,
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM weight_snapshots WHERE proposal_id = $3 AND member_id = $2) AS eligible,
                    (SELECT m.handle FROM delegations d JOIN members m ON m.id = d.delegate_id
                      WHERE d.org_id = $1 AND d.delegator_id = $2 AND d.revoked_at IS NULL AND (d.domain = $4 OR d.domain = '')
                      ORDER BY d.domain DESC LIMIT 1) AS delegate",
        )
        .bind(&proposal.org_id)
        .bind(member_id)
        .bind(&proposal.id)
        .bind(&proposal.domain)
        .fetch_one(self.reader())
        .await?;
        let role: Option<String> = row.try_get("role")?;
        Ok(VoterContext {
            role: role.map(|r| Role::parse(&r).map_err(|_| StoreError::Corrupt(format!("role '{r}'")))).transpose()?,
            eligible: row.try_get::<i64, _>("eligible")? > 0,
            delegate: row.try_get("delegate")?,
        })
    }

    /// Whom `member_id` delegates to in `org_id` for `domain` (a domain delegation wins over a
    /// global one): the delegate's handle.
    pub async fn delegate_of(&self, org_id: &str, member_id: &str, domain: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT m.handle FROM delegations d JOIN members m ON m.id = d.delegate_id
             WHERE d.org_id = $1 AND d.delegator_id = $2 AND d.revoked_at IS NULL AND (d.domain = $3 OR d.domain = '')
             ORDER BY d.domain DESC LIMIT 1",
        )
        .bind(org_id)
        .bind(member_id)
        .bind(domain)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    /// Every policy an organisation has set, in one read: `(key, value)`.
    pub async fn policies(&self, org_id: &str) -> Result<Vec<(String, f64)>> {
        let rows = sqlx::query("SELECT key, value FROM policies WHERE org_id = $1 ORDER BY key LIMIT 1000")
            .bind(org_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, parse_weight(&r.try_get::<String, _>(1)?)?))).collect()
    }

    /// A policy parameter of an organisation, if set.
    pub async fn policy(&self, org_id: &str, key: &str) -> Result<Option<f64>> {
        let row = sqlx::query("SELECT value FROM policies WHERE org_id = $1 AND key = $2")
            .bind(org_id)
            .bind(key)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| parse_weight(&r.try_get::<String, _>(0)?)).transpose()
    }
}

async fn fetch_weights<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Any>,
    proposal_id: &str,
) -> Result<Vec<(String, u64, u64)>> {
    let rows = sqlx::query(
        "SELECT member_id, equal_weight, merit_weight FROM weight_snapshots WHERE proposal_id = $1 ORDER BY member_id",
    )
    .bind(proposal_id)
    .fetch_all(e)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((r.try_get(0)?, parse_units(&r.try_get::<String, _>(1)?)?, parse_units(&r.try_get::<String, _>(2)?)?))
        })
        .collect()
}

async fn fetch_ballots<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Any>,
    proposal_id: &str,
) -> Result<Vec<BallotRow>> {
    let sql = format!("{BALLOT_SELECT} WHERE b.proposal_id = $1 ORDER BY b.receipt");
    let rows = sqlx::query(&sql).bind(proposal_id).fetch_all(e).await?;
    rows.iter().map(ballot_from).collect()
}

async fn fetch_delegations<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Any>,
    org_id: &str,
) -> Result<Vec<Delegation>> {
    let rows = sqlx::query(
        "SELECT d.id, d.org_id, d.delegator_id, a.handle, d.delegate_id, b.handle, d.domain, d.created_at
         FROM delegations d JOIN members a ON a.id = d.delegator_id JOIN members b ON b.id = d.delegate_id
         WHERE d.org_id = $1 AND d.revoked_at IS NULL ORDER BY a.handle, d.domain",
    )
    .bind(org_id)
    .fetch_all(e)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Delegation {
                id: r.try_get(0)?,
                org_id: r.try_get(1)?,
                delegator_id: r.try_get(2)?,
                delegator_handle: r.try_get(3)?,
                delegate_id: r.try_get(4)?,
                delegate_handle: r.try_get(5)?,
                domain: r.try_get(6)?,
                created_at: r.try_get(7)?,
            })
        })
        .collect()
}

impl WriteTx {
    /// Reads inside the transaction (writers are serialised, so these see a frozen state).
    pub async fn ballots(&mut self, proposal_id: &str) -> Result<Vec<BallotRow>> {
        fetch_ballots(&mut *self.tx, proposal_id).await
    }

    pub async fn weights(&mut self, proposal_id: &str) -> Result<Vec<(String, u64, u64)>> {
        fetch_weights(&mut *self.tx, proposal_id).await
    }

    pub async fn live_delegations(&mut self, org_id: &str) -> Result<Vec<Delegation>> {
        fetch_delegations(&mut *self.tx, org_id).await
    }

    /// The proposal's phase as of this transaction.
    pub async fn phase_of(&mut self, proposal_id: &str) -> Result<Option<Phase>> {
        let row = sqlx::query("SELECT phase FROM proposals WHERE id = $1")
            .bind(proposal_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| Phase::parse(&r.try_get::<String, _>(0)?).ok_or_else(|| corrupt("phase"))).transpose()
    }

    /// Members of an organisation, for the weight snapshot.
    pub async fn member_ids(&mut self, org_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT member_id FROM memberships WHERE org_id = $1 ORDER BY member_id")
            .bind(org_id)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
}

const BALLOT_SELECT: &str = "SELECT b.voter_id, m.handle, b.ballot, b.nonce, b.receipt, b.cast_at FROM ballots b JOIN members m ON m.id = b.voter_id";

fn ballot_from(r: &AnyRow) -> Result<BallotRow> {
    Ok(BallotRow {
        voter_id: r.try_get(0)?,
        voter_handle: r.try_get(1)?,
        ballot: r.try_get(2)?,
        nonce: r.try_get(3)?,
        receipt: r.try_get(4)?,
        cast_at: r.try_get(5)?,
    })
}

impl WriteTx {
    pub async fn create_proposal(&mut self, author_id: &str, draft: &ProposalDraft) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO proposals (id, org_id, author_id, title, body, domain, kind, method, weighting, quorum, effect, options,
                secret, phase, created_at, voting_opens_at, voting_closes_at, self_interest)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'draft', $14, $15, $16, $17)",
        )
        .bind(&id)
        .bind(&draft.org_id)
        .bind(author_id)
        .bind(&draft.title)
        .bind(&draft.body)
        .bind(&draft.domain)
        .bind(draft.kind.as_str())
        .bind(json_text(&draft.method)?)
        .bind(draft.weighting.as_str())
        .bind(weight_text(draft.quorum))
        .bind(json_text(&draft.effect)?)
        .bind(json_text(&draft.options)?)
        .bind(i64::from(draft.secret))
        .bind(self.at_ms())
        .bind(draft.voting_opens_at)
        .bind(draft.voting_closes_at)
        .bind(&draft.self_interest)
        .execute(&mut *self.tx)
        .await?;
        self.audit("proposal.create", &id, draft_json(draft)?).await?;
        Ok(id)
    }

    /// Replaces a draft's text and rules; `NotFound` unless it is still a draft.
    pub async fn update_draft(&mut self, id: &str, draft: &ProposalDraft) -> Result<()> {
        let result = sqlx::query(
            "UPDATE proposals SET title = $1, body = $2, domain = $3, kind = $4, method = $5, weighting = $6, quorum = $7,
                effect = $8, options = $9, secret = $10, voting_opens_at = $11, voting_closes_at = $12, self_interest = $13
             WHERE id = $14 AND phase = 'draft'",
        )
        .bind(&draft.title)
        .bind(&draft.body)
        .bind(&draft.domain)
        .bind(draft.kind.as_str())
        .bind(json_text(&draft.method)?)
        .bind(draft.weighting.as_str())
        .bind(weight_text(draft.quorum))
        .bind(json_text(&draft.effect)?)
        .bind(json_text(&draft.options)?)
        .bind(i64::from(draft.secret))
        .bind(draft.voting_opens_at)
        .bind(draft.voting_closes_at)
        .bind(&draft.self_interest)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        one_row(result, "draft proposal")?;
        self.audit("proposal.update_draft", id, draft_json(draft)?).await
    }

    /// Moves a proposal from `from` to `to` if it is still in `from`: the compare-and-set that
    /// makes every step happen exactly once. Returns whether this call made the move.
    pub async fn advance(&mut self, id: &str, from: Phase, to: Phase, outcome: &str) -> Result<bool> {
        let at = self.at_ms();
        let column = match to {
            Phase::Discussion => "published_at",
            Phase::Closed => "closed_at",
            Phase::Executed | Phase::Failed | Phase::Cancelled => "finished_at",
            // Opening the vote keeps its scheduled time; the stamp leaves published_at as it was.
            _ => "published_at",
        };
        let sql = format!(
            "UPDATE proposals SET phase = $2, {column} = COALESCE({column}, $1), outcome = CASE WHEN $3 = '' THEN outcome ELSE $3 END
             WHERE id = $4 AND phase = $5"
        );
        let result = sqlx::query(&sql)
            .bind(at)
            .bind(to.as_str())
            .bind(outcome)
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *self.tx)
            .await?;
        if result.rows_affected() == 0 {
            return Ok(false);
        }
        self.audit("proposal.advance", id, json!({ "from": from, "to": to, "outcome": outcome })).await?;
        Ok(true)
    }

    /// Records the eligible members and their weights (micro-votes) when voting opens.
    pub async fn snapshot_weights(&mut self, proposal_id: &str, weights: &[(String, u64, u64)]) -> Result<()> {
        for chunk in weights.chunks(500) {
            let rows = crate::values_placeholders(self.backend, chunk.len(), 4);
            let sql = format!(
                "INSERT INTO weight_snapshots (proposal_id, member_id, equal_weight, merit_weight) VALUES {rows}"
            );
            let mut query = sqlx::query(&sql);
            for (member_id, equal, merit) in chunk {
                query = query
                    .bind(proposal_id.to_owned())
                    .bind(member_id.clone())
                    .bind(equal.to_string())
                    .bind(merit.to_string());
            }
            query.execute(&mut *self.tx).await?;
        }
        let summary: Vec<_> = weights.iter().map(|(m, e, w)| json!([m, e.to_string(), w.to_string()])).collect();
        self.audit("proposal.snapshot_weights", proposal_id, json!({ "weights": summary })).await
    }

    /// Records the floors in force at publication (and why it benefits its author, if it does).
    pub async fn set_floors(&mut self, proposal_id: &str, floors: &Floors, self_interest: &str) -> Result<()> {
        let floors = json_text(floors)?;
        let result = sqlx::query("UPDATE proposals SET floors = $1, self_interest = $2 WHERE id = $3")
            .bind(&floors)
            .bind(self_interest)
            .bind(proposal_id)
            .execute(&mut *self.tx)
            .await?;
        one_row(result, "proposal")?;
        self.audit("proposal.floors", proposal_id, json!({ "floors": floors, "self_interest": self_interest })).await
    }

    /// Casts or replaces many ballots with multi-row statements, auditing each: the one way a
    /// ballot is written. A secret ballot's audit entry names neither the voter nor the ballot:
    /// it carries the receipt alone, under the actor `secret-ballot`.
    pub async fn cast_ballots(&mut self, casts: &[BallotCast]) -> Result<()> {
        let at = self.at_ms();
        // Within one statement a voter may appear once: a later ballot in the batch wins.
        let mut latest: Vec<&BallotCast> = Vec::with_capacity(casts.len());
        for c in casts {
            match latest.iter_mut().find(|l| l.proposal_id == c.proposal_id && l.voter_id == c.voter_id) {
                Some(slot) => *slot = c,
                None => latest.push(c),
            }
        }
        for chunk in latest.chunks(500) {
            let rows = crate::values_placeholders(self.backend, chunk.len(), 6);
            let sql = format!(
                "INSERT INTO ballots (proposal_id, voter_id, ballot, nonce, receipt, cast_at) VALUES {}
                 ON CONFLICT (proposal_id, voter_id) DO UPDATE SET ballot = excluded.ballot, nonce = excluded.nonce,
                    receipt = excluded.receipt, cast_at = excluded.cast_at",
                rows
            );
            let mut query = sqlx::query(&sql);
            for c in chunk {
                query = query
                    .bind(c.proposal_id.clone())
                    .bind(c.voter_id.clone())
                    .bind(c.ballot.clone())
                    .bind(c.nonce.clone())
                    .bind(c.receipt.clone())
                    .bind(at);
            }
            query.execute(&mut *self.tx).await?;
        }
        let entries: Vec<(String, &str, String, serde_json::Value)> = casts
            .iter()
            .map(|c| {
                if c.secret {
                    let change = json!({ "proposal_id": c.proposal_id, "receipt": c.receipt });
                    (SECRET_BALLOT_ACTOR.to_owned(), "ballot.cast", c.proposal_id.clone(), change)
                } else {
                    let change = json!({ "proposal_id": c.proposal_id, "ballot": c.ballot, "receipt": c.receipt });
                    (c.voter_id.clone(), "ballot.cast", c.proposal_id.clone(), change)
                }
            })
            .collect();
        self.audit_many(&entries).await
    }

    /// Delegates `delegator`'s vote in `org_id` (for `domain`, or globally when empty),
    /// replacing any live delegation for the same scope.
    pub async fn delegate(&mut self, org_id: &str, delegator: &str, delegate: &str, domain: &str) -> Result<String> {
        let at = self.at_ms();
        sqlx::query(
            "UPDATE delegations SET revoked_at = $1 WHERE org_id = $2 AND delegator_id = $3 AND domain = $4 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(org_id)
        .bind(delegator)
        .bind(domain)
        .execute(&mut *self.tx)
        .await?;
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO delegations (id, org_id, delegator_id, delegate_id, domain, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(delegator)
        .bind(delegate)
        .bind(domain)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("a live delegation for this domain"))?;
        self.audit(
            "delegation.create",
            &id,
            json!({ "org_id": org_id, "delegator": delegator, "delegate": delegate, "domain": domain }),
        )
        .await?;
        Ok(id)
    }

    /// Revokes a live delegation of `delegator`; `NotFound` if there is none with that id.
    pub async fn revoke_delegation(&mut self, id: &str, delegator: &str) -> Result<()> {
        let result = sqlx::query(
            "UPDATE delegations SET revoked_at = $1 WHERE id = $2 AND delegator_id = $3 AND revoked_at IS NULL",
        )
        .bind(self.at_ms())
        .bind(id)
        .bind(delegator)
        .execute(&mut *self.tx)
        .await?;
        one_row(result, "live delegation")?;
        self.audit("delegation.revoke", id, json!({})).await
    }

    pub async fn save_tally(&mut self, tally: &TallyRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO tallies (proposal_id, primary_mode, equal_result, merit_result, modes_differ, delegations, computed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&tally.proposal_id)
        .bind(&tally.primary_mode)
        .bind(&tally.equal_result)
        .bind(&tally.merit_result)
        .bind(i64::from(tally.modes_differ))
        .bind(&tally.delegations)
        .bind(tally.computed_at)
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("a tally for this proposal"))?;
        self.audit(
            "proposal.tally",
            &tally.proposal_id,
            json!({ "primary": tally.primary_mode, "equal": tally.equal_result, "merit": tally.merit_result, "delegations": tally.delegations }),
        )
        .await
    }

    pub async fn add_comment(&mut self, proposal_id: &str, author_id: &str, body: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query("INSERT INTO comments (id, proposal_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(proposal_id)
            .bind(author_id)
            .bind(body)
            .bind(self.at_ms())
            .execute(&mut *self.tx)
            .await?;
        self.audit("comment.create", proposal_id, json!({ "id": id, "author": author_id, "body": body })).await?;
        Ok(id)
    }

    pub async fn set_policy(&mut self, org_id: &str, key: &str, value: f64, proposal_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO policies (org_id, key, value, set_by_proposal, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_id, key) DO UPDATE SET value = excluded.value, set_by_proposal = excluded.set_by_proposal,
                updated_at = excluded.updated_at",
        )
        .bind(org_id)
        .bind(key)
        .bind(weight_text(value))
        .bind(proposal_id)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("policy.set", org_id, json!({ "key": key, "value": value, "proposal_id": proposal_id })).await
    }
}

fn draft_json(draft: &ProposalDraft) -> Result<serde_json::Value> {
    Ok(json!({
        "org_id": draft.org_id, "title": draft.title, "body": draft.body, "domain": draft.domain,
        "kind": draft.kind, "method": draft.method, "weighting": draft.weighting, "quorum": draft.quorum,
        "effect": draft.effect, "options": draft.options, "secret": draft.secret,
        "voting_opens_at": draft.voting_opens_at, "voting_closes_at": draft.voting_closes_at,
        "self_interest": draft.self_interest,
    }))
}
