//! The `quaver` command-line tool.

mod cli;

fn main() {
    // quaver catches panics in its dependencies (a decoder asserting on forged data) and turns
    // them into typed errors; the default hook would still print a backtrace for each. Print
    // one line instead (the full report with QUAVER_BACKTRACE=1).
    let verbose = std::env::var_os("QUAVER_BACKTRACE").is_some();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if verbose {
            default(info);
        } else {
            eprintln!("quaver: panic caught: {info}");
        }
    }));
    std::process::exit(cli::run());
}
