pub mod a11y;
pub mod clap;
pub mod cli;
pub mod wav;
pub mod x11;
