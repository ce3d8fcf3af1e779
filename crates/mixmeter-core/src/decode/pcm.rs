//! Interleaved little-endian PCM to planar `f32`, read straight from the file in large blocks:
//! the audio of WAV (RIFF, after symphonia has read its header), RF64/BW64 and Wave64.
//!
//! Why not symphonia's own path for WAV: it hands out packets of 1152 frames, decodes each
//! into its own buffer and converts that into the caller's planes, which cost a third of the
//! analyzer's time on a 24-bit file (`docs/performance.md`). Here one read fills a block of
//! [`BLOCK_FRAMES`] frames and each channel is converted once, into planes the caller owns.
//!
//! The conversions are symphonia 0.6's own (`symphonia_core::audio::conv`): 8-bit is unsigned
//! with its midpoint at 128, 16 and 24 bit divide by 2^15 and 2^23 in `f32`, 32 bit divides
//! by 2^31 in `f64` and rounds to `f32`, 64-bit float rounds to `f32`. So a file reads bit for
//! bit as symphonia reads it (tested against it for every format). A trailing partial frame
//! (a data length that is not a whole number of frames, or a file cut inside a frame) is not
//! read, as symphonia does not. Big-endian PCM (AIFF) and companded formats stay with
//! symphonia.

use super::DecodeError;
use crate::meter::Kernel;
#[cfg(target_arch = "x86_64")]
use crate::meter::Variant;
use std::io::Read;

#[cfg(target_arch = "x86_64")]
mod avx2;

/// Frames converted per block handed to the caller. Large enough that the per-block costs
/// (a read call, a channel send between threads, a call into each meter) vanish; small enough
/// that the blocks in flight between the analysis threads stay a few megabytes.
pub const BLOCK_FRAMES: usize = 16_384;
/// The raw bytes of one block at most (16 384 frames of 8 channels of 64-bit floats), so a
/// damaged header claiming thousands of channels cannot ask for gigabytes: such a file reads
/// in shorter blocks.
const MAX_BLOCK_BYTES: usize = 1 << 20;

/// One stored sample format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    U8,
    I16,
    I24,
    I32,
    F32,
    F64,
}

impl Sample {
    /// Bytes per stored sample.
    pub fn bytes(self) -> usize {
        match self {
            Sample::U8 => 1,
            Sample::I16 => 2,
            Sample::I24 => 3,
            Sample::I32 | Sample::F32 => 4,
            Sample::F64 => 8,
        }
    }

    /// The codec's name, as symphonia names it.
    pub fn codec(self) -> &'static str {
        match self {
            Sample::U8 => "pcm_u8",
            Sample::I16 => "pcm_s16le",
            Sample::I24 => "pcm_s24le",
            Sample::I32 => "pcm_s32le",
            Sample::F32 => "pcm_f32le",
            Sample::F64 => "pcm_f64le",
        }
    }

    /// The format of a symphonia codec name, for the little-endian PCM codecs read here.
    pub fn from_codec(codec: &str) -> Option<Sample> {
        [
            Sample::U8,
            Sample::I16,
            Sample::I24,
            Sample::I32,
            Sample::F32,
            Sample::F64,
        ]
        .into_iter()
        .find(|s| s.codec() == codec)
    }

    /// Converts the interleaved frames of `bytes` into one plane per channel.
    fn convert(self, bytes: &[u8], planes: &mut [Vec<f32>], kernel: Kernel) {
        match self {
            Sample::U8 => deinterleave::<1>(bytes, planes, |[b]| b as f32 / 128.0 - 1.0),
            Sample::I16 => {
                deinterleave::<2>(bytes, planes, |b| i16::from_le_bytes(b) as f32 / 32_768.0)
            }
            Sample::I24 => {
                #[cfg(target_arch = "x86_64")]
                if let ([left, right], Variant::Avx2Fma | Variant::Avx512) =
                    (&mut *planes, kernel.variant())
                {
                    let frames = bytes.len() / 6;
                    left.resize(frames, 0.0);
                    right.resize(frames, 0.0);
                    // SAFETY: these kernels are only selected when the CPU has AVX2 (Kernel::detect).
                    let done = unsafe { avx2::i24_stereo(bytes, left, right) };
                    stereo::<3>(
                        &bytes[done * 6..],
                        &mut left[done..],
                        &mut right[done..],
                        i24,
                    );
                    return;
                }
                let _ = kernel;
                deinterleave::<3>(bytes, planes, i24)
            }
            Sample::I32 => deinterleave::<4>(bytes, planes, |b| {
                (i32::from_le_bytes(b) as f64 / 2_147_483_648.0) as f32
            }),
            Sample::F32 => deinterleave::<4>(bytes, planes, f32::from_le_bytes),
            Sample::F64 => deinterleave::<8>(bytes, planes, |b| f64::from_le_bytes(b) as f32),
        }
    }
}

/// A 24-bit sample: sign-extended, over 2^23.
#[inline(always)]
fn i24([b0, b1, b2]: [u8; 3]) -> f32 {
    (i32::from_le_bytes([0, b0, b1, b2]) >> 8) as f32 / 8_388_608.0
}

