//! The report folder on disk: atomic writes, names, and the cap on reports kept.
//!
//! - **Atomic**: a file is written to a hidden temporary file in the same folder
//!   (`.mixmeter-<name>.<pid>.tmp`), flushed and fsync'd, then renamed over its final name, and
//!   the folder is fsync'd. A write that fails (disk full, permission, an interrupted process)
//!   never leaves a file under a report's name: a failed write removes its temporary file, and
//!   temporaries left by a killed process are removed by the next report written there.
//! - **Order**: the PNG is written first and the JSON last, so a report's JSON exists only
//!   beside its complete picture; a JSON that fails removes the PNG it belonged to.
//! - **Names**: `mixmeter-render-YYYY-MM-DD-HHMMSS[-NNN].json/.png` (UTC): name order is time
//!   order, and a second report in the same second gets `-001`, `-002`, ...
//! - **Cap**: at most [`MAX_REPORTS`] reports per folder. After a report is written the oldest
//!   (by name) beyond the cap are removed, JSON and PNG together. Only files named like
//!   reports are ever touched; anything else in the folder is left alone.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Reports kept per folder (100 renders is months of bounces; a runaway host cannot fill a
/// disk: a report is about 100 kB).
pub const MAX_REPORTS: usize = 100;
/// Every report file name starts with this.
pub const PREFIX: &str = "mixmeter-render-";
const TEMP_PREFIX: &str = ".mixmeter-";
const TEMP_SUFFIX: &str = ".tmp";

/// Writes `path` atomically: `fill` writes the content into a temporary file beside it, which
/// is fsync'd and renamed to `path` only if `fill` and the flush succeed.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let temp = folder.join(format!(
        "{TEMP_PREFIX}{name}.{}{TEMP_SUFFIX}",
        std::process::id()
    ));
    let result = (|| {
        let file = std::fs::File::create(&temp)?;
        let mut writer = std::io::BufWriter::new(file);
        fill(&mut writer)?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)?;
        // The rename itself reaches the disk with the folder's metadata.
        if let Ok(dir) = std::fs::File::open(folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = std::fs::remove_file(&temp);
        format!("{}: {e}", path.display())
    })
}

/// The UTC civil date and time of a Unix time: (year, month, day, hour, minute, second).
pub fn utc(unix_s: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (unix_s / 86_400) as i64;
    let rem = unix_s % 86_400;
    // Days to civil date (the proleptic Gregorian calendar, era-based).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        (rem / 60 % 60) as u32,
        (rem % 60) as u32,
    )
}

/// "2025-06-01 14:03 UTC".
pub fn format_utc(unix_s: u64) -> String {
    let (y, mo, d, h, mi, _) = utc(unix_s);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
}

/// The free pair of paths (JSON, PNG) for a report written at `unix_s`.
pub fn report_paths(folder: &Path, unix_s: u64) -> Result<(PathBuf, PathBuf), String> {
    let (y, mo, d, h, mi, s) = utc(unix_s);
    let base = format!("{PREFIX}{y:04}-{mo:02}-{d:02}-{h:02}{mi:02}{s:02}");
    (0..1000)
        .map(|n| {
            let stem = if n == 0 {
                base.clone()
            } else {
                format!("{base}-{n:03}")
            };
            (
                folder.join(format!("{stem}.json")),
                folder.join(format!("{stem}.png")),
            )
        })
        .find(|(j, p)| !j.exists() && !p.exists())
        .ok_or_else(|| format!("{}: too many reports this second", folder.display()))
}

/// Whether `stem` is exactly a name this module gives a report,
/// `mixmeter-render-YYYY-MM-DD-HHMMSS` with an optional `-NNN`: a user's own file that merely
/// starts like one ("mixmeter-render-final") is never counted or removed.
pub fn is_report_stem(stem: &str) -> bool {
    let Some(rest) = stem.strip_prefix(PREFIX) else {
        return false;
    };
    let shape = |text: &str, pattern: &str| {
        text.len() == pattern.len()
            && text.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
                b'9' => c.is_ascii_digit(),
                _ => c == p,
            })
    };
    shape(rest, "9999-99-99-999999") || shape(rest, "9999-99-99-999999-999")
}

/// A report's name held for this writer: the (JSON, PNG) paths, and a hidden reservation file
/// created exclusively (`create_new`), so two processes finishing a render in the same second
/// (hosts that run each plugin in its own process, a stems export) never pick the same name.
/// The reservation is removed when this is dropped (a killed writer's is a stale temporary,
/// removed by the next report written there).
#[derive(Debug)]
pub struct Reserved {
    pub json: PathBuf,
    pub png: PathBuf,
    reservation: PathBuf,
}

impl Drop for Reserved {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.reservation);
    }
}

