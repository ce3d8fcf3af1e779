pub mod a11y;
pub mod clap;
pub mod cli;
pub mod editor_host;
pub mod wav;
pub mod x11;
