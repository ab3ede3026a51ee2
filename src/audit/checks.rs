//! The registry of checks: each a stable id, its section, what it wants, and a pure function
//! from the repo's facts to an outcome with evidence.

use crate::audit::k8s::{self, Pod, Release, Role};
use crate::audit::repo::{self, Doc, Evidence, Repo, is_yaml, parent};
use crate::yaml::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dependencies,
    Vulnerabilities,
    RiskMonitoring,
    Threats,
    Compliance,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Dependencies,
        Section::Vulnerabilities,
        Section::RiskMonitoring,
        Section::Threats,
        Section::Compliance,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Section::Dependencies => "DEP",
            Section::Vulnerabilities => "VUL",
            Section::RiskMonitoring => "SON",
            Section::Threats => "SEC",
            Section::Compliance => "CMP",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Dependencies => "Dependency Management with Dependabot",
            Section::Vulnerabilities => "Vulnerability Alerts with GitHub Security",
            Section::RiskMonitoring => "Security Risk Monitoring with SonarQube Cloud",
            Section::Threats => "Threat Detection and Workload Hardening",
            Section::Compliance => "Compliance and Best Practices Review",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// Who can fix a failure: `ironplate upgrade`/`adopt`, or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    Upgrade,
    Manual,
}

impl Fix {
    pub fn as_str(self) -> &'static str {
        match self {
            Fix::Upgrade => "upgrade",
            Fix::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Manual,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Manual => "manual",
            Status::NotApplicable => "not-applicable",
        }
    }
}

/// What a check found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub evidence: Vec<Evidence>,
    /// Why a check is manual or not applicable.
    pub note: Option<String>,
    /// Findings the owner accepted with an `accept-risk.ironplate.dev/<ID>` annotation.
    pub accepted: Vec<Evidence>,
}

impl Outcome {
    fn from_findings(found: Findings) -> Outcome {
        Outcome {
            status: if found.evidence.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            evidence: found.evidence,
            note: None,
            accepted: found.accepted,
        }
    }

    fn not_applicable(why: &str) -> Outcome {
        Outcome {
            status: Status::NotApplicable,
            evidence: Vec::new(),
            note: Some(why.to_string()),
            accepted: Vec::new(),
        }
    }

    fn manual(why: &str) -> Outcome {
        Outcome {
            status: Status::Manual,
            evidence: Vec::new(),
            note: Some(why.to_string()),
            accepted: Vec::new(),
        }
    }

    fn check(ok: bool, evidence: Evidence) -> Outcome {
        let mut found = Findings::default();
        if !ok {
            found.evidence.push(evidence);
        }
        Outcome::from_findings(found)
    }
}

/// Findings of one check, minus those the owner accepted on the object.
#[derive(Default)]
struct Findings {
    evidence: Vec<Evidence>,
    accepted: Vec<Evidence>,
}

impl Findings {
    fn on(&mut self, id: &str, doc: &Doc, node: Option<&Node>, message: impl Into<String>) {
        let mut evidence = doc.evidence(node, message);
        match doc.accepted(id) {
            Some(reason) => {
                evidence.message = format!("{} (accepted: {reason})", evidence.message);
                self.accepted.push(evidence);
            }
            None => self.evidence.push(evidence),
        }
    }

    /// A finding on a given line of the document's file.
    fn on_line(&mut self, id: &str, doc: &Doc, line: usize, message: impl Into<String>) {
        self.on(id, doc, None, message);
        let moved = if doc.accepted(id).is_some() {
            self.accepted.last_mut()
        } else {
            self.evidence.last_mut()
        };
        if let Some(e) = moved {
            e.line = Some(line);
        }
    }

    fn push(&mut self, evidence: Evidence) {
        self.evidence.push(evidence);
    }
}

pub struct Check {
    pub id: &'static str,
    pub section: Section,
    pub title: &'static str,
    pub severity: Severity,
    pub fix: Fix,
    pub run: fn(&Facts) -> Outcome,
}

/// The repo plus what every check would otherwise derive again.
pub struct Facts<'a> {
    pub repo: &'a Repo,
    pub pods: Vec<Pod<'a>>,
    pub releases: Vec<Release<'a>>,
    pub dependabot: Option<&'a Doc>,
}

impl<'a> Facts<'a> {
    pub fn new(repo: &'a Repo) -> Facts<'a> {
        Facts {
            repo,
            pods: k8s::pods(repo),
            releases: k8s::releases(repo),
            dependabot: repo.docs.iter().find(|d| {
                d.path == ".github/dependabot.yml" || d.path == ".github/dependabot.yaml"
            }),
        }
    }

    fn objects(&self, kind: &str) -> impl Iterator<Item = &'a Doc> + use<'a, '_> {
        let kind = kind.to_string();
        self.repo.objects().filter(move |d| d.kind() == kind)
    }

    fn databases(&self) -> Vec<(&Pod<'a>, Role)> {
        self.pods
            .iter()
            .filter_map(|p| p.role().map(|r| (p, r)))
            .collect()
    }

