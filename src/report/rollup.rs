//! The numbers of a report: stored intervals in, totals per stream, tag, machine and day
//! out. Pure: no database, no clock.
//!
//! * A stream's `direct_ms` and `delegated_ms` are the sums of its intervals of that
//!   kind (the allocation already made each kind of one stream non-overlapping).
//! * Every other `direct_ms`/`delegated_ms` (a tag, a machine, a day, the report) is the
//!   sum over the streams it holds, so reports add up over streams and over adjacent
//!   periods. Unassigned time belongs to no stream and counts only in `unassigned_ms`
//!   and in the wall-clock totals.
//! * Every `total_ms` is the wall-clock union of the intervals it holds (direct and
//!   delegated, of every stream, unassigned ones too for a machine, a day and the
//!   report), so it never exceeds the time that passed.

use std::collections::HashSet;

use crate::report::period::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Delegated,
}

/// One stored interval, already clipped to the period: `[start, end)` ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub start: i64,
    pub end: i64,
    pub kind: Kind,
    /// Index into [`Input::streams`]; None: unassigned.
    pub stream: Option<u32>,
    /// Index into [`Input::machines`].
    pub machine: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub id: String,
    pub name: String,
    pub machine: u32,
    pub tags: Vec<String>,
}

/// What a report is computed from; `pieces` sorted by start.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub machines: Vec<Machine>,
    pub streams: Vec<Stream>,
    pub pieces: Vec<Piece>,
}

