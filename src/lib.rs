//! tt: passive time tracking for developers who work in tmux on remote dev servers.
//!
//! Data flows one way: capture -> event log -> export -> (ssh) -> import -> store ->
//! streams -> report. The binary is a thin shell over this library so tests and
//! examples can reach the internals.

pub mod capture;
pub mod claude;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod event;
pub mod eventlog;
pub mod export;
pub mod machine;
pub mod paths;
pub mod report;
pub mod store;
pub mod streams;
pub mod sync;
pub mod timestamp;
pub mod when;
pub mod wire;
