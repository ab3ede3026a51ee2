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

// Cases found by trying to break `new` on purpose; each stands for its whole kind.

#[test]
fn values_yaml_would_read_as_numbers_or_dates_are_quoted() {
    use crate::support::Repo;
    let repo = Repo::new(
        "default",
        &[
            "--set",
            "project_name=0b101",
            "--set",
            "namespace=2024-01-01",
            "--set",
            "models=0b1=openai/0x10",
            "--set",
            "postgres_image=postgres:2024-01-01",
        ],
    );
    let ns = repo.read("k8s/apps/litellm-db/namespace.yaml");
    assert!(
        ns.contains("  name: \"2024-01-01\"\n") && ns.contains("part-of: \"0b101\"\n"),
        "{ns}"
    );
    let cm = repo.read("k8s/apps/litellm/configmap.yaml");
    assert!(
        cm.contains("model_name: \"0b1\"") && cm.contains("model: openai/0x10\n"),
        "{cm}"
    );
    assert!(
        repo.read("k8s/apps/litellm-db/postgres.yaml")
            .contains("app.kubernetes.io/version: \"2024-01-01\"")
    );
}

#[test]
fn characters_yaml_cannot_hold_are_refused() {
    refused_new(
        &["--yes", "--set", "org_name=A\u{ffff}B"],
        &["`org_name`", "non-printable"],
    );
    refused_new(
        &["--yes", "--set", "org_name=A\u{1b}]0;x\u{7}"],
        &["`org_name`", "\\u{1b}"],
    );
}

#[test]
fn action_pins_must_be_plain_tags() {
    let tmp = tempfile::TempDir::new().unwrap();
    let p = write(
        tmp.path(),
        "p.toml",
        "extends = \"default\"\n[pins.actions]\n\"actions/checkout\" = { version = \"v1:\" }\n",
    );
    refused_new(&["--preset", &p, "--yes"], &["p.toml:3", "release tag"]);
    let q = write(
        tmp.path(),
        "q.toml",
        "[pins.actions]\n\"actions/check out\" = { version = \"v1\" }\n",
    );
    refused_new(
        &["--preset", &q, "--yes"],
        &["q.toml:2", "not a GitHub Action name"],
    );
}

#[test]
fn a_symlinked_temp_file_never_sends_a_write_outside() {
    let tmp = tempfile::TempDir::new().unwrap();
    let victim = write(tmp.path(), "victim", "ORIGINAL");
    let dir = tmp.path().join("g");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join(".README.md.ironplate-tmp")).unwrap();
    Run::new(["new", dir.to_str().unwrap(), "--yes", "--force"]).ok();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "ORIGINAL");
    let readme = std::fs::symlink_metadata(dir.join("README.md")).unwrap();
    assert!(
        readme.file_type().is_file(),
        "a regular file, not a symlink"
    );
}

#[test]
fn a_failed_write_leaves_the_target_as_it_was() {
    // A path whose files fit PATH_MAX (4095) but whose temporary siblings do not: the
    // staging of a k8s/ file fails after README.md was staged.
    let tmp = tempfile::TempDir::new().unwrap();
    let longest = "/k8s/apps/litellm-db/litellm-db-secret.example.yaml".len();
    let mut dir = tmp.path().join("new-a").join("new-b");
    while dir.as_os_str().len() + 101 + longest < 4090 {
        dir.push("x".repeat(100));
    }
    let pad = 4090 - longest - dir.as_os_str().len() - 1;
    dir.push("y".repeat(pad));
    // An existing target with one file of the owner's, written over with --force.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "MINE").unwrap();
    let out = Run::new([
        "new",
        dir.to_str().unwrap(),
        "--yes",
        "--force",
        "--set",
        "project_name=g",
    ])
    .run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("File name too long") || out.stderr.contains("name too long"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "MINE"
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("README.md")],
        "staging undone"
    );
    // Without --force into a fresh deep path: the folders it created are gone again.
    let fresh = tmp.path().join("fresh-a").join(
        dir.strip_prefix(tmp.path())
            .unwrap()
            .strip_prefix("new-a")
            .unwrap(),
    );
    let out = Run::new([
        "new",
        fresh.to_str().unwrap(),
        "--yes",
        "--set",
        "project_name=g",
    ])
    .run();
    assert_eq!(out.code, 2);
    assert!(
        !tmp.path().join("fresh-a").exists(),
        "no folder left behind"
    );
}

#[test]
fn dot_dot_inside_the_target_path_is_refused() {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = format!("{}/y/../z", tmp.path().display());
    Run::new(["new", &dir, "--yes"]).refused(&["`..`"]);
    assert!(!tmp.path().join("y").exists() && !tmp.path().join("z").exists());
}

