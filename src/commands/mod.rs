pub mod new;
pub mod presets;
pub mod templates;
