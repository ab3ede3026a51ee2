//! ironplate: writes and maintains hardened GitOps repos for an AI gateway.
//! `main.rs` only parses arguments and maps [`error::Error`] to an exit code.

pub mod adopt;
pub mod answers;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod condition;
pub mod error;
pub mod fsx;
pub mod lock;
pub mod models;
pub mod output;
pub mod preset;
pub mod prompt;
pub mod questions;
pub mod render;
pub mod templates;
pub mod upgrade;
pub mod yaml;

use clap::CommandFactory;

use cli::{AuditFormatArg, Cli, Command, Format, PresetsCommand, TemplatesCommand};
use error::{EXIT_OK, Result};

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::New(args) => commands::new::run(commands::new::NewOptions {
            dir: args.dir,
            preset: args.preset,
            set: args.set,
            answers_file: args.answers,
            yes: args.yes,
            force: args.force,
            template_version: args.template_version,
        }),
        Command::Upgrade(args) => upgrade::run(upgrade::UpgradeOptions {
            dir: args.dir,
            dry_run: args.dry_run,
            check: args.check,
            conflict: match args.conflict {
                cli::ConflictStyle::Inline => upgrade::plan::ConflictMode::Inline,
                cli::ConflictStyle::Rej => upgrade::plan::ConflictMode::SideFile,
            },
            allow_dirty: args.allow_dirty,
            set: args.set,
            preset: args.preset,
            json: args.format == Format::Json,
            take_template_pins: args.take_template_pins,
        }),
        Command::Audit(args) => audit::run(audit::AuditOptions {
            dir: args.dir,
            format: match args.format {
                AuditFormatArg::Md => audit::AuditFormat::Markdown,
                AuditFormatArg::Json => audit::AuditFormat::Json,
                AuditFormatArg::Sarif => audit::AuditFormat::Sarif,
            },
            output: args.output,
        }),
        Command::Adopt(args) => adopt::run(adopt::AdoptOptions {
            dir: args.dir,
            preset: args.preset,
            set: args.set,
            yes: args.yes,
            dry_run: args.dry_run,
            allow_dirty: args.allow_dirty,
            json: args.format == Format::Json,
        }),
        Command::Presets { command } => match command {
            PresetsCommand::List { format } => commands::presets::list(format == Format::Json),
            PresetsCommand::Show { name, format } => {
                commands::presets::show(&name, format == Format::Json)
            }
        },
        Command::Templates {
            command: TemplatesCommand::Versions { format },
        } => commands::templates::versions(format == Format::Json),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics when it cannot write.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ironplate", &mut script);
            output::print(&String::from_utf8_lossy(&script))?;
            Ok(EXIT_OK)
        }
    }
}
