//! The link panel along the editor's bottom: every instance's role, group and track name
//! (see [`crate::link`]), and on the master instance the Session view: the linked tracks,
//! gain staging with verdicts, who fills each region, masking pairs with their carve and the
//! tracks that peak together (`mixmeter_core::session::analysis`).
//!
//! The group's slots are read every [`POLL_INTERVAL`] and before each analysis (a read of 64
//! tracks' slots is about as much work as a fifth of an editor frame; their rings hold about
//! 6 s, so nothing is lost between reads); the analysis runs at most every
//! [`ANALYSIS_INTERVAL`], on a thread of its own (its cost grows with the pairs of tracks:
//! many tracks are seconds of work, which the editor must never wait for), so the tables lag
//! the audio by a second or more. The thread is joined before the panel goes (never outlives
//! the plugin library).

use super::format::format_reading;
use super::palette::{BAD_COLOR, CAUTION_COLOR, GOOD_COLOR};
use crate::link::reader::{Reader, SessionView};
use crate::link::{LinkControl, Role, normalize_group};
use egui::{Color32, RichText};
use mixmeter_core::session::analysis::SessionReport;
use mixmeter_core::session::staging::{MasterStaging, Verdict};
use std::time::{Duration, Instant};

/// How often the master re-runs the session analysis.
pub const ANALYSIS_INTERVAL: Duration = Duration::from_millis(1000);
/// How often the master reads the group's slots between analyses (their rings hold
/// [`crate::link::layout::RING_LEN`] frames of about 45 ms, some 6 s: reads this often keep
/// up even with a host rendering many times faster than real time).
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The analysis waits at least this many times its own last duration before it runs again,
/// so it takes at most a quarter of one core (64 busy tracks: about 1.3 s of work, `cargo
/// bench --bench summarize -- session`, so an update every 5 s).
pub const COST_FACTOR: u32 = 4;
/// The swatch shown before the user picks a colour (grey, as the session view draws a track
/// without one).
const DEFAULT_COLOUR: u32 = 0x8080_80ff;
/// Share of the editor's height the session view takes on a master with linked tracks, and
/// its least height (a master alone keeps the link row only, so the meters keep their room).
const MASTER_SHARE: f32 = 0.4;
const MASTER_MIN_HEIGHT: f32 = 180.0;
/// Height of the link row on a track instance (the rest of the editor is laid out above it).
pub const ROW_HEIGHT: f32 = 34.0;
/// The least height the master's own meters keep above the session view: what every instance
/// has at the smallest editor size above its link row, the least in which every reading at a
/// glance and the tonal balance fit whole (`tests/editor_view.rs`). The session view takes
/// only what is left over this (its list scrolls), so at the default size (1100x720) it is
/// 194 px high, four tracks in sight, and a taller window lists more.
pub const METERS_MIN_HEIGHT: f32 = crate::params::EDITOR_MIN_SIZE.1 as f32 - ROW_HEIGHT;
/// The least height in which the session view is worth drawing: the link row, the tabs, the
/// table's captions and three tracks. With less room the master shows the link row alone, its
/// status the session's line of what needs attention.
pub const SESSION_MIN_HEIGHT: f32 = 160.0;

/// The panel's GUI-thread state.
#[derive(Default)]
pub struct SessionPanel {
    reader: Option<Reader>,
    /// Text being typed into the group and name fields (applied on Enter or leaving).
    group_text: Option<String>,
    name_text: Option<String>,
    view: Option<SessionView>,
    analysed_at: Option<Instant>,
    /// When the group's slots were last read.
    polled_at: Option<Instant>,
    /// The analysis running on its own thread, if one is, and the group it reads.
    job: Option<(String, std::thread::JoinHandle<(SessionView, Duration)>)>,
    /// How long the last analysis took (the next waits at least [`COST_FACTOR`] times that).
    last_cost: Duration,
    /// The table shown.
    tab: Tab,
    /// The tracks table's text, formatted once per analysis (not once per frame).
    rows: Rows,
    /// Laid out as the link row alone (the window too short for the session view, or no
    /// track linked).
    folded: bool,
}

/// The text of one analysis, formatted when it arrives (not once per frame): the line of
/// what needs attention, each track's six readings and its verdict's tooltip, and the
/// master's four readings.
#[derive(Default)]
struct Rows {
    summary: String,
    tracks: Vec<([String; 6], String)>,
    master: Option<[String; 4]>,
}

