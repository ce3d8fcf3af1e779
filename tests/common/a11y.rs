//! A private D-Bus session with the AT-SPI registry for the screen-reader tests, and the AT-SPI
//! client (`tests/a11y/atspi_client.py`) that reads the plugin's window from outside, as Orca
//! does.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A `dbus-daemon --session` of this test process (what `dbus-run-session` starts), with
/// accessibility turned on. The accessibility bus and its registry (at-spi2-core) start on
/// demand when the client or the plugin first asks the session for them.
pub struct Session {
    daemon: Child,
    pub address: String,
}

impl Drop for Session {
    fn drop(&mut self) {
        // The daemon is ours (the bus launcher and registry it started end with it).
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Starts the session bus and points `DBUS_SESSION_BUS_ADDRESS` at it, so the plugin's
/// adapter and the client meet there. Call before any plugin editor opens (the adapter reads
/// the address once per process).
pub fn session() -> Session {
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon is installed (the README's test command installs it)");
    let mut line = String::new();
    BufReader::new(daemon.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("dbus-daemon prints its address");
    let address = line.trim().to_string();
    assert!(!address.is_empty(), "dbus-daemon gave no address");
    // SAFETY: set by the test's only thread, before any plugin thread reads the environment.
    unsafe {
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
        std::env::remove_var("AT_SPI_BUS_ADDRESS");
    }
    let session = Session { daemon, address };
    let enabled = client(&["enable"]);
    assert_eq!(enabled["enabled"], true, "{enabled}");
    session
}

/// The Python with the Atspi typelib: `MIXMETER_A11Y_PYTHON`, or Debian's `/usr/bin/python3`
/// (python3-gi and gir1.2-atspi-2.0 are Debian packages, not in other Pythons).
fn python() -> PathBuf {
    if let Ok(python) = std::env::var("MIXMETER_A11Y_PYTHON") {
        return PathBuf::from(python);
    }
    let debian = Path::new("/usr/bin/python3");
    if debian.exists() {
        debian.to_path_buf()
    } else {
        PathBuf::from("python3")
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y/atspi_client.py")
}

/// Runs one client command and returns its JSON.
pub fn client(args: &[&str]) -> Value {
    let output = Command::new(python())
        .arg(script())
        .args(args)
        .output()
        .expect("the AT-SPI client runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "client {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("client {args:?}: {e}: {stdout}"))
}

/// Starts a client command in the background (`listen`); [`finish`] collects its JSON.
pub fn spawn_client(args: &[&str]) -> Child {
    Command::new(python())
        .arg(script())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the AT-SPI client runs")
}

pub fn finish(child: Child) -> Value {
    let output = child.wait_with_output().expect("the client finishes");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("client: {e}: {stdout}"))
}

/// One node as the client read it.
#[derive(Debug, Clone)]
pub struct Node {
    pub depth: u64,
    pub role: String,
    pub name: String,
    pub states: Vec<String>,
    pub value: Option<f64>,
    pub actions: Vec<String>,
}

impl Node {
    pub fn has(&self, state: &str) -> bool {
        self.states.iter().any(|s| s == state)
    }
}

/// The plugin window's tree as this process's AT-SPI client reads it (depth-first).
pub fn tree(pid: u32) -> Vec<Node> {
    let dump = client(&["dump", &pid.to_string()]);
    assert!(dump.get("error").is_none(), "{dump}");
    dump["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| Node {
            depth: n["depth"].as_u64().unwrap(),
            role: n["role"].as_str().unwrap().to_string(),
            name: n["name"].as_str().unwrap().to_string(),
            states: n["states"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect(),
            value: n["value"].as_f64(),
            actions: n["actions"]
                .as_array()
                .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// The first node named `name` or "`name`, ..." (a reading with its value).
pub fn find<'a>(tree: &'a [Node], name: &str) -> Option<&'a Node> {
    let prefix = format!("{name}, ");
    tree.iter()
        .find(|n| n.name == name || n.name.starts_with(&prefix))
}

/// The tree as text, one node a line, indented by depth (for failure messages and people).
pub fn outline(tree: &[Node]) -> String {
    tree.iter()
        .map(|n| {
            format!(
                "{}[{}] {}{}{}",
                "  ".repeat(n.depth as usize),
                n.role,
                n.name,
                n.value.map(|v| format!(" (value {v})")).unwrap_or_default(),
                if n.states.iter().any(|s| s == "checked" || s == "focused") {
                    format!(
                        " {{{}}}",
                        n.states
                            .iter()
                            .filter(|s| *s == "checked" || *s == "focused")
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                } else {
                    String::new()
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
