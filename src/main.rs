//! The `k2search` command: parses arguments, calls the library, maps the outcome to an
//! exit code (0 success, also with zero hits; 2 error). A closed pipe is success.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(cli::Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(cli::Failure::Exit(code)) => ExitCode::from(code),
        Err(cli::Failure::Error(message)) => {
            eprintln!("k2search: error: {message}");
            ExitCode::from(2)
        }
    }
}
