//! Standard Webhooks: which audit events become webhook events and what they are called, the
//! `whsec_` secrets and the `v1` HMAC-SHA256 signatures (with two secrets during a rotation),
//! the retry schedule with jitter and the dead-letter limit, and where a webhook may be sent
//! (never to loopback, private, link-local or cloud-metadata addresses unless the operator
//! allowed that range).

use crate::validation::Invalid;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;

/// Secrets start with this (the Standard Webhooks convention).
pub const SECRET_PREFIX: &str = "whsec_";
/// A receiver refuses a message whose timestamp is further than this from its clock.
pub const TOLERANCE_S: i64 = 5 * 60;
/// Seconds to wait before each retry: the Standard Webhooks schedule (immediately, 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h). After the last, the delivery is dead (replayable by hand).
pub const RETRY_AFTER_S: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
/// Attempts before a delivery is dead: the first and one per retry.
pub const MAX_ATTEMPTS: u32 = RETRY_AFTER_S.len() as u32 + 1;

/// A new secret from 32 random bytes: `whsec_` + base64.
pub fn format_secret(random: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

/// The key bytes of a `whsec_` secret (24 to 64 bytes, base64).
pub fn parse_secret(raw: &str) -> Result<Vec<u8>, Invalid> {
    let body =
        raw.trim().strip_prefix(SECRET_PREFIX).ok_or_else(|| Invalid::new("secret", "a secret starts with whsec_"))?;
    let key = STANDARD.decode(body).map_err(|_| Invalid::new("secret", "the part after whsec_ must be base64"))?;
    if !(24..=64).contains(&key.len()) {
        return Err(Invalid::new("secret", "a secret holds 24 to 64 bytes"));
    }
    Ok(key)
}

/// The `v1` signature of a message: base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`.
pub fn sign(key: &[u8], id: &str, timestamp_s: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp_s}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per live secret (two during a rotation),
/// separated by spaces, so receivers holding either secret verify.
pub fn signature_header(keys: &[Vec<u8>], id: &str, timestamp_s: i64, body: &str) -> String {
    keys.iter().map(|k| sign(k, id, timestamp_s, body)).collect::<Vec<_>>().join(" ")
}

/// What a receiver checks: a signature made with `key` among the header's, and a timestamp
/// within [`TOLERANCE_S`] of `now_s`.
pub fn verify(key: &[u8], id: &str, timestamp_s: i64, body: &str, header: &str, now_s: i64) -> bool {
    let expected = sign(key, id, timestamp_s, body);
    (now_s - timestamp_s).abs() <= TOLERANCE_S
        && header.split(' ').any(|s| s.len() == expected.len() && s.bytes().zip(expected.bytes()).all(|(a, b)| a == b))
}

/// The events an endpoint may subscribe to. Each carries a documented payload (see
/// [`EventType::describe`]); the envelope is `{type, timestamp, data}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// A proposal's vote opened. `data`: `{proposal_id, org, title, kind, closes_at}`.
    ProposalOpened,
    /// A proposal's vote closed and was counted. `data`: `{proposal_id, org, title, outcome}`.
    ProposalClosed,
    /// A passed proposal's effect was carried out. `data`: `{proposal_id, org, title}`.
    ProposalExecuted,
    /// A payment request (an invoice) was paid. `data`: `{request_id, org, amount, currency, transfer}`.
    InvoicePaid,
    /// Someone asked the organisation to pay (an invoice was issued to it). Same `data`.
    InvoiceCreated,
    /// A member joined the organisation. `data`: `{org, member, role}`.
    MemberAdmitted,
    /// A task was reviewed and done. `data`: `{task_id, org, title, doer}`.
    TaskDone,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        EventType::ProposalOpened,
        EventType::ProposalClosed,
        EventType::ProposalExecuted,
        EventType::InvoicePaid,
        EventType::InvoiceCreated,
        EventType::MemberAdmitted,
        EventType::TaskDone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ProposalOpened => "proposal.opened",
            EventType::ProposalClosed => "proposal.closed",
            EventType::ProposalExecuted => "proposal.executed",
            EventType::InvoicePaid => "invoice.paid",
            EventType::InvoiceCreated => "invoice.created",
            EventType::MemberAdmitted => "member.admitted",
            EventType::TaskDone => "task.done",
        }
    }

    /// What the event means and the fields of its `data`.
    pub fn describe(self) -> &'static str {
        match self {
            EventType::ProposalOpened => "a proposal's vote opened — proposal_id, org, title, kind, closes_at",
            EventType::ProposalClosed => "a proposal's vote closed and was counted — proposal_id, org, title, outcome",
            EventType::ProposalExecuted => "a passed proposal's effect was carried out — proposal_id, org, title",
            EventType::InvoicePaid => {
                "a payment request to or from the organisation was paid — request_id, org, amount, currency, transfer"
            }
            EventType::InvoiceCreated => {
                "a payment request involving the organisation was made — request_id, org, amount, currency"
            }
            EventType::MemberAdmitted => "a member joined the organisation — org, member, role",
            EventType::TaskDone => "a task passed its review — task_id, org, title, doer",
        }
    }

    pub fn parse(raw: &str) -> Result<EventType, Invalid> {
        EventType::ALL.into_iter().find(|e| e.as_str() == raw.trim()).ok_or_else(|| {
            let known: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
            Invalid::new("events", format!("unknown event '{}'; known: {}", raw.trim(), known.join(", ")))
        })
    }

    /// A subscription's events: at least one, known, deduplicated and sorted.
    pub fn parse_set(raw: &[String]) -> Result<Vec<EventType>, Invalid> {
        let mut events = raw
            .iter()
            .flat_map(|s| s.split([',', ' ']))
            .filter(|s| !s.trim().is_empty())
            .map(EventType::parse)
            .collect::<Result<Vec<_>, _>>()?;
        events.sort();
        events.dedup();
        if events.is_empty() {
            return Err(Invalid::new("events", "subscribe to at least one event"));
        }
        Ok(events)
    }
}

