//! `ironplate new`: resolve answers, render in memory, then write the tree and the lock.

use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::answers::{self, Given};
use crate::error::{EXIT_OK, Error, Result};
use crate::fsx;
use crate::lock;
use crate::preset;
use crate::prompt::{InquirePrompter, Prompter};
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
    match fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("cannot inspect", dir, e)),
        Ok(meta) if !meta.is_dir() => Err(refuse("it exists and is not a folder")),
        Ok(_) => {
            let mut entries = fs::read_dir(dir).map_err(|e| Error::io("cannot read", dir, e))?;
            if entries.next().is_some() && !force {
                Err(refuse(
                    "it is not empty (use --force to write into it; files ironplate does not render are left alone)",
                ))
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

    let interactive = !opts.yes && std::io::stdin().is_terminal();
    let mut inquire = InquirePrompter;
    let prompter: Option<&mut dyn Prompter> = if interactive {
        Some(&mut inquire)
    } else {
        None
    };
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
    println!(
        "wrote {} files to {} (templates {}, preset {})",
        tree.files.len() + 1,
        opts.dir.display(),
        templates.version,
        preset.name
    );
    println!(
        "next: read {}/README.md, then `git init` and `flux bootstrap` as it describes",
        opts.dir.display()
    );
    Ok(EXIT_OK)
}

/// Writes every file (lock last). Every path is checked before the first write; on an I/O
/// failure, removes what this run created.
fn write_tree(dir: &Path, tree: &RenderedTree, lock_text: &str) -> Result<()> {
    let files: Vec<(&str, &[u8], bool)> = tree
        .files
        .iter()
        .map(|(p, f)| (p.as_str(), f.contents.as_slice(), f.executable))
        .chain(std::iter::once((
            lock::LOCK_FILE,
            lock_text.as_bytes(),
            false,
        )))
        .collect();
    let targets = files
        .iter()
        .map(|(rel, _, _)| fsx::safe_join(dir, rel))
        .collect::<Result<Vec<_>>>()?;
    let mut created_dirs = Vec::new();
    let mut created_files = Vec::new();
    let result = (|| {
        if !dir.exists() {
            fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
            created_dirs.push(dir.to_path_buf());
        }
        for ((_, contents, executable), path) in files.iter().zip(&targets) {
            fsx::create_parents(dir, path, &mut created_dirs)?;
            let existed = path.exists();
            fsx::write_atomic(path, contents, *executable)?;
            if !existed {
                created_files.push(path.clone());
            }
        }
        Ok(())
    })();
    if result.is_err() {
        for f in created_files.iter().rev() {
            let _ = fs::remove_file(f);
        }
        for d in created_dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
    result
}
