//! What to analyze: the paths given, folders walked for audio files, standard input; every
//! path accounted for (a problem found while listing is reported in its place).

use mixmeter_core::analysis::{self};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// File extensions a folder is searched for. Opus is listed so that a folder of Opus files
/// is reported as unsupported rather than skipped in silence.
pub(crate) const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "rf64", "bw64", "w64", "aif", "aiff", "aifc", "caf", "flac", "mp3", "ogg",
    "oga", "opus", "m4a", "mp4", "aac",
];
/// Folder levels searched below a named folder.
pub(crate) const MAX_FOLDER_DEPTH: usize = 64;
/// The name standard input is given in the output.
pub(crate) const STDIN_NAME: &str = "-";

/// An input to analyze: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    File(PathBuf),
    Stdin,
}

impl Source {
    pub(crate) fn name(&self) -> String {
        self.as_input().name()
    }

    pub(crate) fn as_input(&self) -> analysis::Source<'_> {
        match self {
            Source::File(path) => analysis::Source::Path(path),
            Source::Stdin => analysis::Source::Stdin,
        }
    }
}

/// One input, as found on the command line or in a folder.
pub(crate) enum Input {
    Source(Source),
    /// Something named that cannot be analyzed (a folder without audio files, one that
    /// cannot be read): its name and the reason.
    Problem(String, String),
}

/// The inputs named on the command line: files as named, `-` as standard input, folders
/// searched recursively (sorted, audio extensions only). Symbolic links are followed, but each
/// folder is searched and each file listed once (by canonical path), so a link loop ends. A
/// named folder without audio files is a [`Input::Problem`]. Paths that do not exist are
/// left to fail when opened.
pub(crate) fn collect_inputs(paths: &[PathBuf]) -> Vec<Input> {
    #[derive(Default)]
    struct Walk {
        folders: HashSet<PathBuf>,
        files: HashSet<PathBuf>,
        out: Vec<Input>,
    }
    impl Walk {
        /// Lists `path` unless it (or another name for it) has been listed.
        fn file(&mut self, path: PathBuf) {
            // A path that cannot be resolved (missing, dangling link) is listed, to fail
            // with its own message.
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if self.files.insert(key) {
                self.out.push(Input::Source(Source::File(path)));
            }
        }

        fn folder(&mut self, dir: &Path, depth: usize) {
            let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            if depth > MAX_FOLDER_DEPTH || !self.folders.insert(key) {
                return;
            }
            let entries = match std::fs::read_dir(dir) {
                Ok(entries) => entries,
                Err(e) => {
                    self.out.push(Input::Problem(
                        dir.display().to_string(),
                        format!("cannot read folder: {e}"),
                    ));
                    return;
                }
            };
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    self.folder(&path, depth + 1);
                } else if path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                {
                    self.file(path);
                }
            }
        }
    }
    let mut walk = Walk::default();
    let mut stdin = false;
    for path in paths {
        if path.as_os_str() == STDIN_NAME {
            if !stdin {
                walk.out.push(Input::Source(Source::Stdin));
            }
            stdin = true;
        } else if path.is_dir() {
            let before = walk.out.len();
            walk.folder(path, 0);
            if walk.out.len() == before {
                walk.out.push(Input::Problem(
                    path.display().to_string(),
                    format!(
                        "no audio files in this folder (searched recursively for .{})",
                        AUDIO_EXTENSIONS.join(" .")
                    ),
                ));
            }
        } else {
            walk.file(path.clone());
        }
    }
    walk.out
}
