//! Opening (or creating) a group's segment file and mapping it.
//!
//! The file is `/dev/shm/mixmeter-link-v2-<uid>-<group>-<hash>` (see [`segment_path`]). A new
//! segment is written whole into a private temporary file and then `link(2)`ed to its name,
//! which fails if another instance was first: whoever opens the name sees a complete header,
//! never a half-made one. Files are never removed by the plugin (another instance may open
//! them at any time; each is about 2.4 MB of shared memory, cleared at reboot).

use super::layout::{HEADER_SIZE, Header, SEGMENT_SIZE, SLOT_COUNT, Slot};
use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;

/// The group new instances join.
pub const DEFAULT_GROUP: &str = "default";
/// Longest group name kept (longer names are cut).
pub const MAX_GROUP_CHARS: usize = 64;
/// Where segments live (a tmpfs on Linux).
const SHM_DIR: &str = "/dev/shm";

/// Why an instance is not linked (shown to the user).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkError {
    #[error("cannot open the link segment {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("the link segment {path} is {reason}; delete it or pick another group")]
    Foreign { path: String, reason: String },
    #[error("all {SLOT_COUNT} slots of group \"{group}\" are taken")]
    Full { group: String },
}

/// The group name as used: trimmed, at most [`MAX_GROUP_CHARS`] characters, and
/// [`DEFAULT_GROUP`] when empty.
pub fn normalize_group(group: &str) -> String {
    let group: String = group.trim().chars().take(MAX_GROUP_CHARS).collect();
    if group.is_empty() {
        DEFAULT_GROUP.to_string()
    } else {
        group
    }
}

/// FNV-1a, 64 bits: a stable hash of the group name for the file name (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The segment file of `group` for this user: a readable part (ASCII letters, digits, `-`
/// and `_` of the name, at most 24) and the hash of the whole normalized name, so any name is
/// safe in a path and names that differ only in other characters get different files.
pub fn segment_path(group: &str) -> PathBuf {
    let group = normalize_group(group);
    let readable: String = group
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(24)
        .collect();
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    PathBuf::from(SHM_DIR).join(format!(
        "mixmeter-link-v{}-{uid}-{readable}-{:016x}",
        super::layout::LAYOUT_VERSION,
        fnv1a(group.as_bytes())
    ))
}

/// One mapping of a segment, unmapped when dropped.
pub struct Mapping {
    base: *mut u8,
    path: PathBuf,
}

