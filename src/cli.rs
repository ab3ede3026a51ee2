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

#[derive(Debug, Subcommand)]
pub enum PresetsCommand {
    /// List every preset ironplate can find
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show one preset fully resolved (extends applied)
    Show {
        /// Preset name or path
        name: String,
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
