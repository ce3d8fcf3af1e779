//! An X11 display for GUI tests: the one in `DISPLAY`, or a private Xvfb started for the test,
//! plus a parent window to embed a plugin editor in and a way to read its pixels.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ConnectionExt, CreateWindowAux, EventMask, ImageFormat, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;

/// A running X server for the test. One that we started runs with `-terminate`: it exits by
/// itself when its last client (this process's connections, the plugin's included) is gone.
/// Killing it earlier would make Xlib end the test process from whichever plugin thread still
/// holds a connection.
pub struct Display {
    _xvfb: Option<Child>,
    /// A connection held for the display's lifetime, so the server does not terminate between
    /// two windows of the test.
    _keeper: Option<RustConnection>,
    pub name: String,
}

/// Uses `DISPLAY` when it is set, or starts `Xvfb` on a free display number and points
/// `DISPLAY` at it (the plugin's window opens whatever `DISPLAY` names).
pub fn display() -> Display {
    if let Ok(name) = std::env::var("DISPLAY")
        && !name.is_empty()
    {
        return Display {
            _xvfb: None,
            _keeper: None,
            name,
        };
    }
    let number = (100..200)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display number");
    let name = format!(":{number}");
    let xvfb = Command::new("Xvfb")
        .args([
            &name,
            "-screen",
            "0",
            "2400x1600x24",
            "-nolisten",
            "tcp",
            "-terminate",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb is installed (the README's test command installs it)");
    let start = Instant::now();
    let keeper = loop {
        if let Ok((conn, _)) = x11rb::connect(Some(&name)) {
            break conn;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "Xvfb did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // SAFETY: set before any other thread of this test binary reads the environment.
    unsafe { std::env::set_var("DISPLAY", &name) };
    Display {
        _xvfb: Some(xvfb),
        _keeper: Some(keeper),
        name,
    }
}

/// A mapped top-level window to embed an editor in, like a host's plugin window.
pub struct ParentWindow {
    pub conn: RustConnection,
    pub window: Window,
    pub width: u16,
    pub height: u16,
}

impl ParentWindow {
    pub fn new(display: &Display, width: u16, height: u16) -> ParentWindow {
        let (conn, screen_num) = x11rb::connect(Some(&display.name)).expect("connect to X");
        let screen = &conn.setup().roots[screen_num];
        let window = conn.generate_id().unwrap();
        conn.create_window(
            screen.root_depth,
            window,
            screen.root,
            0,
            0,
            width,
            height,
            0,
            WindowClass::INPUT_OUTPUT,
            screen.root_visual,
            &CreateWindowAux::new()
                .background_pixel(screen.black_pixel)
                .event_mask(EventMask::STRUCTURE_NOTIFY),
        )
        .unwrap();
        conn.map_window(window).unwrap();
        conn.flush().unwrap();
        ParentWindow {
            conn,
            window,
            width,
            height,
        }
    }

    /// The window's pixels (children included) as RGB rows.
    pub fn capture_rgb(&self) -> Vec<[u8; 3]> {
        let image = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.window,
                0,
                0,
                self.width,
                self.height,
                !0,
            )
            .unwrap()
            .reply()
            .expect("window contents");
        // 24-bit depth uses 32 bits per pixel, little-endian BGRX.
        image
            .data
            .chunks_exact(4)
            .map(|p| [p[2], p[1], p[0]])
            .collect()
    }

    /// Saves a capture as a PNG (for people to look at; tests check pixels directly).
    pub fn save_png(&self, pixels: &[[u8; 3]], path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut encoder = png::Encoder::new(file, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(pixels.as_flattened()).unwrap();
    }
}

impl Drop for ParentWindow {
    fn drop(&mut self) {
        let _ = self.conn.destroy_window(self.window);
        let _ = self.conn.flush();
    }
}
