//! The worst single `process` call: 192 kHz stereo in 64-frame blocks (a 333 us deadline)
//! across one minute of audio, for the meter core and for the `ebur128` crate (whose LRA and
//! gating recompute once a second). Prints the maximum, the 99.9th percentile and the median
//! per call, and the maximum as a share of the deadline. Run with `cargo bench --bench
//! worst_call`; the target is no call above 10 % of the deadline.

use ebur128::{EbuR128, Mode};
use mixmeter::meter::engine::{Meter, MeterConfig};
use std::time::Instant;

const RATE: u32 = 192_000;
const BLOCK: usize = 64;
const SECONDS: usize = 60;

fn report(name: &str, mut times_ns: Vec<u64>) {
    times_ns.sort_unstable();
    let deadline_ns = BLOCK as f64 / RATE as f64 * 1e9;
    let max = *times_ns.last().unwrap();
    let p999 = times_ns[times_ns.len() * 999 / 1000];
    let median = times_ns[times_ns.len() / 2];
    println!(
        "{name:<9} worst {:>7.1} us ({:>5.1} % of the {:.0} us deadline), p99.9 {:>6.1} us, median {:>6.2} us, {} calls",
        max as f64 / 1e3,
        max as f64 / deadline_ns * 100.0,
        deadline_ns / 1e3,
        p999 as f64 / 1e3,
        median as f64 / 1e3,
        times_ns.len()
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: keep that fast.
    let full = std::env::args().any(|a| a == "--bench");
    let seconds = if full { SECONDS } else { 1 };
    let frames = RATE as usize * seconds;
    let mut state = 9u64;
    let signal: Vec<f32> = (0..frames * 2)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.5
        })
        .collect();
    let (left, right) = signal.split_at(frames);
    let interleaved: Vec<f32> = left.iter().zip(right).flat_map(|(l, r)| [*l, *r]).collect();

    let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2)).unwrap();
    let mut times = Vec::with_capacity(frames / BLOCK);
    for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
        let start = Instant::now();
        meter.process(&[l, r]);
        times.push(start.elapsed().as_nanos() as u64);
    }
    report("mixmeter", times);

    let mut reference = EbuR128::new(
        2,
        RATE,
        Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK,
    )
    .unwrap();
    let mut times = Vec::with_capacity(frames / BLOCK);
    for chunk in interleaved.chunks(BLOCK * 2) {
        let start = Instant::now();
        reference.add_frames_f32(chunk).unwrap();
        times.push(start.elapsed().as_nanos() as u64);
    }
    report("ebur128", times);
}
