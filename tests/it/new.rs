use crate::support::{Repo, Run, kustomize_builds, tree, yaml_docs};

const PRESETS: [&str; 3] = ["default", "hetzner-ha", "example-org"];

/// The whole tree as one text: every path, its mode, then its contents.
fn dump(repo: &Repo) -> String {
    dump_only(repo, |_| true)
}

/// [`dump`] of the paths `keep` accepts.
fn dump_only(repo: &Repo, keep: impl Fn(&str) -> bool) -> String {
    use std::os::unix::fs::PermissionsExt;
    let mut out = String::new();
    for (path, bytes) in repo.files().into_iter().filter(|(p, _)| keep(p)) {
        let mode = std::fs::metadata(repo.path(&path))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        out.push_str(&format!("===== {path} ({mode:o})\n"));
        out.push_str(&String::from_utf8(bytes).expect("utf-8 output"));
        out.push('\n');
    }
    out
}

#[test]
fn every_preset_renders_the_whole_tree() {
    for preset in PRESETS {
        let repo = Repo::new(preset, &["--set", "project_name=gateway"]);
        insta::assert_snapshot!(format!("tree_{preset}"), dump(&repo));
    }
}

#[test]
fn the_optional_backends_render_their_files() {
    // The example recipient from age's own documentation: test data, never shipped.
    let age = "sops_age_recipient=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    let variants: [(&str, &[&str]); 2] = [
        (
            "eso_sonar",
            &[
                "--set",
                "secrets_backend=external-secrets",
                "--set",
                "sonarcloud=true",
            ],
        ),
        ("sops", &["--set", "secrets_backend=sops", "--set", age]),
    ];
    for (name, args) in variants {
        let mut argv = vec!["--set", "project_name=gateway"];
        argv.extend_from_slice(args);
        let repo = Repo::new("default", &argv);
        let only = dump_only(&repo, |p| {
            p.contains("externalsecret")
                || p.contains("sonar")
                || p.contains("sops")
                || p.ends_with("kustomization.yaml")
                || p.starts_with("k8s/flux/")
        });
        insta::assert_snapshot!(format!("backend_{name}"), only);
    }
}

#[test]
fn every_yaml_file_parses_and_every_kustomization_builds() {
    // The example recipient from age's own documentation: test data, never shipped.
    let age = "sops_age_recipient=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    let variants: Vec<(&str, Vec<&str>)> = PRESETS
        .iter()
        .map(|p| (*p, vec![]))
        .chain([
            (
                "default",
                vec!["--set", "secrets_backend=sops", "--set", age],
            ),
            (
                "default",
                vec![
                    "--set",
                    "secrets_backend=external-secrets",
                    "--set",
                    "sonarcloud=true",
                ],
            ),
        ])
        .collect();
    for (preset, extra) in variants {
        let repo = Repo::new(preset, &extra);
        for (path, bytes) in repo.files() {
            let text = String::from_utf8(bytes).unwrap();
            if path.ends_with(".yaml") || path.ends_with(".yml") {
                let docs = yaml_docs(&text).unwrap_or_else(|e| panic!("{preset} {path}: {e}"));
                assert!(!docs.is_empty(), "{preset} {path}: empty YAML");
            }
        }
        assert_eq!(
            kustomize_builds(&repo.root),
            3,
            "{preset} {extra:?}: expected k8s/flux and two apps"
        );
    }
}

#[test]
fn output_is_deterministic() {
    let a = Repo::new("example-org", &["--set", "project_name=gateway"]);
    let b = Repo::new("example-org", &["--set", "project_name=gateway"]);
    assert_eq!(a.files(), b.files());
}

#[test]
fn yaml_values_are_injection_safe() {
    let nasty = r#"Acme: "Inc" # {{ x }} 'q' \ - [a] {b}"#;
    let repo = Repo::new("default", &["--set", &format!("org_name={nasty}")]);
    let ns = repo.object("k8s/apps/litellm-db/namespace.yaml", "Namespace", "litellm");
    assert_eq!(ns["metadata"]["annotations"]["a8r.io/owner"], nasty);
    assert_eq!(
        ns["metadata"]["annotations"]["a8r.io/description"],
        "AI gateway (LiteLLM), repo gateway"
    );
    assert!(
        repo.read("LICENSE")
            .contains(&format!("Copyright (c) {nasty}"))
    );
}

#[test]
fn lock_records_versions_answers_and_hashes() {
    let repo = Repo::new("default", &["--set", "project_name=gateway"]);
    let lock: toml::Table = toml::from_str(&repo.read(".ironplate.toml")).unwrap();
    assert_eq!(
        lock["ironplate"]["template_version"].as_str(),
        Some("0.3.0")
    );
    assert_eq!(lock["ironplate"]["preset"].as_str(), Some("default"));
    assert_eq!(lock["answers"]["project_name"].as_str(), Some("gateway"));
    let files = lock["files"].as_table().unwrap();
    let on_disk = repo.files();
    assert_eq!(
        files.len() + 1,
        on_disk.len(),
        "every file but the lock is recorded"
    );
    for (path, entry) in files {
        let bytes = &on_disk[path];
        let expected = ironplate::lock::sha256_hex(bytes);
        assert_eq!(entry["sha256"].as_str(), Some(expected.as_str()), "{path}");
    }
    assert_eq!(files[".gitignore"]["ownership"].as_str(), Some("superset"));
    assert_eq!(
        files["k8s/apps/litellm/configmap.yaml"]["ownership"].as_str(),
        Some("seeded")
    );
    assert_eq!(files["LICENSE"]["ownership"].as_str(), Some("managed"));
}

