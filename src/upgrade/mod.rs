//! `ironplate upgrade`: re-apply the current templates to a repo made earlier and edited since.
//! BASE = the lock's template version rendered with the lock's answers; OURS = the disk;
//! THEIRS = the current templates with the (possibly changed) answers.

pub mod apply;
pub mod merge;
pub mod pins;
pub mod plan;
pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::answers::{self, Answers, Given, Recorded};
use crate::error::{EXIT_ATTENTION, EXIT_OK, Error, Result};
use crate::fsx;
use crate::lock::{self, Lock, sha256_hex};
use crate::preset::{self, Preset};
use crate::render::{self, Inputs, RenderedTree};
use crate::templates::{Ownership, TemplateSet};
use plan::{BaseFile, ConflictMode, Entry, OursFile, PlanInput};

pub struct UpgradeOptions {
    pub dir: PathBuf,
    pub dry_run: bool,
    pub check: bool,
    pub conflict: ConflictMode,
    pub allow_dirty: bool,
    pub set: Vec<String>,
    pub preset: Option<String>,
    pub json: bool,
    pub take_template_pins: bool,
}

/// Everything an upgrade decided, before anything is written.
pub struct Prepared {
    pub lock: Lock,
    pub templates: TemplateSet,
    pub answers: Answers,
    pub inputs: Inputs,
    pub entries: Vec<Entry>,
    pub lock_text: String,
    /// Steps the template versions crossed ask of the owner (see `templates/template.toml`).
    pub notes: Vec<String>,
    /// What a killed run left (planned from its copies when it is resumed).
    pub journal: apply::Journal,
}

impl Prepared {
    /// Whether applying would change the disk or the lock.
    pub fn changes(&self) -> bool {
        self.entries.iter().any(Entry::writes) || lock_differs(&self.lock.text, &self.lock_text)
    }

    pub fn conflicts(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.action.is_conflict())
            .count()
    }
}

/// Lock contents differ (ignoring comments and layout, and the `unresolved` marks: one
/// whose file beside it is gone is simply resolved, nothing to write for).
fn lock_differs(old: &str, new: &str) -> bool {
    let parse = |t: &str| {
        let mut table = t.parse::<toml::Table>().ok()?;
        if let Some(toml::Value::Table(files)) = table.get_mut("files") {
            for (_, entry) in files.iter_mut() {
                if let toml::Value::Table(e) = entry {
                    e.remove("unresolved");
                }
            }
        }
        Some(table)
    };
    parse(old) != parse(new)
}

pub fn run(opts: UpgradeOptions) -> Result<u8> {
    let writes = !opts.dry_run && !opts.check;
    // Planning writes nothing, so the tree is judged after it: resuming a killed run, its own
    // output is what makes the tree dirty (a change of the owner's since is refused by the
    // journal check in `prepare`).
    let prepared = prepare(&opts)?;
    if writes && !opts.allow_dirty && prepared.journal != apply::Journal::Resume {
        refuse_dirty(&opts.dir)?;
    }
    let changed = prepared.changes();
    let conflicts = prepared.conflicts();
    // Refused in every mode: a dry run or a check says what the real run would do.
    if let Some(why) = move_leaves_others_behind(&opts.dir, &prepared.entries) {
        return Err(Error::Refused {
            dir: opts.dir.clone(),
            reason: why,
        });
    }
    // Conflicts the last upgrade left come first: applying more over them (and moving the
    // lock on) would bury them.
    let unresolved = prepared.entries.iter().any(|e| e.unresolved);
    if writes && !changed && apply::journal_left(&opts.dir) {
        apply::sweep(&opts.dir, &prepared.entries)?;
    }
    if writes && changed && !unresolved {
        apply::apply(
            &opts.dir,
            &prepared.entries,
            &prepared.lock_text,
            Some(prepared.journal),
        )?;
    }
    let report = report::Report {
        from: &prepared.lock.template_version,
        to: &prepared.templates.version,
        changed,
        conflicts,
        files: &prepared.entries,
        notes: &prepared.notes,
        written: writes && changed && !unresolved,
    };
    if opts.json {
        crate::output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("report serializes")
        ))?;
    } else {
        crate::output::report_written(report::print_text(&report, false), report.written)?;
        if opts.dry_run {
            crate::output::written(report::print_diffs(&prepared.entries))?;
        }
    }
    Ok(if opts.check {
        if changed || conflicts > 0 {
            EXIT_ATTENTION
        } else {
            EXIT_OK
        }
    } else if conflicts > 0 {
        EXIT_ATTENTION
    } else {
        EXIT_OK
    })
}

