//! The corpus: freely licensed recordings from Debian packages (`apt-get download`, unpacked
//! with `dpkg-deb -x`), MIDI songs rendered with timidity and freepats, and ffmpeg-made
//! variants of them. Built once into `target/real-recordings/v<CORPUS_VERSION>/` and reused
//! (every file is written under a temporary name and renamed when complete).
//!
//! Shared: `tests/real_recordings/main.rs` measures [`build`]'s corpus against independent
//! meters; `tests/tonal_advice.rs` takes [`build_songs`] and makes its own EQ variants.

#![allow(dead_code)] // each test crate uses its part

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bump when the list below or a recipe changes: a new folder is built.
const CORPUS_VERSION: u32 = 1;

/// The Debian packages and the files taken from them.
pub const PACKAGES: &[(&str, &str)] = &[
    ("noiz2sa-data", "stereo Vorbis songs (stg0.ogg, stg3.ogg)"),
    ("a7xpg-data", "a mono Vorbis song (bgm1.ogg)"),
    (
        "alsa-utils",
        "recorded speech (usr/share/sounds/alsa/*.wav)",
    ),
    ("openttd-openmsx", "MIDI songs (tttheme2.mid)"),
];

const NOIZ2SA: &str = "noiz2sa-data/usr/share/games/noiz2sa/sounds";
const A7XPG: &str = "a7xpg-data/usr/share/games/a7xpg/sounds";
const ALSA: &str = "alsa-utils/usr/share/sounds/alsa";
const OPENMSX: &str = "openttd-openmsx/usr/share/games/openttd/baseset/openmsx";
const SPEECH_PARTS: &[&str] = &[
    "Front_Left",
    "Front_Center",
    "Front_Right",
    "Rear_Right",
    "Rear_Center",
    "Rear_Left",
    "Side_Left",
    "Side_Right",
];
/// The MIDI song and its stems: (file name, MIDI channel kept, instrument).
const MIDI_SONG: &str = "tttheme2.mid";
const STEMS: &[(&str, u32)] = &[
    ("stem-drums.wav", 10),
    ("stem-bass.wav", 1),
    ("stem-sax.wav", 5),
];

/// One corpus file.
#[derive(Debug, Clone)]
pub struct Item {
    pub path: PathBuf,
    /// The class it stands for in the tables ("format: MP3", "clipped", ...).
    pub class: &'static str,
    /// Its channels' positions, in the driver's names (driver.c): the layout the file claims
    /// (or, for a file without a channel mask, the one it was made with).
    pub roles: &'static str,
    /// ffmpeg's ebur128 filter weighs this layout differently from BS.1770-5 (a back centre
    /// or a rear pair at 1.41): its loudness is not a reference here.
    pub ffmpeg_weights_wrong: bool,
}

pub struct Corpus {
    pub dir: PathBuf,
    pub items: Vec<Item>,
    /// Bytes fetched with `apt-get download` in this run (0 when everything was cached).
    pub downloaded_bytes: u64,
    pub provenance: String,
}

/// Runs `command`, which must succeed; its standard output.
pub fn run(command: &mut Command) -> Vec<u8> {
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run {command:?}: {e} (scripts/prerequisites.sh installs the tools)")
    });
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// `path` decoded by ffmpeg to 32-bit float, each channel's samples in a vector of its own;
/// `args` (such as `["-ac", "2"]`) go before the output.
pub fn decode_f32(path: &Path, args: &[&str]) -> Vec<Vec<f32>> {
    let out = run(Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(path)
        .args(args)
        .args(["-f", "f32le", "-acodec", "pcm_f32le", "-"]));
    // The channels asked for with `-ac`, or the file's own.
    let channels: usize = match args.windows(2).find(|w| w[0] == "-ac") {
        Some(w) => w[1].parse().expect("-ac N"),
        None => stdout_of(
            Command::new("ffprobe")
                .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
                .args(["stream=channels", "-of", "csv=p=0"])
                .arg(path),
        )
        .trim()
        .parse()
        .expect("ffprobe names the channel count"),
    };
    let samples: Vec<f32> = out
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (0..channels)
        .map(|c| samples.iter().skip(c).step_by(channels).copied().collect())
        .collect()
}

