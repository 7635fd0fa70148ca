//! `tt report` and its shortcuts `tt today`, `tt yesterday`, `tt week` (SPEC §11).
//! Reads the stored allocation read-only (it can run during a sync), the clock once.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};

use anyhow::{Result, bail};

use super::Ctx;
use crate::cli::{ReportArgs, ReportOptions};
use crate::clock;
use crate::report::period::{Period, Spec, zone_name};
use crate::report::rollup::{self, Input};
use crate::report::text::Look;
use crate::report::{csv, json, text};
use crate::store::{Store, report as stored};
use crate::when;

pub fn run(args: &ReportArgs, ctx: &Ctx) -> Result<()> {
    let p = &args.period;
    let spec = match (&p.start, &args.end) {
        (Some(start), Some(end)) => Spec::Range {
            start: when::parse_date(start)?,
            end: when::parse_date(end)?,
        },
        _ if p.day => Spec::Day,
        _ if p.last_day => Spec::LastDay,
        _ if p.last_week => Spec::LastWeek,
        _ if p.month => Spec::Month,
        _ if p.last_month => Spec::LastMonth,
        _ => Spec::Week,
    };
    shortcut(spec, &args.options, ctx)
}

pub fn shortcut(spec: Spec, options: &ReportOptions, ctx: &Ctx) -> Result<()> {
    let now = clock::now()?;
    let tz = when::local_zone();
    let period = Period::resolve(spec, now, &tz)?;
    let input = load(ctx, &period, &options.machine, &options.tag)?;
    let report = rollup::rollup(&input, &period);
    let zone = zone_name(&tz, now);
    let mut stdout = std::io::stdout().lock();
    if options.json {
        let value = json::render(&input, &period, &zone, &report);
        writeln!(stdout, "{}", serde_json::to_string_pretty(&value)?)?;
    } else if options.csv {
        stdout.write_all(&csv::render(&input, &period, &report)?)?;
    } else {
        writeln!(
            stdout,
            "{}",
            text::render(&input, &period, &zone, &report, look())
        )?;
    }
    Ok(())
}

/// The stored allocation of `period`, filtered to `machines` and `tags` (empty: all).
/// No database yet: an empty report.
pub fn load(ctx: &Ctx, period: &Period, machines: &[String], tags: &[String]) -> Result<Input> {
    let mut input = match Store::open_read_only(&ctx.database_path())? {
        Some(store) => stored::load(&store.conn, period.start_ms, period.end_ms)?,
        None => Input::default(),
    };
    let wanted = if machines.is_empty() {
        None
    } else {
        Some(
            machines
                .iter()
                .map(|m| resolve_machine(&input, m))
                .collect::<Result<HashSet<u32>>>()?,
        )
    };
    for tag in tags {
        if !input.streams.iter().any(|s| s.tags.contains(tag)) {
            let mut known: Vec<&str> = input
                .streams
                .iter()
                .flat_map(|s| s.tags.iter().map(String::as_str))
                .collect();
            known.sort_unstable();
            known.dedup();
            if known.is_empty() {
                bail!("no stream is tagged {tag:?}: there are no tags yet ('tt tag STREAM TAG' adds one)");
            }
            bail!("no stream is tagged {tag:?}; known tags: {}", known.join(", "));
        }
    }
    input.filter(wanted.as_ref(), tags);
    Ok(input)
}

/// A machine named by its id, a unique id prefix or its label.
fn resolve_machine(input: &Input, query: &str) -> Result<u32> {
    let found: Vec<u32> = (0..input.machines.len() as u32)
        .filter(|&m| {
            let machine = &input.machines[m as usize];
            machine.id == query || machine.label == query
        })
        .collect();
    let found = if found.is_empty() {
        (0..input.machines.len() as u32)
            .filter(|&m| input.machines[m as usize].id.starts_with(query))
            .collect()
    } else {
        found
    };
    match found.as_slice() {
        [one] => Ok(*one),
        [] => {
            let labels: Vec<&str> = input.machines.iter().map(|m| m.label.as_str()).collect();
            if labels.is_empty() {
                bail!("no machine {query:?}: none is known yet (run 'tt sync')");
            }
            bail!("no machine {query:?}; known machines: {}", labels.join(", "))
        }
        _ => bail!("machine {query:?} is ambiguous: give more of its id ('tt machines' lists them)"),
    }
}

/// Width and colour of standard output: the terminal's, or 80 columns without colour
/// in a pipe; `NO_COLOR` (set and not empty) turns colour off.
pub fn look() -> Look {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return Look {
            width: 80,
            color: false,
        };
    }
    let width = console::Term::stdout()
        .size_checked()
        .map_or(80, |(_, cols)| cols as usize);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Look {
        width,
        color: !no_color,
    }
}
