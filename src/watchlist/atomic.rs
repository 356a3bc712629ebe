//! Crash-safe file replacement: write aside, fsync, rename, fsync the directory.
//!
//! A reader of the target path sees either the old file or the new one, whole; a crash at any
//! point leaves the old file in place (and at worst a stray `.NAME.*.tmp` beside it). The temp
//! file is created in the target's own directory, so the rename never crosses file systems,
//! and it is created with mode 0600 (owner read/write only): list and index files hold
//! victims' addresses, so a replaced file is private even when the one it replaces was
//! readable by others (0644).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Temp names tried before giving up: a name is taken only when a killed writer left its
/// file behind and the process id came round again.
const TEMP_ATTEMPTS: u32 = 16;

fn temp_path(path: &Path, attempt: u32) -> io::Result<(PathBuf, PathBuf)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    if attempt == 0 {
        tmp_name.push(format!(".{}.{n}.tmp", std::process::id()));
    } else {
        // The plain name is taken (a stray temp file of a killed writer whose process id
        // has been reused): add the clock's nanoseconds.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        tmp_name.push(format!(".{}.{n}.{nanos}.tmp", std::process::id()));
    }
    Ok((dir.join(tmp_name), dir))
}

/// Creates a new temp file beside `path`, stepping over names a killed writer left behind.
fn create_temp(path: &Path) -> io::Result<(File, PathBuf, PathBuf)> {
    let mut attempt = 0;
    loop {
        let (tmp, dir) = temp_path(path, attempt)?;
        match private_options().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((file, tmp, dir)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt + 1 < TEMP_ATTEMPTS => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Options that create a file readable and writable by its owner only (0600, whatever the
/// umask lets through of it).
pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_MODE);
    options
}

/// Mode of every file written here.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

/// Replaces `path` with what `write` writes, atomically and durably; the new file has mode
/// 0600 whatever the old one had.
///
/// On any error the temp file is removed and `path` is left as it was.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> io::Result<()> {
    write_aside(path, write)?.commit()
}

/// A finished, fsync'd temp file beside its target, not renamed over it yet: a writer can
/// prepare a big file without its lock and take the lock for the rename only
/// ([`Aside::commit`]). Dropped uncommitted, the temp file is removed.
#[derive(Debug)]
pub(crate) struct Aside {
    tmp: PathBuf,
    dir: PathBuf,
    target: PathBuf,
    identity: fs::Metadata,
    committed: bool,
}

impl Aside {
    /// The temp file's metadata (the target's once committed: a rename keeps the inode).
    pub(crate) fn metadata(&self) -> &fs::Metadata {
        &self.identity
    }

    /// Renames the temp file over the target, durably.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        fs::rename(&self.tmp, &self.target)?;
        self.committed = true;
        sync_dir(&self.dir)
    }
}

impl Drop for Aside {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes what `write` writes to a new temp file beside `path` (mode 0600) and fsyncs it.
pub(crate) fn write_aside(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> io::Result<Aside> {
    let (file, tmp, dir) = create_temp(path)?;
    let result = (|| {
        // The umask can only take bits away: set the mode itself, so that a file created
        // under an unusual umask (or on a file system that ignored the open mode) is 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(PRIVATE_MODE))?;
        }
        let mut w = BufWriter::with_capacity(1 << 20, &file);
        write(&mut w)?;
        w.flush()?;
        drop(w);
        file.sync_all()?;
        file.metadata()
    })();
    match result {
        Ok(identity) => Ok(Aside {
            tmp,
            dir,
            target: path.to_owned(),
            identity,
            committed: false,
        }),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Makes the creation, rename or removal of `path` durable (fsyncs its directory).
pub(crate) fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => sync_dir(p),
        _ => sync_dir(Path::new(".")),
    }
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Directories cannot be opened for syncing here; the rename is as durable as the OS makes it.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "banchi-atomic-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temp() {
        let d = scratch_dir("ok");
        let p = d.join("list.csv");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(entries(&d), vec!["list.csv".to_string()]);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let d = scratch_dir("fail");
        let p = d.join("list.csv");
        fs::write(&p, "old").unwrap();
        let r = write_atomic(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(entries(&d), vec!["list.csv".to_string()]);
        fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn written_files_are_private_even_when_they_replace_a_readable_one() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let d = scratch_dir("perm");
        let p = d.join("list.csv");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&p, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(mode(&p), 0o600);
        let fresh = d.join("fresh.idx");
        write_atomic(&fresh, |w| w.write_all(b"x")).unwrap();
        assert_eq!(mode(&fresh), 0o600);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn stray_temp_files_of_a_reused_process_id_are_stepped_over() {
        // A killed writer whose process id came round again left its temp files behind
        // under the names this process would try next.
        let d = scratch_dir("stray");
        let target = d.join("list.csv");
        let next = COUNTER.load(Ordering::Relaxed);
        for n in next..next + 4 {
            fs::write(
                d.join(format!(".list.csv.{}.{n}.tmp", std::process::id())),
                "old",
            )
            .unwrap();
        }
        write_atomic(&target, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        // Only the strays are left beside it.
        assert_eq!(entries(&d).len(), 5, "{:?}", entries(&d));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn creates_a_new_file() {
        let d = scratch_dir("new");
        let p = d.join("fresh.idx");
        write_atomic(&p, |w| w.write_all(b"x")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"x");
        fs::remove_dir_all(&d).unwrap();
    }
}
