//! Rendering: turns the report model (and lookups) into text for people: Markdown, the
//! ticket summary and HTML through Handlebars templates, JSON through serde.

pub mod charts;
pub mod context;
pub mod escape;
pub mod figures;
pub mod lookup;
pub mod map;
pub mod templates;

use anyhow::{Context as _, Result};

use crate::cli::ReportFormat;
use crate::config::RenderOptions;
use crate::report::{self, Report};

/// The report in one format.
pub fn render(report: &Report, format: ReportFormat, options: &RenderOptions) -> Result<String> {
    match format {
        ReportFormat::Json => report::to_json(report).context("cannot serialise the report"),
        ReportFormat::Md | ReportFormat::Summary | ReportFormat::Html => {
            let context = context::RenderContext::new(report, format, options);
            templates::render(&options.templates, format, &options.timezone, &context)
        }
    }
}

/// Text from a capture or a database, made safe for a terminal: control characters (ANSI
/// escape sequences start with one) and the Unicode bidirectional controls (which reorder what
/// is displayed, as in "Trojan Source", CVE-2021-42574) are shown escaped instead of being
/// obeyed, so a crafted organisation name cannot rewrite the analyst's screen.
pub fn terminal_safe(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_control() || is_bidi_control(character) {
            safe.extend(character.escape_default());
        } else {
            safe.push(character);
        }
    }
    safe
}

fn is_bidi_control(character: char) -> bool {
    matches!(
        character,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(terminal_safe("plain café"), "plain café");
        assert_eq!(terminal_safe("a\u{202e}b"), "a\\u{202e}b");
    }
}
