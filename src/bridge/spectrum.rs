//! The spectrum: two triple buffers, each holding fixed-size arrays allocated here (so
//! publishing only copies): the latest display frame with the per-bin maximum of every frame
//! since the editor last read one ([`SpectrumFrame`]: no peak is lost whatever the frame rate),
//! and the long-term average ([`LongTermFrame`]). Both are published only while the editor is
//! open.

use crate::meter::spectrum::{MAX_FFT_SIZE, SpectrumAnalyzer};

/// Bins of the largest spectrum frame.
pub const MAX_BINS: usize = MAX_FFT_SIZE / 2 + 1;

/// One display frame of the spectrum. Written by the audio thread, read by the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumFrame {
    pub fft_size: usize,
    pub sample_rate_hz: f64,
    /// Bins in use (`fft_size / 2 + 1`) of the arrays below.
    pub bins: usize,
    /// Power per bin of the latest frame, linear (a bin-centred full-scale sine reads 1).
    pub power: Box<[f32]>,
    /// Per-bin maximum of every frame since the editor's previous read, linear.
    pub peak: Box<[f32]>,
    /// Frames since the analyzer was reset (0: no frame yet).
    pub generation: u64,
}

/// The long-term average spectrum. Written by the audio thread, read by the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct LongTermFrame {
    pub fft_size: usize,
    pub sample_rate_hz: f64,
    pub bins: usize,
    /// Mean power per bin, linear.
    pub power: Box<[f32]>,
    /// Frames averaged (0: no value yet) and the seconds of audio they cover.
    pub frames: u64,
    pub covered_s: f64,
    /// Incremented by each publish.
    pub generation: u64,
}

/// A zeroed array that is already mapped (written once), so its first use on the audio thread
/// does not page-fault.
fn touched(len: usize) -> Box<[f32]> {
    let mut array = vec![0.0f32; len].into_boxed_slice();
    array.fill(0.0);
    array
}

impl Default for SpectrumFrame {
    fn default() -> Self {
        Self {
            fft_size: 0,
            sample_rate_hz: 0.0,
            bins: 0,
            power: touched(MAX_BINS),
            peak: touched(MAX_BINS),
            generation: 0,
        }
    }
}

impl Default for LongTermFrame {
    fn default() -> Self {
        Self {
            fft_size: 0,
            sample_rate_hz: 0.0,
            bins: 0,
            power: touched(MAX_BINS),
            frames: 0,
            covered_s: 0.0,
            generation: 0,
        }
    }
}

/// Both ends.
pub(super) fn channel() -> (SpectrumWriter, SpectrumReader) {
    let (spectrum_in, spectrum_out) = triple_buffer::triple_buffer(&SpectrumFrame::default());
    let (long_term_in, long_term_out) = triple_buffer::triple_buffer(&LongTermFrame::default());
    (
        SpectrumWriter {
            spectrum: spectrum_in,
            long_term: long_term_in,
            unread_peak: touched(MAX_BINS),
            unread_fft_size: 0,
            published_display: (0, 0),
            copying: None,
            published_long_term: u64::MAX,
            long_term_generation: 0,
        },
        SpectrumReader {
            spectrum: spectrum_out,
            long_term: long_term_out,
        },
    )
}

/// Audio-thread end.
pub(super) struct SpectrumWriter {
    spectrum: triple_buffer::Input<SpectrumFrame>,
    long_term: triple_buffer::Input<LongTermFrame>,
    /// Per-bin maximum of the display frames published since the editor last read one, and
    /// the frame size it belongs to.
    unread_peak: Box<[f32]>,
    unread_fft_size: usize,
    /// The display frame last published (the analyzer's display epoch and frame count) and
    /// the long-term frame count last published.
    published_display: (u64, u64),
    /// The display frame being copied into the input buffer a chunk per call: its count,
    /// the bins done, and whether its peak starts over (the editor read the last one).
    copying: Option<Copying>,
    published_long_term: u64,
    long_term_generation: u64,
}

