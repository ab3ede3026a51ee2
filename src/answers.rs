//! Answers: one validated value per applicable question, built from (highest first)
//! `--set` / `--answers`, prompts, the preset, then question defaults.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::preset::{Preset, did_you_mean, known_keys, line_of_key};
use crate::prompt::Prompter;
use crate::questions::{Question, Value};
use crate::templates::TemplateSet;

/// Validated answers, keyed by question key (only questions whose `when` holds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers {
    pub values: BTreeMap<String, Value>,
}

impl Answers {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    pub fn str(&self, key: &str) -> &str {
        self.values.get(key).and_then(Value::as_str).unwrap_or("")
    }
}

/// Identity answers still holding the example values of the built-in presets (example.com,
/// Example Org): `KEY = VALUE` for each, so that a run can say to replace them.
pub fn example_identity(answers: &Answers) -> Vec<String> {
    const KEYS: [&str; 5] = [
        "org_name",
        "github_org",
        "domain",
        "security_contact",
        "codeowners",
    ];
    KEYS.iter()
        .filter_map(|key| {
            let value = answers.get(key)?.to_string();
            let lower = value.to_ascii_lowercase();
            let example = [
                "example.com",
                "example.org",
                "example.net",
                "example org",
                "example-org",
            ]
            .iter()
            .any(|e| lower.contains(e));
            example.then(|| format!("{key} = {value}"))
        })
        .collect()
}

/// The warning for [`example_identity`], or None when there is nothing to replace.
pub fn example_identity_warning(answers: &Answers, how: &str) -> Option<String> {
    let found = example_identity(answers);
    (!found.is_empty()).then(|| {
        format!(
            "warning: example identity in use (replace it before you push; {how}): {}",
            found.join(", ")
        )
    })
}

/// Answers given on the command line, already checked against the questions.
#[derive(Debug, Default)]
pub struct Given {
    /// key → (value, where it came from: `--set` or the answers file path).
    values: BTreeMap<String, (Value, String)>,
}

impl Given {
    /// Parses `--set KEY=VALUE` pairs over the answers file (the pairs win).
    pub fn from_cli(
        templates: &TemplateSet,
        sets: &[String],
        answers_file: Option<&Path>,
    ) -> Result<Given> {
        let mut given = Given::default();
        if let Some(path) = answers_file {
            let text = crate::fsx::read_input(path, "cannot read answers file")?;
            let table: toml::Table = toml::from_str(&text).map_err(|e| Error::BadFile {
                file: path.to_path_buf(),
                line: e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
                message: e.message().trim().to_string(),
            })?;
            for (key, raw) in &table {
                let bad = |message: String| Error::BadFile {
                    file: path.to_path_buf(),
                    line: line_of_key(&text, key),
                    message,
                };
                let question = templates.question(key).ok_or_else(|| {
                    bad(format!(
                        "unknown question `{}`{}; known keys: {}",
                        crate::error::printable(key),
                        did_you_mean(key, templates),
                        known_keys(templates)
                    ))
                })?;
                let value = question.check_value(raw).map_err(|e| bad(e.to_string()))?;
                given
                    .values
                    .insert(key.clone(), (value, path.display().to_string()));
            }
        }
        for arg in sets {
            let (key, text) = arg
                .split_once('=')
                .filter(|(k, _)| !k.trim().is_empty())
                .ok_or_else(|| Error::BadSetArg { arg: arg.clone() })?;
            let key = key.trim();
            let question = templates.question(key).ok_or_else(|| Error::UnknownKey {
                key: crate::error::printable(key),
                origin: "--set".into(),
                hint: did_you_mean(key, templates),
                known: known_keys(templates),
            })?;
            let value = question.parse_value(text)?;
            given
                .values
                .insert(key.to_string(), (value, "--set".to_string()));
        }
        Ok(given)
    }

    pub fn from_values(values: BTreeMap<String, Value>, origin: &str) -> Given {
        Given {
            values: values
                .into_iter()
                .map(|(k, v)| (k, (v, origin.to_string())))
                .collect(),
        }
    }
}

