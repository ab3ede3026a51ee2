//! `ironplate adopt`: bring a hand-made gateway repo under ironplate. Reads the repo once,
//! infers answers from it, renders the current templates with them, then plans like upgrade
//! with no BASE: missing files are added, equal ones recorded, the owner's manifests get the
//! template's hardening merged in (names, probes, sizes and selectors kept), other files that
//! differ stay the owner's with the template's version beside them. The lock is written last;
//! `upgrade` works from then on.

pub mod harden;
pub mod infer;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::answers::{self, Given};
use crate::audit::repo::{Repo, is_yaml};
use crate::error::{EXIT_ATTENTION, EXIT_OK, Error, Result};
use crate::fsx;
use crate::lock::{self, LOCK_FILE};
use crate::preset;
use crate::prompt::InquirePrompter;
use crate::render::{self, RenderedTree};
use crate::templates::{Ownership, TemplateSet};
use crate::upgrade::merge;
use crate::upgrade::plan::{Action, Entry, OursFile, SIDECAR_SUFFIX};
use crate::upgrade::{apply, read_ours, refuse_dirty, report};

pub struct AdoptOptions {
    pub dir: PathBuf,
    pub preset: String,
    pub set: Vec<String>,
    pub yes: bool,
    pub dry_run: bool,
    pub allow_dirty: bool,
    pub json: bool,
}

/// One answer and where it came from, for the report.
#[derive(Debug, Serialize)]
pub struct AnswerSource {
    pub key: String,
    pub value: String,
    pub source: String,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    templates: &'a str,
    preset: &'a str,
    answers: &'a [AnswerSource],
    unusable: &'a [String],
    files: &'a [Entry],
    review: usize,
    written: bool,
}

