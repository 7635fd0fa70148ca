//! `tt report --json` on the shared 1,000,000-event data set (see dataset.rs), issue
//! 12: a week (Monday to Monday inside the 9 days) and the full range, against
//! `sqlite3` reading every event in time order (what a report that replays the events
//! would at least pay), alternated with them in the same run. Peak memory is the
//! largest resident set of a report run (wait4's rusage of each child).
//!
//! Goals: a week at most half the scan, the full range at most the scan, peak memory
//! under 200 MB.

use crate::Ctx;
use crate::dataset::{self, SCAN, Workspace};
use crate::measure::{Row, Table, duration, median, megabytes, ratio, run_measured, thousands};

const PEAK_GOAL: u64 = 200_000_000;

pub fn run(ctx: &Ctx, table: &mut Table) {
    let data = dataset::shared(ctx);
    let runs = ctx.scale(5, 1);
    let ws = Workspace::new(ctx);
    ws.load(&data.recomputed);
    let db = ws.database();
    let day = |n: i64| (data.options.start + jiff::Span::new().days(n)).to_string();
    // fleet_gen starts on a Monday: the week is the first seven days.
    assert_eq!(data.options.start.weekday(), jiff::civil::Weekday::Monday);
    let days = i64::from(data.options.days);
    let report = |start: i64, end: i64| {
        ws.tt(
            ctx,
            &["report", "--json", "--start", &day(start), "--end", &day(end)],
        )
    };

    // Warm the page cache once for each.
    run_measured(&mut dataset::scan(&db));
    run_measured(&mut report(0, days));

    let (mut scan, mut week, mut full) = (Vec::new(), Vec::new(), Vec::new());
    let mut peak = 0;
    for _ in 0..runs {
        scan.push(run_measured(&mut dataset::scan(&db)).0);
        let (t, p) = run_measured(&mut report(0, 7));
        week.push(t);
        peak = peak.max(p);
        let (t, p) = run_measured(&mut report(0, days));
        full.push(t);
        peak = peak.max(p);
    }
    let (scan, week, full) = (median(&mut scan), median(&mut week), median(&mut full));
    table.add(
        Row::new(
            format!(
                "`tt report --json`, one week of the {}-event database",
                thousands(data.options.events)
            ),
            duration(week),
        )
        .baseline(format!("{SCAN}: {}", duration(scan)), ratio(week, scan))
        .goal("≤ 0.5x", week.as_secs_f64() <= 0.5 * scan.as_secs_f64()),
    );
    table.add(
        Row::new(
            format!("the same, the full {days} days"),
            format!("{}, peak {}", duration(full), megabytes(peak)),
        )
        .baseline("same", ratio(full, scan))
        .goal("≤ 1.0x, < 200 MB", full <= scan && peak < PEAK_GOAL),
    );
}
