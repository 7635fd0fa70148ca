//! The human report. Pure: the width and whether to colour are parameters (the command
//! reads them from the terminal), so snapshots pin the exact layout.
//!
//! Columns are aligned and sized to the width: bars take what is left and disappear on
//! narrow terminals, names are shortened with `…`, and the direct/delegated columns of
//! the machine and day tables move under their row when they no longer fit.

use console::{Style, measure_text_width, truncate_str};

use super::format::duration;
use super::period::{Period, Shape};
use super::rollup::{Input, Report, Totals};
use crate::sync::summary::printable;

/// Output settings: width in columns, and colour (a terminal without `NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Look {
    pub width: usize,
    pub color: bool,
}

/// Narrowest layout drawn; below it lines are allowed to wrap.
const MIN_WIDTH: usize = 30;
/// Untagged streams listed by name; the rest are counted (JSON lists them all).
const MAX_UNTAGGED: usize = 15;
/// Longest a name column gets, so that bars keep room.
const MAX_NAME: usize = 28;

struct Painter {
    look: Look,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        style.force_styling(self.look.color).apply_to(text).to_string()
    }
    fn heading(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }
    fn hint(&self, text: &str) -> String {
        self.paint(Style::new().dim(), text)
    }
    fn bar(&self, text: &str) -> String {
        self.paint(Style::new().cyan(), text)
    }
}

/// A bar of `cells` columns for `value` out of `max`, in eighths of a cell; anything
/// above zero shows at least a sliver.
pub fn bar(value: i64, max: i64, cells: usize) -> String {
    if max <= 0 || value <= 0 || cells == 0 {
        return String::new();
    }
    let eighths = ((value as i128 * cells as i128 * 8) / max as i128).max(1) as usize;
    let mut out = "█".repeat(eighths / 8);
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    if !eighths.is_multiple_of(8) {
        out.push(PARTS[eighths % 8]);
    }
    out
}

fn pad_right(text: &str, width: usize) -> String {
    let w = measure_text_width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn pad_left(text: &str, width: usize) -> String {
    let w = measure_text_width(text);
    format!("{}{text}", " ".repeat(width.saturating_sub(w)))
}

fn fit(text: &str, width: usize) -> String {
    truncate_str(&printable(text), width, "…").into_owned()
}

fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "-".into();
    }
    format!("{}%", (part as i128 * 100 + whole as i128 / 2) / whole as i128)
}

/// One named row with a bar: `  name  ████▍   3h 05m`, and under it the split.
struct Bars<'a> {
    painter: &'a Painter,
    name_w: usize,
    dur_w: usize,
    bar_w: usize,
    max: i64,
}

impl Bars<'_> {
    fn new<'a>(painter: &'a Painter, names: &[String], rows: &[Totals], width: usize) -> Bars<'a> {
        let dur_w = rows
            .iter()
            .map(|t| duration(t.total_ms).len())
            .max()
            .unwrap_or(0)
            .max(6);
        let longest = names
            .iter()
            .map(|n| measure_text_width(&printable(n)))
            .max()
            .unwrap_or(0);
        let name_w = longest
            .min(MAX_NAME)
            .min(width.saturating_sub(4 + dur_w + 2).max(8));
        // "  name  bar  total"
        let bar_w = width.saturating_sub(2 + name_w + 2 + 2 + dur_w);
        Bars {
            painter,
            name_w,
            dur_w,
            bar_w: if bar_w >= 6 { bar_w } else { 0 },
            max: rows.iter().map(|t| t.total_ms).max().unwrap_or(0),
        }
    }

    fn row(&self, name: &str, t: &Totals, out: &mut Vec<String>) {
        let name = pad_right(&fit(name, self.name_w), self.name_w);
        let total = pad_left(&duration(t.total_ms), self.dur_w);
        let line = if self.bar_w > 0 {
            let bar = bar(t.total_ms, self.max, self.bar_w);
            let gap = " ".repeat(self.bar_w - measure_text_width(&bar));
            format!("  {name}  {}{gap}  {total}", self.painter.bar(&bar))
        } else {
            format!("  {name}  {total}")
        };
        out.push(line.trim_end().to_string());
        out.push(format!(
            "  {}  {}",
            " ".repeat(self.name_w),
            self.painter.hint(&format!(
                "direct {} · delegated {}",
                duration(t.direct_ms),
                duration(t.delegated_ms)
            ))
        ));
    }
}

/// A table `name  total  direct  delegated`, or name and total with the split under
/// it when the columns do not fit.
fn table(painter: &Painter, title: &str, rows: &[(String, Totals)], width: usize, out: &mut Vec<String>) {
    let dur_w = rows
        .iter()
        .flat_map(|(_, t)| [t.total_ms, t.direct_ms, t.delegated_ms])
        .map(|ms| duration(ms).len())
        .max()
        .unwrap_or(0)
        .max("delegated".len());
    let longest = rows
        .iter()
        .map(|(n, _)| measure_text_width(&printable(n)))
        .max()
        .unwrap_or(0);
    let name_w = longest.clamp(title.len().saturating_sub(2), MAX_NAME);
    let columns = 2 + name_w + 3 * (2 + dur_w);
    if columns <= width {
        let head = format!(
            "{}  {}  {}  {}",
            pad_right(title, name_w + 2),
            pad_left("total", dur_w),
            pad_left("direct", dur_w),
            pad_left("delegated", dur_w)
        );
        out.push(painter.heading(&head));
        for (name, t) in rows {
            out.push(format!(
                "  {}  {}  {}  {}",
                pad_right(&fit(name, name_w), name_w),
                pad_left(&duration(t.total_ms), dur_w),
                pad_left(&duration(t.direct_ms), dur_w),
                pad_left(&duration(t.delegated_ms), dur_w)
            ));
        }
    } else {
        out.push(painter.heading(title));
        let bars = Bars {
            painter,
            name_w: name_w.min(width.saturating_sub(12).max(8)),
            dur_w: rows
                .iter()
                .map(|(_, t)| duration(t.total_ms).len())
                .max()
                .unwrap_or(0),
            bar_w: 0,
            max: 0,
        };
        for (name, t) in rows {
            bars.row(name, t, out);
        }
    }
}

