//! Project tasks: `cargo xtask bundle|install|test`.
//!
//! - `bundle ...` is nice-plug-xtask's bundler (VST3 + CLAP bundles in `target/bundled`).
//! - `install` builds release bundles and copies them where hosts look for plugins.
//! - `test` builds the release bundles and a debug bundle with nice-plug's
//!   `assert_process_allocs`, then runs every test tier against both (see the README).

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const PACKAGE: &str = "mixmeter";
/// Debug bundles built with `assert_process_allocs` live in their own target directory so they
/// never overwrite the release bundles a user installs.
const ALLOC_CHECK_TARGET_DIR: &str = "target/alloc-check";
/// The Python environment of the VST3 host tests (created by `cargo xtask test`).
const VENV_DIR: &str = "target/venv";
const PYTHON_REQUIREMENTS: &str = "tests/vst3/requirements.txt";

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("install") => install(),
        Some("test") => test(&args[1..]),
        Some("bundle") | Some("bundle-universal") | Some("known-packages") => {
            nice_plug_xtask::main_with_args("cargo xtask", args).map_err(Into::into)
        }
        _ => {
            eprintln!(
                "Usage:\n  cargo xtask install            build release bundles and install them\n  \
                 cargo xtask test [-- ARGS]     run every test tier (ARGS go to cargo test)\n  \
                 cargo xtask bundle {PACKAGE} [--release]   build bundles into target/bundled"
            );
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn run(command: &mut Command) -> Result<()> {
    eprintln!("+ {command:?}");
    let status = command.status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("command failed ({status}): {command:?}").into())
    }
}

/// Builds bundles with nice-plug-xtask's bundler, optionally into another target directory.
fn bundle(extra_args: &[&str], target_dir: Option<&str>) -> Result<PathBuf> {
    let root = workspace_root();
    let mut command = Command::new(env::current_exe()?);
    command
        .current_dir(&root)
        .arg("bundle")
        .arg(PACKAGE)
        .args(extra_args);
    let bundled = match target_dir {
        Some(dir) => {
            command.env("CARGO_TARGET_DIR", root.join(dir));
            root.join(dir).join("bundled")
        }
        None => root.join("target/bundled"),
    };
    run(&mut command)?;
    Ok(bundled)
}

/// Where hosts look for plugins, per user: (VST3 folder, CLAP folder).
fn plugin_folders() -> Result<(PathBuf, PathBuf)> {
    let home = || -> Result<PathBuf> {
        env::var_os("HOME")
            .map(PathBuf::from)
            .ok_or_else(|| "HOME is not set".into())
    };
    if cfg!(target_os = "macos") {
        let base = home()?.join("Library/Audio/Plug-Ins");
        Ok((base.join("VST3"), base.join("CLAP")))
    } else if cfg!(target_os = "windows") {
        // Per-user folders of the VST3 and CLAP specifications (no administrator rights needed).
        let base = env::var_os("LOCALAPPDATA")
            .map(PathBuf::from)
            .ok_or("LOCALAPPDATA is not set")?
            .join("Programs/Common");
        Ok((base.join("VST3"), base.join("CLAP")))
    } else {
        let home = home()?;
        Ok((home.join(".vst3"), home.join(".clap")))
    }
}

fn copy_recursively(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_recursively(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        fs::copy(from, to)?;
    }
    Ok(())
}

/// Replaces `destination` with a copy of `source` (a bundle folder or a single file).
fn install_bundle(source: &Path, folder: &Path) -> Result<PathBuf> {
    let destination = folder.join(source.file_name().ok_or("bundle has no name")?);
    fs::create_dir_all(folder)?;
    if destination.is_dir() {
        fs::remove_dir_all(&destination)?;
    } else if destination.exists() {
        fs::remove_file(&destination)?;
    }
    copy_recursively(source, &destination)?;
    Ok(destination)
}

