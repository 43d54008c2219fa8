//! Places: stewards import regions, cities and districts (GeoJSON with outlines, or code and
//! name alone); members say where they live and how precisely others may see it; stewards of an
//! organisation say where it is; the map counts members, chapters and businesses per place from
//! what is shown. Countries come with Commune (`commune_domain::politics::places::countries`).

use super::commune_for;
use crate::caller::Caller;
use crate::error::AppError;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::org::OrgKind;
use commune_domain::politics::places::{self, Boundary, Map, PlaceCode, Precision, Tally};
use commune_domain::validation::{Invalid, text};
use commune_store::Store;
use std::collections::{BTreeMap, BTreeSet};

/// A place the instance knows: a shipped country or an imported place.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlaceInfo {
    pub code: String,
    pub name: String,
    /// `country`, `region`, `city` or `district`.
    pub level: String,
    /// Whether an outline is drawn for it.
    pub outlined: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PlacesImport {
    /// A GeoJSON FeatureCollection: each feature a Polygon or MultiPolygon with the properties
    /// `code` (e.g. `de/be/berlin/mitte`) and `name`.
    #[serde(default)]
    pub geojson: String,
    /// Places without an outline: `{code, name}`.
    #[serde(default)]
    pub places: Vec<NamedPlace>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NamedPlace {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlacesImported {
    pub imported: usize,
    pub outlined: usize,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct MyPlaceInput {
    /// A known place (empty to forget it).
    #[serde(default)]
    pub place: String,
    /// What others see: `hidden`, `country`, `region`, `city` or `district`.
    pub shown_as: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MyPlace {
    pub place: Option<String>,
    pub shown_as: String,
    /// What others see of it.
    pub shown: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OrgPlaceInput {
    pub place: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MapView {
    #[schema(value_type = Object)]
    pub map: Map,
    /// The focused place, if any, and the places one may focus on next (those with something
    /// in them).
    pub focus: Option<PlaceInfo>,
    pub places: Vec<PlaceRowView>,
    /// Members who hide their place (counted nowhere on the map).
    pub hidden_members: u64,
}

/// One line of the table under the map.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlaceRowView {
    pub code: String,
    pub name: String,
    pub level: String,
    pub members: u64,
    pub chapters: u64,
    pub businesses: u64,
}

/// Every place the instance knows: shipped countries, then imported places.
pub async fn known(store: &Store) -> Result<BTreeMap<PlaceCode, (String, Option<String>)>, AppError> {
    let mut out: BTreeMap<PlaceCode, (String, Option<String>)> =
        places::countries().iter().map(|b| (b.code.clone(), (b.name.clone(), None))).collect();
    for row in store.places().await? {
        if let Ok(code) = PlaceCode::parse("place", &row.code) {
            out.insert(code, (row.name, row.geometry));
        }
    }
    Ok(out)
}

/// Every place the instance knows with its name and whether it has an outline, without reading
/// the outlines (only the map needs those, through [`known`]).
pub async fn named(store: &Store) -> Result<BTreeMap<PlaceCode, (String, bool)>, AppError> {
    let mut out: BTreeMap<PlaceCode, (String, bool)> =
        places::countries().iter().map(|b| (b.code.clone(), (b.name.clone(), true))).collect();
    for (code, name, outlined) in store.place_names().await? {
        if let Ok(code) = PlaceCode::parse("place", &code) {
            let shipped = out.get(&code).is_some_and(|k| k.1);
            out.insert(code, (name, outlined || shipped));
        }
    }
    Ok(out)
}

fn info(code: &PlaceCode, name: &str, outlined: bool) -> PlaceInfo {
    PlaceInfo { code: code.to_string(), name: name.to_owned(), level: code.level().as_str().to_owned(), outlined }
}

/// A known place or an error that says how to make it known.
pub async fn known_place(store: &Store, field: &'static str, raw: &str) -> Result<PlaceCode, AppError> {
    let code = PlaceCode::parse(field, raw)?;
    let shipped = code.level() == places::Level::Country && places::country(code.as_str()).is_some();
    if shipped || store.place_exists(code.as_str()).await? {
        return Ok(code);
    }
    Err(Invalid::new(field, format!("'{code}' is not a place this commune knows; its stewards import places first"))
        .into())
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<PlaceInfo>, AppError> {
    caller.authorize(state, None, Action::ReadDirectory).await?;
    Ok(named(&state.store).await?.iter().map(|(c, (n, outlined))| info(c, n, *outlined)).collect())
}

/// Imports places: outlines from GeoJSON and named places without one. Every place's parent
/// must be known already or come in the same import, so the hierarchy has no gaps.
pub async fn import(state: &AppState, caller: &Caller, input: &PlacesImport) -> Result<PlacesImported, AppError> {
    commune_for(state, caller, Action::ManagePolitics).await?;
    let me = caller.require_member()?;
    let mut rows: Vec<(PlaceCode, String, Option<String>)> = Vec::new();
    if !input.geojson.trim().is_empty() {
        for b in places::parse_boundaries(&input.geojson)? {
            let geometry = b.geometry_json();
            rows.push((b.code, b.name, Some(geometry)));
        }
    }
    if input.places.len() > places::MAX_FEATURES {
        return Err(Invalid::new("places", format!("at most {} places at once", places::MAX_FEATURES)).into());
    }
    for (i, p) in input.places.iter().enumerate() {
        let at = |e: Invalid| Invalid::new("places", format!("place {i}: {}", e.message));
        let code = PlaceCode::parse("places", &p.code).map_err(at)?;
        let name = text("places", &p.name, 1, 100, false).map_err(at)?;
        if rows.iter().any(|r| r.0 == code) {
            return Err(Invalid::new("places", format!("place {i}: '{code}' is given twice")).into());
        }
        rows.push((code, name, None));
    }
    if rows.is_empty() {
        return Err(Invalid::new("geojson", "give a GeoJSON FeatureCollection or a list of places").into());
    }
    let mut known: BTreeSet<PlaceCode> = named(&state.store).await?.into_keys().collect();
    rows.sort_by_key(|r| r.0.level());
    for (code, _, _) in &rows {
        if let Some(parent) = code.parent()
            && !known.contains(&parent)
        {
            return Err(Invalid::new(
                "places",
                format!("'{code}' lies in '{parent}', which is not known; import it first or with it"),
            )
            .into());
        }
        known.insert(code.clone());
    }
    let stored: Vec<(String, String, Option<String>)> =
        rows.iter().map(|(c, n, g)| (c.to_string(), n.clone(), g.clone())).collect();
    let mut tx = state.store.write(&me.member.id).await?;
    tx.import_places(&stored).await?;
    tx.commit().await?;
    Ok(PlacesImported { imported: rows.len(), outlined: rows.iter().filter(|r| r.2.is_some()).count() })
}

fn my_place_of(row: Option<commune_store::MemberPlace>) -> MyPlace {
    let Some(row) = row else { return MyPlace { place: None, shown_as: "hidden".into(), shown: None } };
    let code = PlaceCode::parse("place", &row.place_code).ok();
    let precision = Precision::parse("shown_as", &row.shown_as).unwrap_or(Precision::Hidden);
    MyPlace {
        shown: places::shown(code.as_ref(), precision).map(|c| c.to_string()),
        place: code.map(|c| c.to_string()),
        shown_as: precision.as_str().to_owned(),
    }
}

pub async fn my_place(state: &AppState, caller: &Caller) -> Result<MyPlace, AppError> {
    caller.authorize(state, None, Action::EditOwnProfile).await?;
    let me = caller.require_member()?;
    Ok(my_place_of(state.store.member_place(&me.member.id).await?))
}

/// Sets where the caller lives and how precisely others see it.
pub async fn set_my_place(state: &AppState, caller: &Caller, input: &MyPlaceInput) -> Result<MyPlace, AppError> {
    caller.authorize(state, None, Action::EditOwnProfile).await?;
    let me = caller.require_member()?;
    let precision = Precision::parse("shown_as", &input.shown_as)?;
    let mut tx = state.store.write(&me.member.id).await?;
    if input.place.trim().is_empty() {
        tx.clear_member_place(&me.member.id).await?;
    } else {
        let code = known_place(&state.store, "place", &input.place).await?;
        let shown = places::shown(Some(&code), precision).map(|c| c.to_string()).unwrap_or_default();
        tx.set_member_place(&me.member.id, code.as_str(), precision.as_str(), &shown).await?;
    }
    tx.commit().await?;
    my_place(state, caller).await
}

/// Sets where an organisation is (its stewards). An organisation's place is public.
pub async fn set_org_place(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &OrgPlaceInput,
) -> Result<PlaceInfo, AppError> {
    let org = org_for(state, caller, slug, Action::ManagePolitics).await?;
    let me = caller.require_member()?;
    let code = known_place(&state.store, "place", &input.place).await?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.set_org_place(&org.id, code.as_str()).await?;
    tx.commit().await?;
    let named = named(&state.store).await?;
    let name = named.get(&code).map_or_else(|| code.to_string(), |k| k.0.clone());
    Ok(info(&code, &name, true))
}

/// Each member's shown place (members who hide theirs are left out), by member id.
pub async fn shown_places(store: &Store) -> Result<BTreeMap<String, PlaceCode>, AppError> {
    let mut out = BTreeMap::new();
    for row in store.member_places().await? {
        let code = PlaceCode::parse("place", &row.place_code).ok();
        let precision = Precision::parse("shown_as", &row.shown_as).unwrap_or(Precision::Hidden);
        if let Some(shown) = places::shown(code.as_ref(), precision) {
            out.insert(row.member_id, shown);
        }
    }
    Ok(out)
}

/// Members, chapters and businesses per shown place.
pub async fn tallies(store: &Store) -> Result<(BTreeMap<PlaceCode, Tally>, u64), AppError> {
    let mut out: BTreeMap<PlaceCode, Tally> = BTreeMap::new();
    let shown = shown_places(store).await?;
    for code in shown.values() {
        out.entry(code.clone()).or_default().members += 1;
    }
    let everyone = store.member_places().await?.len() as u64;
    let orgs: BTreeMap<String, OrgKind> = store.list_orgs().await?.into_iter().map(|o| (o.id, o.kind)).collect();
    for (org_id, place) in store.org_places().await? {
        let Ok(code) = PlaceCode::parse("place", &place) else { continue };
        match orgs.get(&org_id) {
            Some(OrgKind::Chapter) => out.entry(code).or_default().chapters += 1,
            Some(OrgKind::Business) => out.entry(code).or_default().businesses += 1,
            _ => {}
        }
    }
    Ok((out, everyone - shown.len() as u64))
}

/// The map, focused on a place or on everything of ours.
pub async fn map(state: &AppState, caller: &Caller, focus: Option<&str>) -> Result<MapView, AppError> {
    caller.authorize(state, None, Action::ReadDirectory).await?;
    let known = known(&state.store).await?;
    let focus = match focus.map(str::trim).filter(|f| !f.is_empty()) {
        Some(raw) => Some(PlaceCode::parse("focus", raw)?),
        None => None,
    };
    let imported: Vec<Boundary> = known
        .iter()
        .filter_map(|(code, (name, geometry))| Boundary::from_stored(code.clone(), name.clone(), geometry.as_deref()?))
        .collect();
    let mut outlines: Vec<&Boundary> = places::countries().iter().collect();
    outlines.extend(imported.iter());
    let (tallies, hidden_members) = tallies(&state.store).await?;
    let map = places::draw(&outlines, &tallies, focus.as_ref());
    let name_of = |c: &PlaceCode| known.get(c).map_or_else(|| c.to_string(), |k| k.0.clone());
    let mut rows: BTreeMap<PlaceCode, Tally> = BTreeMap::new();
    for (code, t) in tallies.iter().filter(|(c, _)| focus.as_ref().is_none_or(|f| f.contains(c))) {
        // Each place adds to itself and every place above it inside the focus.
        for up in code.lineage().into_iter().filter(|u| focus.as_ref().is_none_or(|f| f.contains(u))) {
            let row = rows.entry(up).or_default();
            row.members += t.members;
            row.chapters += t.chapters;
            row.businesses += t.businesses;
        }
    }
    let places = rows
        .iter()
        .map(|(code, t)| PlaceRowView {
            code: code.to_string(),
            name: name_of(code),
            level: code.level().as_str().to_owned(),
            members: t.members,
            chapters: t.chapters,
            businesses: t.businesses,
        })
        .collect();
    Ok(MapView { focus: focus.as_ref().map(|f| info(f, &name_of(f), true)), map, places, hidden_members })
}
