//! Text to syntax tree: the pest grammar in `grammar/policy.pest` and the tree built from its parse.

pub mod ast;
pub mod encoding;
pub mod limits;
mod parse;
pub mod scan;

pub use crate::calendar::{parse_date_text as parse_date, parse_datetime_text as parse_datetime};
pub use parse::{parse_chinese_numeral, parse_policy, parse_recovering, Parse};