pub fn run(opts: AdoptOptions) -> Result<u8> {
    let dir = &opts.dir;
    fsx::require_folder(dir)?;
    let lock_path = fsx::safe_join(dir, LOCK_FILE)?;
    if std::fs::symlink_metadata(&lock_path).is_ok() {
        return Err(Error::Refused {
            dir: dir.clone(),
            reason: format!(
                "it already has {LOCK_FILE}: it is under ironplate; use `ironplate upgrade`"
            ),
        });
    }
    if !opts.dry_run && !opts.allow_dirty {
        refuse_dirty(dir)?;
    }
    let templates = TemplateSet::current()?;
    let preset = preset::load(&opts.preset, &templates)?;
    let given = Given::from_cli(&templates, &opts.set, None)?;
    let repo = Repo::read(dir)?;
    if repo.objects().next().is_none() {
        return Err(Error::Refused {
            dir: dir.clone(),
            reason: "it holds no Kubernetes manifests: nothing to adopt (`ironplate new` writes a new repo)".into(),
        });
    }
    let inferred = infer::infer(&repo, &templates, &preset);
    if !inferred.split.is_empty() {
        return Err(Error::Refused {
            dir: dir.clone(),
            reason: format!(
                "LiteLLM, Postgres and Redis run in {} namespaces here ({}); ironplate's layout keeps them in one (its NetworkPolicies, budgets and service accounts sit beside them): move them into one namespace first",
                inferred.split.len(),
                inferred.split.join(", ")
            ),
        });
    }

    // What the repo says sits between the preset and the command line: it is the default a
    // prompt offers, and what --yes takes. A key the preset locks stays the preset's.
    let mut layered = preset.clone();
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    let mut unusable = inferred.unusable.clone();
    for found in &inferred.found {
        if let Some(by) = preset.locked.get(&found.key) {
            unusable.push(format!(
                "{} at {}: locked by preset `{by}`, whose value is used",
                found.key, found.source
            ));
            continue;
        }
        layered
            .answers
            .insert(found.key.clone(), found.value.clone());
        sources.insert(found.key.clone(), found.source.clone());
    }
    let mut inquire = InquirePrompter;
    let prompter = crate::prompt::if_interactive(opts.yes, &mut inquire);
    let dir_name = crate::commands::new::dir_name(dir);
    let answers = answers::resolve(&templates, &layered, &given, None, prompter, &dir_name)?;
    // Adopt keeps the owner's objects where they are: another namespace or cluster folder
    // would put the objects it adds apart from them. Moving is upgrade's job, afterwards.
    for key in ["namespace", "cluster_name"] {
        let Some(found) = inferred.found.iter().find(|f| f.key == key) else {
            continue;
        };
        let chosen = answers.str(key);
        if found.value.as_str().is_some_and(|v| v != chosen) {
            return Err(Error::Refused {
                dir: dir.clone(),
                reason: format!(
                    "{key} = {chosen}, but your repo says {} ({}); adopt keeps your objects where they are. Adopt with {key} = {}, then move everything with `ironplate upgrade --set {key}={chosen}`",
                    found.value.as_str().unwrap_or_default(),
                    found.source,
                    found.value.as_str().unwrap_or_default(),
                ),
            });
        }
    }
    let answer_sources: Vec<AnswerSource> = answers
        .values
        .iter()
        .map(|(key, value)| {
            let source = if opts
                .set
                .iter()
                .any(|s| s.split('=').next().map(str::trim) == Some(key))
            {
                "--set".to_string()
            } else if let Some(s) = sources.get(key) {
                s.clone()
            } else if preset.answers.contains_key(key) {
                format!("preset `{}`", preset.name)
            } else {
                "default".to_string()
            };
            AnswerSource {
                key: key.clone(),
                value: value.to_string(),
                source,
            }
        })
        .collect();

    let inputs = render::Inputs::new(&templates, &preset);
    let theirs = render::render(&templates, &answers, &inputs)?;
    let mut entries = plan(dir, &repo, &theirs)?;
    point_at_owners_configs(&repo, &mut entries);
    // A managed file kept as the owner's (their LICENSE) is theirs from now on: recorded as
    // merged, so that no upgrade forces the template's text over it.
    let mut recorded = theirs.clone();
    for e in entries.iter().filter(|e| e.action == Action::Kept) {
        if let Some(f) = recorded.files.get_mut(&e.path) {
            f.ownership = Ownership::Merged;
        }
    }
    let lock_text = lock::render(&templates.version, &inputs, &answers, &recorded);
    for e in &entries {
        fsx::safe_join(dir, &e.path)?;
        for r in &e.remove {
            fsx::safe_join(dir, r)?;
        }
    }
    apply::check_sidecars(dir, &entries)?;
    let review = entries.iter().filter(|e| e.action == Action::Kept).count();
    let writes = !opts.dry_run;
    if writes {
        apply::apply(dir, &entries, &lock_text, None)?;
    }
    let how = if opts.dry_run {
        "`--set KEY=VALUE` here"
    } else {
        "`ironplate upgrade --set KEY=VALUE`"
    };
    if let Some(warning) = answers::example_identity_warning(&answers, how) {
        eprintln!("{warning}");
    }
    if opts.json {
        let json = JsonReport {
            templates: &templates.version,
            preset: &preset.name,
            answers: &answer_sources,
            unusable: &unusable,
            files: &entries,
            review,
            written: writes,
        };
        crate::output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json).expect("report serializes")
        ))?;
    } else {
        crate::output::report_written(
            print_text(
                &templates.version,
                &preset.name,
                &answer_sources,
                &unusable,
                &entries,
            ),
            writes,
        )?;
        if opts.dry_run {
            crate::output::written(report::print_diffs(&entries))?;
        }
        let verdict = match (writes, review) {
            (true, 0) => {
                "adopted: the repo is under ironplate (`ironplate upgrade` from now on)".to_string()
            }
            (true, n) => format!(
                "adopted; review {n} file(s) kept as yours, each with the template's version beside it as *{SIDECAR_SUFFIX}"
            ),
            (false, _) => "would adopt (nothing written)".to_string(),
        };
        let printed = {
            use std::io::Write;
            writeln!(anstream::stdout(), "{verdict}")
        };
        crate::output::report_written(printed, writes)?;
    }
    Ok(if review > 0 { EXIT_ATTENTION } else { EXIT_OK })
}

fn print_text(
    version: &str,
    preset: &str,
    answers: &[AnswerSource],
    unusable: &[String],
    entries: &[Entry],
) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = anstream::stdout();
    writeln!(out, "ironplate adopt: templates {version}, preset {preset}")?;
    writeln!(out, "answers:")?;
    for a in answers {
        let value = if a.value.is_empty() {
            "(none)"
        } else {
            &a.value
        };
        writeln!(out, "  {} = {value}  ({})", a.key, a.source)?;
    }
    for u in unusable {
        writeln!(out, "  not used: {u}")?;
    }
    writeln!(out, "files:")?;
    report::print_entries(entries, false)
}

