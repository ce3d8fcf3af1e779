pub mod clap;
pub mod wav;
pub mod x11;
