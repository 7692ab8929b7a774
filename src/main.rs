//! The `medgem-prs` command: parses arguments and dispatches to the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run(cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("medgem-prs: error: {e:#}");
            // ARCHITECTURE.md: 2 on bad input or usage (clap's own usage errors also exit 2).
            ExitCode::from(2)
        }
    }
}
