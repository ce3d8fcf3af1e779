pub mod clap;
