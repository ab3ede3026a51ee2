//! Applying a plan: every write is staged as a temporary sibling, then all are renamed into
//! place; old paths are removed only after the
//! new ones are written; the lock is written last, so a killed run leaves each file whole and
//! a rerun finishes the job.

use std::fs;
use std::path::Path;

use super::plan::{Entry, SIDECAR_SUFFIX};
use crate::error::{Error, Result};
use crate::fsx::{self, Durability, Transaction};
use crate::lock::LOCK_FILE;

pub fn apply(dir: &Path, entries: &[Entry], lock_text: &str) -> Result<()> {
    // A run killed mid-apply may have left staged or rollback copies beside any path, also
    // beside one that is already up to date and so is not written again now.
    for entry in entries {
        fsx::remove_leftovers(dir, &entry.path)?;
    }
    let mut tx = Transaction::new(dir, Durability::Synced);
    for entry in entries {
        if let Some(contents) = &entry.write {
            tx.stage(&entry.path, contents, entry.executable)?;
        }
        if let Some(theirs) = &entry.sidecar {
            tx.stage(&format!("{}{SIDECAR_SUFFIX}", entry.path), theirs, false)?;
        }
    }
    tx.commit()?;
    for entry in entries {
        for rel in &entry.remove {
            let path = fsx::safe_join(dir, rel)?;
            match fs::remove_file(&path) {
                Ok(()) => remove_empty_parents(dir, &path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("cannot remove", &path, e)),
            }
        }
    }
    fsx::write_atomic(
        &dir.join(LOCK_FILE),
        lock_text.as_bytes(),
        false,
        Durability::Synced,
    )
}

/// A `PATH.ironplate-theirs` the plan would write where a different file of that name
/// already is (the owner's, or one from an earlier run not yet read): refused, never
/// overwritten.
pub fn check_sidecars(dir: &Path, entries: &[Entry]) -> Result<()> {
    for e in entries {
        let Some(theirs) = &e.sidecar else { continue };
        let rel = format!("{}{SIDECAR_SUFFIX}", e.path);
        let path = fsx::safe_join(dir, &rel)?;
        match fs::read(&path) {
            Ok(existing) if existing == *theirs => {}
            Ok(_) => {
                return Err(Error::Refused {
                    dir: dir.to_path_buf(),
                    reason: format!(
                        "{rel} exists and is not what ironplate would write there: read it, then move or delete it, and run again"
                    ),
                });
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::io("cannot read", &path, err)),
        }
    }
    Ok(())
}

/// Removes folders emptied by a removal, up to (not including) `dir`.
fn remove_empty_parents(dir: &Path, file: &Path) {
    let mut cur = file.parent();
    while let Some(folder) = cur {
        if folder == dir || !folder.starts_with(dir) || fs::remove_dir(folder).is_err() {
            break;
        }
        cur = folder.parent();
    }
}
