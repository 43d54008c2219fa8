//! HTTP message signatures in the two dialects the fediverse speaks: RFC 9421 (`Signature-Input`
//! and `Signature`, structured fields) and draft-cavage-http-signatures-12 (one `Signature`
//! header of `key="value"` pairs), with the body digests each pairs with (`Content-Digest`,
//! RFC 9530; `Digest`, RFC 3230).
//!
//! Everything here is pure: a [`Message`] is what arrived (or what will leave), the caller
//! supplies the clock and the key. Parsing a signature gives the exact bytes that were signed
//! (the signature base or signing string); [`PublicKey::verify`] checks them; [`check_9421`] and
//! [`check_cavage`] hold the policy (what must be covered, how old a signature may be).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sfv::{BareItem, Dictionary, FieldType, InnerList, Item, ListEntry, Parser};
use sha2::Digest as _;
use std::time::{Duration, UNIX_EPOCH};

/// A signature older than this (by `created` or `Date`) is refused: deliveries are signed afresh
/// at each attempt, so an hour covers any queue.
pub const MAX_AGE_S: i64 = 3600;
/// How far ahead of our clock a signature's time may be.
pub const MAX_FUTURE_S: i64 = 300;

/// Which specification a signature follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Rfc9421,
    Cavage,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Rfc9421 => "rfc9421",
            Dialect::Cavage => "cavage",
        }
    }

    pub fn parse(raw: &str) -> Option<Dialect> {
        match raw {
            "rfc9421" => Some(Dialect::Rfc9421),
            "cavage" => Some(Dialect::Cavage),
            _ => None,
        }
    }

    /// The dialect tried after this one refused ("double knocking").
    pub fn other(self) -> Dialect {
        match self {
            Dialect::Rfc9421 => Dialect::Cavage,
            Dialect::Cavage => Dialect::Rfc9421,
        }
    }
}

/// The signature algorithms of the RFC 9421 registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    RsaV15Sha256,
    RsaPssSha512,
    EcdsaP256Sha256,
    Ed25519,
    HmacSha256,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::RsaV15Sha256 => "rsa-v1_5-sha256",
            Alg::RsaPssSha512 => "rsa-pss-sha512",
            Alg::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Alg::Ed25519 => "ed25519",
            Alg::HmacSha256 => "hmac-sha256",
        }
    }

    pub fn parse(raw: &str) -> Option<Alg> {
        [Alg::RsaV15Sha256, Alg::RsaPssSha512, Alg::EcdsaP256Sha256, Alg::Ed25519, Alg::HmacSha256]
            .into_iter()
            .find(|a| a.name() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("the request is not signed")]
    Unsigned,
    #[error("malformed signature: {0}")]
    Malformed(String),
    #[error("unsupported signature: {0}")]
    Unsupported(String),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the signature is too old (clock skew or replay)")]
    Expired,
    #[error("the signature is dated in the future (clock skew)")]
    Future,
    #[error("the body does not match its digest")]
    DigestMismatch,
    #[error("a body needs a Digest or Content-Digest header")]
    DigestMissing,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the key cannot be used: {0}")]
    BadKey(String),
}

fn malformed(what: impl Into<String>) -> SigError {
    SigError::Malformed(what.into())
}

/// The host (and port, unless the scheme's default) of an http(s) IRI.
pub fn host_of(iri: &str) -> Option<String> {
    Target::parse(iri).ok().map(|t| t.authority)
}

/// An absolute request target, split the way the derived components need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: String,
    /// Host and port as sent, lowercased, default ports dropped.
    pub authority: String,
    pub path: String,
    pub query: Option<String>,
}

impl Target {
    pub fn parse(uri: &str) -> Result<Target, SigError> {
        let (scheme, rest) = uri.split_once("://").ok_or_else(|| malformed("the target URI is not absolute"))?;
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https") {
            return Err(malformed("the target URI is not http(s)"));
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_query) = rest.split_at(split);
        if authority.is_empty() || authority.contains('@') {
            return Err(malformed("the target URI has no host"));
        }
        let mut authority = authority.to_ascii_lowercase();
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        if let Some(stripped) = authority.strip_suffix(default_port) {
            authority = stripped.to_string();
        }
        let (path, query) = match path_query.split_once('?') {
            Some((p, q)) => (p, Some(q.to_string())),
            None => (path_query, None),
        };
        let path = if path.is_empty() { "/".to_string() } else { path.to_string() };
        Ok(Target { scheme, authority, path, query })
    }

    pub fn uri(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.request_target())
    }

    pub fn request_target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }
}