    /// Dependabot `updates` entries of one ecosystem.
    fn updates(&self, ecosystem: &str) -> Vec<&'a Node> {
        self.dependabot
            .and_then(|d| d.node.get("updates"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter(|u| u.str_at("package-ecosystem") == Some(ecosystem))
            .collect()
    }

    /// Every workflow step (`uses` and `run`) as searchable text, with its document and node.
    fn steps(&self) -> Vec<(&'a Doc, &'a Node)> {
        let mut steps = Vec::new();
        for doc in self.repo.workflows() {
            for job in doc.node.get("jobs").map(Node::entries).unwrap_or_default() {
                for step in job.value.get("steps").map(Node::items).unwrap_or_default() {
                    steps.push((doc, step));
                }
            }
        }
        steps
    }

    /// A workflow step that uses an action matching `uses` or runs a command containing `run`.
    fn step_running(&self, uses: &[&str], run: &[&str]) -> Option<(&'a Doc, &'a Node)> {
        self.steps().into_iter().find(|(_, step)| {
            let action = step.str_at("uses").unwrap_or("").to_ascii_lowercase();
            let script = step.str_at("run").unwrap_or("").to_ascii_lowercase();
            uses.iter().any(|u| action.starts_with(u)) || run.iter().any(|r| script.contains(r))
        })
    }
}

const MANIFEST_SCANNERS_USES: &[&str] = &[
    "stackrox/kube-linter-action",
    "bridgecrewio/checkov-action",
    "aquasecurity/trivy-action",
    "controlplaneio/kubesec-action",
];
const MANIFEST_SCANNERS_RUN: &[&str] = &[
    "kube-linter",
    "kubesec",
    "checkov",
    "trivy config",
    "trivy fs",
];
const IAC_SCANNERS_USES: &[&str] = &["bridgecrewio/checkov-action", "aquasecurity/trivy-action"];
const IAC_SCANNERS_RUN: &[&str] = &["checkov", "trivy config", "trivy fs"];
const SONAR_USES: &[&str] = &[
    "sonarsource/sonarqube-scan-action",
    "sonarsource/sonarcloud-github-action",
];
const SONAR_RUN: &[&str] = &["sonar-scanner"];

pub const CHECKS: &[Check] = &[
    Check {
        id: "DEP-01",
        section: Section::Dependencies,
        title: "Dependabot `docker` ecosystem covers every folder holding raw container images",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: dep01_docker_folders,
    },
    Check {
        id: "DEP-02",
        section: Section::Dependencies,
        title: "Dependabot `github-actions` ecosystem keeps workflow actions current",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: dep02_actions_ecosystem,
    },
    Check {
        id: "DEP-03",
        section: Section::Dependencies,
        title: "Every HelmRelease chart version is exact (no range, no wildcard)",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: dep03_exact_chart_versions,
    },
    Check {
        id: "DEP-04",
        section: Section::Dependencies,
        title: "Every container image is pinned by sha256 digest",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: dep04_image_digests,
    },
    Check {
        id: "DEP-05",
        section: Section::Dependencies,
        title: "Every workflow `uses:` is pinned to a full commit SHA",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: dep05_action_shas,
    },
    Check {
        id: "VUL-01",
        section: Section::Vulnerabilities,
        title: "SECURITY.md with a channel for reporting vulnerabilities",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: vul01_security_md,
    },
    Check {
        id: "VUL-02",
        section: Section::Vulnerabilities,
        title: "A workflow runs a Kubernetes manifest security scanner (kube-linter, kubesec, checkov or trivy config)",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: vul02_manifest_scanner,
    },
    Check {
        id: "VUL-03",
        section: Section::Vulnerabilities,
        title: "Dependabot security alerts enabled in the repository settings",
        severity: Severity::Medium,
        fix: Fix::Manual,
        run: vul03_alerts_setting,
    },
    Check {
        id: "VUL-04",
        section: Section::Vulnerabilities,
        title: "A workflow runs Trivy or CodeQL",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: vul04_trivy_or_codeql,
    },
    Check {
        id: "SON-01",
        section: Section::RiskMonitoring,
        title: "SonarQube Cloud configured (`sonar-project.properties`), or an IaC scanner (checkov/trivy) instead",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: son01_sonar_or_iac,
    },
    Check {
        id: "SON-02",
        section: Section::RiskMonitoring,
        title: "A workflow runs that scan",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: son02_scan_runs,
    },
    Check {
        id: "SEC-01",
        section: Section::Threats,
        title: "No hardcoded secrets (provider keys, cloud keys, private keys, literal Secret values)",
        severity: Severity::Critical,
        fix: Fix::Manual,
        run: sec01_no_secrets,
    },
    Check {
        id: "SEC-02",
        section: Section::Threats,
        title: "`.gitignore` excludes the real file of every `*.example.yaml` Secret",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: sec02_gitignore_real_secrets,
    },
    Check {
        id: "SEC-03",
        section: Section::Threats,
        title: "Example secrets hold placeholders only and a do-not-commit warning",
        severity: Severity::High,
        fix: Fix::Manual,
        run: sec03_example_placeholders,
    },
    Check {
        id: "SEC-04",
        section: Section::Threats,
        title: "Sensitive values come from Secrets (secretKeyRef, secret files, `os.environ/`), never literals",
        severity: Severity::High,
        fix: Fix::Manual,
        run: sec04_sensitive_from_secrets,
    },
    Check {
        id: "SEC-05",
        section: Section::Threats,
        title: "Pods run as non-root",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: sec05_non_root,
    },
    Check {
        id: "SEC-06",
        section: Section::Threats,
        title: "Containers drop ALL capabilities and disallow privilege escalation",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: sec06_capabilities,
    },
    Check {
        id: "SEC-07",
        section: Section::Threats,
        title: "CPU and memory requests and limits on every container",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: sec07_resources,
    },
    Check {
        id: "SEC-08",
        section: Section::Threats,
        title: "NetworkPolicy lets only LiteLLM reach Postgres and Redis",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: sec08_db_network_policy,
    },
    Check {
        id: "SEC-09",
        section: Section::Threats,
        title: "PodDisruptionBudget for Postgres and Redis",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: sec09_db_pdbs,
    },
    Check {
        id: "SEC-10",
        section: Section::Threats,
        title: "readOnlyRootFilesystem on every container",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: sec10_read_only_root,
    },
    Check {
        id: "SEC-11",
        section: Section::Threats,
        title: "Redis AUTH on, and LiteLLM given the password",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: sec11_redis_auth,
    },
    Check {
        id: "SEC-12",
        section: Section::Threats,
        title: "seccomp profile RuntimeDefault (or Localhost) for every pod",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: sec12_seccomp,
    },
    Check {
        id: "SEC-13",
        section: Section::Threats,
        title: "PodDisruptionBudgets never block a node drain",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: sec13_pdb_drain,
    },
    Check {
        id: "SEC-14",
        section: Section::Threats,
        title: "Default-deny NetworkPolicy (ingress and egress) in every namespace with workloads",
        severity: Severity::High,
        fix: Fix::Upgrade,
        run: sec14_default_deny,
    },
    Check {
        id: "SEC-15",
        section: Section::Threats,
        title: "Every HelmRelease sets its chart's pod and container securityContext and resources",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: sec15_release_hardening,
    },
    Check {
        id: "SEC-16",
        section: Section::Threats,
        title: "Workflows run with least privilege (top-level `permissions`, checkout without persisted credentials)",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: sec16_workflow_privilege,
    },
    Check {
        id: "CMP-01",
        section: Section::Compliance,
        title: "README",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp01_readme,
    },
    Check {
        id: "CMP-02",
        section: Section::Compliance,
        title: "`.gitignore`",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: cmp02_gitignore,
    },
    Check {
        id: "CMP-03",
        section: Section::Compliance,
        title: "`.editorconfig` (2-space indent, UTF-8, LF)",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp03_editorconfig,
    },
    Check {
        id: "CMP-04",
        section: Section::Compliance,
        title: "CONTRIBUTING.md",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp04_contributing,
    },
    Check {
        id: "CMP-05",
        section: Section::Compliance,
        title: "yamllint configuration",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp05_yamllint_config,
    },
    Check {
        id: "CMP-06",
        section: Section::Compliance,
        title: "A workflow runs yamllint on push and pull request",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp06_yamllint_workflow,
    },
    Check {
        id: "CMP-07",
        section: Section::Compliance,
        title: "No deprecated Flux APIs (HelmRelease v2, sources v1, Kustomization v1)",
        severity: Severity::Medium,
        fix: Fix::Upgrade,
        run: cmp07_flux_apis,
    },
    Check {
        id: "CMP-08",
        section: Section::Compliance,
        title: "LICENSE",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp08_license,
    },
    Check {
        id: "CMP-09",
        section: Section::Compliance,
        title: "Kubernetes recommended labels (`app.kubernetes.io/name`, `managed-by`) on workloads and Services",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp09_recommended_labels,
    },
    Check {
        id: "CMP-10",
        section: Section::Compliance,
        title: "kube-linter in CI",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp10_kube_linter,
    },
    Check {
        id: "CMP-11",
        section: Section::Compliance,
        title: "Every file could be read and every YAML file parses",
        severity: Severity::High,
        fix: Fix::Manual,
        run: cmp11_files_parse,
    },
    Check {
        id: "CMP-12",
        section: Section::Compliance,
        title: "Workloads also carry `app.kubernetes.io/instance` and `app.kubernetes.io/version`",
        severity: Severity::Low,
        fix: Fix::Upgrade,
        run: cmp12_instance_version_labels,
    },
    Check {
        id: "CMP-13",
        section: Section::Compliance,
        title: "Every local file a kustomization lists exists (else kustomize, and so Flux, fails)",
        severity: Severity::High,
        fix: Fix::Manual,
        run: cmp13_kustomize_entries_exist,
    },
];

// ---------------------------------------------------------------- dependencies

fn dep01_docker_folders(f: &Facts) -> Outcome {
    let mut folders: Vec<(&str, &Doc, &Node)> = Vec::new();
    for pod in &f.pods {
        for c in pod.containers() {
            if let Some(image) = c.get("image").filter(|i| i.str().is_some()) {
                let dir = parent(&pod.doc.path);
                if !folders.iter().any(|(d, _, _)| *d == dir) {
                    folders.push((dir, pod.doc, image));
                }
            }
        }
    }
    if folders.is_empty() {
        return Outcome::not_applicable("no manifest holds a container image of its own");
    }
    let covered: Vec<String> = f
        .updates("docker")
        .iter()
        .flat_map(|u| {
            let mut dirs: Vec<String> = u
                .str_at("directory")
                .map(str::to_string)
                .into_iter()
                .collect();
            dirs.extend(
                u.get("directories")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Node::str)
                    .map(str::to_string),
            );
            dirs
        })
        .collect();
    let mut found = Findings::default();
    for (dir, doc, image) in folders {
        let shown = if dir.is_empty() { "/" } else { dir };
        if !covered.iter().any(|pattern| glob_dir(pattern, dir)) {
            found.on(
                "DEP-01",
                doc,
                Some(image),
                format!(
                    "`/{}` holds container images but no dependabot `docker` update names it",
                    shown.trim_start_matches('/')
                ),
            );
        }
    }
    if f.dependabot.is_none() && !found.evidence.is_empty() {
        found.push(Evidence::file(".github/dependabot.yml", "missing"));
    }
    Outcome::from_findings(found)
}

