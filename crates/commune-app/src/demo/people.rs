//! The demo's cast: names, places, domains, organisations, and its seeded random numbers.

use commune_domain::org::OrgKind;

/// Every demo member's password.
pub const DEMO_PASSWORD: &str = "commune-demo";

pub(crate) const FIRST: [&str; 50] = [
    "Ada", "Bayo", "Chen", "Dalia", "Emeka", "Freya", "Goran", "Hana", "Ines", "Jonas", "Kemal", "Lena", "Mateo",
    "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Vik", "Wren", "Xiu", "Yara", "Zeno", "Amara",
    "Bruno", "Cleo", "Dmitri", "Esme", "Felix", "Gaia", "Hugo", "Ilse", "Jae", "Kira", "Luca", "Mina", "Nico", "Olu",
    "Pia", "Rafa", "Saoirse", "Teo", "Ulla", "Vera", "Wilu", "Yusuf", "Zara",
];
pub(crate) const LAST: [&str; 10] =
    ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Kowalski", "Reyes", "Berg"];
pub(crate) const PLACES: [&str; 4] = ["Riverside", "Old Town", "Harbour", "Hillcrest"];
pub(crate) const DOMAINS: [&str; 8] =
    ["finance", "engineering", "ecology", "food", "energy", "design", "education", "logistics"];
pub(crate) const BIOS: [&str; 6] = [
    "Fixes things, then writes down how.",
    "Bakes at dawn, balances the books at dusk.",
    "Solar installer and weekend cyclist.",
    "Teaches, learns, repeats.",
    "Keeps the supply chain honest.",
    "Designs for people who are not designers.",
];

pub(crate) struct DemoOrg {
    pub(crate) slug: &'static str,
    pub(crate) name: &'static str,
    pub(crate) kind: OrgKind,
    pub(crate) place: &'static str,
    pub(crate) description: &'static str,
}

pub(crate) const ORGS: [DemoOrg; 5] = [
    DemoOrg {
        slug: "solar-forge",
        name: "Solar Forge Co-op",
        kind: OrgKind::Business,
        place: "Harbour",
        description: "Community solar: we install, maintain and share the panels on our roofs.",
    },
    DemoOrg {
        slug: "byte-bakery",
        name: "Byte Bakery",
        kind: OrgKind::Business,
        place: "Old Town",
        description: "Sourdough, pastries and a café with open books.",
    },
    DemoOrg {
        slug: "loop-cycles",
        name: "Loop Cycles",
        kind: OrgKind::Business,
        place: "Riverside",
        description: "Bicycle repair, refurbishing and cargo-bike delivery.",
    },
    DemoOrg {
        slug: "common-code",
        name: "Common Code",
        kind: OrgKind::Business,
        place: "Hillcrest",
        description: "A software studio that builds the tools the commune runs on.",
    },
    DemoOrg {
        slug: "riverside",
        name: "Riverside Chapter",
        kind: OrgKind::Chapter,
        place: "Riverside",
        description: "The local chapter of members living along the river.",
    },
];

/// The domain's seeded generator, so the demo is the same on every machine.
pub(crate) struct Seeded(pub(crate) commune_domain::seeded::SplitMix64);

impl Seeded {
    pub(crate) fn next(&mut self, below: usize) -> usize {
        self.0.below(below as u64) as usize
    }
}

pub(crate) type Staffed = (commune_store::Org, Vec<String>);

/// An organisation's stewards and its other members, the visitor left out of both.
pub(crate) async fn staff(
    state: &crate::state::AppState,
    staffed: &Staffed,
    members: &[commune_store::Member],
    visitor: &commune_store::Member,
) -> Result<(Vec<commune_store::Member>, Vec<commune_store::Member>), crate::error::AppError> {
    let (org, ids) = staffed;
    let (mut stewards, mut others) = (Vec::new(), Vec::new());
    for id in ids {
        let Some(m) = members.iter().find(|m| m.id == *id) else { continue };
        match state.store.role_in(&org.id, id).await? {
            Some(commune_domain::org::Role::Steward) if m.id != visitor.id => stewards.push(m.clone()),
            Some(_) if m.id != visitor.id => others.push(m.clone()),
            _ => {}
        }
    }
    Ok((stewards, others))
}

/// A demo member acting through the operations, as if signed in.
pub(crate) fn caller(member: &commune_store::Member) -> crate::caller::Caller {
    crate::caller::Caller::Member(crate::caller::SignedIn {
        member: member.clone(),
        session_hash: String::new(),
        csrf: String::new(),
        instance_steward: false,
        signed_in_at: 0,
    })
}

pub(crate) const HOUR: i64 = 3_600_000;
pub(crate) const DAY: i64 = 24 * HOUR;
