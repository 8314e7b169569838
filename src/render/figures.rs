//! The figures the HTML report embeds, as SVG text: the charts drawn in `charts.rs` and the
//! world map. This is the one place a figure is chosen and given its data.

use serde::Serialize;

use super::charts;
use crate::report::Report;

/// Every figure; an empty string is a figure the data cannot draw (templates test with `#if`).
#[derive(Debug, Default, Serialize)]
pub struct Figures {
    /// Packets per timeline bucket, waves shaded.
    pub timeline: String,
    /// Countries by sources.
    pub countries: String,
    /// ASNs by sources.
    pub asns: String,
    /// Distinct TTLs of the busiest sources.
    pub ttl: String,
    /// Share of sources by country on a world map.
    pub world_map: String,
}

pub fn figures(report: &Report, max_rows: usize) -> Figures {
    Figures {
        timeline: charts::timeline_svg(&report.timeline, &report.waves),
        countries: charts::bar_chart_svg(
            "Sources by country",
            &report
                .countries
                .iter()
                .take(max_rows)
                .map(|row| (format!("{} {}", row.code, row.name), row.sources))
                .collect::<Vec<_>>(),
        ),
        asns: charts::bar_chart_svg(
            "Sources by ASN",
            &report
                .asns
                .iter()
                .take(max_rows)
                .map(|row| {
                    let org = row.org.as_deref().unwrap_or("unknown");
                    (format!("AS{} {org}", row.asn), row.sources)
                })
                .collect::<Vec<_>>(),
        ),
        ttl: charts::ttl_histogram_svg(
            report
                .sources
                .top
                .iter()
                .map(|source| source.ttl_values.as_slice()),
        ),
        world_map: map_svg(report),
    }
}

/// The world map of where sources geolocate, shaded by share of sources.
pub fn map_svg(report: &Report) -> String {
    let shares: Vec<(String, f64)> = report
        .countries
        .iter()
        .map(|row| (row.code.clone(), row.share_sources))
        .collect();
    if shares.is_empty() {
        return String::new();
    }
    super::map::world_map_svg(&shares, "Sources by country")
}
