//! `ironplate adopt` on the real hand-made repo (`../shared/fixtures/real-repo/pre`, copied to
//! a temp dir), on ironplate's own output, and on hostile input.

use std::collections::BTreeMap;
use std::path::Path;

use std::process::Command;

use serde_json::Value as Json;

use crate::audit::copy_fixture;
use crate::support::{Outcome, Repo, Run, git, kustomize_builds, tree, yaml_docs};

fn adopt(dir: &Path, extra: &[&str]) -> Outcome {
    let mut args = vec!["adopt".to_string(), dir.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    Run::new(&args).run()
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn object(dir: &Path, rel: &str, kind: &str, name: &str) -> Json {
    yaml_docs(&read(dir, rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .into_iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{rel}: no {kind} {name}"))
}

fn container<'a>(deployment: &'a Json, name: &str) -> &'a Json {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn env_names(c: &Json) -> Vec<&str> {
    c["env"]
        .as_array()
        .map(|e| e.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default()
}

fn script(probe: &Json) -> &str {
    probe["exec"]["command"][2].as_str().unwrap()
}

/// Every check's status from `audit --format json`.
fn audit_statuses(dir: &Path) -> (i32, BTreeMap<String, String>) {
    let out = Run::new(["audit", &dir.display().to_string(), "--format", "json"]).run();
    let report: Json = serde_json::from_str(&out.stdout).expect("json report");
    let mut statuses = BTreeMap::new();
    for section in report["sections"].as_array().unwrap() {
        for check in section["checks"].as_array().unwrap() {
            statuses.insert(
                check["id"].as_str().unwrap().to_string(),
                check["status"].as_str().unwrap().to_string(),
            );
        }
    }
    (out.code, statuses)
}

#[test]
fn adopting_pre_hardens_it_keeps_the_owners_content_and_audits_clean() {
    let (_tmp, dir) = copy_fixture("pre");
    let before = tree(&dir);
    let out = adopt(&dir, &["--yes"]);
    // README.md differs from the template's: kept, the template's beside it, so exit 1.
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for needle in [
        "models = openai/gpt-4o-mini,claude-3-5-sonnet=anthropic/claude-3-5-sonnet-latest  (k8s/apps/litellm/configmap.yaml:8)",
        "postgres_storage = 20Gi  (k8s/apps/litellm-db/postgres.yaml:93)",
        "digest from preset `default` for the same tag",
        "\">=0.2.3\" is not an exact version; the preset's pin is used",
        "hardened         k8s/flux/litellm-db.yaml (from k8s/flux/litellm-db-kustomization.yaml)",
        "not-added        k8s/clusters/production/gateway.yaml",
        "kept             README.md",
    ] {
        assert!(
            out.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            out.stdout
        );
    }
    let after = tree(&dir);

    // The owner's model list: the seeded proxy config, byte for byte.
    let config = "k8s/apps/litellm/configmap.yaml";
    assert_eq!(before[config], after[config]);
    // Their README stays; the template's is beside it.
    assert_eq!(before["README.md"], after["README.md"]);
    assert!(after.contains_key("README.md.ironplate-theirs"));

    // Postgres: names, selector, sizes and probes are the owner's; Secrets come as files.
    let db = "k8s/apps/litellm-db/postgres.yaml";
    let pg = object(&dir, db, "Deployment", "litellm-postgres");
    assert_eq!(
        pg["spec"]["selector"]["matchLabels"]["app"],
        "litellm-postgres"
    );
    assert_eq!(
        pg["spec"]["template"]["metadata"]["labels"]["app"],
        "litellm-postgres"
    );
    let c = container(&pg, "postgres");
    assert_eq!(
        c["image"],
        "postgres:16-alpine@sha256:97ff59a4e30e08d1c11bdcd9455e7832368c0572b576c9092cde2df4ae5552a3"
    );
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        env_names(c),
        [
            "PGDATA",
            "POSTGRES_USER_FILE",
            "POSTGRES_PASSWORD_FILE",
            "POSTGRES_DB_FILE"
        ]
    );
    let readiness = &c["readinessProbe"];
    assert_eq!(
        (
            readiness["initialDelaySeconds"].as_i64(),
            readiness["periodSeconds"].as_i64()
        ),
        (Some(10), Some(10))
    );
    assert_eq!(c["livenessProbe"]["initialDelaySeconds"], 30);
    assert_eq!(
        script(readiness),
        r#"export POSTGRES_USER="$(cat /run/secrets/postgres/username)" POSTGRES_DB="$(cat /run/secrets/postgres/database)"; pg_isready -h 127.0.0.1 -p 5432 -U "${POSTGRES_USER}" -d "${POSTGRES_DB}""#
    );
    let pvc = object(&dir, db, "PersistentVolumeClaim", "litellm-postgres-data");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "20Gi");
    let volumes = pg["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    assert!(
        volumes.iter().any(|v| v["name"] == "postgres-data"
            && v["persistentVolumeClaim"]["claimName"] == "litellm-postgres-data"),
        "the owner's volume stays: {volumes:?}"
    );
    assert!(
        !volumes.iter().any(|v| v["name"] == "data"),
        "no second data volume"
    );
    object(&dir, db, "Service", "litellm-postgres");

    // Redis: AUTH on from the Secret file; the owner's probe kept, given the password.
    let rd = object(
        &dir,
        "k8s/apps/litellm-db/redis.yaml",
        "Deployment",
        "litellm-redis",
    );
    let c = container(&rd, "redis");
    assert!(c.get("args").is_none() || c["args"].is_null());
    assert!(
        c["command"][2].as_str().unwrap().contains("requirepass"),
        "{:?}",
        c["command"]
    );
    assert_eq!(
        script(&c["readinessProbe"]),
        r#"export REDISCLI_AUTH="$(cat /run/secrets/redis/password)"; test "$(redis-cli -h 127.0.0.1 -p 6379 ping)" = "PONG""#
    );
    let pvc = object(
        &dir,
        "k8s/apps/litellm-db/redis.yaml",
        "PersistentVolumeClaim",
        "litellm-redis-data",
    );
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "5Gi");

    // LiteLLM: where the owner put it, on the pinned chart from the template's source.
    let hr = object(
        &dir,
        "k8s/apps/litellm/helmrelease.yaml",
        "HelmRelease",
        "litellm",
    );
    assert_eq!(hr["apiVersion"], "helm.toolkit.fluxcd.io/v2");
    assert_eq!(hr["metadata"]["namespace"], "flux-system");
    assert_eq!(hr["spec"]["targetNamespace"], "litellm");
    assert!(hr["spec"].get("chart").is_none());
    assert_eq!(hr["spec"]["chartRef"]["namespace"], "litellm");
    assert_eq!(
        hr["spec"]["values"]["proxyConfigMap"]["key"],
        "proxy_server_config.yaml"
    );
    assert!(
        hr["spec"]["values"].get("masterkeySecretName").is_none(),
        "the chart's master key stays"
    );
    let oci = object(
        &dir,
        "k8s/apps/litellm/ocirepository.yaml",
        "OCIRepository",
        "litellm-helm",
    );
    assert_eq!(oci["spec"]["ref"]["tag"], "1.81.13");

    // Files of the owner's layout that hold a template file's objects moved to its path,
    // and the kustomization that lists them followed.
    assert!(!after.contains_key("k8s/flux/litellm-db-kustomization.yaml"));
    let flux = yaml_docs(&read(&dir, "k8s/flux/kustomization.yaml")).unwrap();
    assert_eq!(
        flux[0]["resources"],
        serde_json::json!(["litellm-db.yaml", "litellm.yaml"])
    );
    let apps = yaml_docs(&read(&dir, "k8s/apps/litellm-db/kustomization.yaml")).unwrap();
    assert_eq!(
        apps[0]["resources"],
        serde_json::json!([
            "namespace.yaml",
            "postgres.yaml",
            "redis.yaml",
            "networkpolicy.yaml",
            "poddisruptionbudgets.yaml"
        ])
    );
    // The owner's entry point stays the only one.
    assert!(!after.contains_key("k8s/clusters/production/gateway.yaml"));
    assert_eq!(
        before["k8s/clusters/production/kustomization.yaml"],
        after["k8s/clusters/production/kustomization.yaml"]
    );
    assert!(kustomize_builds(&dir) >= 3);

    // The audit passes everything a file can show; upgrade finds nothing to do.
    let (code, statuses) = audit_statuses(&dir);
    let open: Vec<_> = statuses
        .iter()
        .filter(|(_, s)| !matches!(s.as_str(), "pass" | "manual" | "not-applicable"))
        .collect();
    assert!(open.is_empty(), "{open:?}");
    assert_eq!(code, 0);
    let check = Run::new(["upgrade", &dir.display().to_string(), "--check"]).run();
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    // And adopt does not run twice.
    let again = Run::new(["adopt", &dir.display().to_string(), "--yes"]);
    again.refused(&["already has .ironplate.toml", "ironplate upgrade"]);
}

