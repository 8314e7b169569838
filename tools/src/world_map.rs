//! World map generator: takes Natural Earth country outlines as TopoJSON (world-atlas
//! `countries-110m.json`) and the ISO 3166-1 code table (`iso3166-codes.json`) and gives the text
//! of `data/worlddata/world-map.tsv`: one line per country, its alpha-2 code and an SVG path in a
//! fixed viewBox, which whence embeds to draw the map of the HTML report.
//!
//! The steps, each chosen so that the committed file is small, exact to the pixel and the same
//! bytes on every run:
//! 1. Arcs are decoded from TopoJSON's quantised delta encoding (`transform`, then running sums).
//! 2. Arcs are cut where they cross the antimeridian (Fiji and Chukotka do), so that no edge
//!    runs across the whole map; the pieces of a ring are closed along the map's edge.
//! 3. Every point is projected with Equal Earth (Šavrič, Patterson, Jenny 2018, "The Equal Earth
//!    map projection", International Journal of Geographical Information Science 33(3),
//!    doi:10.1080/13658816.2018.1504949): equal-area, so a country's ink matches its land, which a
//!    choropleth needs (equirectangular would make Russia and Canada look far larger than they
//!    are), and its flat poles keep the map wide like the report page.
//! 4. Each arc, not each ring, is simplified with Douglas–Peucker (Douglas, Peucker 1973) in
//!    viewBox units. TopoJSON shares one arc between the two countries it separates, so both get
//!    the same simplified border: no gaps or overlaps between neighbours, which simplifying each
//!    ring on its own would create. Arc ends are kept, so the junctions of three countries stay.
//! 5. Points are rounded to a tenth of a viewBox unit and written as relative moves from integer
//!    tenths, so rounding never accumulates along a path.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Width of the viewBox the paths are drawn in. The height follows from Equal Earth's aspect.
pub const WIDTH: f64 = 1000.0;

/// Douglas–Peucker tolerance in viewBox units. Measured on countries-110m: unsimplified the
/// file is 80 KB; at 0.5 (half a pixel on a 1000 px wide map, below what the eye sees) it is
/// 50 KB and 4 island rings collapse under rounding; at 1.0 it is 32 KB but 18 islands vanish.
pub const DEFAULT_TOLERANCE: f64 = 0.5;

/// Equal Earth's polynomial coefficients (Šavrič, Patterson, Jenny 2018, equation 2).
const A1: f64 = 1.340264;
const A2: f64 = -0.081106;
const A3: f64 = 0.000893;
const A4: f64 = 0.003796;

/// Features world-atlas ships without an ISO numeric id (ISO 3166-1 has none for them), by
/// `properties.name`, with the alpha-2 code GeoIP databases report for addresses there:
/// Kosovo's user-assigned XK (MaxMind and the other GeoIP providers use it), and the
/// internationally recognised country for the two unrecognised states, so their land is drawn
/// in the colour of the code their addresses get rather than left blank.
const UNNUMBERED: &[(&str, &str)] = &[("Kosovo", "XK"), ("N. Cyprus", "CY"), ("Somaliland", "SO")];

/// The generated table, before it is written.
#[derive(Debug)]
pub struct WorldMap {
    /// Height of the viewBox `0 0 WIDTH height`.
    pub height: f64,
    /// Alpha-2 code to SVG path data, sorted by code.
    pub paths: BTreeMap<String, String>,
    /// Features that neither the numeric id nor [`UNNUMBERED`] could name, as "id name".
    pub unmatched: Vec<String>,
    /// Rings dropped because rounding left fewer than three distinct points.
    pub dropped_rings: usize,
}

impl WorldMap {
    /// The TSV text: two `#` comment lines (source and viewBox), then `code<TAB>path` lines.
    pub fn to_tsv(&self) -> String {
        let mut text = String::new();
        text.push_str(
            "# Natural Earth 1:110m countries (world-atlas), Equal Earth projection, \
             written by `whence-tools world-map`; see README.md\n",
        );
        let _ = writeln!(text, "# viewBox 0 0 {WIDTH} {}", self.height);
        for (code, path) in &self.paths {
            let _ = writeln!(text, "{code}\t{path}");
        }
        text
    }
}

