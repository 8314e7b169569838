//! The Handlebars templates: the built-in ones embedded in the binary, the user's overrides
//! (`--template`, `--template-dir`), the helpers templates call, and rendering in strict mode so
//! that a misspelt field is an error naming the template and line, never a silent blank.
//!
//! Markdown templates escape `{{value}}` for Markdown and HTML templates for HTML (Handlebars'
//! default); `{{{value}}}` is raw and is only used for text whence made itself (SVG charts).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result, anyhow, bail};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, ScopedJson,
};
use serde::Serialize;
use serde_json::Value as Json;

use super::escape;
use crate::assess::waves::format_in_zone;
use crate::cli::ReportFormat;

/// The built-in templates, by the file name a `--template-dir` overrides them with.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "report.md.hbs",
        include_str!("../../templates/report.md.hbs"),
    ),
    (
        "summary.md.hbs",
        include_str!("../../templates/summary.md.hbs"),
    ),
    (
        "report.html.hbs",
        include_str!("../../templates/report.html.hbs"),
    ),
    (
        "partials/md-countries.hbs",
        include_str!("../../templates/partials/md-countries.hbs"),
    ),
    (
        "partials/md-asns.hbs",
        include_str!("../../templates/partials/md-asns.hbs"),
    ),
    (
        "partials/md-claims.hbs",
        include_str!("../../templates/partials/md-claims.hbs"),
    ),
    (
        "partials/html-style.hbs",
        include_str!("../../templates/partials/html-style.hbs"),
    ),
    (
        "partials/html-table.hbs",
        include_str!("../../templates/partials/html-table.hbs"),
    ),
];

/// The template a format is rendered with.
pub fn template_name(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Md | ReportFormat::Json => "report.md.hbs",
        ReportFormat::Summary => "summary.md.hbs",
        ReportFormat::Html => "report.html.hbs",
    }
}

/// The templates in use: file name (`report.md.hbs`, `partials/x.hbs`) to source text.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    sources: BTreeMap<String, String>,
    /// Compiled registries by flavour and time zone: parsing the templates costs more than
    /// rendering a report with them, and a batch run renders thousands.
    compiled: Arc<Mutex<Vec<CompiledRegistry>>>,
}

type CompiledRegistry = (Flavour, String, Arc<Handlebars<'static>>);

/// Two sets are equal when they hold the same templates (compiled or not).
impl PartialEq for TemplateSet {
    fn eq(&self, other: &TemplateSet) -> bool {
        self.sources == other.sources
    }
}

impl Eq for TemplateSet {}

impl Default for TemplateSet {
    fn default() -> TemplateSet {
        TemplateSet {
            sources: BUILTIN
                .iter()
                .map(|(name, text)| ((*name).to_string(), (*text).to_string()))
                .collect(),
            compiled: Arc::default(),
        }
    }
}

impl TemplateSet {
    /// The built-ins, overridden by same-named files in `directory`, then by `template` for
    /// its format; each checked to compile, so a broken template fails before any packet.
    pub fn load(
        template: Option<(&Path, ReportFormat)>,
        directory: Option<&Path>,
    ) -> Result<TemplateSet> {
        let mut set = TemplateSet::default();
        if let Some(directory) = directory {
            if !directory.is_dir() {
                bail!("--template-dir {}: not a directory", directory.display());
            }
            let partials = directory.join("partials");
            let mut names: Vec<String> = BUILTIN.iter().map(|(name, _)| name.to_string()).collect();
            // Partials of the user's own that the user's templates include.
            if let Ok(entries) = std::fs::read_dir(&partials) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.ends_with(".hbs") {
                        names.push(format!("partials/{name}"));
                    }
                }
            }
            names.sort();
            names.dedup();
            for name in names {
                let path = directory.join(&name);
                if path.is_file() {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read template {}", path.display()))?;
                    set.sources.insert(name, text);
                }
            }
        }
        if let Some((path, format)) = template {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read template {}", path.display()))?;
            set.sources.insert(template_name(format).to_string(), text);
        }
        for flavour in [Flavour::Markdown, Flavour::Html] {
            set.registry(flavour, "UTC")?;
        }
        Ok(set)
    }

    /// Writes the built-in templates into `directory`; existing files are left alone (an
    /// error) unless `force`.
    pub fn export_builtin(directory: &Path, force: bool) -> Result<Vec<std::path::PathBuf>> {
        let mut written = Vec::new();
        for (name, text) in BUILTIN {
            let path = directory.join(name);
            if path.exists() && !force {
                bail!(
                    "{} exists: not overwritten (give --force to replace it)",
                    path.display()
                );
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            crate::output::write_file_atomically(&path, text.as_bytes())?;
            written.push(path);
        }
        Ok(written)
    }

    /// The registry of `registry`, compiled once per flavour and time zone.
    fn compiled(&self, flavour: Flavour, timezone: &str) -> Result<Arc<Handlebars<'static>>> {
        let mut compiled = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, registry)) = compiled
            .iter()
            .find(|(known, zone, _)| *known == flavour && zone == timezone)
        {
            return Ok(Arc::clone(registry));
        }
        let registry = Arc::new(self.registry(flavour, timezone)?);
        compiled.push((flavour, timezone.to_string(), Arc::clone(&registry)));
        Ok(registry)
    }

    /// A strict registry holding this set's templates of one flavour and every partial.
    fn registry(&self, flavour: Flavour, timezone: &str) -> Result<Handlebars<'static>> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        match flavour {
            Flavour::Markdown => registry.register_escape_fn(escape::markdown),
            Flavour::Html => registry.register_escape_fn(escape::html),
        }
        register_helpers(&mut registry, flavour, timezone);
        for (name, text) in &self.sources {
            let result = if let Some(partial) = name.strip_prefix("partials/") {
                registry.register_partial(partial.trim_end_matches(".hbs"), text)
            } else if Flavour::of(name) == flavour {
                registry.register_template_string(name, text)
            } else {
                continue;
            };
            result.map_err(|error| anyhow!("template {name}: {error}"))?;
        }
        Ok(registry)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Markdown,
    Html,
}

