//! Participatory-budgeting rounds, their projects, ballots and weight snapshots. Phase changes
//! are compare-and-set on the phase, and a ballot is accepted only inside the transaction that
//! sees the round voting and the member in its weight snapshot, so a ballot never lands in a
//! closed round however the two race.

use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PbRound {
    pub id: String,
    pub org_id: String,
    /// The passed budget proposal whose escrow this round spends.
    pub budget_id: String,
    pub title: String,
    pub description: String,
    /// The ballot kind and its limits (JSON of the domain's `round::Ballot`).
    pub ballot: String,
    pub rule: String,
    pub currency: String,
    pub phase: String,
    pub voting_ends_at: Option<i64>,
    /// JSON of the domain's `round::RoundResult`, once closed.
    pub result: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PbProject {
    pub id: String,
    pub round_id: String,
    pub proposer_id: String,
    pub title: String,
    pub description: String,
    pub place: String,
    pub cost_minor: i64,
    /// `pending`, `feasible` or `infeasible`.
    pub review: String,
    pub review_reason: String,
    pub reviewed_by: Option<String>,
    /// `none`, `pending` (money held in the escrow for it), `done` (paid) or `failed` (voided).
    pub award: String,
    pub transfer_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PbBallot {
    pub member_id: String,
    /// JSON `[[project_id, points], ...]`.
    pub picks: String,
    pub cast_at: i64,
}

const ROUND: &str = "id, org_id, budget_id, title, description, ballot, rule, currency, phase, voting_ends_at, result, created_by, created_at, closed_at";
const PROJECT: &str = "id, round_id, proposer_id, title, description, place, cost_minor, review, review_reason, reviewed_by, award, transfer_id, created_at";

fn round(r: &AnyRow) -> Result<PbRound> {
    Ok(PbRound {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        budget_id: r.try_get("budget_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        ballot: r.try_get("ballot")?,
        rule: r.try_get("rule")?,
        currency: r.try_get("currency")?,
        phase: r.try_get("phase")?,
        voting_ends_at: r.try_get("voting_ends_at")?,
        result: r.try_get("result")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

fn project(r: &AnyRow) -> Result<PbProject> {
    Ok(PbProject {
        id: r.try_get("id")?,
        round_id: r.try_get("round_id")?,
        proposer_id: r.try_get("proposer_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        place: r.try_get("place")?,
        cost_minor: r.try_get("cost_minor")?,
        review: r.try_get("review")?,
        review_reason: r.try_get("review_reason")?,
        reviewed_by: r.try_get("reviewed_by")?,
        award: r.try_get("award")?,
        transfer_id: r.try_get("transfer_id")?,
        created_at: r.try_get("created_at")?,
    })
}

fn ballot(r: &AnyRow) -> Result<PbBallot> {
    Ok(PbBallot { member_id: r.try_get("member_id")?, picks: r.try_get("picks")?, cast_at: r.try_get("cast_at")? })
}

/// A new round as the operations layer planned it.
pub struct NewRound<'a> {
    pub org_id: &'a str,
    pub budget_id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub ballot: &'a str,
    pub rule: &'a str,
    pub currency: &'a str,
}

impl Store {
    pub async fn pb_round(&self, id: &str) -> Result<Option<PbRound>> {
        let sql = format!("SELECT {ROUND} FROM pb_rounds WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(round).transpose()
    }

    /// An organisation's rounds, newest first (at most 200).
    pub async fn pb_rounds_of(&self, org_id: &str) -> Result<Vec<PbRound>> {
        let sql = format!("SELECT {ROUND} FROM pb_rounds WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT 200");
        sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?.iter().map(round).collect()
    }

    /// Voting rounds whose end has passed, for the scheduler.
    pub async fn pb_rounds_due(&self, now_ms: i64) -> Result<Vec<PbRound>> {
        let sql = format!(
            "SELECT {ROUND} FROM pb_rounds WHERE phase = 'voting' AND voting_ends_at IS NOT NULL AND voting_ends_at <= $1 ORDER BY id LIMIT 100"
        );
        sqlx::query(&sql).bind(now_ms).fetch_all(self.reader()).await?.iter().map(round).collect()
    }

    /// Closed rounds with winners not yet held in the escrow (their transfers were interrupted).
    pub async fn pb_rounds_awaiting_awards(&self) -> Result<Vec<PbRound>> {
        let sql = format!(
            "SELECT {ROUND} FROM pb_rounds WHERE phase = 'closed' AND id IN (SELECT round_id FROM pb_projects WHERE award = 'due') ORDER BY id LIMIT 100"
        );
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(round).collect()
    }

    /// A round's projects in the order they were proposed (at most 1,000).
    pub async fn pb_projects(&self, round_id: &str) -> Result<Vec<PbProject>> {
        let sql = format!("SELECT {PROJECT} FROM pb_projects WHERE round_id = $1 ORDER BY created_at, id LIMIT 1000");
        sqlx::query(&sql).bind(round_id).fetch_all(self.reader()).await?.iter().map(project).collect()
    }

    pub async fn pb_project(&self, id: &str) -> Result<Option<PbProject>> {
        let sql = format!("SELECT {PROJECT} FROM pb_projects WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(project).transpose()
    }

    pub async fn pb_ballot(&self, round_id: &str, member_id: &str) -> Result<Option<PbBallot>> {
        sqlx::query("SELECT member_id, picks, cast_at FROM pb_ballots WHERE round_id = $1 AND member_id = $2")
            .bind(round_id)
            .bind(member_id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(ballot)
            .transpose()
    }

    /// A round's ballots (at most 100,000), by member.
    pub async fn pb_ballots(&self, round_id: &str) -> Result<Vec<PbBallot>> {
        sqlx::query(
            "SELECT member_id, picks, cast_at FROM pb_ballots WHERE round_id = $1 ORDER BY member_id LIMIT 100000",
        )
        .bind(round_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(ballot)
        .collect()
    }

    pub async fn pb_ballot_count(&self, round_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM pb_ballots WHERE round_id = $1")
            .bind(round_id)
            .fetch_one(self.reader())
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Whether `member_id` was a member when the round's voting opened.
    pub async fn pb_eligible(&self, round_id: &str, member_id: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM pb_weights WHERE round_id = $1 AND member_id = $2")
            .bind(round_id)
            .bind(member_id)
            .fetch_optional(self.reader())
            .await?
            .is_some())
    }
}

impl WriteTx {
    pub async fn create_pb_round(&mut self, new: NewRound<'_>) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO pb_rounds (id, org_id, budget_id, title, description, ballot, rule, currency, phase, voting_ends_at, result, created_by, created_at, closed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submission', NULL, NULL, $9, $10, NULL)",
        )
        .bind(&id)
        .bind(new.org_id)
        .bind(new.budget_id)
        .bind(new.title)
        .bind(new.description)
        .bind(new.ballot)
        .bind(new.rule)
        .bind(new.currency)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(crate::error::conflict_as("a round for this budget"))?;
        let change = json!({ "org_id": new.org_id, "budget_id": new.budget_id, "title": new.title, "ballot": new.ballot, "rule": new.rule });
        self.audit("round.create", &id, change).await?;
        Ok(id)
    }

    /// The round as this transaction sees it (for checks that must hold at commit).
    pub async fn pb_round_now(&mut self, id: &str) -> Result<Option<PbRound>> {
        let sql = format!("SELECT {ROUND} FROM pb_rounds WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(&mut *self.tx).await?.as_ref().map(round).transpose()
    }

    pub async fn pb_projects_now(&mut self, round_id: &str) -> Result<Vec<PbProject>> {
        let sql = format!("SELECT {PROJECT} FROM pb_projects WHERE round_id = $1 ORDER BY created_at, id LIMIT 1000");
        sqlx::query(&sql).bind(round_id).fetch_all(&mut *self.tx).await?.iter().map(project).collect()
    }

    /// Moves the round from `from` to `to`; false when it was no longer in `from`.
    pub async fn advance_pb_round(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        voting_ends_at: Option<i64>,
    ) -> Result<bool> {
        let moved = sqlx::query(
            "UPDATE pb_rounds SET phase = $1, voting_ends_at = COALESCE($2, voting_ends_at) WHERE id = $3 AND phase = $4",
        )
        .bind(to)
        .bind(voting_ends_at)
        .bind(id)
        .bind(from)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if moved {
            self.audit("round.advance", id, json!({ "from": from, "to": to, "voting_ends_at": voting_ends_at }))
                .await?;
        }
        Ok(moved)
    }

    pub async fn add_pb_project(
        &mut self,
        round_id: &str,
        title: &str,
        description: &str,
        place: &str,
        cost_minor: u64,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        let cost = i64::try_from(cost_minor).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO pb_projects (id, round_id, proposer_id, title, description, place, cost_minor, review, review_reason, reviewed_by, award, transfer_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', '', NULL, 'none', NULL, $8)",
        )
        .bind(&id)
        .bind(round_id)
        .bind(self.actor().to_owned())
        .bind(title)
        .bind(description)
        .bind(place)
        .bind(cost)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        let change = json!({ "round_id": round_id, "title": title, "place": place, "cost_minor": cost_minor });
        self.audit("round.project", &id, change).await?;
        Ok(id)
    }

    pub async fn review_pb_project(&mut self, id: &str, feasible: bool, reason: &str) -> Result<()> {
        let review = if feasible { "feasible" } else { "infeasible" };
        sqlx::query("UPDATE pb_projects SET review = $1, review_reason = $2, reviewed_by = $3 WHERE id = $4")
            .bind(review)
            .bind(reason)
            .bind(self.actor().to_owned())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.audit("round.review", id, json!({ "review": review, "reason": reason })).await
    }

    /// Snapshots who may vote with what merit weight (micro-votes) as voting opens.
    pub async fn snapshot_pb_weights(&mut self, round_id: &str, weights: &[(String, u64)]) -> Result<()> {
        for (member, weight) in weights {
            sqlx::query("INSERT INTO pb_weights (round_id, member_id, merit_weight) VALUES ($1, $2, $3)")
                .bind(round_id)
                .bind(member)
                .bind(i64::try_from(*weight).unwrap_or(i64::MAX))
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    pub async fn pb_weights_now(&mut self, round_id: &str) -> Result<Vec<(String, u64)>> {
        let rows = sqlx::query("SELECT member_id, merit_weight FROM pb_weights WHERE round_id = $1 ORDER BY member_id")
            .bind(round_id)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<String, _>(0)?, u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0))))
            .collect()
    }

    /// Stores (or replaces) a member's ballot; the caller checked the round is voting.
    pub async fn cast_pb_ballot(&mut self, round_id: &str, member_id: &str, picks: &str) -> Result<()> {
        let at = self.at_ms();
        sqlx::query("DELETE FROM pb_ballots WHERE round_id = $1 AND member_id = $2")
            .bind(round_id)
            .bind(member_id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("INSERT INTO pb_ballots (round_id, member_id, picks, cast_at) VALUES ($1, $2, $3, $4)")
            .bind(round_id)
            .bind(member_id)
            .bind(picks)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.audit("round.ballot", round_id, json!({ "member_id": member_id, "picks": picks })).await
    }

    pub async fn pb_ballots_now(&mut self, round_id: &str) -> Result<Vec<PbBallot>> {
        let rows =
            sqlx::query("SELECT member_id, picks, cast_at FROM pb_ballots WHERE round_id = $1 ORDER BY member_id")
                .bind(round_id)
                .fetch_all(&mut *self.tx)
                .await?;
        rows.iter().map(ballot).collect()
    }

    /// Closes a voting round with its result; winners become `due` (their money is held next).
    pub async fn close_pb_round(&mut self, id: &str, result: &str, winners: &[String]) -> Result<bool> {
        let at = self.at_ms();
        let closed = sqlx::query(
            "UPDATE pb_rounds SET phase = 'closed', result = $1, closed_at = $2 WHERE id = $3 AND phase = 'voting'",
        )
        .bind(result)
        .bind(at)
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if !closed {
            return Ok(false);
        }
        for project in winners {
            sqlx::query("UPDATE pb_projects SET award = 'due' WHERE id = $1 AND round_id = $2")
                .bind(project)
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        self.audit("round.close", id, json!({ "winners": winners })).await?;
        Ok(true)
    }

    /// Moves a winner's award from `from` to `to` (due → pending → done | failed), recording the
    /// transfer; false when it was no longer in `from`.
    pub async fn set_pb_award(&mut self, id: &str, from: &str, to: &str, transfer_id: &str) -> Result<bool> {
        let moved = sqlx::query("UPDATE pb_projects SET award = $1, transfer_id = $2 WHERE id = $3 AND award = $4")
            .bind(to)
            .bind(transfer_id)
            .bind(id)
            .bind(from)
            .execute(&mut *self.tx)
            .await?
            .rows_affected()
            == 1;
        if moved {
            self.audit("round.award", id, json!({ "from": from, "to": to, "transfer_id": transfer_id })).await?;
        }
        Ok(moved)
    }
}

/// A funding round with quadratic matching.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FundingRound {
    pub id: String,
    pub org_id: String,
    /// The passed budget proposal whose escrow is the matching pot.
    pub budget_id: String,
    pub title: String,
    /// JSON of the domain's `qf::Matching` and the per-project cap.
    pub rule: String,
    pub currency: String,
    /// `open` or `closed`.
    pub phase: String,
    /// JSON of the matches paid, once closed.
    pub result: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FundingProject {
    pub id: String,
    pub round_id: String,
    pub title: String,
    /// Who receives contributions and the match: a member's handle or `org:slug`.
    pub recipient: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Contribution {
    pub id: String,
    pub project_id: String,
    pub member_id: String,
    pub amount_minor: i64,
    pub transfer_id: String,
    pub created_at: i64,
}

const FUNDING: &str = "id, org_id, budget_id, title, rule, currency, phase, result, created_by, created_at, closed_at";

fn funding_round(r: &AnyRow) -> Result<FundingRound> {
    Ok(FundingRound {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        budget_id: r.try_get("budget_id")?,
        title: r.try_get("title")?,
        rule: r.try_get("rule")?,
        currency: r.try_get("currency")?,
        phase: r.try_get("phase")?,
        result: r.try_get("result")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

impl Store {
    pub async fn funding_round(&self, id: &str) -> Result<Option<FundingRound>> {
        let sql = format!("SELECT {FUNDING} FROM funding_rounds WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(funding_round).transpose()
    }

    pub async fn funding_rounds_of(&self, org_id: &str) -> Result<Vec<FundingRound>> {
        let sql =
            format!("SELECT {FUNDING} FROM funding_rounds WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT 200");
        sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?.iter().map(funding_round).collect()
    }

    /// Whether any round (budgeting or funding) already spends this escrow.
    pub async fn escrow_claimed(&self, budget_id: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM pb_rounds WHERE budget_id = $1) + (SELECT COUNT(*) FROM funding_rounds WHERE budget_id = $1)",
        )
        .bind(budget_id)
        .fetch_one(self.reader())
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    pub async fn funding_projects(&self, round_id: &str) -> Result<Vec<FundingProject>> {
        let rows = sqlx::query(
            "SELECT id, round_id, title, recipient, created_at FROM funding_projects WHERE round_id = $1 ORDER BY created_at, id LIMIT 500",
        )
        .bind(round_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FundingProject {
                    id: r.try_get(0)?,
                    round_id: r.try_get(1)?,
                    title: r.try_get(2)?,
                    recipient: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn contributions(&self, round_id: &str) -> Result<Vec<Contribution>> {
        let rows = sqlx::query(
            "SELECT id, project_id, member_id, amount_minor, transfer_id, created_at FROM funding_contributions
             WHERE round_id = $1 ORDER BY created_at, id LIMIT 100000",
        )
        .bind(round_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Contribution {
                    id: r.try_get(0)?,
                    project_id: r.try_get(1)?,
                    member_id: r.try_get(2)?,
                    amount_minor: r.try_get(3)?,
                    transfer_id: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                })
            })
            .collect()
    }
}

impl WriteTx {
    pub async fn create_funding_round(
        &mut self,
        org_id: &str,
        budget_id: &str,
        title: &str,
        rule: &str,
        currency: &str,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO funding_rounds (id, org_id, budget_id, title, rule, currency, phase, result, created_by, created_at, closed_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'open', NULL, $7, $8, NULL)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(budget_id)
        .bind(title)
        .bind(rule)
        .bind(currency)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(crate::error::conflict_as("a round for this budget"))?;
        self.audit(
            "funding.create",
            &id,
            json!({ "org_id": org_id, "budget_id": budget_id, "title": title, "rule": rule }),
        )
        .await?;
        Ok(id)
    }

    pub async fn add_funding_project(&mut self, round_id: &str, title: &str, recipient: &str) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO funding_projects (id, round_id, title, recipient, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(round_id)
        .bind(title)
        .bind(recipient)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("funding.project", &id, json!({ "round_id": round_id, "title": title, "recipient": recipient }))
            .await?;
        Ok(id)
    }

    /// The round as this transaction sees it.
    pub async fn funding_round_now(&mut self, id: &str) -> Result<Option<FundingRound>> {
        let sql = format!("SELECT {FUNDING} FROM funding_rounds WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(&mut *self.tx).await?.as_ref().map(funding_round).transpose()
    }

    /// Records a contribution whose money has moved (its transfer id is unique: a replayed
    /// payment records once).
    pub async fn record_contribution(
        &mut self,
        round_id: &str,
        project_id: &str,
        member_id: &str,
        amount_minor: u64,
        transfer_id: &str,
    ) -> Result<()> {
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO funding_contributions (id, round_id, project_id, member_id, amount_minor, transfer_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(crate::new_id())
        .bind(round_id)
        .bind(project_id)
        .bind(member_id)
        .bind(i64::try_from(amount_minor).unwrap_or(i64::MAX))
        .bind(transfer_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(crate::error::conflict_as("this contribution"))?;
        self.audit("funding.contribute", round_id, json!({ "project_id": project_id, "member_id": member_id, "amount_minor": amount_minor, "transfer_id": transfer_id }))
            .await
    }

    /// Takes back a contribution whose payment the ledger refused.
    pub async fn withdraw_contribution(&mut self, transfer_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM funding_contributions WHERE transfer_id = $1")
            .bind(transfer_id)
            .execute(&mut *self.tx)
            .await?;
        self.audit("funding.withdraw", transfer_id, json!({ "reason": "the payment was refused" })).await
    }

    /// Closes an open round with its result; false when it was closed already.
    pub async fn close_funding_round(&mut self, id: &str, result: &str) -> Result<bool> {
        let at = self.at_ms();
        let closed = sqlx::query(
            "UPDATE funding_rounds SET phase = 'closed', result = $1, closed_at = $2 WHERE id = $3 AND phase = 'open'",
        )
        .bind(result)
        .bind(at)
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if closed {
            self.audit("funding.close", id, json!({ "result": result })).await?;
        }
        Ok(closed)
    }
}