fn install() -> Result<()> {
    let bundled = bundle(&["--release"], None)?;
    let (vst3_folder, clap_folder) = plugin_folders()?;
    let vst3 = install_bundle(&bundled.join(format!("{PACKAGE}.vst3")), &vst3_folder)?;
    let clap = install_bundle(&bundled.join(format!("{PACKAGE}.clap")), &clap_folder)?;
    // The command-line analyzer is its own package (it links no plugin or GUI code).
    let root = workspace_root();
    run(Command::new("cargo").current_dir(&root).args([
        "build",
        "--release",
        "-p",
        "mixmeter-cli",
        "--bin",
        "mixmeter",
    ]))?;
    let cli = root.join("target/release/mixmeter");
    println!("\nMixmeter is installed:");
    println!("  VST3: {}", vst3.display());
    println!("  CLAP: {}", clap.display());
    println!("  analyzer: {}", cli.display());
    println!(
        "Rescan plugins in your host (see the README), then insert Mixmeter last on the master bus."
    );
    Ok(())
}

/// Creates the virtual environment of the VST3 host tests and installs its pinned packages.
fn python_env(root: &Path) -> Result<PathBuf> {
    let venv = root.join(VENV_DIR);
    let python = if cfg!(windows) {
        venv.join("Scripts/python.exe")
    } else {
        venv.join("bin/python")
    };
    if !python.exists() {
        let system_python = env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
        run(Command::new(system_python).args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            PYTHON_REQUIREMENTS,
        ])
        .current_dir(root))?;
    Ok(python)
}

fn join_paths(paths: &[PathBuf]) -> Result<OsString> {
    Ok(env::join_paths(paths)?)
}

fn test(cargo_test_args: &[String]) -> Result<()> {
    let root = workspace_root();
    let release = bundle(&["--release"], None)?;
    let alloc_check = bundle(
        &["--features", "assert_process_allocs"],
        Some(ALLOC_CHECK_TARGET_DIR),
    )?;
    let clap_bundles = join_paths(&[
        release.join(format!("{PACKAGE}.clap")),
        alloc_check.join(format!("{PACKAGE}.clap")),
    ])?;
    let vst3_bundles = join_paths(&[
        release.join(format!("{PACKAGE}.vst3")),
        alloc_check.join(format!("{PACKAGE}.vst3")),
    ])?;
    let python = python_env(&root)?;

    // Tier 1-2: unit tests of the core and plugin logic, and the CLAP host tests (clack-host).
    let extra: Vec<&str> = cargo_test_args
        .iter()
        .map(String::as_str)
        .skip_while(|a| *a == "--")
        .collect();
    run(Command::new("cargo")
        .current_dir(&root)
        .args(["test", "--workspace"])
        .args(&extra)
        .env("MIXMETER_CLAP_BUNDLES", &clap_bundles)
        .env("MIXMETER_VST3_BUNDLES", &vst3_bundles))?;

    // The core crate's API documentation builds without a warning (broken links fail).
    run(Command::new("cargo")
        .current_dir(&root)
        .args(["doc", "-p", "mixmeter-core", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;

    // Tier 3: the VST3 bundles in pedalboard (JUCE's VST3 host).
    run(Command::new(&python)
        .current_dir(&root)
        .args(["-m", "pytest", "-q", "tests/vst3"])
        .env("MIXMETER_VST3_BUNDLES", &vst3_bundles)
        // pedalboard renders offline, so the plugin writes render reports: into the build
        // folder, not the user's documents.
        .env("XDG_DOCUMENTS_DIR", root.join("target/render-reports")))?;

    // Tier 4: the fuzz targets, for a bounded time each (MIXMETER_FUZZ_SECONDS, default 60;
    // 0 skips them).
    let seconds = env::var("MIXMETER_FUZZ_SECONDS").unwrap_or_else(|_| "60".to_string());
    if seconds != "0" {
        run(Command::new("bash")
            .current_dir(&root)
            .args(["scripts/fuzz.sh", &seconds]))?;
    }
    Ok(())
}