#[test]
fn adopting_what_ironplate_made_changes_nothing_and_gives_the_same_lock() {
    for preset in ["default", "example-org"] {
        let repo = Repo::new(preset, &[]);
        let before = repo.files();
        let lock = repo.read(".ironplate.toml");
        std::fs::remove_file(repo.path(".ironplate.toml")).unwrap();
        let out = adopt(&repo.root, &["--yes", "--preset", preset]);
        assert_eq!(out.code, 0, "{preset}: {}\n{}", out.stdout, out.stderr);
        assert_eq!(
            repo.files(),
            before,
            "{preset}: adopt changed a file it made"
        );
        let parse = |t: &str| t.parse::<toml::Table>().unwrap();
        assert_eq!(
            parse(&repo.read(".ironplate.toml")),
            parse(&lock),
            "{preset}"
        );
    }
}

#[test]
fn dry_run_writes_nothing_and_shows_the_diffs() {
    let (_tmp, dir) = copy_fixture("pre");
    let before = tree(&dir);
    let out = adopt(&dir, &["--dry-run", "--yes"]);
    assert_eq!(tree(&dir), before);
    assert!(
        out.stdout.contains("would adopt (nothing written)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("+++ b/k8s/apps/litellm-db/postgres.yaml"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("rename k8s/flux/litellm-kustomization.yaml => k8s/flux/litellm.yaml")
            || out
                .stdout
                .contains("--- a/k8s/flux/litellm-kustomization.yaml"),
        "{}",
        out.stdout
    );
    let json = adopt(&dir, &["--dry-run", "--yes", "--format", "json"]);
    let report: Json = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["written"], false);
    assert!(
        report["answers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["key"] == "namespace"
                && a["value"] == "litellm"
                && a["source"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("k8s/apps/litellm-db/postgres.yaml:"))),
        "{report:#}"
    );
    assert_eq!(tree(&dir), before);
}