/// Fills `{key}` placeholders (a string default, an upgrade note) from answers.
pub(crate) fn fill_placeholders(text: &str, so_far: &BTreeMap<String, Value>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start + 1..].find('}') {
            Some(end) => {
                let key = &rest[start + 1..start + 1 + end];
                match so_far.get(key) {
                    Some(v) => out.push_str(&v.to_string()),
                    None => out.push_str(&rest[start..start + 2 + end]),
                }
                rest = &rest[start + 2 + end..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The question's default with placeholders filled: `Ok(None)` when it has none, `Err(why)`
/// when it does not validate (e.g. a folder name that is not a DNS label): then it is no
/// default, and a missing answer says why.
fn default_for(
    question: &Question,
    so_far: &BTreeMap<String, Value>,
    dir_name: &str,
) -> Result<Option<Value>, String> {
    let Some(raw) = question.default.as_ref() else {
        return Ok(None);
    };
    match raw {
        toml::Value::String(s) => {
            let mut vars = so_far.clone();
            vars.insert("dir_name".into(), Value::Str(dir_name.to_string()));
            let filled = fill_placeholders(s, &vars);
            question.parse_value(&filled).map(Some).map_err(|_| {
                format!(
                    "its default {:?} is not valid here",
                    crate::error::printable(&filled)
                )
            })
        }
        other => question
            .check_value(other)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

/// Answers recorded in a lock, and the lock's path for messages.
pub struct Recorded<'a> {
    pub values: &'a toml::Table,
    pub file: &'a Path,
}

/// Resolves every applicable question. Precedence, highest first: `given` (`--set`,
/// `--answers`), a value the preset locks, `recorded` (the lock, on upgrade), the prompter
/// (`None` when prompts must not run), the preset, the question's default.
pub fn resolve(
    templates: &TemplateSet,
    preset: &Preset,
    given: &Given,
    recorded: Option<&Recorded>,
    mut prompter: Option<&mut dyn Prompter>,
    dir_name: &str,
) -> Result<Answers> {
    for key in given.values.keys() {
        if let Some(by) = preset.locked.get(key) {
            return Err(Error::LockedKey {
                key: key.clone(),
                preset: by.clone(),
            });
        }
    }
    let mut so_far: BTreeMap<String, Value> = BTreeMap::new();
    let mut missing = Vec::new();
    for question in &templates.questions {
        let key = &question.key;
        if let Some(cond) = templates.question_conditions.get(key)
            && !cond.eval(&so_far)
        {
            if let Some((_, origin)) = given.values.get(key) {
                return Err(Error::NotApplicable {
                    key: key.clone(),
                    origin: origin.clone(),
                    condition: cond.source().to_string(),
                });
            }
            continue;
        }
        let from_preset = preset
            .answers
            .get(key)
            .map(|raw| question.check_value(raw))
            .transpose()
            .map_err(|e| Error::BadFile {
                file: preset.path.clone().into(),
                line: None,
                message: e.to_string(),
            })?;
        let locked = preset.locked.contains_key(key);
        let from_record = recorded
            .and_then(|r| r.values.get(key).map(|raw| (r, raw)))
            .map(|(r, raw)| {
                question.check_value(raw).map_err(|e| Error::BadFile {
                    file: r.file.to_path_buf(),
                    line: None,
                    message: format!("recorded answer no longer valid: {e}"),
                })
            })
            .transpose()?;
        let value = if let Some((value, _)) = given.values.get(key) {
            Some(value.clone())
        } else if let (true, Some(v)) = (locked, &from_preset) {
            Some(v.clone())
        } else if let Some(v) = from_record {
            Some(v)
        } else if let (Some(p), false) = (prompter.as_deref_mut(), locked) {
            let fallback = from_preset
                .clone()
                .or_else(|| default_for(question, &so_far, dir_name).ok().flatten());
            Some(p.ask(question, fallback.as_ref())?)
        } else {
            match from_preset {
                Some(v) => Some(v),
                None => default_for(question, &so_far, dir_name).unwrap_or_else(|why| {
                    missing.push(format!("{key} ({}; {why})", question.allowed()));
                    None
                }),
            }
        };
        match value {
            Some(v) => {
                so_far.insert(key.clone(), v);
            }
            None if missing.iter().any(|m| m.starts_with(&format!("{key} ("))) => {}
            None if locked => missing.push(format!(
                "{key} (locked by preset `{}`, which sets no value for it: fix the preset)",
                preset.locked[key]
            )),
            None => missing.push(format!("{key} ({})", question.allowed())),
        }
    }
    if !missing.is_empty() {
        return Err(Error::MissingAnswers { keys: missing });
    }
    Ok(Answers { values: so_far })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_from_earlier_answers() {
        let mut so_far = BTreeMap::new();
        so_far.insert("github_org".to_string(), Value::Str("acme".into()));
        assert_eq!(
            fill_placeholders("@{github_org}/platform", &so_far),
            "@acme/platform"
        );
        assert_eq!(fill_placeholders("{unknown} {", &so_far), "{unknown} {");
    }
}