#[derive(Deserialize)]
struct Topology {
    transform: Option<Transform>,
    arcs: Vec<Vec<Vec<f64>>>,
    objects: Objects,
}

#[derive(Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

#[derive(Deserialize)]
struct Objects {
    countries: GeometryCollection,
}

#[derive(Deserialize)]
struct GeometryCollection {
    geometries: Vec<Geometry>,
}

#[derive(Deserialize)]
struct Geometry {
    /// A string such as "004" in world-atlas 2, a number in older releases.
    id: Option<serde_json::Value>,
    #[serde(default)]
    properties: Properties,
    #[serde(flatten)]
    shape: Shape,
}

#[derive(Deserialize, Default)]
struct Properties {
    #[serde(default)]
    name: String,
}

/// Arc indices: `i` is arc `i` forwards, `!i` (that is `-i - 1`) arc `i` backwards.
#[derive(Deserialize)]
#[serde(tag = "type")]
enum Shape {
    Polygon {
        arcs: Vec<Vec<i64>>,
    },
    MultiPolygon {
        arcs: Vec<Vec<Vec<i64>>>,
    },
    /// Points, lines and null geometries have no area to fill.
    #[serde(other)]
    Other,
}

/// Builds the map from the text of a TopoJSON topology with a `countries` object and of the
/// `[[alpha-2, alpha-3, numeric, ...], ...]` code table.
///
/// # Errors
/// If either text is not the JSON described, or a ring names an arc that does not exist.
pub fn build(topology: &str, codes: &str, tolerance: f64) -> Result<WorldMap> {
    let topology: Topology =
        serde_json::from_str(topology).context("not a TopoJSON topology with `countries`")?;
    let codes: Vec<Vec<String>> =
        serde_json::from_str(codes).context("not a list of [alpha-2, alpha-3, numeric] rows")?;
    let alpha2_of: HashMap<&str, &str> = codes
        .iter()
        .filter_map(|row| Some((row.get(2)?.as_str(), row.first()?.as_str())))
        .collect();

    let projection = Projection::new();
    let arcs: Vec<Vec<Piece>> = decode_arcs(&topology)
        .into_iter()
        .map(|arc| {
            cut_at_antimeridian(&arc)
                .into_iter()
                .map(|piece| {
                    let projected: Vec<(f64, f64)> = piece
                        .into_iter()
                        .map(|(lon, lat)| projection.project(lon, lat))
                        .collect();
                    simplify(&projected, tolerance)
                        .into_iter()
                        .map(|(x, y)| (tenths(x), tenths(y)))
                        .collect()
                })
                .collect()
        })
        .collect();

    let mut map = WorldMap {
        height: projection.height,
        paths: BTreeMap::new(),
        unmatched: Vec::new(),
        dropped_rings: 0,
    };
    for geometry in &topology.objects.countries.geometries {
        let polygons: Vec<&Vec<Vec<i64>>> = match &geometry.shape {
            Shape::Polygon { arcs } => vec![arcs],
            Shape::MultiPolygon { arcs } => arcs.iter().collect(),
            Shape::Other => continue,
        };
        let numeric = geometry.id.as_ref().and_then(numeric_id);
        let code = numeric
            .as_deref()
            .and_then(|id| alpha2_of.get(id).copied())
            .or_else(|| {
                UNNUMBERED
                    .iter()
                    .find(|(name, _)| *name == geometry.properties.name)
                    .map(|&(_, code)| code)
            });
        let Some(code) = code else {
            map.unmatched.push(format!(
                "{} {}",
                numeric.as_deref().unwrap_or("-"),
                geometry.properties.name
            ));
            continue;
        };
        let path = map.paths.entry(code.to_string()).or_default();
        for polygon in polygons {
            for (index, ring) in polygon.iter().enumerate() {
                let (kept, dropped): (Vec<_>, Vec<_>) = stitch(&arcs, ring)?
                    .into_iter()
                    .partition(|points| points.len() >= 3);
                map.dropped_rings += dropped.len();
                if index == 0 && kept.is_empty() {
                    // Holes of a vanished outline would draw as land on their own.
                    map.dropped_rings += polygon.len() - 1;
                    break;
                }
                for points in &kept {
                    write_ring(path, points);
                }
            }
        }
    }
    map.paths.retain(|_, path| !path.is_empty());
    Ok(map)
}

