//! The command line (clap): its help text is the usage text of docs/cli.md.

use clap::{Args, Parser, Subcommand};
use std::num::NonZeroUsize;
use std::path::PathBuf;

pub(crate) const EXIT_STATUS_HELP: &str = "Exit status:
  0  every file was read and passed every --target and --check
  1  an input could not be read: a file missing, corrupt, truncated or in an unsupported
     format, or a folder without audio files (this wins over 3: the other files' results
     are still printed, and each JSON/CSV record has its own error and pass fields); or
     the --normalize-to file could not be written (or was refused: it would clip)
  2  bad usage (unknown option or value, a curve file that cannot be used)
  3  every file was read, and one missed a --target or failed a --check item";

/// Measures loudness, true peak, dynamics and stereo of audio files with the meter core of
/// the Mixmeter plugin.
#[derive(Parser)]
#[command(name = "mixmeter", version, arg_required_else_help = true)]
#[command(after_help = "Run `mixmeter COMMAND --help` for each command's options.")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Measure audio files: loudness (EBU R128), true peak, dynamics, stereo, tonal balance
    ///
    /// Measures loudness (EBU R128 / ITU-R BS.1770-5), loudness range, true peak, dynamics and
    /// stereo with the plugin's meter core. Reads WAV, RF64/BW64 and Wave64, AIFF, CAF
    /// (integer and float PCM), FLAC, MP3, Ogg Vorbis, AAC-LC (mono or stereo) and ALAC in
    /// MP4/M4A; any sample rate; mono, stereo and multichannel up to 7.1.4 (BS.1770 channel
    /// weights, LFE excluded). Not read: Opus, and AAC with more than 2 channels or HE-AAC
    /// (reported as unsupported). A folder is searched recursively (links followed, each file
    /// once); files are analyzed in parallel. A file shorter than its header says is measured
    /// as far as it goes and reported as truncated.
    #[command(after_help = EXIT_STATUS_HELP)]
    Analyze(AnalyzeArgs),
    /// List the delivery targets with their numbers and sources
    Targets,
    /// Build or list the reference curves for `analyze --reference`
    #[command(subcommand)]
    Reference(ReferenceCommand),
    /// Read the stems of a mix together: gain staging, who fills each region, masking pairs
    ///
    /// Reads the stems of one mix (files, or folders searched recursively), aligned from their
    /// first sample, as the plugin's session view reads its linked tracks: each track's peaks,
    /// loudness, crest factor and share of the mix graded against the guide's -6 to -12 dBFS;
    /// each track's share of every region of the spectrum; the pairs of tracks that mask each
    /// other, frame by frame, with where to cut which and by how much; and the moments the
    /// master's true peak nears the ceiling, with the tracks that peaked then. The master is
    /// --master, or else the stems summed sample by sample. Method and sources: docs/session.md.
    #[command(after_help = SESSION_EXIT_STATUS_HELP)]
    Session(SessionArgs),
}