/// Reserves the first free report name for `unix_s` in `folder` (see [`Reserved`]).
pub fn reserve_report_paths(folder: &Path, unix_s: u64) -> Result<Reserved, String> {
    for n in 0..1000 {
        let (json, png) = candidate(folder, unix_s, n);
        if json.exists() || png.exists() {
            continue;
        }
        let stem = json
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let reservation = folder.join(format!("{TEMP_PREFIX}{stem}.reserve{TEMP_SUFFIX}"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&reservation)
        {
            // Checked again under the reservation: another writer may have finished it.
            Ok(_) if !json.exists() && !png.exists() => {
                return Ok(Reserved {
                    json,
                    png,
                    reservation,
                });
            }
            Ok(_) => {
                let _ = std::fs::remove_file(&reservation);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("{}: {e}", folder.display())),
        }
    }
    Err(format!(
        "{}: too many reports this second",
        folder.display()
    ))
}

fn candidate(folder: &Path, unix_s: u64, n: usize) -> (PathBuf, PathBuf) {
    let (y, mo, d, h, mi, s) = utc(unix_s);
    let base = format!("{PREFIX}{y:04}-{mo:02}-{d:02}-{h:02}{mi:02}{s:02}");
    let stem = if n == 0 {
        base
    } else {
        format!("{base}-{n:03}")
    };
    (
        folder.join(format!("{stem}.json")),
        folder.join(format!("{stem}.png")),
    )
}

/// The report stems in `folder` (names without extension), oldest first.
pub fn report_stems(folder: &Path) -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
                .filter(|stem| is_report_stem(stem))
                .collect()
        })
        .unwrap_or_default();
    stems.sort();
    stems
}

/// Removes the oldest reports beyond `keep`, and temporary files a killed writer left.
/// Returns how many reports were removed.
pub fn prune(folder: &Path, keep: usize) -> usize {
    prune_keeping(folder, keep, None)
}

