//! The email digest: members who chose `daily` or `weekly` (and gave an address) get their
//! unread notifications by email, through an SMTP relay the operator names
//! (`commune serve --smtp-relay HOST:PORT --mail-from ADDRESS`). Off unless configured.
//!
//! Commune speaks plain SMTP to that relay (a local MTA such as Postfix, or an internal relay),
//! which carries mail onward with whatever TLS and authentication the provider needs: the
//! binary holds no mail credentials and links no TLS stack for it.
//!
//! A digest is claimed before it is sent, with a compare-and-set on the member's last digest
//! time, so two servers never both send one; a relay that refuses gives the claim back and the
//! digest stays due for the next try.

use crate::error::AppError;
use crate::state::AppState;
use commune_domain::inbox::Kind;
use commune_store::{Notification, Prefs};
use lettre::message::{Mailbox, header::ContentType};

pub use crate::state::Mail;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Sends every digest due at `now_ms`; returns how many went out. Without mail configured it
/// sends nothing.
pub async fn send_due(state: &AppState, now_ms: i64) -> Result<usize, AppError> {
    let Some(mail) = state.config.mail.clone() else { return Ok(0) };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.host).port(mail.port).build();
    crate::inbox::catch_up(state).await?;
    let mut sent = 0;
    for (member_id, prefs) in state.store.digests_due(now_ms - DAY_MS, now_ms - 7 * DAY_MS).await? {
        // Claimed before it is sent: two servers never both send one member's digest.
        if !state.store.claim_digest(&member_id, prefs.last_digest_at, now_ms).await? {
            continue;
        }
        let items = state.store.undigested(&member_id).await?;
        if items.is_empty() {
            continue;
        }
        let ids: Vec<String> = items.iter().map(|n| n.id.clone()).collect();
        let handle = state.store.member_by_id(&member_id).await?.map(|m| m.handle).unwrap_or_default();
        let facts = state.instance_facts().await?;
        let message = prefs.email.parse::<Mailbox>().ok().and_then(|to| {
            Message::builder()
                .from(mail.from.clone())
                .to(to)
                .subject(subject(&facts.name, items.len()))
                .header(ContentType::TEXT_PLAIN)
                .body(body(&facts.name, &handle, &prefs, &items, &mail.public_url))
                .ok()
        });
        let Some(message) = message else { continue };
        if let Err(e) = transport.send(message).await {
            tracing::warn!(error = %e, "the SMTP relay refused a digest; it stays due");
            state.store.release_digest(&member_id, prefs.last_digest_at, now_ms).await?;
            continue;
        }
        state.store.mark_emailed(&member_id, &ids, now_ms).await?;
        sent += 1;
    }
    Ok(sent)
}

fn subject(instance: &str, count: usize) -> String {
    let things = if count == 1 { "1 thing" } else { &format!("{count} things") };
    format!("{instance}: {things} since your last digest")
}

/// The digest's text: notifications grouped by kind, each with its link.
pub fn body(instance: &str, handle: &str, prefs: &Prefs, items: &[Notification], public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let mut text = format!("Hello @{handle},\n\nHere is what happened in {instance}:\n");
    for kind in Kind::ALL {
        let of_kind: Vec<&Notification> = items.iter().filter(|n| n.kind == kind.as_str()).collect();
        if of_kind.is_empty() {
            continue;
        }
        text.push_str(&format!("\n{}\n", kind.label()));
        for n in of_kind {
            text.push_str(&format!("  - {}\n    {base}{}\n", n.title, n.link));
        }
    }
    text.push_str(&format!(
        "\nYour inbox: {base}/inbox\nYou get this {} digest because you asked for it; change it at {base}/settings/inbox\n",
        prefs.digest
    ));
    text
}
