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

/// Writes `contents` to `path` through a temporary file in the same folder and a rename, so a
/// reader (or a crash) sees either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, contents: &[u8], executable: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A fixed name: a run killed mid-write leaves at most this file, which the rerun reuses.
    let tmp = dir.join(format!(".{name}.ironplate-tmp"));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if executable { 0o755 } else { 0o644 };
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = executable;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io("cannot write", path, e)
    })
}

/// Creates the folders leading to `path`, returning those it created (for rollback).
pub fn create_parents(root: &Path, path: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    let mut missing = Vec::new();
    let mut cur = parent;
    while !cur.exists() && cur.starts_with(root) {
        missing.push(cur.to_path_buf());
        match cur.parent() {
            Some(p) => cur = p,
            None => break,
        }
    }
    for dir in missing.into_iter().rev() {
        fs::create_dir(&dir).map_err(|e| Error::io("cannot create folder", &dir, e))?;
        created.push(dir);
    }
    Ok(())
}
