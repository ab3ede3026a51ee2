//! The question schema (declared in `templates/questions.toml`) and the validation of one value.
//!
//! Validation lives here, once: every answer, whatever its source, passes through
//! [`Question::parse_value`] (text from `--set` and prompts) or [`Question::check_value`]
//! (typed TOML values from presets and answer files).

use std::fmt;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::models::Model;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionFile {
    #[serde(rename = "question")]
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub key: String,
    pub prompt: String,
    #[serde(default)]
    pub help: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Default value; strings may name earlier answers as `{other_key}`.
    pub default: Option<toml::Value>,
    /// A rule from [`Rule`] for strings and list items.
    pub validate: Option<Rule>,
    #[serde(default)]
    pub choices: Vec<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Tera expression over earlier answers; the question is skipped when it is false.
    pub when: Option<String>,
    /// Empty string allowed (means "not set", e.g. no image override).
    #[serde(default)]
    pub optional: bool,
    /// A version pin (image, chart version): presets may set it under `[pins]`.
    #[serde(default)]
    pub pin: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    String,
    Bool,
    Int,
    Choice,
    List,
    Models,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// RFC 1123 label: lower-case alphanumerics and '-', at most 63 characters.
    Dns1123Label,
    /// A DNS host name made of RFC 1123 labels separated by dots.
    Domain,
    Email,
    /// Exact semantic version, no range.
    Semver,
    /// Container image reference with a tag and/or a sha256 digest.
    Image,
    /// Kubernetes storage quantity such as 20Gi.
    Quantity,
    /// GitHub user or organisation name.
    GithubName,
    /// CODEOWNERS owner: @user, @org/team or an e-mail.
    Codeowner,
    /// age public key (age1...).
    AgeRecipient,
    /// Free single-line text.
    Text,
}

/// A validated answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    List(Vec<String>),
    Models(Vec<Model>),
}

