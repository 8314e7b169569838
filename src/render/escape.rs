//! Escaping for each output: Markdown, HTML, SVG/XML and code spans. Everything from a capture
//! or a database (organisation names, paths, warnings) passes through one of these, after
//! `terminal_safe`, so a hostile string can neither run script, forge a link or a table row,
//! nor reorder or recolour the text a reader sees.

use super::terminal_safe;

/// Text made literal in GitHub-flavoured Markdown (and so in GitLab, Jira's Markdown and
/// TheHive): every character CommonMark could read as markup is backslash-escaped, a newline
/// becomes a visible `\n` (a table row stays one row), and block markers at the start (`#`,
/// `-`, `+`, `=`, `1.`) are escaped so a value at the start of a line stays a value.
pub fn markdown(text: &str) -> String {
    let safe = terminal_safe(text);
    let mut escaped = String::with_capacity(safe.len() + 8);
    for (index, character) in safe.chars().enumerate() {
        let special = matches!(
            character,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' | '{' | '}'
        ) || (index == 0 && matches!(character, '#' | '='))
            || (index == 0
                && matches!(character, '-' | '+')
                && safe[1..].starts_with(char::is_whitespace));
        if special {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    // "1. text" or "1) text" at the start would be an ordered list item.
    if let Some(marker) = escaped.find(['.', ')']) {
        let list_marker = escaped[marker + 1..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace);
        if marker > 0 && list_marker && escaped[..marker].bytes().all(|b| b.is_ascii_digit()) {
            escaped.insert(marker, '\\');
        }
    }
    escaped
}

/// A Markdown code span holding `text` literally: fenced with more backticks than any run
/// inside it, padded when it starts or ends with one.
pub fn markdown_code(text: &str) -> String {
    let safe = terminal_safe(text);
    let longest_run = safe.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let padding = if safe.starts_with('`') || safe.ends_with('`') || safe.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{padding}{safe}{padding}{fence}")
}

/// Text for HTML element content or an attribute value.
pub fn html(text: &str) -> String {
    handlebars::html_escape(&terminal_safe(text))
}

/// Text for SVG (XML) content or an attribute value.
pub fn xml(text: &str) -> String {
    let safe = terminal_safe(text);
    let mut escaped = String::with_capacity(safe.len());
    for character in safe.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "a | b",
        "line\nbreak",
        "\u{1b}[31mred",
        "evil\u{202e}gpj.exe",
        "# heading",
        "`code`",
    ];

    #[test]
    fn markdown_leaves_no_markup() {
        for text in HOSTILE {
            let escaped = markdown(text);
            assert!(!escaped.contains('\n'), "{escaped}");
            assert!(!escaped.contains('\u{1b}'), "{escaped}");
            assert!(!escaped.contains('\u{202e}'), "{escaped}");
            // Every markup character is preceded by a backslash.
            let characters: Vec<char> = escaped.chars().collect();
            for (index, character) in characters.iter().enumerate() {
                if matches!(character, '<' | '>' | '[' | ']' | '|' | '`') {
                    assert_eq!(
                        characters.get(index.wrapping_sub(1)),
                        Some(&'\\'),
                        "{escaped}"
                    );
                }
            }
        }
        assert_eq!(markdown("# heading"), "\\# heading");
        assert_eq!(markdown("1. first"), "1\\. first");
        assert_eq!(markdown("- item"), "\\- item");
        assert_eq!(markdown("-1"), "-1");
        assert_eq!(markdown("87.5 %"), "87.5 %");
        assert_eq!(markdown("Hetzner Online GmbH"), "Hetzner Online GmbH");
    }

    #[test]
    fn html_and_xml_leave_no_tags() {
        for text in HOSTILE {
            for escaped in [html(text), xml(text)] {
                assert!(
                    !escaped.contains('<') && !escaped.contains('>'),
                    "{escaped}"
                );
                assert!(!escaped.contains('\u{1b}') && !escaped.contains('\u{202e}'));
            }
        }
        assert_eq!(xml("AT&T \"x\""), "AT&amp;T &quot;x&quot;");
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(markdown_code("tcp[13] & 2 != 0"), "`tcp[13] & 2 != 0`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x`"), "`` `x` ``");
    }
}
