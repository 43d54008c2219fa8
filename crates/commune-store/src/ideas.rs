//! Ideas and analytics: the issue log, the private journal, the idea board with helpfulness
//! ratings and their bridging status, opinion maps (conversations, moderated statements, one
//! vote per member and statement) and the metrics businesses push.
//!
//! Journal text never enters the audit chain (its entries record ids only): the journal is
//! private, and the audit log is readable by the instance's stewards.

use crate::{Result, Store, StoreError, WriteTx, conflict_as, one_row, weight_text};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

fn real(raw: &str) -> f64 {
    raw.parse().unwrap_or(0.0)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub id: String,
    pub org_id: String,
    pub author_id: String,
    pub title: String,
    pub what_happened: String,
    pub severity: String,
    pub responsible_id: Option<String>,
    pub team: String,
    pub domain: String,
    /// `open`, `diagnosed` or `resolved`.
    pub state: String,
    pub diagnosis: String,
    pub root_cause_doc_id: Option<String>,
    /// `task` or `proposal` once resolved.
    pub resolution_kind: Option<String>,
    pub resolution_id: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

const PROBLEM: &str = "id, org_id, author_id, title, what_happened, severity, responsible_id, team, domain, state, diagnosis, root_cause_doc_id, resolution_kind, resolution_id, created_at, resolved_at";

fn problem(r: &AnyRow) -> Result<Problem> {
    Ok(Problem {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        author_id: r.try_get("author_id")?,
        title: r.try_get("title")?,
        what_happened: r.try_get("what_happened")?,
        severity: r.try_get("severity")?,
        responsible_id: r.try_get("responsible_id")?,
        team: r.try_get("team")?,
        domain: r.try_get("domain")?,
        state: r.try_get("state")?,
        diagnosis: r.try_get("diagnosis")?,
        root_cause_doc_id: r.try_get("root_cause_doc_id")?,
        resolution_kind: r.try_get("resolution_kind")?,
        resolution_id: r.try_get("resolution_id")?,
        created_at: r.try_get("created_at")?,
        resolved_at: r.try_get("resolved_at")?,
    })
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewProblem {
    pub org_id: String,
    pub title: String,
    pub what_happened: String,
    pub severity: String,
    pub responsible_id: Option<String>,
    pub team: String,
    pub domain: String,
}

/// A post in a thread (a problem's diagnosis, an idea's discussion).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Post {
    pub id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: i64,
}

fn post(r: &AnyRow) -> Result<Post> {
    Ok(Post {
        id: r.try_get("id")?,
        author_id: r.try_get("author_id")?,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JournalEntry {
    pub id: String,
    pub member_id: String,
    pub pain: String,
    pub reflection: Option<String>,
    pub published_doc_id: Option<String>,
    pub created_at: i64,
    pub reflected_at: Option<i64>,
}

fn journal_entry(r: &AnyRow) -> Result<JournalEntry> {
    Ok(JournalEntry {
        id: r.try_get("id")?,
        member_id: r.try_get("member_id")?,
        pain: r.try_get("pain")?,
        reflection: r.try_get("reflection")?,
        published_doc_id: r.try_get("published_doc_id")?,
        created_at: r.try_get("created_at")?,
        reflected_at: r.try_get("reflected_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Idea {
    pub id: String,
    pub org_id: String,
    pub author_id: String,
    pub title: String,
    pub body: String,
    pub domain: String,
    pub proposal_id: Option<String>,
    pub created_at: i64,
    pub promoted_at: Option<i64>,
}

const IDEA: &str = "id, org_id, author_id, title, body, domain, proposal_id, created_at, promoted_at";

fn idea(r: &AnyRow) -> Result<Idea> {
    Ok(Idea {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        author_id: r.try_get("author_id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        domain: r.try_get("domain")?,
        proposal_id: r.try_get("proposal_id")?,
        created_at: r.try_get("created_at")?,
        promoted_at: r.try_get("promoted_at")?,
    })
}

/// One helpfulness rating: the value in halves (0 no, 1 somewhat, 2 yes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HelpfulnessRow {
    pub target_id: String,
    pub rater_id: String,
    pub halves: i64,
}

/// An item's last bridging status (kept for hysteresis).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bridging {
    pub target_id: String,
    pub status: String,
    pub intercept: f64,
    pub factor: f64,
    pub ratings: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conversation {
    pub id: String,
    pub org_id: String,
    pub proposal_id: Option<String>,
    pub topic: String,
    pub author_id: String,
    pub created_at: i64,
}

fn conversation(r: &AnyRow) -> Result<Conversation> {
    Ok(Conversation {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        proposal_id: r.try_get("proposal_id")?,
        topic: r.try_get("topic")?,
        author_id: r.try_get("author_id")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    pub id: String,
    pub conversation_id: String,
    /// 1, 2, … in order of submission within the conversation.
    pub number: i64,
    pub author_id: String,
    pub body: String,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    pub moderated_by: Option<String>,
    pub created_at: i64,
    pub moderated_at: Option<i64>,
}

const STATEMENT: &str = "id, conversation_id, number, author_id, body, state, moderated_by, created_at, moderated_at";

fn statement(r: &AnyRow) -> Result<Statement> {
    Ok(Statement {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        number: r.try_get("number")?,
        author_id: r.try_get("author_id")?,
        body: r.try_get("body")?,
        state: r.try_get("state")?,
        moderated_by: r.try_get("moderated_by")?,
        created_at: r.try_get("created_at")?,
        moderated_at: r.try_get("moderated_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementVote {
    pub statement_id: String,
    pub member_id: String,
    pub vote: i64,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MetricSeries {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub unit: String,
    pub created_at: i64,
}

fn series(r: &AnyRow) -> Result<MetricSeries> {
    Ok(MetricSeries {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        unit: r.try_get("unit")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    pub async fn problems(&self, org_id: &str) -> Result<Vec<Problem>> {
        sqlx::query(&format!("SELECT {PROBLEM} FROM problems WHERE org_id = $1 ORDER BY created_at DESC, id DESC"))
            .bind(org_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(problem)
            .collect()
    }

    pub async fn problem(&self, id: &str) -> Result<Option<Problem>> {
        sqlx::query(&format!("SELECT {PROBLEM} FROM problems WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(problem)
            .transpose()
    }

    /// Problems whose resolution is this task or proposal (to mark them resolved when it is).
    pub async fn problems_resolved_by(&self, kind: &str, id: &str) -> Result<Vec<Problem>> {
        sqlx::query(&format!("SELECT {PROBLEM} FROM problems WHERE resolution_kind = $1 AND resolution_id = $2"))
            .bind(kind)
            .bind(id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(problem)
            .collect()
    }

    /// Problems with a linked task or proposal that are not resolved yet (the scheduler follows
    /// them), oldest first.
    pub async fn problems_awaiting_resolution(&self, limit: i64) -> Result<Vec<Problem>> {
        sqlx::query(&format!(
            "SELECT {PROBLEM} FROM problems WHERE resolution_id IS NOT NULL AND state <> 'resolved' ORDER BY created_at LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(problem)
        .collect()
    }

    pub async fn problem_comments(&self, problem_id: &str) -> Result<Vec<Post>> {
        sqlx::query(
            "SELECT id, author_id, body, created_at FROM problem_comments WHERE problem_id = $1 ORDER BY created_at, id",
        )
        .bind(problem_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(post)
        .collect()
    }

    /// One member's journal, newest first. There is no read of journal entries by anyone else.
    pub async fn journal(&self, member_id: &str) -> Result<Vec<JournalEntry>> {
        sqlx::query(
            "SELECT id, member_id, pain, reflection, published_doc_id, created_at, reflected_at FROM journal_entries
             WHERE member_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(member_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(journal_entry)
        .collect()
    }

    /// A journal entry, only if it is `member_id`'s.
    pub async fn journal_entry(&self, member_id: &str, id: &str) -> Result<Option<JournalEntry>> {
        sqlx::query(
            "SELECT id, member_id, pain, reflection, published_doc_id, created_at, reflected_at FROM journal_entries
             WHERE id = $1 AND member_id = $2",
        )
        .bind(id)
        .bind(member_id)
        .fetch_optional(self.reader())
        .await?
        .as_ref()
        .map(journal_entry)
        .transpose()
    }

    pub async fn ideas(&self, org_id: &str) -> Result<Vec<Idea>> {
        sqlx::query(&format!("SELECT {IDEA} FROM ideas WHERE org_id = $1 ORDER BY created_at DESC, id DESC"))
            .bind(org_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(idea)
            .collect()
    }

    pub async fn idea(&self, id: &str) -> Result<Option<Idea>> {
        sqlx::query(&format!("SELECT {IDEA} FROM ideas WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(idea)
            .transpose()
    }

    pub async fn idea_for_proposal(&self, proposal_id: &str) -> Result<Option<Idea>> {
        sqlx::query(&format!("SELECT {IDEA} FROM ideas WHERE proposal_id = $1"))
            .bind(proposal_id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(idea)
            .transpose()
    }

    pub async fn idea_comments(&self, idea_id: &str) -> Result<Vec<Post>> {
        sqlx::query(
            "SELECT id, author_id, body, created_at FROM idea_comments WHERE idea_id = $1 ORDER BY created_at, id",
        )
        .bind(idea_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(post)
        .collect()
    }

    /// Every helpfulness rating of one kind (`idea` or `comment`) in an organisation: the
    /// bridging model is fitted over all of them at once.
    pub async fn helpfulness(&self, org_id: &str, kind: &str) -> Result<Vec<HelpfulnessRow>> {
        sqlx::query(
            "SELECT target_id, rater_id, value FROM helpfulness WHERE org_id = $1 AND target_kind = $2
             ORDER BY target_id, rater_id",
        )
        .bind(org_id)
        .bind(kind)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| {
            Ok(HelpfulnessRow {
                target_id: r.try_get("target_id")?,
                rater_id: r.try_get("rater_id")?,
                halves: r.try_get("value")?,
            })
        })
        .collect()
    }

    pub async fn bridging(&self, org_id: &str, kind: &str) -> Result<Vec<Bridging>> {
        sqlx::query(
            "SELECT target_id, status, intercept, factor, ratings, updated_at FROM bridging
             WHERE org_id = $1 AND target_kind = $2",
        )
        .bind(org_id)
        .bind(kind)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| {
            Ok(Bridging {
                target_id: r.try_get("target_id")?,
                status: r.try_get("status")?,
                intercept: real(&r.try_get::<String, _>("intercept")?),
                factor: real(&r.try_get::<String, _>("factor")?),
                ratings: r.try_get("ratings")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
    }

    pub async fn conversations(&self, org_id: &str) -> Result<Vec<Conversation>> {
        sqlx::query(
            "SELECT id, org_id, proposal_id, topic, author_id, created_at FROM conversations WHERE org_id = $1
             ORDER BY created_at DESC, id DESC",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(conversation)
        .collect()
    }

    pub async fn conversation(&self, id: &str) -> Result<Option<Conversation>> {
        sqlx::query("SELECT id, org_id, proposal_id, topic, author_id, created_at FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(conversation)
            .transpose()
    }

    pub async fn conversation_for_proposal(&self, proposal_id: &str) -> Result<Option<Conversation>> {
        sqlx::query(
            "SELECT id, org_id, proposal_id, topic, author_id, created_at FROM conversations WHERE proposal_id = $1",
        )
        .bind(proposal_id)
        .fetch_optional(self.reader())
        .await?
        .as_ref()
        .map(conversation)
        .transpose()
    }

    /// Every statement of a conversation in every state (callers show only what the reader may see).
    pub async fn statements(&self, conversation_id: &str) -> Result<Vec<Statement>> {
        sqlx::query(&format!("SELECT {STATEMENT} FROM statements WHERE conversation_id = $1 ORDER BY number"))
            .bind(conversation_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(statement)
            .collect()
    }

    pub async fn statement(&self, id: &str) -> Result<Option<Statement>> {
        sqlx::query(&format!("SELECT {STATEMENT} FROM statements WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(statement)
            .transpose()
    }

    pub async fn statement_votes(&self, conversation_id: &str) -> Result<Vec<StatementVote>> {
        sqlx::query(
            "SELECT v.statement_id, v.member_id, v.vote, v.at FROM statement_votes v
             JOIN statements s ON s.id = v.statement_id WHERE s.conversation_id = $1 ORDER BY v.at, v.member_id",
        )
        .bind(conversation_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| {
            Ok(StatementVote {
                statement_id: r.try_get("statement_id")?,
                member_id: r.try_get("member_id")?,
                vote: r.try_get("vote")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
    }

    pub async fn metric_series(&self, org_id: &str) -> Result<Vec<MetricSeries>> {
        sqlx::query("SELECT id, org_id, name, unit, created_at FROM metric_series WHERE org_id = $1 ORDER BY name")
            .bind(org_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(series)
            .collect()
    }

    pub async fn metric_series_named(&self, org_id: &str, name: &str) -> Result<Option<MetricSeries>> {
        sqlx::query("SELECT id, org_id, name, unit, created_at FROM metric_series WHERE org_id = $1 AND name = $2")
            .bind(org_id)
            .bind(name)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(series)
            .transpose()
    }

    /// A series' points in `[from_ms, to_ms)`, oldest first.
    pub async fn metric_points(&self, series_id: &str, from_ms: i64, to_ms: i64) -> Result<Vec<(i64, f64)>> {
        sqlx::query("SELECT at, value FROM metric_points WHERE series_id = $1 AND at >= $2 AND at < $3 ORDER BY at")
            .bind(series_id)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("at")?, real(&r.try_get::<String, _>("value")?))))
            .collect()
    }
}

/// A proposal that closed, with its turnout: ballots cast against the electorate snapshotted
/// when voting opened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClosedProposal {
    pub id: String,
    pub title: String,
    pub closes_at: i64,
    pub ballots: i64,
    pub electorate: i64,
}

impl Store {
    /// When each ballot on an organisation's proposals was cast, in `[from_ms, to_ms)`.
    pub async fn ballot_times(&self, org_id: &str, from_ms: i64, to_ms: i64) -> Result<Vec<i64>> {
        sqlx::query(
            "SELECT b.cast_at FROM ballots b JOIN proposals p ON p.id = b.proposal_id
             WHERE p.org_id = $1 AND b.cast_at >= $2 AND b.cast_at < $3 ORDER BY b.cast_at",
        )
        .bind(org_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    /// Proposals of an organisation whose voting closed in `[from_ms, to_ms)`, oldest first.
    pub async fn closed_proposals(&self, org_id: &str, from_ms: i64, to_ms: i64) -> Result<Vec<ClosedProposal>> {
        sqlx::query(
            "SELECT p.id, p.title, p.voting_closes_at,
                CAST((SELECT COUNT(*) FROM ballots b WHERE b.proposal_id = p.id) AS BIGINT) AS ballots,
                CAST((SELECT COUNT(*) FROM weight_snapshots w WHERE w.proposal_id = p.id) AS BIGINT) AS electorate
             FROM proposals p WHERE p.org_id = $1 AND p.closed_at IS NOT NULL
                AND p.voting_closes_at >= $2 AND p.voting_closes_at < $3
             ORDER BY p.voting_closes_at, p.id",
        )
        .bind(org_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| {
            Ok(ClosedProposal {
                id: r.try_get(0)?,
                title: r.try_get(1)?,
                closes_at: r.try_get(2)?,
                ballots: r.try_get(3)?,
                electorate: r.try_get(4)?,
            })
        })
        .collect()
    }

    /// Tasks of an organisation that are done, with when they last moved and their impact
    /// `(task id, done at, impact sum, impact votes)`, done in `[from_ms, to_ms)`.
    pub async fn tasks_done(&self, org_id: &str, from_ms: i64, to_ms: i64) -> Result<Vec<(String, i64, i64, i64)>> {
        sqlx::query(
            "SELECT t.id, t.updated_at,
                CAST(COALESCE((SELECT SUM(i.score) FROM work_impact i WHERE i.task_id = t.id), 0) AS BIGINT),
                CAST((SELECT COUNT(*) FROM work_impact i WHERE i.task_id = t.id) AS BIGINT)
             FROM work_tasks t WHERE t.org_id = $1 AND t.status = 'done' AND t.updated_at >= $2 AND t.updated_at < $3
             ORDER BY t.updated_at",
        )
        .bind(org_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
    }

    /// The proposal a discussion comment belongs to and its author: `(proposal id, author id)`.
    pub async fn comment_proposal(&self, comment_id: &str) -> Result<Option<(String, String)>> {
        sqlx::query("SELECT proposal_id, author_id FROM comments WHERE id = $1")
            .bind(comment_id)
            .fetch_optional(self.reader())
            .await?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
    }
}

impl WriteTx {
    pub async fn log_problem(&mut self, p: &NewProblem) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO problems (id, org_id, author_id, title, what_happened, severity, responsible_id, team, domain,
                state, diagnosis, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', '', $10)",
        )
        .bind(&id)
        .bind(&p.org_id)
        .bind(self.actor().to_owned())
        .bind(&p.title)
        .bind(&p.what_happened)
        .bind(&p.severity)
        .bind(&p.responsible_id)
        .bind(&p.team)
        .bind(&p.domain)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "problem.log",
            &id,
            json!({ "org_id": p.org_id, "title": p.title, "severity": p.severity, "responsible": p.responsible_id, "team": p.team, "domain": p.domain }),
        )
        .await?;
        Ok(id)
    }

    pub async fn comment_problem(&mut self, problem_id: &str, body: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO problem_comments (id, problem_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(problem_id)
        .bind(self.actor().to_owned())
        .bind(body)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("problem.comment", problem_id, json!({ "id": id })).await?;
        Ok(id)
    }

    /// Records the diagnosis and root cause of a problem that is not resolved yet.
    pub async fn diagnose_problem(&mut self, id: &str, diagnosis: &str, root_cause_doc_id: Option<&str>) -> Result<()> {
        let r = sqlx::query(
            "UPDATE problems SET diagnosis = $1, root_cause_doc_id = $2, state = 'diagnosed' WHERE id = $3 AND state <> 'resolved'",
        )
        .bind(diagnosis)
        .bind(root_cause_doc_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if r.rows_affected() != 1 {
            return Err(StoreError::Rule("this problem is already resolved".into()));
        }
        self.audit("problem.diagnose", id, json!({ "root_cause": root_cause_doc_id })).await
    }

    /// Links the task or proposal that resolves a problem (once: a compare-and-set on its
    /// having none).
    pub async fn set_problem_resolution(&mut self, id: &str, kind: &str, resolution_id: &str) -> Result<()> {
        let r = sqlx::query(
            "UPDATE problems SET resolution_kind = $1, resolution_id = $2 WHERE id = $3 AND resolution_id IS NULL",
        )
        .bind(kind)
        .bind(resolution_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if r.rows_affected() != 1 {
            return Err(StoreError::Rule("this problem already has a resolution".into()));
        }
        self.audit("problem.resolution", id, json!({ "kind": kind, "id": resolution_id })).await
    }

    /// Marks a problem resolved (a compare-and-set: resolving twice is a conflict).
    pub async fn resolve_problem(&mut self, id: &str) -> Result<()> {
        let at = self.at_ms();
        let r = sqlx::query(
            "UPDATE problems SET state = 'resolved', resolved_at = $1 WHERE id = $2 AND state <> 'resolved'",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if r.rows_affected() != 1 {
            return Err(StoreError::Rule("this problem is already resolved".into()));
        }
        self.audit("problem.resolve", id, json!({})).await
    }

    pub async fn journal_add(&mut self, pain: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query("INSERT INTO journal_entries (id, member_id, pain, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(self.actor().to_owned())
            .bind(pain)
            .bind(self.at_ms())
            .execute(&mut *self.tx)
            .await?;
        self.audit("journal.add", &id, json!({})).await?;
        Ok(id)
    }

    /// Writes the reflection on one's own entry.
    pub async fn journal_reflect(&mut self, id: &str, reflection: &str) -> Result<()> {
        let r = sqlx::query(
            "UPDATE journal_entries SET reflection = $1, reflected_at = $2 WHERE id = $3 AND member_id = $4",
        )
        .bind(reflection)
        .bind(self.at_ms())
        .bind(id)
        .bind(self.actor().to_owned())
        .execute(&mut *self.tx)
        .await?;
        one_row(r, "journal entry")?;
        self.audit("journal.reflect", id, json!({})).await
    }

    pub async fn journal_published(&mut self, id: &str, doc_id: &str) -> Result<()> {
        let r = sqlx::query(
            "UPDATE journal_entries SET published_doc_id = $1 WHERE id = $2 AND member_id = $3 AND published_doc_id IS NULL",
        )
        .bind(doc_id)
        .bind(id)
        .bind(self.actor().to_owned())
        .execute(&mut *self.tx)
        .await?;
        if r.rows_affected() != 1 {
            return Err(StoreError::Rule("this reflection is already published".into()));
        }
        self.audit("journal.publish", id, json!({ "doc_id": doc_id })).await
    }

    pub async fn post_idea(&mut self, org_id: &str, title: &str, body: &str, domain: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO ideas (id, org_id, author_id, title, body, domain, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(self.actor().to_owned())
        .bind(title)
        .bind(body)
        .bind(domain)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("idea.post", &id, json!({ "org_id": org_id, "title": title, "domain": domain })).await?;
        Ok(id)
    }

    pub async fn comment_idea(&mut self, idea_id: &str, body: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query("INSERT INTO idea_comments (id, idea_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(idea_id)
            .bind(self.actor().to_owned())
            .bind(body)
            .bind(self.at_ms())
            .execute(&mut *self.tx)
            .await?;
        self.audit("idea.comment", idea_id, json!({ "id": id })).await?;
        Ok(id)
    }

    /// Links an idea to the draft proposal it became (once: a compare-and-set).
    pub async fn promote_idea(&mut self, idea_id: &str, proposal_id: &str) -> Result<()> {
        let r =
            sqlx::query("UPDATE ideas SET proposal_id = $1, promoted_at = $2 WHERE id = $3 AND proposal_id IS NULL")
                .bind(proposal_id)
                .bind(self.at_ms())
                .bind(idea_id)
                .execute(&mut *self.tx)
                .await?;
        if r.rows_affected() != 1 {
            return Err(StoreError::Rule("this idea is already a proposal".into()));
        }
        self.audit("idea.promote", idea_id, json!({ "proposal_id": proposal_id })).await
    }

    /// Sets (or changes) the caller's helpfulness rating of an idea or a comment.
    pub async fn rate_helpfulness(&mut self, org_id: &str, kind: &str, target_id: &str, halves: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO helpfulness (org_id, target_kind, target_id, rater_id, value, at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (target_kind, target_id, rater_id) DO UPDATE SET value = excluded.value, at = excluded.at",
        )
        .bind(org_id)
        .bind(kind)
        .bind(target_id)
        .bind(self.actor().to_owned())
        .bind(halves)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("helpfulness.rate", target_id, json!({ "kind": kind, "value": halves })).await
    }

    /// Stores the bridging fit's status of every item of one kind in an organisation.
    pub async fn set_bridging(&mut self, org_id: &str, kind: &str, rows: &[Bridging]) -> Result<()> {
        let at = self.at_ms();
        for b in rows {
            sqlx::query(
                "INSERT INTO bridging (org_id, target_kind, target_id, status, intercept, factor, ratings, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (target_kind, target_id) DO UPDATE SET status = excluded.status, intercept = excluded.intercept,
                    factor = excluded.factor, ratings = excluded.ratings, updated_at = excluded.updated_at",
            )
            .bind(org_id)
            .bind(kind)
            .bind(&b.target_id)
            .bind(&b.status)
            .bind(weight_text(b.intercept))
            .bind(weight_text(b.factor))
            .bind(b.ratings)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        }
        let changed: Vec<serde_json::Value> =
            rows.iter().map(|b| json!({ "id": b.target_id, "status": b.status })).collect();
        self.audit("bridging.score", org_id, json!({ "kind": kind, "items": changed })).await
    }

    pub async fn open_conversation(&mut self, org_id: &str, proposal_id: Option<&str>, topic: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO conversations (id, org_id, proposal_id, topic, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(proposal_id)
        .bind(topic)
        .bind(self.actor().to_owned())
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("conversation.open", &id, json!({ "org_id": org_id, "proposal_id": proposal_id, "topic": topic }))
            .await?;
        Ok(id)
    }

    /// Adds a statement with the next number of its conversation (two racing submissions: the
    /// unique number makes one of them a conflict the caller retries).
    pub async fn add_statement(&mut self, conversation_id: &str, body: &str, state: &str) -> Result<(String, i64)> {
        let next: i64 = sqlx::query(
            "SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) AS n FROM statements WHERE conversation_id = $1",
        )
        .bind(conversation_id)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("n")?;
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO statements (id, conversation_id, number, author_id, body, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(conversation_id)
        .bind(next)
        .bind(self.actor().to_owned())
        .bind(body)
        .bind(state)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("statement number"))?;
        self.audit("statement.add", &id, json!({ "conversation_id": conversation_id, "number": next, "state": state }))
            .await?;
        Ok((id, next))
    }

    /// Approves or rejects a pending statement (a compare-and-set on its being pending).
    pub async fn moderate_statement(&mut self, id: &str, state: &str, author_id: &str) -> Result<()> {
        let r = sqlx::query(
            "UPDATE statements SET state = $1, moderated_by = $2, moderated_at = $3 WHERE id = $4 AND state = 'pending'",
        )
        .bind(state)
        .bind(self.actor().to_owned())
        .bind(self.at_ms())
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if r.rows_affected() != 1 {
            return Err(StoreError::Rule("this statement was already moderated".into()));
        }
        self.audit("statement.moderate", id, json!({ "state": state, "author_id": author_id })).await
    }

    /// The caller's vote on a statement: one per member, changeable.
    pub async fn vote_statement(&mut self, statement_id: &str, vote: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO statement_votes (statement_id, member_id, vote, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (statement_id, member_id) DO UPDATE SET vote = excluded.vote, at = excluded.at",
        )
        .bind(statement_id)
        .bind(self.actor().to_owned())
        .bind(vote)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("statement.vote", statement_id, json!({ "vote": vote })).await
    }

    pub async fn create_metric_series(&mut self, org_id: &str, name: &str, unit: &str) -> Result<String> {
        let id = crate::new_id();
        sqlx::query("INSERT INTO metric_series (id, org_id, name, unit, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(org_id)
            .bind(name)
            .bind(unit)
            .bind(self.at_ms())
            .execute(&mut *self.tx)
            .await
            .map_err(conflict_as("a metric of this name"))?;
        self.audit("metric.create", &id, json!({ "org_id": org_id, "name": name, "unit": unit })).await?;
        Ok(id)
    }

    /// Adds points to a series; a point at an instant that already has one replaces it.
    pub async fn push_metric_points(&mut self, series_id: &str, points: &[(i64, f64)]) -> Result<()> {
        for (at, value) in points {
            sqlx::query(
                "INSERT INTO metric_points (series_id, at, value) VALUES ($1, $2, $3)
                 ON CONFLICT (series_id, at) DO UPDATE SET value = excluded.value",
            )
            .bind(series_id)
            .bind(at)
            .bind(weight_text(*value))
            .execute(&mut *self.tx)
            .await?;
        }
        self.audit("metric.push", series_id, json!({ "points": points.len() })).await
    }
}
