//! `ironplate audit` against the real repo's three snapshots and the human audit written for
//! them, against every preset's fresh output, and against hostile trees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::support::{Repo, Run};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/real-repo")
        .join(name)
}

/// `audit --format json` of `dir`: (exit code, id -> status, the whole report).
fn audit(dir: &Path) -> (i32, BTreeMap<String, String>, Json) {
    let out = Run::new([
        "audit".as_ref(),
        dir.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ])
    .env("SOURCE_DATE_EPOCH", "1771718400")
    .run();
    assert!(
        out.code == 0 || out.code == 1,
        "exit {}: {}",
        out.code,
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let report: Json = serde_json::from_str(&out.stdout).expect("JSON report");
    let mut statuses = BTreeMap::new();
    for section in report["sections"].as_array().unwrap() {
        for check in section["checks"].as_array().unwrap() {
            statuses.insert(
                check["id"].as_str().unwrap().to_string(),
                check["status"].as_str().unwrap().to_string(),
            );
        }
    }
    (out.code, statuses, report)
}

/// Each checklist line of the human audits, by a phrase it contains, and the ids that judge it.
/// Lines not judged from files alone are listed in `UNMAPPED`.
const MAPPING: &[(&str, &[&str])] = &[
    ("with `docker` ecosystem", &["DEP-01"]),
    ("with `github-actions` ecosystem", &["DEP-02"]),
    ("Pin Helm chart version", &["DEP-03"]),
    ("Pin container images to SHA256", &["DEP-04"]),
    ("Pin `postgres:16-alpine`", &["DEP-04"]),
    ("Pin `redis:7.2-alpine`", &["DEP-04"]),
    ("Create `SECURITY.md`", &["VUL-01"]),
    ("static YAML security scanning", &["VUL-02"]),
    ("Add KubeLinter CI workflow", &["VUL-02", "CMP-10"]),
    ("`.kube-linter.yml` config", &["CMP-10"]),
    ("Enable GitHub Dependabot security alerts", &["VUL-03"]),
    ("CodeQL or Trivy workflow", &["VUL-04"]),
    ("adding a Trivy workflow", &["VUL-04"]),
    ("Add SonarQube Cloud integration", &["SON-01"]),
    ("Add `sonar-project.properties`", &["SON-01"]),
    ("alternative to SonarQube", &["SON-01"]),
    ("SonarQube scan step", &["SON-02"]),
    ("No hardcoded secrets", &["SEC-01"]),
    ("`.gitignore` correctly excludes", &["SEC-02"]),
    ("Example secret files", &["SEC-03"]),
    ("sensitive values", &["SEC-04"]),
    (
        "Added `securityContext` to Postgres and Redis pods",
        &["SEC-05", "SEC-06"],
    ),
    ("pod-level `securityContext`", &["SEC-05"]),
    ("container-level `securityContext`", &["SEC-06"]),
    ("resource requests and limits", &["SEC-07"]),
    ("`NetworkPolicy`", &["SEC-08"]),
    ("`PodDisruptionBudget`", &["SEC-09"]),
    ("readOnlyRootFilesystem", &["SEC-10"]),
    ("Redis AUTH", &["SEC-11"]),
    ("pass `REDIS_PASSWORD`", &["SEC-11"]),
    ("`README.md`", &["CMP-01"]),
    ("`.gitignore` is present", &["CMP-02"]),
    ("`.gitignore` present", &["CMP-02"]),
    ("`.editorconfig`", &["CMP-03"]),
    ("`CONTRIBUTING.md`", &["CMP-04"]),
    ("`.yamllint.yml` linting", &["CMP-05"]),
    ("`.github/workflows/yaml-lint.yml`", &["CMP-06"]),
    ("`HelmRelease` API", &["CMP-07"]),
    ("`HelmRepository` API", &["CMP-07"]),
    ("`LICENSE`", &["CMP-08"]),
    ("recommended labels", &["CMP-09"]),
    ("`kube-linter` to the CI", &["CMP-10"]),
];

/// Items about things outside the repo's files (an external service's set-up).
const UNMAPPED: &[&str] = &["Complete SonarQube Cloud project setup"];

/// Checks whose subject is a repository setting: never judged from files.
const MANUAL: &[&str] = &["VUL-03"];

/// (checked?, line) of every checklist line of a MAINTENANCE_AUDIT.md.
fn checklist(snapshot: &str) -> Vec<(bool, String)> {
    std::fs::read_to_string(fixture(snapshot).join("MAINTENANCE_AUDIT.md"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.strip_prefix("- [x] ")
                .map(|r| (true, r.to_string()))
                .or_else(|| l.strip_prefix("- [ ] ").map(|r| (false, r.to_string())))
        })
        .collect()
}

fn ids_for(line: &str) -> Vec<&'static str> {
    // The longest matching phrase wins, so "`.gitignore` correctly excludes" beats "`.gitignore`".
    MAPPING
        .iter()
        .filter(|(phrase, _)| line.contains(phrase))
        .max_by_key(|(phrase, _)| phrase.len())
        .map(|(_, ids)| ids.to_vec())
        .unwrap_or_default()
}