/// An HTTP message as the signature sees it: a request (method and target) or a response
/// (status), and its header fields, names lowercased, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub method: Option<String>,
    pub target: Option<Target>,
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
}

impl Message {
    pub fn request<N: AsRef<str>, V: AsRef<str>>(
        method: &str,
        uri: &str,
        headers: impl IntoIterator<Item = (N, V)>,
    ) -> Result<Message, SigError> {
        Ok(Message {
            method: Some(method.to_string()),
            target: Some(Target::parse(uri)?),
            status: None,
            headers: lower(headers),
        })
    }

    pub fn response<N: AsRef<str>, V: AsRef<str>>(status: u16, headers: impl IntoIterator<Item = (N, V)>) -> Message {
        Message { method: None, target: None, status: Some(status), headers: lower(headers) }
    }

    /// A field's value: every line of that name, each trimmed, joined by `, ` (RFC 9421 §2.1).
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.trim()).collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    fn target(&self) -> Result<&Target, SigError> {
        self.target.as_ref().ok_or_else(|| malformed("a request component on a response"))
    }

    fn method(&self) -> Result<&str, SigError> {
        self.method.as_deref().ok_or_else(|| malformed("a request component on a response"))
    }
}

fn lower<N: AsRef<str>, V: AsRef<str>>(headers: impl IntoIterator<Item = (N, V)>) -> Vec<(String, String)> {
    headers.into_iter().map(|(n, v)| (n.as_ref().to_ascii_lowercase(), v.as_ref().to_string())).collect()
}

// ---------------------------------------------------------------------------------------------
// RFC 9421
// ---------------------------------------------------------------------------------------------

/// One RFC 9421 signature of a message, with the signature base it claims to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sig9421 {
    pub label: String,
    pub keyid: String,
    pub alg: Option<Alg>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
    /// The covered components' identifiers (`@method`, `content-digest`, ...).
    pub covered: Vec<String>,
    pub base: String,
    pub signature: Vec<u8>,
}

/// Every signature of a message in the RFC 9421 dialect, in `Signature-Input` order.
pub fn parse_9421(msg: &Message) -> Result<Vec<Sig9421>, SigError> {
    let input = msg.header("signature-input").ok_or(SigError::Unsigned)?;
    let signature = msg.header("signature").ok_or_else(|| malformed("Signature-Input without Signature"))?;
    let inputs: Dictionary = Parser::new(&input).parse().map_err(|e| malformed(format!("Signature-Input: {e}")))?;
    let signatures: Dictionary = Parser::new(&signature).parse().map_err(|e| malformed(format!("Signature: {e}")))?;
    if inputs.is_empty() {
        return Err(SigError::Unsigned);
    }
    let mut out = Vec::new();
    for (label, entry) in &inputs {
        let ListEntry::InnerList(list) = entry else {
            return Err(malformed(format!("signature {} is not an inner list", label.as_str())));
        };
        let bytes = match signatures.get(label) {
            Some(ListEntry::Item(Item { bare_item: BareItem::ByteSequence(b), .. })) => b.clone(),
            _ => return Err(malformed(format!("no signature bytes for {}", label.as_str()))),
        };
        out.push(signature_9421(msg, label.as_str(), list, bytes)?);
    }
    Ok(out)
}

