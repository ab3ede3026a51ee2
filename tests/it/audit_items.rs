//! One check per item of the human audit (`../shared/fixtures/real-repo/post/MAINTENANCE_AUDIT.md`),
//! checked or not, showing where a generated repo satisfies it. Repository-settings items
//! (Dependabot alerts, creating the SonarQube Cloud project) cannot live in files: excepted.

use serde_json::Value as Json;

use crate::support::Repo;

type Check = fn(&Repo);

/// (audit line, where the generated repo satisfies it)
const ITEMS: &[(&str, Check)] = &[
    (
        "dependabot.yml with docker ecosystem for k8s/apps/litellm-db",
        |r| {
            let d = &r.docs(".github/dependabot.yml")[0];
            let docker = updates(d, "docker");
            assert!(
                docker["directories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == "/k8s/apps/litellm-db")
            );
            for image_dir in dirs_with_raw_images(r) {
                assert!(
                    docker["directories"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|x| x == &format!("/{image_dir}")),
                    "{image_dir}"
                );
            }
            assert!(docker["schedule"]["interval"].is_string() && docker["groups"].is_object());
            assert!(docker["commit-message"]["prefix"].is_string() && docker["labels"].is_array());
        },
    ),
    ("dependabot.yml with github-actions ecosystem", |r| {
        let d = &r.docs(".github/dependabot.yml")[0];
        assert_eq!(updates(d, "github-actions")["directory"], "/");
    }),
    ("Helm chart version pinned to exact semver", |r| {
        let src = r.object(
            "k8s/apps/litellm/ocirepository.yaml",
            "OCIRepository",
            "litellm-helm",
        );
        assert_eq!(src["spec"]["ref"]["tag"], "1.81.13");
        let hr = r.object(
            "k8s/apps/litellm/helmrelease.yaml",
            "HelmRelease",
            "litellm",
        );
        assert_eq!(hr["spec"]["chartRef"]["name"], "litellm-helm");
        assert!(
            hr["spec"]["chart"].is_null(),
            "chartRef or chart, never both"
        );
    }),
    ("postgres:16-alpine pinned to SHA256 digest", |r| {
        assert!(
            container(r, "k8s/apps/litellm-db/postgres.yaml", "litellm-postgres")["image"]
                .as_str()
                .unwrap()
                .starts_with("postgres:16-alpine@sha256:97ff59a4")
        );
    }),
    ("redis:7.2-alpine pinned to SHA256 digest", |r| {
        assert!(
            container(r, "k8s/apps/litellm-db/redis.yaml", "litellm-redis")["image"]
                .as_str()
                .unwrap()
                .starts_with("redis:7.2-alpine@sha256:65748f2e")
        );
    }),
    (
        "SECURITY.md with reporting policy, supported versions, security practices",
        |r| {
            let s = r.read("SECURITY.md");
            for part in [
                "## Reporting a vulnerability",
                "security@example.com",
                "## Supported versions",
                "## What protects this deployment",
            ] {
                assert!(s.contains(part), "{part}");
            }
        },
    ),
    ("KubeLinter CI workflow", |r| {
        let wf = &r.docs(".github/workflows/security.yml")[0];
        assert!(
            step_uses(&wf["jobs"]["kube-linter"])
                .iter()
                .any(|u| u.starts_with("stackrox/kube-linter-action@"))
        );
    }),
    (
        ".kube-linter config naming its checks (all that apply), omissions explained",
        |r| {
            let text = r.read(".kube-linter.yaml");
            let cfg = &r.docs(".kube-linter.yaml")[0];
            assert_eq!(cfg["checks"]["doNotAutoAddDefaults"], true);
            let include: Vec<&str> = cfg["checks"]["include"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            for check in [
                "run-as-non-root",
                "no-read-only-root-fs",
                "privilege-escalation-container",
                "unset-cpu-requirements",
                "non-isolated-pod",
                "pdb-min-available",
            ] {
                assert!(include.contains(&check), "{check}");
            }
            for omitted in ["no-rolling-update-strategy", "required-label-owner"] {
                assert!(
                    !include.contains(&omitted) && text.contains(&format!("#   {omitted}")),
                    "{omitted}: no reason given"
                );
            }
            let wf = r.read(".github/workflows/security.yml");
            assert!(wf.contains("config: .kube-linter.yaml"));
        },
    ),
    (
        "Trivy workflow for container image vulnerability scanning",
        |r| {
            let wf = &r.docs(".github/workflows/security.yml")[0];
            let job = &wf["jobs"]["trivy-images"];
            assert!(
                step_uses(job)
                    .iter()
                    .any(|u| u.starts_with("aquasecurity/trivy-action@"))
            );
            assert!(
                step_uses(job)
                    .iter()
                    .any(|u| u.starts_with("github/codeql-action/upload-sarif@"))
            );
            assert_eq!(
                job["strategy"]["matrix"]["image"].as_array().unwrap().len(),
                2
            );
        },
    ),
    (
        "sonar-project.properties targeting k8s/ (when sonarcloud)",
        |_| {
            let r = Repo::new("example-org", &[]);
            let p = r.read("sonar-project.properties");
            assert!(
                p.contains("sonar.sources=k8s/") && p.contains("sonar.organization=example-org")
            );
        },
    ),
    (
        "SonarQube scan step in CI with SONAR_TOKEN (when sonarcloud)",
        |_| {
            let r = Repo::new("example-org", &[]);
            let wf = &r.docs(".github/workflows/sonar.yml")[0];
            let steps = wf["jobs"]["sonar"]["steps"].as_array().unwrap();
            let scan = steps
                .iter()
                .find(|s| {
                    s["uses"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("SonarSource/sonarqube-scan-action@"))
                })
                .unwrap();
            assert_eq!(scan["env"]["SONAR_TOKEN"], "${{ secrets.SONAR_TOKEN }}");
        },
    ),
    ("no hardcoded secrets, API keys or credentials", |r| {
        for (path, bytes) in r.files() {
            let text = String::from_utf8(bytes).unwrap();
            assert!(!holds_key(&text), "{path} holds what looks like a key");
        }
        for (path, obj) in r.all_objects() {
            if obj["kind"] == "Secret" {
                assert!(
                    path.ends_with(".example.yaml"),
                    "{path}: a real Secret in git"
                );
            }
        }
    }),
    (".gitignore excludes the real secret manifests", |r| {
        let ignore = r.read(".gitignore");
        for example in r.files().keys().filter(|p| p.ends_with(".example.yaml")) {
            let real = example.replace(".example.yaml", ".yaml");
            assert!(ignore.lines().any(|l| l == real), "{real} not ignored");
        }
    }),
    (
        "example secrets hold placeholders only, with a clear warning",
        |r| {
            for path in r.files().keys().filter(|p| p.ends_with(".example.yaml")) {
                let text = r.read(path);
                assert!(
                    text.starts_with("# EXAMPLE ONLY - DO NOT COMMIT REAL VALUES."),
                    "{path}"
                );
                let secret = &r.docs(path)[0];
                for (key, value) in secret["stringData"].as_object().unwrap() {
                    let v = value.as_str().unwrap();
                    assert!(
                        v == "REPLACE_ME" || ["username", "database"].contains(&key.as_str()),
                        "{path} {key}={v}"
                    );
                }
            }
        },
    ),
    (
        "sensitive values from Secrets (files, secretKeyRef, os.environ/), never literals",
        |r| {
            for name in ["litellm-postgres", "litellm-redis"] {
                let file = format!(
                    "k8s/apps/litellm-db/{}.yaml",
                    name.trim_start_matches("litellm-")
                );
                let c = container(r, &file, name);
                for env in c["env"].as_array().map(Vec::as_slice).unwrap_or_default() {
                    let n = env["name"].as_str().unwrap();
                    assert!(
                        !n.contains("PASSWORD") || n.ends_with("_FILE"),
                        "{name}: {n} as a literal env"
                    );
                }
            }
            let cfg = r.read("k8s/apps/litellm/configmap.yaml");
            assert!(
                cfg.contains("master_key: os.environ/PROXY_MASTER_KEY")
                    && cfg.contains("password: os.environ/REDIS_PASSWORD")
            );
            assert!(cfg.contains("api_key: os.environ/OPENAI_API_KEY"));
        },
    ),
    (
        "pod securityContext (runAsNonRoot, runAsUser, fsGroup) on Postgres and Redis",
        |r| {
            for (file, name) in DB_WORKLOADS {
                let pod = &pod_spec(r, file, name)["securityContext"];
                assert_eq!(pod["runAsNonRoot"], true);
                assert!(
                    pod["runAsUser"].as_i64().unwrap() >= 10000,
                    "checkov CKV_K8S_40"
                );
                assert!(pod["fsGroup"].as_i64().is_some());
            }
        },
    ),
    (
        "container securityContext: drop ALL, no privilege escalation",
        |r| {
            for (file, name) in DB_WORKLOADS {
                let sc = &container(r, file, name)["securityContext"];
                assert_eq!(sc["allowPrivilegeEscalation"], false);
                assert_eq!(sc["capabilities"]["drop"][0], "ALL");
            }
            let hr = r.object(
                "k8s/apps/litellm/helmrelease.yaml",
                "HelmRelease",
                "litellm",
            );
            let sc = &hr["spec"]["values"]["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false);
            assert_eq!(sc["capabilities"]["drop"][0], "ALL");
        },
    ),
    (
        "CPU/memory requests and limits on Postgres and Redis (and LiteLLM)",
        |r| {
            for (file, name) in DB_WORKLOADS {
                let res = &container(r, file, name)["resources"];
                for k in ["requests", "limits"] {
                    assert!(
                        res[k]["cpu"].is_string() && res[k]["memory"].is_string(),
                        "{name} {k}"
                    );
                }
            }
            let hr = r.object(
                "k8s/apps/litellm/helmrelease.yaml",
                "HelmRelease",
                "litellm",
            );
            assert!(hr["spec"]["values"]["resources"]["limits"]["memory"].is_string());
        },
    ),
    (
        "NetworkPolicy: Postgres 5432 and Redis 6379 reachable from LiteLLM only",
        |r| {
            let np = "k8s/apps/litellm-db/networkpolicy.yaml";
            let pg = r.object(np, "NetworkPolicy", "litellm-postgres-ingress");
            assert_eq!(pg["spec"]["ingress"][0]["ports"][0]["port"], 5432);
            assert_eq!(
                pg["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
                "litellm"
            );
            let rd = r.object(np, "NetworkPolicy", "litellm-redis-ingress");
            assert_eq!(rd["spec"]["ingress"][0]["ports"][0]["port"], 6379);
            assert_eq!(
                rd["spec"]["ingress"][0]["from"].as_array().unwrap().len(),
                1
            );
            let deny = r.object(np, "NetworkPolicy", "default-deny-all");
            assert_eq!(
                deny["spec"]["policyTypes"],
                serde_json::json!(["Ingress", "Egress"])
            );
            let ing = r.object(np, "NetworkPolicy", "litellm-ingress");
            assert_eq!(
                ing["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
                "ingress-nginx"
            );
            assert_eq!(ing["spec"]["ingress"][0]["ports"][0]["port"], 4000);
        },
    ),
    ("Redis AUTH on, password from the Secret (as a file)", |r| {
        let cfg = r.object(
            "k8s/apps/litellm-db/redis.yaml",
            "ConfigMap",
            "litellm-redis-config",
        );
        assert!(
            cfg["data"]["redis.conf"]
                .as_str()
                .unwrap()
                .contains("include /run/redis-auth/auth.conf")
        );
        let c = container(r, "k8s/apps/litellm-db/redis.yaml", "litellm-redis");
        assert!(c["command"][2].as_str().unwrap().contains("requirepass"));
        let pod = pod_spec(r, "k8s/apps/litellm-db/redis.yaml", "litellm-redis");
        let vols = pod["volumes"].as_array().unwrap();
        assert!(
            vols.iter()
                .any(|v| v["secret"]["items"][0]["key"] == "redis-password")
        );
    }),
    ("LiteLLM config and HelmRelease pass REDIS_PASSWORD", |r| {
        let hr = r.object(
            "k8s/apps/litellm/helmrelease.yaml",
            "HelmRelease",
            "litellm",
        );
        let env = hr["spec"]["values"]["extraEnvVars"].as_array().unwrap();
        let pw = env.iter().find(|e| e["name"] == "REDIS_PASSWORD").unwrap();
        assert_eq!(pw["valueFrom"]["secretKeyRef"]["key"], "redis-password");
        assert!(
            env.iter()
                .any(|e| e["name"] == "REDIS_PORT" && e["value"] == "6379")
        );
    }),
    (
        "PodDisruptionBudgets for Postgres and Redis that never block a drain",
        |r| {
            for name in ["litellm-postgres", "litellm-redis"] {
                let pdb = r.object(
                    "k8s/apps/litellm-db/poddisruptionbudgets.yaml",
                    "PodDisruptionBudget",
                    name,
                );
                assert_eq!(pdb["spec"]["maxUnavailable"], 1);
                assert!(pdb["spec"]["minAvailable"].is_null());
                assert_eq!(pdb["spec"]["unhealthyPodEvictionPolicy"], "AlwaysAllow");
            }
        },
    ),
    (
        "readOnlyRootFilesystem with writable mounts where needed",
        |r| {
            for (file, name, writable) in [
                (
                    "k8s/apps/litellm-db/postgres.yaml",
                    "litellm-postgres",
                    &["/var/run/postgresql", "/tmp", "/var/lib/postgresql/data"][..],
                ),
                (
                    "k8s/apps/litellm-db/redis.yaml",
                    "litellm-redis",
                    &["/tmp", "/data", "/run/redis-auth"][..],
                ),
            ] {
                let c = container(r, file, name);
                assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
                let mounts: Vec<&str> = c["volumeMounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["mountPath"].as_str().unwrap())
                    .collect();
                for w in writable {
                    assert!(mounts.contains(w), "{name}: {w}");
                }
            }
            assert!(
                r.read("README.md")
                    .contains("**LiteLLM's root filesystem stays writable.**"),
                "the exception is documented"
            );
        },
    ),
    ("README present and comprehensive", |r| {
        let readme = r.read("README.md");
        for part in [
            "## What is here",
            "flux bootstrap github",
            "## Secrets",
            "## Workflows",
            "## Hardening, and the risks accepted",
            "## Upgrading",
        ] {
            assert!(readme.contains(part), "{part}");
        }
    }),
    (".gitignore present", |r| {
        assert!(
            r.read(".gitignore")
                .contains("k8s/apps/litellm-db/litellm-db-secret.yaml")
        )
    }),
    (".editorconfig (2-space indent, UTF-8, LF)", |r| {
        let e = r.read(".editorconfig");
        for line in [
            "root = true",
            "indent_size = 2",
            "charset = utf-8",
            "end_of_line = lf",
            "insert_final_newline = true",
        ] {
            assert!(e.contains(line), "{line}");
        }
    }),
    (
        "CONTRIBUTING.md with guidelines and commit conventions",
        |r| {
            let c = r.read("CONTRIBUTING.md");
            assert!(
                c.contains("## Making a change")
                    && c.contains("## Commit messages")
                    && c.contains("Conventional Commits")
            );
        },
    ),
    (".yamllint.yml linting configuration", |r| {
        let y = &r.docs(".yamllint.yml")[0];
        assert_eq!(y["extends"], "default");
    }),
    ("YAML lint workflow on push and pull request", |r| {
        let wf = &r.docs(".github/workflows/lint.yml")[0];
        assert!(wf["on"]["push"].is_object() && wf["on"]["pull_request"].is_object());
        let runs: Vec<&str> = wf["jobs"]["yamllint"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect();
        assert!(runs.iter().any(|r| r.starts_with("yamllint --strict")));
    }),
    ("HelmRelease on stable helm.toolkit.fluxcd.io/v2", |r| {
        assert_eq!(
            r.object(
                "k8s/apps/litellm/helmrelease.yaml",
                "HelmRelease",
                "litellm"
            )["apiVersion"],
            "helm.toolkit.fluxcd.io/v2"
        );
    }),
    (
        "chart source on stable source.toolkit.fluxcd.io/v1; Kustomizations on v1",
        |r| {
            for (_, obj) in r.all_objects() {
                let api = obj["apiVersion"].as_str().unwrap();
                assert!(
                    !api.contains("beta") || api == "kustomize.config.k8s.io/v1beta1",
                    "{api}"
                );
            }
        },
    ),
    ("Kubernetes recommended labels on all resources", |r| {
        for (path, obj) in r.all_objects() {
            if obj["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
                || path.ends_with(".example.yaml")
            {
                continue;
            }
            let labels = &obj["metadata"]["labels"];
            for l in [
                "app.kubernetes.io/name",
                "app.kubernetes.io/part-of",
                "app.kubernetes.io/managed-by",
            ] {
                assert!(
                    labels[l].is_string() || obj["metadata"]["namespace"] == "flux-system",
                    "{path} {} lacks {l}",
                    obj["kind"]
                );
            }
            if obj["kind"] == "Deployment" {
                let pod_labels = &obj["spec"]["template"]["metadata"]["labels"];
                for l in [
                    "name",
                    "instance",
                    "version",
                    "component",
                    "part-of",
                    "managed-by",
                ] {
                    let key = format!("app.kubernetes.io/{l}");
                    assert!(
                        labels[&key].is_string() && pod_labels[&key].is_string(),
                        "{path}: {key}"
                    );
                }
            }
        }
    }),
    ("LICENSE file", |r| {
        assert!(r.read("LICENSE").starts_with("MIT License"))
    }),
];

const DB_WORKLOADS: [(&str, &str); 2] = [
    ("k8s/apps/litellm-db/postgres.yaml", "litellm-postgres"),
    ("k8s/apps/litellm-db/redis.yaml", "litellm-redis"),
];

/// A provider key (`sk-` + 20 or more key characters), an AWS key id, a GitHub token, or a
/// private key block.
fn holds_key(text: &str) -> bool {
    let run_after = |prefix: &str, ok: fn(char) -> bool, min: usize| {
        text.match_indices(prefix).any(|(i, _)| {
            text[i + prefix.len()..]
                .chars()
                .take_while(|c| ok(*c))
                .count()
                >= min
        })
    };
    run_after(
        "sk-",
        |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
        20,
    ) || run_after("AKIA", |c| c.is_ascii_uppercase() || c.is_ascii_digit(), 16)
        || run_after("ghp_", |c| c.is_ascii_alphanumeric(), 30)
        || text.contains("PRIVATE KEY-----")
}

#[test]
fn the_key_detector_detects_keys() {
    assert!(holds_key(&format!("api_key: sk-{}", "a1".repeat(12))));
    assert!(holds_key("AKIAABCDEFGHIJKLMNOP"));
    assert!(!holds_key(
        "masterkey must start with `sk-`, e.g. sk-$(openssl rand -hex 32)"
    ));
}

fn updates<'a>(dependabot: &'a Json, ecosystem: &str) -> &'a Json {
    dependabot["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["package-ecosystem"] == ecosystem)
        .unwrap()
}

fn step_uses(job: &Json) -> Vec<&str> {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect()
}

fn pod_spec(r: &Repo, file: &str, name: &str) -> Json {
    r.object(file, "Deployment", name)["spec"]["template"]["spec"].clone()
}

fn container(r: &Repo, file: &str, name: &str) -> Json {
    pod_spec(r, file, name)["containers"][0].clone()
}

/// Folders holding manifests with a raw `image:` (what dependabot's docker ecosystem must cover).
fn dirs_with_raw_images(r: &Repo) -> Vec<String> {
    let mut dirs: Vec<String> = r
        .files()
        .into_iter()
        .filter(|(p, b)| {
            p.starts_with("k8s/")
                && String::from_utf8_lossy(b)
                    .lines()
                    .any(|l| l.trim_start().starts_with("image: "))
        })
        .map(|(p, _)| p.rsplit_once('/').unwrap().0.to_string())
        .collect();
    dirs.dedup();
    dirs
}

#[test]
fn every_audit_item_is_done_in_the_generated_repo() {
    let repo = Repo::new("default", &[]);
    assert_eq!(
        ITEMS.len(),
        33,
        "all 35 lines of the audit but the 2 repository-settings items"
    );
    for (item, check) in ITEMS {
        let result = std::panic::catch_unwind(|| check(&repo));
        assert!(result.is_ok(), "audit item not done: {item}");
    }
}