impl SpectrumWriter {
    /// Publishes the analyzer's newest display frame (if there is one the editor has not been
    /// sent) and the long-term average (when it changed, or always with `force_long_term`).
    pub(super) fn publish(&mut self, analyzer: &mut SpectrumAnalyzer, force_long_term: bool) {
        if let Some((_, count)) = analyzer.display_frame() {
            let frame = (analyzer.display_epoch(), count);
            if frame != self.published_display {
                self.copy_display(analyzer, frame);
            }
        }
        let long_term = analyzer.long_term();
        if long_term.frames != self.published_long_term || force_long_term {
            self.published_long_term = long_term.frames;
            self.long_term_generation += 1;
            let bins = long_term.bins().min(MAX_BINS);
            let frame = self.long_term.input_buffer_mut();
            frame.fft_size = long_term.fft_size;
            frame.sample_rate_hz = long_term.sample_rate_hz;
            frame.bins = bins;
            long_term.mean_powers_into(&mut frame.power[..bins]);
            frame.frames = long_term.frames;
            frame.covered_s = long_term.covered_s();
            frame.generation = self.long_term_generation;
            self.long_term.publish();
        }
    }
}

/// A display frame on its way into the triple buffer's input (see
/// [`SpectrumWriter::copy_display`]).
#[derive(Debug, Clone, Copy)]
struct Copying {
    /// The analyzer's display epoch and frame count.
    frame: (u64, u64),
    fft_size: usize,
    done: usize,
    fresh_peak: bool,
}

/// Bins of a display frame copied per call: a 32768-point frame (16385 bins) in four calls.
/// Before these chunks, the copy and the peak's four passes over 16385 bins ran in one call and
/// were the slowest calls but one at 192 kHz.
pub const COPY_CHUNK: usize = 4097;

/// Calls between display frames below which a frame is copied whole (see
/// [`SpectrumWriter::copy_display`]).
pub const MIN_CALLS_TO_CHUNK: usize = 24;

