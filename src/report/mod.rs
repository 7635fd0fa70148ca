//! Reports: periods, roll-ups, and their text, JSON and CSV renderings.

pub mod format;
