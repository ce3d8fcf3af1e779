//! The meters run on every corpus file: Mixmeter's analyzer, ffmpeg's `ebur128` filter, and
//! the C driver (libebur128, an own one-sample-hop BS.1770-5 computation, libsoxr
//! reconstruction). The independent readings of a file never change, so they are cached next
//! to it, keyed by the driver's source.

use serde_json::Value;
use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DRIVER_SOURCE: &str = include_str!("driver.c");
/// The true-peak reference upsamples to at least this rate (16x 48 kHz).
pub const RECONSTRUCTION_RATE_HZ: u32 = 768_000;

/// Mixmeter's reading of a file (`mixmeter analyze --json`).
#[derive(Debug, Clone)]
pub struct Ours {
    pub json: Value,
}

/// ffmpeg's `ebur128` filter (metadata mode: three decimals, where its summary prints one).
#[derive(Debug, Clone, Default)]
pub struct Ffmpeg {
    pub integrated: Option<f64>,
    pub lra: Option<f64>,
    pub true_peak: Vec<f64>,
}

/// Everything independent of Mixmeter for one file.
#[derive(Debug, Clone)]
pub struct Reference {
    pub rate: u32,
    #[allow(dead_code)] // kept in the cache for whoever reads it
    pub channels: usize,
    pub ffmpeg: Ffmpeg,
    /// The driver's JSON (see driver.c).
    pub driver: Value,
}

pub fn driver_hash() -> u64 {
    let mut hasher = DefaultHasher::new();
    DRIVER_SOURCE.hash(&mut hasher);
    hasher.finish()
}

/// Compiles driver.c with the system compiler (once per source version).
pub fn compile_driver(dir: &Path) -> PathBuf {
    let exe = dir.join(format!("driver-{:016x}", driver_hash()));
    if !exe.exists() {
        let source = dir.join("driver.c");
        fs::write(&source, DRIVER_SOURCE).unwrap();
        let tmp = dir.join("driver.tmp");
        let output = Command::new("cc")
            .args(["-O2", "-o"])
            .arg(&tmp)
            .arg(&source)
            .args(["-lebur128", "-lsoxr", "-lm"])
            .output()
            .expect(
                "cc (scripts/prerequisites.sh installs it, with libebur128-dev and libsoxr-dev)",
            );
        assert!(
            output.status.success(),
            "driver.c: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        fs::rename(&tmp, &exe).unwrap();
    }
    exe
}

pub fn ours(path: &Path) -> Ours {
    let output = Command::new(crate::cli::mixmeter_cli())
        .args(["analyze", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let json = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "{path:?}: analyzer output is not JSON ({e}): {text}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Ours { json }
}

fn probe(path: &Path) -> (u32, usize) {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=sample_rate,channels",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.trim().split(',');
    let rate = parts.next().unwrap().parse().unwrap();
    let channels = parts.next().unwrap().parse().unwrap();
    (rate, channels)
}

/// ffmpeg's ebur128 filter, read from its per-100 ms metadata: the last values are the whole
/// file's (integrated and LRA), the largest per-channel true peaks the file's.
fn ffmpeg_ebur128(path: &Path, channels: usize) -> Ffmpeg {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args([
            "-af",
            "ebur128=peak=true:metadata=1,ametadata=mode=print:file=-",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "ffmpeg ebur128 on {path:?}");
    let mut result = Ffmpeg {
        true_peak: vec![0.0; channels],
        ..Default::default()
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value: f64 = match value.parse() {
            Ok(v) => v,
            Err(_) => continue,
        };
        match key {
            "lavfi.r128.I" => result.integrated = (value > -70.0).then_some(value),
            "lavfi.r128.LRA" => result.lra = Some(value),
            _ => {
                if let Some(ch) = key.strip_prefix("lavfi.r128.true_peaks_ch") {
                    let ch: usize = ch.parse().unwrap();
                    result.true_peak[ch] = result.true_peak[ch].max(value);
                }
            }
        }
    }
    result
}

/// The driver on the file decoded to f32 by ffmpeg.
fn run_driver(driver: &Path, path: &Path, rate: u32, channels: usize, roles: &str) -> Value {
    let factor = RECONSTRUCTION_RATE_HZ.div_ceil(rate).max(1);
    let mut decoder = Command::new("ffmpeg")
        .args(["-v", "fatal", "-nostdin", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-acodec", "pcm_f32le", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let output = Command::new(driver)
        .args([
            rate.to_string(),
            channels.to_string(),
            roles.to_string(),
            factor.to_string(),
        ])
        .stdin(decoder.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(
        decoder.wait().unwrap().success(),
        "ffmpeg decode of {path:?}"
    );
    assert!(
        output.status.success(),
        "driver on {path:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The independent readings of a file, from the cache next to it or measured now.
pub fn reference(driver: &Path, path: &Path, roles: &str) -> Reference {
    let cache = path.with_extension(format!(
        "{}.ref-{:016x}.json",
        path.extension().unwrap().to_string_lossy(),
        driver_hash()
    ));
    if let Ok(text) = fs::read_to_string(&cache) {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            return from_cache(&v);
        }
    }
    let (rate, channels) = probe(path);
    let ffmpeg = ffmpeg_ebur128(path, channels);
    let driver = run_driver(driver, path, rate, channels, roles);
    let v = serde_json::json!({
        "rate": rate, "channels": channels,
        "ffmpeg": {"integrated": ffmpeg.integrated, "lra": ffmpeg.lra, "true_peak": ffmpeg.true_peak},
        "driver": driver,
    });
    let tmp = cache.with_extension("tmp");
    fs::File::create(&tmp)
        .unwrap()
        .write_all(v.to_string().as_bytes())
        .unwrap();
    fs::rename(&tmp, &cache).unwrap();
    from_cache(&v)
}

fn from_cache(v: &Value) -> Reference {
    let f = &v["ffmpeg"];
    Reference {
        rate: v["rate"].as_u64().unwrap() as u32,
        channels: v["channels"].as_u64().unwrap() as usize,
        ffmpeg: Ffmpeg {
            integrated: f["integrated"].as_f64(),
            lra: f["lra"].as_f64(),
            true_peak: f["true_peak"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect(),
        },
        driver: v["driver"].clone(),
    }
}
