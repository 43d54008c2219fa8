//! Federated chapters: a chapter on one instance linked to its commune on another. The chapter's
//! instance sends the commune its roster (who its members are, by their actors), and signs each
//! ballot a member casts on one of the commune's proposals; the commune keeps one account per
//! remote member, tied to that actor, and counts the ballot as theirs. The rules here: what a
//! roster and a signed ballot may say, how fresh a ballot must be, and the account's handle.

pub use crate::federation::httpsig::host_of;
use crate::identity::Handle;
use crate::validation::Invalid;
use serde_json::{Value, json};
use sha2::Digest;

/// At most this many members in one roster.
pub const MAX_ROSTER: usize = 10_000;
/// How many members a commune takes from a chapter unless its stewards agree to another number.
pub const DEFAULT_CHAPTER_MEMBERS: usize = 100;

/// The most members a commune agrees to take from a chapter: 1 to [`MAX_ROSTER`], default
/// [`DEFAULT_CHAPTER_MEMBERS`]. A roster larger than this is refused whole: a chapter's
/// instance vouches for its members, and the commune decides how far it trusts that.
pub fn chapter_cap(raw: Option<i64>) -> Result<usize, Invalid> {
    match raw {
        None => Ok(DEFAULT_CHAPTER_MEMBERS),
        Some(n) if (1..=MAX_ROSTER as i64).contains(&n) => Ok(n as usize),
        Some(_) => Err(Invalid::new("max_members", format!("must be from 1 to {MAX_ROSTER}"))),
    }
}
/// A signed ballot is accepted for this long after it was signed, and this far ahead of the
/// receiver's clock.
pub const CLAIM_MAX_AGE_S: i64 = 600;
pub const CLAIM_MAX_FUTURE_S: i64 = 300;

/// A member as a roster names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterMember {
    /// Their actor on the chapter's instance.
    pub id: String,
    pub name: String,
    /// Their OpenID Connect subject at home (`sub` in the ID tokens their instance issues), so
    /// the commune can let them sign in with their home account.
    pub subject: Option<String>,
}

/// The chapter's instance as its members' OpenID provider at the commune: the issuer, and the
/// public client (PKCE, no secret) it registered for the commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeProvider {
    pub issuer: String,
    pub client_id: String,
}

/// Where the commune's instance takes a chapter member back after they signed in at home (a
/// path on the commune's instance; the chapter registers it as the client's redirect URI).
pub const HOME_SIGN_IN_CALLBACK: &str = "/login/home/callback";

/// Who a chapter's members are, sent by the chapter to its commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub commune: String,
    pub chapter: String,
    pub members: Vec<RosterMember>,
    pub openid: Option<HomeProvider>,
}

pub fn roster_json(r: &Roster) -> Value {
    json!({
        "type": "CommuneRoster",
        "commune": r.commune,
        "chapter": r.chapter,
        "members": r.members.iter().map(|m| {
            let mut v = json!({ "id": m.id, "name": m.name });
            if let Some(sub) = &m.subject {
                v["sub"] = json!(sub);
            }
            v
        }).collect::<Vec<_>>(),
        "openid": r.openid.as_ref().map(|o| json!({ "issuer": o.issuer, "client_id": o.client_id })),
    })
}

/// What a roster says, as a SHA-256 digest (hex): a chapter sends its roster again when this
/// changes.
pub fn roster_digest(r: &Roster) -> String {
    hex::encode(sha2::Sha256::digest(roster_json(r).to_string().as_bytes()))
}

