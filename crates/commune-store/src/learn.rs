//! Learning: the library (a document's current text lives on its row; every merged revision is
//! a numbered row, a suggested one waits unnumbered; merging is a compare-and-set on the
//! document's revision number, so two merges racing on one base give one), full-text search
//! (FTS5 on SQLite, a GIN expression index on PostgreSQL, behind [`Store::search_docs`]),
//! courses, exercises, attempts and their peer reviews (one per reviewer; grading is a
//! compare-and-set), review cards with each member's schedule (a review is a compare-and-set on
//! the card's repetition count), forecasting questions and forecasts, study circles.

use crate::{Backend, Result, Store, StoreError, WriteTx, conflict_as};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

fn list(raw: &str) -> Vec<String> {
    raw.split(',').filter(|d| !d.is_empty()).map(str::to_owned).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Doc {
    pub id: String,
    pub org_id: String,
    /// `lesson` or `principle`.
    pub kind: String,
    pub title: String,
    pub body: String,
    pub examples: String,
    pub counter_examples: String,
    pub domains: Vec<String>,
    pub tags: Vec<String>,
    /// False while a private draft (only its author sees it).
    pub published: bool,
    pub author_id: String,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const DOC: &str = "id, org_id, kind, title, body, examples, counter_examples, domains, tags, published, author_id, revision, created_at, updated_at";

fn doc(r: &AnyRow) -> Result<Doc> {
    Ok(Doc {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        examples: r.try_get("examples")?,
        counter_examples: r.try_get("counter_examples")?,
        domains: list(&r.try_get::<String, _>("domains")?),
        tags: list(&r.try_get::<String, _>("tags")?),
        published: r.try_get::<i64, _>("published")? != 0,
        author_id: r.try_get("author_id")?,
        revision: r.try_get("revision")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Revision {
    pub id: String,
    pub doc_id: String,
    /// The revision's number once merged.
    pub number: Option<i64>,
    /// The revision it was written against.
    pub base: i64,
    pub title: String,
    pub body: String,
    pub examples: String,
    pub counter_examples: String,
    pub author_id: String,
    pub note: String,
    /// `merged`, `pending`, `voting` or `rejected`.
    pub status: String,
    pub proposal_id: Option<String>,
    pub decided_by: Option<String>,
    pub at: i64,
    pub decided_at: Option<i64>,
}

const REVISION: &str = "id, doc_id, number, base, title, body, examples, counter_examples, author_id, note, status, proposal_id, decided_by, at, decided_at";

fn revision(r: &AnyRow) -> Result<Revision> {
    Ok(Revision {
        id: r.try_get("id")?,
        doc_id: r.try_get("doc_id")?,
        number: r.try_get("number")?,
        base: r.try_get("base")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        examples: r.try_get("examples")?,
        counter_examples: r.try_get("counter_examples")?,
        author_id: r.try_get("author_id")?,
        note: r.try_get("note")?,
        status: r.try_get("status")?,
        proposal_id: r.try_get("proposal_id")?,
        decided_by: r.try_get("decided_by")?,
        at: r.try_get("at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Citation {
    pub id: String,
    pub doc_id: String,
    /// `proposal`, `task` or `meeting`.
    pub source_kind: String,
    pub source_id: String,
    pub member_id: String,
    pub note: String,
    pub at: i64,
}

fn citation(r: &AnyRow) -> Result<Citation> {
    Ok(Citation {
        id: r.try_get("id")?,
        doc_id: r.try_get("doc_id")?,
        source_kind: r.try_get("source_kind")?,
        source_id: r.try_get("source_id")?,
        member_id: r.try_get("member_id")?,
        note: r.try_get("note")?,
        at: r.try_get("at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocRating {
    pub member_id: String,
    pub attribute_id: String,
    pub score: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Course {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub summary: String,
    /// Lesson ids in order.
    pub lessons: Vec<String>,
    pub author_id: String,
    pub created_at: i64,
}

fn course(r: &AnyRow) -> Result<Course> {
    Ok(Course {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        title: r.try_get("title")?,
        summary: r.try_get("summary")?,
        lessons: list(&r.try_get::<String, _>("lessons")?),
        author_id: r.try_get("author_id")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExerciseRow {
    pub id: String,
    pub course_id: String,
    pub doc_id: Option<String>,
    pub position: i64,
    pub skill: String,
    pub prompt: String,
    /// The exercise as JSON (its kind, choices or answer; the answer is never shown).
    #[serde(skip)]
    pub spec: String,
    pub author_id: String,
    pub created_at: i64,
}

fn exercise(r: &AnyRow) -> Result<ExerciseRow> {
    Ok(ExerciseRow {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        doc_id: r.try_get("doc_id")?,
        position: r.try_get("position")?,
        skill: r.try_get("skill")?,
        prompt: r.try_get("prompt")?,
        spec: r.try_get("spec")?,
        author_id: r.try_get("author_id")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attempt {
    pub id: String,
    pub exercise_id: String,
    pub org_id: String,
    pub member_id: String,
    pub skill: String,
    pub answer: String,
    /// None while a free-text answer waits for its reviewers.
    pub correct: Option<bool>,
    pub at: i64,
    pub graded_at: Option<i64>,
}

const ATTEMPT: &str = "id, exercise_id, org_id, member_id, skill, answer, correct, at, graded_at";

fn attempt(r: &AnyRow) -> Result<Attempt> {
    Ok(Attempt {
        id: r.try_get("id")?,
        exercise_id: r.try_get("exercise_id")?,
        org_id: r.try_get("org_id")?,
        member_id: r.try_get("member_id")?,
        skill: r.try_get("skill")?,
        answer: r.try_get("answer")?,
        correct: r.try_get::<Option<i64>, _>("correct")?.map(|c| c != 0),
        at: r.try_get("at")?,
        graded_at: r.try_get("graded_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CardRow {
    pub id: String,
    pub doc_id: String,
    pub kind: String,
    pub front: String,
    pub back: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CardState {
    pub card_id: String,
    pub stability_micro: Option<i64>,
    pub difficulty_micro: Option<i64>,
    pub last_day: Option<i64>,
    pub due_day: i64,
    pub reps: i64,
    pub lapses: i64,
}

/// A card in a member's deck with its document's title.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeckCard {
    pub card: CardRow,
    pub state: CardState,
    pub doc_title: String,
}

fn deck_card(r: &AnyRow) -> Result<DeckCard> {
    Ok(DeckCard {
        card: CardRow {
            id: r.try_get("id")?,
            doc_id: r.try_get("doc_id")?,
            kind: r.try_get("kind")?,
            front: r.try_get("front")?,
            back: r.try_get("back")?,
        },
        state: CardState {
            card_id: r.try_get("id")?,
            stability_micro: r.try_get("stability_micro")?,
            difficulty_micro: r.try_get("difficulty_micro")?,
            last_day: r.try_get("last_day")?,
            due_day: r.try_get("due_day")?,
            reps: r.try_get("reps")?,
            lapses: r.try_get("lapses")?,
        },
        doc_title: r.try_get("title")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LearnSettings {
    pub retention_permille: i64,
    /// Fitted FSRS-6 parameters (JSON array), once there were enough reviews.
    pub parameters: Option<String>,
    pub fitted_reviews: i64,
    pub fitted_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Question {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub criteria: String,
    /// `binary`, `numeric` or `choice`.
    pub kind: String,
    pub options: Vec<String>,
    /// For numeric questions: `{low, high, bins}`; the options are its bins.
    pub domain: String,
    pub close_at: i64,
    pub author_id: String,
    /// `open`, `resolved`, `disputed` or `annulled` (closed is `open` past `close_at`).
    pub status: String,
    pub outcome: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub proposal_id: Option<String>,
    pub created_at: i64,
}

const QUESTION: &str = "id, org_id, title, criteria, kind, options, domain, close_at, author_id, status, outcome, resolved_by, resolved_at, proposal_id, created_at";

fn question(r: &AnyRow) -> Result<Question> {
    let options: String = r.try_get("options")?;
    Ok(Question {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        title: r.try_get("title")?,
        criteria: r.try_get("criteria")?,
        kind: r.try_get("kind")?,
        options: serde_json::from_str(&options).map_err(|e| StoreError::Corrupt(format!("question options: {e}")))?,
        domain: r.try_get("domain")?,
        close_at: r.try_get("close_at")?,
        author_id: r.try_get("author_id")?,
        status: r.try_get("status")?,
        outcome: r.try_get("outcome")?,
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: r.try_get("resolved_at")?,
        proposal_id: r.try_get("proposal_id")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ForecastRow {
    pub question_id: String,
    pub member_id: String,
    /// One probability per option.
    pub probs: Vec<f64>,
    pub at: i64,
}

fn forecast(r: &AnyRow) -> Result<ForecastRow> {
    let raw: String = r.try_get("probs")?;
    let probs = raw
        .split(',')
        .map(|p| p.parse::<i64>().map(|ppm| ppm as f64 / 1e6))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Corrupt(format!("forecast: {e}")))?;
    Ok(ForecastRow {
        question_id: r.try_get("question_id")?,
        member_id: r.try_get("member_id")?,
        probs,
        at: r.try_get("at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Circle {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub course_id: String,
    pub schedule: String,
    pub created_by: String,
    pub created_at: i64,
}

fn circle(r: &AnyRow) -> Result<Circle> {
    Ok(Circle {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        course_id: r.try_get("course_id")?,
        schedule: r.try_get("schedule")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CirclePost {
    pub id: String,
    pub doc_id: String,
    pub author_id: String,
    pub body: String,
    pub at: i64,
}

/// A document's text as the store writes it.
pub struct DocText<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub examples: &'a str,
    pub counter_examples: &'a str,
}

/// A review card's text as the store writes it.
pub struct NewCard<'a> {
    pub kind: &'a str,
    pub front: &'a str,
    pub back: &'a str,
}

/// Search terms as FTS5 phrases (each quoted, so no query syntax leaks through), joined by AND.
fn fts5_query(q: &str) -> String {
    q.split_whitespace().take(12).map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

impl Store {
    pub async fn learn_docs(&self, org_id: &str, viewer: &str) -> Result<Vec<Doc>> {
        let sql = format!(
            "SELECT {DOC} FROM learn_docs WHERE org_id = $1 AND (published = 1 OR author_id = $2) ORDER BY kind, title LIMIT 500"
        );
        sqlx::query(&sql).bind(org_id).bind(viewer).fetch_all(self.reader()).await?.iter().map(doc).collect()
    }

    pub async fn learn_doc(&self, id: &str) -> Result<Option<Doc>> {
        let sql = format!("SELECT {DOC} FROM learn_docs WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(doc).transpose()
    }

    /// Published documents of `org_id` whose title or body matches every word of `q`, best first
    /// (FTS5's bm25 on SQLite; `ts_rank` over an English `tsvector` on PostgreSQL).
    pub async fn search_docs(&self, org_id: &str, q: &str) -> Result<Vec<Doc>> {
        let cols = DOC.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
        let rows = match self.backend() {
            Backend::Sqlite => {
                let terms = fts5_query(q);
                if terms.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT {cols} FROM learn_fts f JOIN learn_docs d ON d.id = f.doc_id
                     WHERE learn_fts MATCH $1 AND d.org_id = $2 AND d.published = 1 ORDER BY f.rank LIMIT 50"
                );
                sqlx::query(&sql).bind(terms).bind(org_id).fetch_all(self.reader()).await?
            }
            Backend::Postgres => {
                let sql = format!(
                    "SELECT {cols} FROM learn_docs d
                     WHERE d.org_id = $2 AND d.published = 1
                       AND to_tsvector('english', d.title || ' ' || d.body || ' ' || d.examples) @@ plainto_tsquery('english', $1)
                     ORDER BY ts_rank(to_tsvector('english', d.title || ' ' || d.body || ' ' || d.examples), plainto_tsquery('english', $1)) DESC
                     LIMIT 50"
                );
                sqlx::query(&sql).bind(q).bind(org_id).fetch_all(self.reader()).await?
            }
        };
        rows.iter().map(doc).collect()
    }

    pub async fn learn_revisions(&self, doc_id: &str) -> Result<Vec<Revision>> {
        let sql = format!("SELECT {REVISION} FROM learn_revisions WHERE doc_id = $1 ORDER BY at, id");
        sqlx::query(&sql).bind(doc_id).fetch_all(self.reader()).await?.iter().map(revision).collect()
    }

    pub async fn learn_revision(&self, id: &str) -> Result<Option<Revision>> {
        let sql = format!("SELECT {REVISION} FROM learn_revisions WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(revision).transpose()
    }

    pub async fn revisions_awaiting_votes(&self) -> Result<Vec<Revision>> {
        let sql = format!("SELECT {REVISION} FROM learn_revisions WHERE status = 'voting' ORDER BY at LIMIT 500");
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(revision).collect()
    }

    /// Documents `doc_id` links to and documents linking to it: (id, title) each.
    pub async fn learn_links(&self, doc_id: &str) -> Result<(Vec<(String, String)>, Vec<(String, String)>)> {
        let to = sqlx::query(
            "SELECT d.id, d.title FROM learn_links l JOIN learn_docs d ON d.id = l.target_id WHERE l.doc_id = $1 ORDER BY d.title",
        )
        .bind(doc_id)
        .fetch_all(self.reader())
        .await?;
        let from = sqlx::query(
            "SELECT d.id, d.title FROM learn_links l JOIN learn_docs d ON d.id = l.doc_id WHERE l.target_id = $1 ORDER BY d.title",
        )
        .bind(doc_id)
        .fetch_all(self.reader())
        .await?;
        let pair = |r: &AnyRow| -> Result<(String, String)> { Ok((r.try_get(0)?, r.try_get(1)?)) };
        Ok((to.iter().map(pair).collect::<Result<_>>()?, from.iter().map(pair).collect::<Result<_>>()?))
    }

    pub async fn learn_citations(&self, doc_id: &str) -> Result<Vec<Citation>> {
        sqlx::query("SELECT id, doc_id, source_kind, source_id, member_id, note, at FROM learn_citations WHERE doc_id = $1 ORDER BY at")
            .bind(doc_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(citation)
            .collect()
    }

    /// The principles and lessons cited from a proposal, task or meeting.
    pub async fn citations_from(&self, source_id: &str) -> Result<Vec<(Citation, String)>> {
        let rows = sqlx::query(
            "SELECT c.id, c.doc_id, c.source_kind, c.source_id, c.member_id, c.note, c.at, d.title
               FROM learn_citations c JOIN learn_docs d ON d.id = c.doc_id WHERE c.source_id = $1 ORDER BY c.at",
        )
        .bind(source_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((citation(r)?, r.try_get("title")?))).collect()
    }

    pub async fn learn_ratings(&self, doc_id: &str) -> Result<Vec<DocRating>> {
        let rows = sqlx::query("SELECT member_id, attribute_id, score FROM learn_ratings WHERE doc_id = $1")
            .bind(doc_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok(DocRating { member_id: r.try_get(0)?, attribute_id: r.try_get(1)?, score: r.try_get(2)? }))
            .collect()
    }

    pub async fn learn_courses(&self, org_id: &str) -> Result<Vec<Course>> {
        sqlx::query("SELECT id, org_id, title, summary, lessons, author_id, created_at FROM learn_courses WHERE org_id = $1 ORDER BY created_at LIMIT 200")
            .bind(org_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(course)
            .collect()
    }

    pub async fn learn_course(&self, id: &str) -> Result<Option<Course>> {
        sqlx::query(
            "SELECT id, org_id, title, summary, lessons, author_id, created_at FROM learn_courses WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .as_ref()
        .map(course)
        .transpose()
    }

    pub async fn learn_exercises(&self, course_id: &str) -> Result<Vec<ExerciseRow>> {
        sqlx::query("SELECT id, course_id, doc_id, position, skill, prompt, spec, author_id, created_at FROM learn_exercises WHERE course_id = $1 ORDER BY position, created_at")
            .bind(course_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(exercise)
            .collect()
    }

    pub async fn learn_exercise(&self, id: &str) -> Result<Option<ExerciseRow>> {
        sqlx::query("SELECT id, course_id, doc_id, position, skill, prompt, spec, author_id, created_at FROM learn_exercises WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(exercise)
            .transpose()
    }

    pub async fn learn_attempt(&self, id: &str) -> Result<Option<Attempt>> {
        let sql = format!("SELECT {ATTEMPT} FROM learn_attempts WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(attempt).transpose()
    }

    /// A member's attempts, oldest first (at most 2,000).
    pub async fn learn_attempts_of(&self, member_id: &str) -> Result<Vec<Attempt>> {
        let sql = format!("SELECT {ATTEMPT} FROM learn_attempts WHERE member_id = $1 ORDER BY at, id LIMIT 2000");
        sqlx::query(&sql).bind(member_id).fetch_all(self.reader()).await?.iter().map(attempt).collect()
    }

    /// Graded attempts of an organisation, oldest first (the skill model's outcomes).
    pub async fn learn_outcomes(&self, org_id: &str) -> Result<Vec<Attempt>> {
        let sql = format!(
            "SELECT {ATTEMPT} FROM learn_attempts WHERE org_id = $1 AND correct IS NOT NULL ORDER BY at, id LIMIT 20000"
        );
        sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?.iter().map(attempt).collect()
    }

    /// Free-text answers of `org_id` waiting for reviewers that `reviewer` may review (not their
    /// own, not already reviewed by them).
    pub async fn attempts_to_review(&self, org_id: &str, reviewer: &str) -> Result<Vec<Attempt>> {
        let cols = ATTEMPT.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {cols} FROM learn_attempts a WHERE a.org_id = $1 AND a.graded_at IS NULL AND a.member_id <> $2
               AND NOT EXISTS (SELECT 1 FROM learn_attempt_reviews r WHERE r.attempt_id = a.id AND r.reviewer_id = $2)
             ORDER BY a.at LIMIT 100"
        );
        sqlx::query(&sql).bind(org_id).bind(reviewer).fetch_all(self.reader()).await?.iter().map(attempt).collect()
    }

    /// The pass/fail of an attempt's reviews so far, in order.
    pub async fn attempt_reviews(&self, attempt_id: &str) -> Result<Vec<(String, bool)>> {
        let rows = sqlx::query(
            "SELECT reviewer_id, pass FROM learn_attempt_reviews WHERE attempt_id = $1 ORDER BY at, reviewer_id",
        )
        .bind(attempt_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? != 0))).collect()
    }

    pub async fn learn_cards_of(&self, doc_id: &str) -> Result<Vec<CardRow>> {
        let rows = sqlx::query(
            "SELECT id, doc_id, kind, front, back FROM learn_cards WHERE doc_id = $1 AND retired = 0 ORDER BY id",
        )
        .bind(doc_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CardRow {
                    id: r.try_get(0)?,
                    doc_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    front: r.try_get(3)?,
                    back: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// A member's deck: cards due on or before `day` first (`due_only`), else all.
    pub async fn deck(&self, member_id: &str, day: i64, due_only: bool) -> Result<Vec<DeckCard>> {
        let sql = "SELECT c.id, c.doc_id, c.kind, c.front, c.back, s.stability_micro, s.difficulty_micro, s.last_day,
                          s.due_day, s.reps, s.lapses, d.title
                     FROM learn_card_states s JOIN learn_cards c ON c.id = s.card_id JOIN learn_docs d ON d.id = c.doc_id
                    WHERE s.member_id = $1 AND c.retired = 0 AND ($2 = 0 OR s.due_day <= $3)
                    ORDER BY s.due_day, c.id LIMIT 1000";
        sqlx::query(sql)
            .bind(member_id)
            .bind(i64::from(due_only))
            .bind(day)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(deck_card)
            .collect()
    }

    /// One card of a member's deck.
    pub async fn deck_card(&self, member_id: &str, card_id: &str) -> Result<Option<DeckCard>> {
        let sql = "SELECT c.id, c.doc_id, c.kind, c.front, c.back, s.stability_micro, s.difficulty_micro, s.last_day,
                          s.due_day, s.reps, s.lapses, d.title
                     FROM learn_card_states s JOIN learn_cards c ON c.id = s.card_id JOIN learn_docs d ON d.id = c.doc_id
                    WHERE s.member_id = $1 AND s.card_id = $2 AND c.retired = 0";
        sqlx::query(sql)
            .bind(member_id)
            .bind(card_id)
            .fetch_optional(self.reader())
            .await?
            .as_ref()
            .map(deck_card)
            .transpose()
    }

    /// How many cards a member's deck holds.
    pub async fn deck_size(&self, member_id: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM learn_card_states s JOIN learn_cards c ON c.id = s.card_id
              WHERE s.member_id = $1 AND c.retired = 0",
        )
        .bind(member_id)
        .fetch_one(self.reader())
        .await?;
        Ok(row.try_get(0)?)
    }

    /// How many reviews a member made on or after `since_day`.
    pub async fn review_count(&self, member_id: &str, since_day: i64) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM learn_reviews WHERE member_id = $1 AND day >= $2")
            .bind(member_id)
            .bind(since_day)
            .fetch_one(self.reader())
            .await?;
        Ok(row.try_get(0)?)
    }

    /// A member's whole review log: (card, rating, day), each card's in order.
    pub async fn review_log(&self, member_id: &str) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT card_id, rating, day FROM learn_reviews WHERE member_id = $1 ORDER BY card_id, at, id LIMIT 100000",
        )
        .bind(member_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    pub async fn learn_settings(&self, member_id: &str) -> Result<Option<LearnSettings>> {
        let row = sqlx::query(
            "SELECT retention_permille, parameters, fitted_reviews, fitted_at FROM learn_settings WHERE member_id = $1",
        )
        .bind(member_id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok(LearnSettings {
                retention_permille: r.try_get(0)?,
                parameters: r.try_get(1)?,
                fitted_reviews: r.try_get(2)?,
                fitted_at: r.try_get(3)?,
            })
        })
        .transpose()
    }

    pub async fn questions(&self, org_id: &str) -> Result<Vec<Question>> {
        let sql =
            format!("SELECT {QUESTION} FROM forecast_questions WHERE org_id = $1 ORDER BY close_at DESC LIMIT 500");
        sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?.iter().map(question).collect()
    }

    pub async fn question(&self, id: &str) -> Result<Option<Question>> {
        let sql = format!("SELECT {QUESTION} FROM forecast_questions WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(question).transpose()
    }

    pub async fn questions_awaiting_votes(&self) -> Result<Vec<Question>> {
        let sql = format!(
            "SELECT {QUESTION} FROM forecast_questions WHERE status = 'disputed' ORDER BY created_at LIMIT 500"
        );
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(question).collect()
    }

    /// Every forecast on a question (updates included), oldest first.
    pub async fn forecasts(&self, question_id: &str) -> Result<Vec<ForecastRow>> {
        sqlx::query("SELECT question_id, member_id, probs, at FROM forecasts WHERE question_id = $1 ORDER BY at, id")
            .bind(question_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(forecast)
            .collect()
    }

    /// Every forecast on the resolved questions of an organisation, oldest first, with each
    /// question (the track records' input).
    pub async fn resolved_forecasts(&self, org_id: &str) -> Result<Vec<ForecastRow>> {
        sqlx::query(
            "SELECT f.question_id, f.member_id, f.probs, f.at FROM forecasts f JOIN forecast_questions q ON q.id = f.question_id
              WHERE q.org_id = $1 AND q.status = 'resolved' ORDER BY f.at, f.id LIMIT 100000",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(forecast)
        .collect()
    }

    pub async fn circles(&self, org_id: &str) -> Result<Vec<Circle>> {
        sqlx::query("SELECT id, org_id, name, course_id, schedule, created_by, created_at FROM learn_circles WHERE org_id = $1 ORDER BY created_at")
            .bind(org_id)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(circle)
            .collect()
    }

    pub async fn circle(&self, id: &str) -> Result<Option<Circle>> {
        sqlx::query(
            "SELECT id, org_id, name, course_id, schedule, created_by, created_at FROM learn_circles WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .as_ref()
        .map(circle)
        .transpose()
    }

    pub async fn circle_members(&self, circle_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT member_id FROM learn_circle_members WHERE circle_id = $1 ORDER BY joined_at")
            .bind(circle_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn circle_posts(&self, circle_id: &str) -> Result<Vec<CirclePost>> {
        let rows = sqlx::query("SELECT id, doc_id, author_id, body, at FROM learn_circle_posts WHERE circle_id = $1 ORDER BY at, id LIMIT 1000")
            .bind(circle_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CirclePost {
                    id: r.try_get(0)?,
                    doc_id: r.try_get(1)?,
                    author_id: r.try_get(2)?,
                    body: r.try_get(3)?,
                    at: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn prerequisites(&self, task_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT skill FROM work_prerequisites WHERE task_id = $1 ORDER BY skill")
            .bind(task_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
}

impl WriteTx {
    async fn revision_author(&mut self, revision_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT author_id FROM learn_revisions WHERE id = $1")
            .bind(revision_id)
            .fetch_optional(&mut *self.tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    async fn index_doc(&mut self, id: &str, text: &DocText<'_>, links: &[String], cards: &[NewCard<'_>]) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("DELETE FROM learn_fts WHERE doc_id = $1").bind(id).execute(&mut *self.tx).await?;
            sqlx::query("INSERT INTO learn_fts (doc_id, title, body) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(text.title)
                .bind(format!("{}\n{}\n{}", text.body, text.examples, text.counter_examples))
                .execute(&mut *self.tx)
                .await?;
        }
        sqlx::query("DELETE FROM learn_links WHERE doc_id = $1").bind(id).execute(&mut *self.tx).await?;
        for target in links {
            sqlx::query(
                "INSERT INTO learn_links (doc_id, target_id) SELECT $1, id FROM learn_docs WHERE id = $2 AND id <> $1",
            )
            .bind(id)
            .bind(target)
            .execute(&mut *self.tx)
            .await?;
        }
        // Cards keep their id (and members' schedules) while their text stays; others retire.
        sqlx::query("UPDATE learn_cards SET retired = 1 WHERE doc_id = $1").bind(id).execute(&mut *self.tx).await?;
        for card in cards {
            let card_id = card_id(id, card.front);
            let updated = sqlx::query("UPDATE learn_cards SET retired = 0, back = $2, kind = $3 WHERE id = $1")
                .bind(&card_id)
                .bind(card.back)
                .bind(card.kind)
                .execute(&mut *self.tx)
                .await?;
            if updated.rows_affected() == 0 {
                sqlx::query(
                    "INSERT INTO learn_cards (id, doc_id, kind, front, back, retired) VALUES ($1, $2, $3, $4, $5, 0)",
                )
                .bind(&card_id)
                .bind(id)
                .bind(card.kind)
                .bind(card.front)
                .bind(card.back)
                .execute(&mut *self.tx)
                .await?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_doc(
        &mut self,
        org_id: &str,
        kind: &str,
        text: &DocText<'_>,
        domains: &[String],
        tags: &[String],
        published: bool,
        links: &[String],
        cards: &[NewCard<'_>],
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        let author = self.actor().to_owned();
        sqlx::query(&format!(
            "INSERT INTO learn_docs ({DOC}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12)"
        ))
        .bind(&id)
        .bind(org_id)
        .bind(kind)
        .bind(text.title)
        .bind(text.body)
        .bind(text.examples)
        .bind(text.counter_examples)
        .bind(domains.join(","))
        .bind(tags.join(","))
        .bind(i64::from(published))
        .bind(&author)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.insert_revision(&id, Some(1), 0, text, "first version", "merged").await?;
        self.index_doc(&id, text, links, cards).await?;
        self.audit(
            "doc.create",
            &id,
            json!({ "org_id": org_id, "kind": kind, "title": text.title, "published": published }),
        )
        .await?;
        Ok(id)
    }

    async fn insert_revision(
        &mut self,
        doc_id: &str,
        number: Option<i64>,
        base: i64,
        text: &DocText<'_>,
        note: &str,
        status: &str,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        let author = self.actor().to_owned();
        let decided = (status == "merged").then_some(at);
        sqlx::query(&format!(
            "INSERT INTO learn_revisions ({REVISION}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $13, $14)"
        ))
        .bind(&id)
        .bind(doc_id)
        .bind(number)
        .bind(base)
        .bind(text.title)
        .bind(text.body)
        .bind(text.examples)
        .bind(text.counter_examples)
        .bind(&author)
        .bind(note)
        .bind(status)
        .bind(decided.map(|_| author.clone()))
        .bind(at)
        .bind(decided)
        .execute(&mut *self.tx)
        .await?;
        Ok(id)
    }

    /// A suggested revision against revision `base`.
    pub async fn suggest_revision(
        &mut self,
        doc_id: &str,
        base: i64,
        text: &DocText<'_>,
        note: &str,
    ) -> Result<String> {
        let id = self.insert_revision(doc_id, None, base, text, note, "pending").await?;
        let doc_author: Option<String> = sqlx::query("SELECT author_id FROM learn_docs WHERE id = $1")
            .bind(doc_id)
            .fetch_optional(&mut *self.tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        self.audit(
            "doc.suggest",
            &id,
            json!({ "doc_id": doc_id, "base": base, "note": note, "doc_author": doc_author }),
        )
        .await?;
        Ok(id)
    }

    /// Merges a pending (or voted) revision: a compare-and-set on the document's revision being
    /// the revision's base. False when the document moved on or the revision was decided.
    pub async fn merge_revision(
        &mut self,
        revision_id: &str,
        doc_id: &str,
        base: i64,
        text: &DocText<'_>,
        links: &[String],
        cards: &[NewCard<'_>],
    ) -> Result<bool> {
        let at = self.at_ms();
        let moved = sqlx::query(
            "UPDATE learn_docs SET title = $3, body = $4, examples = $5, counter_examples = $6, revision = revision + 1, updated_at = $7
              WHERE id = $1 AND revision = $2",
        )
        .bind(doc_id)
        .bind(base)
        .bind(text.title)
        .bind(text.body)
        .bind(text.examples)
        .bind(text.counter_examples)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        let decided = sqlx::query(
            "UPDATE learn_revisions SET status = 'merged', number = $2, decided_by = $3, decided_at = $4
              WHERE id = $1 AND status IN ('pending', 'voting')",
        )
        .bind(revision_id)
        .bind(base + 1)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("revision number"))?;
        if decided.rows_affected() != 1 {
            return Ok(false);
        }
        self.index_doc(doc_id, text, links, cards).await?;
        let author_id = self.revision_author(revision_id).await?;
        self.audit("doc.merge", revision_id, json!({ "doc_id": doc_id, "revision": base + 1, "author_id": author_id }))
            .await?;
        Ok(true)
    }

    /// An edit by a maintainer: a new merged revision at once (compare-and-set on `base`).
    pub async fn edit_doc(
        &mut self,
        doc_id: &str,
        base: i64,
        text: &DocText<'_>,
        note: &str,
        links: &[String],
        cards: &[NewCard<'_>],
    ) -> Result<Option<String>> {
        let id = self.insert_revision(doc_id, None, base, text, note, "pending").await?;
        Ok(self.merge_revision(&id, doc_id, base, text, links, cards).await?.then_some(id))
    }

    /// Rejects a pending or voted revision (compare-and-set on its status).
    pub async fn reject_revision(&mut self, revision_id: &str, note: &str) -> Result<bool> {
        let at = self.at_ms();
        let done = sqlx::query(
            "UPDATE learn_revisions SET status = 'rejected', decided_by = $2, decided_at = $3 WHERE id = $1 AND status IN ('pending', 'voting')",
        )
        .bind(revision_id)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 1 {
            let author_id = self.revision_author(revision_id).await?;
            self.audit("doc.reject", revision_id, json!({ "note": note, "author_id": author_id })).await?;
        }
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_revision_vote(&mut self, revision_id: &str, proposal_id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE learn_revisions SET status = 'voting', proposal_id = $2 WHERE id = $1 AND status = 'pending'",
        )
        .bind(revision_id)
        .bind(proposal_id)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 1 {
            self.audit("doc.vote", revision_id, json!({ "proposal_id": proposal_id })).await?;
        }
        Ok(done.rows_affected() == 1)
    }

    pub async fn publish_doc(&mut self, doc_id: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE learn_docs SET published = 1 WHERE id = $1 AND published = 0")
            .bind(doc_id)
            .execute(&mut *self.tx)
            .await?;
        if done.rows_affected() == 1 {
            self.audit("doc.publish", doc_id, json!({})).await?;
        }
        Ok(done.rows_affected() == 1)
    }

    pub async fn cite(&mut self, doc_id: &str, source_kind: &str, source_id: &str, note: &str) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO learn_citations (id, doc_id, source_kind, source_id, member_id, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(doc_id)
        .bind(source_kind)
        .bind(source_id)
        .bind(self.actor().to_owned())
        .bind(note)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("citation"))?;
        self.audit("doc.cite", &id, json!({ "doc_id": doc_id, "source_kind": source_kind, "source_id": source_id }))
            .await?;
        Ok(id)
    }

    /// A member's rating of a document on one attribute (replacing their earlier one).
    pub async fn rate_doc(&mut self, doc_id: &str, attribute_id: &str, score: i64) -> Result<()> {
        let at = self.at_ms();
        let me = self.actor().to_owned();
        sqlx::query("DELETE FROM learn_ratings WHERE doc_id = $1 AND member_id = $2 AND attribute_id = $3")
            .bind(doc_id)
            .bind(&me)
            .bind(attribute_id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO learn_ratings (doc_id, member_id, attribute_id, score, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(doc_id)
        .bind(&me)
        .bind(attribute_id)
        .bind(score)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("doc.rate", doc_id, json!({ "attribute_id": attribute_id, "score": score })).await
    }

    pub async fn create_course(
        &mut self,
        org_id: &str,
        title: &str,
        summary: &str,
        lessons: &[String],
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query("INSERT INTO learn_courses (id, org_id, title, summary, lessons, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(org_id)
            .bind(title)
            .bind(summary)
            .bind(lessons.join(","))
            .bind(self.actor().to_owned())
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.audit("course.create", &id, json!({ "org_id": org_id, "title": title, "lessons": lessons })).await?;
        Ok(id)
    }

    pub async fn add_exercise(
        &mut self,
        course_id: &str,
        doc_id: Option<&str>,
        skill: &str,
        prompt: &str,
        spec: &str,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO learn_exercises (id, course_id, doc_id, position, skill, prompt, spec, author_id, created_at)
             SELECT $1, $2, $3, CAST(COUNT(*) AS BIGINT), $4, $5, $6, $7, $8 FROM learn_exercises WHERE course_id = $2",
        )
        .bind(&id)
        .bind(course_id)
        .bind(doc_id)
        .bind(skill)
        .bind(prompt)
        .bind(spec)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("exercise.create", &id, json!({ "course_id": course_id, "skill": skill })).await?;
        Ok(id)
    }

    pub async fn record_attempt(
        &mut self,
        exercise_id: &str,
        org_id: &str,
        skill: &str,
        answer: &str,
        correct: Option<bool>,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(&format!("INSERT INTO learn_attempts ({ATTEMPT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
            .bind(&id)
            .bind(exercise_id)
            .bind(org_id)
            .bind(self.actor().to_owned())
            .bind(skill)
            .bind(answer)
            .bind(correct.map(i64::from))
            .bind(at)
            .bind(correct.map(|_| at))
            .execute(&mut *self.tx)
            .await?;
        self.audit("exercise.attempt", &id, json!({ "exercise_id": exercise_id, "correct": correct })).await?;
        Ok(id)
    }

    /// A peer's review of a free-text answer (one per reviewer).
    pub async fn review_attempt(&mut self, attempt_id: &str, pass: bool, note: &str) -> Result<()> {
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO learn_attempt_reviews (attempt_id, reviewer_id, pass, note, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(attempt_id)
        .bind(self.actor().to_owned())
        .bind(i64::from(pass))
        .bind(note)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(conflict_as("review of this answer"))?;
        self.audit("exercise.review", attempt_id, json!({ "pass": pass })).await
    }

    /// Grades an ungraded attempt (compare-and-set).
    pub async fn grade_attempt(&mut self, attempt_id: &str, correct: bool) -> Result<bool> {
        let at = self.at_ms();
        let done =
            sqlx::query("UPDATE learn_attempts SET correct = $2, graded_at = $3 WHERE id = $1 AND graded_at IS NULL")
                .bind(attempt_id)
                .bind(i64::from(correct))
                .bind(at)
                .execute(&mut *self.tx)
                .await?;
        if done.rows_affected() == 1 {
            let member_id: Option<String> = sqlx::query("SELECT member_id FROM learn_attempts WHERE id = $1")
                .bind(attempt_id)
                .fetch_optional(&mut *self.tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            self.audit("exercise.grade", attempt_id, json!({ "correct": correct, "member_id": member_id })).await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Puts a document's cards in a member's deck, due on `day` (cards already there stay).
    pub async fn study_doc(&mut self, doc_id: &str, day: i64) -> Result<u64> {
        let me = self.actor().to_owned();
        let done = sqlx::query(
            "INSERT INTO learn_card_states (member_id, card_id, stability_micro, difficulty_micro, last_day, due_day, reps, lapses)
             SELECT $1, c.id, NULL, NULL, NULL, $3, 0, 0 FROM learn_cards c
              WHERE c.doc_id = $2 AND c.retired = 0
                AND NOT EXISTS (SELECT 1 FROM learn_card_states s WHERE s.member_id = $1 AND s.card_id = c.id)",
        )
        .bind(&me)
        .bind(doc_id)
        .bind(day)
        .execute(&mut *self.tx)
        .await?;
        self.audit("cards.study", doc_id, json!({ "cards": done.rows_affected() })).await?;
        Ok(done.rows_affected())
    }

    /// Records a review and the card's next state: a compare-and-set on the repetitions the
    /// state was computed from, so a double submit counts once.
    #[allow(clippy::too_many_arguments)]
    pub async fn review_card(
        &mut self,
        card_id: &str,
        reps: i64,
        rating: i64,
        day: i64,
        stability_micro: i64,
        difficulty_micro: i64,
        due_day: i64,
    ) -> Result<bool> {
        let me = self.actor().to_owned();
        let done = sqlx::query(
            "UPDATE learn_card_states SET stability_micro = $4, difficulty_micro = $5, last_day = $6, due_day = $7,
                    reps = reps + 1, lapses = lapses + $8
              WHERE member_id = $1 AND card_id = $2 AND reps = $3",
        )
        .bind(&me)
        .bind(card_id)
        .bind(reps)
        .bind(stability_micro)
        .bind(difficulty_micro)
        .bind(day)
        .bind(due_day)
        .bind(i64::from(rating == 1 && reps > 0))
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO learn_reviews (id, member_id, card_id, rating, day, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(crate::new_id())
        .bind(&me)
        .bind(card_id)
        .bind(rating)
        .bind(day)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("cards.review", card_id, json!({ "rating": rating, "day": day, "due_day": due_day })).await?;
        Ok(true)
    }

    /// A member's desired retention and, when given, newly fitted parameters.
    pub async fn set_learn_settings(
        &mut self,
        member_id: &str,
        retention_permille: i64,
        fitted: Option<(&str, i64)>,
    ) -> Result<()> {
        let at = self.at_ms();
        let old = sqlx::query("SELECT parameters, fitted_reviews, fitted_at FROM learn_settings WHERE member_id = $1")
            .bind(member_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let (mut parameters, mut reviews, mut fitted_at): (Option<String>, i64, Option<i64>) = match &old {
            Some(r) => (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?),
            None => (None, 0, None),
        };
        if let Some((p, n)) = fitted {
            (parameters, reviews, fitted_at) = (Some(p.to_owned()), n, Some(at));
        }
        sqlx::query("DELETE FROM learn_settings WHERE member_id = $1").bind(member_id).execute(&mut *self.tx).await?;
        sqlx::query("INSERT INTO learn_settings (member_id, retention_permille, parameters, fitted_reviews, fitted_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(member_id)
            .bind(retention_permille)
            .bind(&parameters)
            .bind(reviews)
            .bind(fitted_at)
            .execute(&mut *self.tx)
            .await?;
        self.audit(
            "cards.settings",
            member_id,
            json!({ "retention_permille": retention_permille, "fitted_reviews": fitted.map(|f| f.1) }),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_question(
        &mut self,
        org_id: &str,
        title: &str,
        criteria: &str,
        kind: &str,
        options: &[String],
        domain: &str,
        close_at: i64,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        let options_json = serde_json::to_string(options).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(&format!(
            "INSERT INTO forecast_questions ({QUESTION}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', NULL, NULL, NULL, NULL, $10)"
        ))
        .bind(&id)
        .bind(org_id)
        .bind(title)
        .bind(criteria)
        .bind(kind)
        .bind(options_json)
        .bind(domain)
        .bind(close_at)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "question.create",
            &id,
            json!({ "org_id": org_id, "title": title, "kind": kind, "options": options, "close_at": close_at }),
        )
        .await?;
        Ok(id)
    }

    /// A forecast (or an update): accepted only while the question is open and before it closes.
    pub async fn forecast(&mut self, question_id: &str, probs: &[f64]) -> Result<bool> {
        let at = self.at_ms();
        let open = sqlx::query("SELECT 1 FROM forecast_questions WHERE id = $1 AND status = 'open' AND close_at > $2")
            .bind(question_id)
            .bind(at)
            .fetch_optional(&mut *self.tx)
            .await?;
        if open.is_none() {
            return Ok(false);
        }
        let ppm: Vec<String> = probs.iter().map(|p| ((p * 1e6).round() as i64).to_string()).collect();
        sqlx::query("INSERT INTO forecasts (id, question_id, member_id, probs, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(crate::new_id())
            .bind(question_id)
            .bind(self.actor().to_owned())
            .bind(ppm.join(","))
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.audit("question.forecast", question_id, json!({ "probs": probs })).await?;
        Ok(true)
    }

    /// Resolves an open question (compare-and-set on its status).
    pub async fn resolve_question(&mut self, question_id: &str, outcome: i64) -> Result<bool> {
        let at = self.at_ms();
        let done = sqlx::query(
            "UPDATE forecast_questions SET status = 'resolved', outcome = $2, resolved_by = $3, resolved_at = $4 WHERE id = $1 AND status = 'open'",
        )
        .bind(question_id)
        .bind(outcome)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 1 {
            self.audit("question.resolve", question_id, json!({ "outcome": outcome })).await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Moves a question from one status to another (`resolved → disputed` with the vote,
    /// `disputed → resolved | annulled` when it ends).
    pub async fn move_question(
        &mut self,
        question_id: &str,
        from: &str,
        to: &str,
        proposal_id: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE forecast_questions SET status = $3, proposal_id = COALESCE($4, proposal_id) WHERE id = $1 AND status = $2",
        )
        .bind(question_id)
        .bind(from)
        .bind(to)
        .bind(proposal_id)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 1 {
            self.audit("question.status", question_id, json!({ "from": from, "to": to, "proposal_id": proposal_id }))
                .await?;
        }
        Ok(done.rows_affected() == 1)
    }

    pub async fn create_circle(&mut self, org_id: &str, name: &str, course_id: &str, schedule: &str) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        let me = self.actor().to_owned();
        sqlx::query("INSERT INTO learn_circles (id, org_id, name, course_id, schedule, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(org_id)
            .bind(name)
            .bind(course_id)
            .bind(schedule)
            .bind(&me)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("INSERT INTO learn_circle_members (circle_id, member_id, joined_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(&me)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.audit(
            "circle.create",
            &id,
            json!({ "org_id": org_id, "name": name, "course_id": course_id, "schedule": schedule }),
        )
        .await?;
        Ok(id)
    }

    pub async fn join_circle(&mut self, circle_id: &str) -> Result<()> {
        let at = self.at_ms();
        sqlx::query("INSERT INTO learn_circle_members (circle_id, member_id, joined_at) VALUES ($1, $2, $3)")
            .bind(circle_id)
            .bind(self.actor().to_owned())
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(conflict_as("circle membership"))?;
        self.audit("circle.join", circle_id, json!({})).await
    }

    pub async fn circle_post(&mut self, circle_id: &str, doc_id: &str, body: &str) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query("INSERT INTO learn_circle_posts (id, circle_id, doc_id, author_id, body, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(circle_id)
            .bind(doc_id)
            .bind(self.actor().to_owned())
            .bind(body)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.audit("circle.post", &id, json!({ "circle_id": circle_id, "doc_id": doc_id })).await?;
        Ok(id)
    }

    pub async fn set_prerequisite(&mut self, task_id: &str, skill: &str) -> Result<()> {
        sqlx::query("DELETE FROM work_prerequisites WHERE task_id = $1").bind(task_id).execute(&mut *self.tx).await?;
        if !skill.is_empty() {
            sqlx::query("INSERT INTO work_prerequisites (task_id, skill) VALUES ($1, $2)")
                .bind(task_id)
                .bind(skill)
                .execute(&mut *self.tx)
                .await?;
        }
        self.audit("task.prerequisite", task_id, json!({ "skill": skill })).await
    }
}

/// A card's id: its document and front text, hashed (a card keeps its schedule while its text
/// stays the same across revisions).
fn card_id(doc_id: &str, front: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{doc_id}\n{front}").as_bytes());
    hex::encode(&digest[..16])
}
