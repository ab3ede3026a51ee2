//! `ironplate templates versions`.

use crate::error::{EXIT_OK, Result};
use crate::output;
use crate::templates::TemplateSet;

pub fn versions(json: bool) -> Result<u8> {
    let versions = TemplateSet::versions()?;
    let current = TemplateSet::current()?.version;
    if json {
        println!(
            "{}",
            serde_json::to_string(&versions).expect("versions serialize")
        );
    } else {
        output::print(
            &versions
                .iter()
                .map(|v| {
                    if *v == current {
                        format!("{v} (current)\n")
                    } else {
                        format!("{v}\n")
                    }
                })
                .collect::<String>(),
        )?;
    }
    Ok(EXIT_OK)
}