fn agrees_with_the_human_audit(snapshot: &str) {
    let (code, statuses, _) = audit(&fixture(snapshot));
    assert_eq!(code, 1, "{snapshot} has open items: exit 1");
    let mut disagreements = Vec::new();
    let mut judged = 0;
    for (checked, line) in checklist(snapshot) {
        let ids = ids_for(&line);
        if ids.is_empty() {
            assert!(
                UNMAPPED.iter().any(|u| line.contains(u)),
                "{snapshot}: checklist line maps to no id and is not listed as unmapped: {line}"
            );
            continue;
        }
        for id in ids {
            judged += 1;
            let want = if MANUAL.contains(&id) {
                "manual"
            } else if checked {
                "pass"
            } else {
                "fail"
            };
            if statuses[id] != want {
                disagreements.push(format!(
                    "{id} is {} but the auditor says {want}: {line}",
                    statuses[id]
                ));
            }
        }
    }
    assert!(judged >= 30, "{snapshot}: only {judged} items judged");
    assert!(
        disagreements.is_empty(),
        "{snapshot}:\n{}",
        disagreements.join("\n")
    );
}

#[test]
fn agrees_with_the_auditor_on_the_audit_snapshot() {
    agrees_with_the_human_audit("audit");
}

#[test]
fn agrees_with_the_auditor_on_the_post_snapshot() {
    agrees_with_the_human_audit("post");
}

#[test]
fn on_pre_every_item_the_auditor_fixed_fails() {
    let (code, statuses, _) = audit(&fixture("pre"));
    assert_eq!(code, 1);
    let fixed: Vec<&str> = checklist("audit")
        .iter()
        .filter(|(checked, line)| {
            *checked && (line.starts_with("Create") || line.starts_with("Fixed:"))
        })
        .flat_map(|(_, line)| ids_for(line))
        .collect();
    assert!(fixed.len() >= 10, "fixed items found: {fixed:?}");
    for id in fixed {
        assert_eq!(statuses[id], "fail", "{id} should fail on pre");
    }
}

#[test]
fn every_preset_audits_all_pass_but_manual() {
    for preset in ["default", "hetzner-ha", "example-org"] {
        let repo = Repo::new(preset, &[]);
        let (code, statuses, report) = audit(&repo.root);
        let not_passing: Vec<_> = statuses
            .iter()
            .filter(|(id, s)| *s != "pass" && !(MANUAL.contains(&id.as_str()) && *s == "manual"))
            .collect();
        assert!(
            not_passing.is_empty(),
            "{preset}: {not_passing:?}\n{report:#}"
        );
        assert_eq!(code, 0, "{preset}");
    }
    for set in [
        "secrets_backend=external-secrets",
        "secrets_backend=manual",
        "sonarcloud=true",
    ] {
        let repo = Repo::new("default", &["--set", set]);
        let (code, _, report) = audit(&repo.root);
        assert_eq!(code, 0, "{set}: {report:#}");
    }
}

