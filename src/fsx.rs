//! File-system edges: path safety and atomic writes. Nothing here decides *what* to write.

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Joins a relative, `/`-separated tree path onto `root`, refusing anything that could leave
/// `root`: absolute paths, `..`, and existing symlinks on the way (a symlinked folder would
/// send the write elsewhere).
pub fn safe_join(root: &Path, rel: &str) -> Result<PathBuf> {
    let refuse = |reason: String| Error::Refused {
        dir: root.to_path_buf(),
        reason,
    };
    let rel_path = Path::new(rel);
    if rel.is_empty()
        || rel_path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(refuse(format!("{rel:?} is not a plain relative path")));
    }
    let mut current = root.to_path_buf();
    let parts: Vec<_> = rel_path.components().collect();
    for (i, part) in parts.iter().enumerate() {
        current.push(part);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse(format!(
                    "{} is a symlink; ironplate never writes through symlinks",
                    current.display()
                )));
            }
            Ok(meta) if i + 1 < parts.len() && !meta.is_dir() => {
                return Err(refuse(format!("{} is not a folder", current.display())));
            }
            Ok(meta) if i + 1 == parts.len() && meta.is_dir() => {
                return Err(refuse(format!("{} is a folder", current.display())));
            }
            _ => {}
        }
    }
    Ok(current)
}

/// The folder a verb works on: it must exist and be a folder (a symlink to one is followed,
/// as the owner named it). The message says which of the two it is not.
pub fn require_folder(dir: &Path) -> Result<()> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::io(
            "cannot use",
            dir,
            std::io::Error::other("it is not a folder"),
        )),
        Err(e) => Err(Error::io("cannot read", dir, e)),
    }
}

/// How hard a write insists on reaching the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Rename only: a killed process leaves the old file or the new one (enough for `new`,
    /// which writes a fresh tree the owner can simply write again).
    Atomic,
    /// fsync before the rename: the same after a power loss (for `upgrade`, which rewrites
    /// the owner's files in place).
    Synced,
}

/// Suffixes of the hidden siblings a write goes through (`.NAME.SUFFIX`): the staged new
/// file, and the old one kept for a rollback until every rename of a transaction is done.
const TEMP_SUFFIX: &str = "ironplate-tmp";
const BACKUP_SUFFIX: &str = "ironplate-old";

/// A hidden sibling of `target`. Fixed names: a run killed mid-write leaves at most these,
/// which the rerun replaces or sweeps ([`remove_leftovers`]).
fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{suffix}"))
}

fn temp_path(target: &Path) -> PathBuf {
    sibling(target, TEMP_SUFFIX)
}

/// Where a journaled transaction keeps the file it replaced or removed at `target` until the
/// whole run is done (see [`Transaction::keeping_backups`]).
pub fn backup_path(target: &Path) -> PathBuf {
    sibling(target, BACKUP_SUFFIX)
}

/// Removes what a killed write of `rel` may have left beside it: its staged copy, and (with
/// `backups`) its rollback copy. Only these names are touched: nothing else is walked.
pub fn remove_leftovers(root: &Path, rel: &str, backups: bool) -> Result<()> {
    let target = safe_join(root, rel)?;
    let suffixes: &[&str] = if backups {
        &[TEMP_SUFFIX, BACKUP_SUFFIX]
    } else {
        &[TEMP_SUFFIX]
    };
    for suffix in suffixes {
        let path = sibling(&target, suffix);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() || meta.file_type().is_symlink() => {
                fs::remove_file(&path).map_err(|e| Error::io("cannot remove", &path, e))?
            }
            _ => {}
        }
    }
    Ok(())
}

/// Writes a new file that is never reached through a symlink: any stale entry at `path`
/// (a symlink included) is removed first, and the create is exclusive (O_EXCL).
fn write_new(
    path: &Path,
    contents: &[u8],
    executable: bool,
    durability: Durability,
) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o755 } else { 0o644 });
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    #[cfg(unix)]
    {
        // Explicit, so the umask does not change what ironplate writes.
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    if durability == Durability::Synced {
        file.sync_all()?;
    }
    Ok(())
}

/// Writes `contents` to `path` through a temporary sibling and a rename, so a reader (or a
/// crash) sees either the old file or the new one, never half of one.
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    executable: bool,
    durability: Durability,
) -> Result<()> {
    let tmp = temp_path(path);
    write_new(&tmp, contents, executable, durability)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io("cannot write", path, e)
        })
}

/// Writes a report where the user asked for it (`--output`). A regular file (or a new one) is
/// replaced atomically; anything else there, a symlink, a device such as `/dev/stdout` or a
/// FIFO, is written through as the shell's `>` would, never replaced by a regular file.
pub fn write_output(path: &Path, contents: &[u8]) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(Error::io(
            "cannot write",
            path,
            std::io::Error::other("it is a folder"),
        )),
        Ok(meta) if !meta.is_file() => fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .and_then(|mut f| f.write_all(contents).and_then(|()| f.flush()))
            .map_err(|e| Error::io("cannot write", path, e)),
        _ => write_atomic(path, contents, false, Durability::Atomic),
    }
}

/// A set of writes under one root that lands together: every file is first staged as a
/// temporary sibling (folders created as needed); only when all are staged are they renamed
/// into place. A failure while staging leaves the tree as it was: temporary files and the
/// folders this transaction created are removed, and no existing file has been touched.
pub struct Transaction {
    root: PathBuf,
    durability: Durability,
    staged: Vec<(PathBuf, PathBuf)>,
    created_dirs: Vec<PathBuf>,
    done: bool,
    keep_backups: bool,
}