#[test]
fn refusals_write_nothing() {
    // Not a folder, unknown --set key, a dirty git tree.
    let (_tmp, dir) = copy_fixture("pre");
    let before = tree(&dir);
    Run::new([
        "adopt",
        &dir.join("README.md").display().to_string(),
        "--yes",
    ])
    .refused(&["not a folder"]);
    Run::new([
        "adopt",
        &dir.display().to_string(),
        "--yes",
        "--set",
        "replicas=3",
    ])
    .refused(&["unknown question `replicas`", "litellm_replicas"]);
    // Another namespace than the one the repo's objects are in would split the gateway.
    Run::new([
        "adopt",
        &dir.display().to_string(),
        "--yes",
        "--set",
        "namespace=gateway",
    ])
    .refused(&["your repo says litellm", "upgrade --set namespace=gateway"]);
    // The databases in one namespace and LiteLLM in another: what adopt adds would sit
    // apart from some of them.
    let (_t2, split) = edited_pre(&[
        (
            "k8s/apps/litellm-db/postgres.yaml",
            "  namespace: litellm\n",
            "  namespace: litellm-data\n",
        ),
        (
            "k8s/apps/litellm-db/redis.yaml",
            "  namespace: litellm\n",
            "  namespace: litellm-data\n",
        ),
    ]);
    let split_before = tree(&split);
    Run::new(["adopt", &split.display().to_string(), "--yes"])
        .refused(&["2 namespaces here (litellm, litellm-data)"]);
    assert!(tree(&split) == split_before);
    Run::new([
        "adopt",
        &dir.display().to_string(),
        "--yes",
        "--set",
        "namespace=Bad_NS",
    ])
    .refused(&["namespace", "Bad_NS"]);
    assert_eq!(tree(&dir), before);

    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "hand-made"]);
    std::fs::write(dir.join("notes.txt"), "wip\n").unwrap();
    let snapshot = tree(&dir);
    Run::new(["adopt", &dir.display().to_string(), "--yes"])
        .refused(&["uncommitted changes", "notes.txt"]);
    let now: BTreeMap<_, _> = tree(&dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git/"))
        .collect();
    let then: BTreeMap<_, _> = snapshot
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git/"))
        .collect();
    assert_eq!(now, then);
    let out = adopt(&dir, &["--yes", "--allow-dirty"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(dir.join(".ironplate.toml").is_file());
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repo_is_refused_and_its_target_untouched() {
    let (_tmp, dir) = copy_fixture("pre");
    let outside = tempfile::TempDir::new().unwrap();
    let target = outside.path().join("postgres.yaml");
    std::fs::write(&target, "kind: Secret\n").unwrap();
    std::fs::remove_file(dir.join("k8s/apps/litellm-db/postgres.yaml")).unwrap();
    std::os::unix::fs::symlink(&target, dir.join("k8s/apps/litellm-db/postgres.yaml")).unwrap();
    let before = tree(&dir);
    Run::new(["adopt", &dir.display().to_string(), "--yes"]).refused(&["symlink"]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kind: Secret\n");
    assert_eq!(tree(&dir), before);
    assert!(!dir.join(".ironplate.toml").exists());
}

#[test]
fn a_manifest_that_does_not_parse_is_kept_with_the_templates_beside_it() {
    let (_tmp, dir) = copy_fixture("pre");
    let broken = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: litellm-redis\n";
    std::fs::write(dir.join("k8s/apps/litellm-db/redis.yaml"), broken).unwrap();
    let out = adopt(&dir, &["--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(read(&dir, "k8s/apps/litellm-db/redis.yaml"), broken);
    assert!(
        dir.join("k8s/apps/litellm-db/redis.yaml.ironplate-theirs")
            .is_file()
    );
    assert!(
        out.stdout
            .contains("kept             k8s/apps/litellm-db/redis.yaml")
            && out.stdout.contains("your file is not valid YAML at line"),
        "{}",
        out.stdout
    );
}

#[test]
fn organisation_policy_wins_over_what_the_repo_says() {
    let (_tmp, dir) = copy_fixture("pre");
    std::fs::write(
        dir.join("SECURITY.md"),
        "# Security\n\nMail psirt@owner.example.\n",
    )
    .unwrap();
    let out = adopt(&dir, &["--yes", "--preset", "example-org"]);
    assert!(
        out.stdout
            .contains("security_contact at SECURITY.md: locked by preset `example-org`"),
        "{}",
        out.stdout
    );
    let lock: toml::Table = read(&dir, ".ironplate.toml").parse().unwrap();
    assert_ne!(
        lock["answers"]["security_contact"].as_str(),
        Some("psirt@owner.example")
    );
}

#[test]
fn the_post_snapshot_adopts_into_valid_objects() {
    // The owners' own PDBs (minAvailable) and dependabot config (directory) meet the
    // template's (maxUnavailable, directories): each object gets one of a pair, never both.
    let (_tmp, dir) = copy_fixture("post");
    let out = adopt(&dir, &["--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    // What stays open is in the owner's own workflows, which upgrade never rewrites: the
    // audit says to fix it by hand, not by upgrade.
    let report: Json = serde_json::from_str(
        &Run::new(["audit", &dir.display().to_string(), "--format", "json"])
            .run()
            .stdout,
    )
    .unwrap();
    let checks: Vec<&Json> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["checks"].as_array().unwrap())
        .filter(|c| c["status"] == "fail")
        .collect();
    assert!(!checks.is_empty());
    for c in checks {
        assert_eq!(c["fix"], "manual", "{c:#}");
    }
    // The owners keep KubeLinter's config as .kube-linter.yml: the workflow adopt adds reads
    // that one, and upgrade keeps it so.
    assert!(!dir.join(".kube-linter.yaml").exists());
    assert!(read(&dir, ".github/workflows/security.yml").contains("config: .kube-linter.yml\n"));
    for (path, bytes) in tree(&dir) {
        if path.ends_with(".yaml") || path.ends_with(".yml") {
            let text = String::from_utf8(bytes).unwrap();
            let docs = yaml_docs(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            for d in docs.iter().filter(|d| d["kind"] == "PodDisruptionBudget") {
                let spec = &d["spec"];
                assert!(
                    !(spec.get("minAvailable").is_some() && spec.get("maxUnavailable").is_some()),
                    "{path}: {spec}"
                );
                assert_eq!(spec["maxUnavailable"], 1, "{path}: drain-safe");
            }
        }
    }
    let dependabot = yaml_docs(&read(&dir, ".github/dependabot.yml")).unwrap();
    assert_eq!(dependabot.len(), 1);
    for update in dependabot[0]["updates"].as_array().unwrap() {
        assert!(
            update.get("directory").is_none() || update.get("directories").is_none(),
            "{update}"
        );
    }
    // The owner's Redis read its password from an env var: now from the mounted file.
    let rd = object(
        &dir,
        "k8s/apps/litellm-db/redis.yaml",
        "Deployment",
        "litellm-redis",
    );
    let c = container(&rd, "redis");
    assert!(!env_names(c).contains(&"REDIS_PASSWORD"), "{c}");
    assert!(
        script(&c["readinessProbe"])
            .starts_with(r#"export REDIS_PASSWORD="$(cat /run/secrets/redis/password)"; "#)
    );
    assert!(kustomize_builds(&dir) >= 3);
}

#[test]
fn objects_the_owner_keeps_elsewhere_are_hardened_there_never_defined_twice() {
    // The owner's Flux Kustomizations live in the cluster folder, not in k8s/flux.
    let (_tmp, dir) = copy_fixture("pre");
    let cluster = dir.join("k8s/clusters/production");
    for f in [
        "litellm-db-kustomization.yaml",
        "litellm-kustomization.yaml",
    ] {
        std::fs::rename(dir.join("k8s/flux").join(f), cluster.join(f)).unwrap();
    }
    std::fs::remove_dir_all(dir.join("k8s/flux")).unwrap();
    std::fs::write(
        cluster.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - litellm-db-kustomization.yaml\n  - litellm-kustomization.yaml\n",
    )
    .unwrap();
    let out = adopt(&dir, &["--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("not added: your k8s/clusters/production/litellm-kustomization.yaml already defines Kustomization litellm"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("not added: it lists k8s/flux/litellm-db.yaml, which is not added"),
        "{}",
        out.stdout
    );
    assert!(!dir.join("k8s/flux").exists());
    let ks = object(
        &dir,
        "k8s/clusters/production/litellm-kustomization.yaml",
        "Kustomization",
        "litellm",
    );
    assert_eq!(ks["spec"]["retryInterval"], "1m", "hardened where it is");
    assert_eq!(ks["spec"]["path"], "./k8s/apps/litellm");
    assert!(kustomize_builds(&dir) >= 3);
    let (code, _) = audit_statuses(&dir);
    assert_eq!(code, 0);
    let check = Run::new(["upgrade", &dir.display().to_string(), "--check"]).run();
    assert_eq!(check.code, 0, "{}", check.stdout);
}

#[test]
fn what_would_be_overwritten_or_block_is_refused_and_a_failed_write_rolls_back() {
    // An owner's file where ironplate would put the template's version beside theirs.
    let (_tmp, dir) = copy_fixture("pre");
    std::fs::write(dir.join("README.md.ironplate-theirs"), "my notes\n").unwrap();
    let before = tree(&dir);
    Run::new(["adopt", dir.to_str().unwrap(), "--yes"])
        .refused(&["README.md.ironplate-theirs exists"]);
    assert_eq!(tree(&dir), before);

    // A FIFO where ironplate keeps a file: refused at once, never a hang.
    #[cfg(unix)]
    {
        let (_tmp, dir) = copy_fixture("pre");
        let status = Command::new("mkfifo")
            .arg(dir.join("SECURITY.md"))
            .status()
            .unwrap();
        assert!(status.success());
        Run::new(["adopt", dir.to_str().unwrap(), "--yes"])
            .refused(&["SECURITY.md is not a regular file"]);
    }

    // A write that fails half-way (a file made immutable, which only root can do and
    // undo): every file already written is put back.
    let (_tmp, dir) = copy_fixture("pre");
    let before = tree(&dir);
    let pinned = dir.join("k8s/apps/litellm-db/redis.yaml");
    let immutable = Command::new("chattr").arg("+i").arg(&pinned).status();
    if immutable.is_ok_and(|s| s.success()) {
        let out = adopt(&dir, &["--yes"]);
        let _ = Command::new("chattr").arg("-i").arg(&pinned).status();
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("redis.yaml"), "{}", out.stderr);
        assert_eq!(tree(&dir), before, "rolled back");
        assert!(
            !dir.join(".github").exists(),
            "folders it made are gone too"
        );
    } else {
        eprintln!("chattr +i not available here: the rollback case is not exercised");
    }
}

#[test]
fn a_licence_kept_as_the_owners_is_never_replaced_by_upgrade() {
    let (_tmp, dir) = copy_fixture("pre");
    let licence = "MIT License\n\nCopyright (c) 2019-2024 Acme Widgets GmbH\n\nPermission is hereby granted, free of charge, to any person obtaining a copy.\n";
    std::fs::write(dir.join("LICENSE"), licence).unwrap();
    let out = adopt(&dir, &["--yes", "--preset", "example-org"]);
    assert!(
        out.stdout
            .contains("org_name = Acme Widgets GmbH  (LICENSE (copyright line))"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("kept             LICENSE"),
        "{}",
        out.stdout
    );
    let check = Run::new(["upgrade", dir.to_str().unwrap(), "--check"]).run();
    assert_eq!(check.code, 0, "{}", check.stdout);
    Run::new(["upgrade", dir.to_str().unwrap(), "--allow-dirty"]).ok();
    assert_eq!(read(&dir, "LICENSE"), licence);
}

/// Edits `rel` of a copy of `pre`: every `(from, to)` must occur.
fn edited_pre(edits: &[(&str, &str, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, dir) = copy_fixture("pre");
    for (rel, from, to) in edits {
        let text = read(&dir, rel);
        assert!(text.contains(from), "{rel}: {from:?}");
        std::fs::write(dir.join(rel), text.replace(from, to)).unwrap();
    }
    (tmp, dir)
}

fn kinds(dir: &Path, rel: &str) -> Vec<String> {
    yaml_docs(&read(dir, rel))
        .unwrap()
        .iter()
        .filter_map(|d| d["kind"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn owners_names_and_kinds_are_hardened_never_doubled() {
    let db = "k8s/apps/litellm-db/postgres.yaml";
    // Containers named otherwise: the same container, not a second database beside it.
    let (_t, dir) = edited_pre(&[
        (db, "- name: postgres\n", "- name: db\n"),
        (
            "k8s/apps/litellm-db/redis.yaml",
            "- name: redis\n",
            "- name: cache\n",
        ),
    ]);
    adopt(&dir, &["--yes"]);
    let pg = object(&dir, db, "Deployment", "litellm-postgres");
    let containers = pg["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1, "{containers:?}");
    assert_eq!(containers[0]["name"], "db");
    assert_eq!(containers[0]["securityContext"]["runAsNonRoot"], true);
    assert_eq!(audit_statuses(&dir).0, 0);

    // Objects named otherwise: one Deployment, one Service, one volume claim, the owner's.
    let (_t, dir) = edited_pre(&[(db, "litellm-postgres", "pg")]);
    let out = adopt(&dir, &["--yes"]);
    assert_eq!(
        kinds(&dir, db),
        [
            "Service",
            "Deployment",
            "PersistentVolumeClaim",
            "ServiceAccount"
        ],
        "{}",
        out.stdout
    );
    let pg = object(&dir, db, "Deployment", "pg");
    assert_eq!(pg["spec"]["selector"]["matchLabels"]["app"], "pg");
    assert_eq!(
        pg["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/instance"],
        "litellm-postgres",
        "the template's NetworkPolicies and PDB select it"
    );

    // A StatefulSet: hardened as the template's Deployment; its claim template's size read.
    let (_t, dir) = edited_pre(&[
        (db, "kind: Deployment", "kind: StatefulSet"),
        (
            db,
            "  strategy:\n    type: Recreate\n",
            "  serviceName: litellm-postgres\n",
        ),
    ]);
    let out = adopt(&dir, &["--yes"]);
    assert_eq!(
        kinds(&dir, db),
        [
            "Service",
            "StatefulSet",
            "PersistentVolumeClaim",
            "ServiceAccount"
        ],
        "{}",
        out.stdout
    );
    let sts = object(&dir, db, "StatefulSet", "litellm-postgres");
    assert!(sts["spec"].get("strategy").is_none(), "no Deployment field");
    assert!(
        out.stdout.contains("now runs as UID 10001"),
        "{}",
        out.stdout
    );
}

#[test]
fn secrets_and_configs_the_owner_still_uses_stay_working() {
    let db = "k8s/apps/litellm-db/postgres.yaml";
    // An env var that another one expands stays, and the template's _FILE twin is left out.
    let (_t, dir) = edited_pre(&[(
        db,
        "            - name: PGDATA\n",
        "            - name: DATABASE_URL\n              value: postgres://$(POSTGRES_USER)@localhost/x\n            - name: PGDATA\n",
    )]);
    adopt(&dir, &["--yes"]);
    let pg = object(&dir, db, "Deployment", "litellm-postgres");
    let names = env_names(container(&pg, "postgres"));
    assert!(
        names.contains(&"POSTGRES_USER") && !names.contains(&"POSTGRES_USER_FILE"),
        "{names:?}"
    );
    assert!(
        names.contains(&"POSTGRES_PASSWORD_FILE") && !names.contains(&"POSTGRES_PASSWORD"),
        "{names:?}"
    );

    // The owner's own Redis config gets the include that turns AUTH on.
    let (_t, dir) = copy_fixture("pre");
    let redis = dir.join("k8s/apps/litellm-db/redis.yaml");
    let mut text = read(&dir, "k8s/apps/litellm-db/redis.yaml");
    text.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: litellm-redis-config\n  namespace: litellm\ndata:\n  redis.conf: |\n    maxmemory 256mb\n");
    std::fs::write(&redis, text).unwrap();
    adopt(&dir, &["--yes"]);
    let cm = object(
        &dir,
        "k8s/apps/litellm-db/redis.yaml",
        "ConfigMap",
        "litellm-redis-config",
    );
    assert_eq!(
        cm["data"]["redis.conf"],
        "include /run/redis-auth/auth.conf\nmaxmemory 256mb\n"
    );
}

#[test]
fn kustomizations_list_only_what_is_there_and_owners_configmaps_stay_theirs() {
    // The source and the release in one file of the owner's: the template's helmrelease.yaml
    // is not added, so no kustomization may list it.
    let (_t, dir) = copy_fixture("pre");
    let app = dir.join("k8s/apps/litellm");
    let both = format!(
        "{}---\n{}",
        read(&dir, "k8s/apps/litellm/helmrepository.yaml"),
        read(&dir, "k8s/apps/litellm/helmrelease.yaml")
    );
    std::fs::write(app.join("helm.yaml"), both).unwrap();
    std::fs::remove_file(app.join("helmrepository.yaml")).unwrap();
    std::fs::remove_file(app.join("helmrelease.yaml")).unwrap();
    std::fs::write(
        app.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n  - helm.yaml\n",
    )
    .unwrap();
    adopt(&dir, &["--yes"]);
    let listed = read(&dir, "k8s/apps/litellm/kustomization.yaml");
    assert!(!listed.contains("helmrelease.yaml"), "{listed}");
    assert!(!app.join("helmrelease.yaml").exists());
    assert_eq!(kustomize_builds(&dir.join("k8s/apps/litellm")), 1);
    assert_eq!(audit_statuses(&dir).0, 0);

    // A ConfigMap of the owner's beside Redis is not Redis's config.
    let (_t, dir) = copy_fixture("pre");
    let redis = "k8s/apps/litellm-db/redis.yaml";
    let mut text = read(&dir, redis);
    text.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: redis-notes\n  namespace: litellm\ndata:\n  note: hello\n");
    std::fs::write(dir.join(redis), text).unwrap();
    adopt(&dir, &["--yes"]);
    let notes = object(&dir, redis, "ConfigMap", "redis-notes");
    assert_eq!(notes["data"], serde_json::json!({"note": "hello"}));
    let config = object(&dir, redis, "ConfigMap", "litellm-redis-config");
    assert!(
        config["data"]["redis.conf"]
            .as_str()
            .unwrap()
            .contains("include")
    );
}

#[test]
fn a_manifest_with_yaml_merge_keys_is_kept_not_rewritten() {
    let (_t, dir) = copy_fixture("pre");
    let redis = "k8s/apps/litellm-db/redis.yaml";
    let text = read(&dir, redis);
    let start = text.find("          livenessProbe:").unwrap();
    let end = text.find("          volumeMounts:").unwrap();
    let text = format!(
        "{}          livenessProbe:\n            <<: *probe\n            initialDelaySeconds: 15\n{}",
        &text[..start],
        &text[end..]
    )
    .replacen("          readinessProbe:\n", "          readinessProbe: &probe\n", 1);
    std::fs::write(dir.join(redis), &text).unwrap();
    let out = adopt(&dir, &["--yes"]);
    assert!(out.stdout.contains("YAML merge key"), "{}", out.stdout);
    assert_eq!(read(&dir, redis), text, "the owner's file, untouched");
    assert!(dir.join(format!("{redis}.ironplate-theirs")).exists());
}

#[test]
fn containers_are_known_by_what_they_run_and_the_owners_own_get_the_restricted_minimum() {
    let db = "k8s/apps/litellm-db/postgres.yaml";
    // Postgres renamed `db`, beside an exporter of the owner's, both with their own UID.
    let (_t, dir) = edited_pre(&[
        (db, "        - name: postgres\n", "        - name: db\n"),
        (
            db,
            "      volumes:\n",
            "        - name: exporter\n          image: quay.io/prometheuscommunity/postgres-exporter:v0.15.0\n      volumes:\n",
        ),
        (
            db,
            "          image: postgres:16-alpine\n",
            "          image: postgres:16-alpine\n          securityContext:\n            runAsUser: 70\n",
        ),
    ]);
    let out = adopt(&dir, &["--yes"]);
    let pg = object(&dir, db, "Deployment", "litellm-postgres");
    let postgres = container(&pg, "db");
    assert_eq!(postgres["securityContext"]["readOnlyRootFilesystem"], true);
    assert!(
        postgres["securityContext"].get("runAsUser").is_none(),
        "the pod's UID applies"
    );
    assert!(env_names(postgres).contains(&"POSTGRES_PASSWORD_FILE"));
    assert!(
        out.stdout.contains("now runs as UID 10001 (was UID 70)"),
        "{}",
        out.stdout
    );
    let exporter = container(&pg, "exporter");
    assert_eq!(
        exporter["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(
        exporter["securityContext"]["capabilities"]["drop"][0],
        "ALL"
    );
    // The key the hardened pods now read, which the live Secret made by hand lacks.
    assert!(
        out.stdout
            .contains("add redis-password to the Secret litellm-db-secret in the cluster"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_namespace_is_where_the_workloads_run_a_kustomization_namespace_included() {
    let (_t, dir) = copy_fixture("pre");
    for rel in [
        "k8s/apps/litellm-db/postgres.yaml",
        "k8s/apps/litellm-db/redis.yaml",
        "k8s/apps/litellm-db/litellm-db-secret.example.yaml",
        "k8s/apps/litellm/configmap.yaml",
        "k8s/apps/litellm/helmrelease.yaml",
        "k8s/apps/litellm/helmrepository.yaml",
    ] {
        let text = read(&dir, rel)
            .replace("  namespace: litellm\n", "")
            .replace("  namespace: flux-system\n", "")
            .replace("  targetNamespace: litellm\n", "")
            .replace("    createNamespace: true\n", "")
            .replace("litellm.svc", "team-ai.svc");
        std::fs::write(dir.join(rel), text).unwrap();
    }
    std::fs::remove_file(dir.join("k8s/apps/litellm-db/namespace.yaml")).unwrap();
    for rel in [
        "k8s/apps/litellm-db/kustomization.yaml",
        "k8s/apps/litellm/kustomization.yaml",
    ] {
        let text = read(&dir, rel)
            .replace("  - namespace.yaml\n", "")
            .replace("resources:", "namespace: team-ai\nresources:");
        std::fs::write(dir.join(rel), text).unwrap();
    }
    let out = adopt(&dir, &["--yes"]);
    assert!(out.stdout.contains("namespace = team-ai"), "{}", out.stdout);
    let built = Command::new(crate::support::kubectl())
        .arg("kustomize")
        .arg(dir.join("k8s/apps/litellm"))
        .output()
        .unwrap();
    let built = String::from_utf8(built.stdout).unwrap();
    let release = yaml_docs(&built)
        .unwrap()
        .into_iter()
        .find(|d| d["kind"] == "HelmRelease")
        .expect("the release builds");
    assert_eq!(release["metadata"]["namespace"], "team-ai");
    assert_eq!(
        release["spec"]["chartRef"]["namespace"], "team-ai",
        "{release:#}"
    );
}

#[test]
fn the_owners_release_and_budgets_are_known_by_what_they_are_not_their_names() {
    // A HelmRelease named otherwise, in a file of its own name: one LiteLLM, never two.
    let (_t, dir) = copy_fixture("pre");
    let app = dir.join("k8s/apps/litellm");
    let release = read(&dir, "k8s/apps/litellm/helmrelease.yaml").replacen(
        "  name: litellm\n",
        "  name: litellm-proxy\n",
        1,
    );
    std::fs::write(app.join("helm.yaml"), release).unwrap();
    std::fs::remove_file(app.join("helmrelease.yaml")).unwrap();
    let kustomization =
        read(&dir, "k8s/apps/litellm/kustomization.yaml").replace("helmrelease.yaml", "helm.yaml");
    std::fs::write(app.join("kustomization.yaml"), kustomization).unwrap();
    adopt(&dir, &["--yes"]);
    let built = Command::new(crate::support::kubectl())
        .arg("kustomize")
        .arg(&app)
        .output()
        .unwrap();
    let releases: Vec<Json> = yaml_docs(&String::from_utf8(built.stdout).unwrap())
        .unwrap()
        .into_iter()
        .filter(|d| d["kind"] == "HelmRelease")
        .collect();
    assert_eq!(releases.len(), 1, "{releases:#?}");
    assert_eq!(releases[0]["metadata"]["name"], "litellm-proxy");
    assert!(!app.join("master-key-secret.example.yaml").exists());

    // A blocking budget of the owner's, named otherwise: made drain-safe, never doubled.
    let (_t, dir) = copy_fixture("pre");
    let db = dir.join("k8s/apps/litellm-db");
    std::fs::write(
        db.join("poddisruptionbudgets.yaml"),
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: pg\n  namespace: litellm\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: litellm-postgres\n",
    )
    .unwrap();
    let kustomization = read(&dir, "k8s/apps/litellm-db/kustomization.yaml").replace(
        "  - redis.yaml\n",
        "  - redis.yaml\n  - poddisruptionbudgets.yaml\n",
    );
    std::fs::write(db.join("kustomization.yaml"), kustomization).unwrap();
    adopt(&dir, &["--yes"]);
    let budgets: Vec<Json> =
        yaml_docs(&read(&dir, "k8s/apps/litellm-db/poddisruptionbudgets.yaml")).unwrap();
    let names: Vec<&str> = budgets
        .iter()
        .map(|b| b["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pg", "litellm-redis"]);
    assert_eq!(budgets[0]["spec"]["maxUnavailable"], 1);
    assert!(budgets[0]["spec"].get("minAvailable").is_none());
}

#[test]
fn comments_a_rewritten_document_loses_are_named_in_the_report() {
    let db = "k8s/apps/litellm-db/postgres.yaml";
    let (_t, dir) = edited_pre(&[(
        db,
        "            - name: PGDATA\n",
        "            # - name: POSTGRES_HOST_AUTH_METHOD\n            #   value: scram-sha-256\n            - name: PGDATA\n",
    )]);
    let out = adopt(&dir, &["--yes"]);
    assert!(
        out.stdout.contains(
            "Deployment litellm-postgres: 2 comment line(s) inside it not kept (the document is rewritten; comments above it stay), the first: # - name: POSTGRES_HOST_AUTH_METHOD"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn the_master_key_example_is_added_only_for_the_secret_the_release_reads() {
    let (_t, dir) = edited_pre(&[(
        "k8s/apps/litellm/helmrelease.yaml",
        "    fullnameOverride: litellm\n",
        "    fullnameOverride: litellm\n    masterkeySecretName: my-master\n    masterkeySecretKey: key\n",
    )]);
    let out = adopt(&dir, &["--yes"]);
    assert!(
        !dir.join("k8s/apps/litellm/master-key-secret.example.yaml")
            .exists()
    );
    assert!(
        out.stdout
            .contains("reads its master key from the Secret my-master"),
        "{}",
        out.stdout
    );
    // And the owner's start arguments that the hardened start replaces are shown.
    assert!(
        out.stdout
            .contains("yours was `args: redis-server --appendonly yes`"),
        "{}",
        out.stdout
    );
}
