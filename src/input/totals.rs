//! 合计 rows checked against the rows above them.
//!
//! A form's 合计 (or 总计) row holds the sum of every record row since its header; a 小计 row the
//! sum of the rows since the last totals row of either kind. Totals rows are not records. For
//! each field the policy marks `total`, the reader adds up the records it reads, exactly, and at
//! a totals row compares the row's cell with that sum:
//!
//! - equal: nothing is said;
//! - different: `I0026`, an error at the cell that fails the run (exit code 1), with both figures;
//! - the cell empty: nothing is claimed, nothing checked;
//! - a row above lacks the value, or the cell cannot be read: `I0027`, a warning that the total
//!   could not be checked (a missing value is not taken for zero).

use super::DataDiag;
use crate::check::ir::{Field, RecordType, Ty};
use crate::value::Value;
use rust_decimal::Decimal;

/// One `total` field's sums.
#[derive(Clone)]
struct Sum {
    slot: usize,
    /// Since the header, and since the last totals row: the sum of the values read, and the
    /// first record line that had none (a sum that cannot be known).
    all: (Decimal, Option<u32>),
    since: (Decimal, Option<u32>),
}

/// The sums of a record type's `total` fields over the rows read so far.
pub(crate) struct Totals {
    sums: Vec<Sum>,
    rows_all: u64,
    rows_since: u64,
}

impl Totals {
    /// `None` when the record type has no `total` field: nothing is added up.
    pub(crate) fn new(rt: &RecordType) -> Option<Totals> {
        let sums: Vec<Sum> = rt
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.total)
            .map(|(slot, _)| Sum {
                slot,
                all: (Decimal::ZERO, None),
                since: (Decimal::ZERO, None),
            })
            .collect();
        (!sums.is_empty()).then_some(Totals {
            sums,
            rows_all: 0,
            rows_since: 0,
        })
    }

    /// Adds a record's values, read from `line`.
    pub(crate) fn add(&mut self, values: &[Value], line: u32) {
        self.rows_all += 1;
        self.rows_since += 1;
        for s in &mut self.sums {
            let v = match values.get(s.slot) {
                Some(Value::Num(n)) => Some(*n),
                _ => None,
            };
            for (sum, lacking) in [&mut s.all, &mut s.since] {
                match v.and_then(|n| sum.checked_add(n)) {
                    Some(x) if lacking.is_none() => *sum = x,
                    Some(_) => {}
                    None => {
                        lacking.get_or_insert(line);
                    }
                }
            }
        }
    }

    /// A totals row at `line` (`subtotal`: 小计) whose cells `cell(slot)` gives (its value and
    /// 1-based column): the problems with it. The sums since the last totals row start again.
    pub(crate) fn check(
        &mut self,
        fields: &[Field],
        path: &str,
        line: u32,
        subtotal: bool,
        cell: impl Fn(usize) -> Option<(Value, u32)>,
        place: impl Fn(&mut DataDiag, u32),
    ) -> Vec<DataDiag> {
        let mut out = Vec::new();
        let rows = if subtotal {
            self.rows_since
        } else {
            self.rows_all
        };
        let (row_zh, row_en) = if subtotal {
            ("小计行", "subtotal row")
        } else {
            ("合计行", "totals row")
        };
        for s in &mut self.sums {
            let Some(f) = fields.get(s.slot) else {
                continue;
            };
            let (sum, lacking) = if subtotal { s.since } else { s.all };
            s.since = (Decimal::ZERO, None);
            let label = f.label.as_deref().unwrap_or(&f.name);
            let Some((value, col)) = cell(s.slot) else {
                continue;
            };
            let mut d = match (&value, lacking) {
                (Value::Missing, _) => continue,
                (Value::Num(n), None) if *n == sum => continue,
                (Value::Num(n), None) => {
                    let mut d = DataDiag::new(
                        "I0026",
                        path,
                        line,
                        col,
                        format!(
                            "{row_zh}的 `{label}` 为 {}，而其上 {rows} 行之和为 {}",
                            shown(*n, f),
                            shown(sum, f)
                        ),
                        format!(
                            "the {row_en}'s `{label}` is {}, but the {rows} row(s) above it add up to {}",
                            shown(*n, f),
                            shown(sum, f)
                        ),
                    )
                    .help(
                        "核对该列各行与合计；表中的合计应等于其上各行之和",
                        "check the column's rows and its total: a form's total is the sum of the rows above it",
                    );
                    d.fails = true;
                    d
                }
                (Value::Num(_), Some(at)) => DataDiag::new(
                    "I0027",
                    path,
                    line,
                    col,
                    format!(
                        "{row_zh}的 `{label}` 无法核对：第 {at} 行没有可读的 `{label}`（缺失不按 0 计）"
                    ),
                    format!(
                        "the {row_en}'s `{label}` cannot be checked: line {at} has no readable `{label}` (missing is not taken for 0)"
                    ),
                ),
                (_, _) => DataDiag::new(
                    "I0027",
                    path,
                    line,
                    col,
                    format!("{row_zh}的 `{label}` 无法核对：此单元格不是数"),
                    format!("the {row_en}'s `{label}` cannot be checked: the cell is not a number"),
                ),
            };
            place(&mut d, col);
            out.push(d);
        }
        self.rows_since = 0;
        out
    }
}

