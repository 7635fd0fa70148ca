//! The one place commands read the clock. `TT_NOW` (RFC 3339 UTC, hidden, for tests
//! and reproducible demos) pins it, so no test depends on today's date.

use anyhow::{Context, Result};

use crate::timestamp::Timestamp;

/// Now, or `TT_NOW` when set.
pub fn now() -> Result<Timestamp> {
    match std::env::var("TT_NOW") {
        Ok(text) if !text.is_empty() => text
            .parse::<Timestamp>()
            .with_context(|| format!("TT_NOW={text:?} is not an RFC 3339 UTC time")),
        _ => Ok(Timestamp::now()),
    }
}