#[test]
fn output_that_cannot_be_written_is_an_error_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = std::process::Command::new(crate::support::bin())
        .args(["presets", "list"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard output"));
    // A reader that goes away early (`| head -1`) ends the output quietly.
    let mut child = std::process::Command::new(crate::support::bin())
        .args(["completions", "zsh"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        status.code() == Some(0) && !stderr.contains("panicked"),
        "{status:?} {stderr}"
    );
}

#[test]
fn input_files_that_are_not_regular_files_are_refused() {
    refused_new(
        &["--yes", "--answers", "/dev/zero"],
        &["/dev/zero", "not a regular file"],
    );
    let tmp = tempfile::TempDir::new().unwrap();
    let fifo = tmp.path().join("fifo.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    refused_new(
        &["--yes", "--preset", fifo.to_str().unwrap()],
        &["not a regular file"],
    );
    let big = write(
        tmp.path(),
        "big.toml",
        &format!("description = \"{}\"\n", "x".repeat(2 << 20)),
    );
    refused_new(&["--yes", "--preset", &big], &["too large"]);
}

#[test]
fn cycles_are_found_whatever_the_spelling_of_the_path() {
    let tmp = tempfile::TempDir::new().unwrap();
    let pr = tmp.path().join("pr");
    std::fs::create_dir(&pr).unwrap();
    let p = write(&pr, "self3.toml", "extends = \"../pr/self3.toml\"\n");
    refused_new(&["--yes", "--preset", &p], &["cycle", "self3 -> self3"]);
}

#[test]
fn a_user_preset_may_shadow_and_extend_the_builtin_of_its_name() {
    let config = tempfile::TempDir::new().unwrap();
    let dir = config.path().join("ironplate/presets");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("default.toml"),
        "description = \"ours\"\nextends = \"default\"\n[answers]\norg_name = \"Ours\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("broken.toml"), "[answers\n").unwrap();
    let tmp = tempfile::TempDir::new().unwrap();
    let target = tmp.path().join("g");
    Run::new(["new", target.to_str().unwrap(), "--yes"])
        .env("XDG_CONFIG_HOME", config.path())
        .ok();
    assert!(
        std::fs::read_to_string(target.join("LICENSE"))
            .unwrap()
            .contains("Copyright (c) Ours")
    );
    // One broken preset is listed as broken; the others still are listed.
    let out = Run::new(["presets", "list", "--format", "json"])
        .env("XDG_CONFIG_HOME", config.path())
        .run();
    assert_eq!(out.code, 1, "listed, but needs attention");
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let broken = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "broken")
        .unwrap();
    assert!(broken["error"].as_str().unwrap().contains("broken.toml:1"));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "hetzner-ha" && p["error"].is_null())
    );
}

#[test]
fn messages_point_at_the_right_line_and_say_what_is_wrong() {
    let tmp = tempfile::TempDir::new().unwrap();
    let twice = write(
        tmp.path(),
        "twice.toml",
        "description = \"\"\"\norg_name = trap\n\"\"\"\n[answers]\npostgres_image = \"postgres:16\"\n[pins]\npostgres_image = \"postgres\"\n",
    );
    refused_new(
        &["--yes", "--preset", &twice],
        &["twice.toml:7", "needs a tag"],
    );
    let typed = write(tmp.path(), "typed.toml", "[answers]\norg_name = 5\n");
    refused_new(
        &["--yes", "--preset", &typed],
        &["typed.toml:2", "expected a string"],
    );
    let out = Run::new([
        "new",
        tmp.path().join("o").to_str().unwrap(),
        "--yes",
        "--set",
        "\u{1b}]0;pwned\u{7}x=1",
    ])
    .run();
    assert_eq!(out.code, 2);
    assert!(
        !out.stderr.contains('\u{1b}') && out.stderr.contains("\\u{1b}"),
        "{}",
        out.stderr
    );
    // A folder name that is no valid project name: the message says so.
    let bad_dir = tmp.path().join("MyGW");
    let bare = write(tmp.path(), "bare.toml", "extends = \"default\"\n");
    Run::new(["new", bad_dir.to_str().unwrap(), "--yes", "--preset", &bare])
        .refused(&["project_name", "default \"MyGW\" is not valid"]);
}

#[test]
fn odd_values_that_pass_a_loose_check_are_refused() {
    for (set, needle) in [
        ("domain=1.2.3.4", "`domain`"),
        ("postgres_image=.io/pg:1", "`postgres_image`"),
        ("postgres_image=host:99999999/pg:1", "`postgres_image`"),
        ("models=openai//x", "invalid model id"),
        ("models=-=openai/x", "invalid alias"),
        ("models=openai/a/b/", "invalid model id"),
    ] {
        refused_new(&["--yes", "--set", set], &[needle]);
    }
}
