//! The per-stack state directory and its lock.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StateError;
use crate::ids::StackName;

/// A stack's state directory (`<root>/<stack>/`), locked for the lifetime of this value.
///
/// The lock is an OS file lock (`File::try_lock`) on `<root>/<stack>/lock`, so two processes
/// can never apply one stack at once, and a crashed process never leaves a stale lock behind.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    stack: StackName,
    _lock: File,
}

impl StateDir {
    /// The default root, relative to the working directory: `.xefs/<stack>/`.
    pub const DEFAULT_ROOT: &'static str = ".xefs";

    /// Creates `<root>/<stack>/` (mode 0700) if needed and takes its lock, writing this
    /// process's id into it. If another process holds it, fails with
    /// [`StateError::Locked`] naming that process.
    pub fn open(root: &Path, stack: &StackName) -> Result<Self, StateError> {
        let path = root.join(stack.as_str());
        create_private_dir(&path)?;
        let lock_path = path.join("lock");
        let mut lock = private_file(&lock_path, OpenOptions::new().read(true).write(true))?;
        match try_lock_with_grace(&lock) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                // The holder wrote its pid; a read failure only loses that detail.
                let _ = lock.read_to_string(&mut holder);
                return Err(StateError::Locked {
                    stack: stack.to_string(),
                    pid: holder.trim().parse().ok(),
                    path: lock_path,
                });
            }
            Err(TryLockError::Error(e)) => return Err(StateError::io("locking", lock_path, e)),
        }
        let write_pid = |lock: &mut File| -> std::io::Result<()> {
            lock.set_len(0)?;
            lock.seek(SeekFrom::Start(0))?;
            writeln!(lock, "{}", std::process::id())?;
            lock.sync_data()
        };
        write_pid(&mut lock).map_err(|e| StateError::io("writing", &lock_path, e))?;
        Ok(Self {
            path,
            stack: stack.clone(),
            _lock: lock,
        })
    }

    /// How long a held lock is retried before [`StateError::Locked`] is reported (opening
    /// blocks the calling thread for at most this long).
    pub const LOCK_GRACE: Duration = Duration::from_millis(500);

    /// The directory, `<root>/<stack>/`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stack this directory belongs to.
    pub fn stack(&self) -> &StackName {
        &self.stack
    }

    /// The journal file, `<root>/<stack>/journal.jsonl`.
    pub fn journal_path(&self) -> PathBuf {
        self.path.join("journal.jsonl")
    }
}

/// `try_lock`, retried for [`StateDir::LOCK_GRACE`]. A lock its holder has just released can
/// stay held for an instant: a child process forked anywhere in the holder's process shares the
/// descriptor until its `exec` closes it. Without the grace, reopening a stack right after
/// dropping it fails spuriously whenever another thread happens to spawn a process.
fn try_lock_with_grace(lock: &File) -> Result<(), TryLockError> {
    let deadline = Instant::now() + StateDir::LOCK_GRACE;
    loop {
        match lock.try_lock() {
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

/// Creates a directory readable only by its owner (the journal reveals the account layout).
fn create_private_dir(path: &Path) -> Result<(), StateError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .map_err(|e| StateError::io("creating", path, e))
}

/// Opens (creating if needed) a file with mode 0600, and resets the mode if it was wider.
pub(crate) fn private_file(path: &Path, options: &mut OpenOptions) -> Result<File, StateError> {
    options.create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    let file = options
        .open(path)
        .map_err(|e| StateError::io("opening", path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = file
            .metadata()
            .map_err(|e| StateError::io("reading metadata of", path, e))?;
        if meta.permissions().mode() & 0o777 != 0o600 {
            file.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|e| StateError::io("restricting permissions of", path, e))?;
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_open_is_refused_with_the_holders_pid() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        let stack = StackName::parse("prod-efs")?;
        let held = StateDir::open(root.path(), &stack)?;
        let err = StateDir::open(root.path(), &stack)
            .err()
            .ok_or("second open should fail")?;
        let pid = std::process::id();
        assert!(matches!(err, StateError::Locked { pid: Some(p), .. } if p == pid));
        let message = err.to_string();
        assert!(message.contains(&format!("pid {pid}")), "{message}");
        assert!(message.contains("prod-efs"), "{message}");
        drop(held);
        // Released on drop: the next run gets it.
        StateDir::open(root.path(), &stack)?;
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn directory_and_lock_are_private() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir()?;
        let dir = StateDir::open(root.path(), &StackName::parse("s")?)?;
        let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode(dir.path())?, 0o700);
        assert_eq!(mode(&dir.path().join("lock"))?, 0o600);
        Ok(())
    }
}
