//! Screen readers inside a real host: egui's AccessKit tree handed to the platform's adapter.
//!
//! egui builds an AccessKit tree of the editor when AccessKit is enabled on its context, but
//! the plugin window comes from egui-baseview, which connects no platform adapter. This module
//! is an egui [`Plugin`] (egui's public extension point, so neither egui-baseview nor
//! nice-plug-egui is patched) that does the connecting for one window:
//!
//! - **Linux and the BSDs**: AT-SPI through `accesskit_unix` (Orca). The adapter registers with
//!   the accessibility bus and stays idle until an assistive technology turns accessibility on
//!   (`org.a11y.Status.IsEnabled`); only then does the bridge enable AccessKit on the egui
//!   context, so a window nobody listens to pays nothing.
//! - **macOS and Windows**: no adapter is connected (see the README): `accesskit_macos` and
//!   `accesskit_windows` need the plugin's native view and its event loop, which egui-baseview
//!   does not expose, and they cannot be built or run on the machines this project is tested
//!   on. The bridge then does nothing.
//!
//! What a listener hears ([`prepare`]): the window is named "Mixmeter"; every reading
//! is named with its value and unit ("Integrated loudness, minus 14.2 LUFS"), the mono check
//! is a toggle with its state, the checklist and the suggestions are lists.
//!
//! When the tree reaches the adapter ([`Throttle`]): only nodes that changed since the last
//! update are sent, and value changes at most every [`MIN_UPDATE_INTERVAL`]; a change of
//! keyboard focus (or of the tree's shape after an action) and an announcement go at once, so
//! keyboard use stays immediate. A deferred change asks egui for a repaint when its time comes, so it is never
//! lost while the meter is idle. The tree is made, named and diffed on the GUI thread, in
//! egui's output hook; the adapter applies it on a thread of its own (it costs as much as the
//! rest of a frame). The audio thread never sees any of it.
//!
//! Screen-reader actions (focus, click/toggle) arrive on the adapter's own thread: they are
//! queued ([`Shared`]) and become `egui::Event::AccessKitActionRequest` input at the next
//! frame, which the repaint notifier (an atomic flag the window polls) brings about within one
//! poll interval. A click on the mono check is then the same click as the mouse's: one
//! parameter gesture the host sees.
//!
//! Live announcements ([`Announcer`]) are for events that matter only (a clip latched, a check
//! turning to fail), at most one per [`ANNOUNCE_INTERVAL`].

use egui::accesskit::{self, ActionRequest, Node, NodeId, Role, TreeUpdate};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Value changes reach the adapter at most this often (focus changes go at once).
pub const MIN_UPDATE_INTERVAL: Duration = Duration::from_millis(250);
/// At most one live announcement this often; later ones wait their turn.
pub const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(2);
/// Announcements waiting beyond this many are dropped (oldest first): speech must not flood.
const MAX_PENDING_ANNOUNCEMENTS: usize = 3;
/// The window's accessible name.
pub const WINDOW_NAME: &str = "Mixmeter";

/// The spoken form of a displayed value and its unit: "-14.2" and "LUFS" read "minus 14.2
/// LUFS", "+0.3" "plus 0.3", a dash "no value" (without the unit).
pub fn spoken_value(text: &str, unit: &str) -> String {
    let text = text.trim();
    if text.is_empty() || text == super::NO_VALUE {
        return "no value".to_string();
    }
    let spoken = if let Some(rest) = text.strip_prefix('-').or_else(|| text.strip_prefix('−')) {
        format!("minus {rest}")
    } else if let Some(rest) = text.strip_prefix('+') {
        format!("plus {rest}")
    } else {
        text.to_string()
    };
    if unit.is_empty() {
        spoken
    } else {
        format!("{spoken} {unit}")
    }
}

