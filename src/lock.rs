//! The lock `.ironplate.toml`: what made this repo (versions, preset, answers) and, per file it
//! owns, the ownership class and the sha256 of the pristine render last applied.
//! Written with toml_edit so that later rewrites keep an owner's comments.

use sha2::{Digest, Sha256};
use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

use crate::answers::Answers;
use crate::render::RenderedTree;

pub const LOCK_FILE: &str = ".ironplate.toml";

const HEADER: &str = "\
# ironplate lock: how this repo was made, so that `ironplate upgrade` can re-apply newer
# templates three-way without losing your edits. Keep it in git. Change answers with
# `ironplate upgrade --set KEY=VALUE`, not by editing the hashes below.
";

fn edit_value(v: &toml::Value) -> toml_edit::Value {
    match v {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Array(items) => items
            .iter()
            .map(edit_value)
            .collect::<toml_edit::Array>()
            .into(),
        other => other.to_string().into(),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Renders the lock for a freshly written tree.
pub fn render(
    template_version: &str,
    preset: &str,
    answers: &Answers,
    tree: &RenderedTree,
) -> String {
    let mut doc = DocumentMut::new();
    let mut meta = Table::new();
    meta.insert("version", value(env!("CARGO_PKG_VERSION")));
    meta.insert("template_version", value(template_version));
    meta.insert("preset", value(preset));
    meta.decor_mut().set_prefix(HEADER);
    doc.insert("ironplate", Item::Table(meta));

    let mut answers_table = Table::new();
    for (key, v) in &answers.values {
        answers_table.insert(key, value(edit_value(&v.to_toml())));
    }
    doc.insert("answers", Item::Table(answers_table));

    let mut files = Table::new();
    for (path, file) in &tree.files {
        let mut entry = InlineTable::new();
        entry.insert("ownership", file.ownership.as_str().into());
        entry.insert("sha256", sha256_hex(&file.contents).into());
        files.insert(path, value(entry));
    }
    doc.insert("files", Item::Table(files));
    doc.to_string()
}
