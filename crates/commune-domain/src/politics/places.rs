//! Places: the hierarchy country → region → city → district as slash-separated codes
//! (`de/be/berlin/mitte`), how precisely a member lets others see theirs, boundaries imported as
//! GeoJSON (strictly checked, errors naming the feature), the shipped country outlines, and the
//! map drawn from them as SVG paths. Nothing here fetches anything: the outlines are compiled in.

use crate::validation::Invalid;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How deep a place may be: country, region, city, district.
pub const MAX_DEPTH: usize = 4;
/// The largest GeoJSON document an import may carry.
pub const MAX_GEOJSON_BYTES: usize = 4 * 1024 * 1024;
/// The most features one import may carry.
pub const MAX_FEATURES: usize = 2_000;
/// The most coordinate pairs one import may carry.
pub const MAX_POINTS: usize = 400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Country,
    Region,
    City,
    District,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Country, Level::Region, Level::City, Level::District];

    pub fn depth(self) -> usize {
        self as usize + 1
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Country => "country",
            Level::Region => "region",
            Level::City => "city",
            Level::District => "district",
        }
    }
}

/// A place: one to four segments, the first an ISO 3166-1 alpha-2 country code, the others
/// `[a-z0-9-]{1,40}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PlaceCode(String);

impl PlaceCode {
    pub fn parse(field: &'static str, raw: &str) -> Result<PlaceCode, Invalid> {
        let code = raw.trim().trim_matches('/').to_ascii_lowercase();
        let bad = |m: &str| Err(Invalid::new(field, format!("{m} (a place looks like de/be/berlin/mitte)")));
        if code.is_empty() {
            return bad("name a place");
        }
        let segments: Vec<&str> = code.split('/').collect();
        if segments.len() > MAX_DEPTH {
            return bad("a place has at most four parts: country, region, city, district");
        }
        let country = segments[0];
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_lowercase()) {
            return bad("the first part is a two-letter country code");
        }
        for s in &segments[1..] {
            let ok = (1..=40).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return bad("each part after the country is 1 to 40 of a-z, 0-9 and -");
            }
        }
        Ok(PlaceCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        Level::ALL[self.0.split('/').count() - 1]
    }

    pub fn country(&self) -> &str {
        self.0.split('/').next().unwrap_or_default()
    }

    pub fn parent(&self) -> Option<PlaceCode> {
        self.0.rsplit_once('/').map(|(parent, _)| PlaceCode(parent.to_owned()))
    }

    /// This place and every place above it, the country first.
    pub fn lineage(&self) -> Vec<PlaceCode> {
        let parts: Vec<&str> = self.0.split('/').collect();
        (1..=parts.len()).map(|n| PlaceCode(parts[..n].join("/"))).collect()
    }

    /// Whether `other` is this place or lies inside it.
    pub fn contains(&self, other: &PlaceCode) -> bool {
        other.0 == self.0 || other.0.strip_prefix(&self.0).is_some_and(|rest| rest.starts_with('/'))
    }

    /// This place cut to `level` (itself when it is no deeper).
    pub fn at_most(&self, level: Level) -> PlaceCode {
        PlaceCode(self.0.split('/').take(level.depth()).collect::<Vec<_>>().join("/"))
    }
}

impl std::fmt::Display for PlaceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How much of their place a member lets others see. Counts on maps, in the leverage view and on
/// public pages are made only from what members show, so an aggregate never says more about a
/// member than they chose to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Hidden,
    Country,
    Region,
    City,
    District,
}

impl Precision {
    pub const ALL: [Precision; 5] =
        [Precision::Hidden, Precision::Country, Precision::Region, Precision::City, Precision::District];