/// Dependabot directory patterns: `/a/b`, `a/b/`, and globs with `*` (one segment) and `**`.
fn glob_dir(pattern: &str, dir: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    fn matches(pat: &[&str], parts: &[&str]) -> bool {
        match (pat.first(), parts.first()) {
            (None, None) => true,
            (Some(&"**"), _) => {
                matches(&pat[1..], parts) || (!parts.is_empty() && matches(pat, &parts[1..]))
            }
            (Some(p), Some(d)) => segment_matches(p, d) && matches(&pat[1..], &parts[1..]),
            _ => false,
        }
    }
    matches(&pat, &parts)
}

fn segment_matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    text.is_char_boundary(head.len() + i)
                        && segment_matches(tail, &text[head.len() + i..])
                })
        }
    }
}

fn dep02_actions_ecosystem(f: &Facts) -> Outcome {
    let path = f.dependabot.map_or(".github/dependabot.yml", |d| &d.path);
    Outcome::check(
        !f.updates("github-actions").is_empty(),
        Evidence::file(
            path,
            if f.dependabot.is_some() {
                "no `github-actions` update"
            } else {
                "missing"
            },
        ),
    )
}

/// An exact SemVer 2.0 version (a leading `v` allowed): no ranges, wildcards or partials.
pub fn is_exact_semver(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (core, _build) = v.split_once('+').unwrap_or((v, ""));
    let (core, pre) = core.split_once('-').unwrap_or((core, ""));
    let nums: Vec<&str> = core.split('.').collect();
    nums.len() == 3
        && nums.iter().all(|n| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n.len() == 1 || !n.starts_with('0'))
        })
        && pre
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

fn dep03_exact_chart_versions(f: &Facts) -> Outcome {
    if f.releases.is_empty() {
        return Outcome::not_applicable("no HelmRelease");
    }
    let mut found = Findings::default();
    for r in &f.releases {
        let node = &r.doc.node;
        if let Some(spec) = node.at("spec.chart.spec") {
            match spec.get("version") {
                Some(v) if v.str().is_some_and(is_exact_semver) => {}
                Some(v) => found.on(
                    "DEP-03",
                    r.doc,
                    Some(v),
                    format!(
                        "chart `{}` version {:?} is not an exact version",
                        r.chart,
                        v.str().unwrap_or("")
                    ),
                ),
                None => found.on(
                    "DEP-03",
                    r.doc,
                    Some(spec),
                    format!(
                        "chart `{}` has no version: every reconcile may take the newest",
                        r.chart
                    ),
                ),
            }
        } else if let Some(chart_ref) = node.at("spec.chartRef") {
            let name = chart_ref.str_at("name").unwrap_or("");
            let source = f.repo.objects().find(|d| {
                d.kind() == chart_ref.str_at("kind").unwrap_or("OCIRepository") && d.name() == name
            });
            match source {
                Some(src) => {
                    let tag = src.node.at("spec.ref.tag");
                    let semver = src.node.at("spec.ref.semver");
                    let digest = src.node.str_at("spec.ref.digest");
                    if digest.is_some() || tag.and_then(Node::str).is_some_and(is_exact_semver) {
                        continue;
                    }
                    found.on(
                        "DEP-03",
                        src,
                        semver.or(tag),
                        format!(
                            "{} `{name}` does not pin an exact tag or digest",
                            src.kind()
                        ),
                    );
                }
                None => found.on(
                    "DEP-03",
                    r.doc,
                    Some(chart_ref),
                    format!("chartRef `{name}` names no source in this repo: its version cannot be judged"),
                ),
            }
        } else {
            found.on("DEP-03", r.doc, None, "no chart or chartRef");
        }
    }
    Outcome::from_findings(found)
}

pub fn is_digest_pinned(image: &str) -> bool {
    image
        .split_once("@sha256:")
        .is_some_and(|(_, hex)| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Digests kustomize sets with an `images:` entry of a kustomization in the same folder.
fn kustomize_digest_for(f: &Facts, dir: &str, image: &str) -> bool {
    let name = image.split(['@']).next().unwrap_or(image);
    let name = match name.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => n,
        _ => name,
    };
    f.repo.docs.iter().any(|d| {
        crate::audit::repo::is_kustomization_file(&d.path)
            && parent(&d.path) == dir
            && d.node
                .get("images")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|i| {
                    i.str_at("name") == Some(name)
                        && i.str_at("digest")
                            .is_some_and(|dg| is_digest_pinned(&format!("x@{dg}")))
                })
    })
}

fn dep04_image_digests(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    let mut any = false;
    for pod in &f.pods {
        for c in pod.containers() {
            let Some(node) = c.get("image") else { continue };
            let image = node.str().unwrap_or("");
            any = true;
            if !is_digest_pinned(image) && !kustomize_digest_for(f, parent(&pod.doc.path), image) {
                found.on(
                    "DEP-04",
                    pod.doc,
                    Some(node),
                    format!("{}: image `{image}` is not pinned by digest", pod.what()),
                );
            }
        }
    }
    for r in &f.releases {
        let Some(values) = r.values else { continue };
        values.walk(&mut |n| {
            for e in n.entries().iter().filter(|e| e.key == "image") {
                any = true;
                match &e.value {
                    Node::Scalar { value, .. } if !is_digest_pinned(value) => found.on(
                        "DEP-04",
                        r.doc,
                        Some(&e.value),
                        format!("values image `{value}` is not pinned by digest"),
                    ),
                    Node::Map { .. } => {
                        let digest = e.value.str_at("digest").filter(|d| !d.is_empty());
                        let tag = e.value.str_at("tag").filter(|t| !t.is_empty());
                        // Only a repository override: the tag is the chart's own, which the
                        // exact chart version (DEP-03) fixes.
                        let pinned = digest.is_some_and(|d| is_digest_pinned(&format!("x@{d}")))
                            || tag.is_none_or(|t| is_digest_pinned(&format!("x:{t}")));
                        if !pinned {
                            found.on(
                                "DEP-04",
                                r.doc,
                                e.value.get("tag"),
                                format!(
                                    "values image `{}:{}` is not pinned by digest",
                                    e.value.str_at("repository").unwrap_or("?"),
                                    tag.unwrap_or("")
                                ),
                            );
                        }
                    }
                    _ => {}
                }
            }
        });
    }
    if !any {
        return Outcome::not_applicable("no container image in any manifest or HelmRelease values");
    }
    Outcome::from_findings(found)
}

fn workflow_uses<'a>(f: &Facts<'a>) -> Vec<(&'a Doc, &'a Node)> {
    let mut uses = Vec::new();
    for doc in f.repo.workflows() {
        for job in doc.node.get("jobs").map(Node::entries).unwrap_or_default() {
            if let Some(u) = job.value.get("uses") {
                uses.push((doc, u));
            }
            for step in job.value.get("steps").map(Node::items).unwrap_or_default() {
                if let Some(u) = step.get("uses") {
                    uses.push((doc, u));
                }
            }
        }
    }
    uses
}

fn dep05_action_shas(f: &Facts) -> Outcome {
    if f.repo.workflows().next().is_none() {
        return Outcome::not_applicable("no workflow");
    }
    let mut found = Findings::default();
    for (doc, node) in workflow_uses(f) {
        let uses = node.str().unwrap_or("");
        if uses.starts_with("./") {
            continue;
        }
        let pinned = if let Some(image) = uses.strip_prefix("docker://") {
            is_digest_pinned(image)
        } else {
            uses.rsplit_once('@')
                .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        if !pinned {
            found.on(
                "DEP-05",
                doc,
                Some(node),
                format!("`{uses}` is not pinned to a full commit SHA"),
            );
        }
    }
    Outcome::from_findings(found)
}

// ---------------------------------------------------------------- vulnerabilities

fn vul01_security_md(f: &Facts) -> Outcome {
    let Some(path) = f
        .repo
        .first_of(&["SECURITY.md", ".github/SECURITY.md", "docs/SECURITY.md"])
    else {
        return Outcome::check(false, Evidence::file("SECURITY.md", "missing"));
    };
    let text = f.repo.text(path).unwrap_or("").to_ascii_lowercase();
    let channel = text.contains("mailto:")
        || text.contains("advisor")
        || text.contains("private vulnerability reporting")
        || text.contains("https://")
        || text.split_whitespace().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            w.split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        });
    Outcome::check(
        channel,
        Evidence::file(
            path,
            "names no reporting channel (an e-mail, a URL, or GitHub security advisories)",
        ),
    )
}

