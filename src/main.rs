//! Entry point: parse the command line, run, and map the outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;
use whence::app::{self, Outcome};
use whence::cli::Cli;
use whence::output;

fn main() -> ExitCode {
    // The report records the program as `whence`, not the path it was run from: the path says
    // nothing about the evidence and would make reports differ between machines.
    let command_line: Vec<String> = std::iter::once("whence".to_string())
        .chain(
            std::env::args_os()
                .skip(1)
                .map(|arg| arg.to_string_lossy().into_owned()),
        )
        .collect();
    let cli = Cli::parse();
    match app::run(cli, command_line) {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(error) => {
            output::fatal(&format!("{error:#}"));
            ExitCode::from(Outcome::Failed as u8)
        }
    }
}