/// Interleaved frames of `WIDTH`-byte samples into one plane per channel, through `read`.
/// Monomorphized per sample width, and stereo (the common case) in one pass over both
/// channels, so the loops keep no bounds checks.
#[inline(always)]
fn deinterleave<const WIDTH: usize>(
    bytes: &[u8],
    planes: &mut [Vec<f32>],
    read: impl Fn([u8; WIDTH]) -> f32,
) {
    if let [left, right] = planes {
        let frames = bytes.len() / (2 * WIDTH);
        left.resize(frames, 0.0);
        right.resize(frames, 0.0);
        stereo::<WIDTH>(bytes, left, right, read);
        return;
    }
    let stride = WIDTH * planes.len();
    for (channel, plane) in planes.iter_mut().enumerate() {
        plane.clear();
        plane.extend(
            bytes
                .chunks_exact(stride)
                .map(|frame| read(sample(frame, channel * WIDTH))),
        );
    }
}

/// Interleaved stereo frames into `left` and `right` (as long as the frames).
#[inline(always)]
fn stereo<const WIDTH: usize>(
    bytes: &[u8],
    left: &mut [f32],
    right: &mut [f32],
    read: impl Fn([u8; WIDTH]) -> f32,
) {
    for ((frame, l), r) in bytes
        .chunks_exact(2 * WIDTH)
        .zip(left.iter_mut())
        .zip(right.iter_mut())
    {
        *l = read(sample(frame, 0));
        *r = read(sample(frame, WIDTH));
    }
}

/// The `WIDTH` bytes of `frame` from `offset`.
#[inline(always)]
fn sample<const WIDTH: usize>(frame: &[u8], offset: usize) -> [u8; WIDTH] {
    let mut raw = [0u8; WIDTH];
    raw.copy_from_slice(&frame[offset..offset + WIDTH]);
    raw
}

/// Reads the PCM audio of one stream, block by block.
pub struct PcmReader {
    sample: Sample,
    channels: usize,
    /// Bytes of audio the header promises that are still to be read (`u64::MAX`: until the
    /// file ends).
    remaining: u64,
    source: Box<dyn Read + Send + Sync>,
    /// The raw bytes of one block, allocated at the first read.
    bytes: Vec<u8>,
    /// The conversion kernels ([`Kernel::detect`]: AVX2 where the CPU has it).
    kernel: Kernel,
}

