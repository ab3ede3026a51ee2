//! The template set embedded in the binary: `templates/template.toml` (version, per-file rules,
//! default action pins), `templates/questions.toml` and the repo tree under `templates/repo/`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

use crate::condition::Condition;
use crate::error::{Error, Result};
use crate::questions::{Question, QuestionFile};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
/// Every released template version: `VERSION.toml` (path → blob) and `blobs/<sha256>`.
static ARCHIVE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/archive");

/// How `upgrade` treats a file (DESIGN.md, "File ownership classes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ownership {
    Merged,
    Seeded,
    Superset,
    Managed,
}

impl Ownership {
    pub fn as_str(self) -> &'static str {
        match self {
            Ownership::Merged => "merged",
            Ownership::Seeded => "seeded",
            Ownership::Superset => "superset",
            Ownership::Managed => "managed",
        }
    }
}

/// A GitHub Action pin: full commit SHA plus the release it is, for the `# vX` comment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionPin {
    /// Full 40-hex commit SHA; absent when no verified SHA is known (rendered as the tag).
    pub sha: Option<String>,
    pub version: String,
}

impl ActionPin {
    /// The text after `uses: `, e.g. `actions/checkout@df4c... # v6`.
    pub fn uses(&self, action: &str) -> String {
        match &self.sha {
            Some(sha) => format!("{action}@{sha} # {}", self.version),
            None => format!("{action}@{}", self.version),
        }
    }