// SAFETY: the mapping is only reached through atomics (`Header` and `Slot` are made of them).
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base` is the start of a live mapping of SEGMENT_SIZE bytes made by `map`.
        unsafe {
            libc::munmap(self.base.cast(), SEGMENT_SIZE);
        }
    }
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mapping({})", self.path.display())
    }
}

impl Mapping {
    /// Opens `group`'s segment, creating it if there is none; checks its header.
    pub fn open_or_create(group: &str) -> Result<Mapping, LinkError> {
        let path = segment_path(group);
        if !path.exists() {
            create(&path)?;
        }
        Self::open_path(&path)
    }

    /// Opens `group`'s segment if it exists (a master with no track yet sees no segment).
    pub fn open_existing(group: &str) -> Result<Option<Mapping>, LinkError> {
        let path = segment_path(group);
        if !path.exists() {
            return Ok(None);
        }
        Self::open_path(&path).map(Some)
    }

    /// Maps the file at `path` and checks it is a segment of this layout.
    pub fn open_path(path: &std::path::Path) -> Result<Mapping, LinkError> {
        let open_error = |reason: String| LinkError::Open {
            path: path.display().to_string(),
            reason,
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| open_error(e.to_string()))?;
        let metadata = file.metadata().map_err(|e| open_error(e.to_string()))?;
        // Only a file of this user that nobody else may write (as `create` makes it): in the
        // world-writable /dev/shm another user could make the name first, and then truncate
        // the file under our mapping.
        {
            use std::os::unix::fs::MetadataExt;
            // SAFETY: getuid has no preconditions and cannot fail.
            let uid = unsafe { libc::getuid() };
            if metadata.uid() != uid || metadata.mode() & 0o077 != 0 {
                return Err(LinkError::Foreign {
                    path: path.display().to_string(),
                    reason: format!(
                        "owned by uid {} with mode {:o}: not this user's private segment",
                        metadata.uid(),
                        metadata.mode() & 0o7777
                    ),
                });
            }
        }
        if !metadata.is_file() || metadata.len() != SEGMENT_SIZE as u64 {
            return Err(LinkError::Foreign {
                path: path.display().to_string(),
                reason: format!(
                    "{} bytes long (a segment of this layout has {SEGMENT_SIZE})",
                    metadata.len()
                ),
            });
        }
        let mapping = map(&file).map_err(|e| open_error(e.to_string()))?;
        let mapping = Mapping {
            base: mapping,
            path: path.to_path_buf(),
        };
        if let Some(reason) = mapping.header().mismatch() {
            return Err(LinkError::Foreign {
                path: path.display().to_string(),
                reason,
            });
        }
        Ok(mapping)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn header(&self) -> &Header {
        // SAFETY: the mapping is SEGMENT_SIZE bytes, page-aligned; Header is atomics only, so
        // any bytes are a valid Header and concurrent writers are fine.
        unsafe { &*(self.base as *const Header) }
    }

    pub fn slot(&self, index: usize) -> &Slot {
        assert!(index < SLOT_COUNT);
        // SAFETY: in bounds (checked above, the file size was checked before mapping and a
        // shared mapping of a file keeps its size: the plugin never truncates; a foreign
        // process truncating the file would make access fault, as with any shared file);
        // Slot is atomics only and 8-aligned at HEADER_SIZE + k * SLOT_SIZE.
        unsafe {
            &*(self
                .base
                .add(HEADER_SIZE + index * std::mem::size_of::<Slot>())
                as *const Slot)
        }
    }

    pub fn slots(&self) -> impl Iterator<Item = (usize, &Slot)> {
        (0..SLOT_COUNT).map(|i| (i, self.slot(i)))
    }
}

fn map(file: &File) -> std::io::Result<*mut u8> {
    // SAFETY: a shared read-write mapping of a file we checked is SEGMENT_SIZE long.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            SEGMENT_SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            // Every page mapped now, off the audio thread, so its stores into the slot never
            // fault a page in (the file's pages exist: `create` allocates them all).
            libc::MAP_SHARED | populate(),
            file.as_raw_fd(),
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(base.cast())
}

/// `MAP_POPULATE` where the system has it.
fn populate() -> libc::c_int {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        libc::MAP_POPULATE
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        0
    }
}

/// Writes a fresh segment to a temporary file and links it to `path` (if another instance
/// made `path` first, theirs stays and this one is dropped).
fn create(path: &std::path::Path) -> Result<(), LinkError> {
    let open_error = |reason: String| LinkError::Open {
        path: path.display().to_string(),
        reason,
    };
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let temp = path.with_extension(format!(
        "tmp{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&temp)?;
        file.set_len(SEGMENT_SIZE as u64)?;
        // Every page allocated now: a sparse file would allocate tmpfs pages on the audio
        // thread's first write into each, and a full /dev/shm would kill the host there
        // (SIGBUS) instead of failing here with a message.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // SAFETY: a valid descriptor; posix_fallocate returns the error number.
            let error = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, SEGMENT_SIZE as _) };
            if error != 0 {
                return Err(std::io::Error::from_raw_os_error(error));
            }
        }
        // The header, written through a mapping so it is exactly the layout's bytes.
        let base = map(&file)?;
        let mapping = Mapping {
            base,
            path: temp.clone(),
        };
        mapping.header().init();
        drop(mapping);
        file.flush()?;
        let from = CString::new(temp.as_os_str().as_bytes())?;
        let to = CString::new(path.as_os_str().as_bytes())?;
        // SAFETY: two valid C strings.
        if unsafe { libc::link(from.as_ptr(), to.as_ptr()) } != 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(error);
            }
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&temp);
    result.map_err(|e| open_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_map_to_safe_distinct_paths() {
        let a = segment_path("Band / Mix 1");
        let b = segment_path("Band ? Mix 1");
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("mixmeter-link-v2-"));
        assert!(!name.contains('/') && !name.contains(' '), "{name}");
        assert_eq!(segment_path(""), segment_path(DEFAULT_GROUP));
        assert_eq!(segment_path("  x "), segment_path("x"));
        assert_eq!(normalize_group(&"g".repeat(100)).len(), MAX_GROUP_CHARS);
    }

    #[test]
    fn a_segment_is_created_once_and_reopened() {
        let group = format!("unit-create-{}", std::process::id());
        let path = segment_path(&group);
        let _ = std::fs::remove_file(&path);
        let a = Mapping::open_or_create(&group).unwrap();
        a.slot(3)
            .owner
            .store(42, std::sync::atomic::Ordering::Relaxed);
        let b = Mapping::open_or_create(&group).unwrap();
        assert_eq!(
            b.slot(3).owner.load(std::sync::atomic::Ordering::Relaxed),
            42
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), SEGMENT_SIZE as u64);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn foreign_files_are_refused_with_a_reason() {
        let group = format!("unit-foreign-{}", std::process::id());
        let path = segment_path(&group);
        let private = |path: &std::path::Path| {
            std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap()
        };
        std::fs::write(&path, b"not a segment").unwrap();
        private(&path);
        let error = Mapping::open_or_create(&group).unwrap_err();
        assert!(matches!(error, LinkError::Foreign { .. }), "{error}");
        std::fs::write(&path, vec![0u8; SEGMENT_SIZE]).unwrap();
        private(&path);
        let error = Mapping::open_existing(&group).unwrap_err();
        assert!(
            error.to_string().contains("not a Mixmeter link segment"),
            "{error}"
        );
        // A valid segment that others may write (another user could truncate it under the
        // mapping) is refused before it is mapped.
        std::fs::remove_file(&path).unwrap();
        drop(Mapping::open_or_create(&group).unwrap());
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .unwrap();
        let error = Mapping::open_existing(&group).unwrap_err();
        assert!(error.to_string().contains("private segment"), "{error}");
        std::fs::remove_file(&path).unwrap();
    }

    /// A new segment's pages all exist (no sparse hole for the audio thread to fault in).
    #[test]
    fn new_segments_are_allocated_whole() {
        use std::os::unix::fs::MetadataExt;
        let group = format!("unit-allocated-{}", std::process::id());
        let path = segment_path(&group);
        let _ = std::fs::remove_file(&path);
        drop(Mapping::open_or_create(&group).unwrap());
        let metadata = std::fs::metadata(&path).unwrap();
        assert!(
            metadata.blocks() * 512 >= SEGMENT_SIZE as u64,
            "{} of {SEGMENT_SIZE} bytes allocated",
            metadata.blocks() * 512
        );
        assert_eq!(metadata.mode() & 0o777, 0o600);
        std::fs::remove_file(&path).unwrap();
    }
}
