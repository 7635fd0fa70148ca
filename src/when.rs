//! Times and dates as users type them on the command line, read in the local time zone
//! (`TZ` honoured, through jiff). Pure: the zone is a parameter.

use anyhow::{Result, anyhow};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use crate::timestamp::Timestamp;

/// The zone of the user: `TZ` when set, else the system's.
pub fn local_zone() -> TimeZone {
    TimeZone::system()
}

/// A local date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date> {
    text.trim()
        .parse::<Date>()
        .map_err(|_| anyhow!("{text:?} is not a date: expected YYYY-MM-DD, e.g. 2026-03-09"))
}

/// The instant a local date starts (its first instant: midnight, or later on a day
/// whose midnight a DST change skips).
pub fn start_of_day(date: Date, tz: &TimeZone) -> Result<Timestamp> {
    let zoned = date
        .to_zoned_datetime(tz.clone())
        .map_err(|e| anyhow!("cannot place {date} in the time zone: {e}"))?;
    Ok(Timestamp::from_jiff(zoned.timestamp()))
}

/// An instant typed by a user: RFC 3339 with any offset (`2026-03-09T14:00:00Z`,
/// `...+01:00`), a local `YYYY-MM-DD HH:MM[:SS]` (or with `T`), or a local date
/// `YYYY-MM-DD` (its start).
pub fn parse_instant(text: &str, tz: &TimeZone) -> Result<Timestamp> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(Timestamp::from_jiff(ts));
    }
    if let Ok(dt) = text.parse::<DateTime>() {
        let zoned = dt
            .to_zoned_datetime(tz.clone())
            .map_err(|e| anyhow!("cannot place {text:?} in the time zone: {e}"))?;
        return Ok(Timestamp::from_jiff(zoned.timestamp()));
    }
    if let Ok(date) = text.parse::<Date>() {
        return start_of_day(date, tz);
    }
    Err(anyhow!(
        "{text:?} is not a time: expected RFC 3339 (2026-03-09T14:00:00Z) or local \
         'YYYY-MM-DD HH:MM'"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_in_the_given_zone() {
        let tz = TimeZone::get("Asia/Kolkata").unwrap();
        let ts = parse_instant("2026-03-09 14:00", &tz).unwrap();
        assert_eq!(ts.to_string(), "2026-03-09T08:30:00.000Z");
        let ts = parse_instant("2026-03-09", &tz).unwrap();
        assert_eq!(ts.to_string(), "2026-03-08T18:30:00.000Z");
    }

    #[test]
    fn rfc3339_with_an_offset_is_an_absolute_instant() {
        let tz = TimeZone::UTC;
        let ts = parse_instant("2026-03-09T14:00:00+01:00", &tz).unwrap();
        assert_eq!(ts.to_string(), "2026-03-09T13:00:00.000Z");
    }

    #[test]
    fn garbage_is_an_error_that_shows_the_expected_forms() {
        let err = parse_instant("yesterday", &TimeZone::UTC).unwrap_err();
        assert!(err.to_string().contains("YYYY-MM-DD HH:MM"), "{err}");
    }
}
