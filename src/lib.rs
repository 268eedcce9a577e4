//! guiju (规矩): rules-as-code compliance checking for Chinese government documents.
//!
//! A policy text is compiled once into a checked [`Program`] ([`compile`], [`compile_str`]);
//! a [`Session`] runs it over a set of [`Inputs`] (files: [`FsInputs`]; bytes: [`MemoryInputs`];
//! or your own) and reports to a [`Sink`]: the problems found in the data ([`DataDiag`]), each
//! rule's non-passing verdict ([`Finding`]) and the [`Summary`], in input order. Every report
//! format of the command line is a sink ([`formats`]); the command line itself is [`cli::run`].
//!
//! ```
//! use guiju::{compile_str, Finding, MemoryInputs, RunOptions, Session, Sink, Summary};
//!
//! let policy = r#"
//! policy p "三门峡市2016年易地扶贫搬迁有关问题整改方案（节选）"
//!   document "三政办〔2017〕28号"
//! record household "搬迁户" {
//!   id         text key          "户编号"
//!   members    int unit 人       "家庭人口"
//!   floor_area decimal unit m²   "住房建筑面积"
//! }
//! rule per_capita_area "人均住房面积不超过25平方米" {
//!   cite line 1388 "人均住房标准25平方米以内"
//!   applies to household
//!   require floor_area / members <= 25 m²
//! }
//! "#;
//! let program = compile_str("p.gj", policy).program.expect("the policy compiles");
//!
//! // An uploaded CSV: 100 m² for 4 people is exactly 25 m² each, a pass; 100.01 m² fails.
//! let inputs = MemoryInputs::new().with("upload.csv", "户编号,家庭人口,住房建筑面积\nH1,4,100\nH2,4,100.01\n");
//!
//! #[derive(Default)]
//! struct Findings(Vec<Finding>);
//! impl Sink for Findings {
//!     fn data_diag(&mut self, d: &guiju::DataDiag) {}
//!     fn finding(&mut self, f: &Finding) { self.0.push(f.clone()) }
//!     fn end(&mut self, _: &Summary) {}
//! }
//!
//! let as_of = chrono::NaiveDate::from_ymd_opt(2017, 6, 30).unwrap();
//! let session = Session::new(&program, RunOptions::new(as_of)).expect("threads start");
//! let mut found = Findings::default();
//! let summary = session.run(&inputs, &mut found);
//!
//! assert_eq!(summary.records, 2);
//! assert_eq!(found.0.len(), 1);
//! assert_eq!(found.0[0].record.key.as_deref(), Some("H2"));
//! assert_eq!(found.0[0].fields[0].path.as_deref(), Some("R3C2")); // the cell, read back
//! assert_eq!(found.0[0].reasons[0].en, "floor_area 100.01 m² / members 4人 = 25.0025 m² > 25 m²");
//! ```
//!
//! Everything else public in this crate (the modules hidden from this documentation: the
//! syntax tree, the checked IR, the evaluator, the readers) is there for guiju's own tests and
//! benchmark, and is not API: it changes without notice.

#![warn(missing_docs)]

#[doc(hidden)]
pub mod calendar;
#[doc(hidden)]
pub mod check;
pub mod cli;
#[doc(hidden)]
pub mod codes;
#[doc(hidden)]
pub mod diag;
#[doc(hidden)]
pub mod eval;
#[doc(hidden)]
pub mod fmt;
pub mod fs;
pub mod input;
pub(crate) mod pipeline;
pub mod report;
pub mod run;
#[doc(hidden)]
pub mod source;
#[doc(hidden)]
pub mod syntax;
#[doc(hidden)]
pub mod template;
#[doc(hidden)]
pub mod value;
#[doc(hidden)]
pub mod vocab;

pub use calendar::Calendar;
pub use check::ir::Program;
pub use check::{compile, compile_str, Compiled, MemoryResolver, Resolver};
pub use diag::{Diagnostic, Lang, Msg};
pub use fs::{FsInputs, FsResolver};
pub use input::{DataDiag, InputSpec, Inputs, MemoryInputs, ReadSeek, Reread};
pub use report::{FieldRef, Finding, GroupRef, RecordRef, RuleRef, Sink, Summary};
pub use run::{RunOptions, Session, SessionError};
pub use syntax::ast::{Outcome, Severity};

/// The report formats of `guiju check`, each a [`Sink`].
pub mod formats {
    pub use crate::report::github::GitHub;
    pub use crate::report::human::{Human, Style};
    pub use crate::report::json::Json;
    pub use crate::report::Tee;
}

/// Helpers for unit tests.
#[cfg(test)]
pub(crate) mod testkit {
    /// A fixed-seed linear congruential generator (tests need no `rand`): each call gives a
    /// number in `0..n`.
    pub(crate) fn lcg(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |n| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        }
    }
}
