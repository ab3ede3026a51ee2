//! Reading a repo once for the audit: the file list (as git would see it: `.gitignore`
//! respected, `.git` skipped, symlinks not followed), every YAML document with its file and
//! line, and the text of every small text file (for secret scanning and docs).

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::error::{Error, Result};
use crate::yaml::{self, Node};

/// Text files larger than this are not read (a manifest this size is not hand-written).
pub const MAX_TEXT_BYTES: u64 = 2 * 1024 * 1024;

/// A place in the repo a finding points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Evidence {
    pub fn at(path: &str, line: usize, message: impl Into<String>) -> Evidence {
        Evidence {
            path: path.to_string(),
            line: Some(line).filter(|l| *l > 0),
            message: message.into(),
        }
    }

    pub fn file(path: &str, message: impl Into<String>) -> Evidence {
        Evidence {
            path: path.to_string(),
            line: None,
            message: message.into(),
        }
    }
}

/// One YAML document of one file.
#[derive(Debug)]
pub struct Doc {
    pub path: String,
    pub node: Node,
    /// The `namespace:` of a kustomization in the same folder, which kustomize applies.
    pub kustomize_namespace: Option<String>,
    /// Listed as a patch by a kustomization: part of an object, not a whole one.
    pub is_patch: bool,
}

impl Doc {
    pub fn kind(&self) -> &str {
        self.node.str_at("kind").unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.node.str_at("apiVersion").unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.node.str_at("metadata.name").unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.node
            .str_at("metadata.namespace")
            .or(self.kustomize_namespace.as_deref())
            .unwrap_or("default")
    }

    pub fn line(&self) -> usize {
        self.node.line()
    }

    /// `accept-risk.ironplate.dev/<ID>: <reason>` on the object: the owner accepted that
    /// check's finding for this object, with a reason (an empty reason accepts nothing).
    pub fn accepted(&self, check: &str) -> Option<&str> {
        self.node
            .at("metadata.annotations")?
            .get(&format!("accept-risk.ironplate.dev/{check}"))?
            .str()
            .map(str::trim)
            .filter(|r| !r.is_empty())
    }

    /// Where a finding about this document points: `node`'s line, or the document's.
    pub fn evidence(&self, node: Option<&Node>, message: impl Into<String>) -> Evidence {
        Evidence::at(
            &self.path,
            node.map_or(self.line(), Node::line),
            message.into(),
        )
    }
}

#[derive(Debug)]
pub struct Repo {
    pub root: PathBuf,
    /// Every file git would see, relative with `/`, sorted.
    pub files: Vec<String>,
    pub docs: Vec<Doc>,
    /// Text of every readable text file up to [`MAX_TEXT_BYTES`], by path.
    pub texts: BTreeMap<String, String>,
    /// Files that could not be judged: unreadable, too large, binary YAML, invalid YAML.
    pub problems: Vec<Evidence>,
    root_ignore: Option<Gitignore>,
}

pub fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

impl Repo {
    pub fn read(root: &Path) -> Result<Repo> {
        crate::fsx::require_folder(root)?;
        fs::read_dir(root).map_err(|e| Error::io("cannot read", root, e))?;
        let mut repo = Repo {
            root: root.to_path_buf(),
            files: Vec::new(),
            docs: Vec::new(),
            texts: BTreeMap::new(),
            problems: Vec::new(),
            root_ignore: None,
        };
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .follow_links(false)
            .git_global(false)
            .git_exclude(false)
            .require_git(false)
            .parents(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    // A folder that cannot be listed: say so, judge the rest.
                    let path = err_path(&err, root);
                    repo.problems
                        .push(Evidence::file(&path, format!("not read: {err}")));
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            let Some(rel) = rel.to_str().map(|r| r.replace('\\', "/")) else {
                repo.problems.push(Evidence::file(
                    &rel.to_string_lossy(),
                    "not read: the file name is not UTF-8",
                ));
                continue;
            };
            repo.files.push(rel);
        }
        repo.files.sort();
        if repo.exists(".gitignore") {
            let mut builder = GitignoreBuilder::new(root);
            builder.add(root.join(".gitignore"));
            repo.root_ignore = builder.build().ok();
        }
        for path in repo.files.clone() {
            repo.load(&path);
        }
        repo.mark_kustomize_facts();
        Ok(repo)
    }

