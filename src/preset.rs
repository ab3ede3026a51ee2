//! Presets: TOML files that pre-answer questions and carry an organisation's policy.
//!
//! Found, in order, as a path (anything with a `/` or ending in `.toml`), in
//! `$XDG_CONFIG_HOME/ironplate/presets/NAME.toml` (or `~/.config/...`), then built in.
//! `extends` chains are resolved child-over-parent; cycles are an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::templates::{ActionPin, Ownership, TemplateSet};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/presets");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetFile {
    description: Option<String>,
    extends: Option<String>,
    #[serde(default)]
    locked: Vec<String>,
    #[serde(default)]
    answers: toml::Table,
    #[serde(default)]
    pins: Pins,
    #[serde(default)]
    ownership: BTreeMap<String, Ownership>,
}

// No deny_unknown_fields: it does not combine with `flatten`; keys are checked in validate_file.
#[derive(Debug, Default, Deserialize)]
struct Pins {
    #[serde(default)]
    actions: BTreeMap<String, ActionPin>,
    #[serde(flatten)]
    values: toml::Table,
}

/// Where a preset came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Builtin,
    User,
    File,
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Builtin => "builtin",
            Source::User => "user",
            Source::File => "file",
        }
    }
}

/// A preset with its `extends` chain applied.
#[derive(Debug, Clone, Serialize)]
pub struct Preset {
    pub name: String,
    pub source: Source,
    /// File the preset was read from (`presets/NAME.toml` for built-ins).
    pub path: String,
    pub description: String,
    /// Preset names from the root ancestor down to this one.
    pub chain: Vec<String>,
    /// Answer values (pins included), child over parent.
    pub answers: BTreeMap<String, toml::Value>,
    /// Keys the organisation locked, with the preset that locked them.
    pub locked: BTreeMap<String, String>,
    pub actions: BTreeMap<String, ActionPin>,
    pub ownership: BTreeMap<String, Ownership>,
}

/// A preset file's text and where it was found.
struct Located {
    name: String,
    source: Source,
    path: PathBuf,
    text: String,
}

fn user_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("ironplate").join("presets"))
}

fn looks_like_path(spec: &str) -> bool {
    spec.contains('/') || spec.contains('\\') || spec.ends_with(".toml")
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io("cannot read preset", path, e))
}

fn locate(spec: &str, relative_to: Option<&Path>) -> Result<Located> {
    if looks_like_path(spec) {
        let path = match relative_to {
            Some(dir) if Path::new(spec).is_relative() => dir.join(spec),
            _ => PathBuf::from(spec),
        };
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| spec.to_string());
        let text = read(&path)?;
        return Ok(Located {
            name,
            source: Source::File,
            path,
            text,
        });
    }
    if let Some(dir) = user_dir() {
        let path = dir.join(format!("{spec}.toml"));
        if path.is_file() {
            let text = read(&path)?;
            return Ok(Located {
                name: spec.to_string(),
                source: Source::User,
                path,
                text,
            });
        }
    }
    if let Some(file) = BUILTIN.get_file(format!("{spec}.toml")) {
        return Ok(Located {
            name: spec.to_string(),
            source: Source::Builtin,
            path: PathBuf::from("presets").join(format!("{spec}.toml")),
            text: file.contents_utf8().unwrap_or_default().to_string(),
        });
    }
    Err(Error::PresetNotFound {
        name: spec.to_string(),
        available: list_names().join(", "),
    })
}