    pub fn parse(field: &'static str, raw: &str) -> Result<Precision, Invalid> {
        Precision::ALL
            .into_iter()
            .find(|p| p.as_str() == raw.trim().to_ascii_lowercase())
            .ok_or_else(|| Invalid::new(field, "one of hidden, country, region, city, district"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Hidden => "hidden",
            Precision::Country => "country",
            Precision::Region => "region",
            Precision::City => "city",
            Precision::District => "district",
        }
    }

    fn level(self) -> Option<Level> {
        match self {
            Precision::Hidden => None,
            Precision::Country => Some(Level::Country),
            Precision::Region => Some(Level::Region),
            Precision::City => Some(Level::City),
            Precision::District => Some(Level::District),
        }
    }
}

/// What others may see of a member's place: nothing, or the place cut to the chosen precision.
pub fn shown(place: Option<&PlaceCode>, precision: Precision) -> Option<PlaceCode> {
    Some(place?.at_most(precision.level()?))
}

/// Whether a member who shows `shown` is visibly inside `district`: only a shown place at least
/// as deep as the district counts, so no count reveals more than members chose to show.
pub fn visibly_in(shown: &PlaceCode, district: &PlaceCode) -> bool {
    district.contains(shown)
}

/// A place's outline: polygons of rings of (longitude, latitude), the first ring of each the
/// outside.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Boundary {
    pub code: PlaceCode,
    pub name: String,
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

impl Boundary {
    /// The outline as GeoJSON geometry (a `MultiPolygon`), for storing.
    pub fn geometry_json(&self) -> String {
        let polys: Vec<Vec<Vec<[f64; 2]>>> = self
            .polygons
            .iter()
            .map(|p| p.iter().map(|r| r.iter().map(|&(x, y)| [x, y]).collect()).collect())
            .collect();
        serde_json::json!({ "type": "MultiPolygon", "coordinates": polys }).to_string()
    }

    /// Reads a stored outline back (`geometry_json`'s output).
    pub fn from_stored(code: PlaceCode, name: String, geometry: &str) -> Option<Boundary> {
        let value: serde_json::Value = serde_json::from_str(geometry).ok()?;
        let polygons = read_geometry(&value).ok()?.0;
        Some(Boundary { code, name, polygons })
    }
}

/// Reads a GeoJSON `FeatureCollection` of places: each feature a `Polygon` or `MultiPolygon`
/// with the properties `code` (a place code) and `name`. Refuses the whole document at the
/// first problem, naming the feature.
pub fn parse_boundaries(raw: &str) -> Result<Vec<Boundary>, Invalid> {
    let field = "geojson";
    if raw.len() > MAX_GEOJSON_BYTES {
        return Err(Invalid::new(field, format!("at most {} MiB of GeoJSON", MAX_GEOJSON_BYTES >> 20)));
    }
    let doc: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| Invalid::new(field, format!("not JSON: {e}")))?;
    if doc.get("type").and_then(|t| t.as_str()) != Some("FeatureCollection") {
        return Err(Invalid::new(field, "a GeoJSON FeatureCollection is expected"));
    }
    let features = doc
        .get("features")
        .and_then(|f| f.as_array())
        .ok_or_else(|| Invalid::new(field, "the FeatureCollection has no features array"))?;
    if features.is_empty() || features.len() > MAX_FEATURES {
        return Err(Invalid::new(field, format!("between 1 and {MAX_FEATURES} features")));
    }
    let mut out: Vec<Boundary> = Vec::with_capacity(features.len());
    let mut points = 0usize;
    for (i, feature) in features.iter().enumerate() {
        let props = feature.get("properties");
        let prop = |k: &str| props.and_then(|p| p.get(k)).and_then(|v| v.as_str()).unwrap_or_default();
        let name_of = |m: String| Invalid::new(field, format!("feature {i} (code '{}'): {m}", prop("code")));
        let code = PlaceCode::parse(field, prop("code")).map_err(|e| name_of(e.message))?;
        let name = crate::validation::text(field, prop("name"), 1, 100, false).map_err(|e| name_of(e.message))?;
        let geometry = feature.get("geometry").ok_or_else(|| name_of("it has no geometry".into()))?;
        let (polygons, n) = read_geometry(geometry).map_err(name_of)?;
        points += n;
        if points > MAX_POINTS {
            return Err(name_of(format!("the document has more than {MAX_POINTS} points; simplify it")));
        }
        if out.iter().any(|b| b.code == code) {
            return Err(name_of("another feature has the same code".into()));
        }
        out.push(Boundary { code, name, polygons });
    }
    Ok(out)
}