fn stdout_of(command: &mut Command) -> String {
    String::from_utf8_lossy(&run(command)).into_owned()
}

/// Makes `path` with `make(tmp)` unless it exists: a half-made file never counts as made.
fn once(path: &Path, make: impl FnOnce(&Path)) {
    if path.exists() {
        return;
    }
    let name = path.file_name().unwrap().to_string_lossy();
    // The process id keeps two test processes building the same corpus from writing one
    // temporary file (within a process, `BUILDING` serialises the builders).
    let tmp = path.with_file_name(format!("tmp-{}-{name}", std::process::id()));
    make(&tmp);
    fs::rename(&tmp, path).unwrap();
}

fn ffmpeg(args: &[&str], out: &Path) {
    let mut command = Command::new("ffmpeg");
    command.args(["-v", "error", "-nostdin", "-y"]).args(args);
    // The temporary name hides the extension, so name the container.
    let ext = out
        .to_string_lossy()
        .rsplit('.')
        .next()
        .unwrap()
        .to_string();
    let format = match ext.as_str() {
        "wav" => "wav",
        "aiff" => "aiff",
        "caf" => "caf",
        "flac" => "flac",
        "mp3" => "mp3",
        "ogg" => "ogg",
        "m4a" => "ipod",
        other => panic!("no container for .{other}"),
    };
    run(command.args(["-f", format]).arg(out));
}

/// Downloads and unpacks the packages into `dir/pkgs/<name>`; returns bytes downloaded and
/// the provenance lines (package, version, licence).
fn fetch(dir: &Path) -> (u64, String) {
    let debs = dir.join("debs");
    let pkgs = dir.join("pkgs");
    fs::create_dir_all(&debs).unwrap();
    fs::create_dir_all(&pkgs).unwrap();
    let mut downloaded = 0;
    let mut provenance = String::new();
    for (package, what) in PACKAGES {
        let unpacked = pkgs.join(package);
        let find_deb = || {
            fs::read_dir(&debs)
                .unwrap()
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .find(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().to_string();
                    name.starts_with(&format!("{package}_")) && name.ends_with(".deb")
                })
        };
        let deb = match find_deb() {
            Some(deb) => deb,
            None => {
                let status = Command::new("apt-get")
                    .args(["download", "-q", package])
                    .current_dir(&debs)
                    .status()
                    .expect("apt-get");
                assert!(
                    status.success(),
                    "`apt-get download {package}` failed: run scripts/prerequisites.sh (its \
                     apt-get update) or `apt-get update` first"
                );
                let deb = find_deb().expect("apt-get download wrote no .deb");
                downloaded += fs::metadata(&deb).unwrap().len();
                deb
            }
        };
        once(&unpacked, |tmp| {
            run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(tmp));
        });
        let version = stdout_of(
            Command::new("dpkg-deb")
                .args(["-f"])
                .arg(&deb)
                .arg("Version"),
        );
        let copyright =
            fs::read_to_string(unpacked.join(format!("usr/share/doc/{package}/copyright")))
                .unwrap_or_default();
        let licence = licence_of(&copyright);
        provenance.push_str(&format!(
            "- {package} {} ({what}): {licence}; copyright file usr/share/doc/{package}/copyright\n",
            version.trim()
        ));
    }
    (downloaded, provenance)
}

/// The licence the copyright file states for the recordings we take.
fn licence_of(copyright: &str) -> String {
    if copyright.contains("Redistribution and use in source and binary forms") {
        let holder = copyright
            .lines()
            .find(|l| l.trim_start().starts_with("Copyright") && l.contains("Kenta Cho"))
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        format!("BSD-style licence (two clauses), {holder}")
    } else if let Some(line) = copyright.lines().find(|l| l.starts_with("License: ")) {
        format!(
            "{} (Debian copyright file, `Files: *`)",
            &line["License: ".len()..]
        )
    } else {
        "licence not found in the copyright file".to_string()
    }
}