fn vul02_manifest_scanner(f: &Facts) -> Outcome {
    Outcome::check(
        f.step_running(MANIFEST_SCANNERS_USES, MANIFEST_SCANNERS_RUN)
            .is_some(),
        Evidence::file(
            ".github/workflows",
            "no workflow runs kube-linter, kubesec, checkov or trivy",
        ),
    )
}

fn vul03_alerts_setting(_: &Facts) -> Outcome {
    Outcome::manual(
        "a repository setting (Settings → Code security → Dependabot alerts): not visible in the files",
    )
}

fn vul04_trivy_or_codeql(f: &Facts) -> Outcome {
    Outcome::check(
        f.step_running(
            &[
                "aquasecurity/trivy-action",
                "github/codeql-action/init",
                "github/codeql-action/analyze",
            ],
            &["trivy "],
        )
        .is_some(),
        Evidence::file(".github/workflows", "no workflow runs Trivy or CodeQL"),
    )
}

// ---------------------------------------------------------------- risk monitoring

fn sonar_configured(f: &Facts) -> bool {
    f.repo.text("sonar-project.properties").is_some_and(|t| {
        t.lines()
            .any(|l| l.trim_start().starts_with("sonar.projectKey"))
    })
}

fn son01_sonar_or_iac(f: &Facts) -> Outcome {
    Outcome::check(
        sonar_configured(f)
            || f.step_running(IAC_SCANNERS_USES, IAC_SCANNERS_RUN)
                .is_some(),
        Evidence::file(
            "sonar-project.properties",
            "missing (or without sonar.projectKey), and no workflow runs checkov or trivy",
        ),
    )
}

fn son02_scan_runs(f: &Facts) -> Outcome {
    let sonar_step = f.step_running(SONAR_USES, SONAR_RUN).is_some();
    let iac_step = f
        .step_running(IAC_SCANNERS_USES, IAC_SCANNERS_RUN)
        .is_some();
    // Either scan satisfies the section: SonarQube, or the IaC scanner the audit names as
    // its alternative.
    let ok = sonar_step || iac_step;
    Outcome::check(
        ok,
        Evidence::file(
            ".github/workflows",
            if sonar_configured(f) {
                "sonar-project.properties exists but no workflow runs the SonarQube scan"
            } else {
                "no workflow runs SonarQube, checkov or trivy"
            },
        ),
    )
}

// ---------------------------------------------------------------- threats

const TOKEN_PREFIXES: &[(&str, usize, &str)] = &[
    ("sk-ant-", 20, "an Anthropic API key"),
    ("sk-proj-", 20, "an OpenAI project key"),
    ("sk-", 32, "an OpenAI-style API key"),
    ("AKIA", 16, "an AWS access key id"),
    ("ghp_", 36, "a GitHub token"),
    ("gho_", 36, "a GitHub token"),
    ("ghs_", 36, "a GitHub token"),
    ("github_pat_", 22, "a GitHub token"),
    ("xoxb-", 10, "a Slack token"),
    ("xoxp-", 10, "a Slack token"),
    ("AIza", 35, "a Google API key"),
    ("hf_", 30, "a Hugging Face token"),
    ("glpat-", 20, "a GitLab token"),
];

/// Obvious placeholders, which no scanner should take for a secret.
pub fn looks_placeholder(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.is_empty()
        || [
            "replace",
            "change",
            "example",
            "placeholder",
            "your-",
            "your_",
            "<",
            "xxx",
            "...",
            "todo",
            "dummy",
            "redacted",
            "fake",
            "sample",
            "${",
            "$(",
            "enc[",
        ]
        .iter()
        .any(|p| v.contains(p))
        || v.chars().all(|c| c == v.chars().next().unwrap_or('x'))
}

/// Secret-looking tokens in a text: (line, what it looks like).
fn secret_tokens(text: &str) -> Vec<(usize, &'static str)> {
    let mut hits = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.contains("PRIVATE KEY-----") && line.contains("-----BEGIN") {
            hits.push((n + 1, "a private key"));
            continue;
        }
        'prefixes: for (prefix, min, what) in TOKEN_PREFIXES {
            let mut from = 0;
            while let Some(i) = line[from..].find(prefix) {
                let start = from + i;
                from = start + prefix.len();
                let before = line[..start].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                    continue;
                }
                let token: String = line[from..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                let exact = *prefix == "AKIA";
                let long_enough = if exact {
                    token.len() >= *min
                        && token[..*min]
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                } else {
                    token.len() >= *min
                };
                if long_enough
                    && !looks_placeholder(&token)
                    && token.chars().any(|c| c.is_ascii_digit())
                {
                    hits.push((n + 1, *what));
                    break 'prefixes;
                }
            }
        }
    }
    hits
}

pub fn is_example(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.contains(".example.") || name.ends_with(".example")
}

fn is_sops(doc: &Doc) -> bool {
    doc.node.get("sops").is_some()
}

fn secret_values(doc: &Doc) -> Vec<(&str, &Node, String)> {
    let mut values = Vec::new();
    for (key, encoded) in [("stringData", false), ("data", true)] {
        for e in doc.node.get(key).map(Node::entries).unwrap_or_default() {
            let Some(raw) = e.value.str() else { continue };
            let plain = if encoded {
                base64_decode(raw).unwrap_or_else(|| raw.to_string())
            } else {
                raw.to_string()
            };
            values.push((e.key.as_str(), &e.value, plain));
        }
    }
    values
}

fn base64_decode(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8(out).ok()
}

fn sec01_no_secrets(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    for (path, text) in &f.repo.texts {
        for (line, what) in secret_tokens(text) {
            found.push(Evidence::at(path, line, format!("looks like {what}")));
        }
    }
    for doc in f.repo.objects().filter(|d| d.kind() == "Secret") {
        if is_example(&doc.path) || is_sops(doc) {
            continue;
        }
        for (key, node, value) in secret_values(doc) {
            if !value.is_empty() && !value.starts_with("ENC[") {
                found.on(
                    "SEC-01",
                    doc,
                    Some(node),
                    format!(
                        "Secret `{}` commits a value for `{key}` (not SOPS-encrypted)",
                        doc.name()
                    ),
                );
            }
        }
    }
    Outcome::from_findings(found)
}

fn example_secrets<'a>(f: &Facts<'a>) -> Vec<&'a Doc> {
    f.repo
        .objects()
        .filter(|d| d.kind() == "Secret" && is_example(&d.path) && is_yaml(&d.path))
        .collect()
}

/// `a/b/x-secret.example.yaml` -> `a/b/x-secret.yaml`.
pub fn real_path_of(example: &str) -> String {
    example.replacen(".example.", ".", 1)
}

fn sec02_gitignore_real_secrets(f: &Facts) -> Outcome {
    let examples = example_secrets(f);
    if examples.is_empty() {
        return Outcome::not_applicable("no `*.example.yaml` Secret");
    }
    let mut found = Findings::default();
    let mut seen = Vec::new();
    for doc in examples {
        let real = real_path_of(&doc.path);
        if seen.contains(&real) {
            continue;
        }
        seen.push(real.clone());
        if !f.repo.is_ignored(&real) {
            found.push(Evidence::file(
                ".gitignore",
                format!(
                    "does not exclude `{real}` (the real file of `{}`)",
                    doc.path
                ),
            ));
        }
    }
    Outcome::from_findings(found)
}

fn is_sensitive_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "key",
        "credential",
        "auth",
        "dsn",
        "database_url",
    ]
    .iter()
    .any(|s| n.contains(s))
        && !n.ends_with("_host")
        && !n.ends_with("_port")
}

