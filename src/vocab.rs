//! The words every phase shares: outcomes, severities, operators and duration units.
//!
//! They are defined here, not in `syntax`, so that `eval` and `report` can name an outcome or an
//! operator without seeing the syntax tree (`ARCHITECTURE.md`, "The arrows"); `syntax::ast`
//! re-exports them for the parser.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotApplicable,
    Pending,
    Unknown,
    /// A requirement does not hold, and an exception (`unless`) that does: the record relied on
    /// it (豁免). Reported at info level, with the exception's citation; never a failure.
    Exempt,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::NotApplicable,
        Outcome::Pending,
        Outcome::Unknown,
        Outcome::Exempt,
    ];

    /// The outcome's place in `ALL`.
    #[inline]
    pub fn index(self) -> usize {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::NotApplicable => 2,
            Outcome::Pending => 3,
            Outcome::Unknown => 4,
            Outcome::Exempt => 5,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "not_applicable",
            Outcome::Pending => "pending",
            Outcome::Unknown => "unknown",
            Outcome::Exempt => "exempt",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Outcome::Pass => "通过",
            Outcome::Fail => "违反",
            Outcome::NotApplicable => "不适用",
            Outcome::Pending => "待定",
            Outcome::Unknown => "未知",
            Outcome::Exempt => "豁免",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Hours,
    Days,
    /// Weeks of seven days. Outside `every` the checker lowers a number of weeks to days; in
    /// `every` a week is a calendar week, Monday to Sunday.
    Weeks,
    WorkingDays,
    Months,
    Years,
}

impl DurationUnit {
    /// What a duration of this unit is counted in, and how many of that measure one unit is:
    /// hours, days and weeks are exact lengths of time (in hours); months and years are counted
    /// in months; working days only in working days, since how many there are in a week depends
    /// on the calendar. Two durations of one measure divide into a plain number.
    pub fn measure(self) -> (DurationMeasure, u32) {
        match self {
            DurationUnit::Hours => (DurationMeasure::Time, 1),
            DurationUnit::Days => (DurationMeasure::Time, 24),
            DurationUnit::Weeks => (DurationMeasure::Time, 24 * 7),
            DurationUnit::WorkingDays => (DurationMeasure::WorkingDays, 1),
            DurationUnit::Months => (DurationMeasure::Months, 1),
            DurationUnit::Years => (DurationMeasure::Months, 12),
        }
    }

    /// Of two units of one measure, the one the other is a whole multiple of (`hours` of
    /// `days`, `months` of `years`): the unit a sum, or an `if` whose branches differ, is in.
    pub fn finer(self, other: DurationUnit) -> DurationUnit {
        if other.measure().1 < self.measure().1 {
            other
        } else {
            self
        }
    }
}

/// The measure a duration is counted in (see [`DurationUnit::measure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationMeasure {
    Time,
    WorkingDays,
    Months,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "×",
            ArithOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Approx,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "≤",
            CmpOp::Gt => ">",
            CmpOp::Ge => "≥",
            CmpOp::Eq => "=",
            CmpOp::Ne => "≠",
            CmpOp::Approx => "≈",
        }
    }

    /// The relation that holds when this one does not.
    pub fn negated(self) -> &'static str {
        match self {
            CmpOp::Lt => "≥",
            CmpOp::Le => ">",
            CmpOp::Gt => "≤",
            CmpOp::Ge => "<",
            CmpOp::Eq => "≠",
            CmpOp::Ne => "=",
            CmpOp::Approx => "≉",
        }
    }
}