/// Reads the lock and the disk, renders BASE and THEIRS, and plans. Writes nothing.
pub fn prepare(opts: &UpgradeOptions) -> Result<Prepared> {
    let dir = &opts.dir;
    fsx::require_folder(dir)?;
    let lock = lock::read(dir)?;
    let templates = TemplateSet::current()?;
    // A version no release could have: the lock was edited by hand.
    let core = crate::templates::release_version;
    let Some(lock_core) = core(&lock.template_version) else {
        return Err(Error::BadFile {
            file: lock.path.clone(),
            line: preset::line_of_key_in(&lock.text, "ironplate", "template_version"),
            message: format!(
                "corrupt lock: template_version {:?} is not a version (embedded: {})",
                lock.template_version,
                TemplateSet::versions()?.join(", ")
            ),
        });
    };
    // Newer templates than this binary's: "upgrading" would roll the repo back.
    if Some(lock_core) > core(&templates.version) {
        return Err(Error::Refused {
            dir: dir.clone(),
            reason: format!(
                "it was made with templates {}, newer than this ironplate's ({}): install a newer ironplate (this one would roll the repo back)",
                lock.template_version, templates.version
            ),
        });
    }
    // An answer no version of the templates knows is a hand edit gone wrong (`clustr_name`):
    // dropping it would quietly bring back the default, and move the cluster folder.
    let lock_templates = TemplateSet::by_version(Some(&lock.template_version)).ok();
    for key in lock.answers.keys() {
        let known = templates.question(key).is_some()
            || lock_templates
                .as_ref()
                .is_some_and(|t| t.question(key).is_some());
        if !known {
            return Err(Error::BadFile {
                file: lock.path.clone(),
                line: preset::line_of_key_in(&lock.text, "answers", key),
                message: format!(
                    "corrupt lock: unknown answer `{}`{}; known keys: {}",
                    crate::error::printable(key),
                    preset::did_you_mean(key, &templates),
                    preset::known_keys(&templates)
                ),
            });
        }
    }
    let preset = preset::load(opts.preset.as_deref().unwrap_or(&lock.preset), &templates)?;
    let given = Given::from_cli(&templates, &opts.set, None)?;
    let recorded = Recorded {
        values: &lock.answers,
        file: &lock.path,
    };
    let dir_name = crate::commands::new::dir_name(dir);
    let answers = answers::resolve(
        &templates,
        &preset,
        &given,
        Some(&recorded),
        None,
        &dir_name,
    )?;
    let inputs = Inputs::new(&templates, &preset);
    let mut theirs = render::render(&templates, &answers, &inputs)?;
    // A managed file that `adopt` kept as the owner's (their LICENSE) is recorded as merged:
    // upgrade never forces the template's over it.
    for (path, file) in theirs.files.iter_mut() {
        if file.ownership == Ownership::Managed
            && lock
                .files
                .get(path)
                .is_some_and(|l| l.ownership == Ownership::Merged)
        {
            file.ownership = Ownership::Merged;
        }
    }
    // Seeded files (the proxy config) are the owner's, but an answer the owner changes now
    // (`--set models=...`) still reaches them: what that change alone
    // does to them, the current templates rendered with the old answers and the new.
    let mut answer_changes: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let old_answers = answers::resolve(
        &templates,
        &preset,
        &Given::default(),
        Some(&recorded),
        None,
        &dir_name,
    );
    let mut notes = Vec::new();
    if let Ok(old_answers) = &old_answers {
        notes = answer_changes_checked(dir, old_answers, &answers)?;
    }
    if let Ok(old_answers) = old_answers
        && old_answers != answers
    {
        let before = render::render(&templates, &old_answers, &inputs)?;
        for (path, file) in &theirs.files {
            if file.ownership != Ownership::Seeded {
                continue;
            }
            if let Some(old) = before.files.values().find(|f| f.template == file.template) {
                answer_changes.insert(path.clone(), old.contents.clone());
            }
        }
    }
    let base = rebuild_base(&lock, &dir_name);
    let crossed = versions_since(&lock.template_version)?;
    let renames = renames_since(&crossed);
    notes.extend(notes_for(&crossed, &answers));

    let paths: BTreeSet<&str> = base
        .keys()
        .chain(theirs.files.keys())
        .map(String::as_str)
        .collect();
    let journal = apply::journal(dir, &lock.text)?;
    let ours = read_ours_resuming(dir, &paths, journal)?;
    let labels = merge::Labels {
        ours: "yours",
        base: &format!("ironplate templates {}", lock.template_version),
        theirs: &format!("ironplate templates {}", templates.version),
    };
    let pending_sidecars: BTreeSet<String> = lock
        .files
        .iter()
        .filter(|(path, f)| {
            f.unresolved
                && fsx::safe_join(dir, &format!("{path}{}", plan::SIDECAR_SUFFIX))
                    .is_ok_and(|p| p.is_file())
        })
        .map(|(path, _)| path.clone())
        .collect();
    let entries = plan::plan(&PlanInput {
        base: &base,
        theirs: &theirs,
        renames: &renames,
        answer_changes: &answer_changes,
        pending_sidecars: &pending_sidecars,
        ours: &ours,
        labels,
        conflicts: opts.conflict,
        take_template_pins: opts.take_template_pins,
    });
    // Every path the plan writes or removes must be safe, before the first write.
    if !opts.dry_run && !opts.check {
        apply::check_sidecars(dir, &entries)?;
    }
    let left_beside: BTreeSet<String> = entries
        .iter()
        .filter(|e| e.action.is_conflict() && e.sidecar.is_some())
        .map(|e| e.path.clone())
        .collect();
    let lock_text = lock::update(
        &lock,
        &templates.version,
        &inputs,
        &answers,
        &theirs,
        &left_beside,
    );
    Ok(Prepared {
        lock,
        templates,
        answers,
        inputs,
        entries,
        lock_text,
        notes,
        journal,
    })
}