/// The numeric id as the code table spells it: three digits with leading zeros.
fn numeric_id(id: &serde_json::Value) -> Option<String> {
    match id {
        serde_json::Value::String(text) => Some(format!("{:0>3}", text.trim())),
        serde_json::Value::Number(number) => Some(format!("{:03}", number.as_u64()?)),
        _ => None,
    }
}

/// Longitude and latitude of every arc point, undoing the quantisation: with a transform, each
/// position after the first is a delta from the one before.
fn decode_arcs(topology: &Topology) -> Vec<Vec<(f64, f64)>> {
    topology
        .arcs
        .iter()
        .map(|arc| {
            let positions = arc
                .iter()
                .filter_map(|position| Some((*position.first()?, *position.get(1)?)));
            match &topology.transform {
                Some(transform) => {
                    let (mut x, mut y) = (0.0, 0.0);
                    positions
                        .map(|(dx, dy)| {
                            x += dx;
                            y += dy;
                            (
                                x * transform.scale[0] + transform.translate[0],
                                y * transform.scale[1] + transform.translate[1],
                            )
                        })
                        .collect()
                }
                None => positions.collect(),
            }
        })
        .collect()
}

/// A run of an arc on one side of the antimeridian, projected, simplified, in tenths.
type Piece = Vec<(i64, i64)>;

/// The arc in runs that each stay on one side of the antimeridian, each run ending (and the next
/// starting) where the arc crosses it, at longitude 180 on one side and -180 on the other.
///
/// Natural Earth writes points on the antimeridian as -180 or 180 with no regard to the side
/// the ring is on (Chukotka goes 178.6, -180, -179.x): such a point first takes the side of its
/// nearest neighbour off the line, the one before it if any, so only real crossings cut.
fn cut_at_antimeridian(arc: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let on_line = |lon: f64| lon.abs() >= 180.0;
    let sided: Vec<(f64, f64)> = arc
        .iter()
        .enumerate()
        .map(|(index, &(lon, lat))| {
            if !on_line(lon) {
                return (lon, lat);
            }
            let before = arc[..index].iter().rev().find(|point| !on_line(point.0));
            let after = arc[index + 1..].iter().find(|point| !on_line(point.0));
            match before.or(after) {
                Some(neighbour) => (180f64.copysign(neighbour.0), lat),
                None => (lon, lat),
            }
        })
        .collect();
    let mut pieces = vec![Vec::new()];
    for (index, &point) in sided.iter().enumerate() {
        if let Some(&previous) = index.checked_sub(1).and_then(|before| sided.get(before))
            && (point.0 - previous.0).abs() > 180.0
        {
            // Going east over 180 (previous positive) or west over -180: unwrap the new point
            // by a full turn, then interpolate the latitude where the edge meets the line.
            let side = 180f64.copysign(previous.0);
            let unwrapped = point.0 + 360f64.copysign(previous.0);
            let along = (side - previous.0) / (unwrapped - previous.0);
            let lat = previous.1 + along * (point.1 - previous.1);
            if let Some(piece) = pieces.last_mut() {
                piece.push((side, lat));
            }
            pieces.push(vec![(-side, lat)]);
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push(point);
        }
    }
    pieces
}

/// Equal Earth scaled so the whole world is [`WIDTH`] wide, with y growing downwards as in SVG.
struct Projection {
    scale: f64,
    height: f64,
}