fn sec03_example_placeholders(f: &Facts) -> Outcome {
    let examples = example_secrets(f);
    if examples.is_empty() {
        return Outcome::not_applicable("no `*.example.yaml` Secret");
    }
    let mut found = Findings::default();
    let mut warned: Vec<&str> = Vec::new();
    for doc in examples {
        let text = f.repo.text(&doc.path).unwrap_or("").to_ascii_lowercase();
        let warning = [
            "do not commit",
            "don't commit",
            "never commit",
            "not be committed",
        ]
        .iter()
        .any(|w| text.contains(w));
        if !warning && !warned.contains(&doc.path.as_str()) {
            warned.push(&doc.path);
            found.push(Evidence::at(&doc.path, 1, "no do-not-commit warning"));
        }
        for (key, node, value) in secret_values(doc) {
            if is_sensitive_name(key) && !looks_placeholder(&value) {
                found.on(
                    "SEC-03",
                    doc,
                    Some(node),
                    format!("`{key}` holds a value that is not an obvious placeholder"),
                );
            }
        }
    }
    Outcome::from_findings(found)
}

/// LiteLLM proxy configs (or any YAML) carried in ConfigMaps: (doc, key node, parsed).
fn config_map_yaml<'a>(f: &Facts<'a>) -> Vec<(&'a Doc, &'a Node, Vec<Node>)> {
    let mut out = Vec::new();
    for doc in f.repo.objects().filter(|d| d.kind() == "ConfigMap") {
        for e in doc.node.get("data").map(Node::entries).unwrap_or_default() {
            if !is_yaml(&e.key) {
                continue;
            }
            if let Some(Ok(nodes)) = e.value.str().map(crate::yaml::parse) {
                out.push((doc, &e.value, nodes));
            }
        }
    }
    out
}

fn sec04_sensitive_from_secrets(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    let mut literal = |doc: &Doc, holder: &Node, what: String| {
        for (name, var) in k8s::env_vars(holder) {
            // `*_FILE` names a mounted secret file: the way secrets should arrive.
            if !is_sensitive_name(name) || name.ends_with("_FILE") {
                continue;
            }
            let value = if var.is_map() {
                var.get("value")
            } else {
                Some(var)
            };
            if let Some(v) = value.and_then(|v| v.str().map(|s| (v, s))) {
                if !v.1.is_empty() && !v.1.starts_with("os.environ/") && !v.1.starts_with("$(") {
                    found.on(
                        "SEC-04",
                        doc,
                        Some(v.0),
                        format!("{what}: `{name}` is a literal value"),
                    );
                }
            }
        }
    };
    for pod in &f.pods {
        for c in pod.containers() {
            literal(pod.doc, c, pod.what());
        }
    }
    for r in &f.releases {
        if let Some(values) = r.values {
            literal(
                r.doc,
                values,
                format!("HelmRelease {} values", r.doc.name()),
            );
        }
    }
    for (doc, at, nodes) in config_map_yaml(f) {
        for node in &nodes {
            node.walk(&mut |n| {
                for e in n.entries() {
                    let sensitive = matches!(
                        e.key.as_str(),
                        "api_key"
                            | "master_key"
                            | "password"
                            | "database_url"
                            | "aws_secret_access_key"
                            | "redis_password"
                    );
                    if let Some(v) = e.value.str() {
                        if sensitive && !v.is_empty() && !v.starts_with("os.environ/") {
                            found.on_line(
                                "SEC-04",
                                doc,
                                at.line() + e.key_at.line,
                                format!(
                                    "ConfigMap {}: `{}` is a literal (use os.environ/)",
                                    doc.name(),
                                    e.key
                                ),
                            );
                        }
                    }
                }
            });
        }
    }
    Outcome::from_findings(found)
}

/// A pod-level securityContext field, overridden by the container's.
fn effective<'a>(pod: &'a Node, container: &'a Node, field: &str) -> Option<&'a Node> {
    container
        .at(&format!("securityContext.{field}"))
        .or_else(|| pod.at(&format!("securityContext.{field}")))
}

fn is_true(node: Option<&Node>) -> bool {
    node.and_then(Node::str) == Some("true")
}

fn container_name(c: &Node) -> &str {
    c.str_at("name").unwrap_or("?")
}

/// Each release's values as a (pod securityContext, container securityContext) pair, when it
/// sets either; charts follow the `helm create` names.
fn release_contexts<'a>(
    f: &'a Facts,
) -> Vec<(&'a Release<'a>, Option<&'a Node>, Option<&'a Node>)> {
    f.releases
        .iter()
        .filter_map(|r| {
            let v = r.values?;
            let pod = v.get("podSecurityContext");
            let container = v
                .get("securityContext")
                .or_else(|| v.get("containerSecurityContext"));
            (pod.is_some() || container.is_some()).then_some((r, pod, container))
        })
        .collect()
}

fn sec05_non_root(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    let non_root = |non_root: Option<&Node>, user: Option<&Node>| {
        let uid = user.and_then(Node::str).and_then(|u| u.parse::<i64>().ok());
        uid != Some(0) && (is_true(non_root) || uid.is_some_and(|u| u > 0))
    };
    for pod in &f.pods {
        for c in pod.containers() {
            if !non_root(
                effective(pod.spec, c, "runAsNonRoot"),
                effective(pod.spec, c, "runAsUser"),
            ) {
                found.on(
                    "SEC-05",
                    pod.doc,
                    Some(c),
                    format!("{}: container `{}` may run as root (no runAsNonRoot: true, no non-zero runAsUser)", pod.what(), container_name(c)),
                );
            }
        }
    }
    for (r, pod, container) in release_contexts(f) {
        let get = |field: &str| {
            container
                .and_then(|c| c.get(field))
                .or_else(|| pod.and_then(|p| p.get(field)))
        };
        if !non_root(get("runAsNonRoot"), get("runAsUser")) {
            found.on(
                "SEC-05",
                r.doc,
                pod.or(container),
                format!(
                    "HelmRelease {}: values may run the chart's pods as root",
                    r.doc.name()
                ),
            );
        }
    }
    if f.pods.is_empty() && f.releases.is_empty() {
        return Outcome::not_applicable("no workloads");
    }
    Outcome::from_findings(found)
}

fn drops_all(ctx: Option<&Node>) -> bool {
    ctx.and_then(|c| c.at("capabilities.drop"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|d| d.str().is_some_and(|s| s.eq_ignore_ascii_case("all")))
}

fn sec06_capabilities(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    let judge = |ctx: Option<&Node>| -> Vec<&'static str> {
        let mut wrong = Vec::new();
        if ctx
            .and_then(|c| c.get("allowPrivilegeEscalation"))
            .and_then(Node::str)
            != Some("false")
        {
            wrong.push("allowPrivilegeEscalation is not false");
        }
        if !drops_all(ctx) {
            wrong.push("capabilities.drop lacks ALL");
        }
        if is_true(ctx.and_then(|c| c.get("privileged"))) {
            wrong.push("privileged");
        }
        wrong
    };
    for pod in &f.pods {
        for c in pod.containers() {
            let wrong = judge(c.get("securityContext"));
            if !wrong.is_empty() {
                found.on(
                    "SEC-06",
                    pod.doc,
                    Some(c),
                    format!(
                        "{}: container `{}`: {}",
                        pod.what(),
                        container_name(c),
                        wrong.join(", ")
                    ),
                );
            }
        }
    }
    for (r, _, container) in release_contexts(f) {
        let wrong = judge(container);
        if !wrong.is_empty() {
            found.on(
                "SEC-06",
                r.doc,
                container,
                format!(
                    "HelmRelease {} values securityContext: {}",
                    r.doc.name(),
                    wrong.join(", ")
                ),
            );
        }
    }
    if f.pods.is_empty() && f.releases.is_empty() {
        return Outcome::not_applicable("no workloads");
    }
    Outcome::from_findings(found)
}

fn missing_resources(resources: Option<&Node>) -> Vec<&'static str> {
    [
        ("requests.cpu", "requests.cpu"),
        ("requests.memory", "requests.memory"),
        ("limits.cpu", "limits.cpu"),
        ("limits.memory", "limits.memory"),
    ]
    .into_iter()
    .filter(|(path, _)| {
        resources
            .and_then(|r| r.at(path))
            .and_then(Node::str)
            .is_none_or(str::is_empty)
    })
    .map(|(_, name)| name)
    .collect()
}