type Polygons = Vec<Vec<Vec<(f64, f64)>>>;

fn read_geometry(geometry: &serde_json::Value) -> Result<(Polygons, usize), String> {
    let coords = geometry.get("coordinates").ok_or("the geometry has no coordinates")?;
    let polygons: Vec<&serde_json::Value> = match geometry.get("type").and_then(|t| t.as_str()) {
        Some("Polygon") => vec![coords],
        Some("MultiPolygon") => coords.as_array().ok_or("MultiPolygon coordinates must be an array")?.iter().collect(),
        other => return Err(format!("the geometry must be a Polygon or MultiPolygon, not {other:?}")),
    };
    let mut out = Vec::with_capacity(polygons.len());
    let mut count = 0;
    for polygon in polygons {
        let rings = polygon.as_array().filter(|r| !r.is_empty()).ok_or("a polygon needs at least one ring")?;
        let mut read = Vec::with_capacity(rings.len());
        for ring in rings {
            let ring = ring.as_array().ok_or("a ring must be an array of positions")?;
            if ring.len() < 4 {
                return Err("a ring needs at least four positions".into());
            }
            let mut pts = Vec::with_capacity(ring.len());
            for pos in ring {
                let pair = pos.as_array().filter(|p| p.len() >= 2).ok_or("a position is [longitude, latitude]")?;
                let (Some(x), Some(y)) = (pair[0].as_f64(), pair[1].as_f64()) else {
                    return Err("a position is [longitude, latitude] in numbers".into());
                };
                if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                    return Err(format!("the position [{x}, {y}] is outside longitude ±180 and latitude ±90"));
                }
                pts.push((x, y));
            }
            if pts.first() != pts.last() {
                return Err("a ring must end where it starts".into());
            }
            count += pts.len();
            read.push(pts);
        }
        out.push(read);
    }
    if out.is_empty() {
        return Err("the geometry has no polygons".into());
    }
    Ok((out, count))
}

/// The shipped country outlines (Natural Earth 1:110m, public domain; see `data/README.md`).
pub fn countries() -> &'static [Boundary] {
    static COUNTRIES: OnceLock<Vec<Boundary>> = OnceLock::new();
    COUNTRIES.get_or_init(|| {
        // The shipped file is checked by a test; should it ever be unreadable, the map is empty.
        parse_boundaries(include_str!("../../data/countries-110m.geojson")).unwrap_or_default()
    })
}

/// The shipped country with this two-letter code.
pub fn country(code: &str) -> Option<&'static Boundary> {
    countries().iter().find(|b| b.code.as_str() == code)
}

/// What lives in one place, counted from what members show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub members: u64,
    pub chapters: u64,
    pub businesses: u64,
}

impl Tally {
    pub fn total(&self) -> u64 {
        self.members + self.chapters + self.businesses
    }
}

/// One outline on the map.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Shape {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// SVG path data in the map's coordinates.
    pub d: String,
    /// Whether anything of ours is inside it (drawn brighter).
    pub lit: bool,
}

/// One place with people, chapters or businesses in it: a circle whose area grows with them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dot {
    pub code: String,
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub tally: Tally,
}

/// A map ready to draw: a view box in projected units, outlines, and dots.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Map {
    pub view_box: String,
    pub shapes: Vec<Shape>,
    pub dots: Vec<Dot>,
}

/// An equirectangular projection scaled by the cosine of the view's middle latitude, so shapes
/// near the view keep their proportions. `y` grows southwards, as SVG's does.
#[derive(Debug, Clone, Copy)]
struct Projection {
    k: f64,
}

