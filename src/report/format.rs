//! Small formatting helpers shared by the human outputs.

/// A duration for people: `3h 05m`, `12m`, `45s`, `0m`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    let minutes = ms / 60_000;
    let (hours, minutes) = (minutes / 60, minutes % 60);
    if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else if ms >= 1000 {
        format!("{}s", ms / 1000)
    } else {
        "0m".to_string()
    }
}

/// Rows of cells as aligned lines: each column as wide as its widest cell, two spaces
/// between columns, the columns in `right` aligned right, no trailing spaces.
pub fn columns<const N: usize>(table: &[[String; N]], right: &[usize]) -> Vec<String> {
    let widths: Vec<usize> = (0..N)
        .map(|c| table.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    table
        .iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, cell)| {
                    let pad = " ".repeat(widths[c] - cell.chars().count());
                    if right.contains(&c) {
                        format!("{pad}{cell}")
                    } else {
                        format!("{cell}{pad}")
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{columns, duration};

    #[test]
    fn columns_align_to_the_widest_cell_and_leave_no_trailing_space() {
        let table = [
            ["a".to_string(), "1".to_string(), "x".to_string()],
            ["long".to_string(), "100".to_string(), "".to_string()],
        ];
        assert_eq!(columns(&table, &[1]), ["a       1  x", "long  100"]);
    }

    #[test]
    fn durations_read_as_hours_and_padded_minutes() {
        assert_eq!(duration(3 * 3_600_000 + 5 * 60_000 + 59_999), "3h 05m");
        assert_eq!(duration(12 * 60_000), "12m");
        assert_eq!(duration(45_000), "45s");
        assert_eq!(duration(0), "0m");
    }
}
