//! `ironplate new`: resolve answers, render in memory, then write the tree and the lock.

use std::fs;
use std::path::{Path, PathBuf};

use crate::answers::{self, Given};
use crate::error::{EXIT_OK, Error, Result};
use crate::fsx;
use crate::lock;
use crate::preset;
use crate::prompt::InquirePrompter;
use crate::render::{self, RenderedTree};
use crate::templates::TemplateSet;

pub struct NewOptions {
    pub dir: PathBuf,
    pub preset: String,
    pub set: Vec<String>,
    pub answers_file: Option<PathBuf>,
    pub yes: bool,
    pub force: bool,
    pub template_version: Option<String>,
}

/// The folder's last name, used as the default project name.
pub fn dir_name(dir: &Path) -> String {
    let named = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty());
    named
        .or_else(|| {
            std::path::absolute(dir)
                .ok()
                .and_then(|abs| abs.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_default()
}

fn check_target(dir: &Path, force: bool) -> Result<()> {
    let refuse = |reason: &str| Error::Refused {
        dir: dir.to_path_buf(),
        reason: reason.to_string(),
    };
    // `a/../b` would create `a` beside the target: only leading `..` are accepted.
    let mut seen_name = false;
    for part in dir.components() {
        match part {
            std::path::Component::Normal(_) => seen_name = true,
            std::path::Component::ParentDir if seen_name => {
                return Err(refuse(
                    "the path has `..` after a folder name; give it without",
                ));
            }
            _ => {}
        }
    }
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) && !dir.exists() {
        return Err(refuse("it is a symlink to nothing"));
    }
    match fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("cannot inspect", dir, e)),
        Ok(meta) if !meta.is_dir() => Err(refuse("it exists and is not a folder")),
        Ok(_) => {
            let mut entries = fs::read_dir(dir).map_err(|e| Error::io("cannot read", dir, e))?;
            if entries.next().is_some() && !force {
                Err(refuse(if dir.join(crate::lock::LOCK_FILE).exists() {
                    "it is already an ironplate repo: use `ironplate upgrade` to bring it to the current templates (your edits kept)"
                } else {
                    "it is not empty (a hand-made gateway repo? `ironplate adopt` brings it under ironplate, keeping your content; --force writes into it, overwriting the files ironplate renders)"
                }))
            } else {
                Ok(())
            }
        }
    }
}

pub fn run(opts: NewOptions) -> Result<u8> {
    let templates = TemplateSet::by_version(opts.template_version.as_deref())?;
    let preset = preset::load(&opts.preset, &templates)?;
    let given = Given::from_cli(&templates, &opts.set, opts.answers_file.as_deref())?;
    check_target(&opts.dir, opts.force)?;

    let mut inquire = InquirePrompter;
    let prompter = crate::prompt::if_interactive(opts.yes, &mut inquire);
    let answers = answers::resolve(
        &templates,
        &preset,
        &given,
        None,
        prompter,
        &dir_name(&opts.dir),
    )?;
    let inputs = render::Inputs::new(&templates, &preset);
    let tree = render::render(&templates, &answers, &inputs)?;
    let lock_text = lock::render(&templates.version, &inputs, &answers, &tree);

    write_tree(&opts.dir, &tree, &lock_text)?;
    // The repo is written: a closed or full standard output no longer changes the outcome.
    let _ = crate::output::print(&format!(
        "wrote {} files to {} (templates {}, preset {})\nnext: read {}/README.md, then `git init` and `flux bootstrap` as it describes\n",
        tree.files.len() + 1,
        opts.dir.display(),
        templates.version,
        preset.name,
        opts.dir.display()
    ));
    if let Some(warning) =
        answers::example_identity_warning(&answers, "`ironplate upgrade --set KEY=VALUE`")
    {
        eprintln!("{warning}");
    }
    Ok(EXIT_OK)
}

/// Writes every file, the lock last, as one transaction: a failure leaves DIR as it was.
fn write_tree(dir: &Path, tree: &RenderedTree, lock_text: &str) -> Result<()> {
    // Every path is checked before anything is created.
    for rel in tree
        .files
        .keys()
        .map(String::as_str)
        .chain([lock::LOCK_FILE])
    {
        fsx::safe_join(dir, rel)?;
    }
    let mut tx = fsx::Transaction::new(dir, fsx::Durability::Atomic);
    tx.create_root()?;
    for (rel, file) in &tree.files {
        tx.stage(rel, &file.contents, file.executable)?;
    }
    tx.stage(lock::LOCK_FILE, lock_text.as_bytes(), false)?;
    tx.commit()
}