/// A workflow the adoption adds names its tool's config by path; where the owner's config of
/// that tool sits at another name (and so the template's is not added), the workflow names
/// the owner's. (The lock keeps the template's hash: upgrade sees the change as the owner's.)
fn point_at_owners_configs(repo: &Repo, entries: &mut [Entry]) {
    const NAMED: [(&str, &str, &str); 1] = [(
        ".github/workflows/security.yml",
        "config: .kube-linter.yaml",
        ".kube-linter.yaml",
    )];
    for (workflow, line, config) in NAMED {
        let not_added = entries
            .iter()
            .any(|e| e.path == config && e.action == Action::NotAdded);
        let Some(owners) = alternates(config).iter().find(|a| repo.exists(a)) else {
            continue;
        };
        if !not_added {
            continue;
        }
        let Some(entry) = entries
            .iter_mut()
            .find(|e| e.path == workflow && e.action == Action::Added)
        else {
            continue;
        };
        let Some(text) = entry
            .write
            .as_deref()
            .and_then(|w| std::str::from_utf8(w).ok())
        else {
            continue;
        };
        let pointed = text.replace(line, &line.replace(config, owners));
        if pointed != text {
            entry.write = Some(pointed.into_bytes());
            entry.note = format!("its KubeLinter step reads your {owners}");
        }
    }
}

/// Other places the same file is read from, by the tools that read it.
fn alternates(path: &str) -> &'static [&'static str] {
    match path {
        ".github/CODEOWNERS" => &["CODEOWNERS", "docs/CODEOWNERS"],
        "SECURITY.md" => &[".github/SECURITY.md", "docs/SECURITY.md"],
        "CONTRIBUTING.md" => &[".github/CONTRIBUTING.md", "docs/CONTRIBUTING.md"],
        ".github/pull_request_template.md" => &[
            ".github/PULL_REQUEST_TEMPLATE.md",
            "PULL_REQUEST_TEMPLATE.md",
            "docs/pull_request_template.md",
        ],
        ".yamllint.yml" => &[".yamllint", ".yamllint.yaml"],
        ".github/dependabot.yml" => &[".github/dependabot.yaml"],
        ".kube-linter.yaml" => &[".kube-linter.yml"],
        "LICENSE" => &["LICENSE.md", "LICENSE.txt", "COPYING"],
        _ => &[],
    }
}

/// Which folder a repo path is in (`""` at the root).
fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(f, _)| f)
}

fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, n)| n)
}