impl Rows {
    fn new(report: &SessionReport) -> Self {
        let tracks = report
            .tracks
            .iter()
            .map(|row| {
                let [sample, true_peak, short_term, integrated] = reading_cells(&row.readings);
                let cells = [
                    sample,
                    true_peak,
                    short_term,
                    integrated,
                    format!("{} dB", format_reading(row.crest_factor_db)),
                    row.energy_share
                        .map_or("-".to_string(), |s| format!("{:.0} %", s * 100.0)),
                ];
                let graded = &row.staging;
                let hover = match &graded.advice {
                    Some(advice) => format!("{}\n{advice}", graded.evidence),
                    None => graded.evidence.clone(),
                };
                (cells, hover)
            })
            .collect();
        let master = report.master.as_ref().map(|m| reading_cells(&m.readings));
        Self {
            summary: summary(report),
            tracks,
            master,
        }
    }
}

/// The four cells a track and the master share: sample peak, true peak, the loudest
/// short-term value and the integrated loudness.
fn reading_cells(r: &mixmeter_core::session::TrackReadings) -> [String; 4] {
    [
        format!("{} dBFS", format_reading(r.sample_peak_dbfs)),
        format!("{} dBTP", format_reading(r.true_peak_dbtp)),
        format!("{} LUFS", format_reading(r.short_term_lufs)),
        format!("{} LUFS", format_reading(r.integrated_lufs)),
    ]
}

impl Drop for SessionPanel {
    fn drop(&mut self) {
        if let Some((_, job)) = self.job.take() {
            let _ = job.join();
        }
    }
}

fn verdict_colour(verdict: Verdict) -> Color32 {
    match verdict {
        Verdict::Pass => GOOD_COLOR,
        Verdict::Warn => CAUTION_COLOR,
        Verdict::Fail => BAD_COLOR,
        Verdict::None => Color32::GRAY,
    }
}

impl SessionPanel {
    /// Reads the group now (the master's view; also what tests call without a window).
    pub fn refresh(&mut self, control: &LinkControl, now: Instant) -> Option<&SessionView> {
        let link = control.view();
        if link.role != Role::Master {
            self.reader = None;
            self.view = None;
            return None;
        }
        if self.reader.as_ref().is_none_or(|r| r.group() != link.group) {
            self.reader = Some(Reader::new(&link.group));
            self.analysed_at = None;
            self.polled_at = None;
            self.view = None;
        }
        let reader = self.reader.as_mut()?;
        if self.job.as_ref().is_some_and(|(_, j)| j.is_finished())
            && let Some((group, job)) = self.job.take()
            // A panicking analysis leaves the last view; one of a group left is dropped.
            && let Ok((view, cost)) = job.join()
        {
            self.last_cost = cost;
            if group == link.group {
                self.rows = Rows::new(&view.report);
                self.view = Some(view);
            }
        }
        let interval = ANALYSIS_INTERVAL.max(self.last_cost * COST_FACTOR);
        let due = |at: Option<Instant>, interval| {
            at.is_none_or(|t| now.saturating_duration_since(t) >= interval)
        };
        let analyse = self.job.is_none() && due(self.analysed_at, interval);
        if !analyse && !due(self.polled_at, POLL_INTERVAL) {
            return self.view.as_ref();
        }
        self.polled_at = Some(now);
        let live = reader.poll(crate::link::slot::now_ns());
        if analyse {
            self.analysed_at = Some(now);
            let input = reader.session_input(&live, link.slot.map(|(_, owner)| owner));
            let spawned = std::thread::Builder::new()
                .name("mixmeter-session".to_string())
                .spawn(move || {
                    let started = Instant::now();
                    let view = input.analyze();
                    (view, started.elapsed())
                });
            match spawned {
                Ok(job) => self.job = Some((link.group.clone(), job)),
                Err(error) => {
                    nice_plug::nice_warn!("Session analysis not run: no thread ({error})");
                }
            }
        }
        self.view.as_ref()
    }

