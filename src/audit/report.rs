//! The audit's three renderings: Markdown in the shape of the human report, JSON, SARIF 2.1.0.
//! Pure: a [`Judgement`] in, text out.

use serde_json::{Value, json};

use crate::audit::checks::{Check, Outcome, Section, Severity, Status};
use crate::audit::repo::Evidence;

pub struct Judgement<'a> {
    pub repository: String,
    /// Whether the repo has ironplate's lock: a finding ironplate can fix is fixed by
    /// `upgrade` there, by `adopt` in a repo without one.
    pub has_lock: bool,
    /// The files the lock records: the ones `upgrade` rewrites (empty without a lock).
    pub owned: std::collections::BTreeSet<String>,
    pub date: String,
    pub stack: Vec<&'static str>,
    pub results: Vec<(&'a Check, Outcome)>,
}

/// The workflows ironplate's templates write (adopt adds or hardens these, and no others).
const TEMPLATE_WORKFLOWS: [&str; 3] = ["/lint.yml", "/security.yml", "/sonar.yml"];

impl Judgement<'_> {
    /// The verb that fixes a check's findings in this repo.
    pub fn fix(&self, check: &Check) -> &'static str {
        match (check.fix, self.has_lock) {
            (crate::audit::checks::Fix::Upgrade, false) => "adopt",
            (fix, _) => fix.as_str(),
        }
    }

    /// The verb that fixes these findings: `upgrade` only rewrites the files ironplate owns,
    /// and adopt leaves the owner's own workflows: findings all in such files are `manual`.
    pub fn fix_for(&self, check: &Check, outcome: &Outcome) -> &'static str {
        let general = self.fix(check);
        let all = |f: &dyn Fn(&str) -> bool| {
            !outcome.evidence.is_empty() && outcome.evidence.iter().all(|e| f(&e.path))
        };
        let by_hand = match general {
            "upgrade" => all(&|p| !self.owned.contains(p)),
            // adopt leaves the owner's own workflows as they are.
            "adopt" => all(&|p| {
                p.starts_with(".github/workflows/")
                    && !TEMPLATE_WORKFLOWS.iter().any(|w| p.ends_with(w))
            }),
            _ => false,
        };
        if by_hand { "manual" } else { general }
    }

    pub fn section_status(&self, section: Section) -> Status {
        if self
            .results
            .iter()
            .any(|(c, o)| c.section == section && o.status == Status::Fail)
        {
            Status::Fail
        } else {
            Status::Pass
        }
    }

    pub fn count(&self, status: Status) -> usize {
        self.results
            .iter()
            .filter(|(_, o)| o.status == status)
            .count()
    }

    pub fn failed(&self) -> bool {
        self.count(Status::Fail) > 0
    }

    fn in_section(&self, section: Section) -> impl Iterator<Item = &(&Check, Outcome)> {
        self.results
            .iter()
            .filter(move |(c, _)| c.section == section)
    }
}

fn location(e: &Evidence) -> String {
    match e.line {
        Some(line) => format!("{}:{line}", e.path),
        None => e.path.clone(),
    }
}

/// `text` as a Markdown code span whatever it holds: the fence is longer than any run of
/// backticks inside, and line breaks (a file name may hold one) are shown escaped.
fn code_span(text: &str) -> String {
    let text = text.replace('\r', "\\r").replace('\n', "\\n");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A message on one Markdown line.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// A repo path as a relative URI reference (RFC 3986): everything but unreserved characters
/// and `/` percent-encoded, so that `#`, `%`, `?` and spaces stay part of the path.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "Pass",
        _ => "Fail",
    }
}

pub fn markdown(j: &Judgement) -> String {
    let mut out = String::new();
    out.push_str("# Maintenance Audit Report\n\n");
    out.push_str(&format!("**Repository:** {}\n", code_span(&j.repository)));
    out.push_str(&format!("**Date:** {}\n", j.date));
    out.push_str(&format!("**Stack:** {}\n", j.stack.join(", ")));
    out.push_str(&format!(
        "**Audited by:** ironplate {} ({} pass, {} fail, {} manual, {} not applicable)\n",
        env!("CARGO_PKG_VERSION"),
        j.count(Status::Pass),
        j.count(Status::Fail),
        j.count(Status::Manual),
        j.count(Status::NotApplicable)
    ));
    for section in Section::ALL {
        out.push_str("\n---\n\n");
        out.push_str(&format!("### {}\n\n", section.title()));
        out.push_str(&format!(
            "**Status: {}**\n\n",
            status_word(j.section_status(section))
        ));
        for (check, outcome) in j.in_section(section) {
            let mark = match outcome.status {
                Status::Pass | Status::NotApplicable => "x",
                Status::Fail | Status::Manual => " ",
            };
            let suffix = match outcome.status {
                Status::Pass => String::new(),
                Status::Fail => format!(
                    " ({}, fix: {})",
                    check.severity.as_str(),
                    j.fix_for(check, outcome)
                ),
                Status::Manual => format!(
                    " (manual: {})",
                    outcome.note.as_deref().unwrap_or("not judged from files")
                ),
                Status::NotApplicable => format!(
                    " (not applicable: {})",
                    outcome.note.as_deref().unwrap_or("")
                ),
            };
            out.push_str(&format!(
                "- [{mark}] {} {}{suffix}\n",
                check.id, check.title
            ));
            for e in &outcome.evidence {
                out.push_str(&format!(
                    "  - {} {}\n",
                    code_span(&location(e)),
                    one_line(&e.message)
                ));
            }
            for e in &outcome.accepted {
                out.push_str(&format!(
                    "  - accepted risk: {} {}\n",
                    code_span(&location(e)),
                    one_line(&e.message)
                ));
            }
        }
    }
    out
}

