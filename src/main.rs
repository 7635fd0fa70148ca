use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tt::cli::Cli::parse();
    match tt::commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`tt events | head`) is not an error worth reporting.
            if err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("{err:#}");
            if err.downcast_ref::<tt::sync::Interrupted>().is_some() {
                return ExitCode::from(tt::sync::INTERRUPTED_EXIT);
            }
            ExitCode::FAILURE
        }
    }
}