    /// Lays out `central` (the rest of the editor) above the link panel, and draws the panel
    /// after it, so the keyboard reaches the meters' controls first.
    pub fn below<R>(
        &mut self,
        ui: &mut egui::Ui,
        control: &LinkControl,
        central: impl FnOnce(&mut egui::Ui) -> R,
    ) -> R {
        let master = control.view().role == Role::Master;
        let full = ui.available_rect_before_wrap();
        let height = if master && self.has_tracks() {
            // The meters first: the session view takes its share only out of the room above
            // their least height, and folds to the link row where that is too little for it.
            let session = (full.height() * MASTER_SHARE)
                .max(MASTER_MIN_HEIGHT)
                .min(full.height() - METERS_MIN_HEIGHT);
            if session >= SESSION_MIN_HEIGHT {
                session
            } else {
                ROW_HEIGHT
            }
        } else {
            ROW_HEIGHT
        }
        .min(full.height() / 2.0);
        self.folded = height < SESSION_MIN_HEIGHT;
        let (top, bottom) = full.split_top_bottom_at_y(full.bottom() - height);
        let inner = ui
            .scope_builder(egui::UiBuilder::new().max_rect(top), central)
            .inner;
        ui.scope_builder(egui::UiBuilder::new().max_rect(bottom), |ui| {
            ui.set_clip_rect(bottom.intersect(ui.clip_rect()));
            egui::Frame::side_top_panel(ui.style()).show(ui, |ui| {
                ui.set_min_size(ui.available_size());
                self.show(ui, control, master);
            });
        });
        inner
    }

    /// Whether the last analysis saw any track besides this master.
    fn has_tracks(&self) -> bool {
        self.view.as_ref().is_some_and(|v| !v.tracks.is_empty())
    }

    fn show(&mut self, ui: &mut egui::Ui, control: &LinkControl, master: bool) {
        self.settings_row(ui, control);
        if master {
            // Read every frame the editor is open, tracks or not: the read is what tells the
            // tracks a master watches (they summarize only then).
            self.refresh(control, Instant::now());
            if self.has_tracks() && !self.folded {
                ui.separator();
                self.session(ui);
            }
            // The tracks keep playing: read them again soon.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }

    fn settings_row(&mut self, ui: &mut egui::Ui, control: &LinkControl) {
        let link = control.view();
        let mut settings = link.settings.clone();
        ui.horizontal(|ui| {
            ui.label(RichText::new("Link").strong());
            let selected = match settings.role {
                Role::Auto => format!("Auto ({})", link.role.label().to_lowercase()),
                role => role.label().to_string(),
            };
            egui::ComboBox::from_id_salt("link-role")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    for role in Role::ALL {
                        ui.selectable_value(&mut settings.role, role, role.label());
                    }
                })
                .response
                .on_hover_text(
                    "Auto: master on the host's master track, a track elsewhere. Tracks \
                     publish; the master shows the session.",
                );
            let label = ui.label("Group");
            let group = self
                .group_text
                .get_or_insert_with(|| settings.group.clone());
            let response = ui
                .add(egui::TextEdit::singleline(group).desired_width(120.0))
                .labelled_by(label.id);
            if response.lost_focus() {
                settings.group = normalize_group(group);
            }
            if !response.has_focus() {
                // Not being typed into: show the saved group (a loaded project may change it).
                self.group_text = None;
            }
            if link
                .host
                .name
                .as_deref()
                .is_some_and(|n| !n.trim().is_empty())
            {
                ui.label(format!("Track: {} (from the host)", link.name));
            } else {
                let label = ui.label("Name");
                let name = self.name_text.get_or_insert_with(|| settings.name.clone());
                let response = ui
                    .add(
                        egui::TextEdit::singleline(name)
                            .hint_text("track name")
                            .desired_width(120.0),
                    )
                    .labelled_by(label.id);
                if response.lost_focus() {
                    settings.name = name.trim().to_string();
                }
                if !response.has_focus() {
                    self.name_text = None;
                }
            }
            if link.host.colour.is_none() {
                let label = ui.label("Colour");
                let [r, g, b, _] = settings.colour.unwrap_or(DEFAULT_COLOUR).to_be_bytes();
                let mut colour = Color32::from_rgb(r, g, b);
                let response = ui
                    .color_edit_button_srgba(&mut colour)
                    .labelled_by(label.id);
                if response.changed() {
                    settings.colour = Some(u32::from_be_bytes([
                        colour.r(),
                        colour.g(),
                        colour.b(),
                        0xff,
                    ]));
                }
            }
            match (&link.error, link.slot) {
                (Some(error), _) => {
                    ui.colored_label(BAD_COLOR, format!("Not linked: {error}"));
                }
                (None, Some(_))
                    if link.role == Role::Master && self.has_tracks() && self.folded =>
                {
                    // The session view folded away (a short window): its line of what needs
                    // attention takes the status's place, cut to the row.
                    let tracks = self.view.as_ref().map_or(0, |v| v.tracks.len());
                    let text = format!(
                        "{tracks} tracks linked: {}. A taller window lists them.",
                        self.rows.summary
                    );
                    ui.add(egui::Label::new(text.as_str()).truncate())
                        .on_hover_text(text.as_str());
                }
                (None, Some((slot, _))) if link.role == Role::Master && !self.has_tracks() => {
                    ui.label(format!(
                        "Master of \"{}\" (slot {}): no track instances linked yet",
                        link.group,
                        slot + 1
                    ));
                }
                (None, Some((slot, _))) => {
                    ui.label(format!("Linked: slot {} of \"{}\"", slot + 1, link.group));
                }
                (None, None) => {
                    ui.label("Links when the host starts the plugin");
                }
            }
        });
        if settings != link.settings {
            control.set_settings(settings);
        }
    }

