//! `ironplate templates versions`.

use crate::error::{EXIT_OK, Result};
use crate::templates::TemplateSet;

pub fn versions(json: bool) -> Result<u8> {
    let versions = TemplateSet::versions()?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&versions).expect("versions serialize")
        );
    } else {
        for v in versions {
            println!("{v}");
        }
    }
    Ok(EXIT_OK)
}
