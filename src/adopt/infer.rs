//! Answers read off a hand-made repo: what its manifests, configs and docs already say.
//! Pure over the repo as read once; each value validated like any other answer, and where
//! it came from kept for the report.

use crate::audit::checks::is_exact_semver;
use crate::audit::k8s::{self, Role};
use crate::audit::repo::Repo;
use crate::models::Model;
use crate::preset::Preset;
use crate::questions::ImageRef;
use crate::templates::TemplateSet;
use crate::yaml::{self, Node};

/// One answer found in the repo.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub key: String,
    pub value: toml::Value,
    /// `path:line` (or path) it was read from, and how.
    pub source: String,
}

/// What the repo says, and what it says that cannot be used (with why).
#[derive(Debug, Default)]
pub struct Inferred {
    pub found: Vec<Found>,
    pub unusable: Vec<String>,
    /// Namespaces the gateway's parts run in, when more than one (ironplate's layout has
    /// one: what it adds would land apart from some of them).
    pub split: Vec<String>,
}

impl Inferred {
    fn add(&mut self, templates: &TemplateSet, key: &str, value: toml::Value, source: String) {
        if self.found.iter().any(|f| f.key == key) {
            return;
        }
        let Some(question) = templates.question(key) else {
            return;
        };
        match question.check_value(&value) {
            Ok(_) => self.found.push(Found {
                key: key.to_string(),
                value,
                source,
            }),
            Err(e) => self.unusable.push(format!("{key} at {source}: {e}")),
        }
    }

    fn str(&mut self, templates: &TemplateSet, key: &str, value: &str, source: String) {
        self.add(
            templates,
            key,
            toml::Value::String(value.to_string()),
            source,
        );
    }
}

fn at(path: &str, node: &Node) -> String {
    format!("{path}:{}", node.line())
}

