//! Report periods: a day, a week (Monday first), a month or a range of local dates, and
//! the instants where they start and end in a time zone. Pure: "now" and the zone are
//! parameters, so DST changes and far-away zones are tested without touching the clock.

use anyhow::{Result, anyhow, bail};
use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use crate::timestamp::Timestamp;
use crate::when;

/// Which period a report covers, as the user asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    Day,
    LastDay,
    Week,
    LastWeek,
    Month,
    LastMonth,
    /// One given local date (`tt timeline --day DATE`).
    On(Date),
    /// Local dates, `end` excluded.
    Range {
        start: Date,
        end: Date,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Day,
    Week,
    Month,
    Range,
}

/// A resolved period: local dates `[first, end)` and the UTC instants they span.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub shape: Shape,
    pub first: Date,
    /// The day after the last day.
    pub end: Date,
    pub start_ms: i64,
    pub end_ms: i64,
    /// Each day's `[start_ms, end_ms)`, in order; they tile the period.
    pub days: Vec<Day>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Period {
    /// The period `spec` names when it is `now` in `tz`.
    pub fn resolve(spec: Spec, now: Timestamp, tz: &TimeZone) -> Result<Period> {
        let today = tz.to_datetime(now.to_jiff()).date();
        let monday = today - (today.weekday().to_monday_zero_offset() as i64).days();
        let month = today.first_of_month();
        let (shape, first, end) = match spec {
            Spec::Day => (Shape::Day, today, today.tomorrow()?),
            Spec::LastDay => (Shape::Day, today.yesterday()?, today),
            Spec::On(date) => (Shape::Day, date, date.tomorrow()?),
            Spec::Week => (Shape::Week, monday, monday + 7.days()),
            Spec::LastWeek => (Shape::Week, monday - 7.days(), monday),
            Spec::Month => (Shape::Month, month, month + 1.month()),
            Spec::LastMonth => (Shape::Month, month - 1.month(), month),
            Spec::Range { start, end } => {
                if end <= start {
                    bail!("--end {end} must be after --start {start} (the end date is excluded)");
                }
                (Shape::Range, start, end)
            }
        };
        Period::between(shape, first, end, tz)
    }

    fn between(shape: Shape, first: Date, end: Date, tz: &TimeZone) -> Result<Period> {
        let mut days = Vec::new();
        let mut date = first;
        let mut start_ms = when::start_of_day(date, tz)?.as_millis();
        while date < end {
            let next = date
                .tomorrow()
                .map_err(|e| anyhow!("{date} has no next day: {e}"))?;
            let next_ms = when::start_of_day(next, tz)?.as_millis();
            days.push(Day {
                date,
                start_ms,
                end_ms: next_ms,
            });
            date = next;
            start_ms = next_ms;
        }
        Ok(Period {
            shape,
            first,
            end,
            start_ms: days[0].start_ms,
            end_ms: start_ms,
            days,
        })
    }

    /// The last day of the period.
    pub fn last(&self) -> Date {
        self.days.last().expect("a period has at least one day").date
    }

    /// How people name it: `Monday 30 November 2026`, `week of 23 Nov 2026 (Mon-Sun)`,
    /// `November 2026`, `1 Nov 2026 to 14 Nov 2026`.
    pub fn title(&self) -> String {
        match self.shape {
            Shape::Day => self.first.strftime("%A %-d %B %Y").to_string(),
            Shape::Week if self.first.weekday() == Weekday::Monday => format!(
                "week of {} to {}",
                self.first.strftime("%a %-d %b"),
                self.last().strftime("%a %-d %b %Y")
            ),
            Shape::Month => self.first.strftime("%B %Y").to_string(),
            Shape::Week | Shape::Range => format!(
                "{} to {}",
                self.first.strftime("%a %-d %b %Y"),
                self.last().strftime("%a %-d %b %Y")
            ),
        }
    }
}

