//! Kubernetes and Flux facts the checks share: pod templates of raw workloads, HelmRelease
//! values, label selectors.

use crate::audit::repo::{Doc, Repo};
use crate::yaml::Node;

/// A pod template written out in a manifest (Deployment, StatefulSet, Job, Pod, ...).
pub struct Pod<'a> {
    pub doc: &'a Doc,
    pub spec: &'a Node,
    /// The pod template's labels (what selectors match).
    pub labels: Vec<(String, String)>,
    pub replicas: i64,
}

impl<'a> Pod<'a> {
    /// Init containers and containers.
    pub fn containers(&self) -> Vec<&'a Node> {
        let spec = self.spec;
        ["initContainers", "containers"]
            .iter()
            .flat_map(|k| spec.get(k).map(Node::items).unwrap_or_default())
            .collect()
    }

    pub fn what(&self) -> String {
        format!("{} {}", self.doc.kind(), self.doc.name())
    }

    pub fn role(&self) -> Option<Role> {
        self.containers()
            .into_iter()
            .find_map(|c| role_of(c, self.spec))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Postgres,
    Redis,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Postgres => "Postgres",
            Role::Redis => "Redis",
        }
    }
}

/// The image's repository name without registry, tag or digest: `bitnami/redis` -> `redis`.
pub fn image_base(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

fn role_of(container: &Node, _pod: &Node) -> Option<Role> {
    let image = container.str_at("image").unwrap_or("");
    let base = image_base(image);
    if base.starts_with("postgres") || base.starts_with("pgvector") {
        return Some(Role::Postgres);
    }
    if base.starts_with("redis") || base.starts_with("valkey") {
        return Some(Role::Redis);
    }
    None
}

const WORKLOADS: &[(&str, &str)] = &[
    ("Deployment", "spec.template"),
    ("StatefulSet", "spec.template"),
    ("DaemonSet", "spec.template"),
    ("ReplicaSet", "spec.template"),
    ("Job", "spec.template"),
    ("CronJob", "spec.jobTemplate.spec.template"),
];

/// Every pod template of the repo's whole objects (patches excluded).
pub fn pods(repo: &Repo) -> Vec<Pod<'_>> {
    let mut pods = Vec::new();
    for doc in repo.objects() {
        let kind = doc.kind();
        let template = if kind == "Pod" {
            Some(&doc.node)
        } else {
            WORKLOADS
                .iter()
                .find(|(k, _)| *k == kind)
                .and_then(|(_, path)| doc.node.at(path))
        };
        let Some(template) = template else { continue };
        let spec = template.get("spec");
        let Some(spec) = spec.filter(|s| s.is_map()) else {
            continue;
        };
        let labels = labels_of(template.at("metadata.labels"));
        let replicas = doc
            .node
            .str_at("spec.replicas")
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        pods.push(Pod {
            doc,
            spec,
            labels,
            replicas,
        });
    }
    pods
}

pub fn labels_of(node: Option<&Node>) -> Vec<(String, String)> {
    node.map(|n| {
        n.entries()
            .iter()
            .filter_map(|e| e.value.str().map(|v| (e.key.clone(), v.to_string())))
            .collect()
    })
    .unwrap_or_default()
}

/// Whether a LabelSelector (`matchLabels` / `matchExpressions`) matches `labels`. An empty
/// selector matches everything.
pub fn selector_matches(selector: Option<&Node>, labels: &[(String, String)]) -> bool {
    let Some(selector) = selector else {
        return true;
    };
    let value = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let match_labels = selector
        .get("matchLabels")
        .map(Node::entries)
        .unwrap_or_default();
    let labels_ok = match_labels
        .iter()
        .all(|e| e.value.str().is_some_and(|v| value(&e.key) == Some(v)));
    let expressions_ok = selector
        .get("matchExpressions")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .all(|expr| {
            let key = expr.str_at("key").unwrap_or("");
            let values: Vec<&str> = expr
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::str)
                .collect();
            match expr.str_at("operator").unwrap_or("") {
                "In" => value(key).is_some_and(|v| values.contains(&v)),
                "NotIn" => value(key).is_none_or(|v| !values.contains(&v)),
                "Exists" => value(key).is_some(),
                "DoesNotExist" => value(key).is_none(),
                _ => false,
            }
        });
    labels_ok && expressions_ok
}

/// A selector with no labels and no expressions: selects every pod.
pub fn selector_is_empty(selector: Option<&Node>) -> bool {
    selector.is_none_or(|s| {
        s.get("matchLabels")
            .map(Node::entries)
            .unwrap_or_default()
            .is_empty()
            && s.get("matchExpressions")
                .map(Node::items)
                .unwrap_or_default()
                .is_empty()
    })
}

/// A Flux HelmRelease and the values it gives its chart.
pub struct Release<'a> {
    pub doc: &'a Doc,
    pub values: Option<&'a Node>,
    /// Where the chart's pods run: `targetNamespace`, else the release's namespace.
    pub namespace: String,
    /// The chart name (from `spec.chart.spec.chart`, or the chartRef's name).
    pub chart: String,
    /// Names the chart's pods are labelled with: release name, fullnameOverride, chart name.
    pub names: Vec<String>,
}

pub fn is_helm_release(doc: &Doc) -> bool {
    doc.kind() == "HelmRelease" && doc.api_version().starts_with("helm.toolkit.fluxcd.io/")
}

pub fn releases(repo: &Repo) -> Vec<Release<'_>> {
    repo.objects()
        .filter(|d| is_helm_release(d))
        .map(|doc| {
            let node = &doc.node;
            let chart = node
                .str_at("spec.chart.spec.chart")
                .or_else(|| node.str_at("spec.chartRef.name"))
                .unwrap_or("")
                .to_string();
            let values = node.at("spec.values").filter(|v| v.is_map());
            let mut names: Vec<String> = [
                node.str_at("spec.releaseName"),
                Some(doc.name()),
                values.and_then(|v| v.str_at("fullnameOverride")),
                values.and_then(|v| v.str_at("nameOverride")),
            ]
            .into_iter()
            .flatten()
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
            names.dedup();
            Release {
                doc,
                values,
                namespace: node
                    .str_at("spec.targetNamespace")
                    .unwrap_or(doc.namespace())
                    .to_string(),
                chart,
                names,
            }
        })
        .collect()
}

impl Release<'_> {
    pub fn is_litellm(&self) -> bool {
        self.chart.contains("litellm") || self.names.iter().any(|n| n.contains("litellm"))
    }
}

/// Environment variables of a container spec or of Helm values: `env` / `extraEnvVars` lists
/// (name, value node) and `envVars` maps.
pub fn env_vars(node: &Node) -> Vec<(&str, &Node)> {
    let mut vars = Vec::new();
    for key in ["env", "extraEnvVars", "extraEnv"] {
        for item in node.get(key).map(Node::items).unwrap_or_default() {
            if let Some(name) = item.str_at("name") {
                vars.push((name, item));
            }
        }
    }
    for e in node.get("envVars").map(Node::entries).unwrap_or_default() {
        vars.push((e.key.as_str(), &e.value));
    }
    vars
}