/// An OpenID subject or client id: 1 to 128 letters, digits, `-`, `_` or `.`.
fn token_like(value: &str) -> bool {
    (1..=128).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn string<'a>(v: &'a Value, field: &'static str) -> Result<&'a str, Invalid> {
    v.get(field).and_then(Value::as_str).ok_or_else(|| Invalid::new(field, "is missing or not a string"))
}

/// Reads a roster sent by `chapter_host`: every member's actor must be on the chapter's own
/// instance (a chapter vouches only for its own members), no one twice, at most [`MAX_ROSTER`].
pub fn parse_roster(v: &Value, chapter_host: &str) -> Result<Roster, Invalid> {
    if v.get("type").and_then(Value::as_str) != Some("CommuneRoster") {
        return Err(Invalid::new("type", "must be CommuneRoster"));
    }
    let commune = string(v, "commune")?.to_string();
    let chapter = string(v, "chapter")?.to_string();
    if host_of(&chapter).as_deref() != Some(chapter_host) {
        return Err(Invalid::new("chapter", "is not on the sending instance"));
    }
    let raw = v.get("members").and_then(Value::as_array).ok_or_else(|| Invalid::new("members", "must be a list"))?;
    if raw.len() > MAX_ROSTER {
        return Err(Invalid::new("members", format!("at most {MAX_ROSTER} members in one roster")));
    }
    let mut members = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::new();
    for m in raw {
        let id = string(m, "id")?;
        if id.len() > 500 || host_of(id).as_deref() != Some(chapter_host) {
            return Err(Invalid::new("members", format!("{id} is not an actor on the chapter's instance")));
        }
        if !seen.insert(id) {
            return Err(Invalid::new("members", format!("{id} is listed twice")));
        }
        let name = m.get("name").and_then(Value::as_str).unwrap_or_default();
        let subject = match m.get("sub") {
            None | Some(Value::Null) => None,
            Some(Value::String(sub)) if token_like(sub) => Some(sub.clone()),
            Some(_) => return Err(Invalid::new("members", format!("{id} has a malformed sub"))),
        };
        members.push(RosterMember { id: id.to_string(), name: display_name(name, id), subject });
    }
    let openid = match v.get("openid") {
        None | Some(Value::Null) => None,
        Some(o) => {
            let issuer = string(o, "issuer")?.trim_end_matches('/').to_string();
            // Members sign in at their own instance, nowhere else.
            if issuer.len() > 500 || host_of(&issuer).as_deref() != Some(chapter_host) {
                return Err(Invalid::new("openid", "the issuer must be the chapter's own instance"));
            }
            let client_id = string(o, "client_id")?.to_string();
            if !token_like(&client_id) {
                return Err(Invalid::new("openid", "client_id must be 1 to 128 letters, digits, -, _ or ."));
            }
            Some(HomeProvider { issuer, client_id })
        }
    };
    Ok(Roster { commune, chapter, members, openid })
}

/// A display name for a remote member: their own, cut to 64 characters and stripped of control
/// characters, else the last segment of their actor IRI.
pub fn display_name(name: &str, iri: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).collect::<String>().trim().chars().take(64).collect();
    if !clean.is_empty() {
        return clean;
    }
    let tail = iri.trim_end_matches('/').rsplit('/').next().unwrap_or("member");
    let tail: String = tail.chars().filter(|c| !c.is_control()).take(64).collect();
    if tail.is_empty() { "member".to_string() } else { tail }
}

/// The handle of the account a commune keeps for a remote member: `fed_` and 16 hex digits of
/// the actor IRI's SHA-256 (stable, and never one a person signs up with, since sign-ups may
/// not start with `fed_`).
pub fn account_handle(iri: &str) -> Handle {
    let digest = hex::encode(sha2::Sha256::digest(iri.as_bytes()));
    Handle::parse(&format!("{ACCOUNT_PREFIX}{}", &digest[..16])).expect("a valid handle")
}

pub use crate::identity::REMOTE_PREFIX as ACCOUNT_PREFIX;

/// A ballot as the voter's home instance signs it.
#[derive(Debug, Clone, PartialEq)]
pub struct BallotClaim {
    /// The proposal (its `Question` IRI on the commune's instance).
    pub proposal: String,
    /// The voter's actor on their home instance.
    pub voter: String,
    /// The chapter (actor IRI) the home instance signs for.
    pub chapter: String,
    pub ballot: Value,
    /// Chosen by the home instance; with it the voter recomputes their receipt.
    pub nonce: String,
    pub issued_at: i64,
}

pub fn claim_json(c: &BallotClaim) -> Value {
    json!({
        "type": "CommuneBallot",
        "proposal": c.proposal,
        "voter": c.voter,
        "chapter": c.chapter,
        "ballot": c.ballot,
        "nonce": c.nonce,
        "issued_at": c.issued_at,
    })
}