impl std::fmt::Debug for PcmReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcmReader")
            .field("sample", &self.sample)
            .field("channels", &self.channels)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl PcmReader {
    /// A reader of `channels` interleaved channels of `sample` from `source`, positioned at
    /// the start of the audio; `data_len` is the audio's length in bytes as the header states
    /// it (`None`: until the file ends).
    pub fn new(
        sample: Sample,
        channels: usize,
        data_len: Option<u64>,
        source: Box<dyn Read + Send + Sync>,
    ) -> PcmReader {
        PcmReader {
            sample,
            channels,
            remaining: data_len.unwrap_or(u64::MAX),
            source,
            bytes: Vec::new(),
            kernel: Kernel::detect(),
        }
    }

    /// Reads the next block into `planes` (one plane per channel, each replaced by the block's
    /// samples). `Ok(false)` once the stated data or the file has ended.
    pub fn next_into(&mut self, planes: &mut Vec<Vec<f32>>) -> Result<bool, DecodeError> {
        let frame_bytes = self.sample.bytes() * self.channels;
        if frame_bytes == 0 {
            return Ok(false);
        }
        if self.bytes.is_empty() {
            let frames = (MAX_BLOCK_BYTES / frame_bytes).clamp(1, BLOCK_FRAMES);
            self.bytes = vec![0u8; frames * frame_bytes];
        }
        let want = (self.bytes.len() as u64).min(self.remaining) as usize;
        let mut filled = 0;
        while filled < want {
            match self.source.read(&mut self.bytes[filled..want]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        if filled < want {
            // The file ended early: nothing more to read, whatever the header says.
            self.remaining = 0;
        } else if self.remaining != u64::MAX {
            self.remaining -= filled as u64;
        }
        let frames = filled / frame_bytes;
        if frames == 0 {
            self.remaining = 0;
            return Ok(false);
        }
        let bytes = &self.bytes[..frames * frame_bytes];
        planes.resize_with(self.channels, Vec::new);
        self.sample.convert(bytes, planes, self.kernel);
        Ok(true)
    }
}

/// `len` bytes of xorshift noise from `seed` (tests of the readers: every byte value in every
/// position).
#[cfg(test)]
pub(crate) fn noise_bytes(seed: u32, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_all(
        sample: Sample,
        channels: usize,
        data_len: Option<u64>,
        bytes: Vec<u8>,
    ) -> Vec<Vec<f32>> {
        let mut reader = PcmReader::new(sample, channels, data_len, Box::new(Cursor::new(bytes)));
        let mut out = vec![Vec::new(); channels];
        let mut planes = Vec::new();
        while reader.next_into(&mut planes).unwrap() {
            for (o, p) in out.iter_mut().zip(&planes) {
                o.extend_from_slice(p);
            }
        }
        out
    }

    #[test]
    fn every_format_converts_as_symphonia_does() {
        // Full scale, the smallest steps and zero, per format.
        let cases: [(Sample, Vec<u8>, [f32; 3]); 6] = [
            (Sample::U8, vec![0, 255, 128], [-1.0, 127.0 / 128.0, 0.0]),
            (
                Sample::I16,
                [i16::MIN, 1, -1]
                    .iter()
                    .flat_map(|s| s.to_le_bytes())
                    .collect(),
                [-1.0, 1.0 / 32_768.0, -1.0 / 32_768.0],
            ),
            (
                Sample::I24,
                vec![0, 0, 0x80, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF],
                [-1.0, 8_388_607.0 / 8_388_608.0, -1.0 / 8_388_608.0],
            ),
            (
                Sample::I32,
                [i32::MIN, i32::MAX, 0]
                    .iter()
                    .flat_map(|s| s.to_le_bytes())
                    .collect(),
                [-1.0, 1.0, 0.0],
            ),
            (
                Sample::F32,
                [0.25f32, -2.0, 1e-3]
                    .iter()
                    .flat_map(|s| s.to_le_bytes())
                    .collect(),
                [0.25, -2.0, 1e-3],
            ),
            (
                Sample::F64,
                [0.1f64, 1.5, -3.0]
                    .iter()
                    .flat_map(|s| s.to_le_bytes())
                    .collect(),
                [0.1, 1.5, -3.0],
            ),
        ];
        for (sample, bytes, expected) in cases {
            assert_eq!(
                read_all(sample, 1, None, bytes),
                vec![expected.to_vec()],
                "{sample:?}"
            );
        }
    }

    #[test]
    fn the_avx2_kernel_equals_the_portable_loop_bit_for_bit() {
        let Some(avx2) = Kernel::avx2_fma() else {
            eprintln!("no AVX2 on this CPU: only the portable loop runs");
            return;
        };
        // Every byte value in every position, lengths around the 8-frame step and a partial
        // frame at the end.
        let bytes = noise_bytes(0x2545_f491, 6 * 1000 + 5);
        for frames in [0, 1, 7, 8, 9, 15, 16, 17, 63, 999, 1000] {
            let len = (frames * 6 + 5).min(bytes.len());
            let mut fast = vec![Vec::new(); 2];
            let mut portable = vec![vec![9.0; 3]; 2];
            Sample::I24.convert(&bytes[..len], &mut fast, avx2);
            Sample::I24.convert(&bytes[..len], &mut portable, Kernel::PORTABLE);
            assert_eq!(fast[0].len(), len / 6);
            for (f, p) in fast.iter().zip(&portable) {
                let bits = |v: &Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(f), bits(p), "{frames} frames");
            }
        }
        // Full scale both ways.
        let extremes = [0, 0, 0x80, 0xFF, 0xFF, 0x7F].repeat(9);
        let mut planes = vec![Vec::new(); 2];
        Sample::I24.convert(&extremes, &mut planes, avx2);
        assert!(planes[0].iter().all(|&l| l == -1.0));
        assert!(planes[1].iter().all(|&r| r == 8_388_607.0 / 8_388_608.0));
    }

    #[test]
    fn channels_are_deinterleaved_across_blocks_and_the_stated_length_is_kept() {
        let frames = BLOCK_FRAMES * 2 + 5;
        let value = |n: usize| (n % 30_000) as i16;
        let bytes: Vec<u8> = (0..frames)
            .flat_map(|n| [value(n), -value(n)].into_iter().flat_map(i16::to_le_bytes))
            .collect();
        let planes = read_all(Sample::I16, 2, None, bytes.clone());
        assert_eq!((planes[0].len(), planes[1].len()), (frames, frames));
        for n in [0, 1, BLOCK_FRAMES - 1, BLOCK_FRAMES, frames - 1] {
            assert_eq!(planes[0][n], value(n) as f32 / 32_768.0);
            assert_eq!(planes[1][n], -(value(n) as f32) / 32_768.0);
        }
        // A damaged header's thousands of channels read in short blocks (no gigabyte buffer).
        let many = read_all(Sample::F64, 65_535, None, vec![0; 65_535 * 8 * 3]);
        assert_eq!((many.len(), many[65_534].len()), (65_535, 3));
        // Three channels take the general path.
        let planes = read_all(Sample::I16, 3, None, bytes[..6 * 5].to_vec());
        assert_eq!(
            planes[2],
            [1.0, -2.0, 4.0, -5.0, 7.0].map(|v: f32| v / 32_768.0)
        );
        // A stated length ends the audio before the file does (a chunk after the data), and a
        // partial frame at the end is not read.
        let planes = read_all(Sample::I16, 2, Some(4 * 1000 + 3), bytes.clone());
        assert_eq!(planes[0].len(), 1000);
        let planes = read_all(Sample::I16, 2, None, bytes[..4 * 7 + 2].to_vec());
        assert_eq!((planes[0].len(), planes[1].len()), (7, 7));
    }
}