#[test]
fn an_accepted_risk_is_listed_not_failed_and_needs_a_reason() {
    let repo = Repo::new("default", &[]);
    let (_, statuses, report) = audit(&repo.root);
    assert_eq!(statuses["SEC-10"], "pass");
    let sec10 = find_check(&report, "SEC-10");
    assert!(
        sec10["accepted"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Prisma")
    );
    // An empty reason accepts nothing.
    let path = repo.path("k8s/apps/litellm/helmrelease.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let annotation = text
        .lines()
        .find(|l| l.contains("accept-risk.ironplate.dev/SEC-10"))
        .unwrap();
    std::fs::write(
        &path,
        text.replace(annotation, "    accept-risk.ironplate.dev/SEC-10: \"\""),
    )
    .unwrap();
    let (code, statuses, _) = audit(&repo.root);
    assert_eq!((code, statuses["SEC-10"].as_str()), (1, "fail"));
}

fn find_check<'a>(report: &'a Json, id: &str) -> &'a Json {
    report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["checks"].as_array().unwrap())
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn json_sarif_and_markdown_shapes() {
    let dir = fixture("post");
    let (_, _, report) = audit(&dir);
    assert_eq!(report["tool"], "ironplate");
    assert_eq!(report["date"], "2026-02-22");
    assert_eq!(report["repository"], "post");
    let ids: Vec<&str> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["DEP", "VUL", "SON", "SEC", "CMP"]);
    let summary = &report["summary"];
    let total: u64 = ["pass", "fail", "manual", "not_applicable"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum();
    assert!(total >= 38);
    // `post` has no ironplate lock: what ironplate can fix there, `adopt` fixes; findings in
    // the owners' own workflows, which adopt leaves as they are, are fixed by hand.
    assert_eq!(find_check(&report, "SEC-12")["fix"], "adopt");
    let dep05 = find_check(&report, "DEP-05");
    assert_eq!(dep05["status"], "fail");
    assert_eq!(dep05["fix"], "manual");
    assert_eq!(
        dep05["evidence"][0]["path"],
        ".github/workflows/kube-linter.yml"
    );
    assert_eq!(dep05["evidence"][0]["line"], 18);
    // A section passes only when none of its checks fails.
    for section in report["sections"].as_array().unwrap() {
        let failing = section["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "fail");
        assert_eq!(section["status"], if failing { "fail" } else { "pass" });
    }

    let tmp = tempfile::TempDir::new().unwrap();
    let sarif_path = tmp.path().join("audit.sarif");
    let out = Run::new([
        "audit".as_ref(),
        dir.as_os_str(),
        "--format".as_ref(),
        "sarif".as_ref(),
        "--output".as_ref(),
        sarif_path.as_os_str(),
    ])
    .run();
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("fail"), "a summary: {}", out.stderr);
    let sarif: Json = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "SEC-13"));
    let results = run["results"].as_array().unwrap();
    let pdb = results
        .iter()
        .find(|r| r["ruleId"] == "SEC-13")
        .expect("SEC-13 result");
    assert_eq!(
        pdb["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k8s/apps/litellm-db/pdb.yaml"
    );
    assert_eq!(
        pdb["locations"][0]["physicalLocation"]["region"]["startLine"],
        11
    );
    let index = pdb["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "SEC-13");

    let md = Run::new(["audit".as_ref(), dir.as_os_str()])
        .env("SOURCE_DATE_EPOCH", "1771718400")
        .run();
    assert_eq!(md.code, 1);
    assert!(md.stdout.starts_with(
        "# Maintenance Audit Report\n\n**Repository:** `post`\n**Date:** 2026-02-22\n"
    ));
    assert!(
        md.stdout
            .contains("### Dependency Management with Dependabot\n\n**Status: Fail**\n")
    );
    assert!(md.stdout.contains("- [x] DEP-03 "));
    assert!(md.stdout.contains("- [ ] SEC-13 "));
    assert!(md.stdout.contains("  - `k8s/apps/litellm-db/pdb.yaml:11` "));
}

#[test]
fn a_folder_that_cannot_be_read_is_exit_2() {
    let tmp = tempfile::TempDir::new().unwrap();
    Run::new(["audit".as_ref(), tmp.path().join("missing").as_os_str()]).refused(&["missing"]);
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    Run::new(["audit".as_ref(), file.as_os_str()]).refused(&["not a folder"]);
}

#[test]
fn output_goes_through_symlinks_and_devices_never_replacing_them() {
    let tmp = tempfile::TempDir::new().unwrap();
    let repo = fixture("post");
    let target = tmp.path().join("report.md");
    std::fs::write(&target, "old\n").unwrap();
    let link = tmp.path().join("link.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = Run::new([
        "audit".as_ref(),
        repo.as_os_str(),
        "--output".as_ref(),
        link.as_os_str(),
    ])
    .run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("# Maintenance Audit Report")
    );
    // A device that cannot take it: an error, and the device is still a device.
    Run::new([
        "audit".as_ref(),
        repo.as_os_str(),
        "--output".as_ref(),
        "/dev/full".as_ref(),
    ])
    .refused(&["/dev/full", "No space left"]);
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    Run::new([
        "audit".as_ref(),
        repo.as_os_str(),
        "--output".as_ref(),
        tmp.path().as_os_str(),
    ])
    .refused(&["is a folder"]);
}

