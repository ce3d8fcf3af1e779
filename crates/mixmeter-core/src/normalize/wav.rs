//! The WAV writer of `--normalize-to`: RIFF/WAVE, 32-bit float (format 3) or 16/24/32-bit
//! integer PCM (format 1) with TPDF dither, mono or stereo, written to a temporary file beside
//! the output and renamed over it when complete (a reader never sees half a file, and a failed
//! run leaves nothing behind).
//!
//! Dither: triangular (TPDF) noise of +-1 LSB peak (the sum of two independent uniform values
//! of 1/2 LSB each side) added before rounding, as for any requantization to fewer bits (it
//! decorrelates the rounding error from the signal). Samples the dither pushes past full scale
//! are clipped to it and counted ([`WavWriter::clipped`]); float output keeps everything,
//! overs included.

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The largest data chunk a RIFF file can describe.
const MAX_DATA_BYTES: u64 = u32::MAX as u64 - 36;

/// A sample format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    Float32,
    Int(u16),
}

impl Depth {
    pub fn label(self) -> String {
        match self {
            Depth::Float32 => "32-bit float".to_string(),
            Depth::Int(bits) => format!("{bits}-bit integer"),
        }
    }

    fn bytes(self) -> usize {
        match self {
            Depth::Float32 => 4,
            Depth::Int(bits) => bits as usize / 8,
        }
    }
}

#[derive(Debug)]
pub struct WavWriter {
    file: BufWriter<std::fs::File>,
    temporary: PathBuf,
    output: PathBuf,
    depth: Depth,
    channels: usize,
    data_bytes: u64,
    seed: u64,
    clipped: u64,
}

impl WavWriter {
    /// Starts `output` as a temporary file in the same folder.
    pub fn create(output: &Path, depth: Depth, rate: u32, channels: usize) -> Result<Self, String> {
        let name = output
            .file_name()
            .ok_or_else(|| format!("{}: not a file name", output.display()))?;
        let temporary = output.with_file_name(format!(
            ".{}.mixmeter-{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::File::create(&temporary)
            .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
        let mut writer = Self {
            file: BufWriter::new(file),
            temporary,
            output: output.to_path_buf(),
            depth,
            channels,
            data_bytes: 0,
            seed: 0x9E37_79B9_7F4A_7C15,
            clipped: 0,
        };
        let (tag, bits) = match depth {
            Depth::Float32 => (3u16, 32u16),
            Depth::Int(bits) => (1, bits),
        };
        let block_align = (channels * depth.bytes()) as u16;
        let mut header = Vec::with_capacity(44);
        header.extend(b"RIFF");
        header.extend(0u32.to_le_bytes());
        header.extend(b"WAVEfmt ");
        header.extend(16u32.to_le_bytes());
        header.extend(tag.to_le_bytes());
        header.extend((channels as u16).to_le_bytes());
        header.extend(rate.to_le_bytes());
        header.extend((rate * u32::from(block_align)).to_le_bytes());
        header.extend(block_align.to_le_bytes());
        header.extend(bits.to_le_bytes());
        header.extend(b"data");
        header.extend(0u32.to_le_bytes());
        writer.write(&header)?;
        Ok(writer)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.file
            .write_all(bytes)
            .map_err(|e| format!("cannot write {}: {e}", self.temporary.display()))
    }

    /// A uniform value in [0, 1) (xorshift: reproducible output).
    fn uniform(&mut self) -> f64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Writes one frame; returns the values as written (what a reader decodes), for the
    /// meter of the written file.
    pub fn frame(&mut self, frame: &[f32], written: &mut [f32]) -> Result<(), String> {
        let bytes = (self.channels * self.depth.bytes()) as u64;
        if self.data_bytes + bytes > MAX_DATA_BYTES {
            return Err(format!(
                "{}: over 4 GB of audio, more than a WAV file holds",
                self.output.display()
            ));
        }
        let mut out = [0u8; 8 * 4];
        let mut at = 0;
        for (c, &x) in frame.iter().enumerate().take(self.channels) {
            match self.depth {
                Depth::Float32 => {
                    out[at..at + 4].copy_from_slice(&x.to_le_bytes());
                    written[c] = x;
                    at += 4;
                }
                Depth::Int(bits) => {
                    let scale = (1i64 << (bits - 1)) as f64;
                    let dither = self.uniform() - self.uniform();
                    let wanted = (f64::from(x) * scale + dither).round();
                    let value = wanted.clamp(-scale, scale - 1.0);
                    self.clipped += u64::from(value != wanted);
                    let value = value as i64 as i32;
                    let n = bits as usize / 8;
                    out[at..at + n].copy_from_slice(&value.to_le_bytes()[..n]);
                    written[c] = (f64::from(value) / scale) as f32;
                    at += n;
                }
            }
        }
        self.write(&out[..at])?;
        self.data_bytes += bytes;
        Ok(())
    }

    /// Samples clipped at full scale by the integer conversion.
    pub fn clipped(&self) -> u64 {
        self.clipped
    }

    /// Completes the header and renames the file into place.
    pub fn finish(mut self) -> Result<(), String> {
        let data = self.data_bytes as u32;
        let seek = |w: &mut Self, at: u64, value: u32| -> Result<(), String> {
            w.file
                .seek(SeekFrom::Start(at))
                .map_err(|e| format!("cannot write {}: {e}", w.temporary.display()))?;
            w.write(&value.to_le_bytes())
        };
        seek(&mut self, 4, 36 + data)?;
        seek(&mut self, 40, data)?;
        self.file
            .flush()
            .map_err(|e| format!("cannot write {}: {e}", self.temporary.display()))?;
        self.file
            .get_ref()
            .sync_all()
            .map_err(|e| format!("cannot write {}: {e}", self.temporary.display()))?;
        std::fs::rename(&self.temporary, &self.output)
            .map_err(|e| format!("cannot write {}: {e}", self.output.display()))?;
        self.temporary = PathBuf::new();
        Ok(())
    }
}

impl Drop for WavWriter {
    /// An unfinished file is removed.
    fn drop(&mut self) {
        if !self.temporary.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}
