//! World map for the HTML report: takes each country's share of the sources and gives an inline
//! SVG choropleth, countries coloured by share with a legend and a tooltip each, self-contained
//! (no script, no stylesheet, no external reference) so the page works offline and in a mail.
//!
//! The outlines are `data/worlddata/world-map.tsv` (Natural Earth 1:110m in the Equal Earth
//! projection, written by `whence-tools world-map`, see `data/worlddata/README.md`), embedded
//! and parsed once on first use. Codes the map has no outline for (ZZ, bogons, the EU, small
//! islands) are left out of the picture; the report's tables still list them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::OnceLock;

use super::escape::xml as xml_escape;
use crate::enrich::countries;

const WORLD_MAP_TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/worlddata/world-map.tsv"
));

/// The viewBox the outlines are drawn in; the generator writes it into the file's header and a
/// test checks the two agree.
const MAP_WIDTH: u32 = 1000;
const MAP_HEIGHT: u32 = 487;
/// Room below the map for the legend.
const LEGEND_HEIGHT: u32 = 36;

/// One colour class: shares above the previous class's bound and up to `upper`.
struct Class {
    upper: f64,
    colour: &'static str,
    label: &'static str,
}

/// Fixed bounds rather than quantiles of the data: the same colour means the same share in every
/// report, and one dominant country does not wash out the rest. The steps follow how attack
/// sources spread: a botnet or a spoofed flood gives most countries under 1 % and a few above
/// 10 %. Colours: ColorBrewer's sequential "Blues" for 6 classes without its lightest
/// (Harrower, Brewer 2003, "ColorBrewer.org: an online tool for selecting colour schemes for
/// maps", The Cartographic Journal 40(1)), one hue varying in lightness, which colorbrewer2.org
/// marks colour-blind safe and which stays ordered when printed in grey.
const CLASSES: [Class; 5] = [
    Class {
        upper: 0.01,
        colour: "#c6dbef",
        label: "up to 1 %",
    },
    Class {
        upper: 0.05,
        colour: "#9ecae1",
        label: "1–5 %",
    },
    Class {
        upper: 0.10,
        colour: "#6baed6",
        label: "5–10 %",
    },
    Class {
        upper: 0.25,
        colour: "#3182bd",
        label: "10–25 %",
    },
    Class {
        upper: f64::INFINITY,
        colour: "#08519c",
        label: "over 25 %",
    },
];

/// Countries without sources: a neutral grey, lighter than the lightest blue.
const NO_SOURCES: &str = "#ebebeb";

/// Codes some feeds use for a country the map knows by another: the UK's reserved code.
const ALIASES: &[(&str, &str)] = &[("UK", "GB")];

/// Each country's code and SVG path data, sorted by code.
fn outlines() -> &'static [(&'static str, &'static str)] {
    static OUTLINES: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    OUTLINES.get_or_init(|| parse_outlines(WORLD_MAP_TSV))
}

/// `code<TAB>path` lines; `#` comments, blank lines and malformed lines are skipped (a unit test
/// checks the embedded file has none of the last).
fn parse_outlines(text: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut outlines: Vec<(&str, &str)> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
        .filter(|(code, path)| code.len() == 2 && path.starts_with('M'))
        .collect();
    outlines.sort_unstable_by_key(|&(code, _)| code);
    outlines
}

/// The class of a share, `None` for no share (zero, negative or not a number).
fn class_of(share: f64) -> Option<usize> {
    if share.is_nan() || share <= 0.0 {
        return None;
    }
    CLASSES.iter().position(|class| share <= class.upper)
}

/// The shares by upper-case code. A code given twice (say "de" and "DE") counts once with the
/// sum of its shares; values that are not positive numbers are ignored.
fn shares_by_code(shares: &[(String, f64)]) -> BTreeMap<String, f64> {
    let mut by_code = BTreeMap::new();
    for (code, share) in shares {
        if !(share.is_finite() && *share > 0.0) {
            continue;
        }
        let code = code.trim().to_ascii_uppercase();
        let code = ALIASES
            .iter()
            .find(|(alias, _)| *alias == code)
            .map_or(code, |(_, canonical)| (*canonical).to_string());
        *by_code.entry(code).or_insert(0.0) += share;
    }
    by_code
}

/// A share as a percentage with one decimal; shares too small to show one are "< 0.1 %" rather
/// than a misleading "0.0 %".
fn percent(share: f64) -> String {
    let percent = share * 100.0;
    if percent < 0.05 {
        "< 0.1 %".to_string()
    } else {
        format!("{percent:.1} %")
    }
}

