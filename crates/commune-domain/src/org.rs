//! Organisations: the commune itself (the root, which owns the common pot), co-op businesses and
//! local chapters; memberships with roles; admission policies.

use crate::validation::{self, Invalid, Violations};

/// What an organisation is. Exactly one `Commune` exists per instance: the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Commune,
    Business,
    Chapter,
}

impl OrgKind {
    pub const ALL: [OrgKind; 3] = [OrgKind::Commune, OrgKind::Business, OrgKind::Chapter];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Commune => "commune",
            OrgKind::Business => "business",
            OrgKind::Chapter => "chapter",
        }
    }

    pub fn parse(raw: &str) -> Result<OrgKind, Invalid> {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("kind", "must be one of commune, business, chapter"))
    }
}

/// A member's role inside one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Steward,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Steward => "steward",
        }
    }

    pub fn parse(raw: &str) -> Result<Role, Invalid> {
        match raw.trim() {
            "member" => Ok(Role::Member),
            "steward" => Ok(Role::Steward),
            _ => Err(Invalid::new("role", "must be member or steward")),
        }
    }
}

/// How new members get in. Only stewards admit for now; admission by vote arrives with governance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    Steward,
}

impl Admission {
    pub fn as_str(self) -> &'static str {
        match self {
            Admission::Steward => "steward",
        }
    }

    pub fn parse(raw: &str) -> Result<Admission, Invalid> {
        match raw.trim() {
            "steward" | "" => Ok(Admission::Steward),
            _ => Err(Invalid::new("admission", "must be steward (admission by vote comes with governance)")),
        }
    }
}

/// An organisation's URL slug: `[a-z0-9-]{2,40}`, not starting or ending with `-`.
pub fn parse_slug(raw: &str) -> Result<String, Invalid> {
    let slug = validation::identifier("slug", &raw.trim().to_ascii_lowercase(), 2, 40, &['-'])?;
    if slug.starts_with('-') || slug.ends_with('-') {
        return Err(Invalid::new("slug", "must not start or end with '-'"));
    }
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err(Invalid::new("slug", format!("'{slug}' is reserved; choose another")));
    }
    Ok(slug)
}

/// Slugs that would shadow pages under `/orgs/`.
const RESERVED_SLUGS: [&str; 3] = ["new", "api", "admin"];

/// A validated new organisation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewOrg {
    pub slug: String,
    pub name: String,
    pub kind: OrgKind,
    pub description: String,
    pub place: String,
    pub admission: Admission,
}

#[derive(Debug, Clone, Default)]
pub struct NewOrgInput<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub description: &'a str,
    pub place: &'a str,
    pub admission: &'a str,
}

impl NewOrg {
    /// Validates a new organisation. The root commune is created only by first-run setup, so
    /// `kind = commune` is refused here unless `allow_commune`.
    pub fn parse(input: &NewOrgInput<'_>, allow_commune: bool) -> Result<NewOrg, Violations> {
        let mut v = Violations::default();
        let slug = v.check(parse_slug(input.slug));
        let name = v.check(validation::text("name", input.name, 1, 80, false));
        let kind = v.check(OrgKind::parse(input.kind).and_then(|k| {
            if k == OrgKind::Commune && !allow_commune {
                Err(Invalid::new("kind", "there is exactly one commune; create a business or a chapter"))
            } else {
                Ok(k)
            }
        }));
        let description = v.check(validation::text("description", input.description, 0, 2000, true));
        let place = v.check(validation::text("place", input.place, 0, 100, false));
        let admission = v.check(Admission::parse(input.admission));
        match (slug, name, kind, description, place, admission) {
            (Some(slug), Some(name), Some(kind), Some(description), Some(place), Some(admission)) => {
                Ok(NewOrg { slug, name, kind, description, place, admission })
            }
            _ => Err(v),
        }
    }
}

/// Status of a request to join an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinStatus {
    Pending,
    Admitted,
    Rejected,
}

impl JoinStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinStatus::Pending => "pending",
            JoinStatus::Admitted => "admitted",
            JoinStatus::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<JoinStatus> {
        match raw {
            "pending" => Some(JoinStatus::Pending),
            "admitted" => Some(JoinStatus::Admitted),
            "rejected" => Some(JoinStatus::Rejected),
            _ => None,
        }
    }
}

/// Why a member may not leave or be demoted: an organisation never loses its last steward.
pub fn check_keeps_a_steward(stewards_after: usize) -> Result<(), Invalid> {
    if stewards_after == 0 {
        Err(Invalid::new("role", "an organisation must keep at least one steward; appoint another first"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for (raw, ok) in [
            ("ab", true),
            ("green-bakery", true),
            ("-x", false),
            ("x-", false),
            ("a", false),
            ("new", false),
            ("A_B", false),
        ] {
            assert_eq!(parse_slug(raw).is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn the_commune_is_created_only_by_setup() {
        let input = NewOrgInput { slug: "root", name: "Root", kind: "commune", ..Default::default() };
        assert!(NewOrg::parse(&input, false).is_err());
        assert_eq!(NewOrg::parse(&input, true).map(|o| o.kind), Ok(OrgKind::Commune));
    }
}