/// The name of a zone for titles and JSON: its IANA name when known, else its offset.
pub fn zone_name(tz: &TimeZone, now: Timestamp) -> String {
    match tz.iana_name() {
        Some(name) => name.to_string(),
        None => tz.to_offset(now.to_jiff()).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn utc(ms: i64) -> String {
        Timestamp::from_millis(ms).to_string()
    }

    #[test]
    fn a_new_york_day_starts_at_local_midnight_in_utc() {
        // 02:00 UTC on the 10th is still the 9th in New York (EST, UTC-5).
        let p = Period::resolve(
            Spec::Day,
            at("2026-03-10T02:00:00.000Z"),
            &zone("America/New_York"),
        )
        .unwrap();
        assert_eq!(p.first, date("2026-03-09"));
        assert_eq!(utc(p.start_ms), "2026-03-09T04:00:00.000Z"); // EDT since the 8th
        assert_eq!(utc(p.end_ms), "2026-03-10T04:00:00.000Z");
    }

    #[test]
    fn the_march_dst_day_in_new_york_has_23_hours() {
        let tz = zone("America/New_York");
        let p = Period::resolve(Spec::On(date("2026-03-08")), at("2026-03-20T12:00:00Z"), &tz).unwrap();
        assert_eq!(utc(p.start_ms), "2026-03-08T05:00:00.000Z");
        assert_eq!(utc(p.end_ms), "2026-03-09T04:00:00.000Z");
        assert_eq!(p.end_ms - p.start_ms, 23 * HOUR);
    }

    #[test]
    fn the_november_dst_day_in_new_york_has_25_hours() {
        let tz = zone("America/New_York");
        let p = Period::resolve(Spec::On(date("2026-11-01")), at("2026-11-20T12:00:00Z"), &tz).unwrap();
        assert_eq!(utc(p.start_ms), "2026-11-01T04:00:00.000Z");
        assert_eq!(utc(p.end_ms), "2026-11-02T05:00:00.000Z");
        assert_eq!(p.end_ms - p.start_ms, 25 * HOUR);
    }

    #[test]
    fn a_week_across_the_march_change_starts_monday_and_lasts_167_hours() {
        let tz = zone("America/New_York");
        // Wednesday 11 March 2026; the clocks went forward on Sunday the 8th.
        let p = Period::resolve(Spec::LastWeek, at("2026-03-11T15:00:00Z"), &tz).unwrap();
        assert_eq!((p.first, p.last()), (date("2026-03-02"), date("2026-03-08")));
        assert_eq!(p.first.weekday(), Weekday::Monday);
        assert_eq!(utc(p.start_ms), "2026-03-02T05:00:00.000Z");
        assert_eq!(utc(p.end_ms), "2026-03-09T04:00:00.000Z");
        assert_eq!(p.end_ms - p.start_ms, 7 * 24 * HOUR - HOUR);
        let lengths: Vec<i64> = p.days.iter().map(|d| (d.end_ms - d.start_ms) / HOUR).collect();
        assert_eq!(lengths, [24, 24, 24, 24, 24, 24, 23]);
    }

    #[test]
    fn a_week_across_the_november_change_lasts_169_hours() {
        let tz = zone("America/New_York");
        // Sunday 1 November 2026 belongs to the week that began Monday 26 October.
        let p = Period::resolve(Spec::Week, at("2026-11-01T16:00:00Z"), &tz).unwrap();
        assert_eq!((p.first, p.last()), (date("2026-10-26"), date("2026-11-01")));
        assert_eq!(p.end_ms - p.start_ms, 7 * 24 * HOUR + HOUR);
        assert_eq!(p.days.len(), 7);
    }

    #[test]
    fn months_are_local_and_count_their_dst_hour() {
        let tz = zone("America/New_York");
        let march = Period::resolve(Spec::Month, at("2026-03-31T12:00:00Z"), &tz).unwrap();
        assert_eq!(utc(march.start_ms), "2026-03-01T05:00:00.000Z");
        assert_eq!(utc(march.end_ms), "2026-04-01T04:00:00.000Z");
        assert_eq!(march.end_ms - march.start_ms, 31 * 24 * HOUR - HOUR);
        assert_eq!(march.days.len(), 31);
        // On 1 December 03:00 UTC it is still 30 November in New York: last month is October.
        let october = Period::resolve(Spec::LastMonth, at("2026-12-01T03:00:00Z"), &tz).unwrap();
        assert_eq!(
            (october.first, october.end),
            (date("2026-10-01"), date("2026-11-01"))
        );
        let november = Period::resolve(Spec::Month, at("2026-12-01T03:00:00Z"), &tz).unwrap();
        assert_eq!(november.end_ms - november.start_ms, 30 * 24 * HOUR + HOUR);
    }

    #[test]
    fn kolkata_days_start_at_half_past_six_the_evening_before_in_utc() {
        let tz = zone("Asia/Kolkata");
        // 20:00 UTC on the 9th is already 01:30 on the 10th in Kolkata.
        let p = Period::resolve(Spec::Day, at("2026-03-09T20:00:00Z"), &tz).unwrap();
        assert_eq!(p.first, date("2026-03-10"));
        assert_eq!(utc(p.start_ms), "2026-03-09T18:30:00.000Z");
        assert_eq!(p.end_ms - p.start_ms, 24 * HOUR);
        let week = Period::resolve(Spec::Week, at("2026-03-09T20:00:00Z"), &tz).unwrap();
        assert_eq!(week.first, date("2026-03-09"));
        assert_eq!(utc(week.start_ms), "2026-03-08T18:30:00.000Z");
        let month = Period::resolve(Spec::Month, at("2026-02-28T19:00:00Z"), &tz).unwrap();
        assert_eq!(month.first, date("2026-03-01"));
        assert_eq!(utc(month.start_ms), "2026-02-28T18:30:00.000Z");
    }

    #[test]
    fn yesterday_and_last_week_are_the_periods_before() {
        let tz = TimeZone::UTC;
        let now = at("2026-11-30T10:00:00Z"); // a Monday
        let y = Period::resolve(Spec::LastDay, now, &tz).unwrap();
        assert_eq!(y.first, date("2026-11-29"));
        let w = Period::resolve(Spec::Week, now, &tz).unwrap();
        assert_eq!(w.first, date("2026-11-30"));
        let lw = Period::resolve(Spec::LastWeek, now, &tz).unwrap();
        assert_eq!((lw.first, lw.end), (date("2026-11-23"), date("2026-11-30")));
    }

    #[test]
    fn a_range_excludes_its_end_date_and_must_not_be_empty() {
        let tz = TimeZone::UTC;
        let spec = Spec::Range {
            start: date("2026-11-01"),
            end: date("2026-11-03"),
        };
        let p = Period::resolve(spec, at("2026-11-30T10:00:00Z"), &tz).unwrap();
        assert_eq!(p.days.len(), 2);
        assert_eq!(p.last(), date("2026-11-02"));
        let empty = Spec::Range {
            start: date("2026-11-03"),
            end: date("2026-11-03"),
        };
        let err = Period::resolve(empty, at("2026-11-30T10:00:00Z"), &tz).unwrap_err();
        assert!(err.to_string().contains("must be after"), "{err}");
    }

    #[test]
    fn titles_name_the_period() {
        let tz = TimeZone::UTC;
        let now = at("2026-11-25T10:00:00Z");
        let title = |spec| Period::resolve(spec, now, &tz).unwrap().title();
        assert_eq!(title(Spec::Day), "Wednesday 25 November 2026");
        assert_eq!(title(Spec::Week), "week of Mon 23 Nov to Sun 29 Nov 2026");
        assert_eq!(title(Spec::Month), "November 2026");
    }
}