#[test]
fn licences_are_the_complete_texts() {
    let mit = Repo::new("default", &[]);
    let text = mit.read("LICENSE");
    assert!(text.starts_with("MIT License\n\nCopyright (c) Example Org\n"));
    assert!(text.ends_with("OTHER DEALINGS IN THE\nSOFTWARE.\n"));
    let apache = Repo::new("example-org", &[]);
    let official = std::fs::read_to_string("/usr/share/common-licenses/Apache-2.0")
        .expect("Debian's verbatim Apache-2.0 text");
    assert_eq!(apache.read("LICENSE"), official);
    let closed = Repo::new("default", &["--set", "license=proprietary"]);
    assert!(
        closed
            .read("LICENSE")
            .contains("Example Org. All rights reserved.")
    );
}

#[test]
fn optional_files_follow_answers() {
    let plain = Repo::new("default", &[]);
    for absent in [
        ".sops.yaml",
        "sonar-project.properties",
        ".github/workflows/sonar.yml",
    ] {
        assert!(!plain.exists(absent), "{absent}");
    }
    let org = Repo::new("example-org", &[]);
    assert!(org.exists("sonar-project.properties") && org.exists(".github/workflows/sonar.yml"));
    assert!(org.exists("k8s/clusters/prod-fsn1/gateway.yaml"));
}

#[test]
fn force_overwrites_rendered_files_only() {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("g");
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    std::fs::write(dir.join("README.md"), "old").unwrap();
    Run::new(["new", dir.to_str().unwrap(), "--yes"]).refused(&["not empty"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "old"
    );
    Run::new(["new", dir.to_str().unwrap(), "--yes", "--force"]).ok();
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(
        std::fs::read_to_string(dir.join("README.md"))
            .unwrap()
            .starts_with("# g\n")
    );
    assert!(tree(&dir).contains_key(".ironplate.toml"));
}

#[test]
fn project_name_defaults_to_the_folder_name() {
    let repo = Repo::new("default", &[]);
    let ns = repo.object("k8s/apps/litellm-db/namespace.yaml", "Namespace", "litellm");
    assert_eq!(
        ns["metadata"]["labels"]["app.kubernetes.io/part-of"],
        "gateway"
    );
}

#[test]
fn templates_versions_and_completions() {
    let out = Run::new(["templates", "versions", "--format", "json"]).ok();
    assert_eq!(out.stdout.trim(), r#"["0.1.0","0.2.0","0.3.0"]"#);
    let out = Run::new(["completions", "bash"]).ok();
    assert!(out.stdout.contains("ironplate"));
    let out = Run::new(["--help"]).ok();
    assert!(out.stdout.contains("Examples:"));
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("x");
    let out = Run::new([
        "new",
        dir.to_str().unwrap(),
        "--template-version",
        "9.9.9",
        "--yes",
    ])
    .refused(&["9.9.9", "0.1.0, 0.2.0, 0.3.0"]);
    assert!(out.stdout.is_empty() && !dir.exists());
}

#[test]
fn example_identity_is_called_out_until_replaced() {
    let tmp = tempfile::TempDir::new().unwrap();
    let out = Run::new(["new", tmp.path().join("a").to_str().unwrap(), "--yes"]).ok();
    assert!(
        out.stderr.contains("warning: example identity in use")
            && out
                .stderr
                .contains("security_contact = security@example.com"),
        "{}",
        out.stderr
    );
    let out = Run::new([
        "new",
        tmp.path().join("b").to_str().unwrap(),
        "--yes",
        "--set",
        "org_name=Acme Inc",
        "--set",
        "github_org=acme",
        "--set",
        "domain=llm.acme.io",
        "--set",
        "security_contact=security@acme.io",
    ])
    .ok();
    assert!(!out.stderr.contains("example identity"), "{}", out.stderr);
    // The code owners follow the GitHub organisation unless set.
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("b/.github/CODEOWNERS"))
            .unwrap()
            .lines()
            .last(),
        Some("* @acme/platform")
    );
}

#[test]
fn the_longest_answers_keep_every_yaml_line_within_the_repos_own_yamllint_limit() {
    // 100 characters as written in YAML (each quote counts twice), with spaces to break on.
    let org = format!("{} \"Q\" {}", "Long Cooperative".repeat(3), "x".repeat(45));
    assert_eq!(org.len() + 2, 100);
    let label = "l".repeat(63);
    let domain = format!("{}.{}.example.com", "a".repeat(63), "b".repeat(63));
    let repo = Repo::new(
        "example-org",
        &[
            "--set",
            &format!("org_name={org}"),
            "--set",
            &format!("project_name={label}"),
            "--set",
            &format!("namespace={label}"),
            "--set",
            &format!("cluster_name={label}"),
            "--set",
            &format!("domain={domain}"),
        ],
    );
    for (path, bytes) in repo.files() {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        for (i, line) in text.lines().enumerate() {
            // The repo's yamllint allows a line that is one unbreakable word, also as the
            // value of a `key:` (allow-non-breakable-inline-mappings).
            let item = line.trim_start().trim_start_matches("- ");
            let value = item.split_once(": ").map_or(item, |(_, v)| v);
            let unbreakable = !value.contains(' ');
            assert!(
                line.chars().count() <= 150 || unbreakable,
                "{path}:{}: {} characters",
                i + 1,
                line.chars().count()
            );
        }
    }
    // One character more is refused, saying why.
    let other = tempfile::TempDir::new().unwrap();
    Run::new([
        "new",
        other.path().join("gateway").to_str().unwrap(),
        "--yes",
        "--set",
        &format!("org_name={org}y"),
    ])
    .refused(&["org_name", "at most 100 characters"]);
}
