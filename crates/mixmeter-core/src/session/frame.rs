//! One track's compact running summary: a [`TrackFrame`] per hop of audio, on a time base
//! every instance in a host shares (the host's sample position divided by the hop, so frame
//! `n` of one track and frame `n` of another hold the same moment of the song).
//!
//! A frame is plain old data (`#[repr(C)]`, `Copy`, no pointers), so it can be written from a
//! track's audio thread into shared memory and read by the master instance in another process.

/// Analysis bands per frame (the band layout is [`BAND_EDGES_HZ`]).
pub const BANDS: usize = 28;

/// Band edges in Hz: `BANDS + 1` ascending values from 20 Hz to 20 kHz, roughly third-octave
/// (finer than critical bands at the low end, where kick and bass are told apart; see the
/// summarizer for how the bands are read from the FFT).
pub const BAND_EDGES_HZ: [f32; BANDS + 1] = [
    20.0, 31.5, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0, 315.0, 400.0, 500.0,
    630.0, 800.0, 1000.0, 1250.0, 1600.0, 2000.0, 2500.0, 3150.0, 4000.0, 5000.0, 6300.0, 8000.0,
    10000.0, 14000.0, 20000.0,
];

/// Samples per frame at `sample_rate`: about 43-46 ms at every rate (2048 up to 50 kHz, 4096 up
/// to 100 kHz, 8192 above), a power of two so frames stay aligned to the host's sample
/// position.
pub fn hop_for_rate(sample_rate: f32) -> usize {
    if sample_rate <= 50_000.0 {
        2048
    } else if sample_rate <= 100_000.0 {
        4096
    } else {
        8192
    }
}

/// One track's summary of one frame. Levels are linear (not dB) so frames add and average.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackFrame {
    /// Frame number on the shared time base: host sample position / hop.
    pub index: u64,
    /// Largest absolute sample value in the frame, over all channels.
    pub sample_peak: f32,
    /// Largest true-peak value (BS.1770-5 Annex 2) in the frame, linear.
    pub true_peak: f32,
    /// The frame's K-weighted mean square, channel-weighted as BS.1770-5 sums channels
    /// (`-0.691 + 10 log10` of it is the frame's loudness).
    pub mean_square: f32,
    /// The frame's plain mean square, averaged over channels (for the crest factor, as the
    /// meter's crest factor reads it).
    pub power: f32,
    /// Energy in each band (mean power, summed over channels, unweighted): a steady signal's
    /// bands add up to its mean square summed over channels.
    pub bands: [f32; BANDS],
}

impl TrackFrame {
    /// A silent frame at `index`.
    pub const fn silent(index: u64) -> Self {
        Self {
            index,
            sample_peak: 0.0,
            true_peak: 0.0,
            mean_square: 0.0,
            power: 0.0,
            bands: [0.0; BANDS],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_edges_ascend_from_20_hz_to_20_khz() {
        assert_eq!(BAND_EDGES_HZ[0], 20.0);
        assert_eq!(BAND_EDGES_HZ[BANDS], 20_000.0);
        assert!(BAND_EDGES_HZ.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn hops_are_about_45_ms_at_every_rate() {
        for rate in [44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0] {
            let ms = hop_for_rate(rate) as f32 / rate * 1000.0;
            assert!((40.0..50.0).contains(&ms), "{rate}: {ms} ms");
        }
    }
}
