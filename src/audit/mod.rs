//! `ironplate audit`: judge any gateway repo against the hardening checklist. The repo is read
//! once ([`repo::Repo`]), every check of the registry ([`checks::CHECKS`]) runs on those facts,
//! and the judgement is rendered as Markdown, JSON or SARIF.

pub mod checks;
pub mod k8s;
pub mod repo;
pub mod report;

use std::path::{Path, PathBuf};

use crate::error::{EXIT_ATTENTION, EXIT_OK, Result};
use crate::fsx;
use crate::output;
use checks::{CHECKS, Facts};
use repo::Repo;
use report::Judgement;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    Markdown,
    Json,
    Sarif,
}

pub struct AuditOptions {
    pub dir: PathBuf,
    pub format: AuditFormat,
    pub output: Option<PathBuf>,
}

/// Reads `dir` and runs every check.
pub fn judge(dir: &Path, repo: &Repo) -> Judgement<'static> {
    let facts = Facts::new(repo);
    let results = CHECKS.iter().map(|c| (c, (c.run)(&facts))).collect();
    let has_lock = repo.exists(crate::lock::LOCK_FILE);
    Judgement {
        repository: repository_name(dir),
        has_lock,
        owned: if has_lock {
            owned_files(dir)
        } else {
            Default::default()
        },
        date: today(),
        stack: stack(repo),
        results,
    }
}

pub fn run(opts: AuditOptions) -> Result<u8> {
    let repo = Repo::read(&opts.dir)?;
    let judgement = judge(&opts.dir, &repo);
    let text = match opts.format {
        AuditFormat::Markdown => report::markdown(&judgement),
        AuditFormat::Json => report::json(&judgement),
        AuditFormat::Sarif => report::sarif(&judgement),
    };
    match &opts.output {
        Some(path) => {
            fsx::write_output(path, text.as_bytes())?;
            use checks::Status;
            // On stderr: stdout stays empty for scripts that gave --output.
            eprintln!(
                "wrote {}: {} pass, {} fail, {} manual, {} not applicable",
                path.display(),
                judgement.count(Status::Pass),
                judgement.count(Status::Fail),
                judgement.count(Status::Manual),
                judgement.count(Status::NotApplicable)
            );
        }
        None => output::print(&text)?,
    }
    Ok(if judgement.failed() {
        EXIT_ATTENTION
    } else {
        EXIT_OK
    })
}

/// The paths ironplate's lock records (its `[files]` table). A lock that cannot be read
/// owns nothing here: upgrade itself will say what is wrong with it.
fn owned_files(dir: &Path) -> std::collections::BTreeSet<String> {
    fsx::read_input(&dir.join(crate::lock::LOCK_FILE), "cannot read")
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|t| t.get("files")?.as_table().cloned())
        .map(|files| files.keys().cloned().collect())
        .unwrap_or_default()
}

fn repository_name(dir: &Path) -> String {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| canonical.display().to_string())
}

fn stack(repo: &Repo) -> Vec<&'static str> {
    let mut stack = Vec::new();
    let any = |pred: &dyn Fn(&repo::Doc) -> bool| repo.docs.iter().any(pred);
    if any(&|d| !d.kind().is_empty() && !d.api_version().is_empty()) {
        stack.push("Kubernetes manifests");
    }
    if any(&|d| d.api_version().contains(".toolkit.fluxcd.io/")) {
        stack.push("Flux CD (GitOps)");
    }
    if any(&|d| d.kind() == "HelmRelease") {
        stack.push("Helm");
    }
    if repo.files.iter().any(|f| repo::is_kustomization_file(f)) {
        stack.push("Kustomize");
    }
    if repo.workflows().next().is_some() {
        stack.push("GitHub Actions");
    }
    stack
}

/// Today's date (UTC), or the one `SOURCE_DATE_EPOCH` names, so a report can be reproduced.
fn today() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    civil_date(secs.div_euclid(86_400))
}

/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_date(0), "1970-01-01");
        assert_eq!(super::civil_date(20_506), "2026-02-22");
        assert_eq!(super::civil_date(11_016), "2000-02-29");
    }
}
