//! Command-line interface: one module per subcommand, all thin over the facade.

use clap::{CommandFactory, Parser, Subcommand};

mod analyze;
mod chromaprint;
mod decode;
mod encode;
mod fp;
mod info;
mod ingest;
mod package;
mod waveform;

/// quaver: decode, analyse, fingerprint, encode and package audio.
#[derive(Parser, Debug)]
#[command(name = "quaver", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print container, codec, format, exact duration and tags.
    Info(info::Args),
    /// Decode to a WAV file, optionally resampled and downmixed.
    Decode(decode::Args),
    /// Loudness (EBU R128: integrated, range, true peak, ReplayGain, normalisation gain).
    Analyze(analyze::Args),
    /// Waveform peaks as audiowaveform .dat/.json, or a .png/.svg image.
    Waveform(waveform::Args),
    /// Encode to MP3, Opus or FLAC (gapless, tags copied from the source).
    Encode(encode::Args),
    /// Audio fingerprint index: index, query, scan, remove (copyright / catalog matching).
    Fp(fp::Args),
    /// Chromaprint (AcoustID) fingerprint, printed like `fpcalc`.
    Chromaprint(chromaprint::Args),
    /// The whole upload pipeline from one decode: analysis, waveform, catalog check, MP3
    /// downloads, HLS + DASH ladder, report.json.
    Ingest(ingest::Args),
    /// Package for adaptive streaming: CMAF segments with HLS and DASH manifests.
    Package(package::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout: `quaver man > quaver.1`.
    Man,
}

/// Parse arguments, run the command, print errors; returns the process exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(a) => info::run(a),
        Command::Decode(a) => decode::run(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Waveform(a) => waveform::run(a),
        Command::Encode(a) => encode::run(a),
        Command::Fp(a) => fp::run(a),
        Command::Chromaprint(a) => chromaprint::run(a),
        Command::Package(a) => package::run(a),
        Command::Ingest(a) => ingest::run(a),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "quaver", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|source| quaver::Error::Io { path: None, source }),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("quaver: error: {e}");
            match e {
                quaver::Error::InvalidArgument(_) => 2,
                _ => 1,
            }
        }
    }
}

/// Print a serialisable value as pretty JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> quaver::Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| quaver::Error::Internal(e.to_string()))?;
    println!("{s}");
    Ok(())
}
