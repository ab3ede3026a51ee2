use crate::support::{Repo, Run};

#[test]
fn list_as_json_names_every_builtin() {
    let out = Run::new(["presets", "list", "--format", "json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "example-org", "hetzner-ha"]);
    for p in list.as_array().unwrap() {
        assert_eq!(p["source"], "builtin");
        assert!(!p["description"].as_str().unwrap().is_empty());
    }
    let text = Run::new(["presets", "list"]).ok();
    assert!(text.stdout.contains("hetzner-ha") && text.stdout.contains("builtin"));
}

#[test]
fn show_applies_extends_and_records_who_locked_what() {
    let out = Run::new(["presets", "show", "example-org", "--format", "json"]).ok();
    let shown: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        shown["chain"],
        serde_json::json!(["default", "hetzner-ha", "example-org"])
    );
    assert_eq!(shown["locked"]["license"], "example-org");
    // From hetzner-ha, overridden by nothing below it:
    assert_eq!(shown["answers"]["litellm_replicas"], 3);
    // From example-org, over default and hetzner-ha:
    assert_eq!(shown["answers"]["hetzner_location"], "fsn1");
    // From default, inherited through two levels:
    assert!(
        shown["answers"]["postgres_image"]
            .as_str()
            .unwrap()
            .contains("@sha256:97ff59a4")
    );
    assert_eq!(shown["ownership"]["SECURITY.md"], "managed");
    // The template's Action pins where the preset names none.
    assert_eq!(shown["actions"]["actions/setup-python"]["version"], "v6");
}

#[test]
fn the_shown_preset_is_a_preset_file_that_makes_the_same_repo() {
    let tmp = tempfile::TempDir::new().unwrap();
    for name in ["default", "example-org"] {
        let out = Run::new(["presets", "show", name]).ok();
        let file = tmp.path().join(format!("{name}-saved.toml"));
        std::fs::write(&file, &out.stdout).unwrap();
        let saved = Repo::new(file.to_str().unwrap(), &[]);
        let builtin = Repo::new(name, &[]);
        // The README and the lock name the preset; nothing else differs.
        let named = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).replace(
                &format!("preset `{name}-saved`"),
                &format!("preset `{name}`"),
            )
        };
        let saved_files = saved.files();
        let differing: Vec<String> = builtin
            .files()
            .into_iter()
            .filter(|(path, bytes)| {
                path != ".ironplate.toml"
                    && saved_files.get(path).map(|b| named(b)) != Some(named(bytes))
            })
            .map(|(path, _)| path)
            .collect();
        assert!(differing.is_empty(), "{name}: {differing:?}");
    }
}

#[test]
fn hetzner_ha_gets_spread_pods_and_a_budget_that_never_blocks() {
    let repo = Repo::new("hetzner-ha", &[]);
    let hr = repo.object(
        "k8s/apps/litellm/helmrelease.yaml",
        "HelmRelease",
        "litellm",
    );
    let values = &hr["spec"]["values"];
    assert_eq!(values["replicaCount"], 3);
    assert_eq!(values["pdb"]["enabled"], true);
    assert_eq!(values["pdb"]["maxUnavailable"], 1);
    assert!(values["topologySpreadConstraints"].is_array());
    assert!(values["affinity"]["podAntiAffinity"].is_object());
    let patches = hr["spec"]["postRenderers"][0]["kustomize"]["patches"]
        .as_array()
        .unwrap();
    assert!(
        patches
            .iter()
            .any(|p| p["target"]["kind"] == "PodDisruptionBudget"
                && p["patch"].as_str().unwrap().contains("AlwaysAllow"))
    );
    let single = Repo::new("default", &[]);
    let hr = single.object(
        "k8s/apps/litellm/helmrelease.yaml",
        "HelmRelease",
        "litellm",
    );
    assert!(
        hr["spec"]["values"]["pdb"].is_null(),
        "no budget for a single replica"
    );
}

#[test]
fn user_presets_extend_builtins_and_shadow_them() {
    let config = tempfile::TempDir::new().unwrap();
    let dir = config.path().join("ironplate/presets");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("acme.toml"),
        "description = \"Acme\"\nextends = \"hetzner-ha\"\nlocked = [\"domain\"]\n[answers]\norg_name = \"Acme\"\ndomain = \"ai.acme.io\"\n",
    )
    .unwrap();
    let out = Run::new(["presets", "list", "--format", "json"])
        .env("XDG_CONFIG_HOME", config.path())
        .ok();
    assert!(out.stdout.contains("\"acme\"") && out.stdout.contains("\"user\""));
    let tmp = tempfile::TempDir::new().unwrap();
    let target = tmp.path().join("g");
    Run::new(["new", target.to_str().unwrap(), "--preset", "acme", "--yes"])
        .env("XDG_CONFIG_HOME", config.path())
        .ok();
    let lock = std::fs::read_to_string(target.join(".ironplate.toml")).unwrap();
    assert!(lock.contains("org_name = \"Acme\"") && lock.contains("litellm_replicas = 3"));
    Run::new([
        "new",
        tmp.path().join("h").to_str().unwrap(),
        "--preset",
        "acme",
        "--yes",
        "--set",
        "domain=x.acme.io",
    ])
    .env("XDG_CONFIG_HOME", config.path())
    .refused(&["`domain` is locked by preset `acme`"]);
}

#[test]
fn set_beats_answers_file_beats_preset() {
    let tmp = tempfile::TempDir::new().unwrap();
    let answers = tmp.path().join("answers.toml");
    std::fs::write(
        &answers,
        "namespace = \"from-file\"\ncluster_name = \"from-file\"\n",
    )
    .unwrap();
    let repo = Repo::new(
        "default",
        &[
            "--answers",
            answers.to_str().unwrap(),
            "--set",
            "cluster_name=from-set",
        ],
    );
    assert!(repo.exists("k8s/clusters/from-set/gateway.yaml"));
    let ns = repo.object(
        "k8s/apps/litellm-db/namespace.yaml",
        "Namespace",
        "from-file",
    );
    assert_eq!(ns["metadata"]["name"], "from-file");
}