/// An inline `<svg>` world map: each country filled by its share of the sources (alpha-2 code,
/// share from 0 to 1) on five classes, grey without sources, with a tooltip naming the country
/// and its share, a legend, and `title` for screen readers. Codes not on the map are ignored.
/// The same arguments give the same bytes.
pub fn world_map_svg(shares: &[(String, f64)], title: &str) -> String {
    let shares = shares_by_code(shares);
    let title = xml_escape(title);
    let height = MAP_HEIGHT + LEGEND_HEIGHT;
    let mut svg = String::with_capacity(WORLD_MAP_TSV.len() + 16 * 1024);
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_WIDTH} {height}" role="img" aria-label="{title}">"#
    );
    let _ = writeln!(svg, "<title>{title}</title>");
    svg.push_str(
        "<g stroke=\"#ffffff\" stroke-width=\"0.5\" stroke-linejoin=\"round\" fill-rule=\"evenodd\">\n",
    );
    for &(code, path) in outlines() {
        let share = shares.get(code).copied().unwrap_or(0.0);
        let class = class_of(share);
        let fill = class
            .and_then(|index| CLASSES.get(index))
            .map_or(NO_SOURCES, |class| class.colour);
        let what = if class.is_some() {
            format!("{} of sources", percent(share))
        } else {
            "no sources".to_string()
        };
        let tooltip = xml_escape(&format!("{} ({code}): {what}", countries::name(code)));
        let _ = writeln!(
            svg,
            r#"<path fill="{fill}" d="{path}"><title>{tooltip}</title></path>"#
        );
    }
    svg.push_str("</g>\n");
    write_legend(&mut svg);
    svg.push_str("</svg>\n");
    svg
}

