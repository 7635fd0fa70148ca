//! `tt report --csv`: one row per day and stream, for timesheets and invoices. Quoting
//! (RFC 4180) is the csv crate's; tags are joined with `;` inside their field.

use anyhow::Result;

use super::period::Period;
use super::rollup::{Input, Report};

pub const HEADER: [&str; 7] = [
    "date",
    "machine",
    "stream",
    "tags",
    "direct_ms",
    "delegated_ms",
    "total_ms",
];

pub fn render(input: &Input, period: &Period, report: &Report) -> Result<Vec<u8>> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(HEADER)?;
    for cell in &report.cells {
        let stream = &input.streams[cell.stream as usize];
        out.write_record([
            period.days[cell.day].date.to_string(),
            input.machines[stream.machine as usize].label.clone(),
            stream.name.clone(),
            stream.tags.join(";"),
            cell.totals.direct_ms.to_string(),
            cell.totals.delegated_ms.to_string(),
            cell.totals.total_ms.to_string(),
        ])?;
    }
    Ok(out.into_inner().map_err(|e| e.into_error())?)
}
