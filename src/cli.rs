//! Command-line surface. Only clap types live here; everything else takes plain values.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  ironplate new my-gateway --preset default --yes
  ironplate new my-gateway --preset hetzner-ha --set org_name='Acme Inc' --set domain=llm.acme.io
  ironplate new my-gateway --preset ./acme.toml --answers answers.toml --yes
  ironplate presets list --format json
  ironplate presets show example-org
  ironplate completions bash > /etc/bash_completion.d/ironplate";

#[derive(Debug, Parser)]
#[command(
    name = "ironplate",
    version,
    about = "Writes and maintains hardened GitOps repos for an AI gateway (LiteLLM + Postgres + Redis, Flux CD, Hetzner)",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a complete, hardened gateway repo into DIR
    #[command(after_help = "Examples:
  ironplate new my-gateway --preset default --yes
  ironplate new my-gateway --set cluster_name=staging --set litellm_replicas=2
  ironplate new old-baseline --template-version 0.1.0 --yes")]
    New(NewArgs),
    /// Re-apply the current templates to a repo made earlier, keeping the owner's edits
    #[command(after_help = "Examples:
  ironplate upgrade --dry-run          # the plan and the diffs; writes nothing
  ironplate upgrade                    # three-way merge; exit 1 if conflicts are left
  ironplate upgrade --check            # CI: exit 1 when an upgrade would change anything
  ironplate upgrade --set cluster_name=staging   # change an answer; moves files with your edits")]
    Upgrade(UpgradeArgs),
    /// Judge a gateway repo (made by ironplate or not) against the hardening checklist
    #[command(after_help = "Examples:
  ironplate audit                       # Markdown report of the current folder; exit 1 if a check fails
  ironplate audit path/to/repo --format json
  ironplate audit --format sarif --output audit.sarif   # for GitHub code scanning

Exit codes: 0 every check passes (manual and not-applicable ones aside), 1 a check fails,
2 DIR cannot be read.")]
    Audit(AuditArgs),
    /// Bring a hand-made gateway repo under ironplate: infer answers, harden, write the lock
    #[command(after_help = "Examples:
  ironplate adopt --dry-run            # what it would infer, add, harden and keep; writes nothing
  ironplate adopt --yes                # take what the repo says, the preset for the rest
  ironplate adopt path/to/repo --preset hetzner-ha --set github_org=acme

Exit codes: 0 adopted; 1 adopted, with files kept as yours to review (the template's version
beside each as PATH.ironplate-theirs); 2 refused or bad input, nothing written.")]
    Adopt(AdoptArgs),
    /// List or show presets (built-in, user and file presets)
    Presets {
        #[command(subcommand)]
        command: PresetsCommand,
    },
    /// Show the template versions embedded in this binary
    Templates {
        #[command(subcommand)]
        command: TemplatesCommand,
    },
    /// Print a shell completion script
    Completions {
        /// The shell to generate completions for
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Folder to create; must not exist or be empty (see --force)
    pub dir: PathBuf,
    /// Preset name (built-in or in $XDG_CONFIG_HOME/ironplate/presets) or path to a .toml file
    #[arg(long, value_name = "NAME|PATH", default_value = "default")]
    pub preset: String,
    /// Answer a question; repeatable; wins over --answers, prompts and presets
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// TOML file of answers (flat `key = value` table)
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Never prompt: unanswered questions take the preset's value, then the question default
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Write into a non-empty DIR, overwriting only the files ironplate renders
    #[arg(long)]
    pub force: bool,
    /// Render an older embedded template version instead of the current one
    #[arg(long, value_name = "V")]
    pub template_version: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
    /// The repo (holds .ironplate.toml)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Print the plan and unified diffs; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write nothing; exit 1 if an upgrade would change anything, 0 if up to date
    #[arg(long, conflicts_with = "dry_run")]
    pub check: bool,
    /// How to leave conflicts: diff3 markers in the file, or the template's version beside it
    /// as PATH.ironplate-theirs
    #[arg(long, value_enum, default_value_t = ConflictStyle::Inline)]
    pub conflict: ConflictStyle,
    /// Proceed although the git work tree has uncommitted changes
    #[arg(long)]
    pub allow_dirty: bool,
    /// Change an answer; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Pins you changed (image digests, chart version, Action SHAs) take the template's value;
    /// by default yours stay
    #[arg(long)]
    pub take_template_pins: bool,
    /// Preset to take policy and new answers from (default: the one in the lock)
    #[arg(long, value_name = "NAME|PATH")]
    pub preset: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct AdoptArgs {
    /// The repo to adopt (has no .ironplate.toml yet)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Preset for what the repo does not say (built-in name or path)
    #[arg(long, value_name = "NAME|PATH", default_value = "default")]
    pub preset: String,
    /// Answer a question; repeatable; wins over what the repo says
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Never prompt: what the repo says, then the preset, then the question default
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the plan and unified diffs; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Proceed although the git work tree has uncommitted changes
    #[arg(long)]
    pub allow_dirty: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The repo to judge
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = AuditFormatArg::Md)]
    pub format: AuditFormatArg,
    /// Write the report to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormatArg {
    Md,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConflictStyle {
    Inline,
    Rej,
}

#[derive(Debug, Subcommand)]
pub enum PresetsCommand {
    /// List every preset ironplate can find
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show one preset fully resolved (extends applied): a preset file you can save and use
    /// (text), or its details (json)
    Show {
        /// Preset name or path
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Template versions embedded, oldest first
    Versions {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}
