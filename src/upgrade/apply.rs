//! Applying a plan: every write is staged as a temporary sibling, then all are renamed into
//! place; old paths are removed only after the new ones are written; the lock is written last,
//! so a killed run leaves each file whole and a rerun finishes the job.
//!
//! A journaled run (upgrade) keeps, until it is done, the lock it started from
//! (`..ironplate.toml.ironplate-old`, the journal) and every file it replaced or removed
//! (`.NAME.ironplate-old`). A run killed before it wrote the new lock leaves the journal equal
//! to the lock: the rerun then plans from those copies, the repo as it was before the killed
//! run ([`Journal::Resume`]), whatever that run had written. Killed after the new lock, the
//! copies are stale and the rerun sweeps them.

use std::fs;
use std::path::{Path, PathBuf};

use super::plan::{Entry, SIDECAR_SUFFIX};
use crate::error::{Error, Result};
use crate::fsx::{self, Durability, Transaction};
use crate::lock::LOCK_FILE;

/// What a run killed before this one left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journal {
    /// No run was interrupted (or its copies are stale: the new lock was written).
    None,
    /// A run was killed before it wrote the lock: the copies hold the repo as it was.
    Resume,
}

fn journal_path(dir: &Path) -> PathBuf {
    fsx::backup_path(&dir.join(LOCK_FILE))
}

/// The journal's contents: the lock the run started from, and the paths it removes (their
/// copies are found by these names even once the lock no longer lists them).
#[derive(serde::Serialize, serde::Deserialize)]
struct JournalFile {
    lock: String,
    removed: Vec<String>,
    /// Every path the run writes (its files and `*.ironplate-theirs`), with the sha256 of
    /// what it writes there.
    #[serde(default)]
    written: std::collections::BTreeMap<String, String>,
}

/// The journal a killed run left, if any; one that is not a regular file or does not parse
/// is refused (exit 2), never guessed at.
fn read_journal(dir: &Path) -> Result<Option<JournalFile>> {
    let path = journal_path(dir);
    let bad = |message: String| Error::BadFile {
        file: path.clone(),
        line: None,
        message: format!(
            "{message}: the journal of an interrupted upgrade. Restore the repo from git (`git checkout -- .`), delete this file and every .*.ironplate-old beside ironplate's files, then run upgrade again"
        ),
    };
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read", &path, e)),
        Ok(m) if !m.is_file() => return Err(bad("not a regular file".into())),
        Ok(_) => {}
    }
    let text = fsx::read_input(&path, "cannot read")?;
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| bad(format!("corrupt ({})", e.message().trim())))
}

/// Reads what an interrupted run left, given the lock's text as read now. A file that run
/// had already replaced and that changed since (the owner edited it after the kill) is
/// refused: resuming would plan from the copy and lose that edit.
pub fn journal(dir: &Path, lock_text: &str) -> Result<Journal> {
    let Some(j) = read_journal(dir)? else {
        return Ok(Journal::None);
    };
    if j.lock != lock_text {
        return Ok(Journal::None);
    }
    for (rel, sha) in &j.written {
        let Ok(path) = fsx::safe_join(dir, rel) else {
            continue;
        };
        // Killed between keeping the copy and the rename, the file is still the copy.
        let Ok(copy) = fs::read(fsx::backup_path(&path)) else {
            continue;
        };
        let now = fs::read(&path).ok();
        let changed = now
            .as_ref()
            .is_some_and(|n| crate::lock::sha256_hex(n) != *sha && *n != copy);
        if changed {
            return Err(Error::Refused {
                dir: dir.to_path_buf(),
                reason: format!(
                    "{rel} changed after an upgrade was interrupted: resuming would plan from the copy it kept and lose that change. Undo it and run upgrade (then make it again), or roll the upgrade back: `git checkout -- .`, then delete {} and every .*.ironplate-old",
                    journal_path(dir).display()
                ),
            });
        }
    }
    Ok(Journal::Resume)
}

/// Files a resumed run's predecessor wrote that this run does not plan (other flags: a
/// sidecar, a file of another answer): put back as they were, or removed if it made them.
fn undo_unplanned(dir: &Path, entries: &[Entry]) -> Result<()> {
    let Some(j) = read_journal(dir)? else {
        return Ok(());
    };
    let planned: std::collections::BTreeSet<String> = entries
        .iter()
        .flat_map(|e| {
            let mut paths = vec![e.path.clone()];
            if e.sidecar.is_some() {
                paths.push(format!("{}{SIDECAR_SUFFIX}", e.path));
            }
            paths.extend(e.remove.iter().cloned());
            paths
        })
        .collect();
    for (rel, sha) in &j.written {
        if planned.contains(rel) {
            continue;
        }
        let Ok(path) = fsx::safe_join(dir, rel) else {
            continue;
        };
        let copy = fsx::backup_path(&path);
        if fs::symlink_metadata(&copy).is_ok_and(|m| m.is_file()) {
            fs::rename(&copy, &path).map_err(|e| Error::io("cannot restore", &path, e))?;
        } else if fs::read(&path).is_ok_and(|b| crate::lock::sha256_hex(&b) == *sha) {
            fs::remove_file(&path).map_err(|e| Error::io("cannot remove", &path, e))?;
            remove_empty_parents(dir, &path);
        }
    }
    Ok(())
}