/// What an event is about, for the operations layer to find its organisation and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum About {
    Proposal(String),
    PaymentRequest(String),
    Task(String),
    /// An organisation and the member who joined it.
    Membership {
        org_id: String,
        member_id: String,
        role: String,
    },
}

fn text<'a>(payload: &'a serde_json::Value, key: &str) -> &'a str {
    payload.get(key).and_then(serde_json::Value::as_str).unwrap_or("")
}

/// The webhook event an audit entry gives, if any.
pub fn event_of(action: &str, subject: &str, payload: &serde_json::Value) -> Option<(EventType, About)> {
    let about_proposal = || About::Proposal(subject.to_owned());
    match action {
        "proposal.advance" => match (text(payload, "from"), text(payload, "to")) {
            (_, "voting") => Some((EventType::ProposalOpened, about_proposal())),
            ("voting", "closed") => Some((EventType::ProposalClosed, about_proposal())),
            (_, "executed") => Some((EventType::ProposalExecuted, about_proposal())),
            _ => None,
        },
        "payment_request.create" => Some((EventType::InvoiceCreated, About::PaymentRequest(subject.to_owned()))),
        "payment_request.decide" if text(payload, "status") == "paid" => {
            Some((EventType::InvoicePaid, About::PaymentRequest(subject.to_owned())))
        }
        "membership.add" => Some((
            EventType::MemberAdmitted,
            About::Membership {
                org_id: subject.to_owned(),
                member_id: text(payload, "member_id").to_owned(),
                role: text(payload, "role").to_owned(),
            },
        )),
        "task.move" if text(payload, "to") == "done" => Some((EventType::TaskDone, About::Task(subject.to_owned()))),
        _ => None,
    }
}

/// When the next attempt is due after `attempts` attempts failed (`None`: the delivery is dead).
/// `jitter` (any random number) spreads retries by up to ±20 % so endpoints that came back are
/// not hit by every waiting delivery at once.
pub fn next_attempt_at(attempts: u32, now_ms: i64, jitter: u64) -> Option<i64> {
    let wait_s = *RETRY_AFTER_S.get(attempts.checked_sub(1)? as usize)?;
    let spread = (jitter % 401) as i64 - 200; // −200 … +200 thousandths of the wait: ±20 %
    Some(now_ms + wait_s * 1000 + wait_s * spread)
}