/// Reads a signed ballot's payload: well formed, signed recently (`now_s`), the voter on the
/// chapter's instance.
pub fn parse_claim(v: &Value, now_s: i64) -> Result<BallotClaim, Invalid> {
    if v.get("type").and_then(Value::as_str) != Some("CommuneBallot") {
        return Err(Invalid::new("type", "must be CommuneBallot"));
    }
    let claim = BallotClaim {
        proposal: string(v, "proposal")?.to_string(),
        voter: string(v, "voter")?.to_string(),
        chapter: string(v, "chapter")?.to_string(),
        ballot: v.get("ballot").cloned().ok_or_else(|| Invalid::new("ballot", "is missing"))?,
        nonce: string(v, "nonce")?.to_string(),
        issued_at: v.get("issued_at").and_then(Value::as_i64).ok_or_else(|| Invalid::new("issued_at", "is missing"))?,
    };
    if !(16..=128).contains(&claim.nonce.len())
        || !claim.nonce.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Invalid::new("nonce", "must be 16 to 128 letters, digits, - or _"));
    }
    if claim.issued_at < now_s - CLAIM_MAX_AGE_S {
        return Err(Invalid::new("issued_at", "the ballot was signed too long ago"));
    }
    if claim.issued_at > now_s + CLAIM_MAX_FUTURE_S {
        return Err(Invalid::new("issued_at", "the ballot is signed in the future"));
    }
    match (host_of(&claim.voter), host_of(&claim.chapter)) {
        (Some(voter), Some(chapter)) if voter == chapter => Ok(claim),
        _ => Err(Invalid::new("voter", "is not on the chapter's instance")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(members: Value) -> Value {
        json!({ "type": "CommuneRoster", "commune": "https://a.example/ap/orgs/c",
                "chapter": "https://b.example/ap/orgs/ch", "members": members })
    }

    #[test]
    fn a_roster_vouches_only_for_its_own_instance() {
        let ok = roster(json!([{ "id": "https://b.example/ap/members/bo", "name": "Bo\u{7} " }]));
        let r = parse_roster(&ok, "b.example").unwrap();
        assert_eq!(
            r.members,
            vec![RosterMember { id: "https://b.example/ap/members/bo".into(), name: "Bo".into(), subject: None }]
        );
        assert_eq!(roster_json(&r)["members"][0]["name"], "Bo");
        assert!(parse_roster(&ok, "c.example").is_err(), "a chapter elsewhere");
        let foreign = roster(json!([{ "id": "https://c.example/ap/members/x", "name": "X" }]));
        assert!(parse_roster(&foreign, "b.example").is_err());
        let twice =
            roster(json!([{ "id": "https://b.example/ap/members/x" }, { "id": "https://b.example/ap/members/x" }]));
        assert!(parse_roster(&twice, "b.example").is_err());
        let unnamed = roster(json!([{ "id": "https://b.example/ap/members/zed" }]));
        assert_eq!(parse_roster(&unnamed, "b.example").unwrap().members[0].name, "zed");
        let many: Vec<Value> =
            (0..=MAX_ROSTER).map(|i| json!({ "id": format!("https://b.example/ap/members/m{i}") })).collect();
        assert!(parse_roster(&roster(Value::Array(many)), "b.example").is_err());
    }

    #[test]
    fn a_commune_takes_a_bounded_number_of_members_from_a_chapter() {
        assert_eq!(chapter_cap(None), Ok(DEFAULT_CHAPTER_MEMBERS));
        assert_eq!(chapter_cap(Some(1)), Ok(1));
        assert_eq!(chapter_cap(Some(MAX_ROSTER as i64)), Ok(MAX_ROSTER));
        for bad in [0, -1, MAX_ROSTER as i64 + 1] {
            assert!(chapter_cap(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_home_provider_is_the_chapters_own_instance() {
        let mut v = roster(json!([{ "id": "https://b.example/ap/members/bo", "sub": "m-1" }]));
        v["openid"] = json!({ "issuer": "https://b.example/", "client_id": "c_1" });
        let r = parse_roster(&v, "b.example").unwrap();
        let home = HomeProvider { issuer: "https://b.example".into(), client_id: "c_1".into() };
        assert_eq!(r.openid, Some(home));
        assert_eq!(r.members[0].subject.as_deref(), Some("m-1"));
        assert_eq!(parse_roster(&roster_json(&r), "b.example").unwrap(), r, "round trip");
        v["openid"]["issuer"] = json!("https://idp.example");
        assert!(parse_roster(&v, "b.example").is_err(), "an issuer elsewhere");
        v["openid"] = json!({ "issuer": "https://b.example", "client_id": "a b" });
        assert!(parse_roster(&v, "b.example").is_err(), "a malformed client id");
        let bad_sub = roster(json!([{ "id": "https://b.example/ap/members/bo", "sub": "" }]));
        assert!(parse_roster(&bad_sub, "b.example").is_err());
    }

    fn claim(issued_at: i64) -> BallotClaim {
        BallotClaim {
            proposal: "https://a.example/ap/proposals/p".into(),
            voter: "https://b.example/ap/members/bo".into(),
            chapter: "https://b.example/ap/orgs/ch".into(),
            ballot: json!({ "kind": "yes_no", "stance": "yes" }),
            nonce: "0123456789abcdef0123".into(),
            issued_at,
        }
    }

    #[test]
    fn a_signed_ballot_is_fresh_and_from_the_chapters_instance() {
        let now = 1_800_000_000;
        assert_eq!(parse_claim(&claim_json(&claim(now)), now).unwrap(), claim(now));
        assert!(parse_claim(&claim_json(&claim(now - CLAIM_MAX_AGE_S - 1)), now).is_err());
        assert!(parse_claim(&claim_json(&claim(now + CLAIM_MAX_FUTURE_S + 1)), now).is_err());
        let mut elsewhere = claim(now);
        elsewhere.voter = "https://c.example/ap/members/bo".into();
        assert!(parse_claim(&claim_json(&elsewhere), now).is_err());
        let mut short = claim(now);
        short.nonce = "abc".into();
        assert!(parse_claim(&claim_json(&short), now).is_err());
    }

    #[test]
    fn remote_accounts_have_stable_reserved_handles() {
        let a = account_handle("https://b.example/ap/members/bo");
        assert_eq!(a, account_handle("https://b.example/ap/members/bo"));
        assert_ne!(a, account_handle("https://b.example/ap/members/bob"));
        assert!(a.as_str().starts_with(ACCOUNT_PREFIX));
    }
}
