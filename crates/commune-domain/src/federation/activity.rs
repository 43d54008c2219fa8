//! ActivityPub as Commune speaks it: the IRIs of local actors and objects, the documents and
//! activities it publishes (organisations as `Group`, members as `Person`, proposals as
//! `Question`, discussion posts as `Note`), WebFinger, and the reading of what arrives in an
//! inbox into a closed set of activities it understands.

use super::httpsig::{Alg, PrivateKey, PublicKey, SigError};
use crate::validation::Invalid;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::Digest as _;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
/// The media type activities are sent with; `application/ld+json` with the ActivityStreams
/// profile is accepted too.
pub const MEDIA_TYPE: &str = "application/activity+json";
/// The largest activity an inbox reads.
pub const MAX_BODY: usize = 256 * 1024;
/// The longest remote text kept (a reply, a question's description).
pub const MAX_TEXT: usize = 5_000;
/// The most options a remote question may carry.
pub const MAX_OPTIONS: usize = 32;

/// Whether a request's `Accept` or `Content-Type` asks for ActivityStreams.
pub fn wants_activity(media: &str) -> bool {
    media.split(',').any(|m| {
        let m = m.trim().to_ascii_lowercase();
        m.starts_with(MEDIA_TYPE) || (m.starts_with("application/ld+json") && m.contains("activitystreams"))
    })
}

/// The IRIs of this instance's actors and objects, from its public URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    base: String,
}

/// A local thing an IRI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    Org(String),
    Member(String),
    Proposal(String),
    Comment(String),
}

impl Urls {
    pub fn new(public_url: &str) -> Urls {
        Urls { base: public_url.trim_end_matches('/').to_string() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The host (and port) instances know this one by.
    pub fn host(&self) -> &str {
        self.base.split_once("://").map(|(_, h)| h).unwrap_or(&self.base)
    }

    pub fn org(&self, slug: &str) -> String {
        format!("{}/ap/orgs/{slug}", self.base)
    }
    pub fn member(&self, handle: &str) -> String {
        format!("{}/ap/members/{handle}", self.base)
    }
    pub fn proposal(&self, id: &str) -> String {
        format!("{}/ap/proposals/{id}", self.base)
    }
    pub fn comment(&self, id: &str) -> String {
        format!("{}/ap/comments/{id}", self.base)
    }
    pub fn activity(&self, id: &str) -> String {
        format!("{}/ap/activities/{id}", self.base)
    }
    pub fn shared_inbox(&self) -> String {
        format!("{}/ap/inbox", self.base)
    }
    pub fn key_id(actor: &str) -> String {
        format!("{actor}#main-key")
    }

    /// What a local IRI names, if it is one of ours.
    pub fn local(&self, iri: &str) -> Option<Local> {
        let rest = iri.strip_prefix(&self.base)?.strip_prefix("/ap/")?;
        let rest = rest.split(['#', '?']).next()?;
        let (kind, id) = rest.split_once('/')?;
        if id.is_empty() || id.contains('/') {
            return None;
        }
        match kind {
            "orgs" => Some(Local::Org(id.to_string())),
            "members" => Some(Local::Member(id.to_string())),
            "proposals" => Some(Local::Proposal(id.to_string())),
            "comments" => Some(Local::Comment(id.to_string())),
            _ => None,
        }
    }
}

fn context() -> Value {
    json!([AS_CONTEXT, SECURITY_CONTEXT, {
        "commune": "https://commune.coop/ns#",
        "receiptDigest": "commune:receiptDigest",
        "outcome": "commune:outcome",
        "decidingMode": "commune:decidingMode",
        "votingMethod": "commune:votingMethod",
        "signedResult": { "@id": "commune:signedResult", "@type": "@id" },
    }])
}

/// An actor document.
pub struct ActorDoc<'a> {
    pub id: &'a str,
    /// `Group` for an organisation, `Person` for a member.
    pub kind: &'a str,
    pub username: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
    pub url: &'a str,
    pub public_key_pem: &'a str,
    pub shared_inbox: &'a str,
}

pub fn actor(doc: &ActorDoc) -> Value {
    json!({
        "@context": context(),
        "id": doc.id,
        "type": doc.kind,
        "preferredUsername": doc.username,
        "name": doc.name,
        "summary": escape(doc.summary),
        "url": doc.url,
        "inbox": format!("{}/inbox", doc.id),
        "outbox": format!("{}/outbox", doc.id),
        "followers": format!("{}/followers", doc.id),
        "following": format!("{}/following", doc.id),
        "manuallyApprovesFollowers": false,
        "discoverable": true,
        "endpoints": { "sharedInbox": doc.shared_inbox },
        "publicKey": {
            "id": Urls::key_id(doc.id),
            "owner": doc.id,
            "publicKeyPem": doc.public_key_pem,
        },
    })
}

/// The WebFinger answer (RFC 7033) for an actor.
pub fn webfinger(acct: &str, actor: &str, html: &str) -> Value {
    json!({
        "subject": acct,
        "aliases": [actor, html],
        "links": [
            { "rel": "self", "type": MEDIA_TYPE, "href": actor },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": html },
        ],
    })
}

/// The user part of a WebFinger resource naming one of this instance's actors
/// (`acct:name@host`, with or without `acct:`), or `None` when it names another host.
pub fn webfinger_user(resource: &str, host: &str) -> Result<Option<String>, Invalid> {
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (user, at) = acct.rsplit_once('@').ok_or_else(|| Invalid::new("resource", "is not acct:name@host"))?;
    if user.is_empty() || user.len() > 64 || !user.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(Invalid::new("resource", "has no valid name"));
    }
    Ok(at.eq_ignore_ascii_case(host).then(|| user.to_string()))
}

