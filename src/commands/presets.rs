//! `ironplate presets list|show`.

use crate::error::{EXIT_ATTENTION, EXIT_OK, Result};
use crate::output;
use crate::preset;
use crate::templates::TemplateSet;

pub fn list(json: bool) -> Result<u8> {
    let templates = TemplateSet::current()?;
    let presets = preset::list(&templates);
    if json {
        output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&presets).expect("preset list serializes")
        ))?;
    } else {
        let width = presets.iter().map(|p| p.name.len()).max().unwrap_or(0);
        let mut text = String::new();
        for p in &presets {
            let about = match &p.error {
                Some(e) => format!("BROKEN: {e}"),
                None => p.description.clone(),
            };
            text.push_str(&format!("{:width$}  {:8}  {about}\n", p.name, p.source));
        }
        output::print(&text)?;
    }
    // Listed, but some preset cannot be used: needs attention.
    Ok(if presets.iter().any(|p| p.error.is_some()) {
        EXIT_ATTENTION
    } else {
        EXIT_OK
    })
}

/// Prints the resolved preset as TOML (extends applied, `locked` showing who locked what).
pub fn show(name: &str) -> Result<u8> {
    let templates = TemplateSet::current()?;
    let p = preset::load(name, &templates)?;
    let mut out = toml::Table::new();
    out.insert("name".into(), p.name.clone().into());
    out.insert("source".into(), p.source.as_str().into());
    out.insert("path".into(), p.path.clone().into());
    out.insert("description".into(), p.description.clone().into());
    out.insert(
        "chain".into(),
        toml::Value::Array(p.chain.iter().cloned().map(Into::into).collect()),
    );
    let locked: toml::Table = p
        .locked
        .iter()
        .map(|(k, by)| (k.clone(), by.clone().into()))
        .collect();
    out.insert("locked".into(), locked.into());
    out.insert(
        "answers".into(),
        toml::Table::from_iter(p.answers.clone()).into(),
    );
    let mut pins = toml::Table::new();
    for (action, pin) in &p.actions {
        pins.insert(
            action.clone(),
            toml::Value::try_from(pin).expect("pin serializes"),
        );
    }
    out.insert("actions".into(), pins.into());
    let ownership: toml::Table = p
        .ownership
        .iter()
        .map(|(k, o)| (k.clone(), o.as_str().into()))
        .collect();
    out.insert("ownership".into(), ownership.into());
    output::print(&toml::to_string(&out).expect("preset serializes"))?;
    Ok(EXIT_OK)
}