    fn load(&mut self, path: &str) {
        let full = self.root.join(path);
        let text = match read_text(&full) {
            Ok(Some(text)) => text,
            Ok(None) => {
                if is_yaml(path) {
                    self.problems.push(Evidence::file(
                        path,
                        "not parsed: binary content in a YAML file",
                    ));
                }
                return;
            }
            Err(reason) => {
                self.problems.push(Evidence::file(path, reason));
                return;
            }
        };
        if is_yaml(path) {
            match yaml::parse(&text) {
                Ok(nodes) => self.docs.extend(
                    nodes
                        .into_iter()
                        .filter(|n| !matches!(n, Node::Null { .. }))
                        .map(|node| Doc {
                            path: path.to_string(),
                            node,
                            kustomize_namespace: None,
                            is_patch: false,
                        }),
                ),
                Err(err) => self.problems.push(Evidence::at(
                    path,
                    err.line,
                    format!("invalid YAML: {}", err.message),
                )),
            }
        }
        self.texts.insert(path.to_string(), text);
    }

    /// Kustomizations set namespaces and name patches: both change how a document is judged.
    fn mark_kustomize_facts(&mut self) {
        let mut namespaces: BTreeMap<String, String> = BTreeMap::new();
        let mut patches: Vec<String> = Vec::new();
        for doc in &self.docs {
            if !is_kustomization_file(&doc.path)
                || doc.kind() == "Kustomization" && doc.api_version().contains("toolkit.fluxcd.io")
            {
                continue;
            }
            let dir = parent(&doc.path);
            if let Some(ns) = doc.node.str_at("namespace") {
                namespaces.insert(dir.to_string(), ns.to_string());
            }
            for key in ["patches", "patchesJson6902", "patchesStrategicMerge"] {
                for item in doc.node.get(key).map(Node::items).unwrap_or_default() {
                    if let Some(p) = item.str().or_else(|| item.str_at("path")) {
                        patches.push(join(dir, p));
                    }
                }
            }
        }
        for doc in &mut self.docs {
            doc.kustomize_namespace = namespaces.get(parent(&doc.path)).cloned();
            doc.is_patch = patches.contains(&doc.path);
        }
    }

    pub fn exists(&self, path: &str) -> bool {
        self.files
            .binary_search_by(|f| f.as_str().cmp(path))
            .is_ok()
    }

    /// The first of `candidates` that exists.
    pub fn first_of<'a>(&self, candidates: &[&'a str]) -> Option<&'a str> {
        candidates.iter().copied().find(|c| self.exists(c))
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        self.texts.get(path).map(String::as_str)
    }

    /// Whether git would ignore `path` (a file path relative to the root) per the root
    /// `.gitignore` and any `.gitignore` in a folder on its way.
    pub fn is_ignored(&self, path: &str) -> bool {
        let mut matchers: Vec<Gitignore> = self.root_ignore.iter().cloned().collect();
        let mut dir = parent(path);
        while !dir.is_empty() {
            let file = format!("{dir}/.gitignore");
            if self.exists(&file) {
                let mut builder = GitignoreBuilder::new(self.root.join(dir));
                builder.add(self.root.join(&file));
                if let Ok(m) = builder.build() {
                    matchers.push(m);
                }
            }
            dir = parent(dir);
        }
        // Deepest .gitignore decides first, as in git.
        matchers.iter().rev().any(|m| {
            m.matched_path_or_any_parents(self.root.join(path), false)
                .is_ignore()
        })
    }

    /// Documents of workflow files (`.github/workflows/*.y?ml`).
    pub fn workflows(&self) -> impl Iterator<Item = &Doc> {
        self.docs
            .iter()
            .filter(|d| d.path.starts_with(".github/workflows/") && !d.path[18..].contains('/'))
    }

    pub fn objects(&self) -> impl Iterator<Item = &Doc> {
        self.docs
            .iter()
            .filter(|d| !d.is_patch && !d.kind().is_empty() && !d.api_version().is_empty())
    }
}

/// Reads a file as UTF-8 text: Ok(None) when binary, Err(reason) when it cannot be judged.
fn read_text(path: &Path) -> std::result::Result<Option<String>, String> {
    let file = fs::File::open(path).map_err(|e| format!("not read: {e}"))?;
    let len = file.metadata().map_err(|e| format!("not read: {e}"))?.len();
    if len > MAX_TEXT_BYTES {
        return Err(format!(
            "not read: {len} bytes, over the audit's limit of {MAX_TEXT_BYTES} for a text file"
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("not read: {e}"))?;
    if bytes.contains(&0) {
        return Ok(None);
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        format!(
            "not read: not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn err_path(err: &ignore::Error, root: &Path) -> String {
    let mut current = err;
    loop {
        match current {
            ignore::Error::WithPath { path, .. } => {
                return path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .into_owned();
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                current = err
            }
            _ => return ".".into(),
        }
    }
}

pub fn is_kustomization_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// The folder part of a `/`-separated path ("" at the root).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// `dir` joined with a relative path, `./` and `../` resolved lexically.
pub fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}