/// A proposal as the fediverse sees it.
pub struct QuestionView<'a> {
    pub id: &'a str,
    pub org_actor: &'a str,
    pub followers: &'a str,
    pub url: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub method: &'a str,
    /// Choices: any number (`anyOf`) or exactly one (`oneOf`).
    pub multiple: bool,
    pub options: &'a [String],
    pub published: i64,
    pub end_time: i64,
    pub closed: Option<i64>,
    /// Per option, votes in the deciding mode, once counted.
    pub counts: Option<&'a [f64]>,
    pub outcome: &'a str,
    pub deciding_mode: &'a str,
    pub receipt_digest: Option<&'a str>,
    /// Where the counting instance's signed result is, once counted.
    pub signed_result: Option<&'a str>,
}

pub fn question(q: &QuestionView) -> Value {
    let options: Vec<Value> = q
        .options
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let total = q.counts.and_then(|c| c.get(i)).map(|v| v.round().max(0.0) as u64).unwrap_or(0);
            json!({ "type": "Note", "name": name, "replies": { "type": "Collection", "totalItems": total } })
        })
        .collect();
    let mut v = json!({
        "@context": context(),
        "id": q.id,
        "type": "Question",
        "attributedTo": q.org_actor,
        "name": q.title,
        "content": paragraphs(q.body),
        "mediaType": "text/html",
        "url": q.url,
        "published": iso(q.published),
        "endTime": iso(q.end_time),
        "votingMethod": q.method,
        "to": [PUBLIC],
        "cc": [q.followers],
        "replies": { "type": "Collection", "id": format!("{}/replies", q.id) },
    });
    v[if q.multiple { "anyOf" } else { "oneOf" }] = Value::Array(options);
    if let Some(closed) = q.closed {
        v["closed"] = json!(iso(closed));
        v["outcome"] = json!(q.outcome);
        v["decidingMode"] = json!(q.deciding_mode);
    }
    if let Some(digest) = q.receipt_digest {
        v["receiptDigest"] = json!(digest);
    }
    if let Some(url) = q.signed_result {
        v["signedResult"] = json!(url);
    }
    v
}