fn evidence_json(e: &Evidence) -> Value {
    json!({ "path": e.path, "line": e.line, "message": e.message })
}

pub fn json(j: &Judgement) -> String {
    let sections: Vec<Value> =
        Section::ALL
            .iter()
            .map(|&section| {
                let checks: Vec<Value> = j
                .in_section(section)
                .map(|(check, outcome)| {
                    let mut value = json!({
                        "id": check.id,
                        "title": check.title,
                        "status": outcome.status.as_str(),
                        "severity": check.severity.as_str(),
                        "fix": j.fix_for(check, outcome),
                        "evidence": outcome.evidence.iter().map(evidence_json).collect::<Vec<_>>(),
                    });
                    if let Some(note) = &outcome.note {
                        value["note"] = json!(note);
                    }
                    if !outcome.accepted.is_empty() {
                        value["accepted"] =
                            json!(outcome.accepted.iter().map(evidence_json).collect::<Vec<_>>());
                    }
                    value
                })
                .collect();
                json!({
                    "id": section.id(),
                    "title": section.title(),
                    "status": j.section_status(section).as_str(),
                    "checks": checks,
                })
            })
            .collect();
    let doc = json!({
        "tool": "ironplate",
        "version": env!("CARGO_PKG_VERSION"),
        "repository": j.repository,
        "date": j.date,
        "stack": j.stack,
        "sections": sections,
        "summary": {
            "pass": j.count(Status::Pass),
            "fail": j.count(Status::Fail),
            "manual": j.count(Status::Manual),
            "not_applicable": j.count(Status::NotApplicable),
        },
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning ranks security results by this property (0.0-10.0).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

pub fn sarif(j: &Judgement) -> String {
    let rules: Vec<Value> = j
        .results
        .iter()
        .map(|(check, _)| {
            json!({
                "id": check.id,
                "name": check.id.replace('-', ""),
                "shortDescription": { "text": check.title },
                "defaultConfiguration": { "level": sarif_level(check.severity) },
                "properties": {
                    "tags": ["security", check.section.id()],
                    "security-severity": security_severity(check.severity),
                    "fix": j.fix(check),
                },
            })
        })
        .collect();
    let mut results = Vec::new();
    let result = |index: usize, check: &Check, e: &Evidence| {
        let mut physical = json!({ "artifactLocation": { "uri": uri_path(&e.path) } });
        if let Some(line) = e.line {
            physical["region"] = json!({ "startLine": line });
        }
        json!({
            "ruleId": check.id,
            "ruleIndex": index,
            "level": sarif_level(check.severity),
            "message": { "text": format!("{}: {}", check.title, e.message) },
            "locations": [ { "physicalLocation": physical } ],
        })
    };
    for (index, (check, outcome)) in j.results.iter().enumerate() {
        if outcome.status == Status::Fail {
            for e in &outcome.evidence {
                results.push(result(index, check, e));
            }
        }
        // Accepted risks are results too, suppressed in the source with the owner's reason
        // (code scanning lists them as dismissed, not open).
        for e in &outcome.accepted {
            let mut r = result(index, check, e);
            let reason = e
                .message
                .rsplit_once(" (accepted: ")
                .map_or(e.message.as_str(), |(_, why)| why.trim_end_matches(')'));
            r["suppressions"] = json!([ { "kind": "inSource", "justification": reason } ]);
            results.push(r);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": {
                "name": "ironplate",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            } },
            "results": results,
        } ],
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::{code_span, uri_path};

    #[test]
    fn paths_stay_paths_in_uris_and_code_spans() {
        assert_eq!(uri_path("k8s/my file#1%.yaml"), "k8s/my%20file%231%25.yaml");
        assert_eq!(uri_path("k8s/ä.yaml"), "k8s/%C3%A4.yaml");
        assert_eq!(uri_path("k8s/a-b_c.~/x.yaml"), "k8s/a-b_c.~/x.yaml");
        assert_eq!(code_span("a.yaml:3"), "`a.yaml:3`");
        assert_eq!(code_span("a`b``c.yaml"), "```a`b``c.yaml```");
        assert_eq!(code_span("`a"), "`` `a ``");
        assert_eq!(code_span("a\nb"), "`a\\nb`");
    }
}