/// A row under the map: a caption, then a swatch and label for "none" and for each class.
fn write_legend(svg: &mut String) {
    let swatch_y = MAP_HEIGHT + 14;
    let text_y = swatch_y + 11;
    let _ = writeln!(
        svg,
        r##"<g font-family="sans-serif" font-size="13" fill="#333333"><text x="0" y="{text_y}">Share of sources</text>"##
    );
    let entries = std::iter::once((NO_SOURCES, "none"))
        .chain(CLASSES.iter().map(|class| (class.colour, class.label)));
    for (index, (colour, label)) in (0u32..).zip(entries) {
        let x = 120 + index * 105;
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="{swatch_y}" width="16" height="12" fill="{colour}" stroke="#999999" stroke-width="0.5"/><text x="{}" y="{text_y}">{}</text>"##,
            x + 21,
            xml_escape(label)
        );
    }
    svg.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter()
            .map(|&(code, share)| (code.to_string(), share))
            .collect()
    }

    /// The `<path>` element of one country in `svg`.
    fn path_of<'a>(svg: &'a str, code: &str) -> &'a str {
        let marker = format!("({code}): ");
        svg.lines()
            .find(|line| line.starts_with("<path") && line.contains(&marker))
            .unwrap_or_else(|| panic!("no path for {code}"))
    }

    /// A small well-formedness check: tags balance and nest, one root, no stray `<` or `&`, and
    /// attribute values are quoted in pairs.
    fn assert_well_formed(xml: &str) {
        let mut open: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = xml;
        while let Some(start) = rest.find('<') {
            assert_entities(&rest[..start]);
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            assert!(!tag.contains('<'), "'<' inside tag {tag}");
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in {tag}"
            );
            assert_entities(tag);
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "</{name}> closes the wrong element");
            } else {
                if open.is_empty() {
                    roots += 1;
                }
                if !tag.ends_with('/') {
                    open.push(tag.split_whitespace().next().expect("tag without a name"));
                }
            }
            rest = &rest[end + 1..];
        }
        assert_entities(rest);
        assert!(open.is_empty(), "unclosed: {open:?}");
        assert_eq!(roots, 1);
    }

    fn assert_entities(text: &str) {
        for (at, _) in text.match_indices('&') {
            let entity = &text[at..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|known| entity.starts_with(known)),
                "bare '&' in {text}"
            );
        }
    }

    #[test]
    fn every_mapped_country_is_a_known_country_with_an_outline() {
        let outlines = outlines();
        // Natural Earth 1:110m has 177 features; 175 codes after Somaliland and N. Cyprus join
        // SO and CY. Fewer means the file was cut or a join failed.
        assert!(outlines.len() >= 170, "{} outlines", outlines.len());
        for pair in outlines.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} then {}", pair[0].0, pair[1].0);
        }
        for &(code, path) in outlines {
            assert!(
                countries::country(code).is_some(),
                "{code} not in countries.csv"
            );
            assert!(path.ends_with('z'), "{code}");
        }
        let lines = WORLD_MAP_TSV
            .lines()
            .filter(|line| !line.starts_with('#'))
            .count();
        assert_eq!(lines, outlines.len(), "malformed lines in world-map.tsv");
        for code in ["DE", "US", "CN", "RU", "BR", "AU", "ZA", "IN", "XK", "AQ"] {
            assert!(outlines.iter().any(|&(known, _)| known == code), "{code}");
        }
    }

    #[test]
    fn the_view_box_is_the_one_the_paths_were_drawn_in() {
        let header = format!("# viewBox 0 0 {MAP_WIDTH} {MAP_HEIGHT}\n");
        assert!(WORLD_MAP_TSV.contains(&header), "{header}");
    }

    #[test]
    fn the_map_is_well_formed_svg() {
        let svg = world_map_svg(
            &shares(&[("DE", 0.85), ("US", 0.1), ("ZZ", 0.05)]),
            "Sources",
        );
        assert_well_formed(&svg);
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 523\"")
        );
        assert!(svg.contains("role=\"img\""));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("href"));
        assert_eq!(svg.matches("<path ").count(), outlines().len());
    }

    #[test]
    fn shares_fall_into_their_classes() {
        assert_eq!(class_of(0.0), None);
        assert_eq!(class_of(-0.5), None);
        assert_eq!(class_of(f64::NAN), None);
        assert_eq!(class_of(0.0001), Some(0));
        assert_eq!(class_of(0.01), Some(0));
        assert_eq!(class_of(0.0101), Some(1));
        assert_eq!(class_of(0.05), Some(1));
        assert_eq!(class_of(0.07), Some(2));
        assert_eq!(class_of(0.25), Some(3));
        assert_eq!(class_of(0.26), Some(4));
        assert_eq!(class_of(1.0), Some(4));
        assert_eq!(class_of(3.0), Some(4));
    }

    #[test]
    fn countries_are_coloured_and_named_by_their_share() {
        let svg = world_map_svg(
            &shares(&[
                ("DE", 0.85),
                ("fr", 0.03),
                ("UK", 0.0002),
                ("ZZ", 0.1),
                ("", 0.1),
            ]),
            "Sources",
        );
        let germany = path_of(&svg, "DE");
        assert!(germany.contains(r##"fill="#08519c""##), "{germany}");
        assert!(germany.contains("<title>Germany (DE): 85.0 % of sources</title>"));
        let france = path_of(&svg, "FR");
        assert!(france.contains(r##"fill="#9ecae1""##), "{france}");
        assert!(france.contains("France (FR): 3.0 % of sources"));
        let britain = path_of(&svg, "GB");
        assert!(britain.contains("United Kingdom (GB): &lt; 0.1 % of sources"));
        let brazil = path_of(&svg, "BR");
        assert!(brazil.contains(r##"fill="#ebebeb""##), "{brazil}");
        assert!(brazil.contains("Brazil (BR): no sources"));
        assert!(!svg.contains("(ZZ)"));
    }

    #[test]
    fn a_hostile_title_is_escaped() {
        let svg = world_map_svg(&[], r#"<script>alert("x")</script> & 'friends'"#);
        assert_well_formed(&svg);
        assert!(!svg.contains("<script"));
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;";
        assert!(svg.contains(&format!("<title>{escaped}</title>")));
        assert!(svg.contains(&format!("aria-label=\"{escaped}\"")));
    }

    #[test]
    fn the_same_shares_give_the_same_bytes() {
        let list = shares(&[("CN", 0.4), ("BR", 0.3), ("IN", 0.2), ("cn", 0.1)]);
        let first = world_map_svg(&list, "Sources");
        let mut reversed = list.clone();
        reversed.reverse();
        assert_eq!(first, world_map_svg(&list, "Sources"));
        assert_eq!(first, world_map_svg(&reversed, "Sources"));
        // "CN" and "cn" are one country with the sum of their shares.
        assert!(path_of(&first, "CN").contains("China (CN): 50.0 % of sources"));
    }
}