/// A discussion post, as a reply to its proposal.
pub fn note(id: &str, author: &str, in_reply_to: &str, text: &str, published: i64, url: &str, cc: &str) -> Value {
    json!({
        "@context": context(),
        "id": id,
        "type": "Note",
        "attributedTo": author,
        "inReplyTo": in_reply_to,
        "content": paragraphs(text),
        "mediaType": "text/html",
        "url": url,
        "published": iso(published),
        "to": [PUBLIC],
        "cc": [cc],
    })
}

/// Wraps an object in an activity (`Create`, `Update`, `Delete`, ...), addressed as the object is.
pub fn wrap(kind: &str, id: &str, actor: &str, object: &Value) -> Value {
    let mut inner = object.clone();
    if let Some(map) = inner.as_object_mut() {
        map.remove("@context");
    }
    json!({
        "@context": context(),
        "id": id,
        "type": kind,
        "actor": actor,
        "object": inner,
        "to": object.get("to").cloned().unwrap_or(json!([PUBLIC])),
        "cc": object.get("cc").cloned().unwrap_or(json!([])),
    })
}

pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    json!({ "@context": AS_CONTEXT, "id": id, "type": "Follow", "actor": actor, "object": object })
}

/// `Accept` of a follow, quoting it whole so the follower can match it by id or content.
pub fn accept(id: &str, actor: &str, follow_id: &str, follower: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Accept",
        "actor": actor,
        "object": { "id": follow_id, "type": "Follow", "actor": follower, "object": actor },
        "to": [follower],
    })
}

pub fn undo(id: &str, actor: &str, object: &Value) -> Value {
    json!({ "@context": AS_CONTEXT, "id": id, "type": "Undo", "actor": actor, "object": object })
}

pub fn ordered_collection(id: &str, items: Vec<Value>) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    })
}

/// A digest of every receipt a tally counted: SHA-256 over the sorted receipts, one per line.
/// A voter who holds a receipt and the list can check the digest; the digest alone reveals
/// nobody's choice.
pub fn receipt_digest(receipts: &[String]) -> String {
    let mut sorted: Vec<&str> = receipts.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    format!("sha-256:{}", hex::encode(sha2::Sha256::digest(sorted.join("\n").as_bytes())))
}

/// Signs a document as a flattened JWS (RFC 7515 §7.2.2, `RS256`, the key named by `kid`): the
/// payload travels as the exact bytes that were signed, so any JOSE library checks it with the
/// signer's published key.
pub fn sign_document(payload: &Value, kid: &str, key: &PrivateKey) -> Result<Value, SigError> {
    let protected = URL_SAFE_NO_PAD.encode(json!({ "alg": "RS256", "kid": kid }).to_string());
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signature = key.sign(Alg::RsaV15Sha256, format!("{protected}.{payload}").as_bytes())?;
    Ok(json!({ "protected": protected, "payload": payload, "signature": URL_SAFE_NO_PAD.encode(signature) }))
}

/// Checks a document signed by [`sign_document`] with the signer's key; returns the key id it
/// names and the payload.
pub fn verify_document(jws: &Value, key: &PublicKey) -> Result<(String, Value), SigError> {
    let part = |name: &str| {
        jws.get(name).and_then(Value::as_str).ok_or_else(|| SigError::Malformed(format!("the JWS has no {name}")))
    };
    let (protected, payload, signature) = (part("protected")?, part("payload")?, part("signature")?);
    let decode = |raw: &str| URL_SAFE_NO_PAD.decode(raw).map_err(|_| SigError::Malformed("not base64url".into()));
    let header: Value =
        serde_json::from_slice(&decode(protected)?).map_err(|_| SigError::Malformed("header".into()))?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(SigError::Unsupported("only RS256 documents".into()));
    }
    key.verify(Alg::RsaV15Sha256, format!("{protected}.{payload}").as_bytes(), &decode(signature)?)?;
    let kid = header.get("kid").and_then(Value::as_str).unwrap_or_default().to_string();
    let payload = serde_json::from_slice(&decode(payload)?).map_err(|_| SigError::Malformed("payload".into()))?;
    Ok((kid, payload))
}