fn sec07_resources(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    for pod in &f.pods {
        for c in pod.containers() {
            let missing = missing_resources(c.get("resources"));
            if !missing.is_empty() {
                found.on(
                    "SEC-07",
                    pod.doc,
                    Some(c),
                    format!(
                        "{}: container `{}` has no {}",
                        pod.what(),
                        container_name(c),
                        missing.join(", ")
                    ),
                );
            }
        }
    }
    for r in &f.releases {
        let Some(resources) = r.values.and_then(|v| v.get("resources")) else {
            continue;
        };
        let missing = missing_resources(Some(resources));
        if !missing.is_empty() {
            found.on(
                "SEC-07",
                r.doc,
                Some(resources),
                format!(
                    "HelmRelease {} values resources have no {}",
                    r.doc.name(),
                    missing.join(", ")
                ),
            );
        }
    }
    if f.pods.is_empty() && f.releases.is_empty() {
        return Outcome::not_applicable("no workloads");
    }
    Outcome::from_findings(found)
}

fn policy_types(np: &Node) -> (bool, bool) {
    match np.at("spec.policyTypes") {
        Some(types) => {
            let t: Vec<&str> = types.items().iter().filter_map(Node::str).collect();
            (t.contains(&"Ingress"), t.contains(&"Egress"))
        }
        // Kubernetes' default: Ingress always, Egress when egress rules are given.
        None => (true, np.at("spec.egress").is_some()),
    }
}

/// Names LiteLLM's pods are labelled with (chart release names and the defaults).
fn litellm_names(f: &Facts) -> Vec<String> {
    let mut names = vec!["litellm".to_string()];
    for r in f.releases.iter().filter(|r| r.is_litellm()) {
        names.extend(r.names.iter().cloned());
    }
    names
}

fn sec08_db_network_policy(f: &Facts) -> Outcome {
    let dbs = f.databases();
    if dbs.is_empty() {
        return Outcome::not_applicable("no Postgres or Redis workload in the manifests");
    }
    let policies: Vec<&Doc> = f.objects("NetworkPolicy").collect();
    let litellm = litellm_names(f);
    let is_litellm_peer = |peer: &Node, db_labels: &[(String, String)]| -> bool {
        if peer.get("ipBlock").is_some() {
            return false;
        }
        let Some(pods) = peer.get("podSelector") else {
            return false;
        };
        if k8s::selector_is_empty(Some(pods)) || k8s::selector_matches(Some(pods), db_labels) {
            return false;
        }
        let values: Vec<&str> = pods
            .get("matchLabels")
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.value.str())
            .collect();
        values.iter().any(|v| {
            litellm
                .iter()
                .any(|n| v == n || *v == format!("{n}-migrations"))
        })
    };
    let mut found = Findings::default();
    for (pod, role) in dbs {
        let ns = pod.doc.namespace();
        let selecting: Vec<&Doc> = policies
            .iter()
            .copied()
            .filter(|np| np.namespace() == ns && policy_types(&np.node).0)
            .filter(|np| k8s::selector_matches(np.node.at("spec.podSelector"), &pod.labels))
            .collect();
        if selecting.is_empty() {
            found.on(
                "SEC-08",
                pod.doc,
                None,
                format!(
                    "{} ({}): no NetworkPolicy restricts its ingress",
                    pod.what(),
                    role.as_str()
                ),
            );
            continue;
        }
        for np in selecting {
            for rule in np
                .node
                .at("spec.ingress")
                .map(Node::items)
                .unwrap_or_default()
            {
                let peers = rule.get("from").map(Node::items).unwrap_or_default();
                if peers.is_empty() {
                    found.on(
                        "SEC-08",
                        np,
                        Some(rule),
                        format!(
                            "NetworkPolicy {} lets any pod reach {} ({})",
                            np.name(),
                            pod.doc.name(),
                            role.as_str()
                        ),
                    );
                }
                for peer in peers {
                    if !is_litellm_peer(peer, &pod.labels) {
                        found.on(
                            "SEC-08",
                            np,
                            Some(peer),
                            format!(
                                "NetworkPolicy {} lets a peer other than LiteLLM reach {} ({})",
                                np.name(),
                                pod.doc.name(),
                                role.as_str()
                            ),
                        );
                    }
                }
            }
        }
    }
    Outcome::from_findings(found)
}

fn pdbs_for<'a>(f: &Facts<'a>, pod: &Pod) -> Vec<&'a Doc> {
    f.objects("PodDisruptionBudget")
        .filter(|pdb| pdb.namespace() == pod.doc.namespace())
        .filter(|pdb| {
            let sel = pdb.node.at("spec.selector");
            !k8s::selector_is_empty(sel) && k8s::selector_matches(sel, &pod.labels)
        })
        .collect()
}

fn sec09_db_pdbs(f: &Facts) -> Outcome {
    let dbs = f.databases();
    if dbs.is_empty() {
        return Outcome::not_applicable("no Postgres or Redis workload in the manifests");
    }
    let mut found = Findings::default();
    for (pod, role) in dbs {
        if pdbs_for(f, pod).is_empty() {
            found.on(
                "SEC-09",
                pod.doc,
                None,
                format!(
                    "{} ({}): no PodDisruptionBudget selects its pods",
                    pod.what(),
                    role.as_str()
                ),
            );
        }
    }
    Outcome::from_findings(found)
}

fn sec10_read_only_root(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    for pod in &f.pods {
        for c in pod.containers() {
            if !is_true(c.at("securityContext.readOnlyRootFilesystem")) {
                found.on(
                    "SEC-10",
                    pod.doc,
                    Some(c),
                    format!(
                        "{}: container `{}` has a writable root filesystem",
                        pod.what(),
                        container_name(c)
                    ),
                );
            }
        }
    }
    for (r, _, container) in release_contexts(f) {
        let field = container.and_then(|c| c.get("readOnlyRootFilesystem"));
        if !is_true(field) {
            found.on(
                "SEC-10",
                r.doc,
                field.or(container),
                format!(
                    "HelmRelease {} values: readOnlyRootFilesystem is not true",
                    r.doc.name()
                ),
            );
        }
    }
    if f.pods.is_empty() && f.releases.is_empty() {
        return Outcome::not_applicable("no workloads");
    }
    Outcome::from_findings(found)
}

/// Text of everything that configures a container: command, args, env, and the ConfigMaps it
/// mounts.
fn container_config_text(f: &Facts, pod: &Pod, c: &Node) -> String {
    let mut text = String::new();
    fn add(text: &mut String, n: &Node) {
        n.walk(&mut |x| {
            if let Some(s) = x.str() {
                text.push_str(s);
                text.push('\n');
            }
        })
    }
    for key in ["command", "args"] {
        if let Some(n) = c.get(key) {
            add(&mut text, n);
        }
    }
    for (name, var) in k8s::env_vars(c) {
        text.push_str(name);
        text.push('\n');
        add(&mut text, var);
    }
    for vol in pod.spec.get("volumes").map(Node::items).unwrap_or_default() {
        if let Some(cm) = vol.str_at("configMap.name") {
            for doc in f
                .objects("ConfigMap")
                .filter(|d| d.name() == cm && d.namespace() == pod.doc.namespace())
            {
                if let Some(data) = doc.node.get("data") {
                    add(&mut text, data);
                }
            }
        }
    }
    text
}

fn sec11_redis_auth(f: &Facts) -> Outcome {
    let redis: Vec<&Pod> = f
        .databases()
        .into_iter()
        .filter(|(_, r)| *r == Role::Redis)
        .map(|(p, _)| p)
        .collect();
    if redis.is_empty() {
        return Outcome::not_applicable("no Redis workload in the manifests");
    }
    let mut found = Findings::default();
    for pod in &redis {
        let auth = pod.containers().iter().any(|c| {
            let text = container_config_text(f, pod, c);
            text.contains("requirepass")
                || (text.contains("REDIS_PASSWORD") && !text.contains("ALLOW_EMPTY_PASSWORD\nyes"))
                    && c.str_at("image").is_some_and(|i| i.contains("bitnami"))
        });
        if !auth {
            found.on(
                "SEC-11",
                pod.doc,
                None,
                format!(
                    "{}: Redis runs without a password (no requirepass)",
                    pod.what()
                ),
            );
        }
    }
    // LiteLLM must be given the password: an env var, or its config reads one.
    let litellm_has_password = f.releases.iter().filter(|r| r.is_litellm()).any(|r| {
        r.values.is_some_and(|v| {
            k8s::env_vars(v)
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("REDIS_PASSWORD"))
        })
    }) || config_map_yaml(f).iter().any(|(_, _, nodes)| {
        nodes.iter().any(|n| {
            let mut has = false;
            n.walk(&mut |x| {
                has |= x.entries().iter().any(|e| {
                    (e.key == "password" || e.key == "redis_password")
                        && e.value.str().is_some_and(|v| !v.is_empty())
                })
            });
            has
        })
    });
    let litellm_present = f.releases.iter().any(|r| r.is_litellm());
    if litellm_present && !litellm_has_password {
        let r = f.releases.iter().find(|r| r.is_litellm()).expect("present");
        found.on("SEC-11", r.doc, r.values, "LiteLLM is not given the Redis password (no REDIS_PASSWORD env, no cache password in its config)");
    }
    Outcome::from_findings(found)
}

