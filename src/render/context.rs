//! The render context: the `Report` exactly as JSON has it (flattened to the top level), plus
//! one `render` object of things only rendered reports need (options and the HTML figures).
//! There is no hand-built map: a template can use only what the typed model holds.

use serde::Serialize;

use super::figures::{self, Figures};
use crate::cli::ReportFormat;
use crate::config::RenderOptions;
use crate::report::Report;

#[derive(Debug, Serialize)]
pub struct RenderContext<'a> {
    #[serde(flatten)]
    pub report: &'a Report,
    pub render: RenderExtras,
}

/// Render-only fields, under `render.` in templates.
#[derive(Debug, Serialize)]
pub struct RenderExtras {
    /// `md`, `summary` or `html`.
    pub format: &'static str,
    /// Most rows per table (`--max-rows`).
    pub max_rows: usize,
    /// The zone the `time` helper shows times in (`--tz`).
    pub timezone: String,
    /// The first input's file name, for titles.
    pub title: String,
    /// Inline SVG figures (HTML only; empty strings otherwise).
    pub figures: Figures,
}

impl<'a> RenderContext<'a> {
    pub fn new(report: &'a Report, format: ReportFormat, options: &RenderOptions) -> Self {
        let figures = if format == ReportFormat::Html {
            figures::figures(report, options.max_rows)
        } else {
            Figures::default()
        };
        RenderContext {
            report,
            render: RenderExtras {
                format: match format {
                    ReportFormat::Md => "md",
                    ReportFormat::Summary => "summary",
                    ReportFormat::Html => "html",
                    ReportFormat::Json => "json",
                },
                max_rows: options.max_rows,
                timezone: options.timezone.clone(),
                title: report
                    .inputs
                    .first()
                    .map(|input| input.path.clone())
                    .unwrap_or_default(),
                figures,
            },
        }
    }
}