impl Value {
    pub fn to_toml(&self) -> toml::Value {
        match self {
            Value::Str(s) => toml::Value::String(s.clone()),
            Value::Bool(b) => toml::Value::Boolean(*b),
            Value::Int(i) => toml::Value::Integer(*i),
            Value::List(items) => {
                toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect())
            }
            Value::Models(models) => toml::Value::Array(
                models
                    .iter()
                    .map(|m| toml::Value::String(m.to_string()))
                    .collect(),
            ),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::List(items) => f.write_str(&items.join(",")),
            Value::Models(models) => {
                let parts: Vec<String> = models.iter().map(Model::to_string).collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

impl Question {
    /// What the question accepts, for error messages and prompt help.
    pub fn allowed(&self) -> String {
        match self.kind {
            Kind::Bool => "true or false".into(),
            Kind::Int => match (self.min, self.max) {
                (Some(lo), Some(hi)) => format!("a whole number from {lo} to {hi}"),
                (Some(lo), None) => format!("a whole number of at least {lo}"),
                _ => "a whole number".into(),
            },
            Kind::Choice => format!("one of: {}", self.choices.join(", ")),
            Kind::Models => format!(
                "a comma-separated list of PROVIDER/MODEL or ALIAS=PROVIDER/MODEL; providers: {}",
                crate::models::PROVIDERS
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Kind::List => format!(
                "a comma-separated list, each {}",
                self.validate.map_or("non-empty text", Rule::describe)
            ),
            Kind::String => {
                let rule = self.validate.map_or("single-line text", Rule::describe);
                if self.optional {
                    format!("{rule}, or empty")
                } else {
                    rule.to_string()
                }
            }
        }
    }

    fn invalid(&self, value: impl fmt::Display, reason: impl Into<String>) -> Error {
        Error::InvalidAnswer {
            key: self.key.clone(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    fn expected(&self, value: impl fmt::Display) -> Error {
        self.invalid(value, format!("expected {}", self.allowed()))
    }

    /// Parses text typed at a prompt or given with `--set`.
    pub fn parse_value(&self, text: &str) -> Result<Value> {
        // Only ASCII blanks are trimmed: other white space is the owner's and is kept.
        let text = text.trim_matches([' ', '\t']);
        match self.kind {
            Kind::Bool => match text.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" | "1" => Ok(Value::Bool(true)),
                "false" | "no" | "n" | "off" | "0" => Ok(Value::Bool(false)),
                _ => Err(self.expected(text)),
            },
            Kind::Int => text
                .parse::<i64>()
                .map_err(|_| self.expected(text))
                .and_then(|i| self.check_int(i)),
            Kind::List | Kind::Models => {
                let items: Vec<String> = text
                    .split(',')
                    .map(|item| item.trim_matches([' ', '\t']))
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                self.check_items(items)
            }
            Kind::String | Kind::Choice => self.check_str(text),
        }
    }

    /// Checks a typed value from a TOML preset or answers file.
    pub fn check_value(&self, value: &toml::Value) -> Result<Value> {
        match (self.kind, value) {
            (Kind::Bool, toml::Value::Boolean(b)) => Ok(Value::Bool(*b)),
            (Kind::Int, toml::Value::Integer(i)) => self.check_int(*i),
            (Kind::List | Kind::Models, toml::Value::Array(items)) => {
                let mut strings = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        toml::Value::String(s) => strings.push(s.clone()),
                        other => return Err(self.expected(other)),
                    }
                }
                self.check_items(strings)
            }
            // A string is accepted everywhere and parsed like typed text.
            (_, toml::Value::String(s)) => self.parse_value(s),
            (kind, other) => {
                let wanted = match kind {
                    Kind::String | Kind::Choice => "a string",
                    Kind::Bool => "a boolean",
                    Kind::Int => "an integer",
                    Kind::List | Kind::Models => "an array of strings",
                };
                Err(self.invalid(other, format!("expected {wanted}: {}", self.allowed())))
            }
        }
    }

    fn check_int(&self, i: i64) -> Result<Value> {
        if self.min.is_some_and(|lo| i < lo) || self.max.is_some_and(|hi| i > hi) {
            return Err(self.expected(i));
        }
        Ok(Value::Int(i))
    }

    fn check_items(&self, items: Vec<String>) -> Result<Value> {
        if items.is_empty() && !self.optional {
            return Err(self.invalid("", format!("expected {}", self.allowed())));
        }
        if self.kind == Kind::Models {
            let mut models = Vec::with_capacity(items.len());
            for item in &items {
                let model = Model::parse(item).map_err(|reason| self.invalid(item, reason))?;
                if models.iter().any(|m: &Model| m.alias == model.alias) {
                    return Err(self.invalid(item, "model alias used twice"));
                }
                models.push(model);
            }
            return Ok(Value::Models(models));
        }
        for item in &items {
            let rule = self.validate.unwrap_or(Rule::Text);
            rule.check(item)
                .map_err(|reason| self.invalid(item, reason))?;
        }
        Ok(Value::List(items))
    }

    fn check_str(&self, text: &str) -> Result<Value> {
        if text.is_empty() {
            return if self.optional {
                Ok(Value::Str(String::new()))
            } else {
                Err(self.invalid(
                    text,
                    format!("must not be empty; expected {}", self.allowed()),
                ))
            };
        }
        if self.kind == Kind::Choice {
            return if self.choices.iter().any(|c| c == text) {
                Ok(Value::Str(text.to_string()))
            } else {
                Err(self.expected(text))
            };
        }
        let rule = self.validate.unwrap_or(Rule::Text);
        rule.check(text)
            .map_err(|reason| self.invalid(text, reason))?;
        Ok(Value::Str(text.to_string()))
    }
}

impl Rule {
    pub fn describe(self) -> &'static str {
        match self {
            Rule::Dns1123Label => {
                "a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
            }
            Rule::Domain => "a DNS host name such as llm.example.com",
            Rule::Email => "an e-mail address such as security@example.com",
            Rule::Semver => "an exact semantic version such as 1.81.13 (no ranges, no 'v')",
            Rule::Image => {
                "an image reference NAME:TAG, NAME@sha256:<64 hex> or NAME:TAG@sha256:<64 hex>"
            }
            Rule::Quantity => "a storage quantity such as 20Gi, 512Mi or 1Ti",
            Rule::GithubName => {
                "a GitHub name: letters, digits and single '-', not at either end, at most 39 characters"
            }
            Rule::Codeowner => "@user, @org/team or an e-mail address",
            Rule::AgeRecipient => "an age public key: age1 followed by 58 bech32 characters",
            Rule::Text => {
                "single-line text of at most 100 characters as written in YAML (a quote or backslash counts twice), without control or non-printable characters"
            }
        }
    }

    /// Ok when `s` satisfies the rule; the error says why not.
    pub fn check(self, s: &str) -> Result<(), String> {
        let ok = match self {
            Rule::Dns1123Label => is_dns_label(s),
            // The last label must hold a letter: an IP address is no Ingress host.
            Rule::Domain => {
                s.len() <= 253
                    && s.contains('.')
                    && s.split('.').all(is_dns_label)
                    && s.rsplit('.')
                        .next()
                        .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_lowercase()))
            }
            Rule::Email => is_email(s),
            Rule::Semver => is_semver(s),
            Rule::Image => return check_image(s),
            Rule::Quantity => is_quantity(s),
            Rule::GithubName => is_github_name(s),
            Rule::Codeowner => match s.strip_prefix('@') {
                Some(rest) => match rest.split_once('/') {
                    Some((org, team)) => {
                        is_github_name(org)
                            && !team.is_empty()
                            && team
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    }
                    None => is_github_name(rest),
                },
                None => is_email(s),
            },
            Rule::AgeRecipient => {
                s.len() == 62
                    && s.starts_with("age1")
                    && s[4..]
                        .chars()
                        .all(|c| "qpzry9x8gf2tvdw0s3jn54khce6mua7l".contains(c))
            }
            // Bounded so that every line holding it stays within the generated repo's own
            // yamllint limit (150).
            Rule::Text => {
                !s.is_empty()
                    && s.chars()
                        .all(|c| !c.is_control() && crate::render::yaml_printable(c))
                    && crate::render::yaml_scalar(s)
                        .trim_matches('"')
                        .chars()
                        .count()
                        <= TEXT_MAX
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("expected {}", self.describe()))
        }
    }
}

/// Longest free text (an organisation's name), counted as written in YAML.
const TEXT_MAX: usize = 100;

fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_github_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn is_email(s: &str) -> bool {
    let Some((local, host)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && host.contains('.')
        && host
            .split('.')
            .all(|l| is_dns_label(&l.to_ascii_lowercase()))
}

fn is_numeric_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

fn is_semver(s: &str) -> bool {
    let (core, build) = match s.split_once('+') {
        Some((c, b)) => (c, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match core.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core, None),
    };
    let ident_ok = |part: &str| {
        part.split('.')
            .all(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    let nums: Vec<&str> = core.split('.').collect();
    nums.len() == 3
        && nums.iter().all(|n| is_numeric_id(n))
        && pre.is_none_or(|p| {
            ident_ok(p)
                && p.split('.')
                    .all(|id| !id.bytes().all(|c| c.is_ascii_digit()) || is_numeric_id(id))
        })
        && build.is_none_or(ident_ok)
}

/// Bytes of a storage quantity `is_quantity` accepts (`20Gi`), for comparing two of them.
pub fn quantity_bytes(s: &str) -> Option<u128> {
    const UNITS: [(&str, u128); 8] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
    ];
    let (suffix, unit) = UNITS.iter().find(|(suf, _)| s.ends_with(suf))?;
    let number: u128 = s[..s.len() - suffix.len()].parse().ok()?;
    number.checked_mul(*unit)
}

fn is_quantity(s: &str) -> bool {
    const SUFFIXES: [&str; 8] = ["Ki", "Mi", "Gi", "Ti", "Pi", "M", "G", "T"];
    let Some(suffix) = SUFFIXES.iter().find(|suf| s.ends_with(*suf)) else {
        return false;
    };
    let number = &s[..s.len() - suffix.len()];
    is_numeric_id(number) && number != "0"
}

/// The parts of an image reference: registry/path, optional tag, optional digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageRef {
    pub repository: String,
    pub tag: String,
    pub digest: String,
}

impl ImageRef {
    pub fn parse(s: &str) -> Result<ImageRef, String> {
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                let hex = d.strip_prefix("sha256:").ok_or_else(|| {
                    "digest must be sha256:<64 lower-case hex characters>".to_string()
                })?;
                if hex.len() != 64 {
                    return Err(format!(
                        "digest must be sha256: followed by exactly 64 lower-case hex characters (got {} characters)",
                        hex.len()
                    ));
                }
                if !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(
                        "digest must be sha256: followed by lower-case hex characters only (0-9, a-f)"
                            .into(),
                    );
                }
                (n, d.to_string())
            }
            None => (s, String::new()),
        };
        // A ':' after the last '/' separates the tag; one before it is a registry port.
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (&name_tag[..last_slash + i], &name_tag[last_slash + i + 1..]),
            None => (name_tag, ""),
        };
        if tag.is_empty() && digest.is_empty() {
            return Err("needs a tag (name:tag) or a digest (name@sha256:...)".into());
        }
        let tag_ok = tag.len() <= 128
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            && !tag.starts_with(['.', '-']);
        if !tag_ok {
            return Err(format!("invalid tag {tag:?}"));
        }
        let repo_ok = !repository.is_empty()
            && repository.split('/').enumerate().all(|(i, part)| {
                let registry_host = i == 0
                    && repository.contains('/')
                    && (part.contains(['.', ':']) || part == "localhost");
                !part.is_empty()
                    && if registry_host {
                        is_registry_host(part)
                    } else {
                        part.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c)
                        }) && !part.starts_with(['.', '_', '-'])
                    }
            });
        if !repo_ok {
            return Err(format!(
                "invalid repository name {repository:?} (lower-case letters, digits, '.', '_', '-', '/')"
            ));
        }
        Ok(ImageRef {
            repository: repository.to_string(),
            tag: tag.to_string(),
            digest,
        })
    }
}

