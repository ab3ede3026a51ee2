//! The plan: one action per path, decided from BASE (what ironplate last wrote), OURS (the
//! disk) and THEIRS (the current templates). Pure: the caller reads the disk first.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::merge::{self, Labels};
use super::pins::{self, PinNote};
use crate::lock::sha256_hex;
use crate::render::RenderedTree;
use crate::templates::Ownership;

/// Suffix of the file holding the template's version beside a conflicted file.
pub const SIDECAR_SUFFIX: &str = ".ironplate-theirs";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Unchanged,
    Updated,
    Merged,
    Conflict,
    Added,
    Removed,
    KeptDeleted,
    #[serde(rename = "modify-delete conflict")]
    ModifyDeleteConflict,
    SeededSkip,
    SupersetMerged,
    ManagedRestored,
    /// adopt: the owner's manifest with the template's hardening merged in.
    Hardened,
    /// adopt: the owner's file kept as it is, the template's version beside it to review.
    Kept,
    /// adopt: not written, the owner's layout already does this file's job.
    NotAdded,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Unchanged => "unchanged",
            Action::Updated => "updated",
            Action::Merged => "merged",
            Action::Conflict => "conflict",
            Action::Added => "added",
            Action::Removed => "removed",
            Action::KeptDeleted => "kept-deleted",
            Action::ModifyDeleteConflict => "modify-delete conflict",
            Action::SeededSkip => "seeded-skip",
            Action::SupersetMerged => "superset-merged",
            Action::ManagedRestored => "managed-restored",
            Action::Hardened => "hardened",
            Action::Kept => "kept",
            Action::NotAdded => "not-added",
        }
    }

    pub fn is_conflict(self) -> bool {
        matches!(self, Action::Conflict | Action::ModifyDeleteConflict)
    }
}

/// How conflicts are left for the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictMode {
    /// diff3 markers in the file itself.
    Inline,
    /// The owner's file untouched, the template's version in `PATH.ironplate-theirs`.
    SideFile,
}

/// What ironplate last wrote at one path, as far as it can be known.
#[derive(Debug, Clone)]
pub struct BaseFile {
    /// Template path it was rendered from, when BASE could be rebuilt.
    pub template: Option<String>,
    /// Hash recorded in the lock.
    pub sha256: String,
    /// The pristine contents, when BASE was rebuilt and matches the lock's hash.
    pub contents: Option<Vec<u8>>,
}

/// One file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OursFile {
    pub bytes: Vec<u8>,
    pub executable: bool,
    /// Read from the copy a killed run kept (the disk holds what that run wrote): whatever
    /// the plan decides is written, so that the disk ends as decided.
    pub stale: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub action: Action,
    #[serde(skip_serializing_if = "is_zero")]
    pub hunks: usize,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// A conflict an earlier upgrade left unresolved (its markers are still in the file).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unresolved: bool,
    /// Pins the owner changed that differ from the template's (kept per `--take-template-pins`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<PinNote>,
    /// Contents to write at `path`.
    #[serde(skip)]
    pub write: Option<Vec<u8>>,
    #[serde(skip)]
    pub executable: bool,
    /// Paths to delete (a removed file; the old path of a moved one).
    #[serde(skip)]
    pub remove: Vec<String>,
    /// The template's version, written beside the owner's file.
    #[serde(skip)]
    pub sidecar: Option<Vec<u8>>,
    /// What the disk holds now (at `from` when moved), for diffs.
    #[serde(skip)]
    pub before: Option<Vec<u8>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Entry {
    pub(crate) fn new(path: &str, action: Action) -> Entry {
        Entry {
            path: path.to_string(),
            from: None,
            action,
            hunks: 0,
            note: String::new(),
            unresolved: false,
            pins: Vec::new(),
            write: None,
            executable: false,
            remove: Vec::new(),
            sidecar: None,
            before: None,
        }
    }

    /// Whether applying this entry touches the disk.
    pub fn writes(&self) -> bool {
        self.write.is_some() || !self.remove.is_empty() || self.sidecar.is_some()
    }
}

pub struct PlanInput<'a> {
    pub base: &'a BTreeMap<String, BaseFile>,
    pub theirs: &'a RenderedTree,
    /// Template renames from the lock's version to the current one (old → new).
    pub renames: &'a BTreeMap<String, String>,
    /// For seeded files, when answers changed: the current templates' render with the old
    /// answers (THEIRS has the new), so that the answer change alone reaches them.
    pub answer_changes: &'a BTreeMap<String, Vec<u8>>,
    /// Paths whose conflict the last upgrade left beside them as `PATH.ironplate-theirs`,
    /// still there: not resolved yet.
    pub pending_sidecars: &'a BTreeSet<String>,
    /// The disk at every path of `base` and `theirs` (None: absent).
    pub ours: &'a BTreeMap<String, Option<OursFile>>,
    pub labels: Labels<'a>,
    pub conflicts: ConflictMode,
    /// Pins the owner changed take the template's value instead of staying the owner's.
    pub take_template_pins: bool,
}