pub fn infer(repo: &Repo, templates: &TemplateSet, preset: &Preset) -> Inferred {
    let mut out = Inferred::default();
    let objects: Vec<_> = repo.objects().collect();

    // Where the gateway runs: where Postgres, Redis and the release's target are (a
    // kustomization's `namespace:` included; a HelmRelease itself often lives in
    // flux-system), else the Namespace the repo makes.
    let workloads: Vec<_> = objects
        .iter()
        .filter(|d| matches!(d.kind(), "Deployment" | "StatefulSet") && !d.is_patch)
        .collect();
    let releases: Vec<_> = objects
        .iter()
        .filter(|d| d.kind() == "HelmRelease")
        .collect();
    let everywhere: std::collections::BTreeSet<&str> = workloads
        .iter()
        .chain(&releases)
        .map(|d| {
            d.node
                .str_at("spec.targetNamespace")
                .filter(|_| d.kind() == "HelmRelease")
                .unwrap_or_else(|| d.namespace())
        })
        .collect();
    // More than one: adopt refuses (see `split`).
    let workload_ns = match everywhere.len() {
        1 => everywhere.first().copied(),
        0 => None,
        _ => {
            out.split = everywhere.iter().map(|s| s.to_string()).collect();
            None
        }
    };
    if let (Some(ns), Some(doc)) = (workload_ns, workloads.iter().chain(&releases).next()) {
        out.str(
            templates,
            "namespace",
            ns,
            format!("{} (where it runs)", at(&doc.path, &doc.node)),
        );
    }
    if let Some(ns) = objects.iter().find(|d| d.kind() == "Namespace") {
        if workload_ns.is_none() {
            out.str(templates, "namespace", ns.name(), at(&ns.path, &ns.node));
        }
        if let Some(part_of) = ns
            .node
            .at("metadata.labels")
            .and_then(|l| l.get("app.kubernetes.io/part-of"))
        {
            if let Some(v) = part_of.str() {
                out.str(
                    templates,
                    "project_name",
                    v,
                    format!("{} (part-of label)", at(&ns.path, part_of)),
                );
            }
        }
    }
    let clusters: std::collections::BTreeSet<&str> = repo
        .files
        .iter()
        .filter_map(|f| f.strip_prefix("k8s/clusters/"))
        .filter_map(|rest| rest.split_once('/').map(|(c, _)| c))
        .collect();
    if let Some(first) = clusters.iter().next() {
        let more = if clusters.len() > 1 {
            format!(
                " (first of {})",
                clusters.iter().copied().collect::<Vec<_>>().join(", ")
            )
        } else {
            String::new()
        };
        out.str(
            templates,
            "cluster_name",
            first,
            format!("k8s/clusters/{first}/{more}"),
        );
    }

    // LiteLLM: chart version, replicas, image, ingress.
    let releases = k8s::releases(repo);
    if let Some(release) = releases.iter().find(|r| r.is_litellm()) {
        let node = &release.doc.node;
        let path = &release.doc.path;
        let oci_tag = objects
            .iter()
            .find(|d| {
                d.kind() == "OCIRepository"
                    && d.node
                        .str_at("spec.url")
                        .is_some_and(|u| u.contains("litellm"))
            })
            .and_then(|d| d.node.at("spec.ref.tag").map(|t| (d, t)));
        match node.at("spec.chart.spec.version") {
            Some(v) if v.str().is_some_and(is_exact_semver) => {
                out.str(templates, "litellm_chart_version", v.str().unwrap_or(""), at(path, v));
            }
            Some(v) => out.unusable.push(format!(
                "litellm_chart_version at {}: {:?} is not an exact version; the preset's pin is used",
                at(path, v),
                v.str().unwrap_or("")
            )),
            None => {
                if let Some((d, tag)) = oci_tag
                    && let Some(t) = tag.str()
                {
                    out.str(templates, "litellm_chart_version", t, at(&d.path, tag));
                }
            }
        }
        if let Some(values) = release.values {
            if let Some(n) = values.get("replicaCount")
                && let Some(i) = n.str().and_then(|s| s.parse::<i64>().ok())
            {
                out.add(
                    templates,
                    "litellm_replicas",
                    toml::Value::Integer(i),
                    at(path, n),
                );
            }
            if let (Some(repo_name), Some(tag)) = (
                values.str_at("image.repository"),
                values.str_at("image.tag"),
            ) && !tag.is_empty()
            {
                let image = format!("{repo_name}:{tag}");
                out.str(
                    templates,
                    "litellm_image",
                    &image,
                    at(path, values.get("image").unwrap_or(values)),
                );
            }
            if let Some(ingress) = values.get("ingress") {
                if let Some(host) = ingress
                    .get("hosts")
                    .and_then(|h| h.items().first())
                    .and_then(|h| h.get("host"))
                {
                    out.str(
                        templates,
                        "domain",
                        host.str().unwrap_or(""),
                        at(path, host),
                    );
                }
                if let Some(class) = ingress.get("className") {
                    out.str(
                        templates,
                        "ingress_class",
                        class.str().unwrap_or(""),
                        at(path, class),
                    );
                }
            }
        }
    }

    // Postgres and Redis: images (a digest from the preset when the tag is the same) and
    // volume sizes.
    for pod in k8s::pods(repo) {
        let Some(role) = pod.role() else {
            continue;
        };
        let (image_key, storage_key) = match role {
            Role::Postgres => ("postgres_image", "postgres_storage"),
            Role::Redis => ("redis_image", "redis_storage"),
        };
        let Some(container) = pod.containers().into_iter().find(|c| {
            c.str_at("image").is_some_and(|i| {
                let base = k8s::image_base(i);
                match role {
                    Role::Postgres => base.starts_with("postgres") || base.starts_with("pgvector"),
                    Role::Redis => base.starts_with("redis") || base.starts_with("valkey"),
                }
            })
        }) else {
            continue;
        };
        if let Some(image_node) = container.get("image")
            && let Some(image) = image_node.str()
        {
            let source = at(&pod.doc.path, image_node);
            match with_preset_digest(image, preset.answers.get(image_key)) {
                Some(pinned) => out.str(
                    templates,
                    image_key,
                    &pinned,
                    format!(
                        "{source} (digest from preset `{}` for the same tag)",
                        preset.name
                    ),
                ),
                None => out.str(templates, image_key, image, source),
            }
        }
        let claims: Vec<&str> = pod
            .spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.str_at("persistentVolumeClaim.claimName"))
            .collect();
        let pvc = objects
            .iter()
            .find(|d| d.kind() == "PersistentVolumeClaim" && claims.contains(&d.name()));
        let size = pvc.and_then(|d| d.node.at("spec.resources.requests.storage").map(|s| (d, s)));
        if let Some((d, s)) = size
            && let Some(v) = s.str()
        {
            out.str(templates, storage_key, v, at(&d.path, s));
        }
        // A StatefulSet's own claims.
        let templated = pod
            .doc
            .node
            .at("spec.volumeClaimTemplates")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .find_map(|c| c.at("spec.resources.requests.storage"));
        if let Some(s) = templated
            && let Some(v) = s.str()
        {
            out.str(templates, storage_key, v, at(&pod.doc.path, s));
        }
    }

    // Models: the proxy config's model_list.
    'models: for doc in objects.iter().filter(|d| d.kind() == "ConfigMap") {
        for entry in doc.node.get("data").map(Node::entries).unwrap_or_default() {
            let Some(text) = entry.value.str().filter(|t| t.contains("model_list")) else {
                continue;
            };
            let Ok(parsed) = yaml::parse(text) else {
                out.unusable.push(format!(
                    "models at {}: the proxy config is not valid YAML",
                    at(&doc.path, &entry.value)
                ));
                break 'models;
            };
            let mut models = Vec::new();
            for item in parsed
                .first()
                .and_then(|d| d.get("model_list"))
                .map(Node::items)
                .unwrap_or_default()
            {
                let (Some(alias), Some(target)) = (
                    item.str_at("model_name"),
                    item.str_at("litellm_params.model"),
                ) else {
                    continue;
                };
                let spec = format!("{alias}={target}");
                // One model ironplate cannot write a key for is left out, not the list:
                // the proxy config itself stays the owner's (seeded), all models in it.
                match Model::parse(&spec) {
                    Ok(m) => models.push(toml::Value::String(m.to_string())),
                    Err(e) => out.unusable.push(format!(
                        "models at {}: {spec} left out of the answer (still in your proxy config): {e}",
                        at(&doc.path, &entry.value)
                    )),
                }
            }
            if !models.is_empty() {
                out.add(
                    templates,
                    "models",
                    toml::Value::Array(models),
                    at(&doc.path, &entry.value),
                );
            }
            break 'models;
        }
    }

    // Secrets.
    let sops = repo.exists(".sops.yaml")
        || objects
            .iter()
            .any(|d| d.kind() == "Kustomization" && d.node.at("spec.decryption").is_some());
    let backend = if sops {
        "sops"
    } else if objects.iter().any(|d| d.kind() == "ExternalSecret") {
        "external-secrets"
    } else {
        "manual"
    };
    out.str(
        templates,
        "secrets_backend",
        backend,
        "the repo's Secret handling".into(),
    );
    if sops
        && let Some(text) = repo.texts.get(".sops.yaml")
        && let Some(recipient) = text.split_whitespace().find(|w| w.starts_with("age1"))
    {
        out.str(
            templates,
            "sops_age_recipient",
            recipient.trim_matches(|c| c == '"' || c == '\'' || c == ','),
            ".sops.yaml".into(),
        );
    }
    if repo.exists("sonar-project.properties") {
        out.add(
            templates,
            "sonarcloud",
            toml::Value::Boolean(true),
            "sonar-project.properties".into(),
        );
    }

    // Identity from the docs.
    if let Some(text) = repo.texts.get("LICENSE") {
        let license = if text.contains("Apache License") && text.contains("Version 2.0") {
            Some("Apache-2.0")
        } else if text.contains("Permission is hereby granted, free of charge") {
            Some("MIT")
        } else {
            None
        };
        if let Some(l) = license {
            out.str(templates, "license", l, "LICENSE".into());
        }
        if let Some(holder) = text.lines().find_map(copyright_holder) {
            out.str(
                templates,
                "org_name",
                &holder,
                "LICENSE (copyright line)".into(),
            );
        }
    }
    for path in [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] {
        let Some(text) = repo.texts.get(path) else {
            continue;
        };
        let Some(owners) = text.lines().find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("*")).then(|| words.map(str::to_string).collect::<Vec<_>>())
        }) else {
            continue;
        };
        if let Some(org) = owners
            .iter()
            .find_map(|o| o.strip_prefix('@'))
            .map(|o| o.split('/').next().unwrap_or(o))
        {
            out.str(templates, "github_org", org, format!("{path} (`*` line)"));
        }
        let list = owners.into_iter().map(toml::Value::String).collect();
        out.add(
            templates,
            "codeowners",
            toml::Value::Array(list),
            format!("{path} (`*` line)"),
        );
        break;
    }
    if let Some(text) = repo.texts.get("sonar-project.properties")
        && let Some(org) = text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "sonar.organization").then(|| v.trim().to_string())
        })
    {
        // SonarQube Cloud organisations are named after the GitHub organisation they import.
        out.str(
            templates,
            "github_org",
            &org,
            "sonar-project.properties (sonar.organization)".into(),
        );
    }
    if let Some(text) = repo.texts.get("SECURITY.md")
        && let Some(email) = text
            .split(|c: char| c.is_whitespace() || "<>()[]`*,;".contains(c))
            .map(|w| w.trim_start_matches("mailto:").trim_end_matches('.'))
            .find(|w| w.contains('@') && w.contains('.') && !w.starts_with('@'))
    {
        out.str(templates, "security_contact", email, "SECURITY.md".into());
    }
    if let Some(text) = repo.texts.get("README.md")
        && let Some(title) = text.lines().find_map(|l| l.strip_prefix("# "))
    {
        out.str(
            templates,
            "project_name",
            title.trim(),
            "README.md (title)".into(),
        );
    }
    out
}