/// An address range the operator allowed (`--webhook-allow 127.0.0.1/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowedRange {
    pub network: IpAddr,
    pub prefix: u8,
}

impl AllowedRange {
    pub fn parse(raw: &str) -> Result<AllowedRange, String> {
        let (ip, prefix) = raw.trim().split_once('/').unwrap_or((raw.trim(), ""));
        let network: IpAddr = ip.parse().map_err(|_| format!("'{raw}' is not an address range like 127.0.0.1/32"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix =
            if prefix.is_empty() { max } else { prefix.parse().map_err(|_| format!("'{raw}': bad prefix"))? };
        if prefix > max {
            return Err(format!("'{raw}': the prefix is at most {max}"));
        }
        Ok(AllowedRange { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Why an address is not a public destination, if it is not.
pub fn special(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("a loopback address")
            } else if v4.octets() == [169, 254, 169, 254] {
                Some("the cloud metadata address")
            } else if v4.is_link_local() {
                Some("a link-local address")
            } else if v4.is_private() || (a == 100 && (64..128).contains(&b)) {
                Some("a private address")
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || a == 0 || a >= 240 {
                Some("not a unicast address")
            } else if v4.is_documentation() {
                Some("a documentation address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("not a unicast address")
            } else if first & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else if first & 0xfe00 == 0xfc00 {
                Some("a private address")
            } else if v6.segments() == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] {
                Some("the cloud metadata address")
            } else {
                None
            }
        }
    }
}

/// Whether a webhook may be sent to `ip`: public addresses always; special ones only inside a
/// range the operator allowed. The error says why not.
pub fn destination_ok(ip: IpAddr, allowed: &[AllowedRange]) -> Result<(), String> {
    match special(ip) {
        None => Ok(()),
        Some(_) if allowed.iter().any(|r| r.contains(ip)) => Ok(()),
        Some(why) => {
            Err(format!("{ip} is {why}; webhooks go only to public addresses unless the operator allows the range"))
        }
    }
}

/// A subscribed URL: `https://` (or `http://` for a host the operator allowed, on a test
/// network), no user information, at most 2,000 characters. Returns the scheme, host and port.
pub fn endpoint_url(raw: &str) -> Result<(String, String, u16), Invalid> {
    let bad = |why: &str| Invalid::new("url", why.to_owned());
    if raw.len() > 2_000 || raw.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(bad("give an absolute URL without spaces, at most 2,000 characters"));
    }
    let (scheme, rest) = raw.split_once("://").ok_or_else(|| bad("give an absolute URL (https://…)"))?;
    let port_default = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return Err(bad("use https:// (or http:// on an allowed test network)")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("user information (user@host) is not allowed"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or_else(|| bad("an IPv6 host needs its closing ]"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("the URL has no host"));
    }
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| bad("the port must be 1 to 65535"))?,
        None => port_default,
    };
    Ok((scheme.to_owned(), host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_example_signs_as_the_reference_does() {
        // The example of the Standard Webhooks specification (its reference libraries agree).
        let key = parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid");
        let signature = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let header = signature_header(
            &[vec![7; 32], key.clone()],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert!(verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
            &header,
            1614265330 + 60
        ));
        assert!(!verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232315}"#,
            &header,
            1614265330
        ));
        assert!(!verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
            &header,
            1614265330 + 301
        ));
    }

    #[test]
    fn secrets_are_whsec_base64_of_a_sensible_length() {
        let secret = format_secret(&[9; 32]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(parse_secret(&secret).expect("valid"), vec![9; 32]);
        assert!(parse_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(parse_secret("whsec_!!!").is_err());
        assert!(parse_secret("whsec_AAAA").is_err(), "three bytes is too short");
    }

    #[test]
    fn audit_events_map_to_webhook_events() {
        let advance = |from: &str, to: &str| serde_json::json!({ "from": from, "to": to });
        assert_eq!(
            event_of("proposal.advance", "p", &advance("discussion", "voting")).map(|e| e.0),
            Some(EventType::ProposalOpened)
        );
        assert_eq!(
            event_of("proposal.advance", "p", &advance("voting", "closed")).map(|e| e.0),
            Some(EventType::ProposalClosed)
        );
        assert_eq!(
            event_of("proposal.advance", "p", &advance("closed", "executed")).map(|e| e.0),
            Some(EventType::ProposalExecuted)
        );
        assert_eq!(event_of("proposal.advance", "p", &advance("draft", "discussion")), None);
        let paid = serde_json::json!({ "status": "paid" });
        assert_eq!(
            event_of("payment_request.decide", "r", &paid),
            Some((EventType::InvoicePaid, About::PaymentRequest("r".into())))
        );
        assert_eq!(event_of("payment_request.decide", "r", &serde_json::json!({ "status": "declined" })), None);
        let joined = event_of("membership.add", "org", &serde_json::json!({ "member_id": "m", "role": "member" }));
        assert_eq!(joined.map(|e| e.0), Some(EventType::MemberAdmitted));
        assert_eq!(event_of("task.move", "t", &advance("review", "done")).map(|e| e.0), Some(EventType::TaskDone));
        assert_eq!(event_of("session.create", "s", &serde_json::json!({})), None);
        assert!(
            EventType::parse_set(&["task.done proposal.opened".into(), "task.done".into()]).is_ok_and(|e| e.len() == 2)
        );
        assert!(EventType::parse_set(&["everything".into()]).is_err());
        assert!(EventType::parse_set(&[]).is_err());
    }

    #[test]
    fn retries_follow_the_schedule_with_bounded_jitter_then_die() {
        assert_eq!(next_attempt_at(0, 0, 0), None, "no attempt failed yet: nothing to retry");
        for attempts in 1..MAX_ATTEMPTS {
            let wait = RETRY_AFTER_S[attempts as usize - 1] * 1000;
            for jitter in [0, 200, 400, 12345, u64::MAX] {
                let at = next_attempt_at(attempts, 1_000, jitter).expect("a retry");
                assert!((at - 1_000 - wait).abs() <= wait / 5, "attempt {attempts}: {at}");
            }
        }
        assert_eq!(next_attempt_at(MAX_ATTEMPTS, 0, 0), None, "dead after the last");
    }

    #[test]
    fn only_public_addresses_unless_allowed() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        for special_ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "fd00:ec2::254",
        ] {
            assert!(destination_ok(ip(special_ip), &[]).is_err(), "{special_ip}");
        }
        assert!(destination_ok(ip("93.184.216.34"), &[]).is_ok());
        assert!(destination_ok(ip("2606:2800:220:1:248:1893:25c8:1946"), &[]).is_ok());
        let loopback = [AllowedRange::parse("127.0.0.1/32").expect("range")];
        assert!(destination_ok(ip("127.0.0.1"), &loopback).is_ok());
        assert!(destination_ok(ip("::ffff:127.0.0.1"), &loopback).is_ok());
        assert!(destination_ok(ip("127.0.0.2"), &loopback).is_err());
        assert!(destination_ok(ip("169.254.169.254"), &loopback).is_err());
        assert!(AllowedRange::parse("10.0.0.0/8").is_ok_and(|r| r.contains(ip("10.9.9.9"))));
        assert!(AllowedRange::parse("10.0.0.0/33").is_err());
        assert!(AllowedRange::parse("nope").is_err());
    }

    #[test]
    fn endpoint_urls_are_absolute_http_without_user_information() {
        assert_eq!(
            endpoint_url("https://hooks.example/in").expect("ok"),
            ("https".into(), "hooks.example".into(), 443)
        );
        assert_eq!(endpoint_url("http://127.0.0.1:9000/x").expect("ok"), ("http".into(), "127.0.0.1".into(), 9000));
        assert_eq!(endpoint_url("http://[::1]:9000/x").expect("ok"), ("http".into(), "::1".into(), 9000));
        for bad in [
            "ftp://x/",
            "hooks.example/in",
            "https://user:pw@hooks.example/",
            "https://:443/",
            "https://h:0/",
            "https://h:99999/",
            "https://h/ x",
        ] {
            assert!(endpoint_url(bad).is_err(), "{bad}");
        }
    }
}