/// An instant as RFC 3339 in UTC, to the second (`2026-11-30T12:00:00Z`).
fn iso(at_ms: i64) -> String {
    jiff::Timestamp::from_second(at_ms.div_euclid(1000)).map(|t| t.to_string()).unwrap_or_default()
}

/// An RFC 3339 time (`2026-11-30T12:00:00Z`, fractions and offsets allowed) in milliseconds,
/// to the second.
pub fn parse_iso(raw: &str) -> Option<i64> {
    raw.trim().parse::<jiff::Timestamp>().ok().map(|t| t.as_second() * 1000)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Plain text as HTML paragraphs, escaped.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape(p.trim()).replace('\n', "<br>")))
        .collect()
}

/// Remote HTML as plain text: tags dropped (paragraphs and breaks become line breaks), the
/// common entities decoded, cut at [`MAX_TEXT`] characters. Pages escape it again on display.
pub fn plain_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[lt + 1..lt + gt].trim_start_matches('/').to_ascii_lowercase();
        if tag.starts_with("br") {
            out.push('\n');
        } else if tag.starts_with("p") && rest[lt + 1..].starts_with('/') {
            out.push_str("\n\n");
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    decoded.trim().chars().take(MAX_TEXT).collect()
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| match &after[..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            num if num.starts_with("#x") || num.starts_with("#X") => {
                u32::from_str_radix(&num[2..], 16).ok().and_then(char::from_u32)
            }
            num if num.starts_with('#') => num[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A reply or post from another instance.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteNote {
    pub id: String,
    pub attributed_to: String,
    pub in_reply_to: Option<String>,
    pub text: String,
    pub url: Option<String>,
    pub published: Option<i64>,
}

/// A proposal published by another instance.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteQuestion {
    pub id: String,
    pub attributed_to: String,
    pub title: String,
    pub text: String,
    pub url: Option<String>,
    pub multiple: bool,
    pub options: Vec<(String, u64)>,
    pub end_time: Option<i64>,
    pub closed: Option<i64>,
    pub outcome: Option<String>,
    pub receipt_digest: Option<String>,
    pub signed_result: Option<String>,
    pub published: Option<i64>,
}

/// The activities an inbox acts on; anything else is acknowledged and ignored.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Follow {
        id: String,
        actor: String,
        object: String,
    },
    /// Undo of a follow: the follow's id when it is given by reference, and its object.
    Unfollow {
        id: String,
        actor: String,
        follow_id: Option<String>,
        object: Option<String>,
    },
    Accept {
        id: String,
        actor: String,
        follow_id: Option<String>,
        follower: Option<String>,
    },
    Reject {
        id: String,
        actor: String,
        follow_id: Option<String>,
    },
    Note {
        id: String,
        actor: String,
        note: RemoteNote,
        update: bool,
    },
    Question {
        id: String,
        actor: String,
        question: RemoteQuestion,
        update: bool,
    },
    Delete {
        id: String,
        actor: String,
        object: String,
    },
    Ignored {
        id: String,
        actor: String,
        kind: String,
    },
}

impl Inbound {
    pub fn id(&self) -> &str {
        match self {
            Inbound::Follow { id, .. }
            | Inbound::Unfollow { id, .. }
            | Inbound::Accept { id, .. }
            | Inbound::Reject { id, .. }
            | Inbound::Note { id, .. }
            | Inbound::Question { id, .. }
            | Inbound::Delete { id, .. }
            | Inbound::Ignored { id, .. } => id,
        }
    }

    pub fn actor(&self) -> &str {
        match self {
            Inbound::Follow { actor, .. }
            | Inbound::Unfollow { actor, .. }
            | Inbound::Accept { actor, .. }
            | Inbound::Reject { actor, .. }
            | Inbound::Note { actor, .. }
            | Inbound::Question { actor, .. }
            | Inbound::Delete { actor, .. }
            | Inbound::Ignored { actor, .. } => actor,
        }
    }
}

fn iri(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        Value::Array(a) => a.first().and_then(iri),
        _ => None,
    }
}

fn field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(iri)
}