/// `postgres:16-alpine` → the preset's `postgres:16-alpine@sha256:…` when the preset pins
/// exactly that name and tag; never a digest for another tag.
fn with_preset_digest(image: &str, preset_value: Option<&toml::Value>) -> Option<String> {
    let ours = ImageRef::parse(image).ok()?;
    if !ours.digest.is_empty() {
        return None;
    }
    let theirs = ImageRef::parse(preset_value?.as_str()?).ok()?;
    let same = |a: &str, b: &str| {
        a.trim_start_matches("docker.io/")
            .trim_start_matches("library/")
            == b.trim_start_matches("docker.io/")
                .trim_start_matches("library/")
    };
    (same(&ours.repository, &theirs.repository)
        && ours.tag == theirs.tag
        && !theirs.digest.is_empty())
    .then(|| format!("{image}@{}", theirs.digest))
}

/// `Copyright (c) 2026 Acme Inc.` → `Acme Inc.`
fn copyright_holder(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("Copyright")?;
    let rest = rest
        .trim_start()
        .trim_start_matches("(c)")
        .trim_start_matches('©')
        .trim_start();
    let rest =
        rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-' || c == ',' || c == ' ');
    let holder = rest.trim();
    (!holder.is_empty() && !holder.starts_with('[') && !holder.contains("{{"))
        .then(|| holder.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_digest_only_for_the_same_name_and_tag() {
        let pin = toml::Value::String(format!("postgres:16-alpine@sha256:{}", "a".repeat(64)));
        assert_eq!(
            with_preset_digest("postgres:16-alpine", Some(&pin)),
            Some(format!("postgres:16-alpine@sha256:{}", "a".repeat(64)))
        );
        assert_eq!(with_preset_digest("postgres:15-alpine", Some(&pin)), None);
        assert!(with_preset_digest("docker.io/library/postgres:16-alpine", Some(&pin)).is_some());
        assert_eq!(
            with_preset_digest("mirror.io/postgres:16-alpine", Some(&pin)),
            None
        );
    }

    #[test]
    fn copyright_lines() {
        assert_eq!(
            copyright_holder("Copyright (c) 2024-2026 Acme Inc."),
            Some("Acme Inc.".into())
        );
        assert_eq!(
            copyright_holder("Copyright [yyyy] [name of copyright owner]"),
            None
        );
        assert_eq!(copyright_holder("no"), None);
    }
}
