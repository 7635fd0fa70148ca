//! `tt tag STREAM TAG...` and `tt untag STREAM TAG...` (SPEC §10).

use anyhow::{Result, bail};

use super::Ctx;
use crate::cli::TagArgs;
use crate::store::{Store, streams};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add,
    Remove,
}

pub fn run(args: &TagArgs, ctx: &Ctx, change: Change) -> Result<()> {
    for tag in &args.tags {
        if tag.trim().is_empty() || tag.chars().any(char::is_control) {
            bail!("tag {tag:?} is empty or has control characters; use printable text such as client:acme");
        }
    }
    let Some(mut store) = Store::open_existing(&ctx.database_path())? else {
        bail!("no database yet: run 'tt sync' first, then tag the streams 'tt streams' lists");
    };
    let tx = store.conn.transaction()?;
    let (id, name) = streams::resolve(&tx, &args.stream)?;
    let n = match change {
        Change::Add => streams::tag(&tx, &id, &args.tags)?,
        Change::Remove => streams::untag(&tx, &id, &args.tags)?,
    };
    tx.commit()?;
    let tags = streams::all_tags(&store.conn)?.remove(&id).unwrap_or_default();
    let verb = match change {
        Change::Add => "added",
        Change::Remove => "removed",
    };
    let now = if tags.is_empty() {
        "none".to_string()
    } else {
        tags.join(", ")
    };
    println!("{name}: {n} tag(s) {verb}; tags now: {now}");
    Ok(())
}
