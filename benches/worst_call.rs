//! The worst single `process` call: 192 kHz stereo in 64-frame blocks (a 333 us deadline)
//! across one minute of audio, for the meter core and for the `ebur128` crate (whose LRA and
//! gating recompute once a second). Prints the maximum, the 99.9th percentile and the median
//! per call, and the maximum as a share of the deadline. Run with `cargo bench --bench
//! worst_call`; the target is no call above 10 % of the deadline.
//!
//! Each call is timed with the thread's CPU clock (what the call itself costs; a preemption
//! by the OS does not count) and with the wall clock (which on a shared 2-core machine also
//! catches the scheduler taking the core away at random calls).
//!
//! On a shared virtual machine even the thread's CPU clock jumps by tens of microseconds at
//! random calls (the hypervisor takes the core). So the same minute is measured
//! [`REPEATS`] times from a fresh meter, and for every call index the fastest of the repeats is
//! kept: work a call really does (a periodic recompute, a slow path) costs the same at the same
//! call in every repeat and survives the minimum; a random stall does not hit the same call
//! five times. "Reproducible worst" is the largest of those per-call minima: the figure the
//! 10 % target is checked against.

use ebur128::{EbuR128, Mode};
use mixmeter::meter::engine::{Meter, MeterConfig};
use std::time::Instant;

#[path = "common/editor_open.rs"]
mod editor_open;
use editor_open::process_with_editor_open;

/// CPU time consumed by this thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

const RATE: u32 = 192_000;
const BLOCK: usize = 64;
const SECONDS: usize = 60;
/// Repeats of the same minute for the reproducible worst call.
const REPEATS: usize = 5;

fn report(name: &str, mut times_ns: Vec<u64>) {
    let mut indexed: Vec<(u64, usize)> = times_ns.iter().copied().zip(0..).collect();
    indexed.sort_unstable_by(|a, b| b.cmp(a));
    let worst: Vec<String> = indexed[..5]
        .iter()
        .map(|(t, i)| format!("{:.1} us at call {i}", *t as f64 / 1e3))
        .collect();
    println!("{name}\n  five worst: {}", worst.join(", "));
    times_ns.sort_unstable();
    let deadline_ns = BLOCK as f64 / RATE as f64 * 1e9;
    let max = *times_ns.last().unwrap();
    let p999 = times_ns[times_ns.len() * 999 / 1000];
    let median = times_ns[times_ns.len() / 2];
    println!(
        "  worst {:>7.1} us ({:>5.1} % of the {:.0} us deadline), p99.9 {:>6.1} us, median {:>6.2} us, {} calls",
        max as f64 / 1e3,
        max as f64 / deadline_ns * 100.0,
        deadline_ns / 1e3,
        p999 as f64 / 1e3,
        median as f64 / 1e3,
        times_ns.len()
    );
}

/// The largest per-call minimum over repeats, and where it is.
fn reproducible_worst(name: &str, repeats: &[Vec<u64>]) {
    let calls = repeats[0].len();
    let minima: Vec<u64> = (0..calls)
        .map(|i| repeats.iter().map(|r| r[i]).min().unwrap())
        .collect();
    let (worst_index, worst) = minima
        .iter()
        .copied()
        .enumerate()
        .max_by_key(|&(_, t)| t)
        .unwrap();
    let deadline_ns = BLOCK as f64 / RATE as f64 * 1e9;
    let mut sorted = minima.clone();
    sorted.sort_unstable();
    println!(
        "{name}: reproducible worst {:.1} us at call {worst_index} ({:.1} % of the {:.0} us deadline), p99.9 {:.1} us, over {} repeats",
        worst as f64 / 1e3,
        worst as f64 / deadline_ns * 100.0,
        deadline_ns / 1e3,
        sorted[sorted.len() * 999 / 1000] as f64 / 1e3,
        repeats.len()
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
    let calls = frames / BLOCK;
    let (mut cpu, mut wall) = (Vec::with_capacity(calls), Vec::with_capacity(calls));
    for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
        let (start_cpu, start_wall) = (thread_cpu_ns(), Instant::now());
        meter.process(&[l, r]);
        cpu.push(thread_cpu_ns() - start_cpu);
        wall.push(start_wall.elapsed().as_nanos() as u64);
    }
    report("mixmeter (thread CPU time)", cpu);
    report("mixmeter (wall clock)", wall);

    let mut reference = EbuR128::new(
        2,
        RATE,
        Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK,
    )
    .unwrap();
    let (mut cpu, mut wall) = (Vec::with_capacity(calls), Vec::with_capacity(calls));
    for chunk in interleaved.chunks(BLOCK * 2) {
        let (start_cpu, start_wall) = (thread_cpu_ns(), Instant::now());
        reference.add_frames_f32(chunk).unwrap();
        cpu.push(thread_cpu_ns() - start_cpu);
        wall.push(start_wall.elapsed().as_nanos() as u64);
    }
    report("ebur128 (thread CPU time)", cpu);
    report("ebur128 (wall clock)", wall);

    let repeats = if full { REPEATS } else { 2 };
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut with_spectrum = Vec::new();
    for _ in 0..repeats {
        // As the plugin runs with its editor open: the spectrum's long-term average (32768
        // points at 192 kHz, with the stereo bands) and display frames at the largest size,
        // the snapshot with the stereo bands, the vectorscope and both spectra published.
        let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2).with_spectrum()).unwrap();
        meter.spectrum_mut().unwrap().set_display_size(Some(32768));
        let (mut bridge, _editor) = mixmeter::bridge::channel();
        bridge.configure_scope(RATE as f64);
        let mut cpu = Vec::with_capacity(calls);
        for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
            let start = thread_cpu_ns();
            process_with_editor_open(&mut meter, &mut bridge, l, r);
            cpu.push(thread_cpu_ns() - start);
        }
        with_spectrum.push(cpu);
        let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2)).unwrap();
        let mut cpu = Vec::with_capacity(calls);
        for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
            let start = thread_cpu_ns();
            meter.process(&[l, r]);
            cpu.push(thread_cpu_ns() - start);
        }
        ours.push(cpu);
        let mut reference = EbuR128::new(
            2,
            RATE,
            Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK,
        )
        .unwrap();
        let mut cpu = Vec::with_capacity(calls);
        for chunk in interleaved.chunks(BLOCK * 2) {
            let start = thread_cpu_ns();
            reference.add_frames_f32(chunk).unwrap();
            cpu.push(thread_cpu_ns() - start);
        }
        theirs.push(cpu);
    }
    reproducible_worst("mixmeter", &ours);
    reproducible_worst("mixmeter with spectrum, editor open", &with_spectrum);
    reproducible_worst("ebur128", &theirs);
}