/// A file moved to another folder (an answer such as `cluster_name` changed) out of a folder
/// that keeps files ironplate does not own, such as the `flux-system/` that `flux bootstrap`
/// wrote: Flux keeps syncing the old folder, and pruning what the moved Kustomization applied
/// would delete the gateway, volumes included. Says what to do first.
fn move_leaves_others_behind(dir: &Path, entries: &[Entry]) -> Option<String> {
    let folder = |p: &str| {
        p.rsplit_once('/')
            .map_or(String::new(), |(f, _)| f.to_string())
    };
    let leaving: BTreeSet<&str> = entries
        .iter()
        .flat_map(|e| e.remove.iter().map(String::as_str))
        .collect();
    for e in entries {
        let Some(from) = &e.from else { continue };
        let (old, new) = (folder(from), folder(&e.path));
        if old == new || e.write.is_none() {
            continue;
        }
        let Ok(listing) = std::fs::read_dir(dir.join(&old)) else {
            continue;
        };
        let mut others: Vec<String> = listing
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel = if old.is_empty() {
                    name.clone()
                } else {
                    format!("{old}/{name}")
                };
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                (!leaving.contains(rel.as_str()))
                    .then(|| if is_dir { format!("{name}/") } else { name })
            })
            .collect();
        if others.is_empty() {
            continue;
        }
        others.sort();
        return Some(format!(
            "moving {from} to {} would leave {} behind in {old}/: Flux, still syncing {old}, would prune what {from} applies (the gateway, volumes included). Move everything in one commit: `mkdir -p {new} && git mv {old}/flux-system {new}/`, change `path: ./{old}` to `./{new}` in {new}/flux-system/gotk-sync.yaml, run this upgrade with --allow-dirty, commit and push (Flux, finding no {old}, stops there and prunes nothing); then `flux bootstrap ... --path={new}`",
            e.path,
            others.join(", ")
        ));
    }
    None
}

