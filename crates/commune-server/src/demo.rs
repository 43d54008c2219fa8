//! The demo commune: a living sample so a newcomer sees real content in the first minute.
//! Deterministic (a fixed seed), loaded in one audited transaction, only into an empty instance.

use crate::auth::hash_password;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::identity::{Handle, Profile};
use commune_domain::org::{Admission, NewOrg, OrgKind, Role};

/// Every demo member's password.
pub const DEMO_PASSWORD: &str = "commune-demo";

const FIRST: [&str; 50] = [
    "Ada", "Bayo", "Chen", "Dalia", "Emeka", "Freya", "Goran", "Hana", "Ines", "Jonas", "Kemal", "Lena", "Mateo",
    "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Vik", "Wren", "Xiu", "Yara", "Zeno", "Amara",
    "Bruno", "Cleo", "Dmitri", "Esme", "Felix", "Gaia", "Hugo", "Ilse", "Jae", "Kira", "Luca", "Mina", "Nico", "Olu",
    "Pia", "Rafa", "Saoirse", "Teo", "Ulla", "Vera", "Wilu", "Yusuf", "Zara",
];
const LAST: [&str; 10] =
    ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Kowalski", "Reyes", "Berg"];
const PLACES: [&str; 4] = ["Riverside", "Old Town", "Harbour", "Hillcrest"];
const DOMAINS: [&str; 8] = ["finance", "engineering", "ecology", "food", "energy", "design", "education", "logistics"];
const BIOS: [&str; 6] = [
    "Fixes things, then writes down how.",
    "Bakes at dawn, balances the books at dusk.",
    "Solar installer and weekend cyclist.",
    "Teaches, learns, repeats.",
    "Keeps the supply chain honest.",
    "Designs for people who are not designers.",
];

struct DemoOrg {
    slug: &'static str,
    name: &'static str,
    kind: OrgKind,
    place: &'static str,
    description: &'static str,
}

const ORGS: [DemoOrg; 5] = [
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

/// A small deterministic generator (64-bit LCG), so the demo is the same on every machine.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below.max(1) as u64) as usize
    }
}

/// Fills an empty instance with the demo commune. Refused once the instance is set up.
pub async fn load(state: &AppState) -> Result<(), AppError> {
    if !crate::service::needs_setup(state).await? {
        return Err(AppError::Rule(
            "this instance already has a commune; the demo loads only into an empty one".into(),
        ));
    }
    // One hash for all demo members: they share a published password anyway.
    let hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    let mut rng = Seeded(20261128);
    let mut tx = state.store.write("demo").await?;
    let mut members = Vec::new();
    for (i, first) in FIRST.iter().enumerate() {
        let last = LAST[i % LAST.len()];
        let handle = Handle::parse(&first.to_ascii_lowercase())?;
        let domains = vec![DOMAINS[i % DOMAINS.len()].to_owned(), DOMAINS[(i * 3 + 1) % DOMAINS.len()].to_owned()];
        let mut domains_dedup = domains.clone();
        domains_dedup.dedup();
        let profile = Profile {
            display_name: format!("{first} {last}"),
            bio: BIOS[i % BIOS.len()].to_owned(),
            place: PLACES[i % PLACES.len()].to_owned(),
            domains: domains_dedup,
        };
        members.push(tx.create_member(&handle, &profile, &hash).await?);
    }
    let commune = NewOrg {
        slug: "neon-valley".into(),
        name: "Neon Valley Commune".into(),
        kind: OrgKind::Commune,
        description: "Fifty members, four co-op businesses and a chapter, owning everything together.".into(),
        place: "Neon Valley".into(),
        admission: Admission::Steward,
    };
    let root = tx.create_org(&commune, &members[0].id).await?;
    tx.set_setting("demo", "1").await?;
    for member in &members[1..] {
        tx.add_member(&root.id, &member.id, Role::Member).await?;
    }
    tx.set_role(&root.id, &members[1].id, Role::Steward).await?;
    for (k, spec) in ORGS.iter().enumerate() {
        let founder = &members[(k * 7 + 2) % members.len()];
        let new = NewOrg {
            slug: spec.slug.into(),
            name: spec.name.into(),
            kind: spec.kind,
            description: spec.description.into(),
            place: spec.place.into(),
            admission: Admission::Steward,
        };
        let org = tx.create_org(&new, &founder.id).await?;
        let size = 8 + rng.next(8);
        let mut joined = vec![founder.id.clone()];
        while joined.len() < size {
            let candidate = &members[rng.next(members.len())];
            if joined.contains(&candidate.id) {
                continue;
            }
            let role = if joined.len() == 1 { Role::Steward } else { Role::Member };
            tx.add_member(&org.id, &candidate.id, role).await?;
            joined.push(candidate.id.clone());
        }
        // Ada (the demo's first steward) stewards Common Code too, so she sees requests.
        if spec.slug == "common-code" && !joined.contains(&members[0].id) {
            tx.add_member(&org.id, &members[0].id, Role::Steward).await?;
            joined.push(members[0].id.clone());
        }
        // Two pending requests per organisation, from members not yet in it.
        let outsiders: Vec<_> = members.iter().filter(|m| !joined.contains(&m.id)).collect();
        let mut requested: Vec<&str> = Vec::new();
        while requested.len() < 2.min(outsiders.len()) {
            let candidate = outsiders[rng.next(outsiders.len())];
            if !requested.contains(&candidate.id.as_str()) {
                tx.create_join_request(&org.id, &candidate.id, "I would love to help out here.").await?;
                requested.push(&candidate.id);
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
