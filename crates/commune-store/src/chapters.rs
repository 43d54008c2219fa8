//! Federated chapters. Audited: links between an organisation here and one on another instance,
//! the accounts a commune keeps for its linked chapters' members (each tied to the member's
//! actor on their home instance), the home instance's signature kept beside every remote ballot,
//! and the ballots members here sent to their commune with the receipt it returned.

use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;

/// A link between an organisation here and one elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    pub org_id: String,
    /// The other organisation's actor IRI.
    pub remote: String,
    /// What the organisation here is in the link: `commune` (the chapter is elsewhere) or
    /// `chapter` (its commune is elsewhere).
    pub side: String,
    /// `offered` (this side agreed, the other has not answered) or `active`.
    pub status: String,
    pub created_at: i64,
    pub linked_at: Option<i64>,
    /// The commune's side: the chapter's instance as its members' OpenID provider (empty when
    /// it offered none). The chapter's side: the client it registered for the commune.
    pub oidc_issuer: String,
    pub oidc_client_id: String,
    /// The chapter's side: the digest of the roster it last sent.
    #[serde(skip)]
    pub roster_digest: String,
    /// The commune's side: how many members it agreed to take from the chapter.
    pub max_members: i64,
}

/// A commune's account for a member of a linked chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteMember {
    pub member_id: String,
    /// The member's actor on their home instance.
    pub iri: String,
    /// The chapter (actor IRI) they came through.
    pub chapter: String,
    pub org_id: String,
    /// Their OpenID subject at home (empty when the chapter sent none).
    pub subject: String,
}

/// A ballot a member here sent to their commune, with the receipt it returned.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SentBallot {
    pub question: String,
    pub ballot: serde_json::Value,
    pub nonce: String,
    pub receipt: String,
    pub sent_at: i64,
}

const LINK_COLUMNS: &str =
    "org_id, remote, side, status, created_at, linked_at, oidc_issuer, oidc_client_id, roster_digest, max_members";

const REMOTE_MEMBER_COLUMNS: &str = "member_id, iri, chapter, org_id, subject";

fn remote_member_from(r: &sqlx::any::AnyRow) -> Result<RemoteMember> {
    Ok(RemoteMember {
        member_id: r.try_get("member_id")?,
        iri: r.try_get("iri")?,
        chapter: r.try_get("chapter")?,
        org_id: r.try_get("org_id")?,
        subject: r.try_get("subject")?,
    })
}

fn link_from(r: &sqlx::any::AnyRow) -> Result<Link> {
    Ok(Link {
        org_id: r.try_get("org_id")?,
        remote: r.try_get("remote")?,
        side: r.try_get("side")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        linked_at: r.try_get("linked_at")?,
        oidc_issuer: r.try_get("oidc_issuer")?,
        oidc_client_id: r.try_get("oidc_client_id")?,
        roster_digest: r.try_get("roster_digest")?,
        max_members: r.try_get("max_members")?,
    })
}

impl Store {
    pub async fn ap_links(&self, org_id: &str) -> Result<Vec<Link>> {
        let sql =
            format!("SELECT {LINK_COLUMNS} FROM ap_links WHERE org_id = $1 ORDER BY created_at, remote LIMIT 1000");
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?;
        rows.iter().map(link_from).collect()
    }

