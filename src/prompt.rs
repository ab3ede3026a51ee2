//! Asking questions. [`Prompter`] is the seam: `new` uses [`InquirePrompter`] on a terminal;
//! tests drive the real one through a pseudo-terminal.

use inquire::validator::Validation;
use inquire::{Confirm, Select, Text};

use crate::error::{Error, Result};
use crate::questions::{Kind, Question, Value};

pub trait Prompter {
    /// Asks one question; `default` is what Enter accepts.
    fn ask(&mut self, question: &Question, default: Option<&Value>) -> Result<Value>;
}

/// Interactive prompts on the terminal (inquire).
pub struct InquirePrompter;

fn prompt_error(e: inquire::InquireError) -> Error {
    match e {
        inquire::InquireError::OperationCanceled | inquire::InquireError::OperationInterrupted => {
            Error::Prompt("cancelled; nothing was written".into())
        }
        other => Error::Prompt(other.to_string()),
    }
}

impl Prompter for InquirePrompter {
    fn ask(&mut self, question: &Question, default: Option<&Value>) -> Result<Value> {
        let help = if question.help.is_empty() {
            question.allowed()
        } else {
            format!("{} ({})", question.help, question.allowed())
        };
        match question.kind {
            Kind::Bool => {
                let answer = Confirm::new(&question.prompt)
                    .with_help_message(&help)
                    .with_default(matches!(default, Some(Value::Bool(true))))
                    .prompt()
                    .map_err(prompt_error)?;
                Ok(Value::Bool(answer))
            }
            Kind::Choice => {
                let start = default
                    .and_then(Value::as_str)
                    .and_then(|d| question.choices.iter().position(|c| c == d))
                    .unwrap_or(0);
                let choice = Select::new(&question.prompt, question.choices.clone())
                    .with_help_message(&help)
                    .with_starting_cursor(start)
                    .prompt()
                    .map_err(prompt_error)?;
                Ok(Value::Str(choice))
            }
            _ => {
                let default_text = default.map(Value::to_string);
                let checker = question.clone();
                let mut text = Text::new(&question.prompt)
                    .with_help_message(&help)
                    .with_validator(move |input: &str| {
                        Ok(match checker.parse_value(input) {
                            Ok(_) => Validation::Valid,
                            Err(e) => Validation::Invalid(e.to_string().into()),
                        })
                    });
                if let Some(d) = default_text.as_deref() {
                    text = text.with_default(d);
                }
                let input = text.prompt().map_err(prompt_error)?;
                question.parse_value(&input)
            }
        }
    }
}

/// The terminal's prompter when prompts may run: stdin is a terminal and `--yes` is absent.
/// Otherwise none, and a missing answer is an error instead of a wait for input.
pub fn if_interactive(yes: bool, inquire: &mut InquirePrompter) -> Option<&mut dyn Prompter> {
    use std::io::IsTerminal;
    if !yes && std::io::stdin().is_terminal() {
        Some(inquire)
    } else {
        None
    }
}
