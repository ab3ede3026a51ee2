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
        if let Some(sha) = &self.sha
            && (sha.len() != 40 || !sha.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
        {
            return Err(format!(
                "pin for {action}: sha must be a full 40-character lower-case commit SHA, got {sha:?}"
            ));
        }
        if self.version.is_empty() || self.version.contains(char::is_whitespace) {
            return Err(format!(
                "pin for {action}: version must be a tag such as v6"
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
    pub files: Vec<TemplateFile>,
}

fn embedded_error(file: &str, message: impl Into<String>) -> Error {
    Error::BadFile {
        file: PathBuf::from("templates").join(file),
        line: None,
        message: message.into(),
    }
}

fn embedded_text(dir: &'static Dir<'static>, path: &str) -> Result<&'static str> {
    dir.get_file(path)
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| embedded_error(path, "missing or not UTF-8 in the embedded templates"))
}

impl TemplateSet {
    /// The versions embedded, oldest first.
    pub fn versions() -> Result<Vec<String>> {
        Ok(vec![Self::current()?.version])
    }

    pub fn current() -> Result<TemplateSet> {
        Self::load(&TEMPLATES)
    }

    pub fn by_version(version: Option<&str>) -> Result<TemplateSet> {
        let set = Self::current()?;
        match version {
            Some(v) if v != set.version => Err(Error::UnknownTemplateVersion {
                requested: v.to_string(),
                available: Self::versions()?.join(", "),
            }),
            _ => Ok(set),
        }
    }

    fn load(dir: &'static Dir<'static>) -> Result<TemplateSet> {
        let manifest: ManifestFile = toml::from_str(embedded_text(dir, "template.toml")?)
            .map_err(|e| embedded_error("template.toml", e.to_string()))?;
        let questions: QuestionFile = toml::from_str(embedded_text(dir, "questions.toml")?)
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
        let repo = dir
            .get_dir("repo")
            .ok_or_else(|| embedded_error("repo", "missing template tree"))?;
        let mut files = Vec::new();
        collect_files(repo, &mut files)?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for path in rules.keys() {
            if !files.iter().any(|f| &f.path == path) {
                return Err(embedded_error(
                    "template.toml",
                    format!("[files] names {path}, which is not in templates/repo"),
                ));
            }
        }
        Ok(TemplateSet {
            version: manifest.version,
            questions: questions.questions,
            question_conditions,
            actions: manifest.actions,
            rules,
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

fn collect_files(dir: &'static Dir<'static>, out: &mut Vec<TemplateFile>) -> Result<()> {
    for file in dir.files() {
        // Paths inside the embedded dir are relative to `templates/`; strip the `repo/` prefix.
        let full = file.path().to_string_lossy().replace('\\', "/");
        let rel = full.strip_prefix("repo/").unwrap_or(&full).to_string();
        let source = file
            .contents_utf8()
            .ok_or_else(|| embedded_error(&full, "template is not UTF-8"))?;
        let (path, templated) = match rel.strip_suffix(".tera") {
            Some(p) => (p.to_string(), true),
            None => (rel, false),
        };
        out.push(TemplateFile {
            path,
            templated,
            source,
        });
    }
    for sub in dir.dirs() {
        collect_files(sub, out)?;
    }
    Ok(())
}
