//! Every bad input: exit 2, a message naming the problem, and nothing written.

use std::path::Path;

use crate::support::Run;

/// Runs `ironplate new <tmp>/out <args...>` and asserts the refusal wrote nothing.
fn refused_new(args: &[&str], needles: &[&str]) {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("out");
    let mut all = vec!["new", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    Run::new(&all).refused(needles);
    assert!(!dir.exists(), "nothing may be written on exit 2 ({args:?})");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn unknown_set_key_suggests_the_near_miss() {
    refused_new(
        &["--yes", "--set", "clustr_name=prod"],
        &[
            "unknown question `clustr_name`",
            "did you mean `cluster_name`",
            "known keys:",
        ],
    );
}

#[test]
fn malformed_set_argument() {
    refused_new(
        &["--yes", "--set", "no-equals-sign"],
        &["no-equals-sign", "KEY=VALUE"],
    );
    refused_new(&["--yes", "--set", "=value"], &["KEY=VALUE"]);
}

#[test]
fn invalid_values_name_key_value_and_what_is_allowed() {
    let digest63 = format!("postgres:16@sha256:{}", "a".repeat(63));
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "namespace=Lite_LLM".into(),
            vec!["`namespace`", "Lite_LLM", "DNS-1123 label"],
        ),
        (
            "cluster_name=-prod".into(),
            vec!["`cluster_name`", "DNS-1123"],
        ),
        (
            "security_contact=not-an-email".into(),
            vec!["`security_contact`", "e-mail"],
        ),
        (
            "litellm_chart_version=>=0.2.3".into(),
            vec!["`litellm_chart_version`", ">=0.2.3", "no ranges"],
        ),
        (
            "litellm_chart_version=v1.2.3".into(),
            vec!["exact semantic version"],
        ),
        (
            format!("postgres_image={digest63}"),
            vec!["`postgres_image`", "64", "sha256"],
        ),
        (
            "redis_image=redis".into(),
            vec!["`redis_image`", "needs a tag"],
        ),
        (
            "postgres_storage=20GB".into(),
            vec!["`postgres_storage`", "20GB", "20Gi"],
        ),
        (
            "hetzner_location=us-east-1".into(),
            vec!["`hetzner_location`", "fsn1, nbg1, hel1, ash, hil, sin"],
        ),
        (
            "license=GPL".into(),
            vec!["`license`", "MIT, Apache-2.0, proprietary"],
        ),
        (
            "sonarcloud=maybe".into(),
            vec!["`sonarcloud`", "true or false"],
        ),
        (
            "litellm_replicas=0".into(),
            vec!["`litellm_replicas`", "from 1 to 50"],
        ),
        (
            "litellm_replicas=two".into(),
            vec!["`litellm_replicas`", "whole number"],
        ),
        (
            "models=acme/gpt".into(),
            vec!["`models`", "unknown provider \"acme\"", "openai"],
        ),
        ("models=gpt-4o".into(), vec!["`models`", "PROVIDER/MODEL"]),
        (
            "codeowners=platform-team".into(),
            vec!["`codeowners`", "@user, @org/team"],
        ),
        ("domain=localhost".into(), vec!["`domain`", "host name"]),
        ("org_name=".into(), vec!["`org_name`", "must not be empty"]),
        (
            "secrets_backend=vault".into(),
            vec!["`secrets_backend`", "sops, external-secrets, manual"],
        ),
    ];
    for (set, needles) in cases {
        refused_new(&["--yes", "--set", &set], &needles);
    }
}

#[test]
fn inapplicable_answer_is_refused() {
    refused_new(
        &["--yes", "--set", "external_secrets_store=vault"],
        &[
            "`external_secrets_store`",
            "only asked when secrets_backend == 'external-secrets'",
        ],
    );
}

#[test]
fn locked_key_cannot_be_overridden() {
    refused_new(
        &["--preset", "example-org", "--yes", "--set", "license=MIT"],
        &["`license` is locked by preset `example-org`"],
    );
}

#[test]
fn missing_answers_are_listed_together() {
    let tmp = tempfile::TempDir::new().unwrap();
    let preset = write(tmp.path(), "bare.toml", "description = \"nothing\"\n");
    refused_new(
        &["--preset", &preset, "--yes"],
        &[
            "missing answers for:",
            "org_name",
            "github_org",
            "domain",
            "security_contact",
        ],
    );
    // Without --yes and without a terminal: the same refusal, never a hang.
    refused_new(
        &["--preset", &preset],
        &["missing answers for:", "security_contact"],
    );
}

