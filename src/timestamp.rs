//! Packet time: the span a set of packets covers, and RFC 3339 text for reports.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// First and last packet time seen, in nanoseconds since the Unix epoch. Kept as two plain
/// integers with "nothing seen" as an empty interval (first > last), so the span costs 16 bytes
/// in every per-source record rather than the 32 of two `Option<i64>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan {
    first: i64,
    last: i64,
}

impl Default for TimeSpan {
    fn default() -> Self {
        TimeSpan {
            first: i64::MAX,
            last: i64::MIN,
        }
    }
}

impl TimeSpan {
    pub fn observe(&mut self, timestamp_ns: Option<i64>) {
        if let Some(time) = timestamp_ns {
            self.first = self.first.min(time);
            self.last = self.last.max(time);
        }
    }

    pub fn merge(&mut self, other: &TimeSpan) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }

    fn is_empty(&self) -> bool {
        self.first > self.last
    }

    pub fn first_ns(&self) -> Option<i64> {
        (!self.is_empty()).then_some(self.first)
    }

    pub fn last_ns(&self) -> Option<i64> {
        (!self.is_empty()).then_some(self.last)
    }

    /// Seconds from first to last packet; `None` without timed packets.
    pub fn duration_s(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.last.saturating_sub(self.first) as f64 / 1e9)
    }
}

/// RFC 3339 in UTC with as much fraction as the time has, in groups of three digits
/// (`2025-03-10T13:00:00.250Z`, `...:00.123456Z`, `...:00Z`), so a microsecond capture does not
/// print invented nanoseconds and whole seconds print no fraction.
pub fn format_rfc3339(timestamp_ns: i64) -> String {
    let seconds = timestamp_ns.div_euclid(1_000_000_000);
    let nanos = timestamp_ns.rem_euclid(1_000_000_000);
    let Ok(moment) = OffsetDateTime::from_unix_timestamp(seconds) else {
        return format!("@{timestamp_ns}ns");
    };
    let base = moment
        .format(&Rfc3339)
        .unwrap_or_else(|_| format!("@{seconds}"));
    let base = base.trim_end_matches('Z');
    format!("{base}{}Z", fraction_digits(nanos))
}

/// The sub-second part of a time, in groups of three digits as far as it has any (".250",
/// ".123456", ".000000007"), empty for whole seconds; `nanos` in 0..1_000_000_000.
pub fn fraction_digits(nanos: i64) -> String {
    if nanos == 0 {
        String::new()
    } else if nanos % 1_000_000 == 0 {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_the_fraction_the_time_has() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339(1_741_611_600_250_000_000),
            "2025-03-10T13:00:00.250Z"
        );
        assert_eq!(
            format_rfc3339(1_000_123_456),
            "1970-01-01T00:00:01.000123456Z"
        );
        assert_eq!(format_rfc3339(1_000_123_000), "1970-01-01T00:00:01.000123Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn span_merges_and_measures() {
        let mut span = TimeSpan::default();
        assert_eq!(span.duration_s(), None);
        span.observe(Some(5_000_000_000));
        span.observe(None);
        let mut other = TimeSpan::default();
        other.observe(Some(2_000_000_000));
        span.merge(&other);
        assert_eq!(span.first_ns(), Some(2_000_000_000));
        assert_eq!(span.last_ns(), Some(5_000_000_000));
        assert_eq!(span.duration_s(), Some(3.0));
    }
}
