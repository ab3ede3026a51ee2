//! The hardening merge of `adopt`: an owner's manifest with the template's hardening merged
//! in, document by document, matched by kind and name. Pure: texts in, text and notes out.
//!
//! The owner keeps what makes the repo theirs: names and namespaces, selectors (immutable on a
//! live Deployment), probes, resources, replicas, extra env vars, volumes, values and
//! documents the template does not know. The template brings what the audit asks for:
//! securityContext, image pins and pull policy, Secrets as files instead of env vars, Redis
//! AUTH, current Flux APIs, recommended labels, and every field the owner lacks.

use std::collections::{BTreeMap, BTreeSet};

use crate::yaml::{self, Node};

/// One merged file and what the merge did, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub notes: Vec<String>,
}

/// What the merge needs to know beyond the two texts.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The file's path in the repo (configs without `kind` are told apart by it).
    pub path: String,
    /// Files the adoption moves (repo paths, old → new): kustomization `resources` entries
    /// that name them, from any folder, follow them.
    pub renamed: BTreeMap<String, String>,
    /// Whether the template's documents the owner lacks are appended (not when the owner's
    /// file only holds some of a template file's objects, outside the template's layout).
    pub add_missing: bool,
    /// Template files (repo paths) the adoption does not write: no kustomization lists them.
    pub absent: BTreeSet<String>,
}

impl Context {
    /// The repo path a kustomization entry (relative to this file's folder) names.
    fn resolve(&self, entry: &str) -> Option<String> {
        let folder = crate::audit::repo::parent(&self.path);
        Some(crate::audit::repo::join(folder, entry))
    }

    /// A kustomization entry (relative to this file's folder) naming a moved file: the
    /// entry that names it at its new path.
    pub fn moved(&self, entry: &str) -> Option<String> {
        let new = self.renamed.get(&self.resolve(entry)?)?;
        let new_name = new.rsplit('/').next().unwrap_or(new);
        Some(match entry.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{new_name}"),
            None => new_name.to_string(),
        })
    }
}

/// One document of a file: its text (leading comments included) and its parse.
struct Chunk {
    text: String,
    node: Option<Node>,
}

impl Chunk {
    /// (kind, name); a mapping without `kind` (dependabot, yamllint and other configs) is
    /// ("", "") and pairs with the other side's first such document.
    fn key(&self) -> Option<(String, String)> {
        let node = self.node.as_ref().filter(|n| n.is_map())?;
        Some((
            node.str_at("kind").unwrap_or("").to_string(),
            node.str_at("metadata.name").unwrap_or("").to_string(),
        ))
    }
}

/// Splits a YAML text at its `---` lines (which never occur inside a block scalar: those
/// lines are indented) and parses each document.
fn chunks(text: &str, what: &str) -> Result<Vec<Chunk>, String> {
    let mut parts: Vec<String> = vec![String::new()];
    let mut first_line = 0usize;
    let mut starts = vec![1usize];
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let is_separator =
            line.starts_with("---") && line[3..].chars().next().is_none_or(|c| c.is_whitespace());
        if is_separator {
            parts.push(String::new());
            starts.push(i + 2);
        } else {
            parts.last_mut().expect("one part").push_str(line);
        }
        first_line = i;
    }
    let _ = first_line;
    let mut out = Vec::new();
    for (part, start) in parts.into_iter().zip(starts) {
        let docs = yaml::parse(&part).map_err(|e| {
            format!(
                "{what} is not valid YAML at line {}: {}",
                start + e.line.saturating_sub(1),
                e.message
            )
        })?;
        if part.trim().is_empty() {
            continue;
        }
        let node = docs.into_iter().find(|d| !matches!(d, Node::Null { .. }));
        // `<<: *anchor` merges a map in YAML 1.1 only: rewritten as a field named `<<`, it
        // would stop meaning what the owner wrote.
        let mut merge_key = false;
        if let Some(n) = &node {
            n.walk(&mut |x| {
                if let Node::Map { entries, .. } = x {
                    merge_key |= entries.iter().any(|e| e.key == "<<");
                }
            });
        }
        if merge_key {
            return Err(format!(
                "{what} uses a YAML merge key (`<<:`) in the document at line {start}, which ironplate does not rewrite"
            ));
        }
        out.push(Chunk { text: part, node });
    }
    Ok(out)
}

/// The comment lines a document's text starts with.
fn leading_comments(text: &str) -> String {
    text.lines()
        .take_while(|l| l.trim_start().starts_with('#') || l.trim().is_empty())
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Structural equality, positions ignored.
pub fn same(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (
            Node::Scalar {
                value: x,
                is_str: p,
                ..
            },
            Node::Scalar {
                value: y,
                is_str: q,
                ..
            },
        ) => x == y && p == q,
        (Node::Null { .. }, Node::Null { .. }) => true,
        (Node::Seq { items: x, .. }, Node::Seq { items: y, .. }) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Node::Map { entries: x, .. }, Node::Map { entries: y, .. }) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(a, b)| a.key == b.key && same(&a.value, &b.value))
        }
        _ => false,
    }
}