fn text(v: &Value, name: &str) -> Option<String> {
    match v.get(name)? {
        Value::String(s) => Some(s.clone()),
        // A language map: take any entry.
        Value::Object(map) => map.values().find_map(|x| x.as_str().map(str::to_string)),
        _ => None,
    }
}

fn http_iri(raw: &str, field: &'static str) -> Result<String, Invalid> {
    if raw.len() > 2048 || !(raw.starts_with("https://") || raw.starts_with("http://")) {
        return Err(Invalid::new(field, "is not an http(s) IRI"));
    }
    Ok(raw.to_string())
}

/// Reads an activity. Its `id` and `actor` are required http(s) IRIs; an embedded object must
/// be attributed to the activity's actor.
pub fn parse_inbound(v: &Value) -> Result<Inbound, Invalid> {
    let kind = v.get("type").and_then(Value::as_str).ok_or_else(|| Invalid::new("type", "is missing"))?;
    let id = http_iri(&field(v, "id").ok_or_else(|| Invalid::new("id", "is missing"))?, "id")?;
    let actor = http_iri(&field(v, "actor").ok_or_else(|| Invalid::new("actor", "is missing"))?, "actor")?;
    let object = v.get("object").cloned().unwrap_or(Value::Null);
    let object_kind = object.get("type").and_then(Value::as_str).unwrap_or_default();
    Ok(match kind {
        "Follow" => {
            let object = iri(&object).ok_or_else(|| Invalid::new("object", "is missing"))?;
            Inbound::Follow { id, actor, object }
        }
        "Undo" if object.is_string() || object_kind == "Follow" => {
            Inbound::Unfollow { id, actor, follow_id: iri(&object), object: field(&object, "object") }
        }
        "Accept" | "Reject" => {
            let follow_id = iri(&object);
            if kind == "Accept" {
                Inbound::Accept { id, actor, follow_id, follower: field(&object, "actor") }
            } else {
                Inbound::Reject { id, actor, follow_id }
            }
        }
        "Create" | "Update" if object_kind == "Note" => {
            let note = remote_note(&object, &actor)?;
            Inbound::Note { id, actor, note, update: kind == "Update" }
        }
        "Create" | "Update" if object_kind == "Question" => {
            let question = remote_question(&object, &actor)?;
            Inbound::Question { id, actor, question, update: kind == "Update" }
        }
        "Delete" => {
            let object = iri(&object).ok_or_else(|| Invalid::new("object", "is missing"))?;
            Inbound::Delete { id, actor, object }
        }
        other => Inbound::Ignored { id, actor, kind: other.chars().take(40).collect() },
    })
}

fn owned_by(object: &Value, actor: &str) -> Result<String, Invalid> {
    let author = field(object, "attributedTo").ok_or_else(|| Invalid::new("attributedTo", "is missing"))?;
    if author != actor {
        return Err(Invalid::new("attributedTo", "is not the activity's actor"));
    }
    Ok(author)
}

fn remote_note(object: &Value, actor: &str) -> Result<RemoteNote, Invalid> {
    let id = http_iri(&field(object, "id").ok_or_else(|| Invalid::new("object.id", "is missing"))?, "object.id")?;
    Ok(RemoteNote {
        id,
        attributed_to: owned_by(object, actor)?,
        in_reply_to: field(object, "inReplyTo"),
        text: plain_text(&text(object, "content").or_else(|| text(object, "contentMap")).unwrap_or_default()),
        url: field(object, "url"),
        published: text(object, "published").and_then(|p| parse_iso(&p)),
    })
}

