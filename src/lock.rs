//! The lock `.ironplate.toml`: what made this repo (versions, preset, answers) and, per file it
//! owns, the ownership class and the sha256 of the pristine render last applied.
//! Written with toml_edit so that later rewrites keep an owner's comments.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::render::{Inputs, RenderedTree};
use crate::templates::{ActionPin, Ownership};

pub const LOCK_FILE: &str = ".ironplate.toml";

const HEADER: &str = "\
# ironplate lock: how this repo was made, so that `ironplate upgrade` can re-apply newer
# templates three-way without losing your edits. Keep it in git. Change answers with
# `ironplate upgrade --set KEY=VALUE`, not by editing the hashes below.
";

fn edit_value(v: &toml::Value) -> toml_edit::Value {
    match v {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Array(items) => items
            .iter()
            .map(edit_value)
            .collect::<toml_edit::Array>()
            .into(),
        other => other.to_string().into(),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Renders the lock for a freshly written tree.
pub fn render(
    template_version: &str,
    inputs: &Inputs,
    answers: &Answers,
    tree: &RenderedTree,
) -> String {
    let mut doc = DocumentMut::new();
    let mut meta = Table::new();
    meta.insert("version", value(env!("CARGO_PKG_VERSION")));
    meta.insert("template_version", value(template_version));
    meta.insert("preset", value(&inputs.preset));
    meta.decor_mut().set_prefix(HEADER);
    doc.insert("ironplate", Item::Table(meta));

    let mut answers_table = Table::new();
    for (key, v) in &answers.values {
        answers_table.insert(key, value(edit_value(&v.to_toml())));
    }
    doc.insert("answers", Item::Table(answers_table));

    let mut actions = Table::new();
    for (action, pin) in &inputs.actions {
        let mut entry = InlineTable::new();
        if let Some(sha) = &pin.sha {
            entry.insert("sha", sha.as_str().into());
        }
        entry.insert("version", pin.version.as_str().into());
        actions.insert(action, value(entry));
    }
    doc.insert("actions", Item::Table(actions));

    let mut files = Table::new();
    for (path, file) in &tree.files {
        let mut entry = InlineTable::new();
        entry.insert("ownership", file.ownership.as_str().into());
        entry.insert("sha256", sha256_hex(&file.contents).into());
        files.insert(path, value(entry));
    }
    doc.insert("files", Item::Table(files));
    doc.to_string()
}

/// A lock as read from disk.
#[derive(Debug, Clone)]
pub struct Lock {
    pub path: std::path::PathBuf,
    /// The file's text, kept so a rewrite preserves the owner's comments.
    pub text: String,
    pub ironplate_version: String,
    pub template_version: String,
    pub preset: String,
    pub answers: toml::Table,
    /// Action pins the repo was rendered with (absent in locks that predate recording them).
    pub actions: Option<BTreeMap<String, ActionPin>>,
    pub files: BTreeMap<String, LockedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedFile {
    pub ownership: Ownership,
    pub sha256: String,
    /// A conflict the last upgrade left as `PATH.ironplate-theirs` (`--conflict rej`, or a
    /// file that is not text): not resolved while that file is there.
    #[serde(default)]
    pub unresolved: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LockFile {
    ironplate: LockMeta,
    #[serde(default)]
    answers: toml::Table,
    actions: Option<BTreeMap<String, ActionPin>>,
    #[serde(default)]
    files: BTreeMap<String, LockedFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LockMeta {
    version: String,
    template_version: String,
    preset: String,
}

/// Reads `DIR/.ironplate.toml`; a missing or corrupt lock is a refusal that points to `adopt`.
pub fn read(dir: &Path) -> Result<Lock> {
    // A symlinked lock would be read from (and written back over) somewhere else: refused.
    let path = crate::fsx::safe_join(dir, LOCK_FILE)?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(Error::NoLock {
            dir: dir.to_path_buf(),
        });
    }
    let text = crate::fsx::read_input(&path, "cannot read")?;
    let parsed: LockFile = toml::from_str(&text).map_err(|e| Error::BadFile {
        file: path.clone(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
        message: format!(
            "corrupt lock: {} (restore it from git, or delete it and run `ironplate adopt` to rebuild it)",
            e.message().trim()
        ),
    })?;
    for (p, f) in &parsed.files {
        // A path ironplate could have written: plain, relative, normalised, outside .git.
        let plain = !p.is_empty()
            && !p.starts_with('/')
            && p.split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
            && p.split('/').next() != Some(".git");
        if !plain {
            return Err(Error::BadFile {
                file: path.clone(),
                line: crate::preset::line_of_key_in(&text, "files", p),
                message: format!(
                    "corrupt lock: {} is not a path ironplate writes (a plain relative path outside .git)",
                    crate::error::printable(p)
                ),
            });
        }
        let hex_ok = f.sha256.len() == 64 && f.sha256.bytes().all(|c| c.is_ascii_hexdigit());
        if !hex_ok {
            return Err(Error::BadFile {
                file: path.clone(),
                line: crate::preset::line_of_key_in(&text, "files", p),
                message: format!("corrupt lock: sha256 of {p} is not 64 hex characters"),
            });
        }
    }
    Ok(Lock {
        path,
        text,
        ironplate_version: parsed.ironplate.version,
        template_version: parsed.ironplate.template_version,
        preset: parsed.ironplate.preset,
        answers: parsed.answers,
        actions: parsed.actions,
        files: parsed.files,
    })
}

/// Rewrites a lock in place after an upgrade: same shape as [`render`], but comments and
/// formatting the owner added around the tables survive.
pub fn update(
    old: &Lock,
    template_version: &str,
    inputs: &Inputs,
    answers: &Answers,
    tree: &RenderedTree,
    unresolved: &std::collections::BTreeSet<String>,
) -> String {
    let mut fresh: DocumentMut = render(template_version, inputs, answers, tree)
        .parse()
        .expect("rendered lock parses");
    if let Some(files) = fresh.get_mut("files").and_then(Item::as_table_mut) {
        for path in unresolved {
            if let Some(entry) = files
                .get_mut(path)
                .and_then(Item::as_value_mut)
                .and_then(toml_edit::Value::as_inline_table_mut)
            {
                entry.insert("unresolved", true.into());
            }
        }
    }
    let Ok(mut doc) = old.text.parse::<DocumentMut>() else {
        return fresh.to_string();
    };
    for (name, item) in fresh.iter() {
        let Some(new_table) = item.as_table() else {
            continue;
        };
        match doc.get_mut(name).and_then(Item::as_table_mut) {
            Some(table) => {
                let stale: Vec<String> = table
                    .iter()
                    .map(|(k, _)| k.to_string())
                    .filter(|k| !new_table.contains_key(k))
                    .collect();
                for k in stale {
                    table.remove(&k);
                }
                for (k, v) in new_table.iter() {
                    match table.get_mut(k) {
                        Some(existing) if existing.is_value() && v.is_value() => {
                            let decor = existing.as_value().map(|x| x.decor().clone());
                            *existing = v.clone();
                            if let (Some(decor), Some(value)) = (decor, existing.as_value_mut()) {
                                *value.decor_mut() = decor;
                            }
                        }
                        _ => {
                            table.insert(k, v.clone());
                        }
                    }
                }
            }
            None => {
                doc.insert(name, item.clone());
            }
        }
    }
    doc.to_string()
}
