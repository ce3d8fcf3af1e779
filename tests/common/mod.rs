pub mod a11y;
pub mod clap;
pub mod wav;
pub mod x11;