/// BASE per lock path: contents when the lock's version and answers re-render to the recorded
/// hash; otherwise only the hash (the plan then never merges against a guess).
fn rebuild_base(lock: &Lock, dir_name: &str) -> BTreeMap<String, BaseFile> {
    let rendered: Option<RenderedTree> = (|| {
        let set = TemplateSet::by_version(Some(&lock.template_version)).ok()?;
        let recorded = Recorded {
            values: &lock.answers,
            file: &lock.path,
        };
        let empty = Preset::empty(&lock.preset);
        let answers = answers::resolve(
            &set,
            &empty,
            &Given::default(),
            Some(&recorded),
            None,
            dir_name,
        )
        .ok()?;
        let mut inputs = Inputs::new(&set, &empty);
        inputs.ironplate_version = lock.ironplate_version.clone();
        if let Some(actions) = &lock.actions {
            inputs.actions = actions.clone();
        }
        render::render(&set, &answers, &inputs).ok()
    })();
    lock.files
        .iter()
        .map(|(path, locked)| {
            let file = rendered.as_ref().and_then(|t| t.files.get(path));
            let contents = file
                .filter(|f| sha256_hex(&f.contents) == locked.sha256)
                .map(|f| f.contents.clone());
            let base = BaseFile {
                template: file.map(|f| f.template.clone()),
                sha256: locked.sha256.clone(),
                contents,
            };
            (path.clone(), base)
        })
        .collect()
}

/// The renames declared by every template version after `from`, composed in order.
/// Answer changes a running gateway cannot take are refused (a new namespace: Flux prunes the
/// old one with the volumes in it; a smaller volume: claims never shrink); the others that
/// need a step by hand first get a note.
fn answer_changes_checked(dir: &Path, old: &Answers, new: &Answers) -> Result<Vec<String>> {
    let changed = |key: &str| {
        let (a, b) = (old.get(key), new.get(key));
        (a != b).then(|| (old.str(key).to_string(), new.str(key).to_string()))
    };
    let refuse = |reason: String| Error::Refused {
        dir: dir.to_path_buf(),
        reason,
    };
    if let Some((was, now)) = changed("namespace") {
        return Err(refuse(format!(
            "namespace {was} -> {now} would move every object: Flux (prune: true) deletes namespace {was}, and the Postgres and Redis volumes in it with it. ironplate does not move a running gateway's data: keep the namespace (or, if nothing runs from this repo yet, make it again with `ironplate new --set namespace={now}`)"
        )));
    }
    for key in ["postgres_storage", "redis_storage"] {
        if let Some((was, now)) = changed(key)
            && crate::questions::quantity_bytes(&now) < crate::questions::quantity_bytes(&was)
        {
            return Err(refuse(format!(
                "{key} {was} -> {now}: a volume claim can grow but never shrink (Kubernetes refuses the change and Flux stops applying {}); keep {was} or more",
                "litellm-db"
            )));
        }
    }
    let mut notes = Vec::new();
    let backend = new.str("secrets_backend");
    if let Some((was, now)) = changed("secrets_backend") {
        notes.push(format!(
            "secrets_backend {was} -> {now}: set up the Secrets as the README's \"Secrets\" section says for {now} before Flux applies this change"
        ));
    } else if let Some((was, now)) = changed("project_name")
        && backend == "external-secrets"
    {
        notes.push(format!(
            "project_name {was} -> {now}: the ExternalSecrets now read {now}/kubernetes/...: create those entries (copies of {was}/kubernetes/...) before Flux applies this change"
        ));
    }
    if let Some((_, now)) = changed("sops_age_recipient")
        && backend == "sops"
    {
        notes.push(format!(
            "sops_age_recipient -> {now}: re-encrypt every *.sops.yaml for it (`sops updatekeys FILE`) and give Flux the new private key (the sops-age Secret) before this change reaches the cluster"
        ));
    }
    Ok(notes)
}

