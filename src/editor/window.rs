//! The editor's window: a resizable egui window that opens at the size saved in the project.
//!
//! nice-plug-egui keeps the window size in an `EguiEditorState` made once, when the plugin is
//! created, before the host loads the project. To open at the saved size, this editor makes a
//! fresh egui editor (and state) from the saved size each time the host opens the window; the
//! GUI-thread state ([`MixmeterEditor`]: history, held peaks, spectrum view) is shared by all
//! of them. Host resizes are written back to the saved size.
//!
//! Whether the window is open is an atomic flag the audio thread reads: set when the window is
//! made, cleared when the host drops it.

use super::{MixmeterEditor, REPAINT_INTERVAL};
use crate::params::{EDITOR_MAX_SIZE, EDITOR_MIN_SIZE, MixmeterParams};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::{LogicalSize, NativeSize};
use nice_plug::editor::{
    Editor, EditorHandle, HostMethods, Modifiers, ParentWindowHandle, ResizeHint, SizeConstraints,
    SpawnedEditor, VirtualKeyCode,
};
use nice_plug::plugin::TrackInfo;
use nice_plug_egui::baseview;
use nice_plug_egui::{
    EguiEditor, EguiEditorHandle, EguiEditorState, EguiNiceSettings, Frame, NiceEguiApp,
    RepaintNotifier, create_egui_editor,
};
use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The host may resize the editor freely between the minimum and maximum size.
pub fn resize_hint() -> ResizeHint {
    ResizeHint {
        can_resize: true,
        can_resize_horizontally: true,
        can_resize_vertically: true,
        size_constraints: SizeConstraints::Logical {
            min_size: Some(LogicalSize::new(
                EDITOR_MIN_SIZE.0 as f32,
                EDITOR_MIN_SIZE.1 as f32,
            )),
            max_size: Some(LogicalSize::new(
                EDITOR_MAX_SIZE.0 as f32,
                EDITOR_MAX_SIZE.1 as f32,
            )),
        },
        ..ResizeHint::NON_RESIZABLE
    }
}

/// The egui app of one window: the shared editor state, and the repaint flag the window polls
/// (the accessibility bridge raises it from the adapter's thread).
struct App(Arc<Mutex<MixmeterEditor>>, RepaintNotifier);

impl App {
    fn with<R>(&self, f: impl FnOnce(&mut MixmeterEditor) -> R) -> R {
        // A panic on the GUI thread while the lock was held poisons it; the state is still
        // usable (plain values), so carry on with it.
        let mut editor = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut editor)
    }
}

impl NiceEguiApp for App {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        frame: &mut Frame,
    ) -> Result<(), baseview::HandlerError> {
        // Each window has its own egui context: connect it to the screen reader (see
        // `access`). The plugin lives as long as the context, so closing the window drops the
        // adapter.
        let repaint = self.1.clone();
        let (bridge, handle) = super::access::Bridge::connect(
            move || repaint.request_repaint(),
            super::access::MIN_UPDATE_INTERVAL,
        );
        bridge.install(&egui_ctx);
        self.with(|e| {
            e.set_access(Some(handle));
            e.build(egui_ctx, nice_gui_ctx, frame)
        })
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut Frame) {
        self.with(|e| e.ui(ui, frame));
    }

    fn resized(&mut self, new_size: baseview::WindowSize) {
        self.with(|e| e.resized(new_size));
    }

    fn editor_closed(&mut self) {
        self.with(|e| e.editor_closed());
    }
}

/// The plugin's editor (see the module docs).
pub struct MixmeterEditorWindow {
    params: Arc<MixmeterParams>,
    app: Arc<Mutex<MixmeterEditor>>,
    repaint: RepaintNotifier,
    open: Arc<AtomicBool>,
    /// Render-report state shared with the plugin: the host's track name is kept here.
    reports: Arc<crate::report::Shared>,
    /// The egui editor of the window open now (or last opened).
    current: Mutex<Option<EguiEditor<App>>>,
}

impl MixmeterEditorWindow {
    fn egui_editor(&self) -> EguiEditor<App> {
        let (width, height) = self.params.editor.size();
        let state = EguiEditorState::from_size(LogicalSize::new(width, height), 1.0);
        create_egui_editor(
            state,
            self.repaint.clone(),
            EguiNiceSettings::new()
                .with_tile("Mixmeter")
                .with_resize_hint(resize_hint())
                .with_repaint_poll_interval(REPAINT_INTERVAL),
            App(self.app.clone(), self.repaint.clone()),
        )
        .expect("create_egui_editor always returns an editor")
    }
}

