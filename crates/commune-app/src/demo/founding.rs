//! Founding the demo commune: its members and organisations, then the season.

use super::books::ledger_demo;
use super::people::{BIOS, DEMO_PASSWORD, DOMAINS, DemoOrg, FIRST, LAST, ORGS, PLACES, Seeded, Staffed};
use super::ratings::merit_demo;
use super::season::governance_season;
use crate::error::AppError;
use crate::secrets::hash_password;
use crate::state::AppState;
use commune_domain::identity::{Handle, Profile};
use commune_domain::org::{Admission, NewOrg, OrgKind, Role};
use commune_store::WriteTx;

/// How long ago the demo commune was founded.
const FOUNDED_DAYS_AGO: i64 = 200;

/// Fills an empty instance with the demo commune. Refused once the instance is set up.
pub async fn load(state: &AppState) -> Result<(), AppError> {
    if !crate::service::needs_setup(state).await? {
        return Err(AppError::Rule(
            "this instance already has a commune; the demo loads only into an empty one".into(),
        ));
    }
    // One hash for all demo members: they share a published password anyway.
    let hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    let mut rng = Seeded(commune_domain::seeded::SplitMix64(20261128));
    // The commune was founded half a year ago: its members, organisations and places have a
    // past that seasons replay.
    let now = commune_store::now_ms();
    let founded = now - FOUNDED_DAYS_AGO * super::people::DAY;
    let mut tx = state.store.write_at("demo", founded).await?;
    let members = create_members(&mut tx, &hash).await?;
    let commune = NewOrg {
        slug: "neon-valley".into(),
        name: "Neon Valley Commune".into(),
        kind: OrgKind::Commune,
        description:
            "Fifty members, five co-op businesses and three chapters in two countries, owning everything together."
                .into(),
        place: "Neon Valley".into(),
        admission: Admission::Steward,
    };
    let root = tx.create_org(&commune, &members[0].id).await?;
    tx.set_setting("demo", "1").await?;
    for member in &members[1..] {
        tx.add_member(&root.id, &member.id, Role::Member).await?;
    }
    tx.set_role(&root.id, &members[1].id, Role::Steward).await?;
    let mut orgs: Vec<Staffed> = vec![(root.clone(), members.iter().map(|m| m.id.clone()).collect())];
    for (k, spec) in ORGS.iter().enumerate() {
        orgs.push(found_org(&mut tx, &mut rng, &members, k, spec).await?);
    }
    // A season of governance: delegations and proposals in every phase.
    let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
    for (i, (domain, delegate)) in
        [(Some("finance"), 1), (None, 0), (Some("energy"), 4), (None, 1), (None, 7), (Some("design"), 0)]
            .iter()
            .enumerate()
    {
        let delegator = &ids[10 + i * 3];
        tx.delegate(&root.id, delegator, &ids[*delegate], domain.unwrap_or("")).await?;
    }
    merit_demo(&mut tx, &mut rng, &root.id, &ids, now).await?;
    tx.commit().await?;
    crate::merit::recompute(state, now).await?;
    ledger_demo(state, &mut rng, &orgs, &members, now).await?;
    governance_season(state, &mut rng, &orgs, &members, now).await?;
    super::rounds::season(state, &orgs, &members).await?;
    super::rounds::funding(state, &orgs[0], &orgs, &members).await?;
    super::expenses::season(state, &orgs[4], &members, &members[0]).await?;
    super::expenses::last_year(state, &orgs[2], &members).await?;
    super::work::season(state, &orgs[4], &members, &members[0]).await?;
    super::learn::season(state, &orgs[4], &members, &members[0]).await?;
    super::ideas::commune(state, &orgs[0], &members).await?;
    super::ideas::business(state, &orgs[4], &members, &members[0]).await?;
    super::apps::season(state, &orgs[4], &members, &members[0]).await?;
    super::politics::season(state, &orgs, &members, founded, now).await?;
    // The outcomes are evidence: believability sees them.
    crate::merit::recompute(state, commune_store::now_ms()).await?;
    // Everyone's inbox: the season's notifications, with what is older than two days read.
    crate::inbox::catch_up(state).await?;
    state.store.mark_all_read_before(now - 2 * 24 * 3600 * 1000).await?;
    Ok(())
}

/// The fifty members, with their profiles.
async fn create_members(tx: &mut WriteTx, hash: &str) -> Result<Vec<commune_store::Member>, AppError> {
    let mut members = Vec::new();
    for (i, first) in FIRST.iter().enumerate() {
        let last = LAST[i % LAST.len()];
        let handle = Handle::parse(&first.to_ascii_lowercase())?;
        let mut domains = vec![DOMAINS[i % DOMAINS.len()].to_owned(), DOMAINS[(i * 3 + 1) % DOMAINS.len()].to_owned()];
        domains.dedup();
        let profile = Profile {
            display_name: format!("{first} {last}"),
            bio: BIOS[i % BIOS.len()].to_owned(),
            place: PLACES[i % PLACES.len()].to_owned(),
            domains,
        };
        members.push(tx.create_member(&handle, &profile, hash).await?);
    }
    Ok(members)
}

/// One organisation of the commune: founded by a member, staffed by a seeded handful (its first
/// joiner stewards it with the founder), with two join requests waiting.
async fn found_org(
    tx: &mut WriteTx,
    rng: &mut Seeded,
    members: &[commune_store::Member],
    k: usize,
    spec: &DemoOrg,
) -> Result<Staffed, AppError> {
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
    Ok((org, joined))
}
