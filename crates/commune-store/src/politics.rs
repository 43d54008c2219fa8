//! Chapters and politics. Audited: imported places and elections, where members and
//! organisations are, seasons (with their frozen results) and challenges. A member's precise
//! place never enters the audit chain: its entry records only what they show.
//!
//! The season inputs are read from history that does not change afterwards — ledger transfers,
//! graded attempts, ballots, organisations' founding, and the audit log's entries — so a finished
//! season can be recomputed.

use crate::{Result, Store, WriteTx};
use commune_domain::audit::Entry;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlaceRow {
    pub code: String,
    pub name: String,
    /// The outline as stored GeoJSON geometry, when one was imported.
    #[serde(skip)]
    pub geometry: Option<String>,
    pub imported_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemberPlace {
    pub member_id: String,
    pub place_code: String,
    pub shown_as: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ElectionRow {
    pub id: String,
    pub district: String,
    pub day: i64,
    pub office: String,
    pub turnout: Option<i64>,
    /// `[[candidate, votes], …]`, most votes first.
    pub results: String,
    pub imported_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeasonRow {
    pub id: String,
    pub name: String,
    pub starts_day: i64,
    pub ends_day: i64,
    pub goal: String,
    pub goal_measure: String,
    pub goal_target: i64,
    pub created_by: String,
    pub created_at: i64,
    /// The frozen results (JSON) once the season is over.
    pub results: Option<String>,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChallengeRow {
    pub id: String,
    pub season_id: String,
    pub measure: String,
    pub chapter_a: String,
    pub target_a: i64,
    pub chapter_b: String,
    pub target_b: i64,
    pub note: String,
    pub created_at: i64,
}

const SEASON: &str =
    "id, name, starts_day, ends_day, goal, goal_measure, goal_target, created_by, created_at, results, finished_at";
const CHALLENGE: &str = "id, season_id, measure, chapter_a, target_a, chapter_b, target_b, note, created_at";

fn season(r: &sqlx::any::AnyRow) -> Result<SeasonRow> {
    Ok(SeasonRow {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        starts_day: r.try_get(2)?,
        ends_day: r.try_get(3)?,
        goal: r.try_get(4)?,
        goal_measure: r.try_get(5)?,
        goal_target: r.try_get(6)?,
        created_by: r.try_get(7)?,
        created_at: r.try_get(8)?,
        results: r.try_get(9)?,
        finished_at: r.try_get(10)?,
    })
}

fn challenge(r: &sqlx::any::AnyRow) -> Result<ChallengeRow> {
    Ok(ChallengeRow {
        id: r.try_get(0)?,
        season_id: r.try_get(1)?,
        measure: r.try_get(2)?,
        chapter_a: r.try_get(3)?,
        target_a: r.try_get(4)?,
        chapter_b: r.try_get(5)?,
        target_b: r.try_get(6)?,
        note: r.try_get(7)?,
        created_at: r.try_get(8)?,
    })
}

/// A graded attempt, for replaying mastery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradedAttempt {
    pub member_id: String,
    pub skill: String,
    pub exercise_id: String,
    pub correct: bool,
    pub at: i64,
}

impl Store {
    pub async fn places(&self) -> Result<Vec<PlaceRow>> {
        let rows = sqlx::query("SELECT code, name, geometry, imported_at FROM places ORDER BY code")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PlaceRow {
                    code: r.try_get(0)?,
                    name: r.try_get(1)?,
                    geometry: r.try_get(2)?,
                    imported_at: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Every imported place's code, name and whether it has an outline, without the outlines.
    pub async fn place_names(&self) -> Result<Vec<(String, String, bool)>> {
        let rows = sqlx::query(
            "SELECT code, name, CAST(CASE WHEN geometry IS NULL THEN 0 ELSE 1 END AS BIGINT) FROM places ORDER BY code",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get::<i64, _>(2)? != 0))).collect()
    }

    pub async fn place_exists(&self, code: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM places WHERE code = $1")
            .bind(code)
            .fetch_one(self.reader())
            .await?;
        Ok(n > 0)
    }

    pub async fn member_place(&self, member_id: &str) -> Result<Option<MemberPlace>> {
        Ok(self.member_places_where("WHERE member_id = $1", Some(member_id)).await?.pop())
    }

    pub async fn member_places(&self) -> Result<Vec<MemberPlace>> {
        self.member_places_where("", None).await
    }

    async fn member_places_where(&self, filter: &str, member_id: Option<&str>) -> Result<Vec<MemberPlace>> {
        let sql = format!("SELECT member_id, place_code, shown_as FROM member_places {filter} ORDER BY member_id");
        let mut query = sqlx::query(&sql);
        if let Some(id) = member_id {
            query = query.bind(id);
        }
        member_places_of(&query.fetch_all(self.reader()).await?)
    }

    /// Every organisation's place: (organisation id, place code).
    pub async fn org_places(&self) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT org_id, place_code FROM org_places ORDER BY org_id").fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    pub async fn elections(&self) -> Result<Vec<ElectionRow>> {
        let rows = sqlx::query(
            "SELECT id, district, day, office, turnout, results, imported_at FROM elections ORDER BY day, district, office",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ElectionRow {
                    id: r.try_get(0)?,
                    district: r.try_get(1)?,
                    day: r.try_get(2)?,
                    office: r.try_get(3)?,
                    turnout: r.try_get(4)?,
                    results: r.try_get(5)?,
                    imported_at: r.try_get(6)?,
                })
            })
            .collect()
    }

    pub async fn seasons(&self) -> Result<Vec<SeasonRow>> {
        let sql = format!("SELECT {SEASON} FROM seasons ORDER BY starts_day DESC, id");
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(season).collect()
    }

    pub async fn season(&self, id: &str) -> Result<Option<SeasonRow>> {
        let sql = format!("SELECT {SEASON} FROM seasons WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(season).transpose()
    }

    /// Seasons whose last day is before `day` and whose results are not frozen yet.
    pub async fn seasons_to_finish(&self, day: i64) -> Result<Vec<SeasonRow>> {
        let sql =
            format!("SELECT {SEASON} FROM seasons WHERE ends_day < $1 AND results IS NULL ORDER BY ends_day LIMIT 20");
        sqlx::query(&sql).bind(day).fetch_all(self.reader()).await?.iter().map(season).collect()
    }

    pub async fn challenges(&self, season_id: &str) -> Result<Vec<ChallengeRow>> {
        let sql = format!("SELECT {CHALLENGE} FROM season_challenges WHERE season_id = $1 ORDER BY created_at, id");
        sqlx::query(&sql).bind(season_id).fetch_all(self.reader()).await?.iter().map(challenge).collect()
    }

    /// Posted funnel transfers in `[from_ms, to_ms)` of one ledger, summed per paying
    /// organisation.
    pub async fn funnel_by_org(
        &self,
        ledger: i64,
        funnel_code: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(String, i64)>> {
        let off = i64::from(commune_domain::ledger::TransferFlags::OFF_POSTED_BITS);
        let rows = sqlx::query(
            "SELECT a.owner_id, CAST(SUM(t.amount) AS BIGINT) FROM ledger_transfers t
             JOIN ledger_accounts a ON a.id = t.debit_account_id
             WHERE t.ledger = $1 AND t.code = $2 AND t.at_ms >= $3 AND t.at_ms < $4 AND (t.flags & $5) = 0
               AND a.owner_kind = 'org'
             GROUP BY a.owner_id ORDER BY a.owner_id",
        )
        .bind(ledger)
        .bind(funnel_code)
        .bind(from_ms)
        .bind(to_ms)
        .bind(off)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Every graded attempt before `to_ms`, oldest first.
    pub async fn graded_attempts_before(&self, to_ms: i64) -> Result<Vec<GradedAttempt>> {
        let rows = sqlx::query(
            "SELECT member_id, skill, exercise_id, correct, at FROM learn_attempts
             WHERE correct IS NOT NULL AND at < $1 ORDER BY at, id",
        )
        .bind(to_ms)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GradedAttempt {
                    member_id: r.try_get(0)?,
                    skill: r.try_get(1)?,
                    exercise_id: r.try_get(2)?,
                    correct: r.try_get::<i64, _>(3)? != 0,
                    at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Ballots cast in `[from_ms, to_ms)`, counted per voter.
    pub async fn ballots_by_voter(&self, from_ms: i64, to_ms: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT voter_id, CAST(COUNT(*) AS BIGINT) FROM ballots WHERE cast_at >= $1 AND cast_at < $2
             GROUP BY voter_id ORDER BY voter_id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Businesses founded in `[from_ms, to_ms)`.
    pub async fn businesses_founded(&self, from_ms: i64, to_ms: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM orgs WHERE kind = 'business' AND created_at >= $1 AND created_at < $2 ORDER BY id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.reader())
        .await?)
    }

    /// The audit log's membership entries (`membership.add`, `membership.remove`) up to
    /// `to_ms`, in order: replaying them gives every organisation's members at that time.
    pub async fn membership_history(&self, to_ms: i64) -> Result<Vec<Entry>> {
        let mut all = self.audit_entries("membership.add").await?;
        all.extend(self.audit_entries("membership.remove").await?);
        all.retain(|e| e.at_ms < to_ms);
        all.sort_by_key(|e| e.seq);
        Ok(all)
    }
}

fn member_places_of(rows: &[sqlx::any::AnyRow]) -> Result<Vec<MemberPlace>> {
    rows.iter()
        .map(|r| Ok(MemberPlace { member_id: r.try_get(0)?, place_code: r.try_get(1)?, shown_as: r.try_get(2)? }))
        .collect()
}

impl WriteTx {
    /// Every member's place as this transaction sees it: an endorsement's electorate is taken in
    /// the transaction that opens its vote.
    pub async fn member_places(&mut self) -> Result<Vec<MemberPlace>> {
        let rows = sqlx::query("SELECT member_id, place_code, shown_as FROM member_places ORDER BY member_id")
            .fetch_all(&mut *self.tx)
            .await?;
        member_places_of(&rows)
    }

    /// Adds places or replaces their names and outlines.
    pub async fn import_places(&mut self, places: &[(String, String, Option<String>)]) -> Result<()> {
        let at = self.at_ms();
        for (code, name, geometry) in places {
            sqlx::query(
                "INSERT INTO places (code, name, geometry, imported_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                   geometry = COALESCE(excluded.geometry, places.geometry), imported_at = excluded.imported_at",
            )
            .bind(code)
            .bind(name)
            .bind(geometry)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        }
        let codes: Vec<&str> = places.iter().map(|p| p.0.as_str()).collect();
        let outlines = places.iter().filter(|p| p.2.is_some()).count();
        self.audit("place.import", "places", json!({ "codes": codes, "outlines": outlines })).await
    }

    /// Sets where a member lives; the audit entry records only what they show.
    pub async fn set_member_place(&mut self, member_id: &str, code: &str, shown_as: &str, shown: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO member_places (member_id, place_code, shown_as, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (member_id) DO UPDATE SET place_code = excluded.place_code, shown_as = excluded.shown_as,
               updated_at = excluded.updated_at",
        )
        .bind(member_id)
        .bind(code)
        .bind(shown_as)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("member.place", member_id, json!({ "shown": shown, "shown_as": shown_as })).await
    }

    pub async fn clear_member_place(&mut self, member_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM member_places WHERE member_id = $1").bind(member_id).execute(&mut *self.tx).await?;
        self.audit("member.place", member_id, json!({ "shown": "", "shown_as": "hidden" })).await
    }

    pub async fn set_org_place(&mut self, org_id: &str, code: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO org_places (org_id, place_code, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (org_id) DO UPDATE SET place_code = excluded.place_code, updated_at = excluded.updated_at",
        )
        .bind(org_id)
        .bind(code)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit("org.place", org_id, json!({ "place": code })).await
    }

    /// Adds elections or replaces them (same district, day and office).
    pub async fn import_elections(&mut self, elections: &[(String, i64, String, Option<i64>, String)]) -> Result<()> {
        let at = self.at_ms();
        for (district, day, office, turnout, results) in elections {
            sqlx::query(
                "INSERT INTO elections (id, district, day, office, turnout, results, imported_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (district, day, office) DO UPDATE SET turnout = excluded.turnout,
                   results = excluded.results, imported_at = excluded.imported_at",
            )
            .bind(crate::new_id())
            .bind(district)
            .bind(day)
            .bind(office)
            .bind(turnout)
            .bind(results)
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        }
        self.audit("election.import", "elections", json!({ "elections": elections.len() })).await
    }

    pub async fn create_season(&mut self, s: &SeasonRow) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO seasons (id, name, starts_day, ends_day, goal, goal_measure, goal_target, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&s.name)
        .bind(s.starts_day)
        .bind(s.ends_day)
        .bind(&s.goal)
        .bind(&s.goal_measure)
        .bind(s.goal_target)
        .bind(self.actor().to_owned())
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "season.create",
            &id,
            json!({ "name": s.name, "starts_day": s.starts_day, "ends_day": s.ends_day, "goal": s.goal,
                    "goal_measure": s.goal_measure, "goal_target": s.goal_target }),
        )
        .await?;
        Ok(id)
    }

    /// Freezes a season's results once (a compare-and-set on their absence): `false` when
    /// another writer froze them first.
    pub async fn finish_season(&mut self, id: &str, results: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE seasons SET results = $1, finished_at = $2 WHERE id = $3 AND results IS NULL")
            .bind(results)
            .bind(self.at_ms())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let value: serde_json::Value = serde_json::from_str(results).unwrap_or(serde_json::Value::Null);
        self.audit("season.finish", id, json!({ "results": value })).await?;
        Ok(true)
    }

    pub async fn add_challenge(&mut self, c: &ChallengeRow) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO season_challenges (id, season_id, measure, chapter_a, target_a, chapter_b, target_b, note, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&c.season_id)
        .bind(&c.measure)
        .bind(&c.chapter_a)
        .bind(c.target_a)
        .bind(&c.chapter_b)
        .bind(c.target_b)
        .bind(&c.note)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "season.challenge",
            &id,
            json!({ "season_id": c.season_id, "measure": c.measure, "chapter_a": c.chapter_a, "target_a": c.target_a,
                    "chapter_b": c.chapter_b, "target_b": c.target_b }),
        )
        .await?;
        Ok(id)
    }
}
