//! The upgrade report: a table of paths and actions, unified diffs for `--dry-run`, or JSON.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use similar::TextDiff;

use super::plan::{Action, Entry};

#[derive(Serialize)]
pub struct Report<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub changed: bool,
    pub conflicts: usize,
    pub files: &'a [Entry],
    /// Steps the template versions crossed ask of the owner.
    pub notes: &'a [String],
    pub written: bool,
}

fn style(action: Action) -> Style {
    let color = match action {
        Action::Unchanged | Action::SeededSkip | Action::KeptDeleted | Action::NotAdded => {
            return Style::new();
        }
        Action::Conflict | Action::ModifyDeleteConflict => AnsiColor::Red,
        Action::Removed | Action::Kept => AnsiColor::Yellow,
        _ => AnsiColor::Green,
    };
    Style::new().fg_color(Some(color.into()))
}

pub fn print_text(report: &Report, verbose: bool) -> std::io::Result<()> {
    let mut out = anstream::stdout();
    writeln!(
        out,
        "ironplate upgrade: templates {} -> {}",
        report.from, report.to
    )?;
    print_entries(report.files, verbose)?;
    for note in report.notes {
        writeln!(out, "before you merge: {note}")?;
    }
    let unresolved = report.files.iter().filter(|e| e.unresolved).count();
    let verdict = match (report.changed, report.conflicts, report.written) {
        _ if unresolved > 0 => format!(
            "nothing written: {unresolved} file(s) still hold a conflict from an earlier upgrade (<<<<<<< markers, or *.ironplate-theirs beside them); resolve them first"
        ),
        (false, _, _) => "up to date".to_string(),
        (true, 0, true) => "upgraded".to_string(),
        (true, n, true) => format!(
            "upgraded with {n} conflict(s) to resolve (search for <<<<<<< or *.ironplate-theirs)"
        ),
        (true, 0, false) => "would upgrade (nothing written)".to_string(),
        (true, n, false) => format!("would upgrade with {n} conflict(s) (nothing written)"),
    };
    writeln!(out, "{verdict}")?;
    Ok(())
}

/// One line per entry (unchanged ones counted unless `verbose`), notes and pins under it.
pub fn print_entries(files: &[Entry], verbose: bool) -> std::io::Result<()> {
    let mut out = anstream::stdout();
    let shown: Vec<&Entry> = files
        .iter()
        .filter(|e| verbose || e.action != Action::Unchanged)
        .collect();
    let width = shown
        .iter()
        .map(|e| e.action.as_str().len())
        .max()
        .unwrap_or(0);
    for e in &shown {
        let s = style(e.action);
        let from = e
            .from
            .as_deref()
            .map(|f| format!(" (from {f})"))
            .unwrap_or_default();
        let hunks = if e.hunks > 0 && e.action == Action::Conflict {
            format!(
                " [{} conflict{}]",
                e.hunks,
                if e.hunks == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {s}{:width$}{s:#}  {}{from}{hunks}",
            e.action.as_str(),
            e.path
        )?;
        for line in e.note.lines() {
            writeln!(out, "  {:width$}    {line}", "")?;
        }
        for pin in &e.pins {
            let verb = if pin.kept == "yours" {
                "pin kept"
            } else {
                "pin taken from template"
            };
            writeln!(
                out,
                "  {:width$}    {verb}: yours {}, template {} ({})",
                "", pin.yours, pin.template, pin.pin
            )?;
        }
    }
    let unchanged = files.len() - shown.len();
    if unchanged > 0 {
        writeln!(out, "  ({unchanged} unchanged)")?;
    }
    Ok(())
}

/// Unified diffs of what each entry would write, against what is on disk now.
pub fn print_diffs(entries: &[Entry]) -> std::io::Result<()> {
    let mut out = anstream::stdout();
    let add = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let del = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let hunk = Style::new().fg_color(Some(AnsiColor::Cyan.into()));
    for e in entries {
        let before = e.before.as_deref().unwrap_or_default();
        let (after, label) = match (&e.write, &e.sidecar, e.remove.contains(&e.path)) {
            (Some(w), _, _) => (w.as_slice(), e.path.clone()),
            (None, Some(s), _) => (s.as_slice(), format!("{}.ironplate-theirs", e.path)),
            (None, None, true) => (&b""[..], "/dev/null".to_string()),
            _ => continue,
        };
        let (Ok(a), Ok(b)) = (std::str::from_utf8(before), std::str::from_utf8(after)) else {
            writeln!(out, "Binary files differ: {}", e.path)?;
            continue;
        };
        if a == b {
            if let Some(from) = &e.from {
                writeln!(out, "rename {from} => {}", e.path)?;
            }
            continue;
        }
        let old = e.from.clone().unwrap_or_else(|| e.path.clone());
        let diff = TextDiff::from_lines(a, b);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{old}"), &format!("b/{label}"))
            .to_string();
        for line in text.lines() {
            let s = if line.starts_with("+++") || line.starts_with("---") {
                Style::new().bold()
            } else if line.starts_with('+') {
                add
            } else if line.starts_with('-') {
                del
            } else if line.starts_with("@@") {
                hunk
            } else {
                Style::new()
            };
            writeln!(out, "{s}{line}{s:#}")?;
        }
    }
    Ok(())
}
