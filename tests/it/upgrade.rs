//! `ironplate upgrade` on real repos made with the archived 0.1.0 templates, in real git.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{Outcome, Run, git, tree};

/// A repo made with templates 0.1.0 and committed, ready for the owner's edits.
pub struct Old {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
}

impl Old {
    pub fn new(preset: &str) -> Old {
        Old::made_with("0.1.0", &["--preset", preset])
    }

    /// A repo made with the archived templates `version` and `new`'s `args`.
    pub fn made_with(version: &str, args: &[&str]) -> Old {
        let tmp = tempfile::TempDir::new().unwrap();
        let root = tmp.path().join("gateway");
        let mut argv = vec![
            "new",
            root.to_str().unwrap(),
            "--yes",
            "--template-version",
            version,
        ];
        argv.extend_from_slice(args);
        Run::new(&argv).ok();
        git(&root, &["init", "-q"]);
        let old = Old { _tmp: tmp, root };
        old.commit(&format!("made with templates {version}"));
        old
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) -> &Old {
        std::fs::create_dir_all(self.path(rel).parent().unwrap()).unwrap();
        std::fs::write(self.path(rel), text).unwrap();
        self
    }

    /// Replaces exactly one occurrence of `from` in `rel`.
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Old {
        let text = self.read(rel);
        assert_eq!(
            text.matches(from).count(),
            1,
            "{rel}: {from:?} must occur once"
        );
        self.write(rel, &text.replacen(from, to, 1))
    }

    pub fn commit(&self, message: &str) {
        git(&self.root, &["add", "-A"]);
        git(
            &self.root,
            &["commit", "-q", "--allow-empty", "-m", message],
        );
    }

    fn upgrade(&self, extra: &[&str]) -> Outcome {
        let mut args = vec!["upgrade", self.root.to_str().unwrap()];
        args.extend_from_slice(extra);
        Run::new(&args).run()
    }

    /// `upgrade --format json`: (path, action) pairs and the whole report.
    pub fn upgrade_json(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let out = self.upgrade(&args);
        let report: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
        (out.code, report)
    }
}

fn action<'a>(report: &'a serde_json::Value, path: &str) -> &'a str {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in report: {report:#}"))["action"]
        .as_str()
        .unwrap()
}

#[test]
fn disjoint_edits_in_one_manifest_merge_cleanly() {
    let old = Old::new("default");
    old.edit(
        "k8s/apps/litellm-db/postgres.yaml",
        "  replicas: 1\n",
        "  replicas: 2\n",
    );
    old.commit("two replicas");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(
        action(&report, "k8s/apps/litellm-db/postgres.yaml"),
        "merged"
    );
    let pg = old.read("k8s/apps/litellm-db/postgres.yaml");
    assert!(pg.contains("  replicas: 2\n"), "owner's edit kept");
    assert!(
        pg.contains("serviceAccountName: litellm-postgres")
            && pg.contains("            seccompProfile:\n"),
        "template's change applied"
    );
    assert!(!pg.contains("<<<<<<<"));
}

#[test]
fn same_line_changed_on_both_sides_is_a_conflict() {
    let old = Old::new("default");
    let line = "conflict markers and the command exits 1. `ironplate upgrade --check` in CI reports drift.";
    old.edit(
        "README.md",
        line,
        "conflict markers; we run `ironplate upgrade --check` nightly.",
    );
    old.commit("readme");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 1, "conflicts left: never 0");
    assert_eq!(action(&report, "README.md"), "conflict");
    let readme_entry = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "README.md")
        .unwrap();
    assert_eq!(readme_entry["hunks"], 1);
    let readme = old.read("README.md");
    assert!(
        readme.contains("<<<<<<< yours\n")
            && readme.contains("||||||| ironplate templates 0.1.0\n")
    );
    assert!(readme.contains(">>>>>>> ironplate templates 0.3.0\n"));
    assert!(
        readme.contains("we run `ironplate upgrade --check` nightly")
            && readme.contains("run it in a scheduled job")
    );
    // Every other file was still upgraded.
    assert_eq!(action(&report, "k8s/apps/litellm-db/redis.yaml"), "updated");
    assert!(
        old.read("k8s/apps/litellm-db/redis.yaml")
            .contains("serviceAccountName: litellm-redis")
    );
    // The markers are not forgotten once the lock has moved on: until they are resolved,
    // `--check` and `upgrade` exit 1 and write nothing.
    old.commit("upgraded, conflict left");
    let before = tree(&old.root);
    assert_eq!(old.upgrade(&["--check"]).code, 1);
    let again = old.upgrade(&[]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stdout
            .contains("still hold a conflict from an earlier upgrade"),
        "{}",
        again.stdout
    );
    assert!(
        tree(&old.root) == before,
        "nothing written over the markers"
    );
    let resolved = old.read("README.md");
    let start = resolved.find("<<<<<<< yours\n").unwrap();
    let end = resolved
        .find(">>>>>>> ironplate templates 0.3.0\n")
        .unwrap();
    let end = end + ">>>>>>> ironplate templates 0.3.0\n".len();
    let mine = "conflict markers; we run `ironplate upgrade --check` nightly.\n";
    old.write(
        "README.md",
        &format!("{}{mine}{}", &resolved[..start], &resolved[end..]),
    );
    old.commit("resolved");
    assert_eq!(old.upgrade(&["--check"]).code, 0);

    // With --conflict rej the file is left alone and the template's version sits beside it.
    let old = Old::new("default");
    old.edit("README.md", line, "ours");
    old.commit("readme");
    let out = old.upgrade(&["--conflict", "rej"]);
    assert_eq!(out.code, 1);
    assert!(
        old.read("README.md").contains("\nours\n") && !old.read("README.md").contains("<<<<<<<")
    );
    assert!(
        old.read("README.md.ironplate-theirs")
            .contains("run it in a scheduled job")
    );
    // Not forgotten either while that file is there; deleted, the owner's file is the
    // resolution.
    old.commit("upgraded, conflict beside README.md");
    assert_eq!(old.upgrade(&["--check"]).code, 1);
    let again = old.upgrade(&[]);
    assert_eq!(again.code, 1);
    assert!(
        again.stdout.contains("README.md.ironplate-theirs"),
        "{}",
        again.stdout
    );
    std::fs::remove_file(old.path("README.md.ironplate-theirs")).unwrap();
    old.commit("resolved");
    assert_eq!(old.upgrade(&["--check"]).code, 0);
    assert!(old.read("README.md").contains("\nours\n"));
}