impl Flavour {
    fn of(name: &str) -> Flavour {
        if name.ends_with(".html.hbs") || name.ends_with(".htm.hbs") {
            Flavour::Html
        } else {
            Flavour::Markdown
        }
    }
}

/// Renders `context` with the format's template.
pub fn render<T: Serialize>(
    templates: &TemplateSet,
    format: ReportFormat,
    timezone: &str,
    context: &T,
) -> Result<String> {
    let name = template_name(format);
    let registry = templates.compiled(Flavour::of(name), timezone)?;
    registry
        .render(name, context)
        .map_err(|error| anyhow!("{}", describe(&error, name)))
}

/// A render error with the template and line, and, in strict mode, the missing field.
fn describe(error: &RenderError, name: &str) -> String {
    let template = error.template_name.as_deref().unwrap_or(name);
    let place = match (error.line_no, error.column_no) {
        (Some(line), Some(column)) => format!("template {template}, line {line}, column {column}"),
        _ => format!("template {template}"),
    };
    match error.reason() {
        RenderErrorReason::MissingVariable(Some(path)) => {
            format!("{place}: the report has no field `{path}`")
        }
        reason => format!("{place}: {reason}"),
    }
}

/// A helper computing one value from its parameters (and hash), escaped like any `{{value}}`.
struct ValueHelper<F>(&'static str, F);

impl<F> HelperDef for ValueHelper<F>
where
    F: Fn(&[&Json], &BTreeMap<&str, &Json>) -> Result<Json, String> + Send + Sync,
{
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let params: Vec<&Json> = helper.params().iter().map(|p| p.value()).collect();
        let hash: BTreeMap<&str, &Json> = helper
            .hash()
            .iter()
            .map(|(key, value)| (*key, value.value()))
            .collect();
        (self.1)(&params, &hash)
            .map(ScopedJson::Derived)
            .map_err(|message| RenderErrorReason::Other(format!("{}: {message}", self.0)).into())
    }
}

/// A helper writing text that is already escaped for the output, so it is not escaped again.
struct WriteHelper<F>(&'static str, F);

impl<F> HelperDef for WriteHelper<F>
where
    F: Fn(&[&Json]) -> Result<String, String> + Send + Sync,
{
    fn call<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let params: Vec<&Json> = helper.params().iter().map(|p| p.value()).collect();
        let text = (self.1)(&params)
            .map_err(|message| RenderErrorReason::Other(format!("{}: {message}", self.0)))?;
        out.write(&text)?;
        Ok(())
    }
}

fn register_value<F>(registry: &mut Handlebars<'static>, name: &'static str, function: F)
where
    F: Fn(&[&Json], &BTreeMap<&str, &Json>) -> Result<Json, String> + Send + Sync + 'static,
{
    registry.register_helper(name, Box::new(ValueHelper(name, function)));
}

