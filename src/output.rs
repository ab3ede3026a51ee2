//! Standard output without panics: a closed pipe (`| head`) ends output quietly; any other
//! failure to write (a full disk behind `>`) is an error naming standard output.

use std::io::Write;

use crate::error::{Error, Result};

/// Writes `text` to standard output.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    written(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// The outcome of writes to standard output made elsewhere (a coloured report): a closed pipe
/// is fine, any other failure an error naming standard output.
pub fn written(result: std::io::Result<()>) -> Result<()> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("cannot write to", "standard output", e)),
    }
}

/// [`written`] for the report of a run that may already have changed the disk: then a failed
/// report is a warning on stderr, not an error that would claim nothing was written.
pub fn report_written(result: std::io::Result<()>, applied: bool) -> Result<()> {
    match written(result) {
        Err(e) if applied => {
            eprintln!("warning: {e} (the changes themselves were written)");
            Ok(())
        }
        other => other,
    }
}