/// `host[:port]`: DNS labels (any case) separated by dots, an optional port 1-65535.
fn is_registry_host(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|c| c.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
    });
    port_ok
        && !host.is_empty()
        && host
            .split('.')
            .all(|l| is_dns_label(&l.to_ascii_lowercase()))
}

fn check_image(s: &str) -> Result<(), String> {
    ImageRef::parse(s)
        .map(|_| ())
        .map_err(|why| format!("{why}; expected {}", Rule::Image.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_rejects_ranges_and_prefixes() {
        for good in ["1.81.13", "0.1.0", "1.0.0-rc.1", "1.0.0+build.5"] {
            assert!(is_semver(good), "{good}");
        }
        for bad in [
            ">=0.2.3", "v1.2.3", "1.2", "1.2.x", "01.2.3", "1.2.3-01", "^1.2.3", "",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn image_references() {
        let digest = "a".repeat(64);
        let r = ImageRef::parse(&format!("postgres:16-alpine@sha256:{digest}"))
            .expect("test input is valid");
        assert_eq!(
            (r.repository.as_str(), r.tag.as_str()),
            ("postgres", "16-alpine")
        );
        let r = ImageRef::parse("registry.local:5000/team/app:1.2").expect("test input is valid");
        assert_eq!(r.repository, "registry.local:5000/team/app");
        assert!(ImageRef::parse("postgres").is_err());
        assert!(ImageRef::parse("postgres@sha256:abc").is_err());
        assert!(ImageRef::parse("Postgres:16").is_err());
        assert!(ImageRef::parse("postgres:bad tag").is_err());
        assert!(ImageRef::parse(".io/pg:1").is_err());
        assert!(ImageRef::parse("host:99999999/pg:1").is_err());
        assert!(ImageRef::parse("localhost:5000/pg:1").is_ok());
    }

    #[test]
    fn quantities_and_labels() {
        assert!(
            is_quantity("20Gi")
                && is_quantity("512Mi")
                && !is_quantity("20")
                && !is_quantity("0Gi")
        );
        assert!(!is_quantity("1.5Gi") && !is_quantity("Gi"));
        assert!(is_dns_label("litellm") && !is_dns_label("LiteLLM") && !is_dns_label("-a"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_email("security@example.com") && !is_email("nope") && !is_email("a@b"));
    }
}