/// A copy of a fixture snapshot in a temp dir (tests never write into ../shared).
pub fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::TempDir::new().unwrap();
    let root = tmp.path().join(name);
    copy_dir(&fixture(name), &root);
    (tmp, root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn hostile_trees_are_reported_never_crash() {
    let (_tmp, root) = copy_fixture("post");
    let apps = root.join("k8s/apps/litellm-db");
    std::fs::write(
        apps.join("broken.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\ndata: {}\n",
    )
    .unwrap();
    std::fs::write(apps.join("binary.yaml"), b"\x00\x01\x02kind: Secret\n").unwrap();
    std::fs::write(apps.join("latin1.yml"), b"name: caf\xe9\n").unwrap();
    let big = std::fs::File::create(root.join("huge.yaml")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    std::os::unix::fs::symlink("loop-b", root.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", root.join("loop-b")).unwrap();
    std::os::unix::fs::symlink("..", apps.join("up")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("passwd.yaml")).unwrap();
    let locked = apps.join("locked.yaml");
    std::fs::write(&locked, "kind: Secret\n").unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    unsafe_fifo(&root.join("pipe.yaml"));

    let start = std::time::Instant::now();
    let (code, statuses, report) = audit(&root);
    assert!(
        start.elapsed().as_secs() < 10,
        "no hang on FIFOs, loops or big files"
    );
    assert_eq!(code, 1);
    assert_eq!(statuses["CMP-11"], "fail");
    let evidence = find_check(&report, "CMP-11")["evidence"]
        .as_array()
        .unwrap()
        .clone();
    let find = |path: &str| {
        evidence
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("{path} not reported: {evidence:?}"))
    };
    let broken = find("k8s/apps/litellm-db/broken.yaml");
    assert_eq!(broken["line"], 4);
    assert!(
        broken["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid YAML")
    );
    assert!(
        find("k8s/apps/litellm-db/binary.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("binary")
    );
    assert!(
        find("k8s/apps/litellm-db/latin1.yml")["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    assert!(
        find("huge.yaml")["message"]
            .as_str()
            .unwrap()
            .contains("over the audit's limit")
    );
    // Symlinks are never followed: nothing outside the repo is read.
    assert!(
        !evidence
            .iter()
            .any(|e| e["path"].as_str().unwrap().contains("passwd"))
    );
    // The rest of the repo is still judged.
    assert_eq!(statuses["DEP-03"], "pass");
    assert_eq!(statuses["SEC-13"], "fail");
}

fn unsafe_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn patches_multi_document_files_and_yml_are_understood() {
    let (_tmp, root) = copy_fixture("post");
    let dir = root.join("k8s/apps/litellm-db");
    // A strategic-merge patch is part of an object: never judged as a whole Deployment.
    std::fs::write(
        dir.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n  - postgres.yaml\n  - redis.yaml\n  - networkpolicy.yaml\n  - pdb.yaml\npatches:\n  - path: patch-replicas.yaml\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("patch-replicas.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: litellm-redis\nspec:\n  template:\n    spec:\n      containers:\n        - name: redis\n          image: redis:7.2-alpine\n",
    )
    .unwrap();
    // A second document in a .yml file is judged with its own line.
    std::fs::write(
        dir.join("extra.yml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: debug\n  namespace: litellm\nspec:\n  template:\n    spec:\n      containers:\n        - name: shell\n          image: busybox:1.36\n",
    )
    .unwrap();
    let (_, _, report) = audit(&root);
    let dep04 = find_check(&report, "DEP-04");
    let paths: Vec<&str> = dep04["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["k8s/apps/litellm-db/extra.yml"], "{dep04:#}");
    assert_eq!(dep04["evidence"][0]["line"], 16);
    // Every entry above exists (the patch, folders, files): CMP-13 passes; a missing one
    // fails it, with its line, and a remote base is never looked for.
    assert_eq!(find_check(&report, "CMP-13")["status"], "pass");
    std::fs::write(
        root.join("k8s/apps/litellm/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - https://github.com/org/repo//base?ref=v1\n  - ../litellm-db\n  - helmrelease.yaml\n  - gone.yaml\n",
    )
    .unwrap();
    let (code, _, report) = audit(&root);
    assert_eq!(code, 1);
    let cmp13 = find_check(&report, "CMP-13");
    assert_eq!(cmp13["status"], "fail");
    assert_eq!(cmp13["evidence"].as_array().unwrap().len(), 1, "{cmp13:#}");
    assert_eq!(
        cmp13["evidence"][0]["path"],
        "k8s/apps/litellm/kustomization.yaml"
    );
    assert_eq!(cmp13["evidence"][0]["line"], 7);
}

#[test]
fn secrets_in_committed_files_are_found_and_ignored_files_are_not_read() {
    let (_tmp, root) = copy_fixture("post");
    // The real secret file is git-ignored: not committed, so not judged.
    std::fs::write(
        root.join("k8s/apps/litellm/provider-keys-secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: litellm-provider-keys\nstringData:\n  OPENAI_API_KEY: sk-proj-abcdefghijklmnopqrstuvwxyz0123456789\n",
    )
    .unwrap();
    let (_, statuses, _) = audit(&root);
    assert_eq!(statuses["SEC-01"], "pass");
    // The same content under a committed name is a finding, as is a key in a README.
    std::fs::write(
        root.join("k8s/apps/litellm/leaked.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\nstringData:\n  password: hunter2\n",
    )
    .unwrap();
    std::fs::write(root.join("NOTES.md"), "aws: AKIAIOSFODNN7EXAMPL3\n").unwrap();
    let (_, statuses, report) = audit(&root);
    assert_eq!(statuses["SEC-01"], "fail");
    let evidence = find_check(&report, "SEC-01")["evidence"].to_string();
    assert!(
        evidence.contains("leaked.yaml") && evidence.contains("NOTES.md"),
        "{evidence}"
    );
}

#[test]
fn sarif_carries_accepted_risks_as_suppressed_results() {
    let repo = Repo::new("default", &[]);
    let out = Run::new(["audit", repo.root.to_str().unwrap(), "--format", "sarif"]).run();
    assert_eq!(out.code, 0);
    let sarif: Json = serde_json::from_str(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["ruleId"], "SEC-10");
    assert_eq!(results[0]["suppressions"][0]["kind"], "inSource");
    assert!(
        results[0]["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with("Prisma writes")
    );
}
