//! guiju (规矩): rules-as-code compliance checking for Chinese government documents.
//!
//! The pipeline is visible in the modules: [`syntax`] (text → syntax tree) → [`check`] (names,
//! types, units → checked program) → [`eval`] (program × records → verdicts) → [`report`]
//! (findings → human, JSON, SARIF, …), with [`input`] and [`cli`] at the edges.
//!
//! The library stands on its own: an agency's service can compile a policy once and check its own
//! records, getting verdicts and explanations as data.
//!
//! ```
//! use guiju::check::compile_str;
//! use guiju::eval::Engine;
//! use guiju::syntax::ast::Outcome;
//! use guiju::value::{Record, Value};
//!
//! let policy = r#"
//! policy p "三门峡市2016年易地扶贫搬迁有关问题整改方案（节选）"
//!   document "三政办〔2017〕28号"
//! record household "搬迁户" {
//!   members    int unit 人     "家庭人口"
//!   floor_area decimal unit m² "住房建筑面积"
//! }
//! rule per_capita_area "人均住房面积不超过25平方米" {
//!   cite line 1388 "人均住房标准25平方米以内"
//!   applies to household
//!   require floor_area / members <= 25 m²
//! }
//! "#;
//! let compiled = compile_str("p.gj", policy);
//! let program = compiled.program.expect("the policy compiles");
//! let as_of = chrono::NaiveDate::from_ymd_opt(2017, 6, 30).unwrap();
//! let engine = Engine::new(&program, as_of);
//! let household = program.record_type("household").unwrap();
//!
//! // 100 m² for 4 people is exactly 25 m² each: a pass. 100.01 m² fails, with the numbers.
//! let mut verdicts = Vec::new();
//! for area in ["100", "100.01"] {
//!     let record = Record {
//!         ty: household,
//!         values: vec![Value::Num(4.into()), Value::Num(area.parse().unwrap())],
//!         loc: Default::default(),
//!     };
//!     engine.check_record(&record, &mut |v| verdicts.push(v));
//! }
//! assert_eq!(verdicts[0].outcome, Outcome::Pass);
//! assert_eq!(verdicts[1].outcome, Outcome::Fail);
//! let why = verdicts[1].explanation.as_ref().unwrap();
//! assert_eq!(why.reasons[0].en, "floor_area 100.01 m² / members 4人 = 25.0025 m² > 25 m²");
//! ```

pub mod calendar;
pub mod check;
pub mod cli;
pub mod codes;
pub mod diag;
pub mod eval;
pub mod fmt;
pub mod fs;
pub mod input;
pub(crate) mod pipeline;
pub mod report;
pub mod run;
pub mod source;
pub mod syntax;
pub mod template;
pub mod value;

pub use fs::{FsInputs, FsResolver};
pub use input::{Inputs, MemoryInputs};
pub use run::{RunOptions, Session};

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