/// The whole report as lines (no trailing newline).
pub fn render(input: &Input, period: &Period, zone: &str, report: &Report, look: Look) -> String {
    let width = look.width.max(MIN_WIDTH);
    let painter = Painter { look };
    let mut out: Vec<String> = Vec::new();
    let title = capitalised(&period.title());
    if measure_text_width(&title) + zone.len() + 3 <= width {
        out.push(painter.heading(&format!("{title} ({zone})")));
    } else {
        out.push(painter.heading(&title));
        out.push(painter.hint(&format!("({zone})")));
    }
    out.push(String::new());

    if report.totals.total_ms == 0 {
        out.push("No time tracked in this period.".into());
        out.push(painter.hint("'tt sync' pulls new events; 'tt streams' lists what is known."));
        return out.join("\n");
    }

    let stream_name = |s: u32| input.streams[s as usize].name.clone();
    let tagged: Vec<(String, Totals)> = report.by_tag.iter().map(|t| (t.tag.clone(), t.totals)).collect();
    let untagged: Vec<(String, Totals)> = report
        .untagged
        .iter()
        .map(|r| (stream_name(r.stream), r.totals))
        .collect();
    // Tags and untagged streams share one scale, so bars compare across sections.
    let all: Vec<(String, Totals)> = tagged.iter().chain(&untagged).cloned().collect();
    let names: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    let totals: Vec<Totals> = all.iter().map(|(_, t)| *t).collect();
    let bars = Bars::new(&painter, &names, &totals, width);

    if !tagged.is_empty() {
        out.push(painter.heading("BY TAG"));
        for (name, t) in &tagged {
            bars.row(name, t, &mut out);
        }
        out.push(String::new());
    }
    if !untagged.is_empty() {
        let hint = "tag them: tt tag STREAM TAG";
        if "UNTAGGED STREAMS".len() + 2 + hint.len() <= width {
            out.push(format!(
                "{}  {}",
                painter.heading("UNTAGGED STREAMS"),
                painter.hint(hint)
            ));
        } else {
            out.push(painter.heading("UNTAGGED STREAMS"));
            out.push(format!("  {}", painter.hint(hint)));
        }
        for (name, t) in untagged.iter().take(MAX_UNTAGGED) {
            bars.row(name, t, &mut out);
        }
        if untagged.len() > MAX_UNTAGGED {
            out.push(format!(
                "  {}",
                painter.hint(&format!(
                    "and {} more with less time ('tt report --json' or 'tt streams' lists them all)",
                    untagged.len() - MAX_UNTAGGED
                ))
            ));
        }
        out.push(String::new());
    }
    if report.unassigned_ms > 0 {
        out.push(format!(
            "{}  {}",
            painter.heading("UNASSIGNED"),
            duration(report.unassigned_ms)
        ));
        for line in wrap("no stream claims it: see tt timeline, then tt assign", width - 2) {
            out.push(format!("  {}", painter.hint(&line)));
        }
        out.push(String::new());
    }

    let machines: Vec<(String, Totals)> = report
        .by_machine
        .iter()
        .map(|m| (input.machines[m.machine as usize].label.clone(), m.totals))
        .collect();
    table(&painter, "BY MACHINE", &machines, width, &mut out);
    out.push(String::new());

    if period.shape != Shape::Day {
        let days: Vec<(String, Totals)> = period
            .days
            .iter()
            .zip(&report.by_day)
            .map(|(d, t)| (d.date.strftime("%a %-d %b").to_string(), *t))
            .collect();
        table(&painter, "BY DAY", &days, width, &mut out);
        out.push(String::new());
    }

    let t = &report.totals;
    out.push(painter.heading("SUMMARY"));
    let rows = [
        ("Total tracked", t.total_ms, painter.hint("wall clock")),
        ("Direct", t.direct_ms, percent(t.direct_ms, t.total_ms)),
        ("Delegated", t.delegated_ms, percent(t.delegated_ms, t.total_ms)),
    ];
    let dur_w = rows.iter().map(|r| duration(r.1).len()).max().unwrap_or(0);
    for (name, ms, note) in rows {
        out.push(format!(
            "  {}  {}  {note}",
            pad_right(name, 13),
            pad_left(&duration(ms), dur_w)
        ));
    }
    if t.delegated_ms > t.total_ms {
        for line in wrap("agents in several streams at once count in each", width - 2) {
            out.push(format!("  {}", painter.hint(&line)));
        }
    }
    fit_lines(&out, width)
}

/// The lines joined, each cut to `width` columns (colour codes kept): a last guard for
/// free text such as hints on a narrow terminal.
pub fn fit_lines(lines: &[String], width: usize) -> String {
    lines
        .iter()
        .map(|line| truncate_str(line, width, "…"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Words of `text` in lines of at most `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if measure_text_width(line) + 1 + measure_text_width(word) <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_in_eighths() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 16, 4), "▎");
        assert_eq!(bar(1, 1_000_000, 4), "▏", "a little time still shows");
        assert_eq!(bar(0, 10, 4), "");
    }

    #[test]
    fn percentages_round_to_whole_numbers() {
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(2, 3), "67%");
        assert_eq!(percent(5, 0), "-");
    }
}
