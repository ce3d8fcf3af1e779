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
            published_display: 0,
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
    /// Display frame count and long-term frame count last published.
    published_display: u64,
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
        if let Some((_, count)) = analyzer.display_frame()
            && count != self.published_display
        {
            self.copy_display(analyzer, count);
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
    count: u64,
    fft_size: usize,
    done: usize,
    fresh_peak: bool,
}

/// Bins of a display frame copied per call: a 32768-point frame (16385 bins) in four calls.
/// Before these chunks, the copy and the peak's four passes over 16385 bins ran in one call and
/// were the slowest calls but one at 192 kHz.
pub const COPY_CHUNK: usize = 4097;

impl SpectrumWriter {
    /// Copies display frame `count` into the input buffer, [`COPY_CHUNK`] bins per call, and
    /// publishes it with the last chunk. This is safe because the analyzer's next frame cannot
    /// overwrite the frame before the copy is done: the copy starts at the call that finishes
    /// the frame, no later than the call that captures the next one, and the next frame's
    /// first power step (which overwrites it) is at least its sixth step, one step per call,
    /// while a 32768-point frame is copied in four calls (`chunked_copies_publish_whole_frames`
    /// checks it at every block size). A newer frame finished during a copy (calls of
    /// thousands of frames) is copied whole in that call, the bins copied so far keeping the
    /// older frame's peak.
    fn copy_display(&mut self, analyzer: &mut SpectrumAnalyzer, count: u64) {
        let fft_size = analyzer.display_size().unwrap_or(0);
        let bins = (fft_size / 2 + 1).min(MAX_BINS);
        // A copy of another frame size (the display size changed mid-copy) is dropped.
        self.copying = self.copying.filter(|c| c.fft_size == fft_size);
        let copying = match self.copying {
            Some(copying) if copying.count == count => copying,
            // A newer frame: the bins done so far already hold the peak up to the older one.
            Some(older) => Copying {
                count,
                fft_size,
                done: 0,
                fresh_peak: false,
            }
            .resumed_from(older),
            None => Copying {
                count,
                fft_size,
                done: 0,
                fresh_peak: self.spectrum.consumed() || self.unread_fft_size != fft_size,
            },
        };
        let superseded = self.copying.is_some_and(|c| c.count != count);
        let end = if superseded {
            bins
        } else {
            (copying.done + COPY_CHUNK).min(bins)
        };
        let Some((power, _)) = analyzer.display_frame() else {
            return;
        };
        let frame = self.spectrum.input_buffer_mut();
        if superseded {
            // The bins the older copy did keep the maximum; the rest follow its decision.
            let older = self.copying.map_or(0, |c| c.done).min(bins);
            let peak = analyzer.display_peak();
            max_into(&mut self.unread_peak[..older], &peak[..older]);
            if copying.fresh_peak {
                self.unread_peak[older..bins].copy_from_slice(&peak[older..bins]);
            } else {
                max_into(&mut self.unread_peak[older..bins], &peak[older..bins]);
            }
        } else {
            let range = copying.done..end;
            let peak = &analyzer.display_peak()[range.clone()];
            if copying.fresh_peak {
                self.unread_peak[range.clone()].copy_from_slice(peak);
            } else {
                max_into(&mut self.unread_peak[range.clone()], peak);
            }
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
        frame.generation = count;
        self.unread_fft_size = fft_size;
        self.spectrum.publish();
        self.published_display = count;
        self.copying = None;
    }
}

impl Copying {
    /// A copy of a newer frame taking over from `older`'s: its peak decision stands for the
    /// bins `older` had not reached.
    fn resumed_from(self, older: Copying) -> Self {
        Copying {
            fresh_peak: older.fresh_peak,
            ..self
        }
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

    /// At every block size, each published display frame is one whole frame of the analyzer
    /// (compared with a second analyzer fed the same audio), its peak covers it, and at
    /// 64-frame calls the 32768-point frames really are copied over several calls.
    #[test]
    fn chunked_copies_publish_whole_frames() {
        let rate = 192_000.0;
        let mut seed = 1u32;
        let audio: Vec<f32> = (0..rate as usize)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1 << 24) as f32 - 0.5
            })
            .collect();
        for block in [64, 100, 512, 4096, 20_000] {
            let (mut writer, mut reader) = channel();
            let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
            let mut reference = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
            analyzer.set_display_size(Some(MAX_FFT_SIZE));
            reference.set_display_size(Some(MAX_FFT_SIZE));
            let mut frames: Vec<(u64, Vec<f32>)> = Vec::new();
            let (mut published, mut calls_mid_copy) = (0, 0);
            for chunk in audio.chunks(block) {
                analyzer.process(&[chunk]);
                reference.process(&[chunk]);
                if let Some((power, count)) = reference.display_frame()
                    && frames.last().is_none_or(|(c, _)| *c != count)
                {
                    frames.push((count, power.to_vec()));
                }
                writer.publish(&mut analyzer, false);
                calls_mid_copy += usize::from(writer.copying.is_some());
                let (frame, fresh) = reader.display();
                if !fresh {
                    continue;
                }
                published += 1;
                let (_, expected) = frames
                    .iter()
                    .find(|(c, _)| *c == frame.generation)
                    .expect("a frame the analyzer finished");
                assert_eq!(frame.bins, 16_385);
                assert!(
                    frame.power[..frame.bins] == expected[..],
                    "block {block}: frame {} mixed",
                    frame.generation
                );
                for k in 0..frame.bins {
                    assert!(frame.peak[k] >= frame.power[k], "block {block}, bin {k}");
                }
                if block == 64 {
                    // One frame per publication, every one read: its peak is itself.
                    assert!(frame.peak[..frame.bins] == frame.power[..frame.bins]);
                }
            }
            assert!(published >= 4, "block {block}: {published} frames");
            if block == 64 {
                // Four chunks per frame: three calls with a copy under way.
                assert!(calls_mid_copy >= 3 * published, "{calls_mid_copy}");
            }
        }
    }
}