#[test]
fn presets_that_cannot_be_used_name_file_and_line() {
    let tmp = tempfile::TempDir::new().unwrap();
    let d = tmp.path();
    let broken = write(
        d,
        "broken.toml",
        "description = \"x\"\n[answers\norg_name = 1\n",
    );
    refused_new(&["--preset", &broken], &["broken.toml:2"]);
    let unknown = write(
        d,
        "unknown.toml",
        "[answers]\norg_name = \"A\"\nnamespac = \"x\"\n",
    );
    refused_new(
        &["--preset", &unknown],
        &[
            "unknown.toml:3",
            "unknown question `namespac`",
            "did you mean `namespace`",
        ],
    );
    let bad_value = write(d, "bad.toml", "[answers]\n\nlitellm_replicas = \"many\"\n");
    refused_new(
        &["--preset", &bad_value],
        &["bad.toml:3", "`litellm_replicas`"],
    );
    let top = write(d, "top.toml", "descriptoin = \"typo\"\n");
    refused_new(&["--preset", &top], &["top.toml:1", "descriptoin"]);
    let not_pin = write(d, "pin.toml", "[pins]\nnamespace = \"x\"\n");
    refused_new(&["--preset", &not_pin], &["pin.toml:2", "not a pin"]);
    let bad_sha = write(
        d,
        "sha.toml",
        "[pins.actions]\n\"actions/checkout\" = { sha = \"abc\", version = \"v6\" }\n",
    );
    refused_new(&["--preset", &bad_sha], &["sha.toml:2", "40-character"]);
    let owner = write(d, "own.toml", "[ownership]\n\"nope.txt\" = \"managed\"\n");
    refused_new(&["--preset", &owner], &["own.toml:2", "nope.txt"]);
    refused_new(
        &["--preset", "no-such-preset"],
        &[
            "preset `no-such-preset` not found",
            "default, example-org, hetzner-ha",
        ],
    );
}

#[test]
fn extends_cycle_is_refused() {
    let tmp = tempfile::TempDir::new().unwrap();
    write(tmp.path(), "a.toml", "extends = \"./b.toml\"\n");
    write(tmp.path(), "b.toml", "extends = \"./a.toml\"\n");
    let a = tmp.path().join("a.toml").display().to_string();
    refused_new(&["--preset", &a, "--yes"], &["cycle", "a -> b -> a"]);
}

#[test]
fn answers_file_errors_name_file_and_line() {
    let tmp = tempfile::TempDir::new().unwrap();
    let answers = write(
        tmp.path(),
        "answers.toml",
        "org_name = \"A\"\n\nzone = \"x\"\n",
    );
    refused_new(
        &["--yes", "--answers", &answers],
        &["answers.toml:3", "unknown question `zone`"],
    );
    let bad = write(tmp.path(), "bad.toml", "namespace = \"UPPER\"\n");
    refused_new(
        &["--yes", "--answers", &bad],
        &["bad.toml:1", "`namespace`", "UPPER"],
    );
    refused_new(
        &["--yes", "--answers", "/no/such/answers.toml"],
        &["/no/such/answers.toml"],
    );
}

#[test]
fn target_must_be_empty_or_absent() {
    let tmp = tempfile::TempDir::new().unwrap();
    let file = write(tmp.path(), "afile", "x");
    Run::new(["new", &file, "--yes"]).refused(&["not a folder"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    let full = tmp.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep"), "k").unwrap();
    Run::new(["new", full.to_str().unwrap(), "--yes"]).refused(&["not empty", "--force"]);
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1);
}

#[test]
fn force_never_writes_through_a_symlink_out_of_the_target() {
    let tmp = tempfile::TempDir::new().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let dir = tmp.path().join("g");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("k8s")).unwrap();
    Run::new(["new", dir.to_str().unwrap(), "--yes", "--force"]).refused(&["symlink"]);
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside"
    );
    // Every path is checked before the first write: nothing else appeared either.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("k8s")]);
}

#[test]
fn usage_errors_exit_2() {
    Run::new(["new"]).refused(&["DIR"]);
    Run::new(["frobnicate"]).refused(&["frobnicate"]);
    Run::new(["presets", "list", "--format", "yaml"]).refused(&["yaml"]);
}
