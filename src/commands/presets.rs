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

/// Prints the resolved preset: as a preset file (extends applied, the template's default
/// Action pins written out) that `--preset ./FILE.toml` takes as it is, or as JSON details
/// (chain, source, who locked what).
pub fn show(name: &str, json: bool) -> Result<u8> {
    let templates = TemplateSet::current()?;
    let p = preset::load(name, &templates)?;
    // The template's Action pins where the preset names none: what a repo made with it gets.
    let mut actions = templates.actions.clone();
    actions.extend(p.actions.clone());
    let pins: toml::Table = actions
        .iter()
        .map(|(action, pin)| {
            (
                action.clone(),
                toml::Value::try_from(pin).expect("pin serializes"),
            )
        })
        .collect();
    let ownership: toml::Table = p
        .ownership
        .iter()
        .map(|(k, o)| (k.clone(), o.as_str().into()))
        .collect();
    if json {
        let value = serde_json::json!({
            "name": p.name,
            "source": p.source.as_str(),
            "path": p.path,
            "description": p.description,
            "chain": p.chain,
            "locked": p.locked,
            "answers": p.answers,
            "actions": pins,
            "ownership": ownership,
        });
        output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&value).expect("preset serializes")
        ))?;
        return Ok(EXIT_OK);
    }
    let mut file = toml::Table::new();
    file.insert("description".into(), p.description.clone().into());
    file.insert(
        "locked".into(),
        toml::Value::Array(p.locked.keys().cloned().map(Into::into).collect()),
    );
    file.insert(
        "answers".into(),
        toml::Table::from_iter(p.answers.clone()).into(),
    );
    let mut pin_table = toml::Table::new();
    pin_table.insert("actions".into(), pins.into());
    file.insert("pins".into(), pin_table.into());
    if !ownership.is_empty() {
        file.insert("ownership".into(), ownership.into());
    }
    let locked_by: Vec<String> = p
        .locked
        .iter()
        .map(|(k, by)| format!("{k} (by {by})"))
        .collect();
    let header = format!(
        "# Preset `{}`, resolved: {} ({}, {}).\n# A preset file as it is: save it and pass it with `--preset ./FILE.toml`.{}\n",
        p.name,
        p.chain.join(" -> "),
        p.source.as_str(),
        p.path,
        if locked_by.is_empty() {
            String::new()
        } else {
            format!("\n# Locked: {}.", locked_by.join(", "))
        }
    );
    output::print(&format!(
        "{header}{}",
        toml::to_string(&file).expect("preset serializes")
    ))?;
    Ok(EXIT_OK)
}