    fn session(&mut self, ui: &mut egui::Ui) {
        if let Some(Err(error)) = self.reader.as_ref().map(|r| r.status()) {
            ui.colored_label(BAD_COLOR, format!("Not linked: {error}"));
            return;
        }
        let Some(view) = &self.view else {
            ui.label("Reading the group...");
            return;
        };
        if view.tracks.is_empty() {
            ui.label(
                "No track instance in this group yet: put Mixmeter on each track, in the same \
                 group.",
            );
            return;
        }
        let report = &view.report;
        let moments = report.peak_moments.as_ref().map_or(0, Vec::len);
        ui.horizontal(|ui| {
            for (tab, caption) in [
                (Tab::Tracks, format!("Tracks ({})", view.tracks.len())),
                (Tab::Regions, "Regions".to_string()),
                (Tab::Masking, format!("Masking ({})", report.masking.len())),
                (Tab::Peaks, format!("Peaks together ({moments})")),
            ] {
                ui.selectable_value(&mut self.tab, tab, caption);
            }
            ui.separator();
            ui.label(RichText::new(self.rows.summary.as_str()).weak());
        });
        ui.separator();
        match self.tab {
            Tab::Tracks => tracks_table(ui, view, &self.rows),
            Tab::Regions => regions(ui, report),
            Tab::Masking => masking(ui, report),
            Tab::Peaks => peaks(ui, report),
        }
    }
}

/// The session view's tabs: one table at a time, each scrolled on its own (only the rows in
/// sight are laid out, so 64 tracks cost what the visible rows cost).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Tab {
    #[default]
    Tracks,
    Regions,
    Masking,
    Peaks,
}

/// One line after the tabs: what needs attention.
fn summary(report: &SessionReport) -> String {
    let failing = report
        .tracks
        .iter()
        .filter(|t| t.staging.verdict == Verdict::Fail)
        .count();
    let warned = report
        .tracks
        .iter()
        .filter(|t| t.staging.verdict == Verdict::Warn)
        .count();
    let mut parts = Vec::new();
    if failing > 0 {
        parts.push(format!("{failing} too hot"));
    }
    if warned > 0 {
        parts.push(format!("{warned} near the limit"));
    }
    if let Some(master) = &report.master
        && master.staging.verdict != Verdict::Pass
        && master.staging.verdict != Verdict::None
    {
        parts.push(format!("master {}", master.staging.verdict.id()));
    }
    if let Some(pair) = report.masking.first() {
        parts.push(format!(
            "most masking: {} and {}",
            pair.tracks[0], pair.tracks[1]
        ));
    }
    if parts.is_empty() {
        "Gain staging fine, no masking found".to_string()
    } else {
        parts.join("; ")
    }
}

/// Cells of fixed widths, so rows laid out one at a time still line up.
const TRACK_COLUMNS: [(&str, f32); 8] = [
    ("Track", 150.0),
    ("Sample peak", 90.0),
    ("True peak", 90.0),
    ("Max short-term", 105.0),
    ("Integrated", 90.0),
    ("Crest", 60.0),
    ("Share", 55.0),
    ("Verdict", 60.0),
];

