//! `tt timeline`: one day drawn on an hour axis, one row per stream (grouped by
//! machine), so a user can see why a number is what it is. Pure: the day, the zone, the
//! width and colour are parameters.
//!
//! A cell is drawn `█` when the stream had direct time in it, `░` for delegated time
//! and `▓` for both: distinguishable without colour. Row totals are the wall-clock
//! union of the stream's intervals that day, the same number as the day report's.

use console::{Style, measure_text_width, truncate_str};
use jiff::tz::TimeZone;

use super::format::duration;
use super::period::Day;
use super::rollup::{Input, Kind};
use super::text::Look;
use crate::sync::summary::printable;
use crate::timestamp::Timestamp;

const DIRECT: char = '█';
const DELEGATED: char = '░';
const BOTH: char = '▓';
const UNASSIGNED: &str = "(unassigned)";

/// One row: the cells it covers and its total.
struct Row {
    name: String,
    machine: u32,
    first: i64,
    /// Per cell: (direct, delegated) seen.
    cells: Vec<(bool, bool)>,
    /// Wall-clock union, ms.
    total: i64,
    open: Option<(i64, i64)>,
}

pub fn render(input: &Input, day: &Day, tz: &TimeZone, look: Look) -> String {
    let style = |s: Style, text: &str| s.force_styling(look.color).apply_to(text).to_string();
    let width = look.width.max(30);
    let length = (day.end_ms - day.start_ms).max(1);

    // Rows keyed by (stream or unassigned-of-machine).
    let mut rows: Vec<Row> = Vec::new();
    let mut index: std::collections::HashMap<(Option<u32>, u32), usize> = Default::default();
    let names: Vec<String> = input
        .pieces
        .iter()
        .map(|p| match p.stream {
            Some(s) => input.streams[s as usize].name.clone(),
            None => UNASSIGNED.to_string(),
        })
        .collect();
    let longest = names
        .iter()
        .map(|n| measure_text_width(&printable(n)))
        .max()
        .unwrap_or(0);
    let dur_w = 7;
    let name_w = longest.clamp(8, 24).min(width / 3);
    let cells = width.saturating_sub(4 + name_w + 2 + 1 + dur_w);
    let cells = if cells >= 12 { cells } else { 0 };
    let cell_of = |ms: i64| (((ms - day.start_ms) as i128 * cells as i128) / length as i128) as usize;

    for (p, name) in input.pieces.iter().zip(names) {
        let key = (p.stream, p.machine);
        let ix = *index.entry(key).or_insert_with(|| {
            rows.push(Row {
                name,
                machine: p.machine,
                first: p.start,
                cells: vec![(false, false); cells],
                total: 0,
                open: None,
            });
            rows.len() - 1
        });
        let row = &mut rows[ix];
        if cells > 0 {
            let last = cell_of(p.end - 1).min(cells - 1);
            for cell in &mut row.cells[cell_of(p.start)..=last] {
                match p.kind {
                    Kind::Direct => cell.0 = true,
                    Kind::Delegated => cell.1 = true,
                }
            }
        }
        // Pieces arrive sorted by start: a running union.
        match &mut row.open {
            Some((_, e)) if p.start <= *e => *e = (*e).max(p.end),
            open => {
                if let Some((s, e)) = open.replace((p.start, p.end)) {
                    row.total += e - s;
                }
            }
        }
    }
    for row in &mut rows {
        if let Some((s, e)) = row.open.take() {
            row.total += e - s;
        }
    }

    let date = day.date.strftime("%A %-d %B %Y").to_string();
    let zone = tz.iana_name().unwrap_or("local time");
    let mut out = vec![
        style(Style::new().bold(), &format!("Timeline of {date} ({zone})")),
        String::new(),
    ];
    if rows.is_empty() {
        out.push("Nothing tracked on this day.".into());
        return out.join("\n");
    }
    let label = |m: u32| input.machines[m as usize].label.clone();
    rows.sort_by(|a, b| {
        label(a.machine)
            .cmp(&label(b.machine))
            .then(a.machine.cmp(&b.machine))
            .then((a.name == UNASSIGNED).cmp(&(b.name == UNASSIGNED)))
            .then(a.first.cmp(&b.first))
            .then(a.name.cmp(&b.name))
    });

    let indent = " ".repeat(4 + name_w + 2);
    if cells > 0 {
        out.push(format!("{indent}{}", axis(day, tz, cells, length)));
    }
    let mut machine = None;
    for row in &rows {
        if machine != Some(row.machine) {
            machine = Some(row.machine);
            out.push(style(Style::new().bold(), &printable(&label(row.machine))));
        }
        let name = truncate_str(&printable(&row.name), name_w, "…").into_owned();
        let pad = " ".repeat(name_w - measure_text_width(&name));
        let strip: String = row
            .cells
            .iter()
            .map(|&c| match c {
                (true, true) => BOTH,
                (true, false) => DIRECT,
                (false, true) => DELEGATED,
                (false, false) => ' ',
            })
            .collect();
        let strip = if look.color {
            style(Style::new().cyan(), &strip)
        } else {
            strip
        };
        let total = duration(row.total);
        let line = if cells > 0 {
            format!("    {name}{pad}  {strip} {total:>dur_w$}")
        } else {
            format!("    {name}{pad}  {total:>dur_w$}")
        };
        out.push(line);
    }
    out.push(String::new());
    out.push(style(
        Style::new().dim(),
        &format!(
            "{DIRECT} direct   {DELEGATED} delegated   {BOTH} both   (one cell: {})",
            cell_span(length, cells)
        ),
    ));
    super::text::fit_lines(&out, width)
}

/// Local hour labels at the cells where those hours start (a DST day has 23 or 25).
fn axis(day: &Day, tz: &TimeZone, cells: usize, length: i64) -> String {
    let mut line = vec![' '; cells];
    let hours = (length / 3_600_000) as usize;
    // Every `step` hours, so that labels ("23") keep a gap between them.
    let step = [1, 2, 3, 4, 6, 12]
        .into_iter()
        .find(|step| cells * step / hours.max(1) >= 4)
        .unwrap_or(24);
    for h in 0..hours {
        let at = day.start_ms + h as i64 * 3_600_000;
        let local = tz.to_datetime(Timestamp::from_millis(at).to_jiff()).hour() as usize;
        if !local.is_multiple_of(step) {
            continue;
        }
        let pos = ((at - day.start_ms) as i128 * cells as i128 / length as i128) as usize;
        let text = local.to_string();
        if pos + text.len() > cells || line[pos..pos + text.len()].iter().any(|c| *c != ' ') {
            continue;
        }
        if pos > 0 && line[pos - 1] != ' ' {
            continue;
        }
        for (k, ch) in text.chars().enumerate() {
            line[pos + k] = ch;
        }
    }
    line.into_iter().collect::<String>().trim_end().to_string()
}

fn cell_span(length: i64, cells: usize) -> String {
    if cells == 0 {
        return "-".into();
    }
    let seconds = length / 1000 / cells as i64;
    if seconds >= 60 {
        format!("{} min", (seconds + 30) / 60)
    } else {
        format!("{seconds} s")
    }
}
