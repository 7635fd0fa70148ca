//! Event timestamps: UTC, millisecond precision, written `2025-01-29T14:32:01.000Z`.
//!
//! The fixed-width text sorts in time order, so the database stores it as text. The
//! calendar arithmetic is jiff's; this module only fixes the one form tt writes and
//! the range that form can hold (years 0000 to 9999).

use std::fmt;
use std::str::FromStr;

use jiff::civil::DateTime;
use jiff::tz::Offset;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Milliseconds since the Unix epoch, UTC, always within [`Timestamp::MIN`] and
/// [`Timestamp::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// `0000-01-01T00:00:00.000Z`: the earliest instant with a four-digit year.
    pub const MIN: Timestamp = Timestamp(-62_167_219_200_000);
    /// `9999-12-30T22:00:00.000Z`: jiff's last whole millisecond (it keeps a margin
    /// so that every offset's civil time stays within year 9999).
    pub const MAX: Timestamp = Timestamp(253_402_207_200_000);

    pub fn now() -> Timestamp {
        Timestamp::from_jiff(jiff::Timestamp::now())
    }

    /// A timestamp computed by tt itself (a window start, a test's clock). Results of
    /// arithmetic past either end saturate there ("from the beginning of time");
    /// input is never clamped: parsing and [`Timestamp::try_from_millis`] refuse it.
    pub fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms.clamp(Timestamp::MIN.0, Timestamp::MAX.0))
    }

    /// `None` when `ms` is outside the years 0000 to 9999.
    pub fn try_from_millis(ms: i64) -> Option<Timestamp> {
        (Timestamp::MIN.0..=Timestamp::MAX.0)
            .contains(&ms)
            .then_some(Timestamp(ms))
    }

    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// Saturates like [`Timestamp::from_millis`] (jiff's clock cannot leave the range).
    pub fn from_jiff(ts: jiff::Timestamp) -> Timestamp {
        Timestamp::from_millis(ts.as_millisecond())
    }

    pub fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.0).expect("years 0000 to 9999 are in jiff's range")
    }

    /// The canonical text `YYYY-MM-DDTHH:MM:SS.mmmZ` without the formatting machinery
    /// (this runs for every event of an import).
    pub fn to_canonical(self) -> [u8; 24] {
        let dt = Offset::UTC.to_datetime(self.to_jiff());
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, value: i32| {
            let mut value = value;
            for i in (at..at + width).rev() {
                out[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        // The year is 0..=9999 by construction: four digits, never cut.
        put(0, 4, i32::from(dt.year()));
        put(5, 2, i32::from(dt.month()));
        put(8, 2, i32::from(dt.day()));
        put(11, 2, i32::from(dt.hour()));
        put(14, 2, i32::from(dt.minute()));
        put(17, 2, i32::from(dt.second()));
        put(20, 3, i32::from(dt.millisecond()));
        out
    }
}

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTimestamp(pub String);

impl fmt::Display for BadTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for BadTimestamp {}

impl FromStr for Timestamp {
    type Err = BadTimestamp;

    /// Accepts RFC 3339 in UTC (`Z` suffix) with any sub-second precision, which is
    /// kept to the millisecond. Refused: other offsets (events are UTC), years outside
    /// 0000 to 9999 (the stored form has four digits), and leap seconds (`:60`): jiff
    /// would read them as `:59`, and a moved event is worse than a refused one.
    fn from_str(s: &str) -> Result<Timestamp, BadTimestamp> {
        if let Some(ts) = parse_canonical(s.as_bytes()) {
            return Ok(ts);
        }
        if !(s.ends_with('Z') || s.ends_with('z')) {
            return Err(BadTimestamp(format!(
                "timestamp {s:?} is not UTC (expected a 'Z' suffix)"
            )));
        }
        if is_leap_second(s) {
            return Err(BadTimestamp(format!(
                "timestamp {s:?} is a leap second, which tt cannot store"
            )));
        }
        let ts: jiff::Timestamp = s
            .parse()
            .map_err(|_| BadTimestamp(format!("timestamp {s:?} is not RFC 3339")))?;
        Timestamp::try_from_millis(ts.as_millisecond())
            .ok_or_else(|| BadTimestamp(format!("timestamp {s:?} is out of range (years 0000 to 9999)")))
    }
}

/// Seconds `60` in an RFC 3339 time (`...:59:60Z`, `...:59:60.5Z`). Minutes are never
/// 60, so a `:60` followed by the end of the seconds can only be a leap second.
fn is_leap_second(s: &str) -> bool {
    s.match_indices(":60").any(|(i, _)| {
        matches!(
            s.as_bytes().get(i + 3),
            None | Some(b'.' | b',' | b'Z' | b'z' | b'+' | b'-')
        )
    })
}

/// Fast path for exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form tt writes: the digits
/// are read here, the calendar is checked by jiff.
fn parse_canonical(b: &[u8]) -> Option<Timestamp> {
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i16> {
        let mut n = 0i16;
        for &c in &b[range] {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i16::from(c - b'0');
        }
        Some(n)
    };
    let small = |range| num(range).and_then(|n| i8::try_from(n).ok());
    let dt = DateTime::new(
        num(0..4)?,
        small(5..7)?,
        small(8..10)?,
        small(11..13)?,
        small(14..16)?,
        small(17..19)?,
        i32::from(num(20..23)?) * 1_000_000,
    )
    .ok()?;
    let ts = Offset::UTC.to_timestamp(dt).ok()?;
    Some(Timestamp(ts.as_millisecond()))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.to_canonical();
        f.write_str(std::str::from_utf8(&text).expect("ASCII digits"))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_round_trips() {
        for text in [
            "2025-01-29T14:32:01.000Z",
            "1970-01-01T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "0000-01-01T00:00:00.000Z",
            "9999-12-30T22:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
        ] {
            let ts: Timestamp = text.parse().unwrap();
            assert_eq!(ts.to_string(), text);
            assert_eq!(ts, Timestamp::from_jiff(text.parse::<jiff::Timestamp>().unwrap()));
        }
        assert_eq!(Timestamp::MIN.to_string(), "0000-01-01T00:00:00.000Z");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-30T22:00:00.000Z");
        assert!("9999-12-31T23:59:59.999Z".parse::<Timestamp>().is_err());
    }

    #[test]
    fn finer_precision_is_kept_to_the_millisecond() {
        let ts: Timestamp = "2025-01-29T14:32:01.123456Z".parse().unwrap();
        assert_eq!(ts.to_string(), "2025-01-29T14:32:01.123Z");
    }

    #[test]
    fn other_spellings_are_read_and_written_canonically() {
        let ts: Timestamp = "2025-01-29t14:32:01z".parse().unwrap();
        assert_eq!(ts.to_string(), "2025-01-29T14:32:01.000Z");
    }

    #[test]
    fn offsets_other_than_utc_are_refused() {
        let err = "2025-01-29T14:32:01.000+02:00".parse::<Timestamp>().unwrap_err();
        assert!(err.0.contains("not UTC"), "{err}");
        assert!("yesterday".parse::<Timestamp>().is_err());
        assert!("2025-02-30T00:00:00.000Z".parse::<Timestamp>().is_err());
    }

    #[test]
    fn a_year_before_0000_is_refused_not_clamped() {
        let err = "-000001-06-01T00:00:00Z".parse::<Timestamp>().unwrap_err();
        assert!(err.0.contains("out of range"), "{err}");
        assert_eq!(Timestamp::try_from_millis(Timestamp::MIN.0 - 1), None);
        assert_eq!(Timestamp::try_from_millis(Timestamp::MAX.0 + 1), None);
    }

    #[test]
    fn a_leap_second_is_refused_not_moved() {
        for text in [
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.500Z",
            "2016-12-31t23:59:60z",
        ] {
            let err = text.parse::<Timestamp>().unwrap_err();
            assert!(err.0.contains("leap second"), "{text}: {err}");
        }
        assert!("2016-12-31T23:59:60.000Z".parse::<Timestamp>().is_err());
    }
}
