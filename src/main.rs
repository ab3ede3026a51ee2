use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ironplate::cli::Cli::parse();
    match ironplate::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            anstream::eprintln!(
                "{}error:{} {err}",
                anstyle::AnsiColor::Red.render_fg(),
                anstyle::Reset.render()
            );
            ExitCode::from(err.exit_code())
        }
    }
}
