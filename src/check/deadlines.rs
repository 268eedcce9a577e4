//! Which period ends are deadlines. `date + period` is moved off a day off (民法典 第二百零三条,
//! where the rule's period rules say so) only where it is the latest day for an act: where it
//! bounds a comparison from above (`act <= start + 90 days`, `start + 90 days >= act`, `<` and
//! `>` alike) or is the date of a target (`require … by start + 1 year`), directly, through a `let`, through either branch of an `if`, or as the start of
//! another such period (`start + 15 days + 7 working days`). Anywhere else it is the day
//! reached, never moved: an age or an anniversary (`birth + 80 years <= on`: the eightieth
//! birthday, a Saturday or not), a minimum length (`end >= start + 3 years`), a date shown or
//! compared for equality.

use super::ir::{Expr, ExprKind, Rule};
use crate::vocab::CmpOp;

/// Marks the deadlines of `rule` (`ExprKind::DateAdd::deadline`).
pub(super) fn mark(rule: &mut Rule) {
    let mut lets = Vec::new();
    let exprs = rule
        .filter
        .iter_mut()
        .chain(rule.requires.iter_mut())
        .chain(rule.unless.iter_mut())
        .chain(rule.lets.iter_mut().map(|l| &mut l.expr));
    for x in exprs {
        x.walk_mut(&mut |e| bounds(e, &mut lets));
    }
    for a in &mut rule.aggs {
        for x in a.expr.iter_mut().chain(a.filter.iter_mut()) {
            x.walk_mut(&mut |e| bounds(e, &mut lets));
        }
    }
    // A let that bounds from above: its own period ends are deadlines (and a let it names, in
    // turn). Each let is marked once.
    let mut done = vec![false; rule.lets.len()];
    while let Some(i) = lets.pop() {
        if std::mem::replace(done.get_mut(i).unwrap_or(&mut true), true) {
            continue;
        }
        if let Some(l) = rule.lets.get_mut(i) {
            upper(&mut l.expr, &mut lets);
        }
    }
}

/// At a comparison, marks the side that bounds from above.
fn bounds(e: &mut Expr, lets: &mut Vec<usize>) {
    match &mut e.kind {
        ExprKind::Cmp { op, lhs, rhs, .. } => match op {
            CmpOp::Le | CmpOp::Lt => upper(rhs, lets),
            CmpOp::Ge | CmpOp::Gt => upper(lhs, lets),
            _ => {}
        },
        // `require C by D`: D is the latest day for the target.
        ExprKind::By(_, d) => upper(d, lets),
        _ => {}
    }
}

/// Marks `x`, an upper bound, as a deadline where it is a period's end.
fn upper(x: &mut Expr, lets: &mut Vec<usize>) {
    match &mut x.kind {
        ExprKind::DateAdd { date, deadline, .. } => {
            *deadline = true;
            upper(date, lets);
        }
        ExprKind::If(_, t, e) => {
            upper(t, lets);
            upper(e, lets);
        }
        ExprKind::Local(i) => lets.push(*i),
        _ => {}
    }
}
