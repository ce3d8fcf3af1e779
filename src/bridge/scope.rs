//! The vectorscope: a triple buffer holding the last [`SCOPE_POINTS`] (L, R) pairs, decimated
//! to about [`SCOPE_POINT_RATE_HZ`] points per second (every k-th sample pair: the drawing
//! shows the signal's joint distribution, which decimation does not change), republished at
//! most [`SCOPE_PUBLISH_HZ`] times per second, only while the editor is open.

/// Points the vectorscope frame holds.
pub const SCOPE_POINTS: usize = 2048;
/// Decimated point rate, per second (the stride is the nearest whole number of samples).
pub const SCOPE_POINT_RATE_HZ: f64 = 24_000.0;
/// The vectorscope is republished at most this often.
pub const SCOPE_PUBLISH_HZ: f64 = 60.0;
/// Points are clamped to ±this (+12 dBFS), so hot or broken input stays drawable.
pub const SCOPE_LIMIT: f32 = 4.0;

/// The latest vectorscope points, oldest first. Written by the audio thread, read by the
/// editor.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeFrame {
    /// (left, right) pairs; `count` of them are valid.
    pub points: Box<[[f32; 2]]>,
    pub count: usize,
    /// Incremented by each publish.
    pub generation: u64,
}

impl Default for ScopeFrame {
    fn default() -> Self {
        let mut points = vec![[0.0f32; 2]; SCOPE_POINTS].into_boxed_slice();
        points.fill([0.0; 2]);
        Self {
            points,
            count: 0,
            generation: 0,
        }
    }
}

/// Both ends.
pub(super) fn channel() -> (ScopeWriter, ScopeReader) {
    let (input, output) = triple_buffer::triple_buffer(&ScopeFrame::default());
    let mut ring = vec![[0.0f32; 2]; SCOPE_POINTS].into_boxed_slice();
    ring.fill([0.0; 2]);
    let mut writer = ScopeWriter {
        input,
        ring,
        pos: 0,
        filled: 0,
        stride: 1,
        phase: 0,
        publish_every: 1,
        since_publish: 0,
        generation: 0,
    };
    writer.configure(48_000.0);
    (writer, ScopeReader(output))
}

/// Audio-thread end: a ring of the last points and its clocks.
pub(super) struct ScopeWriter {
    input: triple_buffer::Input<ScopeFrame>,
    ring: Box<[[f32; 2]]>,
    pos: usize,
    filled: usize,
    /// Every `stride`-th sample pair becomes a point; `phase` counts towards the next.
    stride: usize,
    phase: usize,
    /// Samples between publishes, and since the last one.
    publish_every: usize,
    since_publish: usize,
    generation: u64,
}

impl ScopeWriter {
    /// Sets the decimation and publish rate for a sample rate (and empties the ring).
    pub(super) fn configure(&mut self, sample_rate_hz: f64) {
        self.stride = ((sample_rate_hz / SCOPE_POINT_RATE_HZ).round() as usize).max(1);
        self.publish_every = ((sample_rate_hz / SCOPE_PUBLISH_HZ).round() as usize).max(1);
        self.pos = 0;
        self.filled = 0;
        self.phase = 0;
        self.since_publish = 0;
    }

    /// Feeds the ring and republishes it when due. Only copies; non-finite samples become 0.
    pub(super) fn feed(&mut self, left: &[f32], right: &[f32]) {
        let frames = left.len().min(right.len());
        let mut n = self.phase;
        while n < frames {
            let point = [left[n], right[n]].map(|x| {
                if x.is_finite() {
                    x.clamp(-SCOPE_LIMIT, SCOPE_LIMIT)
                } else {
                    0.0
                }
            });
            self.ring[self.pos] = point;
            self.pos = (self.pos + 1) % SCOPE_POINTS;
            self.filled = (self.filled + 1).min(SCOPE_POINTS);
            n += self.stride;
        }
        self.phase = n - frames;
        self.since_publish += frames;
        if self.since_publish >= self.publish_every {
            self.since_publish = 0;
            self.generation += 1;
            let frame = self.input.input_buffer_mut();
            // Oldest first: the ring from `pos` on, then up to `pos`.
            let count = self.filled;
            let start = (self.pos + SCOPE_POINTS - count) % SCOPE_POINTS;
            let first = (SCOPE_POINTS - start).min(count);
            frame.points[..first].copy_from_slice(&self.ring[start..start + first]);
            frame.points[first..count].copy_from_slice(&self.ring[..count - first]);
            frame.count = count;
            frame.generation = self.generation;
            self.input.publish();
        }
    }
}

/// Editor end.
pub(super) struct ScopeReader(triple_buffer::Output<ScopeFrame>);

impl ScopeReader {
    /// The latest points, and whether they are new since the previous call.
    pub(super) fn read(&mut self) -> (&ScopeFrame, bool) {
        let fresh = self.0.update();
        (self.0.output_buffer(), fresh)
    }
}