    pub fn check(&self, action: &str) -> Result<(), String> {
        let name_ok = action.contains('/')
            && action.split('/').all(|part| {
                part.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            });
        if !name_ok {
            return Err(format!(
                "{action:?} is not a GitHub Action name such as actions/checkout"
            ));
        }
        if let Some(sha) = &self.sha
            && (sha.len() != 40 || !sha.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
        {
            return Err(format!(
                "pin for {action}: sha must be a full 40-character lower-case commit SHA, got {sha:?}"
            ));
        }
        let version_ok = self
            .version
            .starts_with(|c: char| c.is_ascii_alphanumeric())
            && self
                .version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
        if !version_ok {
            return Err(format!(
                "pin for {action}: version {:?} must be a release tag such as v6 or 0.35.0 (letters, digits, . _ + -)",
                self.version
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    version: String,
    #[serde(default)]
    actions: BTreeMap<String, ActionPin>,
    #[serde(default)]
    files: BTreeMap<String, FileRuleFile>,
    /// Template paths this version renamed: old path → new path (both unrendered).
    #[serde(default)]
    renames: BTreeMap<String, String>,
    /// What an owner must do by hand for this version's changes.
    #[serde(default)]
    notes: Vec<NoteFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteFile {
    when: Option<String>,
    text: String,
}

/// A step this version asks of the owner (printed by `upgrade` when it crosses the version),
/// for the repos whose answers meet `when`.
#[derive(Debug, Clone)]
pub struct UpgradeNote {
    pub when: Option<Condition>,
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRuleFile {
    ownership: Option<Ownership>,
    when: Option<String>,
    #[serde(default)]
    executable: bool,
}

#[derive(Debug, Clone)]
pub struct FileRule {
    pub ownership: Ownership,
    pub when: Option<Condition>,
    pub executable: bool,
}

impl Default for FileRule {
    fn default() -> Self {
        FileRule {
            ownership: Ownership::Merged,
            when: None,
            executable: false,
        }
    }
}

/// One template file: its path in the output tree (may hold `{key}` placeholders) and source.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// Output path pattern, e.g. `k8s/clusters/{cluster_name}/kustomization.yaml`.
    pub path: String,
    /// Whether the contents go through tera (source ended in `.tera`).
    pub templated: bool,
    pub source: &'static str,
}

#[derive(Debug)]
pub struct TemplateSet {
    pub version: String,
    pub questions: Vec<Question>,
    pub question_conditions: BTreeMap<String, Condition>,
    pub actions: BTreeMap<String, ActionPin>,
    pub rules: BTreeMap<String, FileRule>,
    /// Renames this version declares: old template path → new template path.
    pub renames: BTreeMap<String, String>,
    /// Steps this version asks of owners who upgrade to it.
    pub notes: Vec<UpgradeNote>,
    pub files: Vec<TemplateFile>,
}

fn embedded_error(file: &str, message: impl Into<String>) -> Error {
    Error::BadFile {
        file: PathBuf::from("templates").join(file),
        line: None,
        message: message.into(),
    }
}

/// The files of one template version: path under `templates/` → text.
type Source = BTreeMap<String, &'static str>;

fn current_source() -> Result<Source> {
    fn walk(dir: &'static Dir<'static>, out: &mut Source) -> Result<()> {
        for file in dir.files() {
            let path = file.path().to_string_lossy().replace('\\', "/");
            let text = file
                .contents_utf8()
                .ok_or_else(|| embedded_error(&path, "template is not UTF-8"))?;
            out.insert(path, text);
        }
        for sub in dir.dirs() {
            walk(sub, out)?;
        }
        Ok(())
    }
    let mut out = Source::new();
    walk(&TEMPLATES, &mut out)?;
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchiveManifest {
    files: BTreeMap<String, String>,
}

fn archived_source(version: &str) -> Result<Option<Source>> {
    let Some(manifest) = ARCHIVE.get_file(format!("{version}.toml")) else {
        return Ok(None);
    };
    let archive_error = |message: String| Error::BadFile {
        file: PathBuf::from("archive").join(format!("{version}.toml")),
        line: None,
        message,
    };
    let manifest: ArchiveManifest = toml::from_str(manifest.contents_utf8().unwrap_or_default())
        .map_err(|e| archive_error(e.to_string()))?;
    let mut out = Source::new();
    for (path, blob) in manifest.files {
        let text = ARCHIVE
            .get_file(format!("blobs/{blob}"))
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| archive_error(format!("blob {blob} of {path} is missing")))?;
        out.insert(path, text);
    }
    Ok(Some(out))
}

/// Versions in the archive, by their manifest names.
fn archived_versions() -> Vec<String> {
    ARCHIVE
        .files()
        .filter_map(|f| {
            let p = f.path();
            if p.extension()? != "toml" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect()
}

/// A release version's numbers (`0.10.0` -> [0, 10, 0], ordering 0.10.0 after 0.9.0); a
/// pre-release or build suffix is ignored. `None` for what no release could be called
/// (`v1`, `00.1.0`, two numbers).
pub fn release_version(v: &str) -> Option<Vec<u64>> {
    let core = v.split(['-', '+']).next()?;
    let parts: Vec<u64> = core
        .split('.')
        .map(|p| p.parse().ok().filter(|_| p == "0" || !p.starts_with('0')))
        .collect::<Option<_>>()?;
    (parts.len() == 3).then_some(parts)
}

impl TemplateSet {
    /// The versions embedded, oldest first.
    pub fn versions() -> Result<Vec<String>> {
        let mut versions = archived_versions();
        versions.push(Self::current()?.version);
        versions.sort_by_key(|v| release_version(v));
        versions.dedup();
        Ok(versions)
    }

    pub fn current() -> Result<TemplateSet> {
        Self::load(current_source()?)
    }

    /// The current templates, or an archived version (`None`: current).
    pub fn by_version(version: Option<&str>) -> Result<TemplateSet> {
        let current = Self::current()?;
        match version {
            None => Ok(current),
            Some(v) if v == current.version => Ok(current),
            Some(v) => match archived_source(v)? {
                Some(source) => Self::load(source),
                None => Err(Error::UnknownTemplateVersion {
                    requested: v.to_string(),
                    available: Self::versions()?.join(", "),
                }),
            },
        }
    }

    fn load(source: Source) -> Result<TemplateSet> {
        let text = |path: &str| {
            source
                .get(path)
                .copied()
                .ok_or_else(|| embedded_error(path, "missing from the template set"))
        };
        let manifest: ManifestFile = toml::from_str(text("template.toml")?)
            .map_err(|e| embedded_error("template.toml", e.to_string()))?;
        let questions: QuestionFile = toml::from_str(text("questions.toml")?)
            .map_err(|e| embedded_error("questions.toml", e.to_string()))?;
        let mut question_conditions = BTreeMap::new();
        for q in &questions.questions {
            if let Some(when) = &q.when {
                let cond = Condition::parse(when).map_err(|e| {
                    embedded_error("questions.toml", format!("`when` of {}: {e}", q.key))
                })?;
                question_conditions.insert(q.key.clone(), cond);
            }
        }
        let mut rules = BTreeMap::new();
        for (path, rule) in manifest.files {
            let when = rule
                .when
                .as_deref()
                .map(Condition::parse)
                .transpose()
                .map_err(|e| embedded_error("template.toml", format!("`when` of {path}: {e}")))?;
            rules.insert(
                path,
                FileRule {
                    ownership: rule.ownership.unwrap_or(Ownership::Merged),
                    when,
                    executable: rule.executable,
                },
            );
        }
        let files: Vec<TemplateFile> = source
            .iter()
            .filter_map(|(path, text)| {
                let rel = path.strip_prefix("repo/")?;
                let (out, templated) = match rel.strip_suffix(".tera") {
                    Some(p) => (p.to_string(), true),
                    None => (rel.to_string(), false),
                };
                Some(TemplateFile {
                    path: out,
                    templated,
                    source: text,
                })
            })
            .collect();
        let notes = manifest
            .notes
            .into_iter()
            .map(|n| {
                let when = n
                    .when
                    .as_deref()
                    .map(Condition::parse)
                    .transpose()
                    .map_err(|e| {
                        embedded_error("template.toml", format!("`when` of a note: {e}"))
                    })?;
                Ok(UpgradeNote { when, text: n.text })
            })
            .collect::<Result<Vec<_>>>()?;
        for path in rules.keys().chain(manifest.renames.values()) {
            if !files.iter().any(|f| &f.path == path) {
                return Err(embedded_error(
                    "template.toml",
                    format!("names {path}, which is not in templates/repo"),
                ));
            }
        }
        Ok(TemplateSet {
            version: manifest.version,
            questions: questions.questions,
            question_conditions,
            actions: manifest.actions,
            rules,
            renames: manifest.renames,
            notes,
            files,
        })
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    pub fn rule(&self, path: &str) -> FileRule {
        self.rules.get(path).cloned().unwrap_or_default()
    }
}