/// Units given to widgets by [`set_unit`], read by the bridge's output hook. A map by widget,
/// so it holds one entry per widget however many frames run without a bridge to read it (as
/// in egui_kittest, where AccessKit is on).
#[derive(Clone, Default)]
struct Units(HashMap<NodeId, &'static str>);

fn units_key() -> egui::Id {
    egui::Id::unique("mixmeter-accesskit-units")
}

/// Gives the widget `id` a unit for screen readers: its accessible name becomes "name, value
/// unit". Does nothing while AccessKit is off.
pub fn set_unit(ctx: &egui::Context, id: egui::Id, unit: &'static str) {
    if unit.is_empty() || ctx.accesskit_node_builder(id, |_| ()).is_none() {
        return;
    }
    ctx.data_mut(|d| {
        d.get_temp_mut_or_default::<Units>(units_key())
            .0
            .insert(id.accesskit_id(), unit);
    });
}

/// The units [`set_unit`] gave the widgets.
fn units(ctx: &egui::Context) -> HashMap<NodeId, &'static str> {
    ctx.data(|d| d.get_temp::<Units>(units_key()))
        .map(|u| u.0)
        .unwrap_or_default()
}

/// The roles whose value is part of what a listener hears (AT-SPI exposes no text value for
/// them, so the value goes into the name).
fn value_in_name(role: Role) -> bool {
    matches!(
        role,
        Role::Meter | Role::ListItem | Role::Label | Role::Image | Role::Button
    )
}

/// Rewrites egui's tree for listeners: names the window, and names each reading with its value
/// and unit (`units`, from [`set_unit`]).
pub fn prepare(update: &mut TreeUpdate, units: &HashMap<NodeId, &'static str>) {
    let root = update.tree.as_ref().map(|t| t.root);
    for (id, node) in &mut update.nodes {
        if Some(*id) == root {
            node.set_label(WINDOW_NAME);
            continue;
        }
        if !value_in_name(node.role()) {
            continue;
        }
        let (Some(label), Some(value)) = (node.label(), node.value()) else {
            continue;
        };
        let unit = units.get(id).copied().unwrap_or_default();
        let name = format!("{label}, {}", spoken_value(value, unit));
        node.set_label(name);
    }
}

/// What to do with this frame's tree.
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// Send this update to the adapter.
    Push(TreeUpdate),
    /// Something changed, but the last update was too recent: ask for a frame after this long.
    Wait(Duration),
    /// Nothing a listener would hear changed.
    Nothing,
}

/// Sends the adapter only what changed, and value changes at a bounded rate (see the module
/// docs). Pure: tested without a bus.
#[derive(Debug)]
pub struct Throttle {
    min_interval: Duration,
    sent: HashMap<NodeId, Node>,
    sent_focus: Option<NodeId>,
    sent_at: Option<Instant>,
    /// The next update must carry the whole tree (the adapter starts from nothing).
    full: bool,
}

impl Throttle {
    pub fn new(min_interval: Duration) -> Self {
        Self {
            min_interval,
            sent: HashMap::new(),
            sent_focus: None,
            sent_at: None,
            full: true,
        }
    }

    /// Forgets what was sent: the next update is a whole tree.
    pub fn reset(&mut self) {
        self.sent.clear();
        self.sent_focus = None;
        self.sent_at = None;
        self.full = true;
    }

    /// Decides on this frame's whole tree (`update` as egui made it, prepared).
    pub fn next(&mut self, update: TreeUpdate, now: Instant) -> Decision {
        if self.full {
            self.full = false;
            self.sent_focus = Some(update.focus);
            self.sent_at = Some(now);
            self.sent = update.nodes.iter().cloned().collect();
            return Decision::Push(update);
        }
        let changed: Vec<usize> = update
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, (id, node))| self.sent.get(id) != Some(node))
            .map(|(i, _)| i)
            .collect();
        let focus_moved = self.sent_focus != Some(update.focus);
        if changed.is_empty() && !focus_moved {
            return Decision::Nothing;
        }
        // A node that is new, or a parent whose children changed, is the tree's shape: it goes
        // at once like focus (it follows an action or a pane switch).
        let shape_changed = changed.iter().any(|&i| {
            let (id, node) = &update.nodes[i];
            self.sent
                .get(id)
                .is_none_or(|old| old.children() != node.children())
        });
        // A live region's new text is an announcement: it goes at once too (its own rate
        // limit is the announcer's).
        let live_changed = changed.iter().any(|&i| {
            update.nodes[i]
                .1
                .live()
                .is_some_and(|l| l != accesskit::Live::Off)
        });
        let since = self
            .sent_at
            .map_or(Duration::MAX, |t| now.duration_since(t));
        if !focus_moved && !shape_changed && !live_changed && since < self.min_interval {
            return Decision::Wait(self.min_interval - since);
        }
        self.sent_at = Some(now);
        self.sent_focus = Some(update.focus);
        let mut nodes = Vec::with_capacity(changed.len());
        let mut all = update.nodes;
        for &i in changed.iter().rev() {
            nodes.push(all.swap_remove(i));
        }
        if shape_changed {
            // Nodes may have gone: keep exactly this tree.
            self.sent = all.into_iter().chain(nodes.iter().cloned()).collect();
        } else {
            // Same nodes: only the changed ones are new.
            self.sent.extend(nodes.iter().cloned());
        }
        Decision::Push(TreeUpdate {
            nodes,
            tree: None,
            tree_id: update.tree_id,
            focus: update.focus,
        })
    }
}

