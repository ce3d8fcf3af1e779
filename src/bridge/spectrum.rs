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
    published_long_term: u64,
    long_term_generation: u64,
}

impl SpectrumWriter {
    /// Publishes the analyzer's newest display frame (if there is one the editor has not been
    /// sent) and the long-term average (when it changed, or always with `force_long_term`).
    pub(super) fn publish(&mut self, analyzer: &mut SpectrumAnalyzer, force_long_term: bool) {
        let fft_size = analyzer.display_size().unwrap_or(0);
        if let Some((power, count)) = analyzer.display_frame()
            && count != self.published_display
        {
            let bins = power.len().min(MAX_BINS);
            let peak = &analyzer.display_peak()[..bins];
            if self.spectrum.consumed() || self.unread_fft_size != fft_size {
                self.unread_peak[..bins].copy_from_slice(peak);
            } else {
                for (unread, &p) in self.unread_peak[..bins].iter_mut().zip(peak) {
                    *unread = unread.max(p);
                }
            }
            self.unread_fft_size = fft_size;
            let frame = self.spectrum.input_buffer_mut();
            frame.fft_size = fft_size;
            frame.sample_rate_hz = analyzer.sample_rate_hz();
            frame.bins = bins;
            frame.power[..bins].copy_from_slice(&power[..bins]);
            frame.peak[..bins].copy_from_slice(&self.unread_peak[..bins]);
            frame.generation = count;
            self.spectrum.publish();
            self.published_display = count;
            analyzer.clear_display_peak();
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
