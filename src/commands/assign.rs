//! `tt assign`, `tt unassign`, `tt assign --apply` and the `tt streams rename|merge|new`
//! corrections (SPEC §10): each resolved, stored and recomputed in one transaction.

use std::io::Read;

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::{AssignArgs, SelectorArgs, UnassignArgs};
use crate::clock;
use crate::store::Store;
use crate::streams::apply::{self, Rejected, Request, SelectorRequest};
use crate::sync::summary::printable;
use crate::when;

pub fn run(args: &AssignArgs, ctx: &Ctx) -> Result<()> {
    if let Some(path) = &args.apply {
        let text = if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the corrections document from stdin")?;
            text
        } else {
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the corrections document {}", path.display()))?
        };
        let requests = apply::parse_document(&text)?;
        return apply_batch(ctx, &requests);
    }
    let stream = args.stream.clone().expect("clap requires STREAM without --apply");
    apply_one(ctx, selector(&args.selector, Some(stream))?)
}

pub fn run_unassign(args: &UnassignArgs, ctx: &Ctx) -> Result<()> {
    apply_one(ctx, selector(&args.selector, None)?)
}

fn selector(args: &SelectorArgs, stream: Option<String>) -> Result<Request> {
    let selector = SelectorRequest::from_parts(
        args.session.clone(),
        (!args.events.is_empty()).then(|| args.events.clone()),
        args.start.clone(),
        args.end.clone(),
        args.machine.clone(),
        args.cwd.clone(),
    )
    .map_err(|invalid| anyhow::anyhow!("--{}: {:#}", invalid.field, invalid.error))?;
    Ok(Request::Assign { stream, selector })
}

/// One correction from the command line: its line and what it moved.
pub fn apply_one(ctx: &Ctx, request: Request) -> Result<()> {
    let applied =
        transact(ctx, std::slice::from_ref(&request)).map_err(|err| match err.downcast::<Rejected>() {
            // On the command line the flag is plain from the message.
            Ok(rejected) => rejected.invalid.error,
            Err(err) => err,
        })?;
    for line in &applied.lines {
        // Stream names and labels come from remote data: no terminal control codes.
        println!("{}", printable(line));
    }
    if !matches!(request, Request::Rename { .. } | Request::New { .. }) {
        println!("{}", applied.summary());
    }
    Ok(())
}

fn apply_batch(ctx: &Ctx, requests: &[Request]) -> Result<()> {
    let applied = transact(ctx, requests)?;
    println!(
        "Applied {} operation{}:",
        requests.len(),
        if requests.len() == 1 { "" } else { "s" }
    );
    for line in &applied.lines {
        println!("  {}", printable(line));
    }
    println!("{}", applied.summary());
    Ok(())
}

fn transact(ctx: &Ctx, requests: &[Request]) -> Result<apply::Applied> {
    let now = clock::now()?;
    let path = ctx.database_path();
    let Some(mut store) = Store::open_existing(&path)? else {
        anyhow::bail!(
            "no database at {}: there is nothing to correct yet (run 'tt sync' first)",
            path.display()
        );
    };
    // Immediate, as the recompute: the write lock is taken before the corrections are
    // resolved against what the database holds, so a sync cannot change it in between.
    let tx = store
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let applied = apply::apply(
        &tx,
        requests,
        &(&ctx.config.allocation).into(),
        &when::local_zone(),
        now,
    )?;
    tx.commit().context("cannot save the corrections")?;
    Ok(applied)
}