impl Input {
    /// Keeps only the time of these machines (None: all) and of streams with one of
    /// these tags (empty: all; unassigned time has no tag, so a tag filter drops it).
    pub fn filter(&mut self, machines: Option<&HashSet<u32>>, tags: &[String]) {
        let tagged: Vec<bool> = self
            .streams
            .iter()
            .map(|s| tags.is_empty() || s.tags.iter().any(|t| tags.contains(t)))
            .collect();
        self.pieces.retain(|p| {
            machines.is_none_or(|m| m.contains(&p.machine))
                && match p.stream {
                    Some(s) => tagged[s as usize],
                    None => tags.is_empty(),
                }
        });
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub total_ms: i64,
    pub direct_ms: i64,
    pub delegated_ms: i64,
}

impl Totals {
    fn add_kinds(&mut self, other: &Totals) {
        self.direct_ms += other.direct_ms;
        self.delegated_ms += other.delegated_ms;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TagRow {
    pub tag: String,
    pub totals: Totals,
    /// Indexes into [`Input::streams`], most time first.
    pub streams: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamRow {
    pub stream: u32,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MachineRow {
    pub machine: u32,
    pub totals: Totals,
}

/// One stream's time on one day (a CSV row).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Index into [`Period::days`].
    pub day: usize,
    pub stream: u32,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub totals: Totals,
    pub unassigned_ms: i64,
    /// Most time first, then by name.
    pub by_tag: Vec<TagRow>,
    /// Every stream with time in the period, most time first.
    pub streams: Vec<StreamRow>,
    /// Streams without a tag, most time first.
    pub untagged: Vec<StreamRow>,
    /// Machines with time in the period, most time first.
    pub by_machine: Vec<MachineRow>,
    /// Every day of the period, in order.
    pub by_day: Vec<Totals>,
    /// Per day, then per stream (in the order of `streams`), when it had time.
    pub cells: Vec<Cell>,
}

/// Running wall-clock union of intervals that arrive sorted by start, credited to the
/// days they fall in.
#[derive(Clone)]
struct Union {
    open: Option<(i64, i64)>,
    per_day: Vec<i64>,
}

impl Union {
    fn new(days: usize) -> Union {
        Union {
            open: None,
            per_day: vec![0; days],
        }
    }

    fn add(&mut self, start: i64, end: i64, period: &Period) {
        match &mut self.open {
            Some((_, e)) if start <= *e => *e = (*e).max(end),
            open => {
                if let Some((s, e)) = open.replace((start, end)) {
                    credit(s, e, period, &mut self.per_day);
                }
            }
        }
    }

    fn finish(mut self, period: &Period) -> Vec<i64> {
        if let Some((s, e)) = self.open.take() {
            credit(s, e, period, &mut self.per_day);
        }
        self.per_day
    }
}

/// Adds the length of `[start, end)` to the days it overlaps.
fn credit(start: i64, end: i64, period: &Period, per_day: &mut [i64]) {
    let first = period.days.partition_point(|d| d.end_ms <= start);
    for (ix, day) in period.days.iter().enumerate().skip(first) {
        if day.start_ms >= end {
            break;
        }
        per_day[ix] += end.min(day.end_ms) - start.max(day.start_ms);
    }
}

/// Rolls `input` up over `period` (its pieces must lie within the period).
pub fn rollup(input: &Input, period: &Period) -> Report {
    let days = period.days.len();
    let tag_names: Vec<String> = {
        let mut all: Vec<String> = input.streams.iter().flat_map(|s| s.tags.clone()).collect();
        all.sort();
        all.dedup();
        all
    };
    let tag_ix = |t: &String| tag_names.binary_search(t).expect("collected above");
    let stream_tags: Vec<Vec<usize>> = input
        .streams
        .iter()
        .map(|s| s.tags.iter().map(tag_ix).collect())
        .collect();

    let mut all = Union::new(days);
    let mut unassigned = Union::new(days);
    let mut machine_union = vec![Union::new(days); input.machines.len()];
    let mut stream_union = vec![Union::new(days); input.streams.len()];
    let mut tag_union = vec![Union::new(days); tag_names.len()];
    // Per stream, per day: (direct, delegated).
    let mut kinds: Vec<Vec<(i64, i64)>> = vec![Vec::new(); input.streams.len()];

    for p in &input.pieces {
        all.add(p.start, p.end, period);
        machine_union[p.machine as usize].add(p.start, p.end, period);
        let Some(s) = p.stream else {
            unassigned.add(p.start, p.end, period);
            continue;
        };
        let s = s as usize;
        stream_union[s].add(p.start, p.end, period);
        for &t in &stream_tags[s] {
            tag_union[t].add(p.start, p.end, period);
        }
        let per_day = &mut kinds[s];
        if per_day.is_empty() {
            per_day.resize(days, (0, 0));
        }
        let first = period.days.partition_point(|d| d.end_ms <= p.start);
        for (ix, day) in period.days.iter().enumerate().skip(first) {
            if day.start_ms >= p.end {
                break;
            }
            let len = p.end.min(day.end_ms) - p.start.max(day.start_ms);
            match p.kind {
                Kind::Direct => per_day[ix].0 += len,
                Kind::Delegated => per_day[ix].1 += len,
            }
        }
    }

    // Streams and their cells.
    let mut streams: Vec<StreamRow> = Vec::new();
    let mut stream_days: Vec<Vec<Totals>> = vec![Vec::new(); input.streams.len()];
    for (s, union) in stream_union.into_iter().enumerate() {
        let totals_per_day = union.finish(period);
        if kinds[s].is_empty() {
            continue;
        }
        let per_day: Vec<Totals> = (0..days)
            .map(|d| Totals {
                total_ms: totals_per_day[d],
                direct_ms: kinds[s][d].0,
                delegated_ms: kinds[s][d].1,
            })
            .collect();
        let mut totals = Totals::default();
        for t in &per_day {
            totals.total_ms += t.total_ms;
            totals.add_kinds(t);
        }
        if totals.total_ms == 0 {
            continue;
        }
        stream_days[s] = per_day;
        streams.push(StreamRow {
            stream: s as u32,
            totals,
        });
    }
    let name = |s: u32| &input.streams[s as usize].name;
    streams.sort_by(|a, b| {
        b.totals
            .total_ms
            .cmp(&a.totals.total_ms)
            .then_with(|| name(a.stream).cmp(name(b.stream)))
            .then(a.stream.cmp(&b.stream))
    });

    let stream_days = &stream_days;
    let mut cells: Vec<Cell> = (0..days)
        .flat_map(|day| {
            streams.iter().map(move |row| Cell {
                day,
                stream: row.stream,
                totals: stream_days[row.stream as usize][day],
            })
        })
        .collect();
    cells.retain(|cell| cell.totals.total_ms > 0);

    let sum = |total_ms: i64, members: &mut dyn Iterator<Item = &StreamRow>| {
        let mut t = Totals {
            total_ms,
            ..Totals::default()
        };
        for row in members {
            t.add_kinds(&row.totals);
        }
        t
    };

    let mut by_tag: Vec<TagRow> = tag_union
        .into_iter()
        .enumerate()
        .filter_map(|(t, union)| {
            let total_ms: i64 = union.finish(period).iter().sum();
            let members: Vec<&StreamRow> = streams
                .iter()
                .filter(|r| stream_tags[r.stream as usize].contains(&t))
                .collect();
            if members.is_empty() {
                return None;
            }
            Some(TagRow {
                tag: tag_names[t].clone(),
                totals: sum(total_ms, &mut members.iter().copied()),
                streams: members.iter().map(|r| r.stream).collect(),
            })
        })
        .collect();
    by_tag.sort_by(|a, b| b.totals.total_ms.cmp(&a.totals.total_ms).then(a.tag.cmp(&b.tag)));

    let untagged: Vec<StreamRow> = streams
        .iter()
        .filter(|r| input.streams[r.stream as usize].tags.is_empty())
        .cloned()
        .collect();

    let mut by_machine: Vec<MachineRow> = machine_union
        .into_iter()
        .enumerate()
        .filter_map(|(m, union)| {
            let total_ms: i64 = union.finish(period).iter().sum();
            if total_ms == 0 {
                return None;
            }
            let mut members = streams
                .iter()
                .filter(|r| input.streams[r.stream as usize].machine == m as u32);
            Some(MachineRow {
                machine: m as u32,
                totals: sum(total_ms, &mut members),
            })
        })
        .collect();
    let label = |m: u32| &input.machines[m as usize].label;
    by_machine.sort_by(|a, b| {
        b.totals
            .total_ms
            .cmp(&a.totals.total_ms)
            .then_with(|| label(a.machine).cmp(label(b.machine)))
    });

    let all_per_day = all.finish(period);
    let mut by_day: Vec<Totals> = all_per_day
        .iter()
        .map(|&total_ms| Totals {
            total_ms,
            ..Totals::default()
        })
        .collect();
    for cell in &cells {
        by_day[cell.day].add_kinds(&cell.totals);
    }
    let mut totals = Totals {
        total_ms: all_per_day.iter().sum(),
        ..Totals::default()
    };
    for row in &streams {
        totals.add_kinds(&row.totals);
    }

    Report {
        totals,
        unassigned_ms: unassigned.finish(period).iter().sum(),
        by_tag,
        streams,
        untagged,
        by_machine,
        by_day,
        cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::period::Spec;
    use jiff::tz::TimeZone;
    use std::collections::BTreeMap;

    fn tags_by_name(report: &Report) -> BTreeMap<&str, &TagRow> {
        report.by_tag.iter().map(|t| (t.tag.as_str(), t)).collect()
    }

    const M: i64 = 60_000;

    fn period() -> Period {
        // 2026-11-23 and 24, UTC.
        Period::resolve(
            Spec::Range {
                start: "2026-11-23".parse().unwrap(),
                end: "2026-11-25".parse().unwrap(),
            },
            "2026-11-30T00:00:00Z".parse().unwrap(),
            &TimeZone::UTC,
        )
        .unwrap()
    }

    fn input(pieces: &[(i64, i64, Kind, Option<u32>, u32)]) -> Input {
        let machine = |id: &str| Machine {
            id: id.into(),
            label: id.into(),
        };
        let stream = |name: &str, machine, tags: &[&str]| Stream {
            id: format!("id-{name}"),
            name: name.into(),
            machine,
            tags: tags.iter().map(|t| t.to_string()).collect(),
        };
        let base = period().start_ms;
        let mut pieces: Vec<Piece> = pieces
            .iter()
            .map(|&(start, end, kind, stream, machine)| Piece {
                start: base + start * M,
                end: base + end * M,
                kind,
                stream,
                machine,
            })
            .collect();
        pieces.sort_by_key(|p| p.start);
        Input {
            machines: vec![machine("laptop"), machine("devbox")],
            streams: vec![
                stream("web", 0, &["acme", "frontend"]),
                stream("api", 1, &["acme"]),
                stream("notes", 0, &[]),
            ],
            pieces,
        }
    }

    use Kind::{Delegated, Direct};

    #[test]
    fn totals_are_wall_clock_unions_and_kinds_are_sums() {
        // web: direct 0-10, delegated 5-30; api (other machine): delegated 20-40.
        let r = rollup(
            &input(&[
                (0, 10, Direct, Some(0), 0),
                (5, 30, Delegated, Some(0), 0),
                (20, 40, Delegated, Some(1), 1),
            ]),
            &period(),
        );
        assert_eq!(
            r.totals,
            Totals {
                total_ms: 40 * M,
                direct_ms: 10 * M,
                delegated_ms: 45 * M
            }
        );
        let acme = tags_by_name(&r)["acme"];
        assert_eq!(
            acme.totals.total_ms,
            40 * M,
            "one entry for a tag on two machines"
        );
        assert_eq!(acme.streams.len(), 2);
        let frontend = tags_by_name(&r)["frontend"];
        assert_eq!(frontend.totals.total_ms, 30 * M);
    }

    #[test]
    fn unassigned_time_counts_in_totals_but_not_in_direct() {
        let r = rollup(
            &input(&[
                (0, 10, Direct, None, 0),
                (5, 15, Delegated, None, 1),
                (20, 30, Direct, Some(2), 0),
            ]),
            &period(),
        );
        assert_eq!(r.unassigned_ms, 15 * M);
        assert_eq!(r.totals.total_ms, 25 * M);
        assert_eq!(r.totals.direct_ms, 10 * M);
        assert_eq!(r.untagged.len(), 1);
        let laptop = r.by_machine.iter().find(|m| m.machine == 0).unwrap();
        assert_eq!(laptop.totals.total_ms, 20 * M);
        assert_eq!(laptop.totals.direct_ms, 10 * M);
    }

    #[test]
    fn an_interval_across_midnight_is_split_between_the_days() {
        let day = 24 * 60;
        let r = rollup(&input(&[(day - 30, day + 10, Delegated, Some(1), 1)]), &period());
        assert_eq!(r.by_day[0].total_ms, 30 * M);
        assert_eq!(r.by_day[1].total_ms, 10 * M);
        assert_eq!(r.by_day[1].delegated_ms, 10 * M);
        assert_eq!(r.cells.len(), 2);
    }

    #[test]
    fn filters_keep_the_asked_machines_and_tags() {
        let pieces = [
            (0, 10, Direct, Some(0), 0),
            (10, 20, Direct, Some(1), 1),
            (20, 30, Direct, None, 0),
        ];
        let mut only_devbox = input(&pieces);
        only_devbox.filter(Some(&HashSet::from([1])), &[]);
        assert_eq!(rollup(&only_devbox, &period()).totals.total_ms, 10 * M);
        let mut frontend = input(&pieces);
        frontend.filter(None, &["frontend".to_string()]);
        let r = rollup(&frontend, &period());
        assert_eq!((r.totals.total_ms, r.unassigned_ms), (10 * M, 0));
    }
}
