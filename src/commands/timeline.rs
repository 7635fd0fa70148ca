//! `tt timeline [--day DATE] [--machine ...]` (SPEC §11).

use anyhow::Result;

use super::Ctx;
use super::report::{load, look};
use crate::cli::TimelineArgs;
use crate::clock;
use crate::report::period::{Period, Spec};
use crate::report::timeline;
use crate::when;

pub fn run(args: &TimelineArgs, ctx: &Ctx) -> Result<()> {
    let now = clock::now()?;
    let tz = when::local_zone();
    let spec = match &args.day {
        Some(text) => Spec::On(when::parse_date(text)?),
        None => Spec::Day,
    };
    let period = Period::resolve(spec, now, &tz)?;
    let input = load(ctx, &period, &args.machine, &[])?;
    println!("{}", timeline::render(&input, &period.days[0], &tz, look()));
    Ok(())
}