    pub async fn ap_link(&self, org_id: &str, remote: &str) -> Result<Option<Link>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM ap_links WHERE org_id = $1 AND remote = $2");
        let row = sqlx::query(&sql).bind(org_id).bind(remote).fetch_optional(self.reader()).await?;
        row.as_ref().map(link_from).transpose()
    }

    /// Every active link where this side is `side`, across organisations (at most 10,000).
    pub async fn active_links(&self, side: &str) -> Result<Vec<Link>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM ap_links WHERE side = $1 AND status = 'active' ORDER BY org_id, remote LIMIT 10000"
        );
        let rows = sqlx::query(&sql).bind(side).fetch_all(self.reader()).await?;
        rows.iter().map(link_from).collect()
    }

    pub async fn remote_member_by_iri(&self, iri: &str) -> Result<Option<RemoteMember>> {
        let sql = format!("SELECT {REMOTE_MEMBER_COLUMNS} FROM ap_remote_members WHERE iri = $1");
        let row = sqlx::query(&sql).bind(iri).fetch_optional(self.reader()).await?;
        row.as_ref().map(remote_member_from).transpose()
    }

    /// A chapter's member by their OpenID subject at home.
    pub async fn remote_member_by_subject(&self, chapter: &str, subject: &str) -> Result<Option<RemoteMember>> {
        let sql = format!(
            "SELECT {REMOTE_MEMBER_COLUMNS} FROM ap_remote_members WHERE chapter = $1 AND subject = $2 AND subject <> ''"
        );
        let row = sqlx::query(&sql).bind(chapter).bind(subject).fetch_optional(self.reader()).await?;
        row.as_ref().map(remote_member_from).transpose()
    }

    /// The home signature of one voter's remote ballot on a proposal, if any.
    pub async fn remote_ballot(&self, proposal_id: &str, voter_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT signed FROM ap_remote_ballots WHERE proposal_id = $1 AND voter_id = $2")
            .bind(proposal_id)
            .bind(voter_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    /// Whether a member's account here stands for a member of another instance.
    pub async fn is_remote_member(&self, member_id: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM ap_remote_members WHERE member_id = $1")
            .bind(member_id)
            .fetch_optional(self.reader())
            .await?
            .is_some())
    }

    /// The accounts of a chapter's members that are members of `org_id`.
    pub async fn remote_members_in(&self, chapter: &str, org_id: &str) -> Result<Vec<RemoteMember>> {
        let rows = sqlx::query(
            "SELECT r.member_id, r.iri, r.chapter, r.org_id, r.subject FROM ap_remote_members r
             JOIN memberships m ON m.member_id = r.member_id AND m.org_id = $2
             WHERE r.chapter = $1 ORDER BY r.iri LIMIT 100000",
        )
        .bind(chapter)
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(remote_member_from).collect()
    }

    /// The home signatures of a proposal's remote ballots: `(voter id, chapter, signed JWS)`.
    pub async fn remote_ballots(&self, proposal_id: &str) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT voter_id, chapter, signed FROM ap_remote_ballots WHERE proposal_id = $1 ORDER BY voter_id LIMIT 100000",
        )
        .bind(proposal_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    pub async fn sent_ballots(&self, member_id: &str) -> Result<Vec<SentBallot>> {
        let rows = sqlx::query(
            "SELECT question, ballot, nonce, receipt, sent_at FROM ap_sent_ballots WHERE member_id = $1
             ORDER BY sent_at DESC LIMIT 1000",
        )
        .bind(member_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let ballot: String = r.try_get("ballot")?;
                Ok(SentBallot {
                    question: r.try_get("question")?,
                    ballot: serde_json::from_str(&ballot).unwrap_or_default(),
                    nonce: r.try_get("nonce")?,
                    receipt: r.try_get("receipt")?,
                    sent_at: r.try_get("sent_at")?,
                })
            })
            .collect()
    }

    /// Who published a remote proposal and whether it has closed: `(actor, closed_at, end_time)`.
    pub async fn remote_question_state(&self, id: &str) -> Result<Option<(String, Option<i64>, Option<i64>)>> {
        let row = sqlx::query("SELECT actor, closed_at, end_time FROM ap_remote_questions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).transpose()
    }
}

impl WriteTx {
    /// Agrees to a link (`offered`), or keeps an existing one as it is; false when it existed.
    /// `max_members`: on the commune's side, how many members it takes from the chapter.
    pub async fn offer_link(&mut self, org_id: &str, remote: &str, side: &str, max_members: i64) -> Result<bool> {
        let added = sqlx::query(
            "INSERT INTO ap_links (org_id, remote, side, status, created_at, max_members)
             VALUES ($1, $2, $3, 'offered', $4, $5)
             ON CONFLICT (org_id, remote) DO NOTHING",
        )
        .bind(org_id)
        .bind(remote)
        .bind(side)
        .bind(self.at_ms())
        .bind(max_members)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        self.audit(
            "federation.link.offer",
            org_id,
            json!({ "remote": remote, "side": side, "max_members": max_members }),
        )
        .await?;
        Ok(added == 1)
    }

    /// Changes how many members the commune takes from a linked chapter.
    pub async fn set_link_cap(&mut self, org_id: &str, remote: &str, max_members: i64) -> Result<bool> {
        let changed = sqlx::query("UPDATE ap_links SET max_members = $3 WHERE org_id = $1 AND remote = $2")
            .bind(org_id)
            .bind(remote)
            .bind(max_members)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        self.audit("federation.link.cap", org_id, json!({ "remote": remote, "max_members": max_members })).await?;
        Ok(changed == 1)
    }

    /// Marks a link active (both sides agreed); false when there is no such link.
    pub async fn activate_link(&mut self, org_id: &str, remote: &str) -> Result<bool> {
        let changed = sqlx::query(
            "UPDATE ap_links SET status = 'active', linked_at = COALESCE(linked_at, $3) WHERE org_id = $1 AND remote = $2",
        )
        .bind(org_id)
        .bind(remote)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        self.audit("federation.link.activate", org_id, json!({ "remote": remote })).await?;
        Ok(changed == 1)
    }

