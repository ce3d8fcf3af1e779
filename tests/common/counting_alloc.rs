//! A counting global allocator for tests that prove code never allocates: it counts the
//! allocations (and frees and reallocations) of the thread that armed it, so tests running in
//! parallel threads do not see each other's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Counts allocations made by the thread that armed it (tests run in parallel threads, so
/// both the switch and the count are per thread).
struct CountingAllocator;

thread_local! {
    static ARMED: AtomicBool = const { AtomicBool::new(false) };
    static ALLOCATIONS: AtomicUsize = const { AtomicUsize::new(0) };
}

fn note_allocation() {
    let armed = ARMED
        .try_with(|a| a.load(Ordering::Relaxed))
        .unwrap_or(false);
    if armed {
        let _ = ALLOCATIONS.try_with(|n| n.fetch_add(1, Ordering::Relaxed));
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_allocation();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns how many allocations this thread made meanwhile.
pub fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(|n| n.load(Ordering::Relaxed));
    ARMED.with(|a| a.store(true, Ordering::Relaxed));
    f();
    ARMED.with(|a| a.store(false, Ordering::Relaxed));
    ALLOCATIONS.with(|n| n.load(Ordering::Relaxed)) - before
}
