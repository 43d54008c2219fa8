//! Endorsements and campaign funding. Audited: candidates, the questionnaire and answers, the
//! published endorsement, and each transfer to a campaign — reserved against the caps by
//! compare-and-sets on the candidate's and the election's running totals, then marked moved.

use crate::{Result, Store, WriteTx, conflict_as, one_row};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub office: String,
    pub district: String,
    pub election_id: Option<String>,
    pub bio: String,
    pub website: String,
    pub member_id: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    /// The passed endorsement vote, once published.
    pub endorsed_by: Option<String>,
    pub endorsed_at: Option<i64>,
    pub funded_minor: i64,
    /// The work project the campaign became.
    pub project_id: Option<String>,
}

const CANDIDATE: &str = "id, name, kind, office, district, election_id, bio, website, member_id, created_by, created_at, endorsed_by, endorsed_at, funded_minor, project_id";

fn candidate(r: &AnyRow) -> Result<Candidate> {
    Ok(Candidate {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        kind: r.try_get(2)?,
        office: r.try_get(3)?,
        district: r.try_get(4)?,
        election_id: r.try_get(5)?,
        bio: r.try_get(6)?,
        website: r.try_get(7)?,
        member_id: r.try_get(8)?,
        created_by: r.try_get(9)?,
        created_at: r.try_get(10)?,
        endorsed_by: r.try_get(11)?,
        endorsed_at: r.try_get(12)?,
        funded_minor: r.try_get(13)?,
        project_id: r.try_get(14)?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuestionnaireItem {
    pub id: String,
    pub position: i64,
    pub question: String,
    pub principle_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    pub candidate_id: String,
    pub question_id: String,
    pub stance: String,
    pub comment: String,
    pub recorded_by: String,
    pub answered_at: i64,
}

/// One transfer to a campaign, as disclosed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CampaignTransfer {
    pub proposal_id: String,
    pub candidate_id: String,
    pub election_id: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub reserved_at: i64,
    pub moved_at: Option<i64>,
    pub transfer_id: String,
}

const TRANSFER: &str =
    "proposal_id, candidate_id, election_id, amount_minor, currency, reserved_at, moved_at, transfer_id";

fn transfer(r: &AnyRow) -> Result<CampaignTransfer> {
    Ok(CampaignTransfer {
        proposal_id: r.try_get(0)?,
        candidate_id: r.try_get(1)?,
        election_id: r.try_get(2)?,
        amount_minor: r.try_get(3)?,
        currency: r.try_get(4)?,
        reserved_at: r.try_get(5)?,
        moved_at: r.try_get(6)?,
        transfer_id: r.try_get(7)?,
    })
}

/// A candidate to add.
#[derive(Debug, Clone)]
pub struct NewCandidate {
    pub name: String,
    pub kind: String,
    pub office: String,
    pub district: String,
    pub election_id: Option<String>,
    pub bio: String,
    pub website: String,
    pub member_id: Option<String>,
}

impl Store {
    pub async fn candidates(&self) -> Result<Vec<Candidate>> {
        let sql = format!("SELECT {CANDIDATE} FROM candidates ORDER BY created_at, id LIMIT 1000");
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(candidate).collect()
    }

    pub async fn candidate(&self, id: &str) -> Result<Option<Candidate>> {
        let sql = format!("SELECT {CANDIDATE} FROM candidates WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(candidate).transpose()
    }

    pub async fn questionnaire(&self) -> Result<Vec<QuestionnaireItem>> {
        let rows = sqlx::query("SELECT id, position, question, principle_id FROM questionnaire ORDER BY position, id")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(QuestionnaireItem {
                    id: r.try_get(0)?,
                    position: r.try_get(1)?,
                    question: r.try_get(2)?,
                    principle_id: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub async fn answers(&self) -> Result<Vec<Answer>> {
        let rows = sqlx::query(
            "SELECT candidate_id, question_id, stance, comment, recorded_by, answered_at FROM candidate_answers
             ORDER BY candidate_id, question_id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Answer {
                    candidate_id: r.try_get(0)?,
                    question_id: r.try_get(1)?,
                    stance: r.try_get(2)?,
                    comment: r.try_get(3)?,
                    recorded_by: r.try_get(4)?,
                    answered_at: r.try_get(5)?,
                })
            })
            .collect()
    }

    pub async fn campaign_transfers(&self) -> Result<Vec<CampaignTransfer>> {
        let sql = format!("SELECT {TRANSFER} FROM campaign_transfers ORDER BY reserved_at, proposal_id");
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(transfer).collect()
    }

    pub async fn campaign_transfer(&self, proposal_id: &str) -> Result<Option<CampaignTransfer>> {
        let sql = format!("SELECT {TRANSFER} FROM campaign_transfers WHERE proposal_id = $1");
        sqlx::query(&sql).bind(proposal_id).fetch_optional(self.reader()).await?.as_ref().map(transfer).transpose()
    }

    /// What an election's candidates received in all.
    pub async fn election_funded(&self, election_id: &str) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT funded_minor FROM elections WHERE id = $1")
            .bind(election_id)
            .fetch_optional(self.reader())
            .await?
            .unwrap_or(0))
    }
}

impl WriteTx {
    pub async fn candidate(&mut self, id: &str) -> Result<Option<Candidate>> {
        let sql = format!("SELECT {CANDIDATE} FROM candidates WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(&mut *self.tx).await?.as_ref().map(candidate).transpose()
    }

    pub async fn add_candidate(&mut self, c: &NewCandidate) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO candidates (id, name, kind, office, district, election_id, bio, website, member_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(&c.name)
        .bind(&c.kind)
        .bind(&c.office)
        .bind(&c.district)
        .bind(&c.election_id)
        .bind(&c.bio)
        .bind(&c.website)
        .bind(&c.member_id)
        .bind(self.actor().to_owned())
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "candidate.add",
            &id,
            json!({ "name": c.name, "kind": c.kind, "office": c.office, "district": c.district, "election_id": c.election_id, "member_id": c.member_id }),
        )
        .await?;
        Ok(id)
    }

    pub async fn add_question(&mut self, question: &str, principle_id: &str) -> Result<String> {
        let id = crate::new_id();
        let position: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM questionnaire")
                .fetch_one(&mut *self.tx)
                .await?;
        sqlx::query(
            "INSERT INTO questionnaire (id, position, question, principle_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(position)
        .bind(question)
        .bind(principle_id)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("this question"))?;
        self.audit("questionnaire.add", &id, json!({ "question": question, "principle_id": principle_id })).await?;
        Ok(id)
    }

    /// Records (or replaces) a candidate's answers.
    pub async fn answer(&mut self, candidate_id: &str, answers: &[(String, String, String)]) -> Result<()> {
        let at = self.at_ms();
        for (question_id, stance, comment) in answers {
            sqlx::query(
                "INSERT INTO candidate_answers (candidate_id, question_id, stance, comment, recorded_by, answered_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (candidate_id, question_id) DO UPDATE SET stance = excluded.stance, comment = excluded.comment,
                   recorded_by = excluded.recorded_by, answered_at = excluded.answered_at",
            )
            .bind(candidate_id)
            .bind(question_id)
            .bind(stance)
            .bind(comment)
            .bind(self.actor().to_owned())
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        }
        let given: Vec<_> = answers.iter().map(|(q, s, _)| json!([q, s])).collect();
        self.audit("candidate.answer", candidate_id, json!({ "answers": given })).await
    }

    /// Links the campaign to the work project it became (once: a compare-and-set on its absence).
    pub async fn set_candidate_project(&mut self, candidate_id: &str, project_id: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE candidates SET project_id = $1 WHERE id = $2 AND project_id IS NULL")
            .bind(project_id)
            .bind(candidate_id)
            .execute(&mut *self.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.audit("candidate.project", candidate_id, json!({ "project_id": project_id })).await?;
        Ok(true)
    }

    /// Publishes the endorsement a passed vote decided (once).
    pub async fn publish_endorsement(&mut self, candidate_id: &str, proposal_id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE candidates SET endorsed_by = $1, endorsed_at = $2 WHERE id = $3 AND endorsed_by IS NULL",
        )
        .bind(proposal_id)
        .bind(self.at_ms())
        .bind(candidate_id)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.audit("candidate.endorse", candidate_id, json!({ "proposal_id": proposal_id })).await?;
        Ok(true)
    }

    /// Reserves a transfer to a campaign under the caps (0: none): compare-and-sets on the
    /// candidate's and the election's running totals, and the transfer's row. `false` (and
    /// nothing changed, once the caller drops the transaction) when a cap would be exceeded.
    pub async fn reserve_campaign_transfer(
        &mut self,
        t: &CampaignTransfer,
        cap_per_candidate: i64,
        cap_per_election: i64,
    ) -> Result<bool> {
        let candidate = sqlx::query(
            "UPDATE candidates SET funded_minor = funded_minor + $1 WHERE id = $2 AND ($3 = 0 OR funded_minor + $1 <= $3)",
        )
        .bind(t.amount_minor)
        .bind(&t.candidate_id)
        .bind(cap_per_candidate)
        .execute(&mut *self.tx)
        .await?;
        if candidate.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(election) = &t.election_id {
            let e = sqlx::query(
                "UPDATE elections SET funded_minor = funded_minor + $1 WHERE id = $2 AND ($3 = 0 OR funded_minor + $1 <= $3)",
            )
            .bind(t.amount_minor)
            .bind(election)
            .bind(cap_per_election)
            .execute(&mut *self.tx)
            .await?;
            if e.rows_affected() == 0 {
                return Ok(false);
            }
        }
        sqlx::query(&format!("INSERT INTO campaign_transfers ({TRANSFER}) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)"))
            .bind(&t.proposal_id)
            .bind(&t.candidate_id)
            .bind(&t.election_id)
            .bind(t.amount_minor)
            .bind(&t.currency)
            .bind(self.at_ms())
            .bind(&t.transfer_id)
            .execute(&mut *self.tx)
            .await
            .map_err(conflict_as("this campaign transfer"))?;
        self.audit(
            "campaign.reserve",
            &t.proposal_id,
            json!({ "candidate_id": t.candidate_id, "election_id": t.election_id, "amount_minor": t.amount_minor, "currency": t.currency, "transfer_id": t.transfer_id }),
        )
        .await?;
        Ok(true)
    }

    /// Gives a reservation back when the ledger refused the money.
    pub async fn release_campaign_transfer(&mut self, t: &CampaignTransfer) -> Result<()> {
        let gone = sqlx::query("DELETE FROM campaign_transfers WHERE proposal_id = $1 AND moved_at IS NULL")
            .bind(&t.proposal_id)
            .execute(&mut *self.tx)
            .await?;
        one_row(gone, "campaign transfer")?;
        sqlx::query("UPDATE candidates SET funded_minor = funded_minor - $1 WHERE id = $2")
            .bind(t.amount_minor)
            .bind(&t.candidate_id)
            .execute(&mut *self.tx)
            .await?;
        if let Some(election) = &t.election_id {
            sqlx::query("UPDATE elections SET funded_minor = funded_minor - $1 WHERE id = $2")
                .bind(t.amount_minor)
                .bind(election)
                .execute(&mut *self.tx)
                .await?;
        }
        self.audit("campaign.release", &t.proposal_id, json!({ "amount_minor": t.amount_minor })).await
    }

    pub async fn mark_campaign_moved(&mut self, proposal_id: &str) -> Result<()> {
        sqlx::query("UPDATE campaign_transfers SET moved_at = $1 WHERE proposal_id = $2 AND moved_at IS NULL")
            .bind(self.at_ms())
            .bind(proposal_id)
            .execute(&mut *self.tx)
            .await?;
        self.audit("campaign.moved", proposal_id, json!({})).await
    }
}
