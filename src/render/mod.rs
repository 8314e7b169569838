//! Rendering: turns the report model (and lookups) into text for people.

pub mod lookup;
pub mod map;

/// Text from a capture or a database, made safe for a terminal: control characters (ANSI
/// escape sequences start with one) are shown escaped instead of being obeyed, so a crafted
/// organisation name cannot rewrite the analyst's screen.
pub fn terminal_safe(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_control() {
            safe.extend(character.escape_default());
        } else {
            safe.push(character);
        }
    }
    safe
}

/// Text made safe inside XML or HTML, in element content and in quoted attribute values alike:
/// the five characters with a meaning there become entities, so a title or a country name taken
/// from input cannot open a tag or leave an attribute. Control characters XML forbids become
/// U+FFFD, so hostile text cannot make the document unreadable either.
pub fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            // XML 1.0 allows no other control character, not even as an entity.
            '\t' | '\n' | '\r' => escaped.push(character),
            control if control.is_control() => escaped.push('\u{fffd}'),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(terminal_safe("plain café"), "plain café");
    }

    #[test]
    fn markup_characters_become_entities() {
        assert_eq!(
            xml_escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(xml_escape("Côte d’Ivoire\n"), "Côte d’Ivoire\n");
        assert_eq!(xml_escape("a\u{0}\u{1b}b"), "a\u{fffd}\u{fffd}b");
    }
}
