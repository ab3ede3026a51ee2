//! Upgrades never fight dependabot: pins the owner changed stay the owner's. Every digest, SHA
//! and version below is test data, never shipped in a preset.

use crate::support::Run;
use crate::upgrade::Old;

const OLD_PG: &str = "97ff59a4e30e08d1c11bdcd9455e7832368c0572b576c9092cde2df4ae5552a3";
const OLD_REDIS: &str = "65748f2ea686cb0e37a008cbe7024324db1d84abf57e917e1c2ec92b5e50f602";
const OLD_CHECKOUT: &str = "actions/checkout@df4cb1c069e1874edd31b4311f1884172cec0e10 # v6";

fn test_digest(c: char) -> String {
    c.to_string().repeat(64)
}

/// What dependabot does to a repo made with templates 0.1.0: new digests, a new Action SHA
/// with its comment, a new chart version.
fn dependabot(old: &Old) {
    let pg = old
        .read("k8s/apps/litellm-db/postgres.yaml")
        .replace(OLD_PG, &test_digest('1'));
    old.write("k8s/apps/litellm-db/postgres.yaml", &pg);
    let redis = old
        .read("k8s/apps/litellm-db/redis.yaml")
        .replace(OLD_REDIS, &test_digest('2'));
    old.write("k8s/apps/litellm-db/redis.yaml", &redis);
    let lint = old.read(".github/workflows/lint.yml").replace(
        OLD_CHECKOUT,
        &format!("actions/checkout@{} # v6.0.1-test", "a".repeat(40)),
    );
    old.write(".github/workflows/lint.yml", &lint);
    old.edit(
        "k8s/apps/litellm/ocirepository.yaml",
        "tag: \"1.81.13\"",
        "tag: \"1.81.13-test.1\"",
    );
    old.commit("dependabot");
}

/// The new release changes the same pins (and, through the current templates, other lines of the
/// same files).
fn template_pins(tmp: &std::path::Path) -> Vec<String> {
    let preset = tmp.join("release.toml");
    std::fs::write(
        &preset,
        format!("extends = \"default\"\n[pins.actions]\n\"actions/checkout\" = {{ sha = \"{}\", version = \"v6.9.9-test\" }}\n", "b".repeat(40)),
    )
    .unwrap();
    vec![
        "--preset".into(),
        preset.display().to_string(),
        "--set".into(),
        format!(
            "postgres_image=postgres:16-alpine@sha256:{}",
            test_digest('3')
        ),
        "--set".into(),
        format!("redis_image=redis:7.2-alpine@sha256:{}", test_digest('4')),
        "--set".into(),
        "litellm_chart_version=1.81.13-test.2".into(),
    ]
}

fn pins_of<'a>(report: &'a serde_json::Value, path: &str) -> Vec<&'a serde_json::Value> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path)
        .flat_map(|f| f["pins"].as_array().into_iter().flatten())
        .collect()
}

fn upgrade(old: &Old, extra: &[String]) -> (i32, serde_json::Value) {
    let args: Vec<&str> = extra.iter().map(String::as_str).collect();
    old.upgrade_json(&args)
}

fn assert_owner_pins_kept(old: &Old, report: &serde_json::Value) {
    let pg = old.read("k8s/apps/litellm-db/postgres.yaml");
    assert!(
        pg.contains(&test_digest('1')) && !pg.contains(&test_digest('3')),
        "owner's Postgres digest"
    );
    assert!(
        pg.contains("serviceAccountName: litellm-postgres"),
        "the template's other change in the same file"
    );
    assert!(
        old.read("k8s/apps/litellm-db/redis.yaml")
            .contains(&test_digest('2'))
    );
    let lint = old.read(".github/workflows/lint.yml");
    assert_eq!(
        lint.matches(&format!(
            "actions/checkout@{} # v6.0.1-test",
            "a".repeat(40)
        ))
        .count(),
        2,
        "both uses, with the comment"
    );
    assert!(
        lint.contains("yamllint --strict --format github ."),
        "the template's other change in the same file"
    );
    assert!(
        old.read("k8s/apps/litellm/ocirepository.yaml")
            .contains("tag: \"1.81.13-test.1\"")
    );
    for (path, yours, template) in [
        (
            "k8s/apps/litellm-db/postgres.yaml",
            test_digest('1'),
            test_digest('3'),
        ),
        (
            "k8s/apps/litellm-db/redis.yaml",
            test_digest('2'),
            test_digest('4'),
        ),
        (".github/workflows/lint.yml", "a".repeat(40), "b".repeat(40)),
        (
            "k8s/apps/litellm/ocirepository.yaml",
            "1.81.13-test.1".into(),
            "1.81.13-test.2".into(),
        ),
    ] {
        let pins = pins_of(report, path);
        assert!(!pins.is_empty(), "{path}: pin reported");
        for pin in pins {
            assert_eq!(pin["kept"], "yours");
            assert!(
                pin["yours"].as_str().unwrap().contains(&yours),
                "{path}: {pin}"
            );
            assert!(
                pin["template"].as_str().unwrap().contains(&template),
                "{path}: {pin}"
            );
        }
    }
}