/// (kind, name) of every document of a YAML text.
fn doc_keys(text: &str) -> Vec<(String, String)> {
    crate::yaml::parse(text)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| {
            Some((
                d.str_at("kind")?.to_string(),
                d.str_at("metadata.name").unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// One action per template path, plus the owner's other manifests that need a current Flux
/// API. Reads the template paths and the owner's YAML files; writes nothing.
fn plan(dir: &Path, repo: &Repo, theirs: &RenderedTree) -> Result<Vec<Entry>> {
    let template_paths: BTreeSet<&str> = theirs.files.keys().map(String::as_str).collect();
    let ours = read_ours(dir, &template_paths)?;

    // The owner's file that holds exactly the objects of a template file the owner does not
    // have at the template's path, in the same folder, moves there.
    let mut moved_from: BTreeMap<String, String> = BTreeMap::new(); // template path -> owner path
    let mut claimed: BTreeSet<String> = BTreeSet::new();
    let mut owner_keys: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    // The one HelmRelease of the owner's is the gateway's release whatever its name: known
    // by the template's name, so that the template's is never added beside it.
    let template_release = theirs
        .files
        .values()
        .filter_map(|f| std::str::from_utf8(&f.contents).ok())
        .flat_map(doc_keys)
        .find(|(kind, _)| kind == "HelmRelease")
        .map(|(_, name)| name);
    let owner_releases = repo.objects().filter(|d| d.kind() == "HelmRelease").count();
    for doc in repo.objects() {
        let name = match (&template_release, doc.kind(), owner_releases) {
            (Some(theirs), "HelmRelease", 1) => theirs.clone(),
            _ => doc.name().to_string(),
        };
        owner_keys
            .entry(doc.path.as_str())
            .or_default()
            .push((doc.kind().to_string(), name));
    }
    for (path, file) in &theirs.files {
        if ours.get(path.as_str()).is_some_and(Option::is_some) || !is_yaml(path) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&file.contents) else {
            continue;
        };
        let keys = doc_keys(text);
        if keys.is_empty() {
            continue;
        }
        let candidates: Vec<&str> = owner_keys
            .iter()
            .filter(|(p, k)| {
                folder(p) == folder(path)
                    && !template_paths.contains(*p)
                    && !claimed.contains(**p)
                    && !k.is_empty()
                    && k.iter().all(|key| keys.contains(key))
            })
            .map(|(p, _)| *p)
            .collect();
        if let [only] = candidates.as_slice() {
            claimed.insert(only.to_string());
            moved_from.insert(path.clone(), only.to_string());
        }
    }
    let renamed: BTreeMap<String, String> = moved_from
        .iter()
        .map(|(to, from)| (from.clone(), to.clone()))
        .collect();
    // A folder with the owner's kustomization.yaml and none from the template: kustomize
    // (and so Flux) applies only what that file lists, and listing the template's entry
    // point beside the owner's would apply the same objects twice.
    let owner_kustomized: BTreeSet<&str> = repo
        .files
        .iter()
        .filter(|f| file_name(f) == "kustomization.yaml" || file_name(f) == "kustomization.yml")
        .map(|f| folder(f))
        .filter(|f| {
            !template_paths.contains(format!("{f}/kustomization.yaml").trim_start_matches('/'))
        })
        .collect();
    // Why a template file the owner lacks is not added (and the owner file that does its job,
    // if one does); `None`: it is added.
    let not_added = |path: &str, contents: &[u8]| -> Option<(String, Option<String>)> {
        // The owner's file of the same job at another place tools also read: adding ours
        // would shadow theirs (GitHub reads .github/CODEOWNERS before CODEOWNERS).
        if let Some(theirs_at) = alternates(path).iter().find(|a| repo.exists(a)) {
            return Some((format!("not added: your {theirs_at} does this job"), None));
        }
        // An object the owner already defines in a file of their own would be defined twice
        // (two owners of one object in the cluster): that file does this one's job.
        let theirs_keys = std::str::from_utf8(contents)
            .map(doc_keys)
            .unwrap_or_default();
        let elsewhere = owner_keys.iter().find_map(|(p, keys)| {
            let key = keys
                .iter()
                .find(|k| !k.1.is_empty() && theirs_keys.contains(k))?;
            (!template_paths.contains(*p) && !claimed.contains(*p)).then_some((p, key))
        });
        if let Some((other, (kind, name))) = elsewhere.filter(|_| is_yaml(path)) {
            return Some((
                format!("not added: your {other} already defines {kind} {name} (hardened there)"),
                Some(other.to_string()),
            ));
        }
        owner_kustomized.contains(folder(path)).then(|| {
            (
                format!(
                    "not added: your {}/kustomization.yaml decides what this folder applies",
                    folder(path)
                ),
                None,
            )
        })
    };
    // Template files that will not exist: no kustomization may list them.
    let absent: BTreeSet<String> = theirs
        .files
        .iter()
        .filter(|(path, file)| {
            !moved_from.contains_key(*path)
                && ours.get(path.as_str()).is_none_or(Option::is_none)
                && not_added(path, &file.contents).is_some()
        })
        .map(|(path, _)| path.clone())
        .collect();
    let context_for = |path: &str| harden::Context {
        path: path.to_string(),
        add_missing: true,
        renamed: renamed.clone(),
        absent: absent.clone(),
    };

    let mut entries = Vec::new();
    // Owner files outside the template's layout that define a template file's objects: the
    // template file merges into them where they are.
    let mut hardened_elsewhere: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (path, file) in &theirs.files {
        let from = moved_from.get(path);
        let source: Option<OursFile> = match from {
            Some(f) => read_ours(dir, &BTreeSet::from([f.as_str()]))?
                .remove(f.as_str())
                .flatten(),
            None => ours.get(path.as_str()).cloned().flatten(),
        };
        let mut entry = Entry::new(path, Action::Unchanged);
        if let Some(f) = from {
            entry.from = Some(f.clone());
            entry.remove = vec![f.clone()];
        }
        let Some(o) = source else {
            match not_added(path, &file.contents) {
                Some((note, does_its_job)) => {
                    entry.action = Action::NotAdded;
                    entry.note = note;
                    if let Some(other) = does_its_job {
                        hardened_elsewhere
                            .entry(other)
                            .or_insert_with(|| file.contents.clone());
                    }
                }
                None => {
                    entry.action = Action::Added;
                    entry.write = Some(file.contents.clone());
                    entry.executable = file.executable;
                }
            }
            entries.push(entry);
            continue;
        };
        entry.before = Some(o.bytes.clone());
        entry.executable = o.executable;
        let moved = from.is_some();
        let keep = |mut e: Entry, action: Action, note: String| {
            e.action = action;
            e.note = note;
            if moved {
                e.write = Some(o.bytes.clone());
            }
            e
        };
        if merge::same_text(&o.bytes, &file.contents) {
            let e = keep(
                entry,
                if moved {
                    Action::Updated
                } else {
                    Action::Unchanged
                },
                String::new(),
            );
            entries.push(e);
            continue;
        }
        let kept_beside = |e: Entry, why: &str| {
            let mut e = keep(
                e,
                Action::Kept,
                format!(
                    "yours is kept ({why}); the template's version is beside it as {path}{SIDECAR_SUFFIX}"
                ),
            );
            e.sidecar = Some(file.contents.clone());
            e
        };
        let entry = match file.ownership {
            Ownership::Seeded => keep(
                entry,
                Action::SeededSkip,
                "seeded: yours (the template writes this file only into a new repo)".into(),
            ),
            Ownership::Superset => match merge::superset(&o.bytes, &file.contents) {
                Some(union) if union == o.bytes => keep(entry, Action::Unchanged, String::new()),
                Some(union) => {
                    let mut e = keep(
                        entry,
                        Action::SupersetMerged,
                        "the template's lines added to yours".into(),
                    );
                    e.write = Some(union);
                    e
                }
                None => kept_beside(entry, "not text"),
            },
            Ownership::Managed => kept_beside(
                entry,
                "it differs from the template's; recorded as yours (merged), so upgrade never replaces it",
            ),
            Ownership::Merged => {
                let texts = (
                    std::str::from_utf8(&o.bytes),
                    std::str::from_utf8(&file.contents),
                );
                match texts {
                    (Ok(ours_text), Ok(theirs_text)) if is_yaml(path) => {
                        let unix = ours_text.replace("\r\n", "\n");
                        match harden::merge_file(&unix, theirs_text, &context_for(path)) {
                            Ok(m) if m.text == unix => {
                                keep(entry, Action::Unchanged, String::new())
                            }
                            Ok(m) => {
                                let mut e = keep(entry, Action::Hardened, m.notes.join("\n"));
                                e.write =
                                    Some(merge::in_owner_endings(&o.bytes, m.text.as_bytes()));
                                e
                            }
                            Err(why) => kept_beside(entry, &why),
                        }
                    }
                    (Ok(_), Ok(_)) => kept_beside(entry, "it differs from the template's"),
                    _ => kept_beside(entry, "not text"),
                }
            }
        };
        entries.push(entry);
    }

    // The owner's own manifests (not the templates'): deprecated Flux APIs made current, and
    // kustomization resources that follow the files moved beside them.
    for (path, _) in owner_keys
        .iter()
        .filter(|(p, _)| !template_paths.contains(*p) && !claimed.contains(**p))
    {
        let Some(text) = repo.texts.get(*path) else {
            continue;
        };
        let unix = text.replace("\r\n", "\n");
        let template = hardened_elsewhere
            .get(*path)
            .and_then(|t| std::str::from_utf8(t).ok())
            .unwrap_or("");
        let context = harden::Context {
            add_missing: false,
            ..context_for(path)
        };
        let Ok(m) = harden::merge_file(&unix, template, &context) else {
            continue;
        };
        if m.text != unix {
            let mut e = Entry::new(path, Action::Hardened);
            e.note = m.notes.join("\n");
            e.note
                .push_str("\n(yours, not a template file: not in the lock)");
            e.before = Some(text.as_bytes().to_vec());
            e.write = Some(merge::in_owner_endings(text.as_bytes(), m.text.as_bytes()));
            entries.push(e);
        }
    }
    keep_the_charts_master_key(&mut entries);
    note_unused_chart_sources(&mut entries, repo, &template_paths);
    drop_kustomizations_of_missing_files(&mut entries, repo);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// Adopt never switches a running LiteLLM to a new master key (it encrypted the stored
/// credentials with the one it has): the template's example Secret for one is added only
/// where the owner's release reads its key from that very Secret.
fn keep_the_charts_master_key(entries: &mut [Entry]) {
    let secret_of = |text: &[u8]| -> Option<String> {
        crate::yaml::parse(std::str::from_utf8(text).ok()?)
            .ok()?
            .iter()
            .find(|d| d.str_at("kind") == Some("HelmRelease"))?
            .str_at("spec.values.masterkeySecretName")
            .map(str::to_string)
    };
    let release_reads = entries
        .iter()
        .filter(|e| file_name(&e.path) == "helmrelease.yaml")
        .find_map(|e| {
            e.write
                .as_deref()
                .or(e.before.as_deref())
                .and_then(secret_of)
        });
    for e in entries.iter_mut() {
        if e.action != Action::Added || !file_name(&e.path).starts_with("master-key-secret") {
            continue;
        }
        let example_is = e.write.as_deref().and_then(|t| {
            crate::yaml::parse(std::str::from_utf8(t).ok()?)
                .ok()?
                .iter()
                .find_map(|d| d.str_at("metadata.name").map(str::to_string))
        });
        let note = match &release_reads {
            None => "not added: your HelmRelease keeps the chart's own master key".to_string(),
            Some(theirs) if Some(theirs) != example_is.as_ref() => format!(
                "not added: your HelmRelease reads its master key from the Secret {theirs}, not from the example's"
            ),
            Some(_) => continue,
        };
        e.action = Action::NotAdded;
        e.write = None;
        e.note = note;
    }
}

/// The owner's HelmRepository that their HelmRelease took its chart from, before the
/// template's chartRef replaced it: still applied, used by nothing ironplate knows of.
fn note_unused_chart_sources(
    entries: &mut Vec<Entry>,
    repo: &Repo,
    template_paths: &BTreeSet<&str>,
) {
    let replaced: Vec<(String, String)> = repo
        .objects()
        .filter(|d| d.kind() == "HelmRelease" && template_paths.contains(d.path.as_str()))
        .filter(|d| d.node.str_at("spec.chart.spec.sourceRef.kind") == Some("HelmRepository"))
        .filter_map(|d| {
            let name = d.node.str_at("spec.chart.spec.sourceRef.name")?.to_string();
            Some((name, d.name().to_string()))
        })
        .collect();
    for (source, release) in replaced {
        let Some(doc) = repo.objects().find(|d| {
            d.kind() == "HelmRepository"
                && d.name() == source
                && !template_paths.contains(d.path.as_str())
        }) else {
            continue;
        };
        let note = format!(
            "HelmRepository {source} is no longer used by HelmRelease {release}, which now takes its chart by chartRef: delete it (and its line in kustomization.yaml) once nothing else uses it"
        );
        match entries.iter_mut().find(|e| e.path == doc.path) {
            Some(e) => e.note = format!("{}\n{note}", e.note).trim_start().to_string(),
            None => {
                let mut e = Entry::new(&doc.path, Action::Kept);
                e.note = note;
                entries.push(e);
            }
        }
    }
}

/// A kustomization the plan would add that lists a file which will not exist (its template
/// file was not added) would not build: it is not added either, and so on up.
fn drop_kustomizations_of_missing_files(entries: &mut [Entry], repo: &Repo) {
    loop {
        let removed: BTreeSet<&str> = entries
            .iter()
            .flat_map(|e| e.remove.iter().map(String::as_str))
            .collect();
        let will_exist = |p: &str| {
            entries
                .iter()
                .any(|e| e.path == p && (e.write.is_some() || e.before.is_some()))
                || (repo.exists(p) && !removed.contains(p))
        };
        let broken = entries.iter().position(|e| {
            e.action == Action::Added
                && file_name(&e.path) == "kustomization.yaml"
                && e.write.as_deref().is_some_and(|text| {
                    missing_resource(text, folder(&e.path), &will_exist).is_some()
                })
        });
        let Some(i) = broken else {
            return;
        };
        let text = entries[i].write.clone().unwrap_or_default();
        let missing =
            missing_resource(&text, folder(&entries[i].path), &will_exist).unwrap_or_default();
        entries[i].write = None;
        entries[i].action = Action::NotAdded;
        entries[i].note = format!("not added: it lists {missing}, which is not added");
    }
}

/// The first file a kustomization lists that will not exist.
fn missing_resource(
    text: &[u8],
    folder: &str,
    will_exist: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let docs = crate::yaml::parse(std::str::from_utf8(text).ok()?).ok()?;
    let resources = docs.first()?.get("resources")?;
    resources
        .items()
        .iter()
        .filter_map(|r| r.str())
        .find_map(|r| {
            let is_file = r.ends_with(".yaml") || r.ends_with(".yml");
            let path = if folder.is_empty() {
                r.to_string()
            } else {
                format!("{folder}/{r}")
            };
            (is_file && !r.contains("..") && !will_exist(&path)).then_some(path)
        })
}
