//! Reports: periods, roll-ups, and their text, JSON and CSV renderings.

pub mod csv;
pub mod format;
pub mod json;
pub mod period;
pub mod rollup;
pub mod text;
pub mod timeline;