impl Projection {
    fn new() -> Self {
        let (half_width, _) = equal_earth(180.0, 0.0);
        let (_, half_height) = equal_earth(0.0, 90.0);
        let scale = WIDTH / (2.0 * half_width);
        // Rounded up to a whole unit so the viewBox is short to write and holds the poles.
        let height = (2.0 * half_height * scale).ceil();
        Self { scale, height }
    }

    fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = equal_earth(lon.clamp(-180.0, 180.0), lat.clamp(-90.0, 90.0));
        (
            WIDTH / 2.0 + x * self.scale,
            self.height / 2.0 - y * self.scale,
        )
    }
}

/// Equal Earth on the unit sphere (Šavrič, Patterson, Jenny 2018, equations 1 and 2).
fn equal_earth(lon: f64, lat: f64) -> (f64, f64) {
    let (lambda, phi) = (lon.to_radians(), lat.to_radians());
    let theta = ((3f64.sqrt() / 2.0) * phi.sin()).asin();
    let (t2, t6) = (theta.powi(2), theta.powi(6));
    let x = 2.0 * 3f64.sqrt() * lambda * theta.cos()
        / (3.0 * (9.0 * A4 * t6 * t2 + 7.0 * A3 * t6 + 3.0 * A2 * t2 + A1));
    let y = theta * (A4 * t6 * t2 + A3 * t6 + A2 * t2 + A1);
    (x, y)
}

