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

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_as_hours_and_padded_minutes() {
        assert_eq!(duration(3 * 3_600_000 + 5 * 60_000 + 59_999), "3h 05m");
        assert_eq!(duration(12 * 60_000), "12m");
        assert_eq!(duration(45_000), "45s");
        assert_eq!(duration(0), "0m");
    }
}