impl Projection {
    fn at(self, (lon, lat): (f64, f64)) -> (f64, f64) {
        (lon * self.k * 10.0, -lat * 10.0)
    }
}

fn bbox<'a>(points: impl Iterator<Item = &'a (f64, f64)>) -> Option<[f64; 4]> {
    points.fold(None, |acc, &(x, y)| {
        Some(match acc {
            None => [x, y, x, y],
            Some([a, b, c, d]) => [a.min(x), b.min(y), c.max(x), d.max(y)],
        })
    })
}

fn boundary_bbox(b: &Boundary) -> Option<[f64; 4]> {
    bbox(b.polygons.iter().flatten().flatten())
}

/// The centre of a boundary: the area-weighted centroid of its largest polygon's outside ring.
pub fn centre(b: &Boundary) -> Option<(f64, f64)> {
    let ring_area = |r: &Vec<(f64, f64)>| -> (f64, f64, f64) {
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for w in r.windows(2) {
            let cross = w[0].0 * w[1].1 - w[1].0 * w[0].1;
            a += cross;
            cx += (w[0].0 + w[1].0) * cross;
            cy += (w[0].1 + w[1].1) * cross;
        }
        (a / 2.0, cx, cy)
    };
    let largest =
        b.polygons.iter().filter_map(|p| p.first()).map(ring_area).max_by(|x, y| x.0.abs().total_cmp(&y.0.abs()))?;
    let (a, cx, cy) = largest;
    if a.abs() < 1e-12 {
        let bb = boundary_bbox(b)?;
        return Some(((bb[0] + bb[2]) / 2.0, (bb[1] + bb[3]) / 2.0));
    }
    Some((cx / (6.0 * a), cy / (6.0 * a)))
}

fn path(b: &Boundary, proj: Projection) -> String {
    let mut d = String::new();
    for ring in b.polygons.iter().flatten() {
        for (i, &p) in ring.iter().enumerate() {
            let (x, y) = proj.at(p);
            d.push_str(&format!("{}{:.1} {:.1}", if i == 0 { "M" } else { "L" }, x, y));
        }
        d.push('Z');
    }
    d
}