fn cell(ui: &mut egui::Ui, width: f32, height: f32, add: impl FnOnce(&mut egui::Ui)) {
    ui.allocate_ui_with_layout(
        egui::vec2(width, height),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_size(egui::vec2(width, height));
            add(ui);
        },
    );
}

/// A [`cell`] holding one label, laid out in the row itself and padded to the column's width:
/// the label and the next cell land exactly where [`cell`] puts them (tested), without a `Ui`
/// of its own, which costs about as much as the label (a row has eight cells, and a dozen
/// rows can be in sight).
fn text_cell(ui: &mut egui::Ui, width: f32, text: impl Into<egui::WidgetText>) -> egui::Response {
    let left = ui.cursor().left();
    let response = ui.label(text);
    ui.add_space((width - (response.rect.right() - left)).max(0.0));
    response
}

/// Each track's gain staging over the measurement, as `mixmeter session` prints it: peaks,
/// the loudest short-term value and the integrated loudness (from the track's own meter),
/// crest, share of the master and the verdict with its evidence; the master's row last.
fn tracks_table(ui: &mut egui::Ui, view: &SessionView, texts: &Rows) {
    let report = &view.report;
    let height = ui.spacing().interact_size.y;
    ui.horizontal(|ui| {
        for (caption, width) in TRACK_COLUMNS {
            text_cell(ui, width, RichText::new(caption).weak());
        }
    });
    let rows = report.tracks.len() + usize::from(report.master.is_some());
    egui::ScrollArea::vertical()
        .id_salt("session-tracks")
        .auto_shrink([false, false])
        .show_rows(ui, height, rows, |ui, range| {
            for i in range {
                ui.horizontal(|ui| match (report.tracks.get(i), texts.tracks.get(i)) {
                    (Some(row), Some(texts)) => {
                        track_row(ui, height, row, texts, view.tracks.get(i).map(|t| &t.1));
                    }
                    _ => {
                        if let (Some(master), Some(texts)) = (&report.master, &texts.master) {
                            master_row(ui, height, master, texts);
                        }
                    }
                });
            }
        });
}

fn track_row(
    ui: &mut egui::Ui,
    height: f32,
    row: &mixmeter_core::session::staging::TrackStaging,
    (cells, hover): &([String; 6], String),
    linked: Option<&crate::link::reader::LinkedTrack>,
) {
    let w = |i: usize| TRACK_COLUMNS[i].1;
    // The swatch and the name cut to the column, in the row itself as `text_cell` lays out
    // (a `cell` of their own cost about 12 k instructions a row, as much as two more cells);
    // the swatch's space is the row's height, which keeps every row the height the scroll area
    // counts with.
    let left = ui.cursor().left();
    let colour = linked
        .and_then(|t| t.meta.colour)
        .map_or(Color32::GRAY, |c| {
            let [r, g, b, _] = c.to_be_bytes();
            Color32::from_rgb(r, g, b)
        });
    let (space, _) = ui.allocate_exact_size(egui::vec2(10.0, height), egui::Sense::hover());
    ui.painter().rect_filled(
        egui::Rect::from_center_size(space.center(), egui::vec2(10.0, 10.0)),
        0.0,
        colour,
    );
    let room = w(0) - (ui.cursor().left() - left);
    let name = egui::WidgetText::from(row.name.as_str()).into_galley(
        ui,
        Some(egui::TextWrapMode::Truncate),
        (room - ui.spacing().item_spacing.x).max(0.0),
        egui::TextStyle::Body,
    );
    text_cell(ui, room, name);
    for (k, text) in cells.iter().enumerate() {
        text_cell(ui, w(k + 1), text.as_str());
    }
    let graded = &row.staging;
    let verdict = RichText::new(graded.verdict.id()).color(verdict_colour(graded.verdict));
    text_cell(ui, w(7), verdict).on_hover_text(hover.as_str());
}

fn master_row(ui: &mut egui::Ui, height: f32, master: &MasterStaging, texts: &[String; 4]) {
    let w = |i: usize| TRACK_COLUMNS[i].1;
    cell(ui, w(0), height, |ui| {
        ui.label(RichText::new("Master").strong());
    });
    for (k, text) in texts.iter().enumerate() {
        text_cell(ui, w(k + 1), text.as_str());
    }
    // No crest or share for the master: empty cells keep the verdict in its column.
    cell(ui, w(5), height, |_| {});
    cell(ui, w(6), height, |_| {});
    cell(ui, w(7), height, |ui| {
        ui.colored_label(
            verdict_colour(master.staging.verdict),
            master.staging.verdict.id(),
        )
        .on_hover_text(&master.staging.evidence);
    });
}