/// As [`prune`], never removing `newest` (the report just written, even when a clock set back
/// makes its name sort first).
pub fn prune_keeping(folder: &Path, keep: usize, newest: Option<&str>) -> usize {
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.filter_map(|e| e.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Another process's temporary may be a write in progress: only those older than a
            // minute are left over from a killed writer.
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 60);
            if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) && stale {
                let _ = std::fs::remove_file(entry.path());
            }
            // A picture whose JSON never came (a writer killed between the two renames).
            if let Some(stem) = name.strip_suffix(".png")
                && is_report_stem(stem)
                && stale
                && !folder.join(format!("{stem}.json")).exists()
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let stems: Vec<String> = report_stems(folder)
        .into_iter()
        .filter(|stem| Some(stem.as_str()) != newest)
        .collect();
    let keep = if newest.is_some() {
        keep.saturating_sub(1)
    } else {
        keep
    };
    let excess = stems.len().saturating_sub(keep);
    for stem in &stems[..excess] {
        let _ = std::fs::remove_file(folder.join(format!("{stem}.json")));
        let _ = std::fs::remove_file(folder.join(format!("{stem}.png")));
    }
    excess
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mixmeter-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn utc_dates_match_known_days() {
        assert_eq!(utc(0), (1970, 1, 1, 0, 0, 0));
        // 2000-02-29 12:34:56 UTC and 2024-12-31 23:59:59 UTC.
        assert_eq!(utc(951_827_696), (2000, 2, 29, 12, 34, 56));
        assert_eq!(utc(1_735_689_599), (2024, 12, 31, 23, 59, 59));
        assert_eq!(format_utc(1_735_689_599), "2024-12-31 23:59 UTC");
    }

    #[test]
    fn an_atomic_write_lands_whole() {
        let dir = folder("whole");
        let path = dir.join("a.json");
        write_atomic(&path, |w| w.write_all(b"{\"x\": 1}")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"x\": 1}");
        assert_eq!(names(&dir), ["a.json"]);
    }

    #[test]
    fn a_write_failing_midway_leaves_no_file_and_says_why() {
        let dir = folder("midway");
        let path = dir.join("a.json");
        let error = write_atomic(&path, |w| {
            w.write_all(&[b'x'; 100_000])?;
            Err(std::io::Error::other("disk full (injected)"))
        })
        .unwrap_err();
        assert!(
            error.contains("disk full (injected)") && error.contains("a.json"),
            "{error}"
        );
        assert!(names(&dir).is_empty(), "{:?}", names(&dir));
        // A failing write over an existing report keeps the old one whole.
        write_atomic(&path, |w| w.write_all(b"old")).unwrap();
        let _ = write_atomic(&path, |w| {
            w.write_all(b"new and half")?;
            Err(std::io::Error::other("cut"))
        });
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(&dir), ["a.json"]);
    }

    /// The writer is killed between writing its temporary file and the rename (a child process
    /// aborts there): no file carries the report's name, and the next prune removes the
    /// temporary once it is stale.
    #[test]
    fn a_writer_killed_before_the_rename_leaves_no_report() {
        if let Ok(dir) = std::env::var("MIXMETER_KILLED_WRITER_DIR") {
            // The child: write the temporary, then die before the rename.
            let _ = write_atomic(&Path::new(&dir).join("r.json"), |w| {
                w.write_all(b"{\"half\": ")?;
                w.flush()?;
                std::process::abort()
            });
            return;
        }
        let dir = folder("killed");
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "report::files::tests::a_writer_killed_before_the_rename_leaves_no_report",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("MIXMETER_KILLED_WRITER_DIR", &dir)
            .stderr(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "the child was killed midway");
        let left = names(&dir);
        assert!(!left.iter().any(|n| n == "r.json"), "{left:?}");
        assert_eq!(left.len(), 1, "the killed writer's temporary: {left:?}");
        let temp = dir.join(&left[0]);
        std::fs::File::options()
            .write(true)
            .open(&temp)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(600))
            .unwrap();
        prune(&dir, MAX_REPORTS);
        assert!(names(&dir).is_empty(), "{:?}", names(&dir));
    }

    #[test]
    fn names_sort_by_time_and_the_cap_removes_the_oldest_pairs_only() {
        let dir = folder("cap");
        std::fs::write(dir.join("my notes.txt"), "keep").unwrap();
        for i in 0..7u64 {
            // Two in the same second, then one a day later, and so on.
            let t = 1_700_000_000 + (i / 2) * 86_400;
            let (json, png) = report_paths(&dir, t).unwrap();
            std::fs::write(json, "{}").unwrap();
            std::fs::write(png, "png").unwrap();
        }
        let stems = report_stems(&dir);
        assert_eq!(stems.len(), 7);
        assert!(stems[1].ends_with("-001"), "{stems:?}");
        assert_eq!(prune(&dir, 4), 3);
        assert_eq!(report_stems(&dir), stems[3..].to_vec());
        let left = names(&dir);
        assert_eq!(left.len(), 9, "4 pairs and the user's file: {left:?}");
        assert!(left.contains(&"my notes.txt".to_string()));
    }

    #[test]
    fn only_exact_report_names_count_as_reports() {
        assert!(is_report_stem("mixmeter-render-2026-11-30-043143"));
        assert!(is_report_stem("mixmeter-render-2026-11-30-043143-002"));
        for other in [
            "mixmeter-render-final",
            "mixmeter-render-1999-final",
            "mixmeter-render-2026-11-30-043143 (copy)",
            "mixmeter-render-2026-11-30-04314",
            "render-2026-11-30-043143",
        ] {
            assert!(!is_report_stem(other), "{other}");
        }
    }

    /// Two writers (threads here; processes in a host that sandboxes plugins) reserving a
    /// name for the same second get different names; a reservation goes when dropped.
    #[test]
    fn concurrent_writers_never_share_a_name() {
        let dir = folder("reserve");
        let t = 1_700_000_000;
        let names: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| reserve_report_paths(&dir, t).unwrap()))
                .collect();
            let held: Vec<Reserved> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            held.iter()
                .map(|r| r.json.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        });
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 8, "{names:?}");
        assert!(names_in(&dir).is_empty(), "{:?}", names_in(&dir));
    }

    /// With the clock set back, the report just written sorts oldest: the cap keeps it.
    #[test]
    fn the_cap_never_removes_the_report_just_written() {
        let dir = folder("cap-newest");
        for t in [1_800_000_000u64, 1_800_000_001, 1_800_000_002] {
            let (json, png) = report_paths(&dir, t).unwrap();
            std::fs::write(json, "{}").unwrap();
            std::fs::write(png, "png").unwrap();
        }
        let (json, png) = report_paths(&dir, 1_700_000_000).unwrap();
        std::fs::write(&json, "{}").unwrap();
        std::fs::write(&png, "png").unwrap();
        let newest = json.file_stem().unwrap().to_string_lossy().into_owned();
        assert_eq!(prune_keeping(&dir, 2, Some(&newest)), 2);
        let stems = report_stems(&dir);
        assert_eq!(stems.len(), 2, "{stems:?}");
        assert!(stems.contains(&newest), "{stems:?}");
    }

    /// A picture left without its JSON by a writer killed between the two renames goes once
    /// it is a minute old (a younger one may be a write in progress); a user's files stay.
    #[test]
    fn an_orphan_picture_is_removed_once_stale() {
        let dir = folder("orphan");
        let (_, old_png) = report_paths(&dir, 1_700_000_000).unwrap();
        std::fs::write(&old_png, "png").unwrap();
        let two_minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
        std::fs::File::options()
            .write(true)
            .open(&old_png)
            .unwrap()
            .set_modified(two_minutes_ago)
            .unwrap();
        let (_, young_png) = report_paths(&dir, 1_700_000_100).unwrap();
        std::fs::write(&young_png, "png").unwrap();
        let mine = dir.join("mixmeter-render-cover.png");
        std::fs::write(&mine, "mine").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&mine)
            .unwrap()
            .set_modified(two_minutes_ago)
            .unwrap();
        prune(&dir, MAX_REPORTS);
        assert!(!old_png.exists());
        assert!(young_png.exists());
        assert!(mine.exists());
    }

    fn names_in(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }
}