    /// Removes a link (its members' accounts stay; their memberships are the caller's business).
    pub async fn remove_link(&mut self, org_id: &str, remote: &str) -> Result<bool> {
        let removed = sqlx::query("DELETE FROM ap_links WHERE org_id = $1 AND remote = $2")
            .bind(org_id)
            .bind(remote)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        self.audit("federation.link.remove", org_id, json!({ "remote": remote })).await?;
        Ok(removed == 1)
    }

    /// Ties a member's account here to their actor on their home instance (and, again, to
    /// their OpenID subject there).
    pub async fn put_remote_member(&mut self, m: &RemoteMember) -> Result<()> {
        sqlx::query(
            "INSERT INTO ap_remote_members (member_id, iri, chapter, org_id, synced_at, subject)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (member_id) DO UPDATE SET synced_at = excluded.synced_at, subject = excluded.subject",
        )
        .bind(&m.member_id)
        .bind(&m.iri)
        .bind(&m.chapter)
        .bind(&m.org_id)
        .bind(self.at_ms())
        .bind(&m.subject)
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "federation.remote_member",
            &m.member_id,
            json!({ "iri": m.iri, "chapter": m.chapter, "subject": m.subject }),
        )
        .await
    }

    /// The commune's side: the chapter's instance as its members' OpenID provider (empty
    /// strings: none). The chapter's side: the client it registered for the commune.
    pub async fn set_link_openid(&mut self, org_id: &str, remote: &str, issuer: &str, client_id: &str) -> Result<()> {
        sqlx::query("UPDATE ap_links SET oidc_issuer = $3, oidc_client_id = $4 WHERE org_id = $1 AND remote = $2")
            .bind(org_id)
            .bind(remote)
            .bind(issuer)
            .bind(client_id)
            .execute(&mut *self.tx)
            .await?;
        self.audit(
            "federation.link.openid",
            org_id,
            json!({ "remote": remote, "issuer": issuer, "client_id": client_id }),
        )
        .await
    }

    /// The chapter's side: the roster just sent (its digest).
    pub async fn set_roster_digest(&mut self, org_id: &str, remote: &str, digest: &str) -> Result<()> {
        sqlx::query("UPDATE ap_links SET roster_digest = $3 WHERE org_id = $1 AND remote = $2")
            .bind(org_id)
            .bind(remote)
            .bind(digest)
            .execute(&mut *self.tx)
            .await?;
        self.audit("federation.link.roster", org_id, json!({ "remote": remote, "digest": digest })).await
    }

    /// Keeps the home instance's signature of a remote ballot (written with the ballot). The
    /// audit entry of a secret proposal's names no voter, like the ballot's own.
    pub async fn put_remote_ballot(
        &mut self,
        proposal_id: &str,
        voter_id: &str,
        chapter: &str,
        signed: &str,
        secret: bool,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO ap_remote_ballots (proposal_id, voter_id, chapter, signed, received_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (proposal_id, voter_id) DO UPDATE SET chapter = excluded.chapter, signed = excluded.signed,
               received_at = excluded.received_at",
        )
        .bind(proposal_id)
        .bind(voter_id)
        .bind(chapter)
        .bind(signed)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        let change =
            if secret { json!({ "chapter": chapter }) } else { json!({ "voter_id": voter_id, "chapter": chapter }) };
        self.audit("federation.remote_ballot", proposal_id, change).await
    }

    /// Records a ballot a member here sent home-signed to their commune, with its receipt.
    pub async fn put_sent_ballot(&mut self, member_id: &str, sent: &SentBallot) -> Result<()> {
        sqlx::query(
            "INSERT INTO ap_sent_ballots (member_id, question, ballot, nonce, receipt, sent_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (member_id, question) DO UPDATE SET ballot = excluded.ballot, nonce = excluded.nonce,
               receipt = excluded.receipt, sent_at = excluded.sent_at",
        )
        .bind(member_id)
        .bind(&sent.question)
        .bind(sent.ballot.to_string())
        .bind(&sent.nonce)
        .bind(&sent.receipt)
        .bind(sent.sent_at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("federation.ballot.sent", member_id, json!({ "question": sent.question, "receipt": sent.receipt }))
            .await
    }
}

/// One side's record of a two-phase transfer between instances.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PeerTransfer {
    /// The other organisation's actor.
    pub remote: String,
    /// Chosen by the sender (32 hex digits).
    pub id: String,
    /// `out` (this side sends and decides) or `in`.
    pub direction: String,
    pub org_id: String,
    pub amount: i64,
    pub ledger: i64,
    pub currency: String,
    /// This side's ledger hold (32 hex digits).
    pub hold_id: String,
    pub state: String,
    pub told: bool,
    pub deadline: i64,
    pub asked_at: i64,
    pub memo: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const TRANSFER_COLUMNS: &str =
    "remote, id, direction, org_id, amount, ledger, currency, hold_id, state, told, deadline,
    asked_at, memo, created_at, decided_at";

