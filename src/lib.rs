//! guiju (规矩): rules-as-code compliance checking for Chinese government documents.

pub mod calendar;
pub mod check;
pub mod cli;
pub mod diag;
pub mod eval;
pub mod input;
pub mod report;
pub mod source;
pub mod syntax;
pub mod value;
