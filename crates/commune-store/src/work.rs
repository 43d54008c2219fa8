//! Work: projects, tasks (a status change is a compare-and-set on the status, so two members
//! racing to take one task give it to one), their history and comments, impact scores (one per
//! member and task), worklogs (paid once: a compare-and-set on the transfer), reviews (one per
//! task, by its primary key: the outcome is recorded once), capacities with stated
//! preferences, and the log of randomised choices with their propensities.

use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Project {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    /// The budget logged hours are paid from (with `hourly_rate_minor`), if any.
    pub budget_id: Option<String>,
    pub hourly_rate_minor: i64,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Task {
    pub id: String,
    pub project_id: String,
    pub org_id: String,
    pub title: String,
    pub description: String,
    pub domains: Vec<String>,
    pub effort_minutes: i64,
    pub points: i64,
    pub value_minor: i64,
    pub difficulty: i64,
    pub seats: i64,
    pub due_at: Option<i64>,
    /// `open`, `assigned`, `in_progress`, `review`, `done` or `dropped`.
    pub status: String,
    pub creator: String,
    pub doer_id: Option<String>,
    pub reviewer_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TaskEvent {
    pub actor: String,
    pub kind: String,
    pub detail: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TaskComment {
    pub id: String,
    pub author: String,
    pub body: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Worklog {
    pub id: String,
    pub task_id: String,
    pub org_id: String,
    pub member_id: String,
    pub minutes: i64,
    /// The day worked, as unix ms of its midnight UTC.
    pub day: i64,
    pub note: String,
    pub at: i64,
    pub paid_transfer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TaskReview {
    pub task_id: String,
    pub reviewer_id: String,
    pub doer_id: String,
    pub success: bool,
    pub quality: i64,
    pub on_time: bool,
    pub note: String,
    pub at: i64,
}

/// A reviewed outcome with what the skill model needs of its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOutcome {
    pub review: TaskReview,
    pub org_id: String,
    pub domains: Vec<String>,
    pub difficulty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkCapacity {
    pub member_id: String,
    pub minutes_per_week: i64,
    /// Task ids in order of preference (for the stable matching).
    pub preferences: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkChoice {
    pub plan_id: String,
    pub task_id: String,
    pub member_id: String,
    /// `thompson`, `stable` or `pick`.
    pub rule: String,
    /// Parts per million.
    pub propensity_ppm: i64,
    pub p_ppm: i64,
    pub why: String,
    pub at: i64,
}

/// What a task list shows.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter<'a> {
    pub org_id: &'a str,
    pub project_id: Option<&'a str>,
    pub status: Option<&'a str>,
    /// Doer or reviewer.
    pub member_id: Option<&'a str>,
    pub domain: Option<&'a str>,
}

pub struct NewTask<'a> {
    pub project_id: &'a str,
    pub org_id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub domains: &'a [String],
    pub effort_minutes: i64,
    pub points: i64,
    pub value_minor: i64,
    pub difficulty: i64,
    pub seats: i64,
    pub due_at: Option<i64>,
}

const TASK: &str = "id, project_id, org_id, title, description, domains, effort_minutes, points, value_minor, difficulty, seats, due_at, status, creator, doer_id, reviewer_id, created_at, updated_at, submitted_at";

fn task(r: &AnyRow) -> Result<Task> {
    let domains: String = r.try_get("domains")?;
    Ok(Task {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        org_id: r.try_get("org_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        domains: domains.split(',').filter(|d| !d.is_empty()).map(str::to_owned).collect(),
        effort_minutes: r.try_get("effort_minutes")?,
        points: r.try_get("points")?,
        value_minor: r.try_get("value_minor")?,
        difficulty: r.try_get("difficulty")?,
        seats: r.try_get("seats")?,
        due_at: r.try_get("due_at")?,
        status: r.try_get("status")?,
        creator: r.try_get("creator")?,
        doer_id: r.try_get("doer_id")?,
        reviewer_id: r.try_get("reviewer_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        submitted_at: r.try_get("submitted_at")?,
    })
}

const PROJECT: &str = "id, org_id, name, description, budget_id, hourly_rate_minor, created_by, created_at";

fn project(r: &AnyRow) -> Result<Project> {
    Ok(Project {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        budget_id: r.try_get("budget_id")?,
        hourly_rate_minor: r.try_get("hourly_rate_minor")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

const LOG: &str = "id, task_id, org_id, member_id, minutes, day, note, at, paid_transfer";

fn worklog(r: &AnyRow) -> Result<Worklog> {
    Ok(Worklog {
        id: r.try_get("id")?,
        task_id: r.try_get("task_id")?,
        org_id: r.try_get("org_id")?,
        member_id: r.try_get("member_id")?,
        minutes: r.try_get("minutes")?,
        day: r.try_get("day")?,
        note: r.try_get("note")?,
        at: r.try_get("at")?,
        paid_transfer: r.try_get("paid_transfer")?,
    })
}

fn review(r: &AnyRow) -> Result<TaskReview> {
    Ok(TaskReview {
        task_id: r.try_get("task_id")?,
        reviewer_id: r.try_get("reviewer_id")?,
        doer_id: r.try_get("doer_id")?,
        success: r.try_get::<i64, _>("success")? != 0,
        quality: r.try_get("quality")?,
        on_time: r.try_get::<i64, _>("on_time")? != 0,
        note: r.try_get("note")?,
        at: r.try_get("at")?,
    })
}

impl Store {
    pub async fn work_projects(&self, org_id: &str) -> Result<Vec<Project>> {
        let sql = format!("SELECT {PROJECT} FROM work_projects WHERE org_id = $1 ORDER BY created_at, id LIMIT 200");
        sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?.iter().map(project).collect()
    }

    pub async fn work_project(&self, id: &str) -> Result<Option<Project>> {
        let sql = format!("SELECT {PROJECT} FROM work_projects WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(project).transpose()
    }

    pub async fn work_task(&self, id: &str) -> Result<Option<Task>> {
        let sql = format!("SELECT {TASK} FROM work_tasks WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(task).transpose()
    }

    /// Tasks matching the filter, oldest first (at most 1,000).
    pub async fn work_tasks(&self, filter: &TaskFilter<'_>) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {TASK} FROM work_tasks WHERE org_id = $1
               AND ($2 = '' OR project_id = $2) AND ($3 = '' OR status = $3)
               AND ($4 = '' OR doer_id = $4 OR reviewer_id = $4)
               AND ($5 = '' OR (',' || domains || ',') LIKE ('%,' || $5 || ',%'))
             ORDER BY created_at, id LIMIT 1000"
        );
        sqlx::query(&sql)
            .bind(filter.org_id)
            .bind(filter.project_id.unwrap_or(""))
            .bind(filter.status.unwrap_or(""))
            .bind(filter.member_id.unwrap_or(""))
            .bind(filter.domain.unwrap_or(""))
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(task)
            .collect()
    }

    /// Every unfinished task a member does or reviews, in any organisation (at most 500).
    pub async fn work_of_member(&self, member_id: &str) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {TASK} FROM work_tasks WHERE (doer_id = $1 OR reviewer_id = $1) AND status NOT IN ('done', 'dropped')
             ORDER BY due_at IS NULL, due_at, created_at LIMIT 500"
        );
        sqlx::query(&sql).bind(member_id).fetch_all(self.reader()).await?.iter().map(task).collect()
    }

    pub async fn work_events(&self, task_id: &str) -> Result<Vec<TaskEvent>> {
        let rows =
            sqlx::query("SELECT actor, kind, detail, at FROM work_events WHERE task_id = $1 ORDER BY at, id LIMIT 500")
                .bind(task_id)
                .fetch_all(self.reader())
                .await?;
        rows.iter()
            .map(|r| {
                Ok(TaskEvent { actor: r.try_get(0)?, kind: r.try_get(1)?, detail: r.try_get(2)?, at: r.try_get(3)? })
            })
            .collect()
    }

    pub async fn work_comments(&self, task_id: &str) -> Result<Vec<TaskComment>> {
        let rows =
            sqlx::query("SELECT id, author, body, at FROM work_comments WHERE task_id = $1 ORDER BY at, id LIMIT 500")
                .bind(task_id)
                .fetch_all(self.reader())
                .await?;
        rows.iter()
            .map(|r| {
                Ok(TaskComment { id: r.try_get(0)?, author: r.try_get(1)?, body: r.try_get(2)?, at: r.try_get(3)? })
            })
            .collect()
    }

    /// Impact scores of an organisation's tasks: task id → (sum, votes).
    pub async fn work_impact(&self, org_id: &str) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT i.task_id, CAST(SUM(i.score) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM work_impact i JOIN work_tasks t ON t.id = i.task_id
             WHERE t.org_id = $1 GROUP BY i.task_id",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// One task's impact scores: (member id, score).
    pub async fn work_impact_votes(&self, task_id: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT member_id, score FROM work_impact WHERE task_id = $1 ORDER BY at LIMIT 1000")
            .bind(task_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    pub async fn worklogs_of_task(&self, task_id: &str) -> Result<Vec<Worklog>> {
        let sql = format!("SELECT {LOG} FROM work_logs WHERE task_id = $1 ORDER BY day, at LIMIT 1000");
        sqlx::query(&sql).bind(task_id).fetch_all(self.reader()).await?.iter().map(worklog).collect()
    }

    /// An organisation's worklogs with days in `[from, to)`, optionally of one project (at most
    /// 10,000, oldest first).
    pub async fn worklogs(&self, org_id: &str, project_id: Option<&str>, from: i64, to: i64) -> Result<Vec<Worklog>> {
        let sql = format!(
            "SELECT {} FROM work_logs l WHERE l.org_id = $1 AND l.day >= $2 AND l.day < $3
               AND ($4 = '' OR l.task_id IN (SELECT id FROM work_tasks WHERE project_id = $4))
             ORDER BY l.day, l.at LIMIT 10000",
            LOG.split(", ").map(|c| format!("l.{c}")).collect::<Vec<_>>().join(", ")
        );
        sqlx::query(&sql)
            .bind(org_id)
            .bind(from)
            .bind(to)
            .bind(project_id.unwrap_or(""))
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(worklog)
            .collect()
    }

    pub async fn work_review(&self, task_id: &str) -> Result<Option<TaskReview>> {
        sqlx::query("SELECT task_id, reviewer_id, doer_id, success, quality, on_time, note, at FROM work_reviews WHERE task_id = $1")
            .bind(task_id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(review)
            .transpose()
    }

    /// Every reviewed outcome on the instance (at most 100,000, oldest first).
    pub async fn work_outcomes(&self) -> Result<Vec<WorkOutcome>> {
        let rows = sqlx::query(
            "SELECT r.task_id, r.reviewer_id, r.doer_id, r.success, r.quality, r.on_time, r.note, r.at, t.org_id, t.domains, t.difficulty
             FROM work_reviews r JOIN work_tasks t ON t.id = r.task_id ORDER BY r.at, r.task_id LIMIT 100000",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let domains: String = r.try_get("domains")?;
                Ok(WorkOutcome {
                    review: review(r)?,
                    org_id: r.try_get("org_id")?,
                    domains: domains.split(',').filter(|d| !d.is_empty()).map(str::to_owned).collect(),
                    difficulty: r.try_get("difficulty")?,
                })
            })
            .collect()
    }

    pub async fn work_capacities(&self, org_id: &str) -> Result<Vec<WorkCapacity>> {
        let rows = sqlx::query(
            "SELECT member_id, minutes_per_week, preferences FROM work_capacity WHERE org_id = $1 ORDER BY member_id LIMIT 5000",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let prefs: String = r.try_get(2)?;
                Ok(WorkCapacity {
                    member_id: r.try_get(0)?,
                    minutes_per_week: r.try_get(1)?,
                    preferences: prefs.split(',').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
                })
            })
            .collect()
    }

    /// The latest randomised choices of an organisation (or of one member), newest first.
    pub async fn work_choices(&self, org_id: &str, member_id: Option<&str>) -> Result<Vec<WorkChoice>> {
        let rows = sqlx::query(
            "SELECT plan_id, task_id, member_id, rule, propensity_ppm, p_ppm, why, at FROM work_choices
             WHERE org_id = $1 AND ($2 = '' OR member_id = $2) ORDER BY at DESC, id LIMIT 500",
        )
        .bind(org_id)
        .bind(member_id.unwrap_or(""))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WorkChoice {
                    plan_id: r.try_get(0)?,
                    task_id: r.try_get(1)?,
                    member_id: r.try_get(2)?,
                    rule: r.try_get(3)?,
                    propensity_ppm: r.try_get(4)?,
                    p_ppm: r.try_get(5)?,
                    why: r.try_get(6)?,
                    at: r.try_get(7)?,
                })
            })
            .collect()
    }
}

impl WriteTx {
    async fn task_event(&mut self, task_id: &str, kind: &str, detail: &str) -> Result<()> {
        let at = self.at_ms();
        sqlx::query("INSERT INTO work_events (id, task_id, actor, kind, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(crate::new_id())
            .bind(task_id)
            .bind(self.actor().to_owned())
            .bind(kind)
            .bind(detail)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn create_work_project(
        &mut self,
        org_id: &str,
        name: &str,
        description: &str,
        budget_id: Option<&str>,
        hourly_rate_minor: i64,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO work_projects (id, org_id, name, description, budget_id, hourly_rate_minor, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(name)
        .bind(description)
        .bind(budget_id)
        .bind(hourly_rate_minor)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        let change =
            json!({ "org_id": org_id, "name": name, "budget_id": budget_id, "hourly_rate_minor": hourly_rate_minor });
        self.audit("project.create", &id, change).await?;
        Ok(id)
    }

    pub async fn create_task(&mut self, new: NewTask<'_>) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(&format!(
            "INSERT INTO work_tasks ({TASK}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, NULL, NULL, $14, $14, NULL)"
        ))
        .bind(&id)
        .bind(new.project_id)
        .bind(new.org_id)
        .bind(new.title)
        .bind(new.description)
        .bind(new.domains.join(","))
        .bind(new.effort_minutes)
        .bind(new.points)
        .bind(new.value_minor)
        .bind(new.difficulty)
        .bind(new.seats)
        .bind(new.due_at)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.task_event(&id, "created", new.title).await?;
        let change = json!({
            "org_id": new.org_id, "project_id": new.project_id, "title": new.title, "domains": new.domains,
            "effort_minutes": new.effort_minutes, "points": new.points, "value_minor": new.value_minor,
            "difficulty": new.difficulty, "seats": new.seats, "due_at": new.due_at,
        });
        self.audit("task.create", &id, change).await?;
        Ok(id)
    }

    /// Replaces a task's editable fields; false when it is finished (done or dropped) meanwhile.
    pub async fn update_task(&mut self, id: &str, new: NewTask<'_>) -> Result<bool> {
        let at = self.at_ms();
        let done = sqlx::query(
            "UPDATE work_tasks SET title = $1, description = $2, domains = $3, effort_minutes = $4, points = $5,
               value_minor = $6, difficulty = $7, seats = $8, due_at = $9, updated_at = $10
             WHERE id = $11 AND status NOT IN ('done', 'dropped')",
        )
        .bind(new.title)
        .bind(new.description)
        .bind(new.domains.join(","))
        .bind(new.effort_minutes)
        .bind(new.points)
        .bind(new.value_minor)
        .bind(new.difficulty)
        .bind(new.seats)
        .bind(new.due_at)
        .bind(at)
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            self.task_event(id, "edited", new.title).await?;
            let change = json!({ "title": new.title, "domains": new.domains, "effort_minutes": new.effort_minutes,
                "points": new.points, "value_minor": new.value_minor, "difficulty": new.difficulty, "seats": new.seats, "due_at": new.due_at });
            self.audit("task.update", id, change).await?;
        }
        Ok(done)
    }

    /// Moves a task `from` → `to` with its doer and reviewer as given; false when it was no
    /// longer `from` (someone else moved it first).
    pub async fn move_task(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        doer: Option<&str>,
        reviewer: Option<&str>,
        detail: &str,
    ) -> Result<bool> {
        let at = self.at_ms();
        let moved = sqlx::query(
            "UPDATE work_tasks SET status = $1, doer_id = $2, reviewer_id = $3, updated_at = $4,
               submitted_at = CASE WHEN $1 = 'review' THEN $4 ELSE submitted_at END
             WHERE id = $5 AND status = $6",
        )
        .bind(to)
        .bind(doer)
        .bind(reviewer)
        .bind(at)
        .bind(id)
        .bind(from)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if moved {
            let kind = if from == to { "changed".to_owned() } else { format!("{from} → {to}") };
            self.task_event(id, &kind, detail).await?;
            let change = json!({ "from": from, "to": to, "doer_id": doer, "reviewer_id": reviewer, "detail": detail });
            self.audit("task.move", id, change).await?;
        }
        Ok(moved)
    }

    pub async fn comment_task(&mut self, task_id: &str, body: &str) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query("INSERT INTO work_comments (id, task_id, author, body, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(task_id)
            .bind(self.actor().to_owned())
            .bind(body)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.audit("task.comment", task_id, json!({ "comment_id": id, "chars": body.chars().count() })).await?;
        Ok(id)
    }

    /// Sets (or changes) the actor's impact score of a task.
    pub async fn score_impact(&mut self, task_id: &str, member_id: &str, score: i64) -> Result<()> {
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO work_impact (task_id, member_id, score, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (task_id, member_id) DO UPDATE SET score = excluded.score, at = excluded.at",
        )
        .bind(task_id)
        .bind(member_id)
        .bind(score)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("task.impact", task_id, json!({ "member_id": member_id, "score": score })).await
    }

    pub async fn log_work(
        &mut self,
        task_id: &str,
        org_id: &str,
        member_id: &str,
        minutes: i64,
        day: i64,
        note: &str,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(&format!("INSERT INTO work_logs ({LOG}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"))
            .bind(&id)
            .bind(task_id)
            .bind(org_id)
            .bind(member_id)
            .bind(minutes)
            .bind(day)
            .bind(note)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.task_event(task_id, "logged", &format!("{minutes} min")).await?;
        self.audit(
            "worklog.create",
            &id,
            json!({ "task_id": task_id, "member_id": member_id, "minutes": minutes, "day": day }),
        )
        .await?;
        Ok(id)
    }

    /// Marks worklogs paid by a transfer; the ids that were still unpaid (the others were paid
    /// by someone else first).
    pub async fn mark_worklogs_paid(&mut self, ids: &[String], transfer: &str) -> Result<Vec<String>> {
        let mut marked = Vec::new();
        for id in ids {
            let done = sqlx::query("UPDATE work_logs SET paid_transfer = $1 WHERE id = $2 AND paid_transfer IS NULL")
                .bind(transfer)
                .bind(id)
                .execute(&mut *self.tx)
                .await?
                .rows_affected()
                == 1;
            if done {
                marked.push(id.clone());
            }
        }
        self.audit("worklog.pay", transfer, json!({ "worklogs": marked })).await?;
        Ok(marked)
    }

    /// Records a task's outcome; an error (conflict) when it already has one.
    pub async fn record_review(&mut self, r: &TaskReview) -> Result<()> {
        sqlx::query(
            "INSERT INTO work_reviews (task_id, reviewer_id, doer_id, success, quality, on_time, note, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&r.task_id)
        .bind(&r.reviewer_id)
        .bind(&r.doer_id)
        .bind(i64::from(r.success))
        .bind(r.quality)
        .bind(i64::from(r.on_time))
        .bind(&r.note)
        .bind(r.at)
        .execute(&mut *self.tx)
        .await?;
        let detail = format!(
            "{}, quality {}/5{}",
            if r.success { "success" } else { "not a success" },
            r.quality,
            if r.on_time { "" } else { ", late" }
        );
        self.task_event(&r.task_id, "reviewed", &detail).await?;
        let change = json!({ "doer_id": r.doer_id, "success": r.success, "quality": r.quality, "on_time": r.on_time });
        self.audit("task.review", &r.task_id, change).await
    }

    pub async fn set_capacity(
        &mut self,
        org_id: &str,
        member_id: &str,
        minutes_per_week: i64,
        preferences: &[String],
    ) -> Result<()> {
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO work_capacity (org_id, member_id, minutes_per_week, preferences, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_id, member_id) DO UPDATE SET minutes_per_week = excluded.minutes_per_week,
               preferences = excluded.preferences, updated_at = excluded.updated_at",
        )
        .bind(org_id)
        .bind(member_id)
        .bind(minutes_per_week)
        .bind(preferences.join(","))
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        let change = json!({ "org_id": org_id, "minutes_per_week": minutes_per_week, "preferences": preferences });
        self.audit("work.capacity", member_id, change).await
    }

    /// Logs the choices of one plan (each with its propensity).
    pub async fn record_choices(&mut self, org_id: &str, plan_id: &str, choices: &[WorkChoice]) -> Result<()> {
        for c in choices {
            sqlx::query(
                "INSERT INTO work_choices (id, plan_id, org_id, task_id, member_id, rule, propensity_ppm, p_ppm, why, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(crate::new_id())
            .bind(plan_id)
            .bind(org_id)
            .bind(&c.task_id)
            .bind(&c.member_id)
            .bind(&c.rule)
            .bind(c.propensity_ppm)
            .bind(c.p_ppm)
            .bind(&c.why)
            .bind(c.at)
            .execute(&mut *self.tx)
            .await?;
        }
        let pairs: Vec<_> = choices.iter().map(|c| json!([c.task_id, c.member_id, c.propensity_ppm])).collect();
        self.audit("work.plan", plan_id, json!({ "org_id": org_id, "choices": pairs })).await
    }
}