fn seccomp_ok(node: Option<&Node>) -> bool {
    matches!(
        node.and_then(Node::str),
        Some("RuntimeDefault" | "Localhost")
    )
}

fn sec12_seccomp(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    for pod in &f.pods {
        for c in pod.containers() {
            if !seccomp_ok(effective(pod.spec, c, "seccompProfile.type")) {
                found.on(
                    "SEC-12",
                    pod.doc,
                    Some(c),
                    format!(
                        "{}: container `{}` has no RuntimeDefault seccomp profile",
                        pod.what(),
                        container_name(c)
                    ),
                );
            }
        }
    }
    for (r, pod, container) in release_contexts(f) {
        let ok = seccomp_ok(container.and_then(|c| c.at("seccompProfile.type")))
            || seccomp_ok(pod.and_then(|p| p.at("seccompProfile.type")));
        if !ok {
            found.on(
                "SEC-12",
                r.doc,
                pod.or(container),
                format!(
                    "HelmRelease {} values: no RuntimeDefault seccomp profile",
                    r.doc.name()
                ),
            );
        }
    }
    if f.pods.is_empty() && f.releases.is_empty() {
        return Outcome::not_applicable("no workloads");
    }
    Outcome::from_findings(found)
}

/// `n` or `n%` of `replicas`, rounded up as Kubernetes does for minAvailable.
fn int_or_percent(value: &str, replicas: i64) -> Option<i64> {
    match value.strip_suffix('%') {
        Some(p) => p.parse::<i64>().ok().map(|p| (p * replicas + 99) / 100),
        None => value.parse().ok(),
    }
}

fn sec13_pdb_drain(f: &Facts) -> Outcome {
    let pdbs: Vec<&Doc> = f.objects("PodDisruptionBudget").collect();
    if pdbs.is_empty() {
        return Outcome::not_applicable("no PodDisruptionBudget");
    }
    let mut found = Findings::default();
    for pdb in pdbs {
        let sel = pdb.node.at("spec.selector");
        let replicas: i64 = f
            .pods
            .iter()
            .filter(|p| {
                p.doc.namespace() == pdb.namespace() && k8s::selector_matches(sel, &p.labels)
            })
            .map(|p| p.replicas)
            .sum();
        let min = pdb.node.at("spec.minAvailable");
        let max = pdb.node.at("spec.maxUnavailable");
        let blocks = if let Some(m) = min.and_then(Node::str) {
            m == "100%"
                || replicas > 0 && int_or_percent(m, replicas).is_some_and(|n| n >= replicas)
        } else if let Some(m) = max.and_then(Node::str) {
            int_or_percent(m, replicas.max(1)) == Some(0) || m == "0%"
        } else {
            false
        };
        if blocks {
            found.on(
                "SEC-13",
                pdb,
                min.or(max),
                format!(
                    "PodDisruptionBudget {} allows no eviction of its {replicas} pod(s): every node drain blocks",
                    pdb.name()
                ),
            );
        }
    }
    Outcome::from_findings(found)
}

fn sec14_default_deny(f: &Facts) -> Outcome {
    let mut namespaces: Vec<(String, &Doc)> = Vec::new();
    let candidates = f
        .objects("Namespace")
        .map(|d| (d.name().to_string(), d))
        .chain(
            f.pods
                .iter()
                .map(|p| (p.doc.namespace().to_string(), p.doc)),
        )
        .chain(f.releases.iter().map(|r| (r.namespace.clone(), r.doc)));
    for (ns, doc) in candidates {
        if !namespaces.iter().any(|(n, _)| *n == ns) {
            namespaces.push((ns, doc));
        }
    }
    if namespaces.is_empty() {
        return Outcome::not_applicable("no namespace with workloads");
    }
    let policies: Vec<&Doc> = f.objects("NetworkPolicy").collect();
    let mut found = Findings::default();
    for (ns, doc) in namespaces {
        let denies = |ingress: bool| {
            policies.iter().any(|np| {
                let (i, e) = policy_types(&np.node);
                np.namespace() == ns
                    && k8s::selector_is_empty(np.node.at("spec.podSelector"))
                    && if ingress {
                        i && np
                            .node
                            .at("spec.ingress")
                            .map(Node::items)
                            .unwrap_or_default()
                            .is_empty()
                    } else {
                        e && np
                            .node
                            .at("spec.egress")
                            .map(Node::items)
                            .unwrap_or_default()
                            .is_empty()
                    }
            })
        };
        let missing: Vec<&str> = [("ingress", denies(true)), ("egress", denies(false))]
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(w, _)| w)
            .collect();
        if !missing.is_empty() {
            found.on(
                "SEC-14",
                doc,
                None,
                format!(
                    "namespace `{ns}` has no default-deny {} NetworkPolicy",
                    missing.join(" or ")
                ),
            );
        }
    }
    Outcome::from_findings(found)
}

fn sec15_release_hardening(f: &Facts) -> Outcome {
    if f.releases.is_empty() {
        return Outcome::not_applicable("no HelmRelease");
    }
    let mut found = Findings::default();
    for r in &f.releases {
        let missing: Vec<&str> = ["podSecurityContext", "securityContext", "resources"]
            .into_iter()
            .filter(|k| r.values.and_then(|v| v.get(k)).is_none())
            .collect();
        if !missing.is_empty() {
            found.on(
                "SEC-15",
                r.doc,
                r.values,
                format!(
                    "HelmRelease {}: values set no {} (the chart's defaults decide)",
                    r.doc.name(),
                    missing.join(", ")
                ),
            );
        }
    }
    Outcome::from_findings(found)
}

fn sec16_workflow_privilege(f: &Facts) -> Outcome {
    if f.repo.workflows().next().is_none() {
        return Outcome::not_applicable("no workflow");
    }
    let mut found = Findings::default();
    for doc in f.repo.workflows() {
        if doc.node.get("permissions").is_none() {
            found.on(
                "SEC-16",
                doc,
                None,
                "no top-level `permissions:` (the token gets the repository default)",
            );
        }
        if let Some(on) = doc.node.get("on") {
            let triggers: Vec<&str> = match on {
                Node::Scalar { value, .. } => vec![value.as_str()],
                Node::Seq { items, .. } => items.iter().filter_map(Node::str).collect(),
                Node::Map { entries, .. } => entries.iter().map(|e| e.key.as_str()).collect(),
                Node::Null { .. } => vec![],
            };
            if triggers.contains(&"pull_request_target") {
                found.on(
                    "SEC-16",
                    doc,
                    Some(on),
                    "`pull_request_target` runs untrusted code with a write token",
                );
            }
        }
    }
    for (doc, uses) in workflow_uses(f) {
        if !uses.str().unwrap_or("").starts_with("actions/checkout@") {
            continue;
        }
        let step = doc
            .node
            .get("jobs")
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .flat_map(|j| j.value.get("steps").map(Node::items).unwrap_or_default())
            .find(|s| s.get("uses").is_some_and(|u| u.line() == uses.line()));
        let persist = step.and_then(|s| s.str_at("with.persist-credentials"));
        if persist != Some("false") {
            found.on(
                "SEC-16",
                doc,
                Some(uses),
                "checkout persists the token in .git/config (set `persist-credentials: false`)",
            );
        }
    }
    Outcome::from_findings(found)
}

// ---------------------------------------------------------------- compliance

fn present(f: &Facts, candidates: &[&str], shown: &str) -> Outcome {
    Outcome::check(
        f.repo.first_of(candidates).is_some(),
        Evidence::file(shown, "missing"),
    )
}