fn register_helpers(registry: &mut Handlebars<'static>, flavour: Flavour, timezone: &str) {
    register_value(registry, "percent", |params, hash| {
        let digits = hash.get("digits").and_then(|d| d.as_u64()).unwrap_or(1);
        Ok(Json::String(match first(params)?.as_f64() {
            Some(share) => percent(share, digits as usize),
            None => "n/a".to_string(),
        }))
    });
    register_value(registry, "number", |params, hash| {
        let digits = hash.get("digits").and_then(|d| d.as_u64()).unwrap_or(1);
        Ok(Json::String(match first(params)? {
            Json::Number(number) => match (number.as_u64(), number.as_i64(), number.as_f64()) {
                (Some(whole), _, _) => group_digits(whole),
                (_, Some(negative), _) => format!("-{}", group_digits(negative.unsigned_abs())),
                (_, _, Some(real)) => number_text(real, digits as usize),
                _ => number.to_string(),
            },
            Json::Null => "n/a".to_string(),
            other => return Err(format!("{other} is not a number")),
        }))
    });
    register_value(registry, "bytes", |params, _| {
        Ok(Json::String(match first(params)?.as_f64() {
            Some(bytes) => byte_size(bytes),
            None => "n/a".to_string(),
        }))
    });
    let zone = timezone.to_string();
    register_value(registry, "time", move |params, _| {
        Ok(Json::String(match first(params)? {
            Json::String(text) => local_time(text, &zone).ok_or(format!("{text} is not a time"))?,
            Json::Null => "n/a".to_string(),
            other => return Err(format!("{other} is not a time")),
        }))
    });
    register_value(registry, "sparkline", |params, hash| {
        let field = params.get(1).and_then(|f| f.as_str());
        let values: Vec<f64> = match first(params)? {
            Json::Array(items) => items
                .iter()
                .map(|item| match field {
                    Some(field) => item.get(field).and_then(Json::as_f64).unwrap_or(0.0),
                    None => item.as_f64().unwrap_or(0.0),
                })
                .collect(),
            other => return Err(format!("{other} is not a list")),
        };
        let width = hash.get("width").and_then(|w| w.as_u64()).unwrap_or(60);
        Ok(Json::String(sparkline(&values, width as usize)))
    });
    register_value(registry, "take", |params, _| {
        let count = params.get(1).and_then(|n| n.as_u64()).unwrap_or(0) as usize;
        match first(params)? {
            Json::Array(items) => Ok(Json::Array(items.iter().take(count).cloned().collect())),
            Json::Null => Ok(Json::Array(Vec::new())),
            other => Err(format!("{other} is not a list")),
        }
    });
    register_value(registry, "add", |params, _| {
        let sum: i64 = params.iter().filter_map(|value| value.as_i64()).sum();
        Ok(Json::from(sum))
    });
    register_value(registry, "words", |params, _| {
        Ok(Json::String(match first(params)? {
            Json::String(text) => text.replace('_', " "),
            Json::Null => "n/a".to_string(),
            other => other.to_string(),
        }))
    });
    register_value(registry, "join", |params, _| {
        let separator = params.get(1).and_then(|s| s.as_str()).unwrap_or(", ");
        match first(params)? {
            Json::Array(items) => Ok(Json::String(
                items
                    .iter()
                    .map(|item| match item {
                        Json::String(text) => text.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(separator),
            )),
            other => Err(format!("{other} is not a list")),
        }
    });
    let html = flavour == Flavour::Html;
    registry.register_helper(
        "md",
        Box::new(WriteHelper("md", move |params: &[&Json]| {
            let text = escape::markdown(&plain(first(params)?));
            Ok(if html { escape::html(&text) } else { text })
        })),
    );
    registry.register_helper(
        "codespan",
        Box::new(WriteHelper("codespan", move |params: &[&Json]| {
            let text = plain(first(params)?);
            Ok(if html {
                format!("<code>{}</code>", escape::html(&text))
            } else {
                escape::markdown_code(&text)
            })
        })),
    );
}

fn first<'a>(params: &[&'a Json]) -> Result<&'a Json, String> {
    params
        .first()
        .copied()
        .ok_or_else(|| "needs a value".to_string())
}

