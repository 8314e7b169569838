//! Small hand-written SVG charts for the HTML report: traffic over time with the waves shaded,
//! horizontal bars (countries, ASNs), a TTL histogram. No script, no external font or style:
//! colours and sizes are attributes, so the file shows the same offline and on paper. Numbers
//! are printed with fixed decimals so the same report gives byte-identical SVG.
//!
//! Written by hand rather than with a plotting crate (plotters' SVG backend was the candidate):
//! three chart shapes take about 150 lines here, while the crate would bring font handling and
//! its own text layout, more code than the charts, with output we could not keep byte-stable
//! or escape in one place.

use std::fmt::Write as _;

use super::escape::xml;
use super::templates::{group_digits, local_time};
use crate::assess::waves::{TimelineReport, WaveReport};

const WIDTH: f64 = 720.0;
const BAR: &str = "#3b6ea8";
const WAVE: &str = "#f2c94c";

fn seconds(rfc3339: &str) -> Option<f64> {
    let moment: jiff::Timestamp = rfc3339.parse().ok()?;
    Some(moment.as_nanosecond() as f64 / 1e9)
}

/// Packets per second over the capture, one bar per timeline bucket, waves shaded behind.
pub fn timeline_svg(timeline: &TimelineReport, waves: &[WaveReport]) -> String {
    let (Some(first), Some(last)) = (timeline.buckets.first(), timeline.buckets.last()) else {
        return String::new();
    };
    let Some(start) = seconds(&first.start) else {
        return String::new();
    };
    let bucket = timeline.bucket_seconds.max(1) as f64;
    let span = timeline.buckets.len() as f64 * bucket;
    let (left, top, height) = (70.0, 10.0, 160.0);
    let plot_width = WIDTH - left - 10.0;
    let x = |time: f64| left + ((time - start) / span).clamp(0.0, 1.0) * plot_width;
    let max_rate = timeline
        .buckets
        .iter()
        .map(|b| b.packets as f64 / bucket)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH:.0} {:.0}" width="{WIDTH:.0}" height="{:.0}"><title>Packets per second over time; waves shaded</title>"#,
        height + 40.0,
        height + 40.0,
    );
    for wave in waves {
        if let (Some(from), Some(to)) = (seconds(&wave.start), seconds(&wave.end)) {
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{height:.1}" fill="{WAVE}" fill-opacity="0.35"/>"#,
                x(from),
                (x(to) - x(from)).max(1.0),
            );
        }
    }
    let bar_width = plot_width / timeline.buckets.len() as f64;
    for (index, bucket_row) in timeline.buckets.iter().enumerate() {
        let bar_height = bucket_row.packets as f64 / bucket / max_rate * height;
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.2}" height="{bar_height:.1}" fill="{BAR}"/>"#,
            left + index as f64 * bar_width,
            top + height - bar_height,
            bar_width.max(0.5),
        );
    }
    let axis_y = top + height;
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{axis_y}" x2="{:.1}" y2="{axis_y}" stroke="#555"/><line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="#555"/>"##,
        left + plot_width,
    );
    let label = |text: &str, x: f64, y: f64, anchor: &str| {
        format!(
            r##"<text x="{x:.1}" y="{y:.1}" font-size="11" text-anchor="{anchor}" fill="#333">{}</text>"##,
            xml(text)
        )
    };
    svg.push_str(&label(
        &format!("{} pps", group_digits(max_rate.round() as u64)),
        left - 4.0,
        top + 10.0,
        "end",
    ));
    svg.push_str(&label("0", left - 4.0, axis_y, "end"));
    let zone = &timeline.timezone;
    for (text, position, anchor) in [
        (&first.start, left, "start"),
        (&last.start, left + plot_width, "end"),
    ] {
        let shown = local_time(text, zone).unwrap_or_default();
        svg.push_str(&label(&shown, position, axis_y + 16.0, anchor));
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars, largest first as given: label, bar, value.
pub fn bar_chart_svg(title: &str, rows: &[(String, u64)]) -> String {
    let max = rows.iter().map(|(_, value)| *value).max().unwrap_or(0);
    if rows.is_empty() || max == 0 {
        return String::new();
    }
    let row_height = 20.0;
    // 32 characters of 12-px text fit in 280 px even in capitals (about 8 px each).
    let (label_width, value_width) = (280.0, 60.0);
    let bar_space = WIDTH - label_width - value_width;
    let height = rows.len() as f64 * row_height + 4.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH:.0} {height:.0}" width="{WIDTH:.0}" height="{height:.0}"><title>{}</title>"#,
        xml(title)
    );
    for (index, (label, value)) in rows.iter().enumerate() {
        let y = index as f64 * row_height + 2.0;
        let width = (*value as f64 / max as f64 * bar_space).max(1.0);
        let shown: String = if label.chars().count() > 32 {
            label.chars().take(31).chain(['…']).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#333">{}</text><rect x="{label_width:.1}" y="{y:.1}" width="{width:.1}" height="{:.1}" fill="{BAR}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#333">{}</text>"##,
            label_width - 6.0,
            y + 13.0,
            xml(&shown),
            row_height - 4.0,
            label_width + width + 4.0,
            y + 13.0,
            group_digits(*value),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// How many of the listed sources showed each TTL value; empty when none did.
pub fn ttl_histogram_svg<'a>(sources: impl Iterator<Item = &'a [u8]>) -> String {
    let mut counts = [0u64; 256];
    for ttls in sources {
        for &ttl in ttls {
            counts[usize::from(ttl)] += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return String::new();
    }
    let (left, top, height) = (40.0, 10.0, 100.0);
    let step = (WIDTH - left - 10.0) / 256.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH:.0} {:.0}" width="{WIDTH:.0}" height="{:.0}"><title>TTL values seen from the busiest sources</title>"#,
        height + 36.0,
        height + 36.0,
    );
    for (ttl, &count) in counts.iter().enumerate() {
        if count > 0 {
            let bar = count as f64 / max as f64 * height;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bar:.1}" fill="{BAR}"><title>TTL {ttl}: {count}</title></rect>"#,
                left + ttl as f64 * step,
                top + height - bar,
                step.max(1.0),
            );
        }
    }
    for ttl in [0u32, 32, 64, 128, 255] {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#333">{ttl}</text>"##,
            left + f64::from(ttl) * step,
            top + height + 16.0,
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#333">sources: {}</text></svg>"##,
        left,
        top + height + 32.0,
        group_digits(max),
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_labels_are_escaped() {
        let svg = bar_chart_svg("t", &[("<script>alert(1)</script>".to_string(), 3)]);
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert_eq!(bar_chart_svg("t", &[]), "");
    }

    #[test]
    fn ttl_histogram_needs_ttls() {
        assert_eq!(ttl_histogram_svg(std::iter::empty()), "");
        let ttls: [&[u8]; 2] = [&[64, 128], &[64]];
        assert!(ttl_histogram_svg(ttls.into_iter()).contains("TTL 64: 2"));
    }
}