/// State shared with the adapter's thread (never with the audio thread).
struct Shared {
    /// An assistive technology listens: the tree is built and sent.
    active: AtomicBool,
    /// Action requests from the screen reader, taken at the next frame.
    requests: Mutex<Vec<ActionRequest>>,
    /// A focus request arrived: the window should take the keyboard.
    focus_window: AtomicBool,
    /// Asks the window for a frame (an atomic flag it polls).
    wake: Box<dyn Fn() + Send + Sync>,
}

impl Shared {
    fn push_request(&self, request: ActionRequest) {
        if request.action == accesskit::Action::Focus {
            self.focus_window.store(true, Ordering::Release);
        }
        if let Ok(mut requests) = self.requests.lock() {
            requests.push(request);
        }
        (self.wake)();
    }

    fn set_active(&self, active: bool) {
        self.active.store(active, Ordering::Release);
        (self.wake)();
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    use super::{Shared, Stats};
    use egui::accesskit::{
        ActionHandler, ActionRequest, ActivationHandler, DeactivationHandler, Rect, TreeUpdate,
    };
    use std::sync::mpsc::{Sender, channel};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    struct Handler(Arc<Shared>);

    impl ActivationHandler for Handler {
        fn request_initial_tree(&mut self) -> Option<TreeUpdate> {
            // The tree is made by the next egui frame on the GUI thread.
            self.0.set_active(true);
            None
        }
    }

    impl ActionHandler for Handler {
        fn do_action(&mut self, request: ActionRequest) {
            self.0.push_request(request);
        }
    }

    impl DeactivationHandler for Handler {
        fn deactivate_accessibility(&mut self) {
            self.0.set_active(false);
        }
    }

    enum Message {
        Update(TreeUpdate),
        Focus(bool),
        Bounds(Rect),
    }

    /// Keeps this library mapped until the process ends, from the first editor window on. The
    /// adapter's threads (this window's, which ends soon after the window closes, and the
    /// executor `accesskit_unix` keeps for the whole process) run code from this library: a
    /// host that unloads the plugin (`dlclose`) while they live would leave them running
    /// unmapped code. `RTLD_NOLOAD | RTLD_NODELETE` on the library already loaded marks it never
    /// to be unmapped; the reference it takes is kept on purpose. Costs the library's memory
    /// after an unload, once an editor window has been opened in the process.
    fn pin_library() {
        static PINNED: std::sync::Once = std::sync::Once::new();
        PINNED.call_once(|| {
            // SAFETY: `dladdr` reads the address of a function of this library into `info`
            // (zeroed plain C data); `dlopen` with RTLD_NOLOAD only looks the already-loaded
            // library up by the name `dladdr` returned, and runs no initialiser.
            unsafe {
                let mut info: libc::Dl_info = std::mem::zeroed();
                let here = pin_library as *const () as *const libc::c_void;
                if libc::dladdr(here, &mut info) != 0 && !info.dli_fname.is_null() {
                    let _ = libc::dlopen(
                        info.dli_fname,
                        libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
                    );
                }
            }
        });
    }

    /// The AT-SPI adapter of one window, fed on a thread of its own: applying an update
    /// (AccessKit's tree diff and the AT-SPI events it makes) took about 0.4 ms per update on
    /// the CI machine, as much as the rest of the frame, so the GUI thread only hands it over.
    /// The thread ends, and the adapter leaves the bus, when the window's bridge is dropped.
    pub struct Platform(Sender<Message>);

    impl Platform {
        pub fn new(shared: &Arc<Shared>, stats: &Arc<Mutex<Stats>>) -> Option<Self> {
            pin_library();
            let mut adapter = accesskit_unix::Adapter::new(
                Handler(shared.clone()),
                Handler(shared.clone()),
                Handler(shared.clone()),
            );
            let (sender, receiver) = channel();
            let stats = stats.clone();
            std::thread::Builder::new()
                .name("mixmeter-accessibility".to_string())
                .spawn(move || {
                    while let Ok(message) = receiver.recv() {
                        match message {
                            Message::Update(update) => {
                                let start = Instant::now();
                                adapter.update_if_active(|| update);
                                if let Ok(mut stats) = stats.lock() {
                                    stats.adapter_updates += 1;
                                    stats.adapter_ns += start.elapsed().as_nanos() as u64;
                                }
                            }
                            Message::Focus(focused) => adapter.update_window_focus_state(focused),
                            Message::Bounds(bounds) => {
                                adapter.set_root_window_bounds(bounds, bounds)
                            }
                        }
                    }
                })
                .ok()?;
            Some(Self(sender))
        }

        pub fn update(&mut self, update: TreeUpdate) {
            let _ = self.0.send(Message::Update(update));
        }

        pub fn focus(&mut self, focused: bool) {
            let _ = self.0.send(Message::Focus(focused));
        }

        pub fn bounds(&mut self, bounds: Rect) {
            let _ = self.0.send(Message::Bounds(bounds));
        }
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
mod platform {
    //! No adapter on this platform (see the module docs): the bridge stays inactive.
    use super::{Shared, Stats};
    use egui::accesskit::{Rect, TreeUpdate};
    use std::sync::{Arc, Mutex};

    pub struct Platform;

    impl Platform {
        pub fn new(_shared: &Arc<Shared>, _stats: &Arc<Mutex<Stats>>) -> Option<Self> {
            None
        }
        pub fn update(&mut self, _update: TreeUpdate) {}
        pub fn focus(&mut self, _focused: bool) {}
        pub fn bounds(&mut self, _bounds: Rect) {}
    }
}

/// Counters of what the bridge did (for tests and the bench).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Frames with a screen reader on, updates handed to the adapter, and their nodes.
    pub frames: u64,
    pub pushes: u64,
    pub nodes_pushed: u64,
    /// Updates the adapter's thread applied, and the time it took (nanoseconds).
    pub adapter_updates: u64,
    pub adapter_ns: u64,
}

/// The egui plugin connecting one window's tree to the platform adapter (module docs).
pub struct Bridge {
    shared: Arc<Shared>,
    platform: Option<platform::Platform>,
    throttle: Throttle,
    was_active: bool,
    window_focused: Option<bool>,
    bounds: Option<egui::Rect>,
    stats: Arc<Mutex<Stats>>,
}

/// What the editor keeps of its window's bridge.
#[derive(Clone)]
pub struct BridgeHandle {
    shared: Arc<Shared>,
    stats: Arc<Mutex<Stats>>,
}

impl BridgeHandle {
    /// A screen reader asked to focus a widget since the last call: the window should take
    /// the keyboard (the host's window has it otherwise).
    pub fn take_focus_request(&self) -> bool {
        self.shared.focus_window.swap(false, Ordering::AcqRel)
    }

    /// An assistive technology listens.
    pub fn is_active(&self) -> bool {
        self.shared.active.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> Stats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }
}

impl Bridge {
    /// Connects to the platform's adapter; `wake` asks the window for a frame (any thread).
    /// Returns the plugin to add to the window's egui context and a handle for the editor.
    pub fn connect(
        wake: impl Fn() + Send + Sync + 'static,
        min_interval: Duration,
    ) -> (Self, BridgeHandle) {
        let shared = Arc::new(Shared {
            active: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            focus_window: AtomicBool::new(false),
            wake: Box::new(wake),
        });
        let stats = Arc::new(Mutex::new(Stats::default()));
        let handle = BridgeHandle {
            shared: shared.clone(),
            stats: stats.clone(),
        };
        let bridge = Self {
            platform: platform::Platform::new(&shared, &stats),
            shared,
            throttle: Throttle::new(min_interval),
            was_active: false,
            window_focused: None,
            bounds: None,
            stats,
        };
        (bridge, handle)
    }

    /// Installs the bridge on `ctx` (once per window). Labels are made unselectable: a
    /// selectable label gives AccessKit a text run per line, with every character's position,
    /// which tripled the frame time with a screen reader on; a listener hears a label's text
    /// as its name either way.
    pub fn install(self, ctx: &egui::Context) {
        ctx.all_styles_mut(|style| style.interaction.selectable_labels = false);
        ctx.add_plugin(self);
    }
}

impl egui::Plugin for Bridge {
    fn debug_name(&self) -> &'static str {
        "mixmeter_accesskit_bridge"
    }

    fn input_hook(&mut self, ctx: &egui::Context, input: &mut egui::RawInput) {
        let active = self.shared.active.load(Ordering::Acquire);
        if active != self.was_active {
            self.was_active = active;
            self.throttle.reset();
            if active {
                ctx.enable_accesskit();
            } else {
                ctx.disable_accesskit();
            }
        }
        if !active {
            return;
        }
        if let Ok(mut requests) = self.shared.requests.lock() {
            input
                .events
                .extend(requests.drain(..).map(egui::Event::AccessKitActionRequest));
        }
        let Some(platform) = self.platform.as_mut() else {
            return;
        };
        let viewport = input.viewports.get(&egui::ViewportId::ROOT);
        let focused = viewport.and_then(|v| v.focused);
        if focused.is_some() && focused != self.window_focused {
            self.window_focused = focused;
            platform.focus(focused.unwrap_or(false));
        }
        if input.screen_rect != self.bounds
            && let Some(rect) = input.screen_rect
        {
            self.bounds = Some(rect);
            let scale = f64::from(
                viewport
                    .and_then(|v| v.native_pixels_per_point)
                    .unwrap_or(1.0),
            );
            platform.bounds(accesskit::Rect::new(
                0.0,
                0.0,
                f64::from(rect.width()) * scale,
                f64::from(rect.height()) * scale,
            ));
        }
    }

    fn output_hook(&mut self, ctx: &egui::Context, output: &mut egui::FullOutput) {
        // egui-baseview has no use for the tree: take it either way.
        let Some(mut update) = output.platform_output.accesskit_update.take() else {
            return;
        };
        if !self.shared.active.load(Ordering::Acquire) {
            return;
        }
        prepare(&mut update, &units(ctx));
        let mut stats = self.stats.lock().ok();
        if let Some(stats) = stats.as_mut() {
            stats.frames += 1;
        }
        match self.throttle.next(update, Instant::now()) {
            Decision::Push(update) => {
                if let Some(stats) = stats.as_mut() {
                    stats.pushes += 1;
                    stats.nodes_pushed += update.nodes.len() as u64;
                }
                if let Some(platform) = self.platform.as_mut() {
                    platform.update(update);
                }
            }
            Decision::Wait(after) => ctx.request_repaint_after(after),
            Decision::Nothing => {}
        }
    }
}

/// Live announcements for events that matter, rate-limited (see the module docs).
#[derive(Debug, Default)]
pub struct Announcer {
    pending: VecDeque<String>,
    current: String,
    /// How many times the current text was announced (a repeat gets a mark, so the name
    /// changes and the screen reader speaks it again).
    repeats: u32,
    last_at: Option<Instant>,
}

impl Announcer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues an announcement.
    pub fn say(&mut self, text: String) {
        if self.pending.contains(&text) {
            return;
        }
        self.pending.push_back(text);
        while self.pending.len() > MAX_PENDING_ANNOUNCEMENTS {
            self.pending.pop_front();
        }
    }