/// Douglas–Peucker: the first and last points, and recursively the point farthest from the
/// segment between two kept points while it is farther than `tolerance`. The distance is to the
/// segment, not the line, so a closed arc (an island, first point equal to last) simplifies too.
fn simplify(points: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut spans = vec![(0, points.len() - 1)];
    while let Some((first, last)) = spans.pop() {
        let farthest = (first + 1..last)
            .map(|index| {
                let distance = segment_distance(points[index], points[first], points[last]);
                (index, distance)
            })
            // The first of equally far points, so the result does not depend on float ties.
            .fold(None, |best: Option<(usize, f64)>, candidate| match best {
                Some(best) if best.1 >= candidate.1 => Some(best),
                _ => Some(candidate),
            });
        if let Some((index, distance)) = farthest
            && distance > tolerance
        {
            keep[index] = true;
            spans.push((first, index));
            spans.push((index, last));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(&point, kept)| kept.then_some(point))
        .collect()
}

fn segment_distance(point: (f64, f64), start: (f64, f64), end: (f64, f64)) -> f64 {
    let (dx, dy) = (end.0 - start.0, end.1 - start.1);
    let length_squared = dx * dx + dy * dy;
    let along = if length_squared == 0.0 {
        0.0
    } else {
        (((point.0 - start.0) * dx + (point.1 - start.1) * dy) / length_squared).clamp(0.0, 1.0)
    };
    let (nearest_x, nearest_y) = (start.0 + along * dx, start.1 + along * dy);
    (point.0 - nearest_x).hypot(point.1 - nearest_y)
}

/// A coordinate in integer tenths of a viewBox unit.
fn tenths(value: f64) -> i64 {
    // Coordinates lie within the viewBox, far inside i64.
    (value * 10.0).round() as i64
}

/// The ring as drawable rings: its arcs joined end to start, without repeated points or the
/// closing point. A ring that crosses the antimeridian comes back as one ring per side-run,
/// each closed along the map's edge; one that crosses it an odd number of times goes round a
/// pole (Antarctica) and stays whole, its crossing edge drawn along the bottom of the map.
fn stitch(arcs: &[Vec<Piece>], ring: &[i64]) -> Result<Vec<Piece>> {
    let mut runs: Vec<Piece> = vec![Vec::new()];
    for &reference in ring {
        let (index, reversed) = if reference < 0 {
            (!reference, true)
        } else {
            (reference, false)
        };
        let Some(pieces) = usize::try_from(index)
            .ok()
            .and_then(|index| arcs.get(index))
        else {
            bail!(
                "a ring names arc {reference}, the topology has {}",
                arcs.len()
            );
        };
        let mut ordered: Vec<Piece> = pieces.clone();
        if reversed {
            ordered.reverse();
            ordered.iter_mut().for_each(|piece| piece.reverse());
        }
        for (count, piece) in ordered.into_iter().enumerate() {
            if count > 0 {
                runs.push(Vec::new());
            }
            if let Some(run) = runs.last_mut() {
                for point in piece {
                    if run.last() != Some(&point) {
                        run.push(point);
                    }
                }
            }
        }
    }
    // The ring closes across the line too if it ends on the other side from where it began:
    // the two sides of the map are more than half its width apart.
    let first = runs.first().and_then(|run| run.first()).copied();
    let last = runs.last().and_then(|run| run.last()).copied();
    let closes_across = match (first, last) {
        (Some(first), Some(last)) => (first.0 - last.0).abs() * 2 > tenths(WIDTH),
        _ => false,
    };
    let crossings = runs.len() - 1 + usize::from(closes_across);
    if crossings % 2 == 1 {
        runs = vec![runs.concat()];
    } else if runs.len() > 1 && !closes_across {
        // The ring began mid-run: its last run and its first are one.
        if let Some(mut tail) = runs.pop() {
            tail.append(&mut runs[0]);
            runs[0] = tail;
        }
    }
    for run in &mut runs {
        run.dedup();
        while run.len() > 1 && run.first() == run.last() {
            run.pop();
        }
    }
    Ok(runs)
}

/// Appends `M x y l dx dy ... z`: absolute start, then relative moves, which are shorter.
fn write_ring(path: &mut String, points: &[(i64, i64)]) {
    let Some(&(start_x, start_y)) = points.first() else {
        return;
    };
    let _ = write!(path, "M{} {}l", Tenths(start_x), Tenths(start_y));
    let mut previous = (start_x, start_y);
    for (index, &(x, y)) in points.iter().enumerate().skip(1) {
        let (dx, dy) = (x - previous.0, y - previous.1);
        // A minus sign separates numbers by itself; SVG needs a space only before the others.
        if index > 1 && dx >= 0 {
            path.push(' ');
        }
        let _ = write!(path, "{}", Tenths(dx));
        if dy >= 0 {
            path.push(' ');
        }
        let _ = write!(path, "{}", Tenths(dy));
        previous = (x, y);
    }
    path.push('z');
}

/// Integer tenths written as a decimal: 12 as "1.2", 10 as "1", -3 as "-0.3".
struct Tenths(i64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let (whole, tenth) = (self.0.unsigned_abs() / 10, self.0.unsigned_abs() % 10);
        if tenth == 0 {
            write!(formatter, "{sign}{whole}")
        } else {
            write!(formatter, "{sign}{whole}.{tenth}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two squares sharing an edge (arc 0, used forwards by one and backwards by the other), a
    /// square island with an id the code table lacks, and an unnumbered feature named in
    /// `UNNUMBERED`; quantised with a transform so the delta decoding is exercised.
    const TOPOLOGY: &str = r#"{
        "type": "Topology",
        "transform": {"scale": [0.1, 0.1], "translate": [-20, -10]},
        "objects": {"countries": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, 1]], "id": "276", "properties": {"name": "Germany"}},
            {"type": "Polygon", "arcs": [[-1, 2]], "id": 40, "properties": {"name": "Austria"}},
            {"type": "MultiPolygon", "arcs": [[[3]]], "id": "999", "properties": {"name": "Nowhere"}},
            {"type": "Polygon", "arcs": [[4]], "properties": {"name": "Kosovo"}},
            {"type": "Point", "coordinates": [0, 0], "id": "250"}
        ]}},
        "arcs": [
            [[200, 100], [0, 100]],
            [[200, 200], [-100, 0], [0, -100], [100, 0]],
            [[200, 100], [100, 0], [0, 100], [-100, 0]],
            [[0, 0], [10, 0], [0, 10], [-10, 0], [0, -10]],
            [[300, 0], [20, 0], [0, 20], [-20, 0], [0, -20]]
        ]
    }"#;

    const CODES: &str = r#"[["DE", "DEU", "276"], ["AT", "AUT", "040"], ["FR", "FRA", "250"]]"#;

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let first = build(TOPOLOGY, CODES, DEFAULT_TOLERANCE).unwrap().to_tsv();
        let second = build(TOPOLOGY, CODES, DEFAULT_TOLERANCE).unwrap().to_tsv();
        assert_eq!(first, second);
        let codes: Vec<&str> = first
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split('\t').next())
            .collect();
        assert_eq!(codes, ["AT", "DE", "XK"]);
        assert!(first.contains("# viewBox 0 0 1000 487\n"), "{first}");
    }

    #[test]
    fn features_without_a_code_are_reported_not_drawn() {
        let map = build(TOPOLOGY, CODES, DEFAULT_TOLERANCE).unwrap();
        assert_eq!(map.unmatched, ["999 Nowhere"]);
        assert_eq!(map.dropped_rings, 0);
    }

    #[test]
    fn neighbours_share_their_border_exactly() {
        let map = build(TOPOLOGY, CODES, DEFAULT_TOLERANCE).unwrap();
        let start = |code: &str| {
            let path = &map.paths[code];
            path[1..path.find('l').unwrap()].to_string()
        };
        // Germany starts at arc 0's first point, Austria (arc 0 reversed) at its last; both are
        // on the shared meridian 0°, so both start at the map's centre line x = 500.
        assert!(start("DE").starts_with("500 "), "{}", start("DE"));
        assert!(start("AT").starts_with("500 "), "{}", start("AT"));
    }

    #[test]
    fn equal_earth_matches_the_paper() {
        // The paper's extent on the unit sphere: 2.7066 half width, 1.3173 half height.
        let (x, _) = equal_earth(180.0, 0.0);
        let (_, y) = equal_earth(0.0, 90.0);
        assert!((x - 2.7066).abs() < 1e-4, "{x}");
        assert!((y - 1.3173).abs() < 1e-4, "{y}");
        assert_eq!(equal_earth(0.0, 0.0), (0.0, 0.0));
    }

    #[test]
    fn simplification_keeps_ends_and_corners_and_drops_wobble() {
        let line = [(0.0, 0.0), (1.0, 0.1), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)];
        assert_eq!(
            simplify(&line, 0.5),
            [(0.0, 0.0), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)]
        );
        let island = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)];
        assert_eq!(simplify(&island, 0.5), island);
    }

    #[test]
    fn arcs_are_cut_where_they_cross_the_antimeridian() {
        // Eastwards over 180 (Fiji), then a point Natural Earth put on the wrong side (-180
        // after 178, as in Chukotka): it belongs to the east until the next real crossing.
        assert_eq!(
            cut_at_antimeridian(&[(179.0, 0.0), (-179.0, 2.0)]),
            [
                vec![(179.0, 0.0), (180.0, 1.0)],
                vec![(-180.0, 1.0), (-179.0, 2.0)]
            ]
        );
        assert_eq!(
            cut_at_antimeridian(&[(178.0, 0.0), (-180.0, 1.0), (178.0, 2.0)]),
            [vec![(178.0, 0.0), (180.0, 1.0), (178.0, 2.0)]]
        );
    }

    #[test]
    fn tenths_are_written_short() {
        let written: Vec<String> = [12, 10, -3, 0, -20]
            .into_iter()
            .map(|value| Tenths(value).to_string())
            .collect();
        assert_eq!(written, ["1.2", "1", "-0.3", "0", "-2"]);
        let mut path = String::new();
        write_ring(&mut path, &[(10, 20), (15, 20), (15, 5)]);
        assert_eq!(path, "M1 2l0.5 0 0-1.5z");
    }
}