fn signature_9421(msg: &Message, label: &str, list: &InnerList, signature: Vec<u8>) -> Result<Sig9421, SigError> {
    let base = signature_base(msg, list)?;
    let param = |name: &str| list.params.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v);
    let int = |name: &str| -> Result<Option<i64>, SigError> {
        param(name)
            .map(|v| v.as_integer().map(i64::from).ok_or_else(|| malformed(format!("{name} is not an integer"))))
            .transpose()
    };
    let string = |name: &str| -> Result<Option<String>, SigError> {
        param(name)
            .map(|v| {
                v.as_string()
                    .map(|s| s.as_str().to_string())
                    .ok_or_else(|| malformed(format!("{name} is not a string")))
            })
            .transpose()
    };
    let keyid = string("keyid")?.ok_or_else(|| malformed("the signature names no keyid"))?;
    let alg = match string("alg")? {
        Some(raw) => Some(Alg::parse(&raw).ok_or_else(|| SigError::Unsupported(format!("algorithm {raw}")))?),
        None => None,
    };
    let covered = list.items.iter().filter_map(|i| i.bare_item.as_string().map(|s| s.as_str().to_string())).collect();
    Ok(Sig9421 {
        label: label.to_string(),
        keyid,
        alg,
        created: int("created")?,
        expires: int("expires")?,
        covered,
        base,
        signature,
    })
}

/// The signature base of RFC 9421 §2.5 for the components and parameters of one signature.
pub fn signature_base(msg: &Message, list: &InnerList) -> Result<String, SigError> {
    let mut base = String::new();
    let mut seen = Vec::new();
    for item in &list.items {
        let id = item.serialize();
        if seen.contains(&id) {
            return Err(malformed(format!("{id} is covered twice")));
        }
        let value = component(msg, item)?;
        if value.contains('\n') {
            return Err(malformed(format!("{id} holds a line break")));
        }
        base.push_str(&format!("{id}: {value}\n"));
        seen.push(id);
    }
    let params =
        vec![ListEntry::InnerList(list.clone())].serialize().ok_or_else(|| malformed("empty signature parameters"))?;
    base.push_str(&format!("\"@signature-params\": {params}"));
    Ok(base)
}

fn component(msg: &Message, item: &Item) -> Result<String, SigError> {
    let Some(name) = item.bare_item.as_string() else {
        return Err(malformed("a component identifier is not a string"));
    };
    let name = name.as_str();
    if name != name.to_ascii_lowercase() {
        return Err(malformed(format!("component {name} is not lowercase")));
    }
    let mut query_name = None;
    for (key, value) in &item.params {
        match (key.as_str(), name) {
            ("name", "@query-param") => {
                query_name = Some(value.as_string().ok_or_else(|| malformed("name is not a string"))?.as_str());
            }
            (other, _) => return Err(SigError::Unsupported(format!("component parameter {other} on {name}"))),
        }
    }
    let value = match name {
        "@method" => msg.method()?.to_string(),
        "@target-uri" => msg.target()?.uri(),
        "@authority" => msg.target()?.authority.clone(),
        "@scheme" => msg.target()?.scheme.clone(),
        "@request-target" => msg.target()?.request_target(),
        "@path" => msg.target()?.path.clone(),
        "@query" => format!("?{}", msg.target()?.query.as_deref().unwrap_or_default()),
        "@query-param" => {
            let wanted = query_name.ok_or_else(|| malformed("@query-param needs a name"))?;
            query_param(msg.target()?.query.as_deref().unwrap_or_default(), wanted)?
        }
        "@status" => msg.status.ok_or_else(|| malformed("@status on a request"))?.to_string(),
        "@signature-params" => return Err(malformed("@signature-params cannot be covered")),
        derived if derived.starts_with('@') => return Err(SigError::Unsupported(format!("component {derived}"))),
        field => msg.header(field).ok_or_else(|| malformed(format!("covered field {field} is absent")))?,
    };
    Ok(value)
}

/// A named query parameter's value, decoded as a form and re-encoded (RFC 9421 §2.2.8). The
/// name is matched in that same encoded form; a name that occurs twice is refused.
fn query_param(query: &str, wanted: &str) -> Result<String, SigError> {
    let mut found = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if reencode(name) == wanted {
            if found.is_some() {
                return Err(SigError::Unsupported(format!("query parameter {wanted} occurs twice")));
            }
            found = Some(reencode(value));
        }
    }
    found.ok_or_else(|| malformed(format!("query parameter {wanted} is absent")))
}

