//! One error type for the whole tool; every variant knows its exit code.

use std::path::PathBuf;

/// Exit code for "done, nothing needs attention".
pub const EXIT_OK: u8 = 0;
/// Exit code for "done, but something needs the owner's attention" (conflicts, failing checks).
pub const EXIT_ATTENTION: u8 = 1;
/// Exit code for bad input, usage errors and refusals; nothing was written.
pub const EXIT_REFUSED: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid value for `{key}`: {value:?}: {reason}")]
    InvalidAnswer {
        key: String,
        value: String,
        reason: String,
    },

    #[error("unknown question `{key}`{hint} (from {origin}); known keys: {known}")]
    UnknownKey {
        key: String,
        origin: String,
        hint: String,
        known: String,
    },

    #[error(
        "`{key}` is locked by preset `{preset}` and cannot be changed (it is organisation policy)"
    )]
    LockedKey { key: String, preset: String },

    #[error("`{key}` (from {origin}) does not apply here: it is only asked when {condition}")]
    NotApplicable {
        key: String,
        origin: String,
        condition: String,
    },

    #[error(
        "missing answers for: {}\n  give them with --set KEY=VALUE, --answers FILE, a preset, or run without --yes in a terminal",
        keys.join(", ")
    )]
    MissingAnswers { keys: Vec<String> },

    #[error("bad --set argument {arg:?}: expected KEY=VALUE")]
    BadSetArg { arg: String },

    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    BadFile {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },

    #[error("preset `{name}` not found; available: {available}")]
    PresetNotFound { name: String, available: String },

    #[error("presets extend each other in a cycle: {}", chain.join(" -> "))]
    PresetCycle { chain: Vec<String> },

    #[error(
        "template version `{requested}` is not embedded in this ironplate; available: {available}"
    )]
    UnknownTemplateVersion {
        requested: String,
        available: String,
    },

    #[error(
        "{} has no .ironplate.toml: it was not made by ironplate (or the lock was deleted); restore the lock from git, or run `ironplate adopt` to bring the repo under ironplate",
        dir.display()
    )]
    NoLock { dir: PathBuf },

    #[error(
        "{dir} has uncommitted changes; commit or stash them first (or pass --allow-dirty):\n{status}"
    )]
    DirtyTree { dir: PathBuf, status: String },

    #[error("refusing to write into {dir}: {reason}")]
    Refused { dir: PathBuf, reason: String },

    #[error("template error in {template}: {message}")]
    Template { template: String, message: String },

    #[error("prompt failed: {0}")]
    Prompt(String),

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Every error is a refusal: the job was not done, and nothing was left half-written.
    pub fn exit_code(&self) -> u8 {
        EXIT_REFUSED
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A user-given string made safe to print on a terminal: control characters (escape sequences
/// among them) are shown escaped, everything else as is.
pub fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
