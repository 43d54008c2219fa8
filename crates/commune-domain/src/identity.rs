//! Members: handles, names, passwords and profiles, as DESIGN.md §2.1 defines them.

use crate::validation::{self, Invalid, Violations};

/// A member's unique handle: `[a-z0-9_]{3,32}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Handle(String);

impl Handle {
    pub fn parse(raw: &str) -> Result<Handle, Invalid> {
        let lowered = raw.trim().to_ascii_lowercase();
        validation::identifier("handle", &lowered, 3, 32, &['_']).map(Handle)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The prefix of the handles of accounts kept for members of other instances (federated
/// chapters); nobody signs up with one.
pub const REMOTE_PREFIX: &str = "fed_";

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_BYTES: usize = 256;

/// Checks a new password against the policy; the password itself is never stored or echoed.
pub fn check_new_password(password: &str) -> Result<(), Invalid> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(Invalid::new(
            "password",
            format!("must be at least {PASSWORD_MIN_CHARS} characters; a short sentence works well"),
        ));
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(Invalid::new("password", format!("must be at most {PASSWORD_MAX_BYTES} bytes")));
    }
    Ok(())
}

pub const MAX_DOMAINS: usize = 12;

/// A domain of interest or expertise, e.g. `finance`, `ecology`: `[a-z0-9-]{2,32}`.
pub fn parse_domain(raw: &str) -> Result<String, Invalid> {
    validation::identifier("domains", &raw.trim().to_ascii_lowercase(), 2, 32, &['-'])
}

/// Parses a comma- or whitespace-separated list of domains, deduplicated, in given order.
pub fn parse_domains(raw: &[String]) -> Result<Vec<String>, Invalid> {
    let mut domains: Vec<String> = Vec::new();
    for piece in raw.iter().flat_map(|s| s.split(|c: char| c == ',' || c.is_whitespace())) {
        if piece.trim().is_empty() {
            continue;
        }
        let domain = parse_domain(piece)?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if domains.len() > MAX_DOMAINS {
        return Err(Invalid::new("domains", format!("at most {MAX_DOMAINS} domains")));
    }
    Ok(domains)
}

/// The editable part of a member's profile, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Profile {
    pub display_name: String,
    pub bio: String,
    pub place: String,
    pub domains: Vec<String>,
}

/// Raw profile input as a form or JSON body gives it.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput<'a> {
    pub display_name: &'a str,
    pub bio: &'a str,
    pub place: &'a str,
    pub domains: &'a [String],
}

impl Profile {
    pub fn parse(input: &ProfileInput<'_>) -> Result<Profile, Violations> {
        let mut v = Violations::default();
        let display_name = v.check(validation::text("display_name", input.display_name, 1, 64, false));
        let bio = v.check(validation::text("bio", input.bio, 0, 2000, true));
        let place = v.check(validation::text("place", input.place, 0, 100, false));
        let domains = v.check(parse_domains(input.domains));
        match (display_name, bio, place, domains) {
            (Some(display_name), Some(bio), Some(place), Some(domains)) => {
                Ok(Profile { display_name, bio, place, domains })
            }
            _ => Err(v),
        }
    }
}

/// A validated sign-up: handle, profile and an acceptable password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    pub handle: Handle,
    pub profile: Profile,
}

impl Signup {
    pub fn parse(handle: &str, password: &str, profile: &ProfileInput<'_>) -> Result<Signup, Violations> {
        let mut v = Violations::default();
        let handle = v.check(Handle::parse(handle).and_then(|h| {
            if h.as_str().starts_with(REMOTE_PREFIX) {
                Err(Invalid::new(
                    "handle",
                    format!("handles starting with {REMOTE_PREFIX} are kept for members of other instances"),
                ))
            } else {
                Ok(h)
            }
        }));
        v.check(check_new_password(password));
        let profile = match Profile::parse(profile) {
            Ok(p) => Some(p),
            Err(more) => {
                v.0.extend(more.0);
                None
            }
        };
        match (handle, profile) {
            (Some(handle), Some(profile)) if v.is_empty() => Ok(Signup { handle, profile }),
            _ => Err(v),
        }
    }
}

/// The largest avatar a member may upload.
pub const MAX_AVATAR_BYTES: usize = 256 * 1024;

/// An uploaded avatar's type, read from its first bytes (never from what the browser claims):
/// PNG, JPEG or WebP. SVG and everything else is refused (an SVG can carry script).
pub fn avatar_type(bytes: &[u8]) -> Result<&'static str, crate::Invalid> {
    if bytes.len() > MAX_AVATAR_BYTES {
        return Err(crate::Invalid::new("avatar", format!("at most {} KiB", MAX_AVATAR_BYTES / 1024)));
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Ok("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(crate::Invalid::new("avatar", "a PNG, JPEG or WebP picture"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_handle(raw: &str, expected: Option<&str>) {
        assert_eq!(Handle::parse(raw).ok().as_ref().map(Handle::as_str), expected, "handle {raw:?}");
    }

    #[test]
    fn handles() {
        check_handle("ada", Some("ada"));
        check_handle("  Ada_Lovelace ", Some("ada_lovelace"));
        check_handle("ab", None);
        check_handle(&"a".repeat(32), Some(&"a".repeat(32)));
        check_handle(&"a".repeat(33), None);
        check_handle("ada-l", None);
        check_handle("adä", None);
        check_handle("", None);
    }

    #[test]
    fn signup_collects_every_violation() {
        let err = Signup::parse("x", "short", &ProfileInput { display_name: "", ..Default::default() })
            .expect_err("all fields are bad");
        let fields: Vec<_> = err.0.iter().map(|v| v.field).collect();
        assert_eq!(fields, ["handle", "password", "display_name"]);
    }

    #[test]
    fn domains_are_normalised() {
        let parsed = parse_domains(&["Finance, ecology".into(), "finance".into()]).expect("valid");
        assert_eq!(parsed, ["finance", "ecology"]);
        assert!(parse_domains(&["no/slash".into()]).is_err());
    }

    #[test]
    fn text_rejects_control_characters_and_overflow() {
        assert!(validation::text("bio", "line\nline", 0, 10, true).is_ok());
        assert!(validation::text("name", "line\nline", 0, 10, false).is_err());
        assert!(validation::text("name", "\u{7}", 0, 10, false).is_err());
        assert!(validation::text("name", &"é".repeat(11), 0, 10, false).is_err());
    }
}

#[cfg(test)]
mod avatar_tests {
    use super::{MAX_AVATAR_BYTES, avatar_type};

    #[test]
    fn only_raster_pictures_of_a_bounded_size_are_avatars() {
        assert_eq!(avatar_type(b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(avatar_type(b"\xff\xd8\xff\xe0...."), Ok("image/jpeg"));
        assert_eq!(avatar_type(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert!(avatar_type(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>").is_err());
        assert!(avatar_type(b"GIF89a").is_err());
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_AVATAR_BYTES + 1, 0);
        assert!(avatar_type(&big).is_err());
    }
}
