//! guiju (规矩): rules-as-code compliance checking for Chinese government documents.

pub mod diag;
pub mod source;
pub mod syntax;