/// Who fills each region: the three largest shares of the last 10 s and of the whole
/// measurement.
fn regions(ui: &mut egui::Ui, report: &SessionReport) {
    let who = |fill: &mixmeter_core::session::fill::RegionShares| {
        let mut shares: Vec<_> = fill
            .shares
            .iter()
            .filter_map(|s| s.share.map(|v| (s.track.as_str(), v)))
            .filter(|(_, v)| *v >= 0.05)
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1));
        if fill.empty || shares.is_empty() {
            "empty".to_string()
        } else {
            shares
                .iter()
                .take(3)
                .map(|(t, v)| format!("{t} {:.0} %", v * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    egui::ScrollArea::vertical()
        .id_salt("session-regions")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("session-regions-grid")
                .striped(true)
                .show(ui, |ui| {
                    for caption in ["Region", "Last 10 s", "Whole measurement"] {
                        ui.label(RichText::new(caption).weak());
                    }
                    ui.end_row();
                    for region in &report.regions {
                        ui.label(format!(
                            "{} ({:.0}-{:.0} Hz)",
                            region.name, region.low_hz, region.high_hz
                        ));
                        ui.label(who(&region.recent));
                        ui.label(who(&region.whole));
                        ui.end_row();
                    }
                });
        });
}

/// The masking pairs, strongest first: the pair, the band and how often on one line, the
/// carve on the next (cut short to the panel; the whole text on hover).
fn masking(ui: &mut egui::Ui, report: &SessionReport) {
    if report.masking.is_empty() {
        ui.label("No two tracks mask each other.");
        return;
    }
    let line = ui.spacing().interact_size.y;
    egui::ScrollArea::vertical()
        .id_salt("session-masking")
        .auto_shrink([false, false])
        .show_rows(ui, 2.0 * line, report.masking.len(), |ui, range| {
            for pair in &report.masking[range] {
                ui.allocate_ui(egui::vec2(ui.available_width(), 2.0 * line), |ui| {
                    ui.set_min_height(2.0 * line);
                    ui.vertical(|ui| {
                        ui.label(
                            RichText::new(format!(
                                "{} and {}, {:.0}-{:.0} Hz, {:.0} % of the time",
                                pair.tracks[0],
                                pair.tracks[1],
                                pair.low_hz,
                                pair.high_hz,
                                pair.time_share * 100.0
                            ))
                            .strong(),
                        );
                        ui.add(egui::Label::new(&pair.advice).truncate())
                            .on_hover_text(&pair.advice);
                    });
                });
            }
        });
}

