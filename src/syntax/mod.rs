//! Text to syntax tree: the pest grammar in `grammar/policy.pest` and the tree built from its parse.

pub mod ast;
mod parse;

pub use parse::{parse_chinese_numeral, parse_policy};
