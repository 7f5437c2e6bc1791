//! Timestamps and ids as the real service formats them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Hands out strictly increasing timestamps, so that events created in the same
/// microsecond still order.
#[derive(Debug)]
pub(crate) struct Clock {
    last: OffsetDateTime,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            last: OffsetDateTime::UNIX_EPOCH,
        }
    }

    /// Now, or one microsecond after the last timestamp handed out.
    pub(crate) fn tick(&mut self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        let next = if now > self.last {
            now
        } else {
            self.last + time::Duration::microseconds(1)
        };
        self.last = next;
        next
    }

    /// [`tick`](Self::tick), formatted.
    pub(crate) fn stamp(&mut self) -> String {
        format(self.tick())
    }
}

/// RFC 3339 with microseconds in UTC: `2019-12-05T07:27:08.820000Z`.
pub(crate) fn format(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap_or_default()
}

/// Parses an RFC 3339 timestamp, with any offset.
pub(crate) fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Unix seconds of `at`.
pub(crate) fn unix(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

/// Mints ids in the style of the real service: ten upper-case alphanumerics.
#[derive(Debug, Default)]
pub(crate) struct IdGen {
    counter: u64,
}

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SPACE: u64 = 101_559_956_668_416; // 36^9

impl IdGen {
    /// How many ids it has handed out (what a saved state remembers).
    pub(crate) fn issued(&self) -> u64 {
        self.counter
    }

    /// Goes on after `issued` ids (a loaded state's), never handing out one of those.
    pub(crate) fn resume_after(&mut self, issued: u64) {
        self.counter = self.counter.max(issued);
    }

    /// A fresh id starting with `prefix`; unique for the life of the generator.
    pub(crate) fn next(&mut self, prefix: char) -> String {
        self.counter += 1;
        // An odd multiplier not divisible by 3 permutes 0..36^9, so ids look random yet
        // never repeat.
        let mut n = (self.counter.wrapping_mul(2_654_435_761) % SPACE + 12_345) % SPACE;
        let mut out = [b'0'; 9];
        for slot in out.iter_mut().rev() {
            *slot = ALPHABET[(n % 36) as usize];
            n /= 36;
        }
        let mut id = String::with_capacity(10);
        id.push(prefix);
        id.extend(out.iter().map(|&b| b as char));
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut ids = IdGen::default();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = ids.next('C');
            assert_eq!(id.len(), 10);
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            );
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn stamps_increase_strictly_and_parse_back() {
        let mut clock = Clock::new();
        let a = clock.stamp();
        let b = clock.stamp();
        assert!(b > a, "{b} <= {a}");
        assert_eq!(a.len(), "2019-12-05T07:27:08.820000Z".len());
        assert!(parse(&a).is_some());
    }
}