/// Held while a corpus is built: the tests of one binary run on parallel threads, and two
/// of them building the corpus from nothing at once would race for the same files.
static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn build(target: &Path) -> Corpus {
    let _building = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = target.join(format!("real-recordings/v{CORPUS_VERSION}"));
    let files = dir.join("files");
    fs::create_dir_all(&files).unwrap();
    let (downloaded_bytes, packages) = fetch(&dir);
    let pkgs = dir.join("pkgs");
    let p = |rel: &str| pkgs.join(rel).to_string_lossy().into_owned();
    let f = |name: &str| files.join(name);
    let s = |path: &Path| path.to_string_lossy().into_owned();

    let mut items = Vec::new();
    let mut add = |name: &str, class: &'static str, roles: &'static str, make: &dyn Fn(&Path)| {
        let path = f(name);
        once(&path, |tmp| make(tmp));
        items.push(Item {
            path,
            class,
            roles,
            ffmpeg_weights_wrong: false,
        });
    };

    // Sources, as the packages ship them (or rendered).
    let song_a = p(&format!("{NOIZ2SA}/stg0.ogg"));
    let song_b = p(&format!("{NOIZ2SA}/stg3.ogg"));
    let mono_song = p(&format!("{A7XPG}/bgm1.ogg"));
    let copy = |from: String| {
        move |to: &Path| {
            fs::copy(&from, to).unwrap();
        }
    };
    add(
        "noiz2sa-stg0.ogg",
        "source: Vorbis stereo",
        "L,R",
        &copy(song_a.clone()),
    );
    add(
        "noiz2sa-stg3.ogg",
        "source: Vorbis stereo",
        "L,R",
        &copy(song_b.clone()),
    );
    add(
        "a7xpg-bgm1.ogg",
        "source: Vorbis mono",
        "M",
        &copy(mono_song.clone()),
    );
    add("speech.wav", "source: speech", "M", &|out| {
        let mut args: Vec<String> = Vec::new();
        for part in SPEECH_PARTS {
            args.extend(["-i".into(), p(&format!("{ALSA}/{part}.wav"))]);
        }
        let inputs: String = (0..SPEECH_PARTS.len())
            .map(|i| format!("[{i}:a]"))
            .collect();
        args.extend([
            "-filter_complex".into(),
            format!("{inputs}concat=n={}:v=0:a=1", SPEECH_PARTS.len()),
            "-c:a".into(),
            "pcm_s16le".into(),
        ]);
        ffmpeg(&args.iter().map(String::as_str).collect::<Vec<_>>(), out);
    });
    let midi = p(&format!("{OPENMSX}/{MIDI_SONG}"));
    let timidity = |mute: Option<u32>| {
        let midi = midi.clone();
        move |out: &Path| {
            let mut command = timidity_to(out);
            if let Some(keep) = mute {
                // -Q 0 mutes every channel, -Q -N turns channel N back on.
                command.arg(format!("-Q0,-{keep}"));
            }
            run(command.arg(&midi));
        }
    };
    add("midi-mix.wav", "source: MIDI mix", "L,R", &timidity(None));
    for (name, channel) in STEMS {
        add(name, "source: MIDI stems", "L,R", &timidity(Some(*channel)));
    }

    // Variants of a 30 s excerpt of song A (20-50 s).
    let excerpt = |filter: &'static str, codec: &'static [&'static str]| {
        let song_a = song_a.clone();
        move |out: &Path| {
            let mut args = vec!["-ss", "20", "-t", "30", "-i", &song_a];
            if !filter.is_empty() {
                args.extend(["-af", filter]);
            }
            args.extend(codec);
            ffmpeg(&args, out);
        }
    };
    let formats: &[(&str, &'static str, &'static [&'static str])] = &[
        (
            "fmt-s16.wav",
            "format: WAV/AIFF/CAF",
            &["-c:a", "pcm_s16le"],
        ),
        (
            "fmt-s24.wav",
            "format: WAV/AIFF/CAF",
            &["-c:a", "pcm_s24le"],
        ),
        (
            "fmt-f32.wav",
            "format: WAV/AIFF/CAF",
            &["-c:a", "pcm_f32le"],
        ),
        (
            "fmt-s16.aiff",
            "format: WAV/AIFF/CAF",
            &["-c:a", "pcm_s16be"],
        ),
        (
            "fmt-s24.caf",
            "format: WAV/AIFF/CAF",
            &["-c:a", "pcm_s24le"],
        ),
        (
            "fmt-24.flac",
            "format: FLAC/ALAC",
            &["-c:a", "flac", "-sample_fmt", "s32"],
        ),
        ("fmt-alac.m4a", "format: FLAC/ALAC", &["-c:a", "alac"]),
        (
            "fmt-320k.mp3",
            "format: MP3",
            &["-c:a", "libmp3lame", "-b:a", "320k"],
        ),
        (
            "fmt-q6.ogg",
            "format: Vorbis",
            &["-c:a", "libvorbis", "-q:a", "6"],
        ),
        (
            "fmt-aac.m4a",
            "format: AAC",
            &["-c:a", "aac", "-b:a", "256k"],
        ),
    ];
    for (name, class, codec) in formats {
        add(name, class, "L,R", &excerpt("", codec));
    }
    // A WAV as writers that stream leave it: RIFF and data lengths 0. symphonia's reader
    // rejects it; ffmpeg, and Mixmeter, read to the end of the file.
    let unsized_wav = excerpt("", &["-c:a", "pcm_s16le"]);
    add(
        "fmt-s16-unsized.wav",
        "format: WAV/AIFF/CAF",
        "L,R",
        &|out: &Path| {
            unsized_wav(out);
            clear_wav_lengths(out);
        },
    );
    let rates: &[(&str, &'static str, &'static str)] = &[
        (
            "rate-8k.wav",
            "rate: 8-32 kHz",
            "aresample=8000:resampler=soxr",
        ),
        (
            "rate-32k.wav",
            "rate: 8-32 kHz",
            "aresample=32000:resampler=soxr",
        ),
        (
            "rate-96k.wav",
            "rate: 96-384 kHz",
            "aresample=96000:resampler=soxr",
        ),
        (
            "rate-192k.wav",
            "rate: 96-384 kHz",
            "aresample=192000:resampler=soxr",
        ),
        (
            "rate-384k.wav",
            "rate: 96-384 kHz",
            "aresample=384000:resampler=soxr",
        ),
    ];
    for (name, class, filter) in rates {
        add(name, class, "L,R", &excerpt(filter, &["-c:a", "pcm_f32le"]));
    }
    add(
        "mono-downmix.wav",
        "layout: mono",
        "M",
        &excerpt("pan=mono|c0=0.5*c0+0.5*c1", &["-c:a", "pcm_s24le"]),
    );

    // Surround: song A's excerpt in front, song B's (30-60 s) on the surrounds, the speech in
    // the centre, the mono song on the back centre or the side pair, and a loud low-passed
    // LFE (+6 dB) that must not count.
    let surround = |graph: &'static str| {
        let (a, b, speech, mono) = (
            song_a.clone(),
            song_b.clone(),
            s(&f("speech.wav")),
            mono_song.clone(),
        );
        move |out: &Path| {
            let head = "[0:a]channelsplit=channel_layout=stereo[AL][AR];\
                        [1:a]asplit[B1][B2];[B1]channelsplit=channel_layout=stereo[BL][BR];\
                        [B2]pan=mono|c0=0.5*c0+0.5*c1,lowpass=f=120,volume=6dB[LFE];\
                        [2:a]aresample=44100:resampler=soxr,apad,atrim=0:30[C];\
                        [3:a]asplit[M1][M2];";
            ffmpeg(
                &[
                    "-ss",
                    "20",
                    "-t",
                    "30",
                    "-i",
                    &a,
                    "-ss",
                    "30",
                    "-t",
                    "30",
                    "-i",
                    &b,
                    "-i",
                    &speech,
                    "-ss",
                    "10",
                    "-t",
                    "30",
                    "-i",
                    &mono,
                    "-filter_complex",
                    &format!("{head}{graph}"),
                    "-c:a",
                    "pcm_f32le",
                ],
                out,
            );
        }
    };
    add(
        "layout-5.0.wav",
        "layout: 5.0",
        "L,R,C,Ls,Rs",
        &surround(
            "[AL][AR][C][BL][BR]join=inputs=5:channel_layout=5.0:map=0.0-FL|1.0-FR|2.0-FC|3.0-BL|4.0-BR;\
         [LFE]anullsink;[M1]anullsink;[M2]anullsink",
        ),
    );
    add(
        "layout-5.0-no-mask.wav",
        "layout: 5.0 without mask",
        "L,R,C,Ls,Rs",
        &|out| {
            fs::copy(f("layout-5.0.wav"), out).unwrap();
            clear_channel_mask(out);
        },
    );
    add(
        "layout-5.1.wav",
        "layout: 5.1",
        "L,R,C,LFE,Ls,Rs",
        &surround(
            "[AL][AR][C][LFE][BL][BR]join=inputs=6:channel_layout=5.1:map=0.0-FL|1.0-FR|2.0-FC|3.0-LFE|4.0-BL|5.0-BR;\
         [M1]anullsink;[M2]anullsink",
        ),
    );
    add(
        "layout-6.1.wav",
        "layout: 6.1",
        "L,R,C,LFE,Cs,Lss,Rss",
        &surround(
            "[AL][AR][C][LFE][M1][BL][BR]join=inputs=7:channel_layout=6.1:map=0.0-FL|1.0-FR|2.0-FC|3.0-LFE|4.0-BC|5.0-SL|6.0-SR;\
         [M2]anullsink",
        ),
    );
    add(
        "layout-7.1.wav",
        "layout: 7.1",
        "L,R,C,LFE,Lrs,Rrs,Lss,Rss",
        &surround(
            "[AL][AR][C][LFE][BL][BR][M1][M2]join=inputs=8:channel_layout=7.1:map=0.0-FL|1.0-FR|2.0-FC|3.0-LFE|4.0-BL|5.0-BR|6.0-SL|7.0-SR",
        ),
    );

    // Hard-clipped (+12 dB, then clipped at full scale), quiet, short.
    const CLIP: &str = "volume=12dB,asoftclip=type=hard";
    add(
        "clipped-f32.wav",
        "clipped",
        "L,R",
        &excerpt(CLIP, &["-c:a", "pcm_f32le"]),
    );
    add(
        "clipped-48k-s16.wav",
        "clipped",
        "L,R",
        &excerpt(
            "aresample=48000:resampler=soxr,volume=12dB,asoftclip=type=hard",
            &["-c:a", "pcm_s16le"],
        ),
    );
    add(
        "clipped-320k.mp3",
        "clipped",
        "L,R",
        &excerpt(CLIP, &["-c:a", "libmp3lame", "-b:a", "320k"]),
    );
    add(
        "quiet-f32.wav",
        "quiet",
        "L,R",
        &excerpt("volume=-25dB", &["-c:a", "pcm_f32le"]),
    );
    let speech = s(&f("speech.wav"));
    add("quiet-speech.wav", "quiet", "M", &move |out: &Path| {
        ffmpeg(
            &["-i", &speech, "-af", "volume=-25dB", "-c:a", "pcm_s16le"],
            out,
        );
    });
    for (name, seconds) in [
        ("short-3s.wav", "3"),
        ("short-5s.wav", "5"),
        ("short-20s.wav", "20"),
    ] {
        let song_a = song_a.clone();
        add(name, "short", "L,R", &move |out: &Path| {
            ffmpeg(
                &[
                    "-ss",
                    "40",
                    "-t",
                    seconds,
                    "-i",
                    &song_a,
                    "-c:a",
                    "pcm_s24le",
                ],
                out,
            );
        });
    }

    for item in &mut items {
        item.ffmpeg_weights_wrong = item.roles.contains("Cs") || item.roles.contains("Lrs");
    }
    let provenance = format!(
        "# Real-recordings corpus (built by tests/real_recordings)\n\nFrom Debian packages \
         (`apt-get download`, `dpkg-deb -x`):\n\n{packages}\nThe MIDI song is rendered by \
         timidity with the freepats patches (GPL-2+ with an exception for compositions that \
         use them). Every other file is made from these by ffmpeg.\n"
    );
    fs::write(dir.join("PROVENANCE.md"), &provenance).unwrap();
    Corpus {
        dir,
        items,
        downloaded_bytes,
        provenance,
    }
}

/// The songs of the packages, whole, as they ship (Vorbis) or rendered (the MIDI song, 44.1 kHz
/// stereo WAV): the material of the tonal-advice tests. Built into the same folder as
/// [`build`]'s corpus, sharing its downloads; returns (name, path), sorted by name.
pub fn build_songs(target: &Path) -> Vec<(String, PathBuf)> {
    let _building = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = target.join(format!("real-recordings/v{CORPUS_VERSION}"));
    let files = dir.join("files");
    fs::create_dir_all(&files).unwrap();
    fetch(&dir);
    let pkgs = dir.join("pkgs");
    let mut songs = Vec::new();
    for (package, folder, names) in SONGS {
        for name in *names {
            let out = files.join(format!("song-{package}-{name}"));
            let from = pkgs.join(folder).join(name);
            once(&out, |tmp| {
                fs::copy(&from, tmp).unwrap();
            });
            songs.push((format!("{package}/{name}"), out));
        }
    }
    let midi = files.join("midi-mix.wav");
    let score = pkgs.join(OPENMSX).join(MIDI_SONG);
    once(&midi, |tmp| {
        run(timidity_to(tmp).arg(&score));
    });
    songs.push((format!("openttd-openmsx/{MIDI_SONG} (timidity)"), midi));
    songs.sort();
    songs
}

/// timidity rendering with Debian's freepats at 44.1 kHz into the 16-bit WAV `out` (the
/// score is added by the caller).
fn timidity_to(out: &Path) -> Command {
    let mut command = Command::new("timidity");
    command
        .args([
            "-c",
            "/etc/timidity/freepats.cfg",
            "-s",
            "44100",
            "-OwS",
            "-o",
        ])
        .arg(out);
    command
}

/// The packages' songs: (short name, folder in the packages, files).
const SONGS: &[(&str, &str, &[&str])] = &[
    (
        "noiz2sa",
        NOIZ2SA,
        &[
            "stg0.ogg",
            "stg00.ogg",
            "stg1.ogg",
            "stg2.ogg",
            "stg3.ogg",
            "stg4.ogg",
            "stg5.ogg",
        ],
    ),
    ("a7xpg", A7XPG, &["bgm1.ogg", "bgm2.ogg", "bgm3.ogg"]),
];

/// Sets a WAV file's RIFF and data lengths to 0, as a writer that cannot seek back leaves them.
fn clear_wav_lengths(path: &Path) {
    let mut bytes = fs::read(path).unwrap();
    bytes[4..8].copy_from_slice(&0u32.to_le_bytes());
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        if &bytes[pos..pos + 4] == b"data" {
            bytes[pos + 4..pos + 8].copy_from_slice(&0u32.to_le_bytes());
            fs::write(path, bytes).unwrap();
            return;
        }
        pos += 8 + size + (size & 1);
    }
    panic!("{path:?} has no data chunk");
}

/// Sets a WAVE_FORMAT_EXTENSIBLE file's channel mask to 0 ("no positions given").
fn clear_channel_mask(path: &Path) {
    let mut bytes = fs::read(path).unwrap();
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        if &bytes[pos..pos + 4] == b"fmt " {
            let format_tag = u16::from_le_bytes([bytes[pos + 8], bytes[pos + 9]]);
            assert!(
                format_tag == 0xFFFE && size >= 40,
                "{path:?} is not WAVE_FORMAT_EXTENSIBLE"
            );
            bytes[pos + 8 + 20..pos + 8 + 24].copy_from_slice(&0u32.to_le_bytes());
            fs::write(path, bytes).unwrap();
            return;
        }
        pos += 8 + size + (size & 1);
    }
    panic!("{path:?} has no fmt chunk");
}
