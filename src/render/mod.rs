//! Rendering: turns the report model (and lookups) into text for people.

pub mod lookup;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(terminal_safe("plain café"), "plain café");
    }
}
