//! `--album`: the files pooled into one programme (exact: the gating blocks and short-term
//! values of every track), with its JSON record, CSV row and summary.

use crate::csv::{CSV_COLUMNS, csv_number};
use crate::json::{SCHEMA_VERSION, number};
use crate::summary::{clock, text};
use mixmeter_core::analysis::FileAnalysis;
use mixmeter_core::diagnosis::stereo::signed_tenths;
use mixmeter_core::meter::engine::RANGE_SETTLED_S;
use mixmeter_core::meter::gating::{IntegratedHistogram, RangeHistogram};
use serde_json::{Value, json};

/// The `file` of the album's CSV row (`--album --csv`).
pub(crate) const ALBUM_ROW_NAME: &str = "(album)";
/// The album of `--album`: every track's gating blocks and short-term values pooled
/// (`IntegratedHistogram::merge`, see `meter::gating`), in the order named.
pub(crate) struct Album {
    pub(crate) integrated: IntegratedHistogram,
    pub(crate) range: RangeHistogram,
    pub(crate) tracks: Vec<Track>,
    pub(crate) left_out: Vec<String>,
}

/// One track of the album: (file, integrated LUFS, duration s, true peak dBTP, sample peak
/// dBFS).
pub(crate) type Track = (String, Option<f64>, f64, Option<f64>, Option<f64>);

/// The album's readings.
pub(crate) struct AlbumReading {
    pub(crate) integrated_lufs: Option<f64>,
    pub(crate) loudness_range_lu: Option<f64>,
    pub(crate) duration_s: f64,
    pub(crate) true_peak_dbtp: Option<f64>,
    /// Index of the track with the album's true peak.
    pub(crate) true_peak_track: Option<usize>,
    pub(crate) sample_peak_dbfs: Option<f64>,
}

impl Album {
    pub(crate) fn new() -> Self {
        Self {
            integrated: IntegratedHistogram::new(),
            range: RangeHistogram::new(),
            tracks: Vec::new(),
            left_out: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, a: &FileAnalysis) {
        if let Some(pooled) = &a.pooled {
            self.integrated.merge(&pooled.0);
            self.range.merge(&pooled.1);
        }
        let r = &a.readings;
        self.tracks.push((
            a.file.clone(),
            r.integrated_lufs,
            a.frames as f64 / a.info.sample_rate_hz as f64,
            r.max_true_peak_dbtp,
            r.max_sample_peak_dbfs,
        ));
    }

    pub(crate) fn reading(&self) -> AlbumReading {
        let mut true_peak: Option<(usize, f64)> = None;
        for (i, t) in self.tracks.iter().enumerate() {
            if let Some(p) = t.3
                && true_peak.is_none_or(|(_, q)| p > q)
            {
                true_peak = Some((i, p));
            }
        }
        AlbumReading {
            integrated_lufs: self.integrated.integrated_lufs(),
            loudness_range_lu: self.range.loudness_range_lu(),
            duration_s: self.tracks.iter().map(|t| t.2).sum(),
            true_peak_dbtp: true_peak.map(|t| t.1),
            true_peak_track: true_peak.map(|t| t.0),
            sample_peak_dbfs: self
                .tracks
                .iter()
                .filter_map(|t| t.4)
                .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p)))),
        }
    }
}

/// The album record of `--album --json` (docs/cli.md, "Output schema").
pub(crate) fn album_json(album: &Album, r: &AlbumReading) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "album": {
            "tracks": album.tracks.len(),
            "duration_s": r.duration_s,
            "integrated_lufs": number(r.integrated_lufs),
            "loudness_range_lu": number(r.loudness_range_lu),
            "loudness_range_reliable": r.duration_s >= RANGE_SETTLED_S,
            "true_peak_dbtp": number(r.true_peak_dbtp),
            "true_peak_file": r.true_peak_track.map(|i| album.tracks[i].0.clone()),
            "sample_peak_dbfs": number(r.sample_peak_dbfs),
            "plr_db": number(r.true_peak_dbtp.zip(r.integrated_lufs).map(|(p, i)| p - i)),
            "files": album.tracks.iter().map(|t| json!({
                "file": t.0,
                "integrated_lufs": number(t.1),
                "relative_lu": number(t.1.zip(r.integrated_lufs).map(|(t, a)| t - a)),
            })).collect::<Vec<_>>(),
            "left_out": album.left_out,
        }
    })
}

/// The album's CSV row: `file` is "(album)", `codec` "album", the loudness and peak columns
/// the album's, the rest empty.
pub(crate) fn album_csv_row(r: &AlbumReading, columns: usize) -> String {
    let mut fields = vec![String::new(); columns];
    let mut set = |name: &str, value: String| {
        if let Some(i) = CSV_COLUMNS.iter().position(|c| *c == name) {
            fields[i] = value;
        }
    };
    set("file", ALBUM_ROW_NAME.to_string());
    set("codec", "album".to_string());
    set("duration_s", format!("{:.3}", r.duration_s));
    set("integrated_lufs", csv_number(r.integrated_lufs));
    set("loudness_range_lu", csv_number(r.loudness_range_lu));
    set(
        "loudness_range_reliable",
        (r.duration_s >= RANGE_SETTLED_S).to_string(),
    );
    set("true_peak_dbtp", csv_number(r.true_peak_dbtp));
    set("sample_peak_dbfs", csv_number(r.sample_peak_dbfs));
    set(
        "plr_db",
        csv_number(r.true_peak_dbtp.zip(r.integrated_lufs).map(|(p, i)| p - i)),
    );
    fields.join(",")
}

pub(crate) fn print_album(album: &Album, r: &AlbumReading) {
    println!();
    println!(
        "Album: {} track{} played in the order named, {}",
        album.tracks.len(),
        if album.tracks.len() == 1 { "" } else { "s" },
        clock(r.duration_s)
    );
    println!(
        "  Integrated loudness   {}",
        text(r.integrated_lufs, "LUFS")
    );
    println!(
        "  Loudness range        {}",
        text(r.loudness_range_lu, "LU")
    );
    println!(
        "  True peak             {}{}",
        text(r.true_peak_dbtp, "dBTP"),
        r.true_peak_track
            .map_or(String::new(), |i| format!(" in {}", album.tracks[i].0))
    );
    println!("  Each track against the album");
    for (file, lufs, _, _, _) in &album.tracks {
        let relative = lufs
            .zip(r.integrated_lufs)
            .map_or("no value".to_string(), |(t, a)| {
                format!("{:+.1} LU", signed_tenths(t - a))
            });
        println!("    {relative:>9}  {file} ({})", text(*lufs, "LUFS"));
    }
    for file in &album.left_out {
        println!("    left out (unreadable): {file}");
    }
    println!(
        "  (every track's 400 ms gating blocks and 3 s short-term values pooled, BS.1770-5 and \
         Tech 3342; no block spans two tracks)"
    );
}
