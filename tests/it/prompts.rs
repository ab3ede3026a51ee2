//! Real prompts through a real pseudo-terminal (rexpect): what a person at a terminal sees.

use std::process::Command;

use crate::support::bin;

const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
const BACKSPACE: &str = "\x7f";

#[test]
fn answers_real_prompts_in_a_terminal() {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("pty-gateway");
    let mut cmd = Command::new(bin());
    cmd.args(["new", dir.to_str().unwrap(), "--preset", "default"])
        .env("XDG_CONFIG_HOME", tmp.path())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();

    p.exp_string("Project name").unwrap();
    p.send_line("").unwrap(); // default: the folder's name
    p.exp_string("Organisation name").unwrap();
    p.send_line("PTY Org").unwrap();
    p.exp_string("GitHub organisation").unwrap();
    p.send_line("").unwrap(); // the preset's example-org
    p.exp_string("Cluster name").unwrap();
    p.send_line("Staging").unwrap();
    // Invalid: the prompt says why and asks again; nothing is accepted.
    p.exp_string("DNS-1123").unwrap();
    p.send(&BACKSPACE.repeat(7)).unwrap();
    p.send_line("staging").unwrap();
    for prompt in [
        "Namespace for LiteLLM",
        "Public host name",
        "Namespace of the ingress",
        "IngressClass",
    ] {
        p.exp_string(prompt).unwrap();
        p.send_line("").unwrap();
    }
    p.exp_string("Hetzner location").unwrap();
    p.send(DOWN).unwrap(); // fsn1 -> nbg1
    p.send_line("").unwrap();
    p.exp_string("Licence").unwrap();
    p.send_line("").unwrap();
    for prompt in [
        "E-mail for vulnerability reports",
        "Code owners",
        "Models to serve",
        "LiteLLM replicas",
        "litellm-helm chart version",
        "LiteLLM image override",
        "Postgres image",
        "Redis image",
        "Postgres volume size",
        "Redis volume size",
    ] {
        p.exp_string(prompt).unwrap();
        p.send_line("").unwrap();
    }
    p.exp_string("How secrets reach the cluster").unwrap();
    p.send(UP).unwrap();
    p.send(UP).unwrap(); // manual -> sops
    p.send_line("").unwrap();
    // Asked only because sops was chosen:
    p.exp_string("age public key").unwrap();
    p.send_line("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
        .unwrap();
    p.exp_string("SonarQube Cloud").unwrap();
    p.send_line("y").unwrap();
    p.exp_string("wrote").unwrap();
    p.exp_eof().unwrap();

    let lock: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join(".ironplate.toml")).unwrap()).unwrap();
    let answers = &lock["answers"];
    assert_eq!(answers["project_name"].as_str(), Some("pty-gateway"));
    assert_eq!(answers["org_name"].as_str(), Some("PTY Org"));
    assert_eq!(answers["github_org"].as_str(), Some("example-org"));
    assert_eq!(answers["cluster_name"].as_str(), Some("staging"));
    assert_eq!(answers["hetzner_location"].as_str(), Some("nbg1"));
    assert_eq!(answers["secrets_backend"].as_str(), Some("sops"));
    assert_eq!(answers["sonarcloud"].as_bool(), Some(true));
    assert!(dir.join(".sops.yaml").exists());
    assert!(dir.join("k8s/clusters/staging/gateway.yaml").exists());
}

#[test]
fn locked_answers_are_not_prompted_and_ctrl_c_writes_nothing() {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("g");
    let mut cmd = Command::new(bin());
    cmd.args(["new", dir.to_str().unwrap(), "--preset", "example-org"])
        .env("XDG_CONFIG_HOME", tmp.path())
        .env("TERM", "xterm-256color");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    for prompt in [
        "Project name",
        "Organisation name",
        "GitHub organisation",
        "Cluster name",
        "Namespace for",
        "Public host",
        "Namespace of the ingress",
        "IngressClass",
        "Hetzner location",
    ] {
        p.exp_string(prompt).unwrap();
        p.send_line("").unwrap();
    }
    // `license` and `security_contact` are locked by the preset: the next prompt is Code owners.
    let seen = p.exp_string("Code owners").unwrap();
    assert!(
        !seen.contains("Licence") && !seen.contains("E-mail"),
        "{seen}"
    );
    p.send_control('c').unwrap();
    p.exp_eof().unwrap();
    assert!(!dir.exists(), "cancelled: nothing written");
}

#[test]
fn adopt_offers_what_the_repo_says_as_the_defaults() {
    let (_tmp, dir) = crate::audit::copy_fixture("pre");
    let config = tempfile::TempDir::new().unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(["adopt", dir.to_str().unwrap()])
        .env("XDG_CONFIG_HOME", config.path())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    // The part-of label of the owner's Namespace, offered as the default.
    p.exp_string("Project name").unwrap();
    p.exp_string("litellm-hetzner-k8s-boilerplate").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Organisation name").unwrap();
    p.send_line("Owner Org").unwrap();
    for prompt in [
        "GitHub organisation",
        "Cluster name",
        "Namespace for LiteLLM",
        "Public host name",
        "Namespace of the ingress",
        "IngressClass",
        "Hetzner location",
        "Licence",
        "E-mail for vulnerability reports",
        "Code owners",
    ] {
        p.exp_string(prompt).unwrap();
        p.send_line("").unwrap();
    }
    // The owner's model list, read from their proxy config.
    p.exp_string("Models to serve").unwrap();
    // The terminal wraps at 80 columns.
    p.exp_string("(openai/gpt-4o-mini,claude-3-5-sonnet=anthropic/claude-3-5-son")
        .unwrap();
    p.send_control('c').unwrap();
    p.exp_eof().unwrap();
    assert!(
        !dir.join(".ironplate.toml").exists(),
        "cancelled: nothing written"
    );
    assert!(!dir.join("LICENSE").exists());
}