/// Merges the template's file into the owner's. Err: a side does not parse (the caller then
/// keeps the owner's file and writes the template's beside it).
pub fn merge_file(owner: &str, template: &str, ctx: &Context) -> Result<Merged, String> {
    let ours = chunks(owner, "your file")?;
    let theirs = chunks(template, "the template")?;
    let pairs = pair_documents(&ours, &theirs);
    let mut used = vec![false; theirs.len()];
    for t in pairs.iter().flatten() {
        used[*t] = true;
    }
    let mut out: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for (chunk, pair) in ours.iter().zip(&pairs) {
        let (Some(node), Some(key)) = (&chunk.node, chunk.key()) else {
            out.push(chunk.text.clone());
            continue;
        };
        let merged = match pair.map(|i| &theirs[i]) {
            Some(t) => {
                let t_node = t.node.as_ref().expect("paired documents parse");
                let t_key = t.key().unwrap_or_default();
                let mut m = Merger::new(&key.0, &key.1, ctx);
                m.cross_kind = t_key.0 != key.0;
                if t_key != key {
                    m.note(format!(
                        "hardened as the template's {} {} (the one of its kind here)",
                        t_key.0, t_key.1
                    ));
                }
                let merged = m.doc(node, t_node);
                notes.extend(m.notes);
                merged
            }
            None => {
                let mut node = node.clone();
                if let Some(note) = current_flux_api(&mut node, &key) {
                    notes.push(note);
                }
                if key.0 == "Kustomization"
                    && let Some(Node::Seq { items, .. }) = node.get_mut("resources")
                {
                    for item in items.iter_mut() {
                        if let Some(new) = item.str().and_then(|s| ctx.moved(s)) {
                            notes.push(format!(
                                "resources: {} -> {new} (the file moved)",
                                item.str().unwrap_or("")
                            ));
                            *item = Node::string(new);
                        }
                    }
                }
                node
            }
        };
        if same(&merged, node) {
            out.push(chunk.text.clone());
        } else {
            // The document is written anew: only the comments above it survive. Say which
            // others go, so that none is lost unseen.
            let inner: Vec<&str> = chunk
                .text
                .lines()
                .skip_while(|l| l.trim_start().starts_with('#') || l.trim().is_empty())
                .filter(|l| l.trim_start().starts_with('#'))
                .map(str::trim)
                .collect();
            if let Some(first) = inner.first() {
                notes.push(format!(
                    "{} {}: {} comment line(s) inside it not kept (the document is rewritten; comments above it stay), the first: {first}",
                    key.0,
                    key.1,
                    inner.len()
                ));
            }
            out.push(format!(
                "{}{}",
                leading_comments(&chunk.text),
                yaml::emit(&merged)
            ));
        }
    }
    // Kinds a file holds one of per role: the owner's (paired above, or their own design)
    // stands; a second one would be a second database, volume or Service.
    const ONE_PER_ROLE: [&str; 5] = [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Service",
        "PersistentVolumeClaim",
    ];
    let merged_text = out.join("\n");
    for (i, t) in theirs.iter().enumerate() {
        if used[i] || !ctx.add_missing {
            continue;
        }
        let (kind, name) = t.key().unwrap_or_default();
        let owner_has_kind = ours.iter().any(|o| {
            o.key().is_some_and(|(k, _)| {
                k == kind || (WORKLOADS.contains(&k.as_str()) && WORKLOADS.contains(&kind.as_str()))
            })
        });
        if ONE_PER_ROLE.contains(&kind.as_str()) && owner_has_kind {
            notes.push(format!(
                "the template's {kind} {name} not added: your file has its own"
            ));
            continue;
        }
        // A volume claim nothing mounts would only cost a volume.
        if kind == "PersistentVolumeClaim" && !merged_text.contains(&format!("claimName: {name}")) {
            notes.push(format!(
                "the template's {kind} {name} not added: no pod here mounts it"
            ));
            continue;
        }
        match kind.as_str() {
            "" => notes.push("added a document of the template's".into()),
            _ => notes.push(format!("added {kind} {name}")),
        }
        out.push(t.text.clone());
    }
    let text = out
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if !c.ends_with('\n') {
                c.push('\n');
            }
            c
        })
        .collect::<Vec<_>>()
        .join("---\n");
    Ok(Merged { text, notes })
}

/// An image reference without its tag and digest (`postgres:16-alpine@sha256:...` ->
/// `postgres`), so that a container is known by what it runs.
fn image_repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

/// Sets `value` at the mapping path `keys` under `node`, creating the mappings on the way.
fn set_path(node: &mut Node, keys: &[&str], value: Node) {
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut cur = node;
    for key in parents {
        if cur
            .get_mut(key)
            .is_none_or(|n| !matches!(n, Node::Map { .. }))
        {
            cur.set(
                key,
                Node::Map {
                    entries: Vec::new(),
                    at: Default::default(),
                },
            );
        }
        match cur.get_mut(key) {
            Some(next) => cur = next,
            None => return,
        }
    }
    cur.set(last, value);
}