/// The template versions after `from`, oldest first, up to the current one.
fn versions_since(from: &str) -> Result<Vec<TemplateSet>> {
    let versions = TemplateSet::versions()?;
    let start = versions.iter().position(|v| v == from).map_or(0, |i| i + 1);
    versions[start..]
        .iter()
        .map(|v| TemplateSet::by_version(Some(v)))
        .collect()
}

/// The steps the versions crossed ask of this repo's owner, each with its version.
fn notes_for(crossed: &[TemplateSet], answers: &Answers) -> Vec<String> {
    crossed
        .iter()
        .flat_map(|set| {
            set.notes
                .iter()
                .filter(|n| n.when.as_ref().is_none_or(|c| c.eval(&answers.values)))
                .map(|n| {
                    let text = answers::fill_placeholders(n.text.trim(), &answers.values);
                    format!("templates {}: {text}", set.version)
                })
        })
        .collect()
}

fn renames_since(crossed: &[TemplateSet]) -> BTreeMap<String, String> {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for set in crossed {
        for (old, new) in &set.renames {
            for target in renames.values_mut() {
                if target == old {
                    *target = new.clone();
                }
            }
            renames.entry(old.clone()).or_insert_with(|| new.clone());
        }
    }
    renames
}

/// Reads the files the templates own (and nothing else), refusing symlinks on the way.
pub(crate) fn read_ours(
    dir: &Path,
    paths: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Option<OursFile>>> {
    read_ours_resuming(dir, paths, apply::Journal::None)
}

/// [`read_ours`]; resuming a killed run, a file it kept a copy of is read from that copy.
fn read_ours_resuming(
    dir: &Path,
    paths: &BTreeSet<&str>,
    journal: apply::Journal,
) -> Result<BTreeMap<String, Option<OursFile>>> {
    let mut out = BTreeMap::new();
    for rel in paths {
        let target = fsx::safe_join(dir, rel)?;
        let copy = fsx::backup_path(&target);
        let stale = journal == apply::Journal::Resume
            && std::fs::symlink_metadata(&copy).is_ok_and(|m| m.is_file());
        let path = if stale { copy } else { target };
        // A FIFO would block the read, a device never end it: only regular files are read.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
            return Err(Error::Refused {
                dir: dir.to_path_buf(),
                reason: format!(
                    "{rel} is not a regular file (a folder, FIFO or device where ironplate keeps a file)"
                ),
            });
        }
        let file = match std::fs::read(&path) {
            Ok(bytes) => Some(OursFile {
                executable: is_executable(&path),
                bytes,
                stale,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("cannot read", &path, e)),
        };
        out.insert(rel.to_string(), file);
    }
    Ok(out)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// In a git work tree, uncommitted changes are refused: the upgrade must be reviewable as one
/// diff and undoable with git.
pub(crate) fn refuse_dirty(dir: &Path) -> Result<()> {
    let inside = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output();
    let Ok(inside) = inside else {
        return Ok(()); // no git: nothing to protect with it
    };
    if !inside.status.success() {
        return Ok(());
    }
    // --no-optional-locks: a refused run must not even refresh git's index.
    let status = Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain", "--", "."])
        .output()
        .map_err(|e| Error::io("cannot run git status in", dir, e))?;
    // The copies a killed run of ironplate's left are not the owner's changes.
    let text = String::from_utf8_lossy(&status.stdout)
        .lines()
        .filter(|l| !apply::is_own_leftover(l.get(3..).unwrap_or("").trim_matches('"')))
        .collect::<Vec<_>>()
        .join("\n");
    if text.is_empty() {
        Ok(())
    } else {
        Err(Error::DirtyTree {
            dir: dir.to_path_buf(),
            status: text,
        })
    }
}