/// Draws a map of `boundaries` (countries and imported places) with a dot per tallied place.
/// The view covers the places inside `focus` (a country, say), else every lit place, else the
/// world. A tallied place without an outline of its own sits at its nearest outlined ancestor's
/// centre, nudged by its code so neighbours do not hide each other.
pub fn draw(boundaries: &[&Boundary], tallies: &BTreeMap<PlaceCode, Tally>, focus: Option<&PlaceCode>) -> Map {
    let by_code: BTreeMap<&PlaceCode, &Boundary> = boundaries.iter().map(|b| (&b.code, *b)).collect();
    let anchor = |code: &PlaceCode| -> Option<(f64, f64)> {
        let found = code.lineage().into_iter().rev().find_map(|c| by_code.get(&c).copied())?;
        let (x, y) = centre(found)?;
        if found.code == *code {
            return Some((x, y));
        }
        let h = code.as_str().bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        let angle = f64::from(h % 360).to_radians();
        let spread = boundary_bbox(found).map_or(0.2, |bb| ((bb[2] - bb[0]).min(bb[3] - bb[1]) / 6.0).min(2.0));
        Some((x + spread * angle.cos(), y + spread * angle.sin()))
    };
    let lit = |b: &Boundary| tallies.keys().any(|t| b.code.contains(t) || t.contains(&b.code));
    let in_focus = |b: &Boundary| focus.is_none_or(|f| f.contains(&b.code));
    let framed: Vec<&Boundary> =
        boundaries.iter().copied().filter(|b| in_focus(b) && (focus.is_some() || lit(b))).collect();
    let frame = bbox(
        framed
            .iter()
            .filter_map(|b| boundary_bbox(b))
            .flat_map(|bb| [(bb[0], bb[1]), (bb[2], bb[3])])
            .collect::<Vec<_>>()
            .iter(),
    )
    .unwrap_or([-180.0, -60.0, 180.0, 85.0]);
    let pad = ((frame[2] - frame[0]).max(frame[3] - frame[1]) * 0.08).max(0.05);
    let frame = [frame[0] - pad, frame[1] - pad, frame[2] + pad, frame[3] + pad];
    let mid = ((frame[1] + frame[3]) / 2.0).to_radians();
    let proj = Projection { k: mid.cos().max(0.2) };
    let overlaps = |bb: [f64; 4]| bb[0] <= frame[2] && bb[2] >= frame[0] && bb[1] <= frame[3] && bb[3] >= frame[1];
    let mut shapes: Vec<Shape> = boundaries
        .iter()
        .filter(|b| boundary_bbox(b).is_some_and(overlaps))
        .map(|b| Shape {
            code: b.code.as_str().to_owned(),
            name: b.name.clone(),
            level: b.code.level(),
            d: path(b, proj),
            lit: lit(b),
        })
        .collect();
    shapes.sort_by(|a, b| a.level.cmp(&b.level).then(a.code.cmp(&b.code)));
    let (x0, y0) = proj.at((frame[0], frame[3]));
    let (x1, y1) = proj.at((frame[2], frame[1]));
    let width = (x1 - x0).max(1.0);
    let biggest = tallies.values().map(Tally::total).max().unwrap_or(1).max(1) as f64;
    let dots = tallies
        .iter()
        .filter(|(code, _)| focus.is_none_or(|f| f.contains(code)))
        .filter_map(|(code, tally)| {
            let (x, y) = proj.at(anchor(code)?);
            let name = by_code.get(code).map_or_else(|| code.as_str().to_owned(), |b| b.name.clone());
            let r = width / 60.0 * (0.6 + 1.4 * (tally.total() as f64 / biggest).sqrt());
            Some(Dot { code: code.as_str().to_owned(), name, x, y, r, tally: *tally })
        })
        .collect();
    Map { view_box: format!("{x0:.1} {y0:.1} {width:.1} {:.1}", (y1 - y0).max(1.0)), shapes, dots }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> PlaceCode {
        PlaceCode::parse("place", raw).unwrap()
    }

    #[test]
    fn codes_are_strict_and_nested() {
        for bad in ["", "deu", "d1", "de/Be rlin", "de/a/b/c/d", "de//x", &format!("de/{}", "a".repeat(41))] {
            assert!(PlaceCode::parse("place", bad).is_err(), "{bad}");
        }
        let mitte = code(" DE/be/berlin/mitte/ ");
        assert_eq!(mitte.as_str(), "de/be/berlin/mitte");
        assert_eq!(mitte.level(), Level::District);
        assert_eq!(mitte.country(), "de");
        assert_eq!(mitte.parent(), Some(code("de/be/berlin")));
        assert!(code("de/be").contains(&mitte));
        assert!(mitte.contains(&mitte));
        assert!(!code("de/b").contains(&mitte), "a prefix of a segment is not a parent");
        assert!(!mitte.contains(&code("de/be")));
        assert_eq!(mitte.lineage().len(), 4);
        assert_eq!(mitte.at_most(Level::Region), code("de/be"));
        assert_eq!(code("de").at_most(Level::District), code("de"));
    }

    #[test]
    fn precision_hides_what_a_member_keeps_to_themselves() {
        let mitte = code("de/be/berlin/mitte");
        assert_eq!(shown(Some(&mitte), Precision::Hidden), None);
        assert_eq!(shown(Some(&mitte), Precision::City), Some(code("de/be/berlin")));
        assert_eq!(shown(Some(&mitte), Precision::District), Some(mitte.clone()));
        assert_eq!(shown(None, Precision::District), None);
        // A member showing only their city is never counted inside a district.
        let city = shown(Some(&mitte), Precision::City).unwrap();
        assert!(!visibly_in(&city, &mitte));
        assert!(visibly_in(&mitte, &code("de/be/berlin")));
        assert!(Precision::parse("p", "street").is_err());
    }

    #[test]
    fn shipped_countries_are_readable() {
        let all = countries();
        assert!(all.len() > 150, "{}", all.len());
        let de = country("de").unwrap();
        assert_eq!(de.name, "Germany");
        let (lon, lat) = centre(de).unwrap();
        assert!((6.0..15.0).contains(&lon) && (47.0..55.0).contains(&lat), "{lon} {lat}");
    }

    fn feature(code: &str, geometry: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{{"code":"{code}","name":"X"}},"geometry":{geometry}}}"#)
    }

    fn collection(features: &[String]) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[13.3,52.5],[13.4,52.5],[13.4,52.6],[13.3,52.5]]]}"#;

    #[test]
    fn geojson_is_checked_and_errors_name_the_feature() {
        let ok = parse_boundaries(&collection(&[feature("de/be/berlin/mitte", SQUARE)])).unwrap();
        assert_eq!(ok[0].polygons[0][0].len(), 4);
        let round = Boundary::from_stored(ok[0].code.clone(), "X".into(), &ok[0].geometry_json()).unwrap();
        assert_eq!(round, ok[0]);
        let cases = [
            (collection(&[feature("de/x", SQUARE), feature("nowhere!", SQUARE)]), "feature 1 (code 'nowhere!')"),
            (collection(&[feature("de/x", r#"{"type":"Point","coordinates":[1,2]}"#)]), "Polygon or MultiPolygon"),
            (
                collection(&[feature("de/x", r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,2]]]}"#)]),
                "end where it starts",
            ),
            (
                collection(&[feature("de/x", r#"{"type":"Polygon","coordinates":[[[0,0],[200,0],[1,1],[0,0]]]}"#)]),
                "outside longitude",
            ),
            (collection(&[feature("de/x", SQUARE), feature("de/x", SQUARE)]), "same code"),
            (collection(&[]), "between 1 and"),
            ("{\"type\":\"Feature\"}".to_owned(), "FeatureCollection"),
            ("not json".to_owned(), "not JSON"),
            (" ".repeat(MAX_GEOJSON_BYTES + 1), "MiB"),
        ];
        for (doc, expected) in cases {
            let err = parse_boundaries(&doc).unwrap_err();
            assert!(err.message.contains(expected), "{expected}: {}", err.message);
        }
    }

    #[test]
    fn the_map_frames_what_is_lit_and_places_dots_inside_their_outline() {
        let mitte = parse_boundaries(&collection(&[feature("de/be/berlin/mitte", SQUARE)])).unwrap();
        let mut all: Vec<&Boundary> = countries().iter().collect();
        all.push(&mitte[0]);
        let mut tallies = BTreeMap::new();
        tallies.insert(code("de/be/berlin/mitte"), Tally { members: 3, chapters: 1, businesses: 0 });
        tallies.insert(code("fr"), Tally { members: 1, chapters: 0, businesses: 1 });
        let map = draw(&all, &tallies, None);
        assert!(map.shapes.iter().any(|s| s.code == "de" && s.lit));
        assert!(map.shapes.iter().any(|s| s.code == "fr" && s.lit));
        assert!(!map.shapes.iter().any(|s| s.code == "au"), "far away countries are not drawn");
        assert_eq!(map.dots.len(), 2);
        let focused = draw(&all, &tallies, Some(&code("de")));
        assert_eq!(focused.dots.len(), 1);
        assert_eq!(focused.dots[0].tally.members, 3);
        // The dot sits at the district's own centre.
        let (x, y) = (focused.dots[0].x, focused.dots[0].y);
        let k = 52.55f64.to_radians().cos();
        assert!((x / 10.0 / k - 13.37).abs() < 2.0 && (-y / 10.0 - 52.53).abs() < 0.5, "{x} {y}");
    }
}