fn reencode(raw: &str) -> String {
    let mut bytes = Vec::with_capacity(raw.len());
    let raw = raw.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' if i + 2 < raw.len() && raw[i + 1].is_ascii_hexdigit() && raw[i + 2].is_ascii_hexdigit() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap_or("00");
                bytes.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    let mut out = String::new();
    for b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds and signs one RFC 9421 signature (label `sig1`) over `covered`, returning the
/// `Signature-Input` and `Signature` field values.
pub fn sign_9421(
    msg: &Message,
    covered: &[&str],
    keyid: &str,
    alg: Option<Alg>,
    created: i64,
    key: &PrivateKey,
) -> Result<(String, String), SigError> {
    let mut list = format!("({})", covered.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(" "));
    list.push_str(&format!(";created={created};keyid=\"{keyid}\""));
    if let Some(alg) = alg {
        list.push_str(&format!(";alg=\"{}\"", alg.name()));
    }
    let parsed: Dictionary =
        Parser::new(&format!("sig1={list}")).parse().map_err(|e| malformed(format!("signature input: {e}")))?;
    let Some(ListEntry::InnerList(inner)) = parsed.get("sig1") else {
        return Err(malformed("signature input"));
    };
    let base = signature_base(msg, inner)?;
    let signature = key.sign(alg.unwrap_or(key.default_alg()), base.as_bytes())?;
    let input = vec![ListEntry::InnerList(inner.clone())].serialize().unwrap_or_default();
    Ok((format!("sig1={input}"), format!("sig1=:{}:", B64.encode(signature))))
}

// ---------------------------------------------------------------------------------------------
// draft-cavage-http-signatures-12
// ---------------------------------------------------------------------------------------------

/// A draft-cavage signature with the signing string it claims to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigCavage {
    pub keyid: String,
    pub algorithm: Option<String>,
    /// The covered headers, lowercased (`(request-target)`, `host`, `date`, `digest`, ...).
    pub headers: Vec<String>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub signing_string: String,
    pub signature: Vec<u8>,
}

/// The draft-cavage signature of a request, from `Signature` (or `Authorization: Signature`).
pub fn parse_cavage(msg: &Message) -> Result<SigCavage, SigError> {
    let raw = match msg.header("signature") {
        Some(raw) => raw,
        None => msg
            .header("authorization")
            .and_then(|a| a.strip_prefix("Signature ").map(str::to_string))
            .ok_or(SigError::Unsigned)?,
    };
    let pairs = cavage_pairs(&raw)?;
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let keyid = get("keyId").ok_or_else(|| malformed("the signature names no keyId"))?;
    let signature = B64
        .decode(get("signature").ok_or_else(|| malformed("no signature"))?)
        .map_err(|_| malformed("the signature is not base64"))?;
    let number = |name: &str| -> Result<Option<i64>, SigError> {
        get(name).map(|v| v.parse::<i64>().map_err(|_| malformed(format!("{name} is not a number")))).transpose()
    };
    let headers: Vec<String> = match get("headers") {
        Some(h) => h.split_whitespace().map(str::to_ascii_lowercase).collect(),
        None => vec!["(created)".into()],
    };
    if headers.is_empty() {
        return Err(malformed("the signature covers no headers"));
    }
    let created = number("created")?;
    let expires = number("expires")?;
    let mut lines = Vec::new();
    for h in &headers {
        let value = match h.as_str() {
            "(request-target)" => format!("{} {}", msg.method()?.to_ascii_lowercase(), msg.target()?.request_target()),
            "(created)" => created.ok_or_else(|| malformed("(created) is covered but absent"))?.to_string(),
            "(expires)" => expires.ok_or_else(|| malformed("(expires) is covered but absent"))?.to_string(),
            "host" => msg.header("host").unwrap_or(msg.target()?.authority.clone()),
            field => msg.header(field).ok_or_else(|| malformed(format!("covered header {field} is absent")))?,
        };
        lines.push(format!("{h}: {value}"));
    }
    Ok(SigCavage {
        keyid,
        algorithm: get("algorithm"),
        headers,
        created,
        expires,
        signing_string: lines.join("\n"),
        signature,
    })
}