impl Editor for MixmeterEditorWindow {
    type Handle = WindowHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn Error>> {
        let editor = self.egui_editor();
        let spawned = editor.spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        )?;
        if let Ok(mut current) = self.current.lock() {
            *current = Some(editor);
        }
        self.open.store(true, Ordering::Release);
        Ok(SpawnedEditor {
            handle: WindowHandle {
                inner: spawned.handle,
                open: self.open.clone(),
            },
            window: spawned.window,
        })
    }

    fn size(&self) -> NativeSize<u32> {
        if let Ok(current) = self.current.lock()
            && let Some(editor) = current.as_ref()
        {
            return editor.size();
        }
        let (width, height) = self.params.editor.size();
        NativeSize::from_size(LogicalSize::new(width, height).into(), 1.0)
    }

    fn resize_hint(&self) -> ResizeHint {
        resize_hint()
    }

    /// The host's track name is also kept for render reports' titles (the host calls this on
    /// its main thread, never the audio thread).
    fn track_info_updated(&self, info: TrackInfo) {
        if let Ok(mut name) = self.reports.track_name.lock() {
            *name = Some(info.name().to_string()).filter(|n| !n.trim().is_empty());
        }
        // The linked slot's name and colour, and Auto's role (see `crate::link`).
        self.params
            .session_link
            .0
            .set_host_track(crate::link::HostTrack {
                name: Some(info.name().to_string()),
                colour: info.color().map(|c| {
                    let (r, g, b, a) = c.rgba();
                    u32::from_be_bytes([r, g, b, a])
                }),
            });
        if let Ok(current) = self.current.lock()
            && let Some(editor) = current.as_ref()
        {
            editor.track_info_updated(info);
        }
    }

    unsafe fn assume_standalone_in_process(&self) {
        // Safety: the caller upholds the trait's invariants; the egui editor made here is the
        // one the standalone runs.
        unsafe { self.egui_editor().assume_standalone_in_process() }
    }
}

/// A handle to the open window; dropping it (the host closing the editor) clears the open
/// flag.
pub struct WindowHandle {
    inner: EguiEditorHandle,
    open: Arc<AtomicBool>,
}

impl Drop for WindowHandle {
    fn drop(&mut self) {
        self.open.store(false, Ordering::Release);
    }
}

impl EditorHandle for WindowHandle {
    type Window = <EguiEditorHandle as EditorHandle>::Window;
    type Error = <EguiEditorHandle as EditorHandle>::Error;

    fn run_until_closed(window: Self::Window) -> Result<(), Self::Error> {
        EguiEditorHandle::run_until_closed(window)
    }

    fn set_parent(
        &self,
        parent: ParentWindowHandle,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_parent(parent, window)
    }

    fn show(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.show(window)
    }

    fn hide(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.hide(window)
    }

    fn set_size(
        &self,
        new_size: NativeSize<u32>,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_size(new_size, window)
    }

    fn host_main_thread_callback(&self, window: &Self::Window) {
        self.inner.host_main_thread_callback(window)
    }

    fn adjust_size(
        &self,
        new_size: NativeSize<u32>,
        window: &Self::Window,
    ) -> Option<NativeSize<u32>> {
        self.inner.adjust_size(new_size, window)
    }

    fn set_fallback_scale_factor(
        &self,
        scale_factor: f64,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_fallback_scale_factor(scale_factor, window)
    }

    fn on_virtual_key_from_host(
        &self,
        key_code: VirtualKeyCode,
        is_down: bool,
        modifiers: Modifiers,
    ) -> bool {
        self.inner
            .on_virtual_key_from_host(key_code, is_down, modifiers)
    }

    fn param_value_changed(&self, id: &str, normalized_value: f32) {
        self.inner.param_value_changed(id, normalized_value)
    }

    fn param_modulation_changed(&self, id: &str, modulation_offset: f32) {
        self.inner.param_modulation_changed(id, modulation_offset)
    }
}

/// Creates the plugin's editor; `open` is the flag the audio thread reads.
pub fn create(
    params: Arc<MixmeterParams>,
    meter: crate::bridge::MeterOutput,
    open: Arc<AtomicBool>,
    repaint: RepaintNotifier,
    reports: Arc<crate::report::Shared>,
) -> Option<MixmeterEditorWindow> {
    Some(MixmeterEditorWindow {
        app: Arc::new(Mutex::new(MixmeterEditor::new(
            params.clone(),
            meter,
            reports.clone(),
        ))),
        params,
        reports,
        repaint,
        open,
        current: Mutex::new(None),
    })
}