#[test]
fn dependabot_pins_survive_a_release_that_changes_the_same_pins() {
    let tmp = tempfile::TempDir::new().unwrap();
    let old = Old::new("default");
    dependabot(&old);
    let (code, report) = upgrade(&old, &template_pins(tmp.path()));
    assert_eq!(code, 0, "pins are never conflicts: {report:#}");
    assert_eq!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "k8s/apps/litellm-db/postgres.yaml")
            .unwrap()["action"],
        "merged"
    );
    assert_owner_pins_kept(&old, &report);
    // In text too.
    let old = Old::new("default");
    dependabot(&old);
    let args = template_pins(tmp.path());
    let mut run: Vec<&str> = vec!["upgrade", old.root.to_str().unwrap()];
    run.extend(args.iter().map(String::as_str));
    let out = Run::new(&run).ok();
    assert!(
        out.stdout.contains(&format!(
            "pin kept: yours postgres:16-alpine@sha256:{}, template postgres:16-alpine@sha256:{}",
            test_digest('1'),
            test_digest('3')
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn take_template_pins_makes_the_releases_pins_win() {
    let tmp = tempfile::TempDir::new().unwrap();
    let old = Old::new("default");
    dependabot(&old);
    let mut args = template_pins(tmp.path());
    args.push("--take-template-pins".into());
    let (code, report) = upgrade(&old, &args);
    assert_eq!(code, 0);
    let pg = old.read("k8s/apps/litellm-db/postgres.yaml");
    assert!(pg.contains(&test_digest('3')) && !pg.contains(&test_digest('1')));
    assert_eq!(
        old.read(".github/workflows/lint.yml")
            .matches(&"b".repeat(40))
            .count(),
        2
    );
    assert!(
        old.read("k8s/apps/litellm/ocirepository.yaml")
            .contains("1.81.13-test.2")
    );
    let pins = pins_of(&report, "k8s/apps/litellm-db/postgres.yaml");
    assert_eq!(pins[0]["kept"], "template", "still reported");
}

#[test]
fn pins_are_found_where_the_owner_moved_them() {
    let tmp = tempfile::TempDir::new().unwrap();
    let old = Old::new("default");
    dependabot(&old);
    // The owner reorders the container's keys and adds lines around the pins.
    let image_line = format!(
        "          image: \"postgres:16-alpine@sha256:{}\"\n",
        test_digest('1')
    );
    old.edit(
        "k8s/apps/litellm-db/postgres.yaml",
        &format!("        - name: postgres\n{image_line}"),
        &format!(
            "        # bumped by dependabot\n        - {}\n          name: postgres\n",
            image_line.trim_start()
        ),
    );
    old.edit(
        "k8s/apps/litellm/ocirepository.yaml",
        "  ref:\n",
        "  ref:\n    # pinned by the platform team\n",
    );
    old.commit("reorder");
    let (code, report) = upgrade(&old, &template_pins(tmp.path()));
    assert_eq!(code, 0, "{report:#}");
    assert_owner_pins_kept(&old, &report);
    assert!(
        old.read("k8s/apps/litellm-db/postgres.yaml")
            .contains("# bumped by dependabot")
    );
}

#[test]
fn a_real_conflict_beside_a_pin_is_still_a_conflict() {
    let tmp = tempfile::TempDir::new().unwrap();
    let old = Old::new("default");
    dependabot(&old);
    old.edit(
        "k8s/apps/litellm-db/postgres.yaml",
        "      serviceAccountName: litellm-db\n",
        "      serviceAccountName: our-db\n",
    );
    old.commit("own service account");
    let (code, report) = upgrade(&old, &template_pins(tmp.path()));
    assert_eq!(code, 1);
    let entry = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "k8s/apps/litellm-db/postgres.yaml")
        .unwrap();
    assert_eq!(entry["action"], "conflict");
    let pg = old.read("k8s/apps/litellm-db/postgres.yaml");
    assert!(
        pg.contains("<<<<<<< yours\n      serviceAccountName: our-db\n"),
        "{pg}"
    );
    assert!(
        pg.contains(&test_digest('1')) && !pg.contains(&test_digest('3')),
        "the pin decision still holds"
    );
}