fn cmp01_readme(f: &Facts) -> Outcome {
    present(
        f,
        &[
            "README.md",
            "README",
            "README.rst",
            "README.txt",
            "readme.md",
        ],
        "README.md",
    )
}

fn cmp02_gitignore(f: &Facts) -> Outcome {
    present(f, &[".gitignore"], ".gitignore")
}

fn cmp03_editorconfig(f: &Facts) -> Outcome {
    let Some(text) = f.repo.text(".editorconfig") else {
        return Outcome::check(false, Evidence::file(".editorconfig", "missing"));
    };
    let settings: Vec<String> = text
        .lines()
        .map(|l| {
            l.split([';', '#'])
                .next()
                .unwrap_or("")
                .replace(' ', "")
                .to_ascii_lowercase()
        })
        .collect();
    let missing: Vec<&str> = ["indent_size=2", "charset=utf-8", "end_of_line=lf"]
        .into_iter()
        .filter(|s| !settings.iter().any(|l| l == s))
        .collect();
    Outcome::check(
        missing.is_empty(),
        Evidence::file(
            ".editorconfig",
            format!("does not set {}", missing.join(", ")),
        ),
    )
}

fn cmp04_contributing(f: &Facts) -> Outcome {
    present(
        f,
        &[
            "CONTRIBUTING.md",
            ".github/CONTRIBUTING.md",
            "docs/CONTRIBUTING.md",
        ],
        "CONTRIBUTING.md",
    )
}

fn cmp05_yamllint_config(f: &Facts) -> Outcome {
    present(
        f,
        &[".yamllint", ".yamllint.yml", ".yamllint.yaml"],
        ".yamllint.yml",
    )
}

fn triggers_of(doc: &Doc) -> Vec<&str> {
    match doc.node.get("on") {
        Some(Node::Scalar { value, .. }) => vec![value.as_str()],
        Some(Node::Seq { items, .. }) => items.iter().filter_map(Node::str).collect(),
        Some(Node::Map { entries, .. }) => entries.iter().map(|e| e.key.as_str()).collect(),
        _ => vec![],
    }
}

fn cmp06_yamllint_workflow(f: &Facts) -> Outcome {
    let ok = f.steps().into_iter().any(|(doc, step)| {
        let uses = step.str_at("uses").unwrap_or("").to_ascii_lowercase();
        let run = step.str_at("run").unwrap_or("");
        let t = triggers_of(doc);
        (uses.contains("yamllint") || run.contains("yamllint"))
            && t.contains(&"push")
            && t.contains(&"pull_request")
    });
    Outcome::check(
        ok,
        Evidence::file(
            ".github/workflows",
            "no workflow runs yamllint on both push and pull_request",
        ),
    )
}

/// Deprecated Flux API versions and their replacement.
const DEPRECATED_FLUX: &[(&str, &str)] = &[
    (
        "helm.toolkit.fluxcd.io/v2beta1",
        "helm.toolkit.fluxcd.io/v2",
    ),
    (
        "helm.toolkit.fluxcd.io/v2beta2",
        "helm.toolkit.fluxcd.io/v2",
    ),
    (
        "source.toolkit.fluxcd.io/v1beta1",
        "source.toolkit.fluxcd.io/v1",
    ),
    (
        "source.toolkit.fluxcd.io/v1beta2",
        "source.toolkit.fluxcd.io/v1",
    ),
    (
        "kustomize.toolkit.fluxcd.io/v1beta1",
        "kustomize.toolkit.fluxcd.io/v1",
    ),
    (
        "kustomize.toolkit.fluxcd.io/v1beta2",
        "kustomize.toolkit.fluxcd.io/v1",
    ),
];

pub fn flux_replacement(api: &str) -> Option<&'static str> {
    DEPRECATED_FLUX
        .iter()
        .find(|(old, _)| *old == api)
        .map(|(_, new)| *new)
}

fn cmp07_flux_apis(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    let mut any = false;
    for doc in f
        .repo
        .docs
        .iter()
        .filter(|d| d.api_version().contains(".toolkit.fluxcd.io/"))
    {
        any = true;
        if let Some(new) = flux_replacement(doc.api_version()) {
            found.on(
                "CMP-07",
                doc,
                doc.node.get("apiVersion"),
                format!(
                    "{} uses deprecated `{}` (use `{new}`)",
                    doc.kind(),
                    doc.api_version()
                ),
            );
        }
    }
    if !any {
        return Outcome::not_applicable("no Flux objects");
    }
    Outcome::from_findings(found)
}

fn cmp08_license(f: &Facts) -> Outcome {
    present(
        f,
        &["LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING", "LICENCE"],
        "LICENSE",
    )
}

const LABELLED_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Service",
    "CronJob",
    "Job",
];

fn cmp09_recommended_labels(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    let mut any = false;
    for doc in f
        .repo
        .objects()
        .filter(|d| LABELLED_KINDS.contains(&d.kind()))
    {
        any = true;
        let labels = k8s::labels_of(doc.node.at("metadata.labels"));
        let missing: Vec<&str> = ["app.kubernetes.io/name", "app.kubernetes.io/managed-by"]
            .into_iter()
            .filter(|k| !labels.iter().any(|(l, _)| l == k))
            .collect();
        if !missing.is_empty() {
            found.on(
                "CMP-09",
                doc,
                doc.node.get("metadata"),
                format!("{} {} lacks {}", doc.kind(), doc.name(), missing.join(", ")),
            );
        }
    }
    if !any {
        return Outcome::not_applicable("no workloads or Services");
    }
    Outcome::from_findings(found)
}

fn cmp10_kube_linter(f: &Facts) -> Outcome {
    Outcome::check(
        f.step_running(&["stackrox/kube-linter-action"], &["kube-linter"])
            .is_some(),
        Evidence::file(".github/workflows", "no workflow runs kube-linter"),
    )
}

fn cmp11_files_parse(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    for p in &f.repo.problems {
        found.push(p.clone());
    }
    Outcome::from_findings(found)
}

fn cmp12_instance_version_labels(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    let mut any = false;
    for doc in f
        .repo
        .objects()
        .filter(|d| LABELLED_KINDS.contains(&d.kind()) && d.kind() != "Service")
    {
        any = true;
        let labels = k8s::labels_of(doc.node.at("metadata.labels"));
        let missing: Vec<&str> = ["app.kubernetes.io/instance", "app.kubernetes.io/version"]
            .into_iter()
            .filter(|k| !labels.iter().any(|(l, _)| l == k))
            .collect();
        if !missing.is_empty() {
            found.on(
                "CMP-12",
                doc,
                doc.node.get("metadata"),
                format!("{} {} lacks {}", doc.kind(), doc.name(), missing.join(", ")),
            );
        }
    }
    if !any {
        return Outcome::not_applicable("no workloads");
    }
    Outcome::from_findings(found)
}

fn cmp13_kustomize_entries_exist(f: &Facts) -> Outcome {
    let mut found = Findings::default();
    let mut any = false;
    let folder_exists = |p: &str| {
        let prefix = format!("{p}/");
        f.repo.files.iter().any(|file| file.starts_with(&prefix))
    };
    for doc in f.repo.docs.iter().filter(|d| {
        repo::is_kustomization_file(&d.path)
            && d.api_version().starts_with("kustomize.config.k8s.io")
    }) {
        any = true;
        let dir = parent(&doc.path);
        for key in ["resources", "components", "patchesStrategicMerge"] {
            for item in doc.node.get(key).map(Node::items).unwrap_or_default() {
                let Some(entry) = item.str() else { continue };
                // Remote bases (URLs, `github.com/...?ref=`) and absolute paths are not files
                // of this repo.
                if entry.contains("://")
                    || entry.contains("?ref=")
                    || entry.starts_with('/')
                    || entry.starts_with("github.com/")
                {
                    continue;
                }
                let path = repo::join(dir, entry);
                if !f.repo.exists(&path) && !folder_exists(&path) {
                    found.on(
                        "CMP-13",
                        doc,
                        Some(item),
                        format!("{key} lists {entry}, which is not in the repo"),
                    );
                }
            }
        }
    }
    if !any {
        return Outcome::not_applicable("no kustomization.yaml");
    }
    Outcome::from_findings(found)
}
