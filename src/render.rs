//! Rendering: answers + templates → an in-memory tree. Never touches the disk.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tera::{Context, Kwargs, State, Tera};

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::models::Model;
use crate::preset::Preset;
use crate::questions::{ImageRef, Rule, Value};
use crate::templates::{ActionPin, Ownership, TemplateSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// The template path this file came from (placeholders unrendered): pairs the same file
    /// across versions and answer changes that move it.
    pub template: String,
    pub contents: Vec<u8>,
    pub executable: bool,
    pub ownership: Ownership,
}

/// Output path → file, in path order (deterministic).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedTree {
    pub files: BTreeMap<String, RenderedFile>,
}

/// Quotes a string for YAML unless it is plainly a word: it must start with a letter (numbers,
/// dates, `0b…`/`0x…` integers and sexagesimals all start with a digit or sign) and not be one
/// of YAML 1.1's booleans or nulls. Quoted strings escape everything YAML cannot hold raw.
pub fn yaml_scalar(s: &str) -> String {
    const WORDS: [&str; 12] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf", "~",
    ];
    let plain_safe = s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-@".contains(c))
        && !WORDS.contains(&s.to_ascii_lowercase().as_str());
    if plain_safe {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if !yaml_printable(c)
                || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}') =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// YAML 1.2's printable set (c-printable): what may appear unescaped in a YAML stream.
pub fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

#[derive(Serialize)]
struct ProviderCtx<'a> {
    name: &'a str,
    key_env: &'a str,
}

fn context(set: &TemplateSet, answers: &Answers, inputs: &Inputs) -> Context {
    let mut ctx = Context::new();
    let mut images: BTreeMap<&str, ImageRef> = BTreeMap::new();
    let mut unpinned: Vec<String> = Vec::new();
    for (key, value) in &answers.values {
        match value {
            Value::Str(s) => ctx.insert(key.clone(), s),
            Value::Bool(b) => ctx.insert(key.clone(), b),
            Value::Int(i) => ctx.insert(key.clone(), i),
            Value::List(l) => ctx.insert(key.clone(), l),
            Value::Models(m) => ctx.insert(key.clone(), m),
        }
        let is_image = set
            .question(key)
            .is_some_and(|q| q.validate == Some(Rule::Image));
        if let (true, Value::Str(s)) = (is_image, value)
            && let Ok(image) = ImageRef::parse(s)
        {
            if image.digest.is_empty() {
                unpinned.push(format!("{key} = {s}"));
            }
            images.insert(key.as_str(), image);
        }
    }
    let mut providers: Vec<ProviderCtx> = Vec::new();
    if let Some(Value::Models(models)) = answers.get("models") {
        for Model {
            provider, key_env, ..
        } in models
        {
            if !providers.iter().any(|p| p.name == provider) {
                providers.push(ProviderCtx {
                    name: provider,
                    key_env,
                });
            }
        }
    }
    providers.sort_by_key(|p| p.name);
    ctx.insert("images", &images);
    ctx.insert("providers", &providers);
    ctx.insert("unpinned_images", &unpinned);
    ctx.insert("template_version", &set.version);
    ctx.insert("ironplate_version", &inputs.ironplate_version);
    ctx.insert("preset", &inputs.preset);
    ctx
}

fn template_error(name: &str, err: &tera::Error) -> Error {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Template {
        template: name.to_string(),
        message,
    }
}

