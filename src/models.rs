//! Model entries of the proxy's `model_list`: `PROVIDER/MODEL` or `ALIAS=PROVIDER/MODEL`.

use std::fmt;

use serde::Serialize;

/// A model provider LiteLLM routes to, and the environment variable holding its API key
/// (names as documented by LiteLLM's provider pages).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Provider {
    pub name: &'static str,
    pub key_env: &'static str,
}

pub const PROVIDERS: &[Provider] = &[
    Provider {
        name: "openai",
        key_env: "OPENAI_API_KEY",
    },
    Provider {
        name: "anthropic",
        key_env: "ANTHROPIC_API_KEY",
    },
    Provider {
        name: "azure",
        key_env: "AZURE_API_KEY",
    },
    Provider {
        name: "gemini",
        key_env: "GEMINI_API_KEY",
    },
    Provider {
        name: "mistral",
        key_env: "MISTRAL_API_KEY",
    },
    Provider {
        name: "groq",
        key_env: "GROQ_API_KEY",
    },
    Provider {
        name: "cohere",
        key_env: "COHERE_API_KEY",
    },
    Provider {
        name: "deepseek",
        key_env: "DEEPSEEK_API_KEY",
    },
    Provider {
        name: "openrouter",
        key_env: "OPENROUTER_API_KEY",
    },
    Provider {
        name: "together_ai",
        key_env: "TOGETHERAI_API_KEY",
    },
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Model {
    /// Name clients ask for (`model_name`).
    pub alias: String,
    pub provider: String,
    /// Provider-side model id.
    pub model: String,
    /// Environment variable holding the provider's key.
    pub key_env: String,
}

impl Model {
    pub fn parse(s: &str) -> Result<Model, String> {
        let (alias, target) = match s.split_once('=') {
            Some((a, t)) => (Some(a.trim()), t.trim()),
            None => (None, s.trim()),
        };
        let Some((provider, model)) = target.split_once('/') else {
            return Err("expected PROVIDER/MODEL, e.g. openai/gpt-4o-mini".into());
        };
        let Some(known) = PROVIDERS.iter().find(|p| p.name == provider) else {
            let names: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
            return Err(format!(
                "unknown provider {provider:?}; known providers: {}",
                names.join(", ")
            ));
        };
        // Starts and ends with a letter or digit; no empty path segment.
        let name_ok = |n: &str| {
            n.starts_with(|c: char| c.is_ascii_alphanumeric())
                && n.ends_with(|c: char| c.is_ascii_alphanumeric())
                && !n.contains("//")
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-:/@".contains(c))
        };
        if !name_ok(model) {
            return Err(format!(
                "invalid model id {model:?}: letters, digits and . _ - : / @, starting and ending with a letter or digit"
            ));
        }
        let alias = alias.unwrap_or_else(|| model.rsplit('/').next().unwrap_or(model));
        if !name_ok(alias) {
            return Err(format!(
                "invalid alias {alias:?} (letters, digits and . _ - : / @)"
            ));
        }
        Ok(Model {
            alias: alias.to_string(),
            provider: provider.to_string(),
            model: model.to_string(),
            key_env: known.key_env.to_string(),
        })
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default_alias = self.model.rsplit('/').next().unwrap_or(&self.model);
        if self.alias == default_alias {
            write!(f, "{}/{}", self.provider, self.model)
        } else {
            write!(f, "{}={}/{}", self.alias, self.provider, self.model)
        }
    }
}