    /// The live text at `now`, and how long until the next queued one may go (if any waits).
    pub fn update(&mut self, now: Instant) -> (&str, Option<Duration>) {
        let since = self
            .last_at
            .map_or(Duration::MAX, |t| now.duration_since(t));
        if !self.pending.is_empty() && since >= ANNOUNCE_INTERVAL {
            let next = self.pending.pop_front().unwrap_or_default();
            if next == self.current || next == self.current.trim_end_matches(" (again)") {
                self.repeats += 1;
                self.current = if self.repeats % 2 == 1 {
                    format!("{next} (again)")
                } else {
                    next
                };
            } else {
                self.repeats = 0;
                self.current = next;
            }
            self.last_at = Some(now);
        }
        let wait = (!self.pending.is_empty()).then(|| {
            let since = self
                .last_at
                .map_or(Duration::MAX, |t| now.duration_since(t));
            ANNOUNCE_INTERVAL.saturating_sub(since)
        });
        (&self.current, wait)
    }
}

/// Adds the live announcement node to the tree (a polite-interrupting "assertive" live region
/// that a screen reader speaks when its text changes). Does nothing while AccessKit is off.
pub fn announcement_node(ctx: &egui::Context, text: &str) {
    if text.is_empty() {
        return;
    }
    let id = egui::Id::unique("mixmeter-announcement");
    ctx.accesskit_node_builder(id, |node| {
        node.set_role(Role::Label);
        node.set_live(accesskit::Live::Assertive);
        // A label's accessible name is its value (AccessKit's rule for text roles).
        node.set_value(text);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::accesskit::{NodeId, TreeId, TreeInfo};

    fn meter(label: &str, value: &str) -> Node {
        let mut node = Node::new(Role::Meter);
        node.set_label(label);
        node.set_value(value);
        node
    }

    fn tree(value: &str, focus: u64) -> TreeUpdate {
        let mut root = Node::new(Role::Window);
        root.set_children(vec![NodeId(2), NodeId(3)]);
        TreeUpdate {
            nodes: vec![
                (NodeId(1), root),
                (NodeId(2), meter("Integrated loudness", value)),
                (NodeId(3), Node::new(Role::Button)),
            ],
            tree: Some(TreeInfo::new(NodeId(1))),
            tree_id: TreeId::ROOT,
            focus: NodeId(focus),
        }
    }

    #[test]
    fn values_are_spoken_with_sign_and_unit() {
        assert_eq!(spoken_value("-14.2", "LUFS"), "minus 14.2 LUFS");
        assert_eq!(spoken_value("+0.3", "dB"), "plus 0.3 dB");
        assert_eq!(spoken_value("—", "LUFS"), "no value");
        assert_eq!(spoken_value("pass", ""), "pass");
    }

    #[test]
    fn prepare_names_the_window_and_each_reading_with_its_value() {
        let mut update = tree("-14.2", 1);
        update.nodes[1]
            .1
            .set_description("hover text stays the description");
        prepare(&mut update, &HashMap::from([(NodeId(2), "LUFS")]));
        assert_eq!(update.nodes[0].1.label(), Some(WINDOW_NAME));
        assert_eq!(
            update.nodes[1].1.label(),
            Some("Integrated loudness, minus 14.2 LUFS")
        );
        assert_eq!(
            update.nodes[1].1.description(),
            Some("hover text stays the description")
        );
        // Without a unit, the value alone.
        let mut update = tree("-14.2", 1);
        prepare(&mut update, &HashMap::new());
        assert_eq!(
            update.nodes[1].1.label(),
            Some("Integrated loudness, minus 14.2")
        );
    }

    #[test]
    fn only_changes_are_sent_and_values_at_a_bounded_rate() {
        let start = Instant::now();
        let mut throttle = Throttle::new(MIN_UPDATE_INTERVAL);
        // The first update is the whole tree.
        let Decision::Push(first) = throttle.next(tree("-14.2", 1), start) else {
            panic!("the first tree is sent");
        };
        assert_eq!(first.nodes.len(), 3);
        assert!(first.tree.is_some());
        // The same tree again: nothing to say.
        let t = start + Duration::from_millis(16);
        assert_eq!(throttle.next(tree("-14.2", 1), t), Decision::Nothing);
        // A value change 16 ms later waits for the rest of the interval...
        assert_eq!(
            throttle.next(tree("-14.1", 1), t),
            Decision::Wait(MIN_UPDATE_INTERVAL - Duration::from_millis(16))
        );
        // ...and goes, alone, once the interval has passed.
        let t = start + MIN_UPDATE_INTERVAL;
        let Decision::Push(update) = throttle.next(tree("-14.1", 1), t) else {
            panic!("the change is sent after the interval");
        };
        assert_eq!(update.nodes.len(), 1);
        assert_eq!(update.nodes[0].0, NodeId(2));
        assert!(update.tree.is_none());
        // A focus change goes at once, even within the interval.
        let t = t + Duration::from_millis(1);
        let Decision::Push(update) = throttle.next(tree("-14.1", 3), t) else {
            panic!("focus moves at once");
        };
        assert_eq!(update.focus, NodeId(3));
        assert!(update.nodes.is_empty());
        // After a reset (the screen reader came back) the whole tree goes again.
        throttle.reset();
        let Decision::Push(update) = throttle.next(tree("-14.1", 3), t) else {
            panic!("whole tree after a reset");
        };
        assert_eq!(update.nodes.len(), 3);
    }

    #[test]
    fn an_announcement_goes_at_once() {
        let start = Instant::now();
        let mut throttle = Throttle::new(MIN_UPDATE_INTERVAL);
        let live = |text: &str| {
            let mut update = tree("-14.2", 1);
            update.nodes[2].1.set_live(accesskit::Live::Assertive);
            update.nodes[2].1.set_value(text);
            update
        };
        let _ = throttle.next(live("one"), start);
        let Decision::Push(update) = throttle.next(live("two"), start + Duration::from_millis(5))
        else {
            panic!("a live region's change is sent at once");
        };
        assert_eq!(update.nodes.len(), 1);
    }

    #[test]
    fn a_new_node_goes_at_once() {
        let start = Instant::now();
        let mut throttle = Throttle::new(MIN_UPDATE_INTERVAL);
        let _ = throttle.next(tree("-14.2", 1), start);
        let mut grown = tree("-14.2", 1);
        grown.nodes[0].1.push_child(NodeId(4));
        grown.nodes.push((NodeId(4), meter("Momentary", "-12.0")));
        let Decision::Push(update) = throttle.next(grown, start + Duration::from_millis(5)) else {
            panic!("a new node is sent at once");
        };
        let ids: Vec<_> = update.nodes.iter().map(|(id, _)| *id).collect();
        assert!(
            ids.contains(&NodeId(1)) && ids.contains(&NodeId(4)),
            "{ids:?}"
        );
    }

    #[test]
    fn announcements_are_rate_limited_and_never_flood() {
        let start = Instant::now();
        let mut announcer = Announcer::new();
        assert_eq!(announcer.update(start).0, "");
        announcer.say("Clip on Left".into());
        announcer.say("Clip on Right".into());
        let (text, wait) = announcer.update(start);
        assert_eq!(text, "Clip on Left");
        assert_eq!(wait, Some(ANNOUNCE_INTERVAL));
        // The second waits its turn.
        let (text, _) = announcer.update(start + Duration::from_millis(500));
        assert_eq!(text, "Clip on Left");
        let (text, wait) = announcer.update(start + ANNOUNCE_INTERVAL);
        assert_eq!(text, "Clip on Right");
        assert_eq!(wait, None);
        // A burst keeps only the latest few.
        for n in 0..10 {
            announcer.say(format!("event {n}"));
        }
        let mut heard = Vec::new();
        for k in 2..8 {
            heard.push(
                announcer
                    .update(start + ANNOUNCE_INTERVAL * k)
                    .0
                    .to_string(),
            );
        }
        heard.dedup();
        assert_eq!(heard, ["event 7", "event 8", "event 9"]);
        // The same event again is spoken again (its text is marked).
        announcer.say("event 9".into());
        assert_eq!(
            announcer.update(start + ANNOUNCE_INTERVAL * 9).0,
            "event 9 (again)"
        );
    }
}