/// When the master came near its ceiling, which tracks peaked with it (the latest eight).
fn peaks(ui: &mut egui::Ui, report: &SessionReport) {
    match &report.peak_moments {
        None => {
            ui.label("Needs the master instance's own audio.");
        }
        Some(moments) if moments.is_empty() => {
            ui.label("The master stays clear of its ceiling.");
        }
        Some(moments) => {
            egui::ScrollArea::vertical()
                .id_salt("session-peaks")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    for moment in moments.iter().rev().take(8) {
                        let tracks: Vec<String> = moment
                            .tracks
                            .iter()
                            .map(|t| format!("{} {:.1} dBTP", t.track, t.true_peak_dbtp))
                            .collect();
                        ui.label(format!(
                            "{}: master {:.1} dBTP with {}",
                            moment
                                .start_s
                                .map_or(format!("frame {}", moment.first_index), |s| {
                                    super::format::format_duration(s)
                                }),
                            moment.master_true_peak_dbtp,
                            tracks.join(", ")
                        ));
                    }
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::Settings;
    use crate::link::layout::ROLE_TRACK;
    use crate::link::slot::{Lease, Meta, Publisher, now_ns};
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use mixmeter_core::session::frame::TrackFrame;
    use std::sync::Arc;

    fn track(group: &str, name: &str, peak: f32, band: usize) -> (Arc<Lease>, Publisher) {
        let meta = Meta {
            role: ROLE_TRACK,
            name: name.to_string(),
            colour: None,
            name_from_host: false,
            sample_rate_hz: 48_000.0,
            channels: 2,
        };
        let lease = Lease::claim(group, &meta).unwrap();
        let mut publisher = Publisher::new(lease.clone());
        for n in 0..100 {
            let mut frame = TrackFrame::silent(n);
            frame.sample_peak = peak;
            frame.true_peak = peak;
            frame.mean_square = 0.01;
            frame.power = 0.01;
            frame.bands[band] = 0.01;
            publisher.publish(&frame);
        }
        (lease, publisher)
    }

    /// Removes the group's segment when the test ends, passed or not.
    struct Cleanup(String);

    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(crate::link::segment::segment_path(&self.0));
        }
    }

    #[test]
    fn a_master_shows_its_tracks_pairs_and_verdicts() {
        let group = format!("unit-panel-{}-{}", std::process::id(), now_ns());
        let _cleanup = Cleanup(group.clone());
        let control = Arc::new(LinkControl::default());
        control.set_settings(Settings {
            role: Role::Master,
            group: group.clone(),
            ..Settings::default()
        });
        control.activated(48_000.0, 2);
        let _kick = track(&group, "Kick", 0.3, 4);
        let _bass = track(&group, "Bass", 0.3, 4);
        let _hot = track(&group, "Hot", 0.9, 20);
        let mut panel = SessionPanel::default();
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1200.0, 900.0))
            .build_ui(move |ui| {
                panel.below(ui, &control, |ui| {
                    ui.label("meters");
                });
            });
        // The analysis runs on its own thread: the editor draws on while it does.
        let started = Instant::now();
        while harness.query_by_label("Tracks (3)").is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no analysis arrived"
            );
            std::thread::sleep(Duration::from_millis(20));
            harness.step();
        }
        harness.run();
        // The tracks' tab first: every row, the hot one failing, and the summary says so.
        harness.get_by_label("Tracks (3)");
        for name in ["Kick", "Bass", "Hot"] {
            harness.get_by_label(name);
        }
        assert_eq!(
            harness.query_all_by_label("fail").count(),
            1,
            "the hot track fails"
        );
        harness.get_by_label_contains("1 too hot");
        assert!(harness.query_by_label_contains("Kick and Bass,").is_none());
        harness.get_by_label("Masking (1)").click();
        harness.run();
        harness.get_by_label_contains("Kick and Bass,");
        assert!(harness.query_by_label_contains("Hot and").is_none());
        harness.get_by_label("Regions").click();
        harness.run();
        assert_eq!(
            harness.query_all_by_label_contains("Hot 100 %").count(),
            2,
            "the hot track alone fills its band, lately and over the measurement"
        );
        harness.get_by_label_contains("Auto").hover();
    }

    #[test]
    fn a_text_cell_puts_its_label_and_the_next_cell_where_a_cell_does() {
        // The same row twice, a label in a cell of its own and in a text cell (one narrower
        // than its label), then the next widget: every rectangle the same, row for row.
        let ctx = egui::Context::default();
        let mut rows: [Vec<egui::Rect>; 2] = Default::default();
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            let height = ui.spacing().interact_size.y;
            for (flat, rects) in rows.iter_mut().enumerate() {
                let row = ui.horizontal(|ui| {
                    for (text, width) in [("-12.3 dBFS", 90.0), ("a label wider than it", 60.0)] {
                        let rect = if flat == 1 {
                            text_cell(ui, width, text).rect
                        } else {
                            let mut rect = egui::Rect::NOTHING;
                            cell(ui, width, height, |ui| rect = ui.label(text).rect);
                            rect
                        };
                        rects.push(rect);
                    }
                    rects.push(ui.label("next").rect);
                });
                let top = row.response.rect.top();
                rects
                    .iter_mut()
                    .for_each(|r| *r = r.translate(egui::vec2(0.0, -top)));
                rects.push(row.response.rect.translate(egui::vec2(0.0, -top)));
            }
        });
        output.textures_delta.clear();
        assert_eq!(rows[0].len(), 4);
        assert_eq!(rows[0], rows[1]);
    }

    #[test]
    fn a_track_shows_only_its_link_row() {
        let control = Arc::new(LinkControl::default());
        let mut panel = SessionPanel::default();
        let mut harness = Harness::builder().build_ui(move |ui| {
            panel.below(ui, &control, |ui| {
                ui.label("meters");
            });
        });
        harness.run();
        harness.get_by_label("Links when the host starts the plugin");
        assert!(harness.query_by_label_contains("Tracks (").is_none());
    }
}
