//! Version pins — image references, chart versions, GitHub Action SHAs — found structurally
//! (YAML path, or the `uses:` line of a workflow), so that upgrades never fight dependabot:
//! a pin the owner changed since BASE stays the owner's, whatever the template did to it
//! (unless `--take-template-pins`), and the merge of everything else goes on around it.

use serde::Serialize;

use crate::yaml::{self, Seg};

/// A pin in one version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Stable across versions and line moves: document identity + YAML path, or the action
    /// and its occurrence.
    pub key: String,
    /// 0-based line index of the value.
    pub line: usize,
    pub value: String,
}

/// One pin decision, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinNote {
    pub pin: String,
    pub yours: String,
    pub template: String,
    /// `yours` or `template`.
    pub kept: &'static str,
}

/// Every pin in `text`, which is the file at `path`.
pub fn find(path: &str, text: &str) -> Vec<Pin> {
    if path.starts_with(".github/workflows/") {
        return uses_pins(text);
    }
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return Vec::new();
    }
    let Ok(docs) = yaml::leaves(text) else {
        return Vec::new();
    };
    let mut pins = Vec::new();
    for (i, leaves) in docs.iter().enumerate() {
        let at = |want: &[&str]| {
            leaves
                .iter()
                .find(|l| {
                    l.path.len() == want.len()
                        && l.path
                            .iter()
                            .zip(want)
                            .all(|(seg, k)| matches!(seg, Seg::Key(x) if x == k))
                })
                .map(|l| l.value.as_str())
        };
        let kind = at(&["kind"]).unwrap_or("");
        let identity = match at(&["metadata", "name"]) {
            Some(name) => format!("{kind}/{name}"),
            None => format!("document {}", i + 1),
        };
        for leaf in leaves {
            let key = label(leaves, &leaf.path);
            if is_pin_path(&key, kind) {
                pins.push(Pin {
                    key: format!("{identity}{key}"),
                    line: leaf.line.saturating_sub(1),
                    value: leaf.value.clone(),
                });
            }
        }
    }
    pins
}

/// `.spec.containers[name=postgres].image`: sequence items by their `name` where they have
/// one (so reordering keeps the key), else by index.
fn label(leaves: &[yaml::Leaf], path: &[Seg]) -> String {
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        match seg {
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(n) => {
                let name = leaves.iter().find(|l| {
                    l.path.len() == i + 2
                        && l.path[..=i] == path[..=i]
                        && matches!(&l.path[i + 1], Seg::Key(k) if k == "name")
                });
                match name {
                    Some(l) => out.push_str(&format!("[name={}]", l.value)),
                    None => out.push_str(&format!("[{n}]")),
                }
            }
        }
    }
    out
}

fn is_pin_path(path: &str, kind: &str) -> bool {
    path.ends_with(".image")
        || path.ends_with(".image.tag")
        || path.ends_with(".image.repository")
        || path.ends_with(".chart.spec.version")
        || (kind == "OCIRepository" && path.ends_with(".spec.ref.tag"))
}

/// `uses: owner/repo@ref # version` lines; the n-th use of an action is its own pin.
fn uses_pins(text: &str) -> Vec<Pin> {
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    let mut pins = Vec::new();
    for (line, raw) in text.lines().enumerate() {
        let t = raw.trim_start();
        let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
        let Some(value) = t.strip_prefix("uses:") else {
            continue;
        };
        let value = value.trim().to_string();
        let action = value.split('@').next().unwrap_or("").to_string();
        let n = seen.entry(action.clone()).or_default();
        *n += 1;
        pins.push(Pin {
            key: format!("uses {action} #{n}"),
            line,
            value,
        });
    }
    pins
}

/// The three texts with every owner-changed pin made identical on all sides (the owner's
/// value, or the template's with `take_template`), so the line merge sees no change there.
pub struct Reconciled {
    pub base: String,
    pub ours: String,
    pub theirs: String,
    pub notes: Vec<PinNote>,
}