pub(crate) const SESSION_EXIT_STATUS_HELP: &str = "Exit status:
  0  every stem (and the --master file) was read and analyzed together
  1  an input could not be used: a file missing, corrupt, truncated or in an unsupported
     format, a folder without audio files, or a stem at another sample rate than most stems
     (each named on stderr and in the JSON's errors; the session is analyzed without it)
  2  bad usage (unknown option or value, standard input as a stem)";

#[derive(Args)]
pub(crate) struct SessionArgs {
    /// The stems: audio files or folders, all at one sample rate, starting together
    #[arg(required = true, value_name = "STEM")]
    pub(crate) stems: Vec<PathBuf>,
    /// The mix of these stems (bounced from the same start) [default: the stems summed]
    #[arg(long, value_name = "FILE")]
    pub(crate) master: Option<PathBuf>,
    /// One JSON object: the inputs and the whole report
    #[arg(long, conflicts_with = "csv")]
    pub(crate) json: bool,
    /// The gain-staging table as CSV with each track's share of each region
    #[arg(long)]
    pub(crate) csv: bool,
    /// The masking pairs as CSV instead: one row per cut (a pair's range, how often and how
    /// strongly it masks, which track to cut where, by how much, and for which track)
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    pub(crate) masking_csv: bool,
    /// The master's true-peak ceiling for the peak moments (dBTP) [default: -1]
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    pub(crate) ceiling: Option<f64>,
}

#[derive(Args)]
pub(crate) struct AnalyzeArgs {
    /// Audio files or folders; - reads standard input (named "-" in the output)
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// One JSON object per file, one per line, instead of the readable summary
    #[arg(long, conflicts_with = "csv")]
    pub(crate) json: bool,
    /// One CSV row per file, after a header line
    #[arg(long)]
    pub(crate) csv: bool,
    /// With --json: momentary and short-term loudness every 100 ms (the largest value since
    /// the previous one)
    #[arg(long)]
    pub(crate) series: bool,
    /// Check against a delivery target (repeatable): one sentence per target saying what its
    /// normalization does and judging the file as delivered against the target's published
    /// true-peak ceiling: FAIL (exit status 3) over it or outside a broadcast loudness
    /// tolerance, WARN when the platform would raise it over the ceiling or into its limiter;
    /// `mixmeter targets` lists the IDs
    #[arg(long = "target", value_name = "ID")]
    pub(crate) targets: Vec<String>,
    /// Grade each file with a checklist: pre-master or delivery (the tonal item needs
    /// --reference)
    #[arg(long, value_name = "PROFILE")]
    pub(crate) check: Option<String>,
    /// Compare each file's tonal balance with a reference curve: a curve file, or builtin:ID
    /// (`mixmeter reference list`)
    #[arg(long, value_name = "CURVE")]
    pub(crate) reference: Option<String>,
    /// Also measure the inputs as one album played in the order named: integrated loudness
    /// and loudness range from every track's gating blocks and short-term values pooled, and
    /// each track's loudness relative to the album
    #[arg(long)]
    pub(crate) album: bool,
    /// Measure mono files as played on both channels of a stereo pair (+3.01 LU), as
    /// broadcast specifications ask; files that are not mono are measured as they are, with a
    /// note
    #[arg(long)]
    pub(crate) dual_mono: bool,
    /// Count the overs above this true-peak ceiling (dBTP) and give their times
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    pub(crate) ceiling: Option<f64>,
    /// Write the file with the gain that brings its integrated loudness to LUFS (one input
    /// file; needs --output)
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
    pub(crate) normalize_to: Option<f64>,
    /// The WAV file --normalize-to writes (never the input; written to a temporary file and
    /// renamed when complete)
    #[arg(short, long, value_name = "OUT.wav")]
    pub(crate) output: Option<PathBuf>,
    /// Sample format of --output: f32, 16, 24 or input (integer formats get TPDF dither)
    /// [default: f32]
    #[arg(long, value_name = "FORMAT")]
    pub(crate) output_depth: Option<String>,
    /// With --normalize-to: hold the true peak of the written file at or under DBTP with a
    /// true-peak lookahead limiter (the output says how much it took off)
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    pub(crate) limit: Option<f64>,
    /// Files analyzed at once [default: the number of CPUs]
    #[arg(short, long, value_name = "N")]
    pub(crate) jobs: Option<NonZeroUsize>,
}

#[derive(Subcommand)]
pub(crate) enum ReferenceCommand {
    /// Make a curve from reference audio: each file's long-term average spectrum,
    /// level-matched; with several files their median and the files' envelope as the band
    Build {
        /// Audio files or folders
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The curve file to write
        #[arg(short, long, value_name = "CURVE.json")]
        output: PathBuf,
        /// The curve's name [default: the output file's name]
        #[arg(long)]
        name: Option<String>,
    },
    /// List the built-in curves
    List,
}