/// Replaces `{key}` segments of a template path with answers (validated names only).
fn render_path(pattern: &str, answers: &Answers) -> Result<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').ok_or_else(|| Error::Template {
            template: pattern.into(),
            message: "unclosed `{` in path".into(),
        })? + start;
        let key = &rest[start + 1..end];
        let value = answers.str(key);
        if value.is_empty() || value.contains(['/', '\\']) || value.starts_with('.') {
            return Err(Error::Template {
                template: pattern.into(),
                message: format!("path placeholder `{key}` has no usable value"),
            });
        }
        out.push_str(&rest[..start]);
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn build_tera(actions: BTreeMap<String, ActionPin>) -> Tera {
    let mut tera = Tera::new();
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter(
        "yaml",
        |value: &tera::Value, _: Kwargs, _: &State| match value.as_str() {
            Some(s) => yaml_scalar(s),
            None => yaml_scalar(&value.to_string()),
        },
    );
    let actions = Arc::new(actions);
    // `{{ uses(action="actions/checkout") }}` → `actions/checkout@<sha> # v6`. Sub-actions
    // (`github/codeql-action/upload-sarif`) take the pin of their repository.
    tera.register_function("uses", move |kwargs: Kwargs, _: &State| {
        let action: String = kwargs.must_get("action")?;
        let repo: String = action.splitn(3, '/').take(2).collect::<Vec<_>>().join("/");
        match actions.get(&action).or_else(|| actions.get(&repo)) {
            Some(pin) => Ok(pin.uses(&action)),
            None => Err(tera::Error::message(format!(
                "no pin for GitHub Action {action}: add it under [pins.actions] in the preset"
            ))),
        }
    });
    tera
}

/// What a render needs besides the templates and the answers; recorded in the lock so that
/// `upgrade` can rebuild exactly what `new` wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    pub preset: String,
    /// The ironplate release rendering (templates may name it; BASE uses the lock's).
    pub ironplate_version: String,
    /// GitHub Action pins: the template set's, overridden by the preset's.
    pub actions: BTreeMap<String, ActionPin>,
    /// Ownership overrides by template path (from the preset).
    pub ownership: BTreeMap<String, Ownership>,
}

impl Inputs {
    pub fn new(set: &TemplateSet, preset: &Preset) -> Inputs {
        let mut actions = set.actions.clone();
        actions.extend(preset.actions.clone());
        Inputs {
            preset: preset.name.clone(),
            ironplate_version: env!("CARGO_PKG_VERSION").to_string(),
            actions,
            ownership: preset.ownership.clone(),
        }
    }
}

pub fn render(set: &TemplateSet, answers: &Answers, inputs: &Inputs) -> Result<RenderedTree> {
    let mut tera = build_tera(inputs.actions.clone());
    let mut selected = Vec::new();
    for file in &set.files {
        let rule = set.rule(&file.path);
        if rule.when.as_ref().is_some_and(|c| !c.eval(&answers.values)) {
            continue;
        }
        if file.templated {
            tera.add_raw_template(&file.path, file.source)
                .map_err(|e| template_error(&file.path, &e))?;
        }
        selected.push((file, rule));
    }
    let ctx = context(set, answers, inputs);
    let mut tree = RenderedTree::default();
    for (file, rule) in selected {
        let contents = if file.templated {
            tera.render(&file.path, &ctx)
                .map_err(|e| template_error(&file.path, &e))?
                .into_bytes()
        } else {
            file.source.as_bytes().to_vec()
        };
        let path = render_path(&file.path, answers)?;
        let ownership = inputs
            .ownership
            .get(&file.path)
            .copied()
            .unwrap_or(rule.ownership);
        tree.files.insert(
            path,
            RenderedFile {
                template: file.path.clone(),
                contents,
                executable: rule.executable,
                ownership,
            },
        );
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalar_quotes_only_when_needed() {
        assert_eq!(yaml_scalar("litellm"), "litellm");
        assert_eq!(yaml_scalar("1.81.13"), "\"1.81.13\"");
        assert_eq!(yaml_scalar("yes"), "\"yes\"");
        assert_eq!(yaml_scalar("Acme: \"Inc\" # x"), r#""Acme: \"Inc\" # x""#);
        assert_eq!(yaml_scalar(""), "\"\"");
        assert_eq!(yaml_scalar("a\\b"), r#""a\\b""#);
        for typed in [
            "0b101",
            "2024-01-01",
            "1e3",
            "0x10",
            "12:30",
            "+1",
            ".inf",
            "Off",
            "Y",
        ] {
            assert!(yaml_scalar(typed).starts_with('"'), "{typed}");
        }
        assert_eq!(yaml_scalar("\u{ffff}x"), "\"\\uffffx\"");
    }
}