fn cavage_pairs(raw: &str) -> Result<Vec<(String, String)>, SigError> {
    let mut pairs = Vec::new();
    let mut rest = raw.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=').ok_or_else(|| malformed("a signature parameter without a value"))?;
        let key = key.trim().to_string();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').ok_or_else(|| malformed("an unterminated quoted value"))?;
            (quoted[..end].to_string(), &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        if pairs.iter().any(|(k, _)| *k == key) {
            return Err(malformed(format!("{key} appears twice")));
        }
        pairs.push((key, value));
        rest = remaining.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Ok(pairs)
}

/// The algorithm a cavage signature's `algorithm` names, given the key it is checked with.
pub fn cavage_alg(algorithm: Option<&str>, key: &PublicKey) -> Result<Alg, SigError> {
    match algorithm.map(str::to_ascii_lowercase).as_deref() {
        None | Some("hs2019") => Ok(key.default_alg()),
        Some("rsa-sha256") => Ok(Alg::RsaV15Sha256),
        Some("ed25519") => Ok(Alg::Ed25519),
        Some("hmac-sha256") => Ok(Alg::HmacSha256),
        Some(other) => Err(SigError::Unsupported(format!("algorithm {other}"))),
    }
}

/// Signs a request in the cavage dialect over `(request-target) host date` and `digest` when
/// the request has one; returns the `Signature` header value.
pub fn sign_cavage(msg: &Message, keyid: &str, key: &PrivateKey) -> Result<String, SigError> {
    let mut headers = vec!["(request-target)", "host", "date"];
    if msg.header("digest").is_some() {
        headers.push("digest");
    }
    let probe = Message {
        headers: msg
            .headers
            .iter()
            .cloned()
            .chain([(
                "signature".to_string(),
                format!("keyId=\"{keyid}\",headers=\"{}\",signature=\"\"", headers.join(" ")),
            )])
            .collect(),
        ..msg.clone()
    };
    let parsed = parse_cavage(&probe)?;
    let signature = key.sign(Alg::RsaV15Sha256, parsed.signing_string.as_bytes())?;
    Ok(format!(
        "keyId=\"{keyid}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
        headers.join(" "),
        B64.encode(signature)
    ))
}

// ---------------------------------------------------------------------------------------------
// Policy: what an inbound signature must cover, and when it is fresh.
// ---------------------------------------------------------------------------------------------

fn fresh(at: i64, now: i64) -> Result<(), SigError> {
    if at > now + MAX_FUTURE_S {
        return Err(SigError::Future);
    }
    if now - at > MAX_AGE_S {
        return Err(SigError::Expired);
    }
    Ok(())
}

/// An RFC 9421 signature is acceptable on a request when it says when it was made (recently),
/// has not expired, covers the method and the target, and covers `content-digest` when there is
/// a body.
pub fn check_9421(sig: &Sig9421, has_body: bool, now: i64) -> Result<(), SigError> {
    let created = sig.created.ok_or(SigError::NotCovered("created"))?;
    fresh(created, now)?;
    if sig.expires.is_some_and(|e| e < now) {
        return Err(SigError::Expired);
    }
    let covers = |c: &str| sig.covered.iter().any(|x| x == c);
    if !covers("@method") {
        return Err(SigError::NotCovered("@method"));
    }
    if !(covers("@target-uri") || covers("@request-target") || (covers("@path") && covers("@authority"))) {
        return Err(SigError::NotCovered("@target-uri"));
    }
    if has_body && !covers("content-digest") && !covers("digest") {
        return Err(SigError::NotCovered("content-digest"));
    }
    Ok(())
}

/// A cavage signature is acceptable when it covers `(request-target)` and `host`, a time
/// (`date` or `(created)`, recent), and `digest` when there is a body.
pub fn check_cavage(sig: &SigCavage, msg: &Message, has_body: bool, now: i64) -> Result<(), SigError> {
    let covers = |c: &str| sig.headers.iter().any(|x| x == c);
    if !covers("(request-target)") {
        return Err(SigError::NotCovered("(request-target)"));
    }
    if !covers("host") {
        return Err(SigError::NotCovered("host"));
    }
    if covers("(created)") {
        fresh(sig.created.ok_or(SigError::NotCovered("created"))?, now)?;
    } else if covers("date") {
        let date = msg.header("date").ok_or(SigError::NotCovered("date"))?;
        fresh(parse_http_date(&date)?, now)?;
    } else {
        return Err(SigError::NotCovered("date"));
    }
    if sig.expires.is_some_and(|e| e < now) {
        return Err(SigError::Expired);
    }
    if has_body && !covers("digest") && !covers("content-digest") {
        return Err(SigError::NotCovered("digest"));
    }
    Ok(())
}

pub fn parse_http_date(raw: &str) -> Result<i64, SigError> {
    let at = httpdate::parse_http_date(raw).map_err(|_| malformed("Date is not an HTTP date"))?;
    Ok(at.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0))
}