fn transfer_from(r: &sqlx::any::AnyRow) -> Result<PeerTransfer> {
    Ok(PeerTransfer {
        remote: r.try_get("remote")?,
        id: r.try_get("id")?,
        direction: r.try_get("direction")?,
        org_id: r.try_get("org_id")?,
        amount: r.try_get("amount")?,
        ledger: r.try_get("ledger")?,
        currency: r.try_get("currency")?,
        hold_id: r.try_get("hold_id")?,
        state: r.try_get("state")?,
        told: r.try_get::<i64, _>("told")? != 0,
        deadline: r.try_get("deadline")?,
        asked_at: r.try_get("asked_at")?,
        memo: r.try_get("memo")?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

impl Store {
    pub async fn peer_transfer(&self, remote: &str, id: &str, direction: &str) -> Result<Option<PeerTransfer>> {
        let sql =
            format!("SELECT {TRANSFER_COLUMNS} FROM ap_transfers WHERE remote = $1 AND id = $2 AND direction = $3");
        let row = sqlx::query(&sql).bind(remote).bind(id).bind(direction).fetch_optional(self.reader()).await?;
        row.as_ref().map(transfer_from).transpose()
    }

    /// An organisation's transfers with other instances, newest first.
    pub async fn peer_transfers(&self, org_id: &str) -> Result<Vec<PeerTransfer>> {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM ap_transfers WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT 200"
        );
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?;
        rows.iter().map(transfer_from).collect()
    }

    /// Transfers not finished on this side: undecided, or decided and not yet told.
    pub async fn open_peer_transfers(&self) -> Result<Vec<PeerTransfer>> {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM ap_transfers
             WHERE state IN ('pending', 'prepared') OR (direction = 'out' AND told = 0)
             ORDER BY created_at LIMIT 500"
        );
        let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
        rows.iter().map(transfer_from).collect()
    }

    /// Notes when a receiver last asked the sender about a pending transfer (derived, unaudited).
    pub async fn peer_transfer_asked(&self, remote: &str, id: &str, at_ms: i64) -> Result<()> {
        sqlx::query("UPDATE ap_transfers SET asked_at = $3 WHERE remote = $1 AND id = $2 AND direction = 'in'")
            .bind(remote)
            .bind(id)
            .bind(at_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl WriteTx {
    /// Records a new transfer; false when this side already has it (a retried prepare).
    pub async fn put_peer_transfer(&mut self, t: &PeerTransfer) -> Result<bool> {
        let added = sqlx::query(
            "INSERT INTO ap_transfers (remote, id, direction, org_id, amount, ledger, currency, hold_id, state, told,
                 deadline, asked_at, memo, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, 0, $11, $12)
             ON CONFLICT (remote, id, direction) DO NOTHING",
        )
        .bind(&t.remote)
        .bind(&t.id)
        .bind(&t.direction)
        .bind(&t.org_id)
        .bind(t.amount)
        .bind(t.ledger)
        .bind(&t.currency)
        .bind(&t.hold_id)
        .bind(&t.state)
        .bind(t.deadline)
        .bind(&t.memo)
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        self.audit(
            "federation.transfer.open",
            &t.id,
            json!({ "remote": t.remote, "direction": t.direction, "org_id": t.org_id, "amount": t.amount, "currency": t.currency }),
        )
        .await?;
        Ok(added == 1)
    }

    /// Moves a transfer from one of `from` to `to` (a compare-and-set); false when it was not
    /// in any of them (another step got there first).
    pub async fn move_peer_transfer(&mut self, t: &PeerTransfer, from: &[&str], to: &str) -> Result<bool> {
        // Only our own integers are written into the statement; every string is bound.
        let decided =
            if matches!(to, "posted" | "voided") { format!(", decided_at = {}", self.at_ms()) } else { String::new() };
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "UPDATE ap_transfers SET state = $1{decided}
             WHERE remote = $2 AND id = $3 AND direction = '{}' AND state IN ({})",
            if t.direction == "in" { "in" } else { "out" },
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(to).bind(&t.remote).bind(&t.id);
        for state in from {
            q = q.bind(*state);
        }
        let moved = q.execute(&mut *self.tx).await?.rows_affected();
        self.audit(
            "federation.transfer.state",
            &t.id,
            json!({ "remote": t.remote, "direction": t.direction, "to": to }),
        )
        .await?;
        Ok(moved == 1)
    }

    /// Marks that the receiver acknowledged the sender's decision.
    pub async fn peer_transfer_told(&mut self, t: &PeerTransfer) -> Result<()> {
        sqlx::query("UPDATE ap_transfers SET told = 1 WHERE remote = $1 AND id = $2 AND direction = 'out'")
            .bind(&t.remote)
            .bind(&t.id)
            .execute(&mut *self.tx)
            .await?;
        self.audit("federation.transfer.told", &t.id, json!({ "remote": t.remote })).await
    }
}
