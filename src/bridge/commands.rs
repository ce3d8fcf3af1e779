//! Commands from the editor to the audio thread: a small enum on a bounded SPSC queue of
//! [`COMMAND_CAPACITY`]; a full queue drops the newest command and says so.

use crossbeam::queue::ArrayQueue;
use std::sync::Arc;

/// Commands that can wait for the audio thread; the editor sends a few per user click.
pub const COMMAND_CAPACITY: usize = 16;

/// What the editor asks of the audio thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Start a new measurement.
    Reset,
    /// Continue integrating.
    Start,
    /// Freeze integration (momentary and short-term stay live).
    Pause,
}

/// Both ends.
pub(super) fn channel() -> (CommandReceiver, CommandSender) {
    let queue = Arc::new(ArrayQueue::new(COMMAND_CAPACITY));
    (CommandReceiver(queue.clone()), CommandSender(queue))
}

/// Audio-thread end.
pub(super) struct CommandReceiver(Arc<ArrayQueue<Command>>);

impl CommandReceiver {
    pub(super) fn next(&self) -> Option<Command> {
        // Looked at first with two plain loads: `pop` on an empty queue issues a full fence,
        // on every `process` call. A command pushed meanwhile is taken on the next call.
        if self.0.is_empty() {
            return None;
        }
        self.0.pop()
    }
}

/// Editor end.
pub(super) struct CommandSender(Arc<ArrayQueue<Command>>);

impl CommandSender {
    /// False when the queue is full (the audio thread is not running).
    pub(super) fn send(&self, command: Command) -> bool {
        self.0.push(command).is_ok()
    }
}
