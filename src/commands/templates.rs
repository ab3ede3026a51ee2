//! `ironplate templates versions`.

use crate::error::{EXIT_OK, Result};
use crate::output;
use crate::templates::TemplateSet;

pub fn versions(json: bool) -> Result<u8> {
    let versions = TemplateSet::versions()?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&versions).expect("versions serialize")
        );
    } else {
        output::print(
            &versions
                .iter()
                .map(|v| format!("{v}\n"))
                .collect::<String>(),
        )?;
    }
    Ok(EXIT_OK)
}