/// A figure in its field's unit (`1,180,000 元`, `118 万元`).
fn shown(n: Decimal, f: &Field) -> String {
    let Ty::Num(nt) = &f.ty else {
        return n.normalize().to_string();
    };
    let v = if nt.unit.scale.is_zero() {
        Some(n)
    } else {
        n.checked_div(nt.unit.scale)
    };
    match v {
        Some(v) if nt.unit.name.is_empty() => v.normalize().to_string(),
        Some(v) => format!("{} {}", v.normalize(), nt.unit.name),
        None => n.normalize().to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn program() -> crate::check::ir::Program {
        let src = "policy t \"t\"\nrecord r \"行\" {\n  id text key \"编号\"\n  n int unit 人 total \"人数\"\n  m decimal unit 万元 total \"金额\"\n}\n";
        crate::check::compile_str("t.gj", src).program.unwrap()
    }

    fn num(n: i64) -> Value {
        Value::Num(Decimal::from(n))
    }

    #[test]
    fn totals_and_subtotals_are_the_sums_of_their_rows() {
        let p = program();
        let rt = &p.records[0];
        let mut t = Totals::new(rt).unwrap();
        let none = |_: &mut DataDiag, _: u32| {};
        t.add(&[Value::Text("a".into()), num(2), num(10_000)], 2);
        t.add(&[Value::Text("b".into()), num(3), num(20_000)], 3);
        // 小计 of the two rows: right.
        let ok = t.check(
            &rt.fields,
            "f.csv",
            4,
            true,
            |s| Some(([num(0), num(5), num(30_000)][s].clone(), 2)),
            none,
        );
        assert!(ok.is_empty(), "{ok:?}");
        t.add(&[Value::Text("c".into()), num(4), Value::Missing], 5);
        // A 小计 of the one row since: people right, money unknowable.
        let sub = t.check(
            &rt.fields,
            "f.csv",
            6,
            true,
            |s| Some(([num(0), num(4), num(0)][s].clone(), 2)),
            none,
        );
        assert_eq!(sub.len(), 1);
        assert_eq!(sub[0].code, "I0027");
        assert!(
            sub[0].message.zh.contains("第 5 行"),
            "{}",
            sub[0].message.zh
        );
        // The 合计 of all three rows: 9 people, not 8.
        let all = t.check(
            &rt.fields,
            "f.csv",
            7,
            false,
            |s| Some(([num(0), num(8), Value::Missing][s].clone(), 2)),
            none,
        );
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].code, "I0026");
        assert!(all[0].fails);
        assert_eq!(
            all[0].message.zh,
            "合计行的 `人数` 为 8 人，而其上 3 行之和为 9 人"
        );
    }
}