#[test]
fn a_file_the_owner_deleted_stays_deleted() {
    let old = Old::new("default");
    std::fs::remove_file(old.path("CONTRIBUTING.md")).unwrap();
    old.commit("no contributing");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(action(&report, "CONTRIBUTING.md"), "kept-deleted");
    let entry = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "CONTRIBUTING.md")
        .unwrap();
    assert!(
        entry["note"]
            .as_str()
            .unwrap()
            .contains("the template changed it")
    );
    assert!(!old.path("CONTRIBUTING.md").exists());
    // And on the next upgrade too.
    old.commit("upgraded");
    assert_eq!(old.upgrade(&["--check"]).code, 0);
}

#[test]
fn template_dropping_an_edited_file_is_a_modify_delete_conflict() {
    let old = Old::new("default");
    old.edit(
        "k8s/apps/litellm-db/serviceaccount.yaml",
        "automountServiceAccountToken: false\n",
        "automountServiceAccountToken: false\n# audited 2026-11\n",
    );
    old.commit("note");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        action(&report, "k8s/apps/litellm-db/serviceaccount.yaml"),
        "modify-delete conflict"
    );
    assert!(
        old.read("k8s/apps/litellm-db/serviceaccount.yaml")
            .contains("# audited 2026-11"),
        "never silently unlinked"
    );
    // Untouched, the same file is simply removed.
    let clean = Old::new("default");
    let (_, report) = clean.upgrade_json(&[]);
    assert_eq!(
        action(&report, "k8s/apps/litellm-db/serviceaccount.yaml"),
        "removed"
    );
    assert!(
        !clean
            .path("k8s/apps/litellm-db/serviceaccount.yaml")
            .exists()
    );
}

#[test]
fn a_renamed_template_file_carries_the_owners_edits() {
    let old = Old::new("default");
    old.edit(
        "k8s/apps/litellm-db/pdb.yaml",
        "# One replica each:",
        "# One replica each (# ok for us):",
    );
    old.commit("comment");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 0);
    let new_path = "k8s/apps/litellm-db/poddisruptionbudgets.yaml";
    assert_eq!(action(&report, new_path), "merged");
    let entry = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == new_path)
        .unwrap();
    assert_eq!(entry["from"], "k8s/apps/litellm-db/pdb.yaml");
    assert!(old.read(new_path).contains("# ok for us"));
    assert!(
        !old.path("k8s/apps/litellm-db/pdb.yaml").exists(),
        "nothing left behind"
    );
    assert!(
        old.read("k8s/apps/litellm-db/kustomization.yaml")
            .contains("- poddisruptionbudgets.yaml")
    );
}

