//! Running a policy's examples: each expectation met or not, and why.

use super::{format_value, Engine, Explanation, GroupRun, Lookups, Verdict};
use crate::check::ir::{Example, Program};
use crate::diag::Lang;
use crate::value::Value;
use crate::vocab::Outcome;
use chrono::NaiveDate;

/// One evaluation seen in an example: which record or group, and the verdict.
#[derive(Debug, Clone)]
pub struct Seen {
    pub who: String,
    pub outcome: Outcome,
    pub explanation: Option<Box<Explanation>>,
}

/// An expectation that did not hold.
#[derive(Debug, Clone)]
pub struct Unmet {
    pub expectation: usize,
    /// What the rule actually did on the records it was meant for (empty: it never ran on them).
    pub seen: Vec<Seen>,
}

#[derive(Debug, Clone)]
pub struct ExampleResult {
    pub example: usize,
    pub expectations: usize,
    pub unmet: Vec<Unmet>,
}

fn key_text(program: &Program, ty: usize, values: &[Value]) -> Option<String> {
    let rt = program.records.get(ty)?;
    let slot = rt.key?;
    let f = rt.fields.get(slot)?;
    values.get(slot).map(|v| format_value(v, &f.ty, Lang::Zh))
}

/// Runs one example. `default_as_of` applies when the example sets none.
pub fn run_example(
    program: &Program,
    idx: usize,
    ex: &Example,
    default_as_of: NaiveDate,
) -> ExampleResult {
    let as_of = ex.as_of.unwrap_or(default_as_of);
    // As a reader's records are: blank values of fields with a `default` read as it.
    let filled: Vec<crate::value::Record> = ex
        .records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            program.fill_defaults(&mut r);
            r
        })
        .collect();
    let mut lookups = Lookups::for_program(program);
    for r in &filled {
        lookups.add(program, r);
    }
    let engine = Engine::new(program, as_of).with_lookups(&lookups);
    let mut groups = GroupRun::new(program, as_of).with_lookups(&lookups);
    // (rule, who, key, verdict)
    let mut seen: Vec<(usize, String, Option<String>, Verdict)> = Vec::new();
    for (i, rec) in filled.iter().enumerate() {
        let key = key_text(program, rec.ty, &rec.values);
        let who = key.clone().unwrap_or_else(|| format!("#{}", i + 1));
        engine.check_record(rec, &mut |v| {
            seen.push((v.rule, who.clone(), key.clone(), v))
        });
        groups.feed(rec, &mut |v| {
            seen.push((v.rule, who.clone(), key.clone(), v))
        });
    }
    for g in groups.finish() {
        let rule = g.verdict.rule;
        // A joined rule's verdict is on one record, known by its key.
        if let Some(rec) = &g.record {
            let key = key_text(program, rec.ty, &rec.values);
            let who = key.clone().unwrap_or_else(|| "#?".into());
            seen.push((rule, who, key, g.verdict));
            continue;
        }
        let key = program
            .rules
            .get(rule)
            .and_then(|r| super::group::key_shown(r, &g.key));
        let who = key
            .clone()
            .map(|k| format!("group {k}"))
            .unwrap_or_else(|| "all".into());
        seen.push((rule, who, key, g.verdict));
    }
    // Group keys of enum or number type print by their type; match them loosely by text.
    let mut unmet = Vec::new();
    for (ei, x) in ex.expects.iter().enumerate() {
        let relevant: Vec<&(usize, String, Option<String>, Verdict)> = seen
            .iter()
            .filter(|(r, _, key, _)| {
                *r == x.rule
                    && x.for_key
                        .as_ref()
                        .map(|k| key.as_deref() == Some(k.as_str()))
                        .unwrap_or(true)
            })
            .collect();
        // A rule that never ran on the example's records did not apply to them.
        let ok = if relevant.is_empty() {
            x.outcome == Outcome::NotApplicable
        } else {
            relevant.iter().all(|(_, _, _, v)| v.outcome == x.outcome)
        };
        if !ok {
            unmet.push(Unmet {
                expectation: ei,
                seen: relevant
                    .into_iter()
                    .map(|(_, who, _, v)| Seen {
                        who: who.clone(),
                        outcome: v.outcome,
                        explanation: v.explanation.clone(),
                    })
                    .collect(),
            });
        }
    }
    ExampleResult {
        example: idx,
        expectations: ex.expects.len(),
        unmet,
    }
}

/// Runs every example of a program.
pub fn run_examples(program: &Program, default_as_of: NaiveDate) -> Vec<ExampleResult> {
    program
        .examples
        .iter()
        .enumerate()
        .map(|(i, ex)| run_example(program, i, ex, default_as_of))
        .collect()
}