impl SpectrumWriter {
    /// Copies display frame `frame` (epoch, count) into the input buffer, [`COPY_CHUNK`] bins
    /// per call, and publishes it with the last chunk.
    ///
    /// The analyzer cannot overwrite the frame before the copy ends, given that this runs
    /// after every `process` call of the analyzer while display frames are on (the plugin's
    /// `process` does both, `SpectrumAnalyzer::process` once per call):
    /// - The copy starts in the call that finishes the frame. That is at the latest the call
    ///   that captures the next frame, which runs at most the next frame's first step.
    /// - The analyzer runs one step per call unless a frame is due before its steps have run,
    ///   and then it finishes the whole frame in that call (the count changes, see below).
    /// - A frame copied in more than one chunk has 16384 or 32768 points, two blocks or more:
    ///   its first power step, the first to write the frame's power, is its seventh step or
    ///   later (the fifth with one block, but those frames have at most 4097 bins, one chunk).
    ///   The copy of 16385 bins ends in its fourth call.
    ///
    /// `chunked_copies_publish_whole_frames` checks every published frame against a second
    /// analyzer at 48 and 192 kHz, at block sizes from 64 to 20000 frames. A newer frame
    /// finished during a copy (calls of thousands of frames) is copied whole in that call, the
    /// bins copied so far keeping the older frame's peak. A copy from before the display
    /// started over (reset, another size) is dropped.
    fn copy_display(&mut self, analyzer: &mut SpectrumAnalyzer, key: (u64, u64)) {
        let fft_size = analyzer.display_size().unwrap_or(0);
        let bins = (fft_size / 2 + 1).min(MAX_BINS);
        self.copying = self
            .copying
            .filter(|c| c.frame.0 == key.0 && c.fft_size == fft_size);
        let copying = match self.copying {
            Some(copying) if copying.frame == key => copying,
            // A newer frame: the bins done so far already hold the peak up to the older one.
            Some(older) => Copying {
                frame: key,
                fft_size,
                done: 0,
                fresh_peak: older.fresh_peak,
            },
            None => Copying {
                frame: key,
                fft_size,
                done: 0,
                fresh_peak: self.spectrum.consumed() || self.unread_fft_size != fft_size,
            },
        };
        // The editor may read the last frame published while this one is being copied: the
        // bins not yet copied then start over too (those done keep the maximum, so a peak it
        // has seen can show once more, but none is lost).
        let copying = Copying {
            fresh_peak: copying.fresh_peak || self.spectrum.consumed(),
            ..copying
        };
        let superseded = self.copying.is_some_and(|c| c.frame != key);
        // In chunks only when frames are far apart in calls (192 kHz in 64- or 128-frame
        // calls, 48 kHz in 64): with frames a few calls apart, every copy would still be
        // under way when the editor reads, the first chunk always decided before the read,
        // and the peak of those bins would never start over.
        let whole = superseded || analyzer.display_calls() < MIN_CALLS_TO_CHUNK;
        let end = if whole {
            bins
        } else {
            (copying.done + COPY_CHUNK).min(bins)
        };
        let Some((power, _)) = analyzer.display_frame() else {
            return;
        };
        let frame = self.spectrum.input_buffer_mut();
        let peak = analyzer.display_peak();
        let mut take = |range: std::ops::Range<usize>, fresh: bool| {
            let (unread, peak) = (&mut self.unread_peak[range.clone()], &peak[range]);
            if fresh {
                unread.copy_from_slice(peak);
            } else {
                max_into(unread, peak);
            }
        };
        if superseded {
            // The bins the older copy did keep the maximum; the rest follow its decision.
            let older = self.copying.map_or(0, |c| c.done).min(bins);
            take(0..older, false);
            take(older..bins, copying.fresh_peak);
        } else {
            take(copying.done..end, copying.fresh_peak);
        }
        let range = if superseded {
            0..bins
        } else {
            copying.done..end
        };
        frame.power[range.clone()].copy_from_slice(&power[range.clone()]);
        frame.peak[range.clone()].copy_from_slice(&self.unread_peak[range.clone()]);
        analyzer.clear_display_peak_range(range);
        if end < bins {
            self.copying = Some(Copying {
                done: end,
                ..copying
            });
            return;
        }
        frame.fft_size = fft_size;
        frame.sample_rate_hz = analyzer.sample_rate_hz();
        frame.bins = bins;
        frame.generation = key.1;
        self.unread_fft_size = fft_size;
        self.spectrum.publish();
        self.published_display = key;
        self.copying = None;
    }
}

fn max_into(to: &mut [f32], from: &[f32]) {
    for (t, &f) in to.iter_mut().zip(from) {
        *t = t.max(f);
    }
}

/// Editor end.
pub(super) struct SpectrumReader {
    spectrum: triple_buffer::Output<SpectrumFrame>,
    long_term: triple_buffer::Output<LongTermFrame>,
}

impl SpectrumReader {
    pub(super) fn both(&mut self) -> (&SpectrumFrame, &LongTermFrame) {
        self.spectrum.update();
        self.long_term.update();
        (
            self.spectrum.output_buffer(),
            self.long_term.output_buffer(),
        )
    }

    pub(super) fn display(&mut self) -> (&SpectrumFrame, bool) {
        let fresh = self.spectrum.update();
        (self.spectrum.output_buffer(), fresh)
    }

