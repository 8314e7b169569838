//! Warnings about an input, grouped by kind so a hostile capture that repeats one defect a
//! million times yields one line with a count, not a million lines.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings {
    by_kind: BTreeMap<&'static str, WarningEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct WarningEntry {
    count: u64,
    first_offset: Option<u64>,
    message: String,
}

impl Warnings {
    /// Records one occurrence of `kind`; the message of the first occurrence is kept.
    pub fn add(
        &mut self,
        kind: &'static str,
        offset: Option<u64>,
        message: impl FnOnce() -> String,
    ) {
        self.by_kind
            .entry(kind)
            .and_modify(|entry| entry.count += 1)
            .or_insert_with(|| WarningEntry {
                count: 1,
                first_offset: offset,
                message: message(),
            });
    }

    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }

    pub fn contains(&self, kind: &str) -> bool {
        self.by_kind.contains_key(kind)
    }

    /// One line per kind, in a stable order.
    pub fn lines(&self) -> Vec<String> {
        self.by_kind
            .values()
            .map(|entry| {
                let mut line = entry.message.clone();
                if let Some(offset) = entry.first_offset {
                    let first = if entry.count > 1 { "first " } else { "" };
                    line.push_str(&format!(" ({first}at byte offset {offset})"));
                }
                if entry.count > 1 {
                    line.push_str(&format!("; {} times in all", entry.count));
                }
                line
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_warnings_fold_into_one_line_with_count_and_first_offset() {
        let mut warnings = Warnings::default();
        for offset in [40, 80, 120] {
            warnings.add("ts", Some(offset), || {
                "sub-second field out of range".into()
            });
        }
        warnings.add("tail", Some(7), || "trailing bytes".into());
        assert_eq!(
            warnings.lines(),
            vec![
                "trailing bytes (at byte offset 7)".to_string(),
                "sub-second field out of range (first at byte offset 40); 3 times in all"
                    .to_string(),
            ]
        );
    }
}
