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
    crate::fsx::read_input(path, "cannot read preset")
}

/// Finds a preset. `skip_user` passes over the user folder: a user preset that extends its own
/// name (`default.toml` with `extends = "default"`) means the built-in it shadows.
fn locate(spec: &str, relative_to: Option<&Path>, skip_user: bool) -> Result<Located> {
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
    if let Some(dir) = user_dir().filter(|_| !skip_user) {
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
            // Regular files (through symlinks) with UTF-8 names only: what `locate` can find.
            if p.extension().is_some_and(|x| x == "toml")
                && p.is_file()
                && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
            {
                names.push(stem.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The 1-based line where `key` is set at the top level of a TOML text (best effort, for
/// messages).
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    line_of_key_in(text, "", key)
}

/// The 1-based line where `key` is set inside `[section]` ("" for the top level).
pub fn line_of_key_in(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    let spellings = [key.to_string(), format!("\"{key}\""), format!("'{key}'")];
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_start();
        if let Some(header) = l.strip_prefix('[') {
            let name = header
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("");
            current = name.trim().to_string();
            continue;
        }
        if current != section {
            continue;
        }
        let rest = spellings.iter().find_map(|k| l.strip_prefix(k.as_str()));
        if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
            return Some(i + 1);
        }
    }
    None
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
    let mut skip_user = false;
    loop {
        let located = locate(&spec, relative_to.as_deref(), skip_user)?;
        // The same file reached by two spellings (`./a.toml`, `../x/a.toml`) is one preset.
        let identity = match located.source {
            Source::Builtin => format!("builtin:{}", located.name),
            _ => std::fs::canonicalize(&located.path)
                .unwrap_or_else(|_| located.path.clone())
                .to_string_lossy()
                .into_owned(),
        };
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
        skip_user =
            located.source == Source::User && next.as_deref() == Some(located.name.as_str());
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
    // Where a key sits, for the message: its line in its section (answers written as an
    // inline table or dotted keys have none).
    let at = |section: &str, key: &str| line_of_key_in(&located.text, section, key);
    let known =
        |key: &str, line: Option<usize>, section: &str| -> Result<&crate::questions::Question> {
            templates.question(key).ok_or_else(|| {
                bad(
                    located,
                    line,
                    format!(
                        "unknown question `{}` in {section}{}; known keys: {}",
                        crate::error::printable(key),
                        did_you_mean(key, templates),
                        known_keys(templates)
                    ),
                )
            })
        };
    for (key, value) in &file.answers {
        let line = at("answers", key);
        let question = known(key, line, "[answers]")?;
        question
            .check_value(value)
            .map_err(|e| bad(located, line, e.to_string()))?;
    }
    for (key, value) in &file.pins.values {
        let line = at("pins", key);
        let question = known(key, line, "[pins]")?;
        if !question.pin {
            return Err(bad(
                located,
                line,
                format!("`{key}` is not a pin; put it under [answers]"),
            ));
        }
        question
            .check_value(value)
            .map_err(|e| bad(located, line, e.to_string()))?;
    }
    for key in &file.locked {
        known(key, at("", "locked"), "locked")?;
    }
    for (action, pin) in &file.pins.actions {
        pin.check(action)
            .map_err(|e| bad(located, at("pins.actions", action), e))?;
    }
    for path in file.ownership.keys() {
        if !templates.files.iter().any(|f| &f.path == path) {
            return Err(bad(
                located,
                at("ownership", path),
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
        .map(|(_, k)| k.as_str())
        // `replicas` -> `litellm_replicas`: a key that holds what was typed.
        .or_else(|| {
            let typed = key.to_ascii_lowercase();
            let mut holding = templates
                .questions
                .iter()
                .filter(|q| typed.len() >= 3 && q.key.contains(&typed));
            match (holding.next(), holding.next()) {
                (Some(q), None) => Some(q.key.as_str()),
                _ => None,
            }
        })
        .map(|k| format!(" (did you mean `{k}`?)"))
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
    /// Why the preset cannot be used, when it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every preset that can be found by name, each resolved; a broken one is listed with its
/// error rather than hiding the others.
pub fn list(templates: &TemplateSet) -> Vec<Listed> {
    list_names()
        .into_iter()
        .map(|name| match load(&name, templates) {
            Ok(preset) => Listed {
                extends: preset.chain.iter().rev().nth(1).cloned(),
                name: preset.name,
                description: preset.description,
                source: preset.source.as_str(),
                path: preset.path,
                error: None,
            },
            Err(e) => Listed {
                name,
                description: String::new(),
                source: "user",
                path: String::new(),
                extends: None,
                error: Some(e.to_string()),
            },
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
