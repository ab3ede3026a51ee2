//! Standard output without panics: a closed pipe (`| head`) ends output quietly; any other
//! failure to write (a full disk behind `>`) is an error naming standard output.

use std::io::Write;

use crate::error::{Error, Result};

/// Writes `text` to standard output.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("cannot write to", "standard output", e)),
    }
}