    pub(super) fn long_term(&mut self) -> (&LongTermFrame, bool) {
        let fresh = self.long_term.update();
        (self.long_term.output_buffer(), fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At 48 kHz (two blocks, where the margin is least) and 192 kHz (eight), for 16384- and
    /// 32768-point frames, at every block size: each published display frame is one whole frame
    /// of the analyzer (compared with a second analyzer fed the same audio), its peak holds
    /// every frame since the editor's previous read (read every 37 calls) and none older than
    /// the read before (a read landing mid-copy can leave a peak counted twice, never lost),
    /// the copies of large frames really run over several calls, and a reset or a size change
    /// in the middle of a copy publishes nothing stale.
    #[test]
    fn chunked_copies_publish_whole_frames() {
        let mut seed = 1u32;
        let audio: Vec<f32> = (0..192_000)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1 << 24) as f32 - 0.5
            })
            .collect();
        for (rate, size) in [(48_000.0, 32_768), (48_000.0, 16_384), (192_000.0, 32_768)] {
            for block in [64, 100, 512, 4096, 20_000] {
                check_copies(rate, size, block, &audio);
            }
        }
    }

    fn check_copies(rate: f64, size: usize, block: usize, audio: &[f32]) {
        let case = format!("{rate} Hz, {size} points, blocks of {block}");
        let (mut writer, mut reader) = channel();
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
        let mut reference = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
        analyzer.set_display_size(Some(size));
        reference.set_display_size(Some(size));
        // Every frame the reference finished since its reset, by count.
        let mut frames: Vec<(u64, Vec<f32>)> = Vec::new();
        let (mut last_read, mut read_before) = (0, 0);
        let (mut published, mut calls_mid_copy, mut upsets) = (0, 0, 0);
        for (call, chunk) in audio.chunks(block).enumerate() {
            analyzer.process(&[chunk]);
            reference.process(&[chunk]);
            if let Some((power, count)) = reference.display_frame()
                && frames.last().is_none_or(|(c, _)| *c != count)
            {
                frames.push((count, power.to_vec()));
            }
            writer.publish(&mut analyzer, false);
            if writer.copying.is_some() {
                calls_mid_copy += 1;
                // Twice, a reset, then a change of size and back, in the middle of a copy.
                if [20, 60].contains(&calls_mid_copy) {
                    upsets += 1;
                    if upsets == 1 {
                        analyzer.reset();
                        reference.reset();
                    } else {
                        for a in [&mut analyzer, &mut reference] {
                            a.set_display_size(Some(2048));
                            a.set_display_size(Some(size));
                        }
                    }
                    // What was published before the upset is read; nothing stale follows.
                    let _ = reader.display();
                    frames.clear();
                    (last_read, read_before) = (0, 0);
                }
            }
            // Reads every 37 calls (every call with the largest blocks, few calls long).
            if block < 4096 && call % 37 != 0 {
                continue;
            }
            let (frame, fresh) = reader.display();
            if !fresh {
                continue;
            }
            published += 1;
            let (_, expected) = frames
                .iter()
                .find(|(c, _)| *c == frame.generation)
                .unwrap_or_else(|| panic!("{case}: frame {} unknown", frame.generation));
            assert_eq!(frame.bins, size / 2 + 1, "{case}");
            assert!(
                frame.power[..frame.bins] == expected[..],
                "{case}: frame {} mixed",
                frame.generation
            );
            // With at most one frame per call every frame is seen, and the peak is exact.
            if block < size / 8 {
                let peak_since = |read: u64| {
                    let mut peak = vec![0.0f32; frame.bins];
                    for (_, power) in frames
                        .iter()
                        .filter(|(c, _)| (read + 1..=frame.generation).contains(c))
                    {
                        for (p, &x) in peak.iter_mut().zip(power) {
                            *p = p.max(x);
                        }
                    }
                    peak
                };
                let (least, most) = (peak_since(last_read), peak_since(read_before));
                for k in 0..frame.bins {
                    assert!(
                        least[k] <= frame.peak[k] && frame.peak[k] <= most[k],
                        "{case}: frame {}, bin {k}: peak {} outside {}..{}",
                        frame.generation,
                        frame.peak[k],
                        least[k],
                        most[k]
                    );
                }
            }
            for k in 0..frame.bins {
                assert!(frame.peak[k] >= frame.power[k], "{case}, bin {k}");
            }
            (read_before, last_read) = (last_read, frame.generation);
        }
        assert!(published >= 3, "{case}: {published} frames");
        if block == 64 {
            // Two or four chunks a frame: a call or more with each copy under way.
            assert!(calls_mid_copy >= published, "{case}");
            assert_eq!(upsets, 2, "{case}");
        }
    }
}