/// A JSON value as plain text (strings without quotes).
fn plain(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// 0.853 -> "85.3 %" (a space before the sign, as ISO 80000 and the report's prose have it).
pub fn percent(share: f64, digits: usize) -> String {
    format!("{:.digits$} %", share * 100.0)
}

/// 1234567 -> "1,234,567".
pub fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A real number with grouped digits: whole numbers without a fraction, others with `digits`.
fn number_text(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    let magnitude = value.abs();
    if magnitude.fract() == 0.0 && magnitude < 1e15 {
        return format!("{sign}{}", group_digits(magnitude as u64));
    }
    let text = format!("{magnitude:.digits$}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let whole = whole.parse::<u64>().map_or(whole.to_string(), group_digits);
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// 1_234_567 -> "1.2 MB" (decimal units, as network equipment counts).
pub fn byte_size(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000.0 {
        return format!("{} B", bytes.max(0.0) as u64);
    }
    let mut value = bytes / 1000.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// An RFC 3339 time as people in `zone` read it, to the second: "2025-05-05 12:00:04 CEST".
pub fn local_time(rfc3339: &str, zone: &str) -> Option<String> {
    let moment: jiff::Timestamp = rfc3339.parse().ok()?;
    Some(format_in_zone(
        moment.as_second().saturating_mul(1_000_000_000),
        zone,
    ))
}

/// Unicode bars for a series, at most `width` wide (neighbouring values summed).
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let group = values.len().div_ceil(width);
    let sums: Vec<f64> = values.chunks(group).map(|c| c.iter().sum()).collect();
    let max = sums.iter().copied().fold(0.0_f64, f64::max);
    sums.iter()
        .map(|&value| {
            if max <= 0.0 {
                BARS[0]
            } else {
                let level = (value / max * 7.0).round() as usize;
                BARS[level.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(percent(0.853, 1), "85.3 %");
        assert_eq!(group_digits(1_234_567), "1,234,567");
        assert_eq!(group_digits(999), "999");
        assert_eq!(number_text(1234.56, 1), "1,234.6");
        assert_eq!(number_text(203.0, 1), "203");
        assert_eq!(byte_size(1_234_567.0), "1.2 MB");
        assert_eq!(byte_size(512.0), "512 B");
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 4.0], 60), "▁▃▅█");
        assert_eq!(sparkline(&[1.0; 10], 5).chars().count(), 5);
    }

    #[test]
    fn times_are_shown_in_the_zone_to_the_second() {
        assert_eq!(
            local_time("2025-05-05T10:00:04.5Z", "Europe/Berlin").unwrap(),
            "2025-05-05 12:00:04 CEST"
        );
        assert_eq!(
            local_time("2025-05-05T10:00:04Z", "UTC").unwrap(),
            "2025-05-05 10:00:04 UTC"
        );
    }

    #[test]
    fn compiled_templates_are_kept_per_time_zone() {
        let mut set = TemplateSet::default();
        set.sources
            .insert("report.md.hbs".to_string(), "{{time at}}".to_string());
        let context = serde_json::json!({"at": "2025-05-05T10:00:04Z"});
        let utc = render(&set, ReportFormat::Md, "UTC", &context).unwrap();
        let berlin = render(&set, ReportFormat::Md, "Europe/Berlin", &context).unwrap();
        assert_eq!(utc, "2025-05-05 10:00:04 UTC");
        assert_eq!(berlin, "2025-05-05 12:00:04 CEST");
        // The second rendering in each zone uses the kept registry, with the same result.
        assert_eq!(
            render(&set, ReportFormat::Md, "UTC", &context).unwrap(),
            utc
        );
        let compiled = set.compiled.lock().unwrap();
        assert_eq!(compiled.len(), 2);
    }

    #[test]
    fn a_missing_field_names_the_template_and_line() {
        let mut set = TemplateSet::default();
        set.sources.insert(
            "report.md.hbs".to_string(),
            "# Report\n\n{{summary.headlin}}\n".to_string(),
        );
        let context = serde_json::json!({"summary": {"headline": "x"}});
        let error = render(&set, ReportFormat::Md, "UTC", &context)
            .unwrap_err()
            .to_string();
        assert!(error.contains("report.md.hbs"), "{error}");
        assert!(error.contains("line 3"), "{error}");
        assert!(error.contains("summary.headlin"), "{error}");
    }

    #[test]
    fn values_are_escaped_for_their_output() {
        let mut set = TemplateSet::default();
        set.sources.insert(
            "report.md.hbs".to_string(),
            "{{name}} {{codespan name}}".to_string(),
        );
        set.sources.insert(
            "report.html.hbs".to_string(),
            "{{name}} {{codespan name}} {{md name}}".to_string(),
        );
        let context = serde_json::json!({"name": "<b>|x|</b>"});
        let md = render(&set, ReportFormat::Md, "UTC", &context).unwrap();
        assert_eq!(md, "\\<b\\>\\|x\\|\\</b\\> `<b>|x|</b>`");
        let html = render(&set, ReportFormat::Html, "UTC", &context).unwrap();
        assert!(!html.contains("<b>"), "{html}");
    }
}