/// For each owner document, the template document it merges with: the same kind and name;
/// else the one left of its kind on both sides (a Service named `pg` is the template's
/// `litellm-postgres`); else, among workloads, the one left on both sides (a StatefulSet the
/// owner runs where the template has a Deployment).
fn pair_documents(ours: &[Chunk], theirs: &[Chunk]) -> Vec<Option<usize>> {
    let mut pairs: Vec<Option<usize>> = vec![None; ours.len()];
    let mut taken = vec![false; theirs.len()];
    for (i, o) in ours.iter().enumerate() {
        let Some(key) = o.key() else { continue };
        if let Some(j) =
            (0..theirs.len()).find(|j| !taken[*j] && theirs[*j].key().as_ref() == Some(&key))
        {
            pairs[i] = Some(j);
            taken[j] = true;
        }
    }
    let alone = |pairs: &[Option<usize>], taken: &[bool], fits: &dyn Fn(&str) -> bool| {
        let o: Vec<usize> = (0..ours.len())
            .filter(|i| pairs[*i].is_none() && ours[*i].key().is_some_and(|(k, _)| fits(&k)))
            .collect();
        let t: Vec<usize> = (0..theirs.len())
            .filter(|j| !taken[*j] && theirs[*j].key().is_some_and(|(k, _)| fits(&k)))
            .collect();
        match (o.as_slice(), t.as_slice()) {
            ([i], [j]) => Some((*i, *j)),
            _ => None,
        }
    };
    // A disruption budget is known by the pods it selects: the owner's `pg` selecting
    // `app: litellm-postgres` is the template's `litellm-postgres` (two budgets over one pod
    // would block every eviction).
    let selects = |c: &Chunk| -> BTreeSet<String> {
        let n = c.node.as_ref();
        let mut values: BTreeSet<String> = n
            .and_then(|n| n.at("spec.selector.matchLabels"))
            .map(|m| {
                m.entries()
                    .iter()
                    .filter_map(|e| e.value.str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(name) = n.and_then(|n| n.str_at("metadata.name")) {
            values.insert(name.to_string());
        }
        values
    };
    for i in 0..ours.len() {
        if pairs[i].is_some() || ours[i].key().is_none_or(|k| k.0 != "PodDisruptionBudget") {
            continue;
        }
        let mine = selects(&ours[i]);
        let fits: Vec<usize> = (0..theirs.len())
            .filter(|j| {
                !taken[*j]
                    && theirs[*j]
                        .key()
                        .is_some_and(|k| k.0 == "PodDisruptionBudget")
                    && !selects(&theirs[*j]).is_disjoint(&mine)
            })
            .collect();
        if let [j] = fits.as_slice() {
            pairs[i] = Some(*j);
            taken[*j] = true;
        }
    }
    // Objects that others name (a pod mounts a ConfigMap, uses a ServiceAccount) pair by name
    // only: the owner's `redis-notes` is not the template's `litellm-redis-config`.
    const BY_NAME_ONLY: [&str; 4] = ["Kustomization", "ConfigMap", "Secret", "ServiceAccount"];
    let kinds: BTreeSet<String> = ours.iter().filter_map(|o| o.key().map(|k| k.0)).collect();
    for kind in kinds
        .iter()
        .filter(|k| !k.is_empty() && !BY_NAME_ONLY.contains(&k.as_str()))
    {
        if let Some((i, j)) = alone(&pairs, &taken, &|k: &str| k == kind) {
            pairs[i] = Some(j);
            taken[j] = true;
        }
    }
    if let Some((i, j)) = alone(&pairs, &taken, &|k: &str| WORKLOADS.contains(&k)) {
        pairs[i] = Some(j);
        taken[j] = true;
    }
    pairs
}

/// Flux APIs the audit calls deprecated whose current version takes the same fields.
fn current_flux_api(node: &mut Node, (kind, name): &(String, String)) -> Option<String> {
    let api = node.str_at("apiVersion")?.to_string();
    let to = match (kind.as_str(), api.as_str()) {
        ("HelmRepository" | "GitRepository", "source.toolkit.fluxcd.io/v1beta2") => {
            "source.toolkit.fluxcd.io/v1"
        }
        _ => return None,
    };
    node.set("apiVersion", Node::string(to));
    Some(format!("{kind} {name}: apiVersion {api} -> {to}"))
}

/// How one path of a document merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Mappings merge key by key (the owner's scalars win), lists are the owner's.
    Default,
    /// The owner's value whole (when the owner has one).
    Owner,
    /// The template's value whole (when the template has one).
    Template,
    /// Like Default, but the template's scalars win, in the whole subtree.
    TemplateScalars,
    /// Never added when the owner has none: it would change what a running gateway is.
    NeverAdd,
    /// Items matched by this key; the owner's order, the template's new items after.
    Keyed(&'static str),
    /// A list of strings: the owner's, then the template's missing ones.
    Union,
}

const WORKLOADS: [&str; 4] = ["Deployment", "StatefulSet", "DaemonSet", "Job"];

struct Merger<'a> {
    kind: &'a str,
    name: &'a str,
    ctx: &'a Context,
    notes: Vec<String>,
    /// Paths the template's fields were added at, for the report.
    added: Vec<String>,
    /// Owner's values the template's replaced (`path: yours -> template's`), for the report.
    changed: Vec<String>,
    /// The owner's object is of another kind than the template's (a StatefulSet hardened by
    /// the template's Deployment): only metadata and the pod template merge.
    cross_kind: bool,
    /// Owner container name -> the template container it merged with.
    containers: BTreeMap<String, String>,
}

impl<'a> Merger<'a> {
    fn new(kind: &'a str, name: &'a str, ctx: &'a Context) -> Merger<'a> {
        Merger {
            kind,
            name,
            ctx,
            notes: Vec::new(),
            added: Vec::new(),
            changed: Vec::new(),
            cross_kind: false,
            containers: BTreeMap::new(),
        }
    }

    fn note(&mut self, text: impl Into<String>) {
        let what = format!("{} {}", self.kind, self.name);
        self.notes
            .push(format!("{}: {}", what.trim_end(), text.into()));
    }

    fn rule(&self, path: &str) -> Rule {
        let last = path.rsplit('.').next().unwrap_or(path);
        let is_container_field = |field: &str| {
            path.ends_with(&format!("containers[].{field}"))
                || path.ends_with(&format!("initContainers[].{field}"))
        };
        if self.cross_kind {
            if path == "apiVersion" {
                return Rule::Owner;
            }
            if path.starts_with("spec.")
                && !path.starts_with("spec.template")
                && path != "spec.selector"
            {
                return Rule::NeverAdd;
            }
        }
        match path {
            "apiVersion" => return Rule::Template,
            "metadata.name" | "metadata.namespace" => return Rule::Owner,
            "spec.selector" if WORKLOADS.contains(&self.kind) || self.kind == "Service" => {
                return Rule::Owner;
            }
            "spec.ports" if self.kind == "Service" => return Rule::Keyed("port"),
            "resources" if self.kind == "Kustomization" => return Rule::Union,
            // The templates ship only example Secrets: their placeholders are chosen to be
            // obvious and to pass secret scanners (checkov CKV_SECRET_6), which flag owners'
            // placeholders such as `replace-with-openai-key`.
            "stringData" | "data" if self.kind == "Secret" => return Rule::TemplateScalars,
            _ => {}
        }
        if self.kind.is_empty() && self.ctx.path.ends_with("dependabot.yml") && path == "updates" {
            return Rule::Keyed("package-ecosystem");
        }
        if self.kind == "PodDisruptionBudget"
            && matches!(
                path,
                "spec.minAvailable" | "spec.maxUnavailable" | "spec.unhealthyPodEvictionPolicy"
            )
        {
            return Rule::Template;
        }
        if self.kind == "HelmRelease" {
            match path {
                // A new master key Secret would replace the one LiteLLM encrypted its stored
                // credentials with; an Ingress needs a domain ironplate cannot know.
                "spec.values.masterkeySecretName"
                | "spec.values.masterkeySecretKey"
                | "spec.values.ingress" => return Rule::NeverAdd,
                // Must name the owner's ConfigMap and key.
                "spec.values.proxyConfigMap" => return Rule::Owner,
                "spec.values.image" => return Rule::Template,
                "spec.values.extraEnvVars" => return Rule::Keyed("name"),
                _ => {}
            }
        }
        if last == "labels" && path.ends_with("metadata.labels") {
            return Rule::TemplateScalars;
        }
        match last {
            "securityContext" | "podSecurityContext" => Rule::TemplateScalars,
            "automountServiceAccountToken" => Rule::Template,
            "containers" | "initContainers" | "volumes" | "env" => Rule::Keyed("name"),
            "volumeMounts" => Rule::Keyed("mountPath"),
            "ports" if is_container_field("ports") => Rule::Keyed("containerPort"),
            "image" | "imagePullPolicy" if is_container_field(last) => Rule::Template,
            "livenessProbe" | "readinessProbe" | "startupProbe" if is_container_field(last) => {
                Rule::Owner
            }
            _ => Rule::Default,
        }
    }

    fn doc(&mut self, o: &Node, t: &Node) -> Node {
        let mut merged = self.merge(o, t, "", false);
        if let (Some(from), Some(to)) = (o.str_at("apiVersion"), t.str_at("apiVersion"))
            && from != to
        {
            self.note(format!("apiVersion {from} -> {to}"));
        }
        if WORKLOADS.contains(&self.kind) {
            self.pod_fixups(&mut merged, o, t);
        }
        if self.kind == "HelmRelease" {
            self.helm_release_fixups(&mut merged, o, t);
        }
        if self.kind == "PodDisruptionBudget" {
            self.pdb_fixups(&mut merged, o, t);
        }
        if self.kind == "ConfigMap" {
            self.config_includes(&mut merged, t);
        }
        if self.kind == "Secret" {
            // The file is an example; the live Secret was made by hand and lacks the key the
            // hardened manifests now read (Redis AUTH): said first, since pods wait for it.
            let keys: Vec<&str> = self
                .added
                .iter()
                .filter_map(|a| a.strip_prefix("stringData.").or(a.strip_prefix("data.")))
                .collect();
            if !keys.is_empty() {
                let note = format!(
                    "before this rolls out, add {} to the Secret {} in the cluster: the hardened manifests read {}, and their pods wait for it",
                    keys.join(", "),
                    self.name,
                    if keys.len() == 1 { "it" } else { "them" }
                );
                self.notes.insert(0, note);
            }
        }
        if self.kind.is_empty() && self.ctx.path.ends_with("dependabot.yml") {
            dependabot_fixups(&mut merged);
        }
        // Label and annotation keys are reported by their map, once.
        let mut added: Vec<String> = Vec::new();
        for path in &self.added {
            let shown = ["labels", "annotations", "matchLabels"]
                .iter()
                .find_map(|m| {
                    path.find(&format!(".{m}."))
                        .map(|i| path[..i + 1 + m.len()].to_string())
                })
                .unwrap_or_else(|| path.clone());
            let shown = shown
                .strip_prefix("spec.template.spec.")
                .map_or(shown.clone(), |p| format!("pod {p}"));
            if !added.contains(&shown) {
                added.push(shown);
            }
        }
        if !self.changed.is_empty() {
            let what = format!("{} {}", self.kind, self.name);
            self.notes.insert(
                0,
                format!(
                    "{}: yours replaced by the template's hardening: {}",
                    what.trim_end(),
                    self.changed.join(", ")
                ),
            );
        }
        if !added.is_empty() {
            const SHOWN: usize = 8;
            let mut list: Vec<String> = added.iter().take(SHOWN).cloned().collect();
            if added.len() > SHOWN {
                list.push(format!("{} more", added.len() - SHOWN));
            }
            let what = if self.kind.is_empty() {
                String::new()
            } else {
                format!("{}: ", format!("{} {}", self.kind, self.name).trim_end())
            };
            self.notes
                .insert(0, format!("{what}added {}", list.join(", ")));
        }
        merged
    }

    /// A config file the template makes `include` another (Redis: the password file, so
    /// AUTH is on): the owner's own version of that config includes it too, first, so their
    /// settings still win over anything else it holds.
    fn config_includes(&mut self, merged: &mut Node, t: &Node) {
        let Some(Node::Map { entries, .. }) = merged.get_mut("data") else {
            return;
        };
        for e in entries.iter_mut() {
            let Some(ours) = e.value.str().map(str::to_string) else {
                continue;
            };
            let Some(theirs) = t.at("data").and_then(|d| d.get(&e.key)).and_then(Node::str) else {
                continue;
            };
            let missing: Vec<&str> = theirs
                .lines()
                .filter(|l| l.starts_with("include ") && !ours.lines().any(|o| o.trim() == *l))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let key = e.key.clone();
            e.value = Node::string(format!("{}\n{ours}", missing.join("\n")));
            self.note(format!(
                "data.{key}: {} added first (yours follows)",
                missing.join(", ")
            ));
        }
    }

    /// A budget has minAvailable or maxUnavailable, never both: the template's (drain-safe)
    /// choice replaces the owner's.
    fn pdb_fixups(&mut self, merged: &mut Node, o: &Node, t: &Node) {
        let Some(spec) = merged.get_mut("spec") else {
            return;
        };
        for key in ["minAvailable", "maxUnavailable"] {
            if t.at(&format!("spec.{key}")).is_none()
                && let Node::Map { entries, .. } = spec
            {
                entries.retain(|e| e.key != key);
            }
        }
        let show = |n: &Node| {
            ["minAvailable", "maxUnavailable"]
                .iter()
                .filter_map(|k| {
                    n.at(&format!("spec.{k}"))
                        .and_then(Node::str)
                        .map(|v| format!("{k}: {v}"))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (before, after) = (show(o), show(t));
        if before != after {
            self.note(format!(
                "{before} -> {after} (a budget that allows no eviction blocks every node drain)"
            ));
        }
    }

    fn merge(&mut self, o: &Node, t: &Node, path: &str, template_scalars: bool) -> Node {
        let rule = self.rule(path);
        let template_scalars = template_scalars || rule == Rule::TemplateScalars;
        match rule {
            // NeverAdd where the owner has a value: theirs, whole.
            Rule::Owner | Rule::NeverAdd => return o.clone(),
            Rule::Template => return t.clone(),
            Rule::Keyed(key) => {
                if let (Node::Seq { .. }, Node::Seq { .. }) = (o, t) {
                    return self.keyed(o, t, path, key, template_scalars);
                }
            }
            Rule::Union => {
                if let (Node::Seq { .. }, Node::Seq { .. }) = (o, t) {
                    return self.union(o, t);
                }
            }
            _ => {}
        }
        match (o, t) {
            (Node::Map { entries: oe, at }, Node::Map { entries: te, .. }) => {
                let mut entries = Vec::with_capacity(oe.len() + te.len());
                for e in oe {
                    let child = join(path, &e.key);
                    let value = match te.iter().find(|x| x.key == e.key) {
                        Some(x) => self.merge(&e.value, &x.value, &child, template_scalars),
                        None => e.value.clone(),
                    };
                    entries.push(yaml::Entry { value, ..e.clone() });
                }
                // The template's new keys go after the template key they follow there, so a
                // merged object reads in the template's order where the owner had nothing.
                let mut cursor: Option<usize> = None;
                for x in te {
                    if let Some(i) = entries.iter().position(|e| e.key == x.key) {
                        cursor = Some(i);
                        continue;
                    }
                    let child = join(path, &x.key);
                    if self.rule(&child) == Rule::NeverAdd {
                        let why = if self.cross_kind {
                            "it belongs to the template's other kind of object".to_string()
                        } else {
                            "the template sets it; it would change your running gateway".to_string()
                        };
                        self.note(format!("`{child}` not added ({why})"));
                        continue;
                    }
                    let at = cursor.map_or(0, |i| i + 1);
                    self.added.push(child);
                    entries.insert(at, x.clone());
                    cursor = Some(at);
                }
                Node::Map { entries, at: *at }
            }
            (Node::Scalar { .. } | Node::Null { .. }, Node::Scalar { .. } | Node::Null { .. })
                if template_scalars =>
            {
                if !same(o, t) && !path.contains("labels.") {
                    self.changed.push(format!(
                        "{path}: {} -> {}",
                        o.str().unwrap_or("null"),
                        t.str().unwrap_or("null")
                    ));
                }
                t.clone()
            }
            _ => o.clone(),
        }
    }

    /// Lists of mappings matched by `key` (e.g. containers by name, mounts by path).
    fn keyed(&mut self, o: &Node, t: &Node, path: &str, key: &str, template_scalars: bool) -> Node {
        let id = |n: &Node| n.get(key).and_then(Node::str).map(str::to_string);
        let child = format!("{path}[]");
        let is_containers = path.ends_with("containers") || path.ends_with("initContainers");
        // Owner item -> template item: by the key; containers named otherwise (`db` where the
        // template says `postgres`) by the image they run, else the one left on each side.
        let mut pair: Vec<Option<usize>> = o
            .items()
            .iter()
            .map(|item| {
                let k = id(item)?;
                t.items().iter().position(|x| id(x).as_ref() == Some(&k))
            })
            .collect();
        if is_containers {
            let repo = |n: &Node| n.str_at("image").map(|i| image_repository(i).to_string());
            let free = |pair: &[Option<usize>], j: usize| !pair.contains(&Some(j));
            for i in 0..pair.len() {
                if pair[i].is_some() {
                    continue;
                }
                let Some(mine) = repo(&o.items()[i]) else {
                    continue;
                };
                let same: Vec<usize> = (0..t.items().len())
                    .filter(|j| free(&pair, *j) && repo(&t.items()[*j]).as_ref() == Some(&mine))
                    .collect();
                if let [j] = same.as_slice() {
                    pair[i] = Some(*j);
                }
            }
            let left_o: Vec<usize> = (0..pair.len()).filter(|i| pair[*i].is_none()).collect();
            let left_t: Vec<usize> = (0..t.items().len()).filter(|j| free(&pair, *j)).collect();
            if let ([i], [j]) = (left_o.as_slice(), left_t.as_slice())
                && o.items().len() == 1
            {
                pair[*i] = Some(*j);
            }
        }
        let mut items = Vec::new();
        for (item, matched) in o.items().iter().zip(&pair) {
            items.push(match matched.map(|j| &t.items()[j]) {
                Some(x) => {
                    let merged = self.merge(item, x, &child, template_scalars);
                    if is_containers {
                        self.containers
                            .insert(id(item).unwrap_or_default(), id(x).unwrap_or_default());
                        self.container_fixups(merged, item, x)
                    } else {
                        merged
                    }
                }
                None => item.clone(),
            });
        }
        for (j, x) in t.items().iter().enumerate() {
            let k = id(x);
            if pair.contains(&Some(j)) {
                continue;
            }
            // A container is never added to the owner's pod: it would run a second database
            // (or cache) beside theirs.
            if is_containers && !o.items().is_empty() {
                self.note(format!(
                    "the template's container {} not added: your pod has its own",
                    k.unwrap_or_default()
                ));
                continue;
            }
            self.added
                .push(format!("{path}[{}]", k.unwrap_or_else(|| "…".into())));
            items.push(x.clone());
        }
        Node::Seq { items, at: o.pos() }
    }

    fn union(&mut self, o: &Node, t: &Node) -> Node {
        let mut items: Vec<Node> = o
            .items()
            .iter()
            .map(
                |i| match i.str().and_then(|s| self.ctx.moved(s).map(|n| (s, n))) {
                    Some((old, new)) => {
                        self.notes
                            .push(format!("resources: {old} -> {new} (the file moved)"));
                        Node::string(new)
                    }
                    None => i.clone(),
                },
            )
            .collect();
        let have: BTreeSet<String> = items
            .iter()
            .filter_map(|i| i.str().map(str::to_string))
            .collect();
        for x in t.items() {
            let Some(s) = x.str().filter(|s| !have.contains(*s)) else {
                continue;
            };
            if self
                .ctx
                .resolve(s)
                .is_some_and(|p| self.ctx.absent.contains(&p))
            {
                continue; // not written by this adoption: listing it would break the build
            }
            self.added.push(format!("resources[{s}]"));
            items.push(x.clone());
        }
        Node::Seq { items, at: o.pos() }
    }

    /// Per container: the template's command and args where the template has them (they are
    /// how the hardened container starts; both from one side, never mixed).
    fn container_fixups(&mut self, mut merged: Node, o: &Node, t: &Node) -> Node {
        let cname = o.str_at("name").unwrap_or("").to_string();
        if t.get("command").is_some() || t.get("args").is_some() {
            let mut replaced = Vec::new();
            for key in ["command", "args"] {
                let ours = o.get(key);
                let theirs = t.get(key);
                if ours.zip(theirs).is_none_or(|(a, b)| !same(a, b)) && ours.is_some() {
                    replaced.push(key);
                }
                if let Node::Map { entries, .. } = &mut merged {
                    entries.retain(|e| e.key != key);
                }
                if let Some(v) = theirs {
                    merged.set(key, v.clone());
                }
            }
            if !replaced.is_empty() {
                // What the owner started it with, word for word: their settings (a
                // `--maxmemory`) belong in the config file now, and are not lost unseen.
                let was: Vec<String> = replaced
                    .iter()
                    .filter_map(|k| {
                        let words: Vec<&str> =
                            o.get(k)?.items().iter().filter_map(|i| i.str()).collect();
                        Some(format!("{k}: {}", words.join(" ")))
                    })
                    .collect();
                self.note(format!(
                    "container {cname}: your {} replaced by the template's (the hardened start: config and password from files); yours was `{}`: move any setting of yours into its config",
                    replaced.join(" and "),
                    was.join("; ")
                ));
            }
        }
        merged
    }

    /// Pod-level: the owner's selector labels stay on the pods (the selector of a live
    /// Deployment cannot change); volumes the template brought but nothing mounts go.
    fn pod_fixups(&mut self, merged: &mut Node, o: &Node, t: &Node) {
        let selector: Vec<(String, String)> = o
            .at("spec.selector.matchLabels")
            .map(|m| {
                m.entries()
                    .iter()
                    .filter_map(|e| e.value.str().map(|v| (e.key.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(labels) = merged
            .get_mut("spec")
            .and_then(|s| s.get_mut("template"))
            .and_then(|t| t.get_mut("metadata"))
            .and_then(|m| m.get_mut("labels"))
        {
            for (k, v) in &selector {
                labels.set(k, Node::string(v.clone()));
            }
        }
        let owner_volumes: BTreeSet<String> = o
            .at("spec.template.spec.volumes")
            .map(|v| {
                v.items()
                    .iter()
                    .filter_map(|i| i.str_at("name").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let Some(pod) = merged
            .get_mut("spec")
            .and_then(|s| s.get_mut("template"))
            .and_then(|t| t.get_mut("spec"))
        else {
            return;
        };
        let mut mounted: BTreeSet<String> = BTreeSet::new();
        for list in ["containers", "initContainers"] {
            for c in pod.get(list).map(Node::items).unwrap_or_default() {
                for m in c.get("volumeMounts").map(Node::items).unwrap_or_default() {
                    if let Some(n) = m.str_at("name") {
                        mounted.insert(n.to_string());
                    }
                }
            }
        }
        if let Some(Node::Seq { items, .. }) = pod.get_mut("volumes") {
            let mut dropped = Vec::new();
            items.retain(|v| {
                let name = v.str_at("name").unwrap_or("");
                let keep = owner_volumes.contains(name) || mounted.contains(name);
                if !keep {
                    dropped.push(format!("spec.template.spec.volumes[{name}]"));
                }
                keep
            });
            // Only what was written is reported as added.
            self.added.retain(|a| !dropped.contains(a));
        }
        let volumes = pod.get("volumes").cloned().unwrap_or(Node::Seq {
            items: Vec::new(),
            at: Default::default(),
        });
        let template_containers = t
            .at("spec.template.spec.containers")
            .map(Node::items)
            .unwrap_or_default();
        let pod_ids = |n: &Node, key: &str| {
            n.str_at(&format!("spec.template.spec.securityContext.{key}"))
                .map(str::to_string)
        };
        // The UID the owner's (first hardened) container ran as: its own, else the pod's.
        let mut was_uid = pod_ids(o, "runAsUser");
        if let Some(Node::Seq { items, .. }) = pod.get_mut("containers") {
            for container in items.iter_mut() {
                let name = container.str_at("name").unwrap_or("").to_string();
                let theirs_name = self.containers.get(&name).cloned().unwrap_or(name.clone());
                let theirs = template_containers
                    .iter()
                    .find(|c| c.str_at("name") == Some(&theirs_name));
                let ours = o
                    .at("spec.template.spec.containers")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .find(|c| c.str_at("name") == Some(&name));
                match (theirs, ours) {
                    (Some(theirs), Some(ours)) => {
                        self.secrets_as_files(container, ours, theirs, &volumes);
                        // A container's own IDs win over the pod's: the owner's would undo
                        // the template's (and fsGroup would no longer match).
                        for key in ["runAsUser", "runAsGroup"] {
                            let pod_value = pod_ids(t, key);
                            let own = container
                                .str_at(&format!("securityContext.{key}"))
                                .map(str::to_string);
                            if pod_value.is_none()
                                || theirs.at(&format!("securityContext.{key}")).is_some()
                                || own.is_none()
                            {
                                continue;
                            }
                            if key == "runAsUser" && was_uid == pod_ids(o, "runAsUser") {
                                was_uid = own.clone();
                            }
                            if let Some(Node::Map { entries, .. }) =
                                container.get_mut("securityContext")
                            {
                                entries.retain(|e| e.key != key);
                            }
                            self.note(format!(
                                "container {name}: securityContext.{key} {} removed: it runs as the pod's {key} {}",
                                own.unwrap_or_default(),
                                pod_value.unwrap_or_default()
                            ));
                        }
                    }
                    _ => self.restricted_minimum(container, &name),
                }
            }
        }
        // A new UID meets data written by the old one.
        let uid = |n: &Node| pod_ids(n, "runAsUser");
        if let Some(new_uid) = uid(t)
            && was_uid != Some(new_uid.clone())
        {
            let image = t
                .at("spec.template.spec.containers")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .find_map(|c| c.str_at("image"))
                .unwrap_or("");
            let what = if image.contains("postgres") {
                Some("Postgres refuses a data directory it does not own")
            } else if image.contains("redis") {
                Some("Redis cannot write files it does not own")
            } else {
                None
            };
            if let Some(what) = what {
                self.note(format!(
                    "now runs as UID {new_uid} (was {}): on an existing volume, chown the data to {new_uid} once before this rolls out ({what})",
                    was_uid.as_ref().map_or("the image's default".to_string(), |u| format!("UID {u}"))
                ));
            }
            if o.at("spec.template.spec.initContainers").is_some() {
                self.note(format!(
                    "your initContainers now run as UID {new_uid} too (the pod's): one that needs root will fail (Pod Security `restricted` refuses root anyway)"
                ));
            }
        }
    }

    /// A container of the owner's the template knows nothing of, in a pod that now runs under
    /// Pod Security `restricted`: what `restricted` requires of every container (the pod
    /// gives runAsNonRoot and seccomp) is added where the owner set nothing; the rest of its
    /// hardening is the owner's call, and audit judges it.
    fn restricted_minimum(&mut self, container: &mut Node, name: &str) {
        let mut added = Vec::new();
        if container
            .str_at("securityContext.allowPrivilegeEscalation")
            .is_none()
        {
            set_path(
                container,
                &["securityContext", "allowPrivilegeEscalation"],
                Node::Scalar {
                    value: "false".into(),
                    at: Default::default(),
                    end: Default::default(),
                    is_str: false,
                },
            );
            added.push("allowPrivilegeEscalation: false");
        }
        if container.at("securityContext.capabilities.drop").is_none() {
            set_path(
                container,
                &["securityContext", "capabilities", "drop"],
                Node::Seq {
                    items: vec![Node::string("ALL")],
                    at: Default::default(),
                },
            );
            added.push("capabilities.drop: [ALL]");
        }
        if added.is_empty() {
            return;
        }
        self.note(format!(
            "container {name} is yours (the template has no such container): securityContext {} added, as Pod Security `restricted` requires; the rest is yours to harden (audit judges it)",
            added.join(", ")
        ));
    }

    /// A hardened container reads Secrets from the files the template mounts, never from env
    /// vars (CKV_K8S_35; both `POSTGRES_X` and `POSTGRES_X_FILE` set is an error at start).
    /// An env var the owner filled from a Secret key that is now mounted goes, and the owner's
    /// probes that used it read the file instead; a probe that runs redis-cli without a
    /// password gets it the same way, since AUTH is now on.
    fn secrets_as_files(&mut self, merged: &mut Node, o: &Node, t: &Node, volumes: &Node) {
        let cname = merged.str_at("name").unwrap_or("").to_string();
        let mounts: Vec<(String, String)> = merged
            .get("volumeMounts")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|m| {
                Some((
                    m.str_at("name")?.to_string(),
                    m.str_at("mountPath")?.to_string(),
                ))
            })
            .collect();
        // Where a Secret's key is mounted in this container.
        let file_of = |secret: &str, key: &str| -> Option<String> {
            volumes.items().iter().find_map(|v| {
                if v.str_at("secret.secretName") != Some(secret) {
                    return None;
                }
                let vname = v.str_at("name")?;
                let (_, dir) = mounts.iter().find(|(n, _)| n == vname)?;
                let items = v.at("secret.items").map(Node::items).unwrap_or_default();
                let file = if items.is_empty() {
                    key.to_string()
                } else {
                    items
                        .iter()
                        .find(|i| i.str_at("key") == Some(key))?
                        .str_at("path")?
                        .to_string()
                };
                Some(format!("{}/{file}", dir.trim_end_matches('/')))
            })
        };
        let started_with: String = ["command", "args"]
            .iter()
            .filter_map(|k| merged.get(k))
            .flat_map(|n| n.items().iter().filter_map(Node::str).map(str::to_string))
            .collect::<Vec<_>>()
            .join(" ");
        // `NAME_FILE` beside `NAME`: the official Postgres image's convention.
        let file_vars: Vec<(String, String)> = merged
            .get("env")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|i| {
                let name = i.str_at("name")?.strip_suffix("_FILE")?;
                Some((name.to_string(), i.str_at("value")?.to_string()))
            })
            .collect();
        // Where else the container names an env var: k8s `$(NAME)` in command, args and
        // other env values, and shell `$NAME` anywhere but the shell probes fixed below.
        let mut elsewhere: Vec<String> = Vec::new();
        for e in merged.entries() {
            let probe_fixed = matches!(
                e.key.as_str(),
                "readinessProbe" | "livenessProbe" | "startupProbe"
            ) && shell_script(&e.value).is_some();
            if probe_fixed {
                continue;
            }
            let mut texts = Vec::new();
            e.value.walk(&mut |n| {
                if let Some(s) = n.str() {
                    texts.push(s.to_string());
                }
            });
            if e.key == "env" {
                // Each item's own name is no reference to itself.
                texts.retain(|s| s.contains('$'));
            }
            elsewhere.extend(texts);
        }
        let referenced = |name: &str| {
            elsewhere
                .iter()
                .any(|s| s.contains(&format!("$({name})")) || mentions_var(s, name))
        };
        let mut from_files: Vec<(String, String)> = Vec::new();
        let mut kept_for_references: Vec<String> = Vec::new();
        if let Some(Node::Seq { items, .. }) = merged.get_mut("env") {
            items.retain(|item| {
                let name = item.str_at("name").unwrap_or("");
                let secret = item.str_at("valueFrom.secretKeyRef.name");
                let key = item.str_at("valueFrom.secretKeyRef.key");
                let file = secret
                    .zip(key)
                    .and_then(|(s, k)| file_of(s, k))
                    .or_else(|| {
                        file_vars
                            .iter()
                            .find(|(n, _)| n == name)
                            .filter(|_| secret.is_some())
                            .map(|(_, f)| f.clone())
                    });
                match file {
                    Some(_) if referenced(name) || started_with.contains(&format!("$({name})")) => {
                        kept_for_references.push(name.to_string());
                        true
                    }
                    Some(file) => {
                        from_files.push((name.to_string(), file));
                        false
                    }
                    _ => true,
                }
            });
        }
        for name in &kept_for_references {
            self.note(format!(
                "container {cname}: env {name} from a Secret kept: something else in the container uses it (checkov CKV_K8S_35 will say so)"
            ));
        }
        // NAME and NAME_FILE both set stops the official Postgres image at start: the
        // owner's NAME stays, the template's NAME_FILE goes.
        if let Some(Node::Seq { items, .. }) = merged.get_mut("env") {
            let names: BTreeSet<String> = items
                .iter()
                .filter_map(|i| i.str_at("name").map(str::to_string))
                .collect();
            let before = items.len();
            items.retain(|i| {
                i.str_at("name")
                    .and_then(|n| n.strip_suffix("_FILE"))
                    .is_none_or(|base| !names.contains(base))
            });
            if items.len() != before {
                self.note(format!(
                    "container {cname}: the template's *_FILE env vars whose plain variable you set are not added (the image refuses both)"
                ));
            }
        }
        for (name, file) in &from_files {
            self.note(format!(
                "container {cname}: env {name} from a Secret dropped; the Secret is mounted as {file}"
            ));
        }
        let probes = ["readinessProbe", "livenessProbe", "startupProbe"];
        let redis_auth = probes
            .iter()
            .filter_map(|p| t.get(p))
            .filter_map(shell_script)
            .find_map(|s| cat_assignment(&s, "REDISCLI_AUTH"));
        for probe in probes {
            if o.get(probe).is_none() {
                continue; // the template's own probe
            }
            let Some(node) = merged.get(probe) else {
                continue;
            };
            let Some(script) = shell_script(node) else {
                let needs_auth = redis_auth.is_some()
                    && exec_words(node).iter().any(|w| w.contains("redis-cli"));
                if needs_auth && let Some(tp) = t.get(probe) {
                    merged.set(probe, tp.clone());
                    self.note(format!(
                        "container {cname}: your {probe} runs redis-cli without the password, which fails once AUTH is on: the template's probe replaces it"
                    ));
                }
                continue;
            };
            let mut prefix: Vec<String> = from_files
                .iter()
                .filter(|(name, _)| mentions_var(&script, name))
                .map(|(name, file)| format!("{name}=\"$(cat {file})\""))
                .collect();
            if let Some(auth) = &redis_auth
                && script.contains("redis-cli")
                && !script.contains("REDISCLI_AUTH")
                && !script.contains(" -a ")
                && !script.contains("--pass")
            {
                prefix.push(auth.clone());
            }
            if prefix.is_empty() {
                continue;
            }
            let fixed = format!("export {}; {script}", prefix.join(" "));
            if let Some(Node::Seq { items, .. }) = merged
                .get_mut(probe)
                .and_then(|p| p.get_mut("exec"))
                .and_then(|e| e.get_mut("command"))
                && let Some(last) = items.last_mut()
            {
                *last = Node::string(fixed);
            }
            let names: Vec<&str> = prefix
                .iter()
                .map(|a| a.split('=').next().unwrap_or(""))
                .collect();
            self.note(format!(
                "container {cname}: your {probe} kept; it now reads {} from the mounted Secret",
                names.join(", ")
            ));
        }
    }

    /// The chart comes from the template's source (chartRef, never both with chart.spec),
    /// found in the template's namespace when the owner's HelmRelease lives elsewhere.
    fn helm_release_fixups(&mut self, merged: &mut Node, o: &Node, t: &Node) {
        // Helm knows a release by its name, and the chart names its objects after
        // fullnameOverride: a change reinstalls the release or renames its Service.
        let release = |n: &Node| {
            n.str_at("spec.releaseName")
                .map(str::to_string)
                .or_else(|| {
                    let name = n.str_at("metadata.name")?;
                    Some(match n.str_at("spec.targetNamespace") {
                        Some(ns) => format!("{ns}-{name}"),
                        None => name.to_string(),
                    })
                })
        };
        if let (Some(was), Some(now)) = (release(o), release(merged))
            && was != now
        {
            self.note(format!(
                "the Helm release is now named {now} (was {was}): Flux uninstalls {was} and installs {now}, a short LiteLLM outage (its data stays in Postgres); ironplate's NetworkPolicies select the pods by this name"
            ));
        }
        let full = |n: &Node| n.str_at("spec.values.fullnameOverride").map(str::to_string);
        if full(o) != full(merged)
            && let Some(now) = full(merged)
        {
            self.note(format!(
                "the chart now names its objects {now} (fullnameOverride): anything that reached the old Service name must use {now}"
            ));
        }
        let Some(chart_ref) = t.at("spec.chartRef") else {
            return;
        };
        let Some(spec) = merged.get_mut("spec") else {
            return;
        };
        if let Some(old) = o.at("spec.chart") {
            if let Node::Map { entries, .. } = spec {
                entries.retain(|e| e.key != "chart");
            }
            let version = old.str_at("spec.version").unwrap_or("(none)");
            let source = old.str_at("spec.sourceRef.name").unwrap_or("?");
            self.note(format!(
                "chart.spec (from {source}, version {version}) replaced by chartRef to {} {} at the pinned version",
                chart_ref.str_at("kind").unwrap_or(""),
                chart_ref.str_at("name").unwrap_or("")
            ));
        }
        let ours_ns = o.str_at("metadata.namespace").unwrap_or("default");
        let source_ns = t.str_at("metadata.namespace").unwrap_or("default");
        if chart_ref.get("namespace").is_none()
            && ours_ns != source_ns
            && let Some(r) = spec.get_mut("chartRef")
        {
            r.set("namespace", Node::string(source_ns));
        }
    }
}

/// dependabot takes `directory` or `directories`, never both: one list, the owner's first.
fn dependabot_fixups(merged: &mut Node) {
    let Some(Node::Seq { items, .. }) = merged.get_mut("updates") else {
        return;
    };
    for update in items.iter_mut() {
        let mut dirs: Vec<String> = Vec::new();
        let single = update.str_at("directory").map(str::to_string);
        dirs.extend(single.clone());
        for d in update
            .get("directories")
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(d) = d.str()
                && !dirs.iter().any(|x| x == d)
            {
                dirs.push(d.to_string());
            }
        }
        if single.is_none() || dirs.len() <= 1 || update.get("directories").is_none() {
            continue;
        }
        if let Node::Map { entries, .. } = update {
            entries.retain(|e| e.key != "directory");
        }
        update.set(
            "directories",
            Node::Seq {
                items: dirs.into_iter().map(Node::string).collect(),
                at: Default::default(),
            },
        );
    }
    // Both forms naming the same single folder: the owner's `directory`.
    for update in items.iter_mut() {
        if update.get("directory").is_some()
            && update.get("directories").is_some()
            && let Node::Map { entries, .. } = update
        {
            entries.retain(|e| e.key != "directories");
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The words of an exec probe.
fn exec_words(probe: &Node) -> Vec<String> {
    probe
        .at("exec.command")
        .map(|c| {
            c.items()
                .iter()
                .filter_map(|i| i.str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The script of an exec probe of the form `[sh, -c, SCRIPT]` (`-ec` and the like included).
fn shell_script(probe: &Node) -> Option<String> {
    let words = exec_words(probe);
    match words.as_slice() {
        [shell, flags, script]
            if shell.ends_with("sh") && flags.starts_with('-') && flags.contains('c') =>
        {
            Some(script.clone())
        }
        _ => None,
    }
}

/// `NAME="$(cat PATH)"` as written in `script`.
fn cat_assignment(script: &str, name: &str) -> Option<String> {
    let start = script.find(&format!("{name}=\"$(cat "))?;
    let end = script[start..].find(")\"")? + start + 2;
    Some(script[start..end].to_string())
}

/// `$NAME` or `${NAME` in a shell script.
fn mentions_var(script: &str, name: &str) -> bool {
    script.contains(&format!("${{{name}")) || {
        let plain = format!("${name}");
        script.match_indices(&plain).any(|(i, _)| {
            script[i + plain.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(o: &str, t: &str) -> Merged {
        let ctx = Context {
            add_missing: true,
            ..Context::default()
        };
        merge_file(o, t, &ctx).expect("test input is valid")
    }

    #[test]
    fn owner_probe_reads_moved_variables_and_redis_password() {
        let o = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
        - name: redis
          image: redis:7
          args: [redis-server, --appendonly, "yes"]
          env:
            - name: POSTGRES_USER
              valueFrom:
                secretKeyRef: {name: s, key: u}
          readinessProbe:
            exec:
              command: [/bin/sh, -ec, 'test "$(redis-cli ping)" = PONG && echo ${POSTGRES_USER}']
"#;
        let t = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
  labels:
    app.kubernetes.io/name: db
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: db
  template:
    metadata:
      labels:
        app.kubernetes.io/name: db
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: redis
          image: redis:7@sha256:aaaa
          command: [/bin/sh, -c, exec redis-server /etc/redis.conf]
          env:
            - name: POSTGRES_USER_FILE
              value: /run/u
          readinessProbe:
            exec:
              command: [/bin/sh, -c, 'test "$(REDISCLI_AUTH="$(cat /run/p)" redis-cli ping)" = PONG']
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: {}
        - name: unused
          emptyDir: {}
"#;
        let m = merge(o, t);
        let doc = &yaml::parse(&m.text).expect("test input is valid")[0];
        assert_eq!(doc.str_at("spec.selector.matchLabels.app"), Some("db"));
        assert_eq!(doc.str_at("spec.template.metadata.labels.app"), Some("db"));
        let c = &doc
            .at("spec.template.spec.containers")
            .expect("test input is valid")
            .items()[0];
        assert_eq!(c.str_at("image"), Some("redis:7@sha256:aaaa"));
        assert!(c.get("args").is_none(), "{}", m.text);
        let env: Vec<&str> = c
            .get("env")
            .expect("test input is valid")
            .items()
            .iter()
            .filter_map(|e| e.str_at("name"))
            .collect();
        assert_eq!(env, ["POSTGRES_USER_FILE"]);
        let script = c
            .at("readinessProbe.exec.command")
            .expect("test input is valid")
            .items()[2]
            .str()
            .expect("test input is valid");
        assert_eq!(
            script,
            r#"export POSTGRES_USER="$(cat /run/u)" REDISCLI_AUTH="$(cat /run/p)"; test "$(redis-cli ping)" = PONG && echo ${POSTGRES_USER}"#
        );
        let volumes: Vec<&str> = doc
            .at("spec.template.spec.volumes")
            .expect("test input is valid")
            .items()
            .iter()
            .filter_map(|v| v.str_at("name"))
            .collect();
        assert_eq!(volumes, ["tmp"]);
        assert!(
            m.notes.iter().any(|n| n.contains("args replaced")),
            "{:?}",
            m.notes
        );
    }

    #[test]
    fn unmatched_documents_keep_their_text_and_template_ones_are_added() {
        let o =
            "# mine\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra # why\ndata: {}\n";
        let t = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n";
        let m = merge(o, t);
        assert_eq!(m.text, format!("{o}---\n{t}"));
        assert_eq!(m.notes, ["added Service svc"]);
    }

    #[test]
    fn kustomization_resources_follow_renames_and_gain_the_template_ones() {
        let o = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - a-kustomization.yaml\n  - mine.yaml\n";
        let t = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - a.yaml\n  - b.yaml\n";
        let mut ctx = Context {
            add_missing: true,
            ..Context::default()
        };
        ctx.renamed
            .insert("a-kustomization.yaml".into(), "a.yaml".into());
        let m = merge_file(o, t, &ctx).expect("test input is valid");
        assert!(
            m.text
                .ends_with("resources:\n  - a.yaml\n  - mine.yaml\n  - b.yaml\n"),
            "{}",
            m.text
        );
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error_naming_the_line() {
        let err = merge_file("a: 1\n---\nb: [\n", "a: 1\n", &Context::default()).unwrap_err();
        assert!(err.contains("your file") && err.contains("line"), "{err}");
    }
}
