//! The one integration-test binary: real files in temp dirs, the real binary, real kubectl,
//! a real pseudo-terminal for prompts.

mod adopt;
mod audit;
mod audit_items;
mod bad_input;
mod new;
mod pins;
mod presets;
mod prompts;
mod support;
mod upgrade;