pub fn http_date(now_s: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(now_s.max(0) as u64))
}

// ---------------------------------------------------------------------------------------------
// Body digests
// ---------------------------------------------------------------------------------------------

/// `Digest` (RFC 3230) for a body.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(sha2::Sha256::digest(body)))
}

/// `Content-Digest` (RFC 9530) for a body.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(sha2::Sha256::digest(body)))
}

/// Checks every recognised digest of the body the message carries (SHA-256 and SHA-512, in
/// either header). A body needs at least one; any that does not match refuses the message.
pub fn check_digests(msg: &Message, body: &[u8]) -> Result<(), SigError> {
    let mut checked = 0;
    let matches = |alg: &str, expected: &[u8]| -> Option<bool> {
        match alg {
            "sha-256" => Some(sha2::Sha256::digest(body).as_slice() == expected),
            "sha-512" => Some(sha2::Sha512::digest(body).as_slice() == expected),
            _ => None,
        }
    };
    if let Some(raw) = msg.header("digest") {
        for part in raw.split(',') {
            let (alg, value) = part.trim().split_once('=').ok_or_else(|| malformed("Digest"))?;
            let value = B64.decode(value.trim()).map_err(|_| malformed("Digest is not base64"))?;
            match matches(&alg.trim().to_ascii_lowercase(), &value) {
                Some(true) => checked += 1,
                Some(false) => return Err(SigError::DigestMismatch),
                None => {}
            }
        }
    }
    if let Some(raw) = msg.header("content-digest") {
        let dict: Dictionary = Parser::new(&raw).parse().map_err(|e| malformed(format!("Content-Digest: {e}")))?;
        for (alg, entry) in &dict {
            let ListEntry::Item(Item { bare_item: BareItem::ByteSequence(value), .. }) = entry else {
                return Err(malformed("Content-Digest member is not a byte sequence"));
            };
            match matches(alg.as_str(), value) {
                Some(true) => checked += 1,
                Some(false) => return Err(SigError::DigestMismatch),
                None => {}
            }
        }
    }
    if checked == 0 && !body.is_empty() {
        return Err(SigError::DigestMissing);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// A key a signature is checked with.
#[derive(Debug, Clone)]
pub enum PublicKey {
    Rsa(rsa::PublicKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    Hmac(Vec<u8>),
}

impl PublicKey {
    /// A public key from PEM: SubjectPublicKeyInfo (RSA, Ed25519, P-256) or PKCS#1 RSA.
    pub fn from_pem(pem: &str) -> Result<PublicKey, SigError> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        let pem = pem.trim();
        if let Ok(k) = rsa::PublicKey::from_public_key_pem(pem) {
            return Ok(PublicKey::Rsa(k));
        }
        if let Ok(k) = rsa::PublicKey::from_pkcs1_pem(pem) {
            return Ok(PublicKey::Rsa(k));
        }
        if let Ok(k) = <ed25519_dalek::VerifyingKey as ed25519_dalek::pkcs8::DecodePublicKey>::from_public_key_pem(pem)
        {
            return Ok(PublicKey::Ed25519(k));
        }
        if let Ok(k) = <p256::ecdsa::VerifyingKey as p256::pkcs8::DecodePublicKey>::from_public_key_pem(pem) {
            return Ok(PublicKey::P256(k));
        }
        Err(SigError::BadKey("not an RSA, Ed25519 or P-256 public key in PEM".into()))
    }

    /// The algorithm used with this key when the signature does not name one.
    pub fn default_alg(&self) -> Alg {
        match self {
            PublicKey::Rsa(_) => Alg::RsaV15Sha256,
            PublicKey::Ed25519(_) => Alg::Ed25519,
            PublicKey::P256(_) => Alg::EcdsaP256Sha256,
            PublicKey::Hmac(_) => Alg::HmacSha256,
        }
    }

    pub fn verify(&self, alg: Alg, message: &[u8], signature: &[u8]) -> Result<(), SigError> {
        use rsa::signature::Verifier;
        let ok = match (self, alg) {
            (PublicKey::Rsa(k), Alg::RsaV15Sha256) => {
                let key = rsa::pkcs1v15::VerifyingKey::<rsa::sha2::Sha256>::new(k.clone());
                rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
            }
            (PublicKey::Rsa(k), Alg::RsaPssSha512) => {
                let key = rsa::pss::VerifyingKey::<rsa::sha2::Sha512>::new(k.clone());
                rsa::pss::Signature::try_from(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
            }
            (PublicKey::Ed25519(k), Alg::Ed25519) => {
                ed25519_dalek::Signature::from_slice(signature).is_ok_and(|s| k.verify_strict(message, &s).is_ok())
            }
            (PublicKey::P256(k), Alg::EcdsaP256Sha256) => {
                p256::ecdsa::Signature::from_slice(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            (PublicKey::Hmac(secret), Alg::HmacSha256) => {
                use hmac::Mac;
                let mut mac =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).map_err(|_| SigError::BadKey("hmac".into()))?;
                mac.update(message);
                mac.verify_slice(signature).is_ok()
            }
            (_, alg) => return Err(SigError::BadKey(format!("{} does not fit this key", alg.name()))),
        };
        if ok { Ok(()) } else { Err(SigError::BadSignature) }
    }
}

/// A key a signature is made with.
#[derive(Debug, Clone)]
pub enum PrivateKey {
    Rsa(rsa::PrivateKey),
    Ed25519(ed25519_dalek::SigningKey),
    Hmac(Vec<u8>),
}

impl PrivateKey {
    /// An RSA key from PKCS#1 or PKCS#8 PEM.
    pub fn rsa_from_pem(pem: &str) -> Result<PrivateKey, SigError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        match rsa::PrivateKey::from_pkcs1_pem(pem) {
            Ok(key) => Ok(PrivateKey::Rsa(key)),
            Err(pkcs1) => rsa::PrivateKey::from_pkcs8_pem(pem)
                .map(PrivateKey::Rsa)
                .map_err(|pkcs8| SigError::BadKey(format!("{pkcs1}; {pkcs8}"))),
        }
    }

    pub fn default_alg(&self) -> Alg {
        match self {
            PrivateKey::Rsa(_) => Alg::RsaV15Sha256,
            PrivateKey::Ed25519(_) => Alg::Ed25519,
            PrivateKey::Hmac(_) => Alg::HmacSha256,
        }
    }

    /// Signs deterministically (RSA PKCS#1 v1.5, Ed25519, HMAC).
    pub fn sign(&self, alg: Alg, message: &[u8]) -> Result<Vec<u8>, SigError> {
        use rsa::signature::{SignatureEncoding, Signer};
        match (self, alg) {
            (PrivateKey::Rsa(k), Alg::RsaV15Sha256) => {
                let key = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(k.clone());
                let sig: rsa::pkcs1v15::Signature =
                    key.try_sign(message).map_err(|e| SigError::BadKey(e.to_string()))?;
                Ok(sig.to_vec())
            }
            (PrivateKey::Ed25519(k), Alg::Ed25519) => Ok(k.sign(message).to_bytes().to_vec()),
            (PrivateKey::Hmac(secret), Alg::HmacSha256) => {
                use hmac::Mac;
                let mut mac =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).map_err(|_| SigError::BadKey("hmac".into()))?;
                mac.update(message);
                Ok(mac.finalize().into_bytes().to_vec())
            }
            (_, alg) => Err(SigError::BadKey(format!("{} cannot sign with this key", alg.name()))),
        }
    }

    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa(k.to_public_key()),
            PrivateKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            PrivateKey::Hmac(s) => PublicKey::Hmac(s.clone()),
        }
    }
}

/// SubjectPublicKeyInfo PEM of an RSA public key, as actor documents publish it.
pub fn rsa_public_pem(key: &rsa::PublicKey) -> Result<String, SigError> {
    use rsa::pkcs8::EncodePublicKey;
    key.to_public_key_pem(rsa::pkcs8::LineEnding::LF).map_err(|e| SigError::BadKey(e.to_string()))
}

#[cfg(test)]
mod tests;
