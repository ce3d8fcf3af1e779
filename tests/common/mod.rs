pub mod clap;
pub mod x11;