/// Follows declared renames to the template path the current templates use.
fn current_template<'a>(renames: &'a BTreeMap<String, String>, mut t: &'a str) -> &'a str {
    let mut hops = 0;
    while let Some(next) = renames.get(t) {
        t = next;
        hops += 1;
        if hops > renames.len() {
            break;
        }
    }
    t
}

pub fn plan(input: &PlanInput) -> Vec<Entry> {
    let ours = |p: &str| input.ours.get(p).and_then(Option::as_ref);
    // Pair each THEIRS file with its BASE: by template path (through renames), else by path.
    let mut base_by_template: BTreeMap<&str, &str> = BTreeMap::new();
    for (path, b) in input.base {
        if let Some(t) = &b.template {
            base_by_template.insert(current_template(input.renames, t), path);
        }
    }
    let mut paired_base: BTreeSet<&str> = BTreeSet::new();
    let mut entries = Vec::new();
    for (path, file) in &input.theirs.files {
        let base_path = base_by_template
            .get(file.template.as_str())
            .copied()
            .filter(|bp| !paired_base.contains(bp))
            .or_else(|| input.base.contains_key(path).then_some(path.as_str()));
        let entry = match base_path {
            Some(bp) => {
                paired_base.insert(bp);
                paired(
                    input,
                    bp,
                    &input.base[bp],
                    path,
                    file.ownership,
                    &file.contents,
                    ours(bp),
                    ours(path),
                )
            }
            None => added(path, &file.contents, file.executable, ours(path)),
        };
        entries.push(entry);
    }
    for (path, b) in input.base {
        if !paired_base.contains(path.as_str()) {
            entries.push(dropped(path, b, ours(path), &input.labels));
        }
    }
    // Paths a killed run had rewritten or removed, that this plan keeps as they were: put
    // back as they were.
    for e in &mut entries {
        let at = e.from.as_deref().unwrap_or(&e.path).to_string();
        if let Some(o) = ours(&at).filter(|o| o.stale)
            && e.write.is_none()
            && !e.remove.contains(&e.path)
        {
            e.write = Some(o.bytes.clone());
            e.executable = o.executable;
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

fn added(path: &str, theirs: &[u8], executable: bool, ours: Option<&OursFile>) -> Entry {
    match ours {
        None => Entry {
            write: Some(theirs.to_vec()),
            executable,
            ..Entry::new(path, Action::Added)
        },
        Some(o) if merge::same_text(&o.bytes, theirs) => Entry::new(path, Action::Unchanged),
        Some(o) => Entry {
            hunks: 1,
            note: "both you and the template added this file: yours is kept, the template's is beside it".into(),
            sidecar: Some(theirs.to_vec()),
            before: Some(o.bytes.clone()),
            ..Entry::new(path, Action::Conflict)
        },
    }
}

fn dropped(path: &str, base: &BaseFile, ours: Option<&OursFile>, labels: &Labels) -> Entry {
    match ours {
        None => Entry {
            note: "deleted by you; the template dropped it too".into(),
            ..Entry::new(path, Action::KeptDeleted)
        },
        Some(o) if let Some(e) = still_unresolved(path, o, labels, None) => e,
        // Removed only what ironplate is seen to have written there: the templates of the
        // lock's version, with its answers, render this very file. A lock edited to name
        // another file (`.git/config`) never gets it deleted.
        Some(o) if base.contents.is_none() => Entry {
            hunks: 1,
            note: "the lock names this file, but no template of its version made it: kept".into(),
            before: Some(o.bytes.clone()),
            ..Entry::new(path, Action::ModifyDeleteConflict)
        },
        Some(o) if sha256_hex(&o.bytes) == base.sha256 => Entry {
            remove: vec![path.to_string()],
            before: Some(o.bytes.clone()),
            ..Entry::new(path, Action::Removed)
        },
        Some(o) => Entry {
            hunks: 1,
            note: "the template dropped this file, which you edited: yours is kept; delete it if you no longer need it".into(),
            before: Some(o.bytes.clone()),
            ..Entry::new(path, Action::ModifyDeleteConflict)
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn paired(
    input: &PlanInput,
    base_path: &str,
    base: &BaseFile,
    path: &str,
    ownership: Ownership,
    theirs: &[u8],
    ours: Option<&OursFile>,
    at_target: Option<&OursFile>,
) -> Entry {
    let moved = base_path != path;
    // Moved already, by a run killed before it wrote the lock: the file at the new path is
    // the owner's file now, and the rerun finishes the job from there.
    let finishing = moved && ours.is_none() && at_target.is_some();
    let entry = decide(
        input,
        base_path,
        base,
        path,
        ownership,
        theirs,
        if finishing { at_target } else { ours },
    );
    match at_target {
        // Where the template moves this file something else already sits (an interrupted
        // run leaves exactly the result there: then it is simply finished).
        Some(there)
            if moved
                && !finishing
                && ours.is_some()
                && entry.write.as_deref() != Some(&there.bytes[..]) =>
        {
            Entry {
                from: Some(base_path.to_string()),
                hunks: 1,
                note: format!(
                    "the template moves {base_path} here, but this path already exists: both kept, the template's version is beside it"
                ),
                sidecar: Some(theirs.to_vec()),
                before: Some(there.bytes.clone()),
                ..Entry::new(path, Action::Conflict)
            }
        }
        _ => entry,
    }
}

fn decide(
    input: &PlanInput,
    base_path: &str,
    base: &BaseFile,
    path: &str,
    ownership: Ownership,
    theirs: &[u8],
    ours: Option<&OursFile>,
) -> Entry {
    let moved = base_path != path;
    let template_changed = base
        .contents
        .as_deref()
        .map_or(sha256_hex(theirs) != base.sha256, |b| b != theirs);
    let Some(ours) = ours else {
        return Entry {
            from: moved.then(|| base_path.to_string()),
            note: if template_changed {
                "not on disk (you deleted it, or adopt did not add it); stays so (the template changed it since)".into()
            } else {
                "not on disk (you deleted it, or adopt did not add it); stays so".into()
            },
            ..Entry::new(path, Action::KeptDeleted)
        };
    };
    // Markers (or the template's version beside the file) an earlier upgrade left: the lock
    // already moved on, so nothing else would remind the owner of them.
    let beside = input
        .pending_sidecars
        .contains(base_path)
        .then_some(base_path);
    if let Some(e) = still_unresolved(path, ours, &input.labels, beside) {
        return Entry {
            from: moved.then(|| base_path.to_string()),
            ..e
        };
    }
    let pristine = sha256_hex(&ours.bytes) == base.sha256;
    let mut entry = Entry {
        from: moved.then(|| base_path.to_string()),
        executable: ours.executable,
        before: Some(ours.bytes.clone()),
        remove: if moved {
            vec![base_path.to_string()]
        } else {
            Vec::new()
        },
        ..Entry::new(path, Action::Unchanged)
    };
    // Writes `contents` at the target (always, when the file moves).
    let finish = |mut e: Entry, action: Action, contents: Vec<u8>| {
        e.action = action;
        if moved || ours.stale || contents != ours.bytes {
            e.write = Some(contents);
        }
        e
    };
    match ownership {
        Ownership::Seeded => {
            let Some(before) = input
                .answer_changes
                .get(path)
                .filter(|b| b.as_slice() != theirs)
            else {
                entry.note =
                    "seeded: yours from the start; upgrade changes it only for an answer you set"
                        .into();
                return finish(entry, Action::SeededSkip, ours.bytes.clone());
            };
            // Only what the changed answers change, merged into the owner's file.
            match merge::three_way(before, &ours.bytes, theirs, &input.labels) {
                None => binary_conflict(entry, theirs),
                Some(m) if m.conflicts == 0 => {
                    entry.note =
                        "seeded: yours; only the change of the answers you set was merged in"
                            .into();
                    let action = if m.contents == ours.bytes {
                        Action::SeededSkip
                    } else {
                        Action::Merged
                    };
                    finish(entry, action, m.contents)
                }
                Some(m) => {
                    entry.hunks = m.conflicts;
                    entry.note =
                        "seeded: yours; the answers you changed touch lines you edited".into();
                    match input.conflicts {
                        ConflictMode::Inline => finish(entry, Action::Conflict, m.contents),
                        ConflictMode::SideFile => conflict_keep_both(entry, theirs),
                    }
                }
            }
        }
        Ownership::Managed => {
            if ours.bytes == theirs {
                finish(entry, Action::Unchanged, ours.bytes.clone())
            } else {
                if !pristine {
                    entry.note =
                        "managed by the template: your edits were replaced (see the diff)".into();
                }
                finish(entry, Action::ManagedRestored, theirs.to_vec())
            }
        }
        Ownership::Superset => {
            // Pristine: the template's file as is. Edited: a clean three-way merge when there
            // is one, else the owner's lines; either way every template line present.
            let start = match (pristine, base.contents.as_deref()) {
                (true, _) => Some(theirs.to_vec()),
                (false, Some(b)) => merge::three_way(b, &ours.bytes, theirs, &input.labels)
                    .filter(|m| m.conflicts == 0)
                    .map(|m| m.contents),
                (false, None) => None,
            };
            match merge::superset(start.as_deref().unwrap_or(&ours.bytes), theirs) {
                Some(union) if union == ours.bytes => finish(entry, Action::Unchanged, union),
                Some(union) => finish(entry, Action::SupersetMerged, union),
                None => binary_conflict(entry, theirs),
            }
        }
        Ownership::Merged => {
            if merge::same_text(&ours.bytes, theirs) {
                let contents = ours.bytes.clone();
                return finish(
                    entry,
                    if moved {
                        Action::Updated
                    } else {
                        Action::Unchanged
                    },
                    contents,
                );
            }
            if pristine {
                return finish(entry, Action::Updated, theirs.to_vec());
            }
            let Some(base_contents) = base.contents.as_deref() else {
                entry.note = "ironplate cannot rebuild what it last wrote here; you edited it: yours is kept, the template's is beside it".into();
                return conflict_keep_both(entry, theirs);
            };
            // Pins the owner changed are made the same on all three sides first, so that
            // only real differences reach the line merge.
            let texts = (
                std::str::from_utf8(base_contents),
                std::str::from_utf8(&ours.bytes),
                std::str::from_utf8(theirs),
            );
            let (b, o, t) = match texts {
                (Ok(b), Ok(o), Ok(t)) if !cfg!(feature = "bench-without-pins") => {
                    let r = pins::reconcile(path, b, o, t, input.take_template_pins);
                    entry.pins = r.notes;
                    (
                        r.base.into_bytes(),
                        r.ours.into_bytes(),
                        r.theirs.into_bytes(),
                    )
                }
                _ => (base_contents.to_vec(), ours.bytes.clone(), theirs.to_vec()),
            };
            if b == t {
                // Only the owner changed it (pins included).
                let action = if moved || o != ours.bytes {
                    Action::Merged
                } else {
                    Action::Unchanged
                };
                return finish(entry, action, o);
            }
            match merge::three_way(&b, &o, &t, &input.labels) {
                None => binary_conflict(entry, theirs),
                Some(m) if m.conflicts == 0 => finish(entry, Action::Merged, m.contents),
                Some(m) => {
                    entry.hunks = m.conflicts;
                    match input.conflicts {
                        ConflictMode::Inline => finish(entry, Action::Conflict, m.contents),
                        ConflictMode::SideFile => conflict_keep_both(entry, theirs),
                    }
                }
            }
        }
    }
}

/// The entry of a file whose conflict an earlier upgrade left (its markers still in it, or
/// the template's version still beside `sidecar_of`): nothing is planned for it.
fn still_unresolved(
    path: &str,
    ours: &OursFile,
    labels: &Labels,
    sidecar_of: Option<&str>,
) -> Option<Entry> {
    let markers = unresolved_conflicts(&ours.bytes, labels);
    let note = match sidecar_of {
        Some(at) => format!(
            "the template's version from an earlier upgrade is still beside this file as {at}{SIDECAR_SUFFIX}: take what you want of it into the file, delete it (and commit), then run upgrade again"
        ),
        None if markers > 0 => "conflict markers from an earlier upgrade are still in this file: resolve them (and commit), then run upgrade again".into(),
        None => return None,
    };
    Some(Entry {
        hunks: markers.max(1),
        note,
        unresolved: true,
        before: Some(ours.bytes.clone()),
        ..Entry::new(path, Action::Conflict)
    })
}

/// How many conflict blocks ironplate wrote (labelled as its merges label them) are left in
/// `bytes`: opening and closing markers both present.
fn unresolved_conflicts(bytes: &[u8], labels: &Labels) -> usize {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return 0;
    };
    // Any marker line of ironplate's counts, alone too: half a resolved block is unresolved.
    let opening = format!("<<<<<<< {}", labels.ours);
    let count = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
    count(&opening)
        .max(count("||||||| ironplate templates "))
        .max(count(">>>>>>> ironplate templates "))
}

fn binary_conflict(mut entry: Entry, theirs: &[u8]) -> Entry {
    entry.note =
        "not text: never merged line-wise; yours is kept, the template's is beside it".into();
    conflict_keep_both(entry, theirs)
}

/// Owner's file stays (moved to the new path when the template moved it); the template's
/// version goes beside it.
fn conflict_keep_both(mut entry: Entry, theirs: &[u8]) -> Entry {
    entry.action = Action::Conflict;
    entry.hunks = entry.hunks.max(1);
    entry.sidecar = Some(theirs.to_vec());
    if entry.from.is_some() {
        entry.write = entry.before.clone();
    }
    entry
}