#[test]
fn an_answer_change_moves_the_cluster_folder_with_the_owners_edits() {
    let old = Old::new("default");
    old.edit(
        "k8s/clusters/production/gateway.yaml",
        "  interval: 10m\n",
        "  interval: 5m\n",
    );
    old.commit("faster");
    let (code, report) = old.upgrade_json(&["--set", "cluster_name=staging"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        action(&report, "k8s/clusters/staging/gateway.yaml"),
        "merged"
    );
    assert!(
        old.read("k8s/clusters/staging/gateway.yaml")
            .contains("  interval: 5m\n")
    );
    assert!(
        !old.path("k8s/clusters/production").exists(),
        "old folder gone"
    );
    assert!(
        old.read("README.md")
            .contains("--path=k8s/clusters/staging")
    );
    assert!(
        old.read(".ironplate.toml")
            .contains("cluster_name = \"staging\"")
    );
}

#[test]
fn moving_the_cluster_folder_away_from_flux_system_is_refused() {
    // `flux bootstrap` wrote flux-system/ beside gateway.yaml: moving gateway.yaml alone
    // would make Flux prune the whole gateway.
    let old = Old::new("default");
    old.write(
        "k8s/clusters/production/flux-system/gotk-sync.yaml",
        "kind: Kustomization\n",
    );
    old.commit("bootstrapped");
    let before = tree(&old.root);
    // A dry run and a check say what the real run would do: refuse.
    for mode in ["--dry-run", "--check"] {
        let out = old.upgrade(&["--set", "cluster_name=staging", mode]);
        assert_eq!(out.code, 2, "{mode}: {}", out.stdout);
    }
    let out = old.upgrade(&["--set", "cluster_name=staging"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    for needle in [
        "flux-system/",
        "prune",
        "git mv k8s/clusters/production/flux-system",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert_eq!(tree(&old.root), before, "nothing written");
    // Done as it says, the upgrade goes through.
    std::fs::create_dir_all(old.path("k8s/clusters/staging")).unwrap();
    std::fs::rename(
        old.path("k8s/clusters/production/flux-system"),
        old.path("k8s/clusters/staging/flux-system"),
    )
    .unwrap();
    old.commit("flux-system moved");
    let (code, report) = old.upgrade_json(&["--set", "cluster_name=staging"]);
    assert_eq!(code, 0, "{report:#}");
    assert!(old.path("k8s/clusters/staging/gateway.yaml").exists());
}

#[test]
fn both_adding_the_same_path_keeps_the_owners_file() {
    let old = Old::new("default");
    old.write(".github/pull_request_template.md", "Describe the change.\n");
    old.commit("our PR template");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        action(&report, ".github/pull_request_template.md"),
        "conflict"
    );
    assert_eq!(
        old.read(".github/pull_request_template.md"),
        "Describe the change.\n"
    );
    assert!(
        old.read(".github/pull_request_template.md.ironplate-theirs")
            .contains("## Checklist")
    );
}

#[test]
fn seeded_superset_and_managed_files() {
    let old = Old::new("default");
    old.edit(
        "k8s/apps/litellm/configmap.yaml",
        "      drop_params: true\n",
        "      drop_params: false\n",
    );
    old.edit(".gitignore", ".DS_Store\n", ".DS_Store\nlocal/\n");
    old.edit("LICENSE", "MIT License", "MIT Licence (ours)");
    old.commit("edits");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(
        action(&report, "k8s/apps/litellm/configmap.yaml"),
        "seeded-skip"
    );
    assert!(
        old.read("k8s/apps/litellm/configmap.yaml")
            .contains("drop_params: false")
    );
    assert_eq!(action(&report, ".gitignore"), "superset-merged");
    let ignore = old.read(".gitignore");
    assert!(ignore.contains("local/\n") && ignore.contains(".env\n") && ignore.contains("*.pem\n"));
    assert_eq!(action(&report, "LICENSE"), "managed-restored");
    assert!(old.read("LICENSE").starts_with("MIT License\n"));
    let out = Old::new("default");
    out.edit("LICENSE", "MIT License", "MIT Licence (ours)");
    out.commit("x");
    let dry = out.upgrade(&["--dry-run"]);
    assert!(
        dry.stdout.contains("-MIT Licence (ours)") && dry.stdout.contains("+MIT License"),
        "diff shown:\n{}",
        dry.stdout
    );
}

#[test]
fn an_answer_change_reaches_the_seeded_proxy_config_around_the_owners_edits() {
    let old = Old::made_with("0.3.0", &[]);
    let config = "k8s/apps/litellm/configmap.yaml";
    old.edit(
        config,
        "      master_key: os.environ/PROXY_MASTER_KEY\n",
        "      master_key: os.environ/PROXY_MASTER_KEY\n      alerting: [\"slack\"]\n",
    );
    old.commit("a setting of the owner's");
    // The model list follows the answer; the owner's setting stays.
    let (code, report) = old.upgrade_json(&["--set", "models=mistral/mistral-large"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(action(&report, config), "merged");
    let text = old.read(config);
    assert!(text.contains("model: mistral/mistral-large") && !text.contains("gpt-4o-mini"));
    assert!(text.contains("alerting: [\"slack\"]"));
    // With no answer changed, the file stays the owner's alone.
    old.commit("models");
    assert_eq!(old.upgrade(&["--check"]).code, 0);
    // A model list the owner edited and the answer replaces: a conflict, never a silent pick.
    old.edit(
        config,
        "model: mistral/mistral-large",
        "model: mistral/mistral-small",
    );
    old.commit("the owner's model");
    let (code, report) = old.upgrade_json(&["--set", "models=openai/gpt-4.1"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(action(&report, config), "conflict");
}

#[test]
fn answer_changes_a_running_gateway_cannot_take_are_refused() {
    let old = Old::made_with("0.3.0", &[]);
    let before = tree(&old.root);
    // Flux would prune the old namespace, volumes and all.
    let out = old.upgrade(&["--set", "namespace=gateway"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("deletes namespace litellm"),
        "{}",
        out.stderr
    );
    // Volume claims grow, never shrink.
    let out = old.upgrade(&["--set", "postgres_storage=10Gi", "--check"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("never shrink"), "{}", out.stderr);
    assert!(tree(&old.root) == before, "nothing written");
    assert_eq!(old.upgrade(&["--set", "postgres_storage=40Gi"]).code, 0);
    // Changes that need a step first say so.
    let eso = Old::made_with("0.3.0", &["--set", "secrets_backend=external-secrets"]);
    let (code, report) = eso.upgrade_json(&["--set", "project_name=ai-gw"]);
    assert_eq!(code, 0);
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap()
            .contains("the ExternalSecrets now read ai-gw/kubernetes/"),
        "{report:#}"
    );
}

#[test]
fn binary_crlf_and_executable_files() {
    let old = Old::new("default");
    // Not text: never merged line-wise; both kept.
    std::fs::write(old.path("SECURITY.md"), b"\xff\xfe binary \x00 edit").unwrap();
    // CRLF owner file: merged, stays CRLF.
    let contributing = old.read("CONTRIBUTING.md").replace('\n', "\r\n");
    old.write("CONTRIBUTING.md", &contributing);
    // Executable bit survives an update.
    let redis = old.path("k8s/apps/litellm-db/redis.yaml");
    std::fs::set_permissions(&redis, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    old.commit("odd files");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(action(&report, "SECURITY.md"), "conflict");
    assert_eq!(
        std::fs::read(old.path("SECURITY.md")).unwrap(),
        b"\xff\xfe binary \x00 edit"
    );
    assert!(
        old.read("SECURITY.md.ironplate-theirs")
            .contains("own service account")
    );
    assert_eq!(action(&report, "CONTRIBUTING.md"), "merged");
    let merged = old.read("CONTRIBUTING.md");
    assert!(
        merged.contains("fill in its checklist") && !merged.replace("\r\n", "").contains('\n'),
        "all CRLF"
    );
    assert_eq!(action(&report, "k8s/apps/litellm-db/redis.yaml"), "updated");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&redis).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o755);
    assert!(
        old.read("k8s/apps/litellm-db/redis.yaml")
            .contains("litellm-redis")
    );
}

#[test]
fn a_dirty_tree_is_refused_unless_allowed() {
    let old = Old::new("default");
    old.edit("README.md", "# gateway\n", "# Gateway\n");
    let before = tree(&old.root);
    let out = old.upgrade(&[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("uncommitted changes") && out.stderr.contains("README.md"),
        "{}",
        out.stderr
    );
    assert!(
        tree(&old.root) == before,
        "nothing written, not even git's index"
    );
    let out = old.upgrade(&["--allow-dirty"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(old.read("README.md").starts_with("# Gateway\n"));
}

#[test]
fn dry_run_and_check_write_nothing() {
    let old = Old::new("default");
    let before = tree(&old.root);
    let dry = old.upgrade(&["--dry-run"]);
    assert_eq!(dry.code, 0);
    assert!(
        dry.stdout.contains("would upgrade")
            && dry
                .stdout
                .contains("+++ b/.github/pull_request_template.md")
    );
    assert!(
        !dry.stdout.contains("\x1b["),
        "no colour when not a terminal"
    );
    assert_eq!(
        old.upgrade(&["--check"]).code,
        1,
        "an upgrade would change things"
    );
    assert!(tree(&old.root) == before);
}

#[test]
fn idempotent_and_check_after() {
    let old = Old::new("hetzner-ha");
    assert_eq!(old.upgrade(&["--check"]).code, 1);
    assert_eq!(old.upgrade(&[]).code, 0);
    old.commit("upgraded");
    let after = tree(&old.root);
    assert_eq!(old.upgrade(&["--check"]).code, 0);
    let again = old.upgrade(&[]);
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("up to date"));
    assert!(
        tree(&old.root) == after,
        "the second run is a no-op, the lock included"
    );
}

#[test]
fn an_unedited_repo_upgrades_to_exactly_what_new_writes() {
    let eso = [
        "--set",
        "secrets_backend=external-secrets",
        "--set",
        "sonarcloud=true",
    ];
    let cases: [(&str, &[&str]); 5] = [
        ("0.1.0", &["--preset", "default"]),
        ("0.1.0", &["--preset", "hetzner-ha"]),
        ("0.1.0", &["--preset", "example-org"]),
        // 0.3.0 changed how the ExternalSecrets read the secret manager.
        ("0.1.0", &eso),
        ("0.2.0", &eso),
    ];
    for (version, args) in cases {
        let preset = format!("{version} {args:?}");
        let old = Old::made_with(version, args);
        assert_eq!(old.upgrade(&[]).code, 0, "{preset}");
        let fresh_tmp = tempfile::TempDir::new().unwrap();
        let fresh = fresh_tmp.path().join("gateway");
        let mut argv = vec!["new", fresh.to_str().unwrap(), "--yes"];
        argv.extend_from_slice(args);
        Run::new(&argv).ok();
        let mut upgraded = tree(&old.root);
        upgraded.retain(|p, _| !p.starts_with(".git/"));
        let mut made = tree(&fresh);
        // The lock aside: it records the same, but keeps its own layout.
        let lock_a: toml::Table = toml::from_str(
            &String::from_utf8(upgraded.remove(".ironplate.toml").unwrap()).unwrap(),
        )
        .unwrap();
        let lock_b: toml::Table =
            toml::from_str(&String::from_utf8(made.remove(".ironplate.toml").unwrap()).unwrap())
                .unwrap();
        assert_eq!(
            upgraded.keys().collect::<Vec<_>>(),
            made.keys().collect::<Vec<_>>(),
            "{preset}"
        );
        let differing: Vec<&String> = upgraded
            .iter()
            .filter(|(p, b)| made.get(*p) != Some(b))
            .map(|(p, _)| p)
            .collect();
        assert!(
            differing.is_empty(),
            "{preset}: contents differ: {differing:?}"
        );
        assert_eq!(lock_a, lock_b, "{preset}");
    }
}

#[test]
fn steps_a_crossed_version_asks_of_the_owner_are_printed_for_the_repos_they_concern() {
    let eso = ["--set", "secrets_backend=external-secrets"];
    let old = Old::made_with("0.2.0", &eso);
    let (code, report) = old.upgrade_json(&["--dry-run"]);
    assert_eq!(code, 0);
    let notes = report["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{report}");
    let note = notes[0].as_str().unwrap();
    assert!(
        note.starts_with("templates 0.3.0: ")
            && note.contains(
                "create gateway/kubernetes/litellm-db-secret, gateway/kubernetes/litellm-master-key"
            ),
        "{note}"
    );
    let out = old.upgrade(&[]);
    assert!(
        out.stdout.contains("before you merge: templates 0.3.0: "),
        "{}",
        out.stdout
    );
    // Once crossed, never again; and a repo the change does not concern is not told.
    assert_eq!(
        old.upgrade_json(&["--dry-run"]).1["notes"],
        serde_json::json!([])
    );
    let manual = Old::made_with("0.2.0", &[]);
    assert_eq!(manual.upgrade_json(&[]).1["notes"], serde_json::json!([]));
}

#[test]
fn symlinks_leading_out_are_refused() {
    let old = Old::new("default");
    let outside = old._tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("redis.yaml"), "outside\n").unwrap();
    std::fs::remove_file(old.path("k8s/apps/litellm-db/redis.yaml")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("redis.yaml"),
        old.path("k8s/apps/litellm-db/redis.yaml"),
    )
    .unwrap();
    old.commit("symlink");
    let before = tree(&old.root);
    let out = old.upgrade(&[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("symlink") && out.stderr.contains("redis.yaml"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("redis.yaml")).unwrap(),
        "outside\n"
    );
    assert!(tree(&old.root) == before, "nothing written");
}

#[test]
fn missing_or_corrupt_lock_is_refused() {
    let tmp = tempfile::TempDir::new().unwrap();
    Run::new(["upgrade", tmp.path().to_str().unwrap()])
        .refused(&["no .ironplate.toml", "ironplate adopt"]);
    let old = Old::new("default");
    let lock = old.read(".ironplate.toml").replace("[answers]", "[answers");
    old.write(".ironplate.toml", &lock);
    old.commit("broken lock");
    let out = old.upgrade(&[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(".ironplate.toml:") && out.stderr.contains("corrupt lock"),
        "{}",
        out.stderr
    );

    // A version no release could have, or a path ironplate never writes: refused. A path it
    // could write but no template made is never deleted.
    let old = Old::new("default");
    let lock = old.read(".ironplate.toml");
    for (from, to, needle) in [
        (
            "template_version = \"0.1.0\"",
            "template_version = \"v1\"",
            "is not a version",
        ),
        (
            "[files]\n",
            "[files]\n\".git/config\" = { ownership = \"merged\", sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\" }\n",
            "outside .git",
        ),
    ] {
        old.write(".ironplate.toml", &lock.replacen(from, to, 1));
        old.commit("hand-edited lock");
        let out = old.upgrade(&["--check"]);
        assert_eq!(out.code, 2, "{}", out.stdout);
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    old.write("notes.txt", "the owner's\n");
    let sha = sha256_of(b"the owner's\n");
    old.write(
        ".ironplate.toml",
        &lock.replacen(
            "[files]\n",
            &format!("[files]\n\"notes.txt\" = {{ ownership = \"merged\", sha256 = \"{sha}\" }}\n"),
            1,
        ),
    );
    old.commit("a lock naming the owner's file");
    let (_, report) = old.upgrade_json(&[]);
    assert_eq!(
        action(&report, "notes.txt"),
        "modify-delete conflict",
        "{report:#}"
    );
    assert_eq!(old.read("notes.txt"), "the owner's\n");

    // An answer no template version knows: a typo that would quietly bring back a default.
    let old = Old::new("default");
    let lock = old
        .read(".ironplate.toml")
        .replace("cluster_name = ", "clustr_name = ");
    old.write(".ironplate.toml", &lock);
    old.commit("typo in the lock");
    let out = old.upgrade(&["--check"]);
    assert_eq!(out.code, 2);
    for needle in [
        "clustr_name",
        "did you mean `cluster_name`",
        ".ironplate.toml:",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }

    // A lock from newer templates than this binary's: upgrading would roll the repo back.
    let old = Old::new("default");
    let lock = old.read(".ironplate.toml").replace(
        "template_version = \"0.1.0\"",
        "template_version = \"9.9.9\"",
    );
    old.write(".ironplate.toml", &lock);
    old.commit("lock from the future");
    let before = tree(&old.root);
    for mode in [&["--check"][..], &[]] {
        let out = old.upgrade(mode);
        assert_eq!(out.code, 2, "{}", out.stdout);
        assert!(
            out.stderr.contains("newer than this ironplate's"),
            "{}",
            out.stderr
        );
    }
    assert!(tree(&old.root) == before);

    // A symlinked lock would be read from, and written back to, somewhere else.
    let old = Old::new("default");
    let outside = old._tmp.path().join("lock.toml");
    std::fs::rename(old.path(".ironplate.toml"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, old.path(".ironplate.toml")).unwrap();
    old.commit("symlinked lock");
    let out = old.upgrade(&[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("symlink"), "{}", out.stderr);
    assert!(
        std::fs::symlink_metadata(old.path(".ironplate.toml"))
            .unwrap()
            .is_symlink()
    );

    // Not there, or not a folder: said as it is.
    let out = Run::new(["upgrade", "/nonexistent-ironplate-dir"]).run();
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("No such file"), "{}", out.stderr);
}

#[test]
fn a_report_that_cannot_be_written_is_an_error_unless_the_upgrade_was() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let old = Old::new("default");
    let run = |extra: &[&str]| {
        let mut cmd = Command::new(crate::support::bin());
        cmd.arg("upgrade").arg(&old.root).args(extra).stdout(full());
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&["--dry-run"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output"),
        "{stderr}"
    );
    // Written, then the report failed: a warning, and the exit code of the upgrade.
    let (code, stderr) = run(&[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("the changes themselves were written"),
        "{stderr}"
    );
    assert_eq!(old.upgrade(&["--check"]).code, 0);
}

#[test]
fn copies_a_killed_run_left_beside_owned_files_are_swept_by_the_rerun() {
    // A kill between two renames leaves the rollback copy of every file already replaced
    // (those are up to date now, so the rerun does not write them again) and the staged
    // copies of the rest. `.gitignore` and the README are unchanged by 0.1.0 -> current.
    let old = Old::new("default");
    let left = [
        ".github/.CODEOWNERS.ironplate-old",
        ".github/.CODEOWNERS.ironplate-tmp",
        "..gitignore.ironplate-old",
        "k8s/apps/litellm-db/.redis.yaml.ironplate-tmp",
    ];
    for rel in left {
        old.write(rel, "left by a killed run\n");
    }
    old.write(".notes.ironplate-old", "the owner's own file\n");
    assert_eq!(old.upgrade(&["--allow-dirty"]).code, 0);
    for rel in left {
        assert!(!old.path(rel).exists(), "{rel} left behind");
    }
    assert_eq!(old.read(".notes.ironplate-old"), "the owner's own file\n");
}

#[test]
fn a_run_killed_just_before_the_lock_is_finished_by_the_rerun() {
    // Every file written and moved (pdb.yaml -> poddisruptionbudgets.yaml), the old lock
    // still in place: the rerun reports the moved file as moved, not as deleted.
    let old = Old::new("default");
    old.edit(
        "k8s/apps/litellm-db/pdb.yaml",
        "name: litellm-postgres\n",
        "name: litellm-postgres\n  annotations:\n    team: platform\n",
    );
    old.commit("edited pdb");
    let lock = old.read(".ironplate.toml");
    assert_eq!(old.upgrade(&[]).code, 0);
    let mut done = tree(&old.root);
    done.retain(|p, _| !p.starts_with(".git/"));
    old.write(".ironplate.toml", &lock);
    let (code, report) = old.upgrade_json(&["--allow-dirty"]);
    assert_eq!(code, 0, "{report:#}");
    let moved = action(&report, "k8s/apps/litellm-db/poddisruptionbudgets.yaml");
    assert_ne!(moved, "kept-deleted", "{report:#}");
    let mut finished = tree(&old.root);
    finished.retain(|p, _| !p.starts_with(".git/"));
    assert!(finished == done, "the rerun ends where the whole run ended");
}

/// A 0.1.0 repo with edits that make the upgrade move a file and leave a conflict, and the
/// tree (git aside) an uninterrupted upgrade of it ends with, and its exit code.
fn conflicted_repo_and_its_upgrade() -> (Old, std::collections::BTreeMap<String, Vec<u8>>, i32) {
    let make = || {
        let old = Old::new("default");
        old.edit(
            "README.md",
            "conflict markers and the command exits 1. `ironplate upgrade --check` in CI reports drift.",
            "ours",
        );
        old.edit(
            "k8s/apps/litellm-db/pdb.yaml",
            "name: litellm-postgres\n",
            "name: litellm-postgres\n  annotations:\n    team: platform\n",
        );
        old.commit("owner edits");
        old
    };
    let reference = make();
    let code = reference.upgrade(&[]).code;
    let mut done = tree(&reference.root);
    done.retain(|p, _| !p.starts_with(".git/"));
    (make(), done, code)
}

#[test]
fn a_run_killed_before_its_lock_is_resumed_from_the_copies_it_kept() {
    // What a run leaves when killed after replacing some files (each old one kept beside it
    // as .NAME.ironplate-old, the lock it started from and what it writes in the journal),
    // and when killed after its removals: the rerun, in the same git tree and without
    // --allow-dirty, ends exactly where an uninterrupted run ends. A file of those the
    // owner changes after the kill, or a journal that does not parse, is refused instead.
    for case in [
        "mid-commit",
        "after removals",
        "edited after",
        "corrupt journal",
    ] {
        let (old, done, code) = conflicted_repo_and_its_upgrade();
        let start = tree(&old.root);
        let backup = |rel: &str| {
            let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            let dir = if dir.is_empty() {
                old.root.clone()
            } else {
                old.path(dir)
            };
            dir.join(format!(".{name}.ironplate-old"))
        };
        let changed: Vec<&String> = done
            .keys()
            .filter(|p| *p != ".ironplate.toml" && start.get(*p) != done.get(*p))
            .collect();
        let mut journal = toml::Table::new();
        journal.insert("lock".into(), old.read(".ironplate.toml").into());
        journal.insert(
            "removed".into(),
            toml::Value::Array(vec![
                "k8s/apps/litellm-db/pdb.yaml".into(),
                "k8s/apps/litellm-db/serviceaccount.yaml".into(),
            ]),
        );
        let written: toml::Table = changed
            .iter()
            .map(|p| (p.to_string(), sha256_of(&done[*p]).into()))
            .collect();
        journal.insert("written".into(), written.into());
        let text = match case {
            "corrupt journal" => "lock = [\n".to_string(),
            _ => toml::to_string(&journal).unwrap(),
        };
        std::fs::write(backup(".ironplate.toml"), text).unwrap();
        let replaced = match case {
            "after removals" => changed.len(),
            _ => changed.len() / 2,
        };
        for rel in &changed[..replaced] {
            if old.path(rel).exists() {
                std::fs::hard_link(old.path(rel), backup(rel)).unwrap();
            }
            std::fs::create_dir_all(old.path(rel).parent().unwrap()).unwrap();
            // Written as the killed run writes: a new file renamed over the old one.
            let tmp = old.path(&format!("{rel}.new"));
            std::fs::write(&tmp, &done[*rel]).unwrap();
            std::fs::rename(&tmp, old.path(rel)).unwrap();
        }
        if case == "after removals" {
            let pdb = "k8s/apps/litellm-db/pdb.yaml";
            std::fs::rename(old.path(pdb), backup(pdb)).unwrap();
        }
        if case == "edited after" {
            // A file the killed run replaced (one it added is simply the owner's now).
            let edited = changed[..replaced]
                .iter()
                .find(|p| start.contains_key(**p))
                .unwrap();
            let mut text = old.read(edited);
            text.push_str("the owner's line\n");
            old.write(edited, &text);
        }
        let rerun = old.upgrade(&[]);
        if matches!(case, "edited after" | "corrupt journal") {
            assert_eq!(rerun.code, 2, "{case}: {}", rerun.stdout);
            let needle = if case == "edited after" {
                "changed after an upgrade was interrupted"
            } else {
                "the journal of an interrupted upgrade"
            };
            assert!(rerun.stderr.contains(needle), "{case}: {}", rerun.stderr);
            continue;
        }
        assert_eq!(rerun.code, code, "{case}: {}{}", rerun.stdout, rerun.stderr);
        let mut finished = tree(&old.root);
        finished.retain(|p, _| !p.starts_with(".git/"));
        let wrong: Vec<&String> = finished
            .keys()
            .chain(done.keys())
            .filter(|p| finished.get(*p) != done.get(*p))
            .collect();
        assert!(wrong.is_empty(), "{case}: {wrong:?}");
    }
}

#[test]
fn a_killed_upgrade_leaves_whole_files_and_a_rerun_finishes() {
    use std::collections::BTreeMap;
    // The result of an uninterrupted run, to compare against.
    let reference = Old::new("default");
    let start = tree(&reference.root);
    assert_eq!(reference.upgrade(&["--allow-dirty"]).code, 0);
    let mut done = tree(&reference.root);
    done.retain(|p, _| !p.starts_with(".git/"));
    let mut partial_states = 0;
    for attempt in 0..40u64 {
        let old = Old::new("default");
        let mut child = Command::new(crate::support::bin())
            .args(["upgrade", old.root.to_str().unwrap(), "--allow-dirty"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the first staged write of the apply phase, then kill a little later each
        // attempt: some kills land while staging, some while renaming, some after.
        let first_staged = old.path(".github/.pull_request_template.md.ironplate-tmp");
        let first_renamed = old.path(".github/pull_request_template.md");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !first_staged.exists()
            && !first_renamed.exists()
            && std::time::Instant::now() < deadline
        {
            std::thread::yield_now();
        }
        std::thread::sleep(std::time::Duration::from_micros(attempt * 150));
        let _ = child.kill();
        let _ = child.wait();
        let now: BTreeMap<String, Vec<u8>> = tree(&old.root)
            .into_iter()
            .filter(|(p, _)| !p.starts_with(".git/"))
            .collect();
        let mut touched = false;
        for (path, bytes) in &now {
            if path.ends_with(".ironplate-tmp") || path.ends_with(".ironplate-old") {
                touched = true; // a staged write or a rollback copy the kill interrupted
                continue;
            }
            let was = start.get(path);
            let will = done.get(path);
            assert!(
                was == Some(bytes) || will == Some(bytes),
                "attempt {attempt}: {path} is neither old nor new"
            );
            touched |= was != Some(bytes);
        }
        // Killed mid-apply: the disk changed, but the lock (written last) is still the old one.
        if touched && now.get(".ironplate.toml") == start.get(".ironplate.toml") {
            partial_states += 1;
        }
        let rerun = old.upgrade(&["--allow-dirty"]);
        assert_eq!(rerun.code, 0, "attempt {attempt}: {}", rerun.stderr);
        let finished: BTreeMap<String, Vec<u8>> = tree(&old.root)
            .into_iter()
            .filter(|(p, _)| !p.starts_with(".git/"))
            .collect();
        let wrong: Vec<&String> = finished
            .keys()
            .chain(done.keys())
            .filter(|p| finished.get(*p) != done.get(*p))
            .collect();
        assert!(
            wrong.is_empty(),
            "attempt {attempt}: the rerun did not finish the job: {wrong:?}"
        );
    }
    assert!(
        partial_states > 0,
        "no kill landed mid-apply: the test proved nothing"
    );
}

#[test]
fn when_base_cannot_be_rebuilt_pristine_files_update_and_edited_ones_keep_both() {
    let old = Old::new("default");
    // A lock naming a template version this ironplate does not embed.
    let lock = old.read(".ironplate.toml").replace(
        "template_version = \"0.1.0\"",
        "template_version = \"0.0.9\"",
    );
    old.write(".ironplate.toml", &lock);
    old.edit(
        "CONTRIBUTING.md",
        "## Commit messages",
        "## Commit messages (ours)",
    );
    old.commit("unknown base");
    let (code, report) = old.upgrade_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        action(&report, "SECURITY.md"),
        "updated",
        "pristine by the lock's hash"
    );
    assert_eq!(
        action(&report, "CONTRIBUTING.md"),
        "conflict",
        "never merged against a guess"
    );
    assert!(old.read("CONTRIBUTING.md").contains("(ours)"));
    assert!(
        old.read("CONTRIBUTING.md.ironplate-theirs")
            .contains("fill in its checklist")
    );
}

fn sha256_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn half_resolved_markers_and_markers_in_a_dropped_file_still_block() {
    let old = Old::new("default");
    let line = "conflict markers and the command exits 1. `ironplate upgrade --check` in CI reports drift.";
    old.edit("README.md", line, "ours");
    old.commit("readme");
    assert_eq!(old.upgrade(&[]).code, 1);
    // The owner removes the opening half of the block, and forgets the closing marker.
    let text = old.read("README.md");
    let start = text.find("<<<<<<< yours\n").unwrap();
    let middle = text.find("=======\n").unwrap() + "=======\n".len();
    old.write(
        "README.md",
        &format!("{}{}", &text[..start], &text[middle..]),
    );
    old.commit("half resolved");
    assert_eq!(old.upgrade(&["--check"]).code, 1);

    // A file the template drops (0.1.0's serviceaccount.yaml) that holds markers.
    let old = Old::new("default");
    let sa = "k8s/apps/litellm-db/serviceaccount.yaml";
    let text = old.read(sa);
    old.write(
        sa,
        &format!("{text}<<<<<<< yours\na: 1\n=======\na: 3\n>>>>>>> ironplate templates 0.3.0\n"),
    );
    old.commit("markers");
    let before = tree(&old.root);
    assert_eq!(old.upgrade(&[]).code, 1);
    assert!(tree(&old.root) == before, "nothing written");
}