impl Transaction {
    pub fn new(root: &Path, durability: Durability) -> Transaction {
        Transaction {
            root: root.to_path_buf(),
            durability,
            staged: Vec::new(),
            created_dirs: Vec::new(),
            done: false,
            keep_backups: false,
        }
    }

    /// The copies of the files replaced stay after the commit (the caller removes them when
    /// its whole run is done), and a copy already there, from a run that was killed, is kept
    /// as it is: it holds the file as it was before that run.
    pub fn keeping_backups(mut self) -> Transaction {
        self.keep_backups = true;
        self
    }

    /// Creates the root folder and any missing ancestors, recording them for rollback.
    pub fn create_root(&mut self) -> Result<()> {
        let mut missing = Vec::new();
        let mut cur = Some(self.root.as_path());
        while let Some(dir) = cur {
            if dir.as_os_str().is_empty() || fs::symlink_metadata(dir).is_ok() {
                break;
            }
            missing.push(dir.to_path_buf());
            cur = dir.parent();
        }
        for dir in missing.into_iter().rev() {
            fs::create_dir(&dir).map_err(|e| Error::io("cannot create folder", &dir, e))?;
            self.created_dirs.push(dir);
        }
        Ok(())
    }

    /// Stages `contents` for `rel` (a checked relative path under the root).
    pub fn stage(&mut self, rel: &str, contents: &[u8], executable: bool) -> Result<()> {
        let target = safe_join(&self.root, rel)?;
        self.create_parents(&target)?;
        let tmp = temp_path(&target);
        write_new(&tmp, contents, executable, self.durability)
            .map_err(|e| Error::io("cannot write", &target, e))?;
        self.staged.push((tmp, target));
        Ok(())
    }

    fn create_parents(&mut self, path: &Path) -> Result<()> {
        let Some(parent) = path.parent() else {
            return Ok(());
        };
        let mut missing = Vec::new();
        let mut cur = parent;
        while cur.starts_with(&self.root) && cur != self.root && fs::symlink_metadata(cur).is_err()
        {
            missing.push(cur.to_path_buf());
            match cur.parent() {
                Some(p) => cur = p,
                None => break,
            }
        }
        for dir in missing.into_iter().rev() {
            fs::create_dir(&dir).map_err(|e| Error::io("cannot create folder", &dir, e))?;
            self.created_dirs.push(dir);
        }
        Ok(())
    }

    /// Renames every staged file into place, in staging order. Each file it replaces is
    /// first kept as a hard link beside it, so that when a rename fails (a file made
    /// immutable, a full disk) every file already renamed is put back: the tree is as it was.
    pub fn commit(mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let mut placed: Vec<(&Path, Option<PathBuf>)> = Vec::new();
        for (i, (tmp, target)) in staged.iter().enumerate() {
            let backup = sibling(target, BACKUP_SUFFIX);
            let older = self.keep_backups && fs::symlink_metadata(&backup).is_ok();
            if !older {
                let _ = fs::remove_file(&backup);
            }
            let kept = if older {
                Some(backup)
            } else {
                fs::symlink_metadata(target)
                    .is_ok()
                    .then(|| fs::hard_link(target, &backup).ok().map(|()| backup))
                    .flatten()
            };
            if let Err(e) = fs::rename(tmp, target) {
                for (rest, _) in &staged[i..] {
                    let _ = fs::remove_file(rest);
                }
                if let Some(b) = &kept {
                    let _ = fs::remove_file(b);
                }
                for (done, old) in placed.iter().rev() {
                    match old {
                        Some(old) => {
                            let _ = fs::rename(old, done);
                        }
                        None => {
                            let _ = fs::remove_file(done);
                        }
                    }
                }
                for dir in self.created_dirs.iter().rev() {
                    let _ = fs::remove_dir(dir);
                }
                self.done = true;
                return Err(Error::io("cannot write", target, e));
            }
            placed.push((target, kept));
        }
        if !self.keep_backups {
            for (_, old) in &placed {
                if let Some(old) = old {
                    let _ = fs::remove_file(old);
                }
            }
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for Transaction {
    /// Not committed: undo the staging.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        for (tmp, _) in &self.staged {
            let _ = fs::remove_file(tmp);
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Largest input file (preset, answers, lock) ironplate reads: far above any real one.
pub const MAX_INPUT_BYTES: u64 = 1 << 20;

/// Reads a small UTF-8 input file, refusing what is not a regular file (a FIFO would block,
/// /dev/zero would never end) or is larger than [`MAX_INPUT_BYTES`].
pub fn read_input(path: &Path, what: &'static str) -> Result<String> {
    let bad = |message: String| Error::BadFile {
        file: path.to_path_buf(),
        line: None,
        message,
    };
    let meta = fs::metadata(path).map_err(|e| Error::io(what, path, e))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(bad(format!(
            "{} bytes is too large (at most {MAX_INPUT_BYTES})",
            meta.len()
        )));
    }
    let bytes = fs::read(path).map_err(|e| Error::io(what, path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Error::BadFile {
            file: path.to_path_buf(),
            line: Some(line),
            message: "not valid UTF-8".into(),
        }
    })
}