/// Names of every preset that can be found by name: user presets shadow built-ins.
fn list_names() -> Vec<String> {
    let mut names: Vec<String> = BUILTIN
        .files()
        .filter_map(|f| {
            let p = f.path();
            if p.extension()? != "toml" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    if let Some(dir) = user_dir()
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml")
                && let Some(stem) = p.file_stem()
            {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The 1-based line where `key` is defined in a TOML text (best effort, for messages).
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let l = line.trim_start();
            let rest = l
                .strip_prefix(key)
                .or_else(|| l.strip_prefix(&format!("\"{key}\"")))
                .or_else(|| l.strip_prefix(&format!("'{key}'")));
            rest.is_some_and(|r| r.trim_start().starts_with('=') || r.starts_with(']'))
                || l.starts_with(&format!("\"{key}\"")) && l.contains(']')
        })
        .map(|i| i + 1)
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn bad(located: &Located, line: Option<usize>, message: impl Into<String>) -> Error {
    Error::BadFile {
        file: located.path.clone(),
        line,
        message: message.into(),
    }
}

/// Loads and resolves a preset by name or path, checking every key against the templates.
pub fn load(spec: &str, templates: &TemplateSet) -> Result<Preset> {
    let mut chain_specs = Vec::new();
    let mut files: Vec<(Located, PresetFile)> = Vec::new();
    let mut spec = spec.to_string();
    let mut relative_to: Option<PathBuf> = None;
    loop {
        let located = locate(&spec, relative_to.as_deref())?;
        let identity = located.path.to_string_lossy().into_owned();
        if chain_specs.contains(&identity) {
            let mut chain: Vec<String> = files.iter().map(|(l, _)| l.name.clone()).collect();
            chain.push(located.name);
            return Err(Error::PresetCycle { chain });
        }
        chain_specs.push(identity);
        let parsed: PresetFile = toml::from_str(&located.text).map_err(|e| {
            let line = e.span().map(|s| line_of_offset(&located.text, s.start));
            bad(&located, line, e.message().trim().to_string())
        })?;
        validate_file(&located, &parsed, templates)?;
        let next = parsed.extends.clone();
        relative_to = match located.source {
            Source::Builtin => None,
            _ => located.path.parent().map(Path::to_path_buf),
        };
        files.push((located, parsed));
        match next {
            Some(parent) => spec = parent,
            None => break,
        }
    }
    let (head, _) = &files[0];
    let mut preset = Preset {
        name: head.name.clone(),
        source: head.source.clone(),
        path: head.path.to_string_lossy().into_owned(),
        description: files[0].1.description.clone().unwrap_or_default(),
        chain: files.iter().rev().map(|(l, _)| l.name.clone()).collect(),
        answers: BTreeMap::new(),
        locked: BTreeMap::new(),
        actions: BTreeMap::new(),
        ownership: BTreeMap::new(),
    };
    // Apply the root ancestor first so each child overrides its parent.
    for (located, file) in files.into_iter().rev() {
        preset
            .answers
            .extend(file.answers.into_iter().chain(file.pins.values));
        preset.actions.extend(file.pins.actions);
        preset.ownership.extend(file.ownership);
        for key in file.locked {
            preset
                .locked
                .entry(key)
                .or_insert_with(|| located.name.clone());
        }
    }
    Ok(preset)
}

fn validate_file(located: &Located, file: &PresetFile, templates: &TemplateSet) -> Result<()> {
    let check_key = |key: &str, section: &str| -> Result<()> {
        if templates.question(key).is_none() {
            return Err(bad(
                located,
                line_of_key(&located.text, key),
                format!(
                    "unknown question `{key}` in {section}{}; known keys: {}",
                    did_you_mean(key, templates),
                    known_keys(templates)
                ),
            ));
        }
        Ok(())
    };
    for (key, value) in &file.answers {
        check_key(key, "[answers]")?;
        let question = templates.question(key).expect("checked above");
        question
            .check_value(value)
            .map_err(|e| bad(located, line_of_key(&located.text, key), e.to_string()))?;
    }
    for (key, value) in &file.pins.values {
        check_key(key, "[pins]")?;
        let question = templates.question(key).expect("checked above");
        if !question.pin {
            return Err(bad(
                located,
                line_of_key(&located.text, key),
                format!("`{key}` is not a pin; put it under [answers]"),
            ));
        }
        question
            .check_value(value)
            .map_err(|e| bad(located, line_of_key(&located.text, key), e.to_string()))?;
    }
    for key in &file.locked {
        check_key(key, "locked")?;
    }
    for (action, pin) in &file.pins.actions {
        pin.check(action)
            .map_err(|e| bad(located, line_of_key(&located.text, action), e))?;
    }
    for path in file.ownership.keys() {
        if !templates.files.iter().any(|f| &f.path == path) {
            return Err(bad(
                located,
                line_of_key(&located.text, path),
                format!("[ownership] names {path:?}, which is not a template file"),
            ));
        }
    }
    Ok(())
}

pub fn known_keys(templates: &TemplateSet) -> String {
    templates
        .questions
        .iter()
        .map(|q| q.key.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` (did you mean `x`?)` for a near miss, else empty.
pub fn did_you_mean(key: &str, templates: &TemplateSet) -> String {
    templates
        .questions
        .iter()
        .map(|q| (edit_distance(key, &q.key), &q.key))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Summary of one preset for `presets list`.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub name: String,
    pub description: String,
    pub source: &'static str,
    pub path: String,
    pub extends: Option<String>,
}

/// Every preset that can be found by name, each resolved (a broken one is an error).
pub fn list(templates: &TemplateSet) -> Result<Vec<Listed>> {
    list_names()
        .into_iter()
        .map(|name| {
            let preset = load(&name, templates)?;
            Ok(Listed {
                extends: preset.chain.iter().rev().nth(1).cloned(),
                name: preset.name,
                description: preset.description,
                source: preset.source.as_str(),
                path: preset.path,
            })
        })
        .collect()
}

impl Preset {
    /// A preset with no answers or policy, for re-rendering from a lock alone.
    pub fn empty(name: &str) -> Preset {
        Preset {
            name: name.to_string(),
            source: Source::File,
            path: String::new(),
            description: String::new(),
            chain: vec![name.to_string()],
            answers: BTreeMap::new(),
            locked: BTreeMap::new(),
            actions: BTreeMap::new(),
            ownership: BTreeMap::new(),
        }
    }
}