fn remote_question(object: &Value, actor: &str) -> Result<RemoteQuestion, Invalid> {
    let id = http_iri(&field(object, "id").ok_or_else(|| Invalid::new("object.id", "is missing"))?, "object.id")?;
    let (multiple, choices) = match (object.get("anyOf"), object.get("oneOf")) {
        (Some(Value::Array(a)), _) => (true, a),
        (_, Some(Value::Array(o))) => (false, o),
        _ => return Err(Invalid::new("object", "is a question without options")),
    };
    if choices.len() > MAX_OPTIONS {
        return Err(Invalid::new("object", "has too many options"));
    }
    let options = choices
        .iter()
        .map(|c| {
            let name: String = text(c, "name").unwrap_or_default().chars().take(200).collect();
            let total = c.get("replies").and_then(|r| r.get("totalItems")).and_then(Value::as_u64).unwrap_or(0);
            (name, total)
        })
        .collect();
    let title = text(object, "name").or_else(|| text(object, "nameMap")).unwrap_or_default();
    Ok(RemoteQuestion {
        id,
        attributed_to: owned_by(object, actor)?,
        title: title.trim().chars().take(200).collect(),
        text: plain_text(&text(object, "content").unwrap_or_default()),
        url: field(object, "url"),
        multiple,
        options,
        end_time: text(object, "endTime").and_then(|t| parse_iso(&t)),
        closed: text(object, "closed").and_then(|t| parse_iso(&t)),
        outcome: text(object, "outcome").map(|o| o.chars().take(200).collect()),
        receipt_digest: text(object, "receiptDigest").map(|o| o.chars().take(100).collect()),
        signed_result: field(object, "signedResult").filter(|u| u.len() <= 2048),
        published: text(object, "published").and_then(|p| parse_iso(&p)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_iris_round_trip_and_foreign_ones_are_not_ours() {
        let urls = Urls::new("http://127.0.0.1:8080/");
        assert_eq!(urls.host(), "127.0.0.1:8080");
        assert_eq!(urls.local(&urls.org("co-op")), Some(Local::Org("co-op".into())));
        assert_eq!(urls.local(&Urls::key_id(&urls.member("ada"))), Some(Local::Member("ada".into())));
        assert_eq!(urls.local(&urls.proposal("p1")), Some(Local::Proposal("p1".into())));
        assert_eq!(urls.local("http://127.0.0.1:9090/ap/orgs/x"), None);
        assert_eq!(urls.local("http://127.0.0.1:8080/ap/orgs/x/inbox"), None);
    }

    #[test]
    fn webfinger_resources_name_local_users_only() {
        assert_eq!(webfinger_user("acct:co-op@example.org", "example.org").unwrap(), Some("co-op".into()));
        assert_eq!(webfinger_user("@ada@Example.org", "example.org").unwrap(), Some("ada".into()));
        assert_eq!(webfinger_user("acct:ada@other.org", "example.org").unwrap(), None);
        assert!(webfinger_user("acct:a<b@example.org", "example.org").is_err());
        assert!(webfinger_user("nobody", "example.org").is_err());
    }

    #[test]
    fn times_format_and_parse_back() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_780_000_000_000), "2026-05-28T20:26:40Z");
        assert_eq!(parse_iso("2026-05-28T20:26:40Z"), Some(1_780_000_000_000));
        assert_eq!(parse_iso("2026-05-28T22:26:40.123+02:00"), Some(1_780_000_000_000));
        assert_eq!(parse_iso("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(parse_iso("yesterday"), None);
    }

    #[test]
    fn remote_html_becomes_plain_text() {
        assert_eq!(plain_text("<p>Hello &amp; <b>welcome</b></p><p>line<br>two</p>"), "Hello & welcome\n\nline\ntwo");
        assert_eq!(plain_text("<script>alert(1)</script>x &lt;y&gt; &#233; &unknown;"), "alert(1)x <y> é &unknown;");
        assert_eq!(plain_text(&"a".repeat(MAX_TEXT + 10)).len(), MAX_TEXT);
    }

    #[test]
    fn a_question_carries_options_and_after_close_its_counts_and_receipt_digest() {
        let options = vec!["Yes".to_string(), "No".to_string()];
        let counts = [3.4, 1.0];
        let v = question(&QuestionView {
            id: "https://a/ap/proposals/1",
            org_actor: "https://a/ap/orgs/co",
            followers: "https://a/ap/orgs/co/followers",
            url: "https://a/proposals/1",
            title: "Buy a <van>",
            body: "We need it.\n\nReally.",
            method: "yes-no",
            multiple: false,
            options: &options,
            published: 0,
            end_time: 1000,
            closed: Some(1000),
            counts: Some(&counts),
            outcome: "passed",
            deciding_mode: "equal",
            receipt_digest: Some("sha-256:ab"),
            signed_result: Some("https://a/ap/proposals/1/result"),
        });
        assert_eq!(v["oneOf"][0]["replies"]["totalItems"], 3);
        assert_eq!(v["content"], "<p>We need it.</p><p>Really.</p>");
        let created = wrap("Create", "https://a/ap/activities/9", "https://a/ap/orgs/co", &v);
        let Inbound::Question { question, .. } = parse_inbound(&created).unwrap() else { panic!() };
        assert_eq!(question.title, "Buy a <van>");
        assert_eq!(question.options, vec![("Yes".to_string(), 3), ("No".to_string(), 1)]);
        assert_eq!(question.receipt_digest.as_deref(), Some("sha-256:ab"));
        assert_eq!(question.signed_result.as_deref(), Some("https://a/ap/proposals/1/result"));
        assert_eq!(question.closed, Some(1000)); // whole seconds survive the round trip
    }

    #[test]
    fn inbound_activities_are_read_and_impersonation_is_refused() {
        let follow = follow("https://b/f/1", "https://b/u/x", "https://a/ap/orgs/co");
        assert!(matches!(parse_inbound(&follow).unwrap(), Inbound::Follow { .. }));
        let undo = undo("https://b/u/2", "https://b/u/x", &follow);
        let Inbound::Unfollow { follow_id, object, .. } = parse_inbound(&undo).unwrap() else { panic!() };
        assert_eq!(follow_id.as_deref(), Some("https://b/f/1"));
        assert_eq!(object.as_deref(), Some("https://a/ap/orgs/co"));
        let forged = wrap(
            "Create",
            "https://b/c/1",
            "https://b/u/x",
            &note(
                "https://b/n/1",
                "https://b/u/someone-else",
                "https://a/ap/proposals/1",
                "hi",
                0,
                "https://b/n/1",
                PUBLIC,
            ),
        );
        assert!(parse_inbound(&forged).is_err());
        assert!(parse_inbound(&json!({"type": "Follow", "id": "javascript:x", "actor": "https://b/u"})).is_err());
        assert!(matches!(
            parse_inbound(&json!({"type": "Like", "id": "https://b/l", "actor": "https://b/u"})).unwrap(),
            Inbound::Ignored { .. }
        ));
    }

    #[test]
    fn a_signed_document_verifies_with_its_key_only_and_not_once_changed() {
        let private = <rsa::PrivateKey as rsa::Generate>::generate();
        let key = PrivateKey::Rsa(private.clone());
        let doc = json!({ "proposal": "https://a/ap/proposals/1", "outcome": "passed", "counts": [3, 1] });
        let jws = sign_document(&doc, "https://a/ap/orgs/co#main-key", &key).unwrap();
        let (kid, payload) = verify_document(&jws, &key.public()).unwrap();
        assert_eq!((kid.as_str(), payload), ("https://a/ap/orgs/co#main-key", doc.clone()));
        let other = PrivateKey::Rsa(<rsa::PrivateKey as rsa::Generate>::generate());
        assert_eq!(verify_document(&jws, &other.public()), Err(SigError::BadSignature));
        let mut forged = jws.clone();
        forged["payload"] = json!(URL_SAFE_NO_PAD.encode(json!({ "outcome": "failed" }).to_string()));
        assert_eq!(verify_document(&forged, &key.public()), Err(SigError::BadSignature));
    }

    #[test]
    fn the_receipt_digest_does_not_depend_on_order() {
        let a = receipt_digest(&["r2".into(), "r1".into()]);
        assert_eq!(a, receipt_digest(&["r1".into(), "r2".into()]));
        assert!(a.starts_with("sha-256:"));
        assert_ne!(a, receipt_digest(&["r1".into()]));
    }
}