/// Every path a run may leave copies beside: its files, their sidecars, what it removes.
fn touched(entries: &[Entry]) -> impl Iterator<Item = String> + '_ {
    entries.iter().flat_map(|e| {
        let mut paths = vec![e.path.clone(), format!("{}{SIDECAR_SUFFIX}", e.path)];
        paths.extend(e.remove.iter().cloned());
        paths
    })
}

/// Whether a run left its journal (it was killed; the journal goes last of all it writes).
pub fn journal_left(dir: &Path) -> bool {
    fs::symlink_metadata(journal_path(dir)).is_ok()
}

/// Whether a path is one of the copies a run keeps or stages (never the owner's).
pub fn is_own_leftover(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.starts_with('.') && (name.ends_with(".ironplate-tmp") || name.ends_with(".ironplate-old"))
}

/// A run with nothing to write still sweeps what a killed one left behind: the copies of a
/// run killed while it cleaned up (its lock written), or the journal of one killed before it
/// wrote anything.
pub fn sweep(dir: &Path, entries: &[Entry]) -> Result<()> {
    let recorded = read_journal(dir)?
        .map(|j| {
            j.removed
                .into_iter()
                .chain(j.written.into_keys())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for rel in recorded.iter().filter(|r| fsx::safe_join(dir, r).is_ok()) {
        fsx::remove_leftovers(dir, rel, true)?;
    }
    for rel in touched(entries) {
        fsx::remove_leftovers(dir, &rel, true)?;
    }
    match fs::remove_file(journal_path(dir)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("cannot remove", journal_path(dir), e)),
    }
}

/// Applies `entries` and writes `lock_text` last. `journaled` (upgrade): the run can be
/// resumed if killed, as above; otherwise (adopt) a rerun simply plans again.
pub fn apply(
    dir: &Path,
    entries: &[Entry],
    lock_text: &str,
    journaled: Option<Journal>,
) -> Result<()> {
    let resume = journaled == Some(Journal::Resume);
    // Staged copies of a killed run are never whole files: always swept. Its rollback
    // copies are swept too unless this run resumes from them.
    if resume {
        undo_unplanned(dir, entries)?;
    }
    // A run killed while it wrote its journal leaves only that staged file.
    if let Some(name) = journal_path(dir).file_name() {
        fsx::remove_leftovers(dir, &name.to_string_lossy(), false)?;
    }
    for rel in touched(entries) {
        fsx::remove_leftovers(dir, &rel, !resume)?;
    }
    let journal = journal_path(dir);
    if journaled.is_some() && !resume {
        let started_from = match fs::read_to_string(dir.join(LOCK_FILE)) {
            Ok(text) => text,
            Err(e) => return Err(Error::io("cannot read", dir.join(LOCK_FILE), e)),
        };
        let sha = crate::lock::sha256_hex;
        let record = JournalFile {
            lock: started_from,
            removed: entries.iter().flat_map(|e| e.remove.clone()).collect(),
            written: entries
                .iter()
                .flat_map(|e| {
                    let file = e.write.as_ref().map(|w| (e.path.clone(), sha(w)));
                    let beside = e
                        .sidecar
                        .as_ref()
                        .map(|t| (format!("{}{SIDECAR_SUFFIX}", e.path), sha(t)));
                    file.into_iter().chain(beside)
                })
                .collect(),
        };
        let text = toml::to_string(&record)
            .map_err(|e| Error::io("cannot write", &journal, std::io::Error::other(e)))?;
        fsx::write_atomic(&journal, text.as_bytes(), false, Durability::Synced)?;
    }
    let mut tx = Transaction::new(dir, Durability::Synced);
    if journaled.is_some() {
        tx = tx.keeping_backups();
    }
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
            // Journaled, a removed file is kept as its copy until the run is done.
            let kept = fsx::backup_path(&path);
            let gone = if journaled.is_some() && fs::symlink_metadata(&kept).is_err() {
                fs::rename(&path, &kept)
            } else {
                fs::remove_file(&path)
            };
            match gone {
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
    )?;
    if journaled.is_some() {
        // Done: the copies go, the journal last.
        sweep(dir, entries)?;
        for entry in entries {
            for rel in &entry.remove {
                if let Ok(path) = fsx::safe_join(dir, rel) {
                    remove_empty_parents(dir, &path);
                }
            }
        }
    }
    Ok(())
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