fn split_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(String::from).collect()
}

/// `line` with the line ending of `like`.
fn with_ending_of(line: &str, like: &str) -> String {
    let body = line.trim_end_matches(['\r', '\n']);
    let ending = &like[like.trim_end_matches(['\r', '\n']).len()..];
    format!("{body}{ending}")
}

pub fn reconcile(
    path: &str,
    base: &str,
    ours: &str,
    theirs: &str,
    take_template: bool,
) -> Reconciled {
    let (pb, po, pt) = (find(path, base), find(path, ours), find(path, theirs));
    let mut lines = (split_lines(base), split_lines(ours), split_lines(theirs));
    let mut notes = Vec::new();
    for o in &po {
        let (Some(b), Some(t)) = (
            pb.iter().find(|p| p.key == o.key),
            pt.iter().find(|p| p.key == o.key),
        ) else {
            continue;
        };
        if o.value == b.value {
            continue; // the owner left it: the template's change applies as usual
        }
        let (Some(bl), Some(ol), Some(tl)) = (
            lines.0.get(b.line).cloned(),
            lines.1.get(o.line).cloned(),
            lines.2.get(t.line).cloned(),
        ) else {
            continue;
        };
        if take_template {
            lines.0[b.line] = with_ending_of(&tl, &bl);
            lines.1[o.line] = with_ending_of(&tl, &ol);
        } else {
            lines.0[b.line] = with_ending_of(&ol, &bl);
            lines.2[t.line] = with_ending_of(&ol, &tl);
        }
        if o.value != t.value {
            notes.push(PinNote {
                pin: o.key.clone(),
                yours: o.value.clone(),
                template: t.value.clone(),
                kept: if take_template { "template" } else { "yours" },
            });
        }
    }
    Reconciled {
        base: lines.0.concat(),
        ours: lines.1.concat(),
        theirs: lines.2.concat(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "kind: Deployment\nmetadata:\n  name: db\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: pg\n          image: pg:1@sha256:aa\n";

    #[test]
    fn finds_pins_by_path_wherever_the_line_is() {
        let moved = BASE.replace(
            "        - name: pg\n          image: pg:1@sha256:aa\n",
            "        - image: pg:1@sha256:bb\n          name: pg\n",
        );
        let a = find("k8s/x.yaml", BASE);
        let b = find("k8s/x.yaml", &moved);
        assert_eq!(a[0].key, b[0].key);
        assert_eq!((a[0].line, b[0].line), (9, 8));
        assert_eq!(b[0].value, "pg:1@sha256:bb");
    }

    #[test]
    fn owner_pins_survive_template_pins_and_other_changes_merge() {
        let ours = BASE.replace("sha256:aa", "sha256:bb");
        let theirs = BASE
            .replace("sha256:aa", "sha256:cc")
            .replace("replicas: 1", "replicas: 2");
        let r = reconcile("k8s/x.yaml", BASE, &ours, &theirs, false);
        assert!(r.theirs.contains("sha256:bb") && r.theirs.contains("replicas: 2"));
        assert_eq!(r.notes.len(), 1);
        assert_eq!(
            (r.notes[0].yours.as_str(), r.notes[0].template.as_str()),
            ("pg:1@sha256:bb", "pg:1@sha256:cc")
        );
        let r = reconcile("k8s/x.yaml", BASE, &ours, &theirs, true);
        assert!(r.ours.contains("sha256:cc") && r.notes[0].kept == "template");
    }

    #[test]
    fn uses_lines_are_pins_per_occurrence() {
        let wf = "steps:\n  - uses: actions/checkout@aaa # v5\n  - name: x\n    uses: actions/checkout@aaa # v5\n";
        let pins = find(".github/workflows/ci.yml", wf);
        assert_eq!(pins.len(), 2);
        assert_eq!(pins[1].key, "uses actions/checkout #2");
        assert_eq!(pins[0].value, "actions/checkout@aaa # v5");
    }
}
