//! The working-day calendar: which dates are days off, parsed from `.cal` data.
//!
//! A calendar knows, for every date of the years it covers, whether the date is a working day
//! (工作日): Monday to Friday unless the date is declared a holiday (放假, 调休, 补休) or a rest
//! day, and Saturday or Sunday only when declared a make-up working day (调休上班).
//!
//! The national calendar ([`Calendar::national`]) is embedded from
//! `data/calendar/cn-national.cal`, which transcribes the State Council's annual holiday
//! notices for 2015–2026. Local calendars (a province, an agency) use the same format and can
//! be laid over the national one with [`Calendar::overlay`].
//!
//! A query that touches a date outside the calendar's coverage fails with
//! [`CalendarError::NotCovered`]: the calendar never guesses whether an unknown date is a
//! working day.
//!
//! The free functions [`add_months`], [`add_years`], [`month_end`] and [`year_end`] implement
//! the calendar-month rules of 民法典 第二百零二条. See `docs/calendar.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// The text of the national calendar, embedded at compile time.
const NATIONAL_TEXT: &str = include_str!("../data/calendar/cn-national.cal");

/// The name the national calendar declares, used for the fallback empty calendar.
const NATIONAL_NAME: &str = "cn-national";

/// The longest range a single `holiday`, `rest` or `workday` line may span, in days.
const MAX_RANGE_DAYS: i64 = 366;

/// The notice that establishes one covered year of a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearSource {
    /// The covered year.
    pub year: i32,
    /// The document number, e.g. `国办发明电〔2016〕17号`.
    pub document: String,
    /// The document title, e.g. `国务院办公厅关于2017年部分节假日安排的通知`.
    pub title: String,
}

/// Whether a declared date is a day off or a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayKind {
    /// `holiday` or `rest`: the date is not a working day, whatever its weekday.
    Off,
    /// `workday`: the date is a working day, whatever its weekday.
    Work,
}

/// One declared date.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DayEntry {
    kind: DayKind,
    label: String,
}

/// A working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    name: String,
    title: String,
    extends: Option<String>,
    /// The declared (covered) years.
    years: BTreeSet<i32>,
    /// The notice behind each declared year.
    sources: BTreeMap<i32, YearSource>,
    /// Every declared date, with its kind and label.
    days: BTreeMap<NaiveDate, DayEntry>,
    /// Dates known from the calendar's own entries; they are covered even when their year is
    /// not declared (e.g. 2022-12-31 in the 2023 notice).
    known: BTreeSet<NaiveDate>,
    /// `note` lines: an optional year and the text.
    notes: Vec<(Option<i32>, String)>,
    /// The working days of the covered years laid out by day, built on first use.
    dense: DenseCache,
}

/// Working days laid out by day over a run of consecutive covered years, so that counting
/// working days is a lookup, not a walk. Derived from the calendar's other fields.
#[derive(Debug, Clone)]
struct Dense {
    first: NaiveDate,
    /// `upto[i]`: the number of working days among the days `first ..= first + i`.
    upto: Vec<u32>,
    /// The offsets from `first` of the working days, in order.
    work: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct DenseCache(OnceLock<Option<Dense>>);

impl PartialEq for DenseCache {
    /// The cache is derived from the calendar's other fields; it never makes two calendars differ.
    fn eq(&self, _: &DenseCache) -> bool {
        true
    }
}

impl Eq for DenseCache {}

/// A query touched a date the calendar does not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// The date lies outside the years the calendar declares.
    NotCovered {
        /// The first uncovered date the query touched.
        date: NaiveDate,
        /// The calendar's name.
        calendar: String,
        /// The first covered year (greater than `last_year` when the calendar covers none).
        first_year: i32,
        /// The last covered year.
        last_year: i32,
    },
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::NotCovered {
                date,
                calendar,
                first_year,
                last_year,
            } => {
                if first_year > last_year {
                    write!(
                        f,
                        "{date} is not covered by calendar {calendar}, which covers no years"
                    )
                } else {
                    write!(
                        f,
                        "{date} is not covered by calendar {calendar}, which covers {first_year} to {last_year}"
                    )
                }
            }
        }
    }
}

impl std::error::Error for CalendarError {}

/// A syntax or consistency error in `.cal` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters (Unicode scalar values), of the offending token.
    pub column: usize,
    /// One lower-case English sentence.
    pub message: String,
}

impl fmt::Display for CalendarParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for CalendarParseError {}

/// One token of a `.cal` line.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    quoted: bool,
    column: usize,
}

impl Dense {
    /// The index of `d` in the laid-out days.
    fn offset(&self, d: NaiveDate) -> Option<usize> {
        let i = usize::try_from((d - self.first).num_days()).ok()?;
        (i < self.upto.len()).then_some(i)
    }
}

impl Calendar {
    /// The national calendar, parsed once from the embedded `data/calendar/cn-national.cal`.
    ///
    /// The embedded data is tested; should it ever fail to parse, this returns an empty
    /// calendar named `cn-national` that covers no years, so every query errors `NotCovered`.
    pub fn national() -> &'static Calendar {
        static NATIONAL: OnceLock<Calendar> = OnceLock::new();
        NATIONAL.get_or_init(|| {
            Calendar::parse(NATIONAL_TEXT).unwrap_or_else(|_| Calendar::empty(NATIONAL_NAME))
        })
    }

    /// A calendar with the given name that covers nothing.
    fn empty(name: &str) -> Calendar {
        Calendar {
            name: name.to_string(),
            title: String::new(),
            extends: None,
            years: BTreeSet::new(),
            sources: BTreeMap::new(),
            days: BTreeMap::new(),
            known: BTreeSet::new(),
            notes: Vec::new(),
            dense: DenseCache::default(),
        }
    }

    /// Parses `.cal` text (see `docs/calendar.md`).
    ///
    /// The first directive must be `calendar NAME "TITLE"` (the title is optional). A date
    /// declared twice, in the same or in conflicting ways, is an error, as is a year declared
    /// twice. Errors carry the 1-based line and character column of the offending token.
    pub fn parse(text: &str) -> Result<Calendar, CalendarParseError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut cal: Option<Calendar> = None;
        // Line on which each date was declared, for duplicate diagnostics.
        let mut declared_on: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        let mut year_lines: BTreeMap<i32, usize> = BTreeMap::new();
        let mut extends_line: Option<usize> = None;

        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let tokens = tokenize(raw).map_err(|(column, message)| CalendarParseError {
                line,
                column,
                message,
            })?;
            let mut tokens = tokens.into_iter();
            let Some(keyword) = tokens.next() else {
                continue;
            };
            let mut rest = Args {
                line,
                tokens,
                end_column: raw.chars().count() + 1,
                after: keyword.text.clone(),
            };
            if keyword.quoted {
                return Err(err(
                    line,
                    keyword.column,
                    "a line must start with a directive, not a quoted string",
                ));
            }

            let Some(c) = cal.as_mut() else {
                if keyword.text != "calendar" {
                    return Err(err(
                        line,
                        keyword.column,
                        "the first directive must be a `calendar` line that names the calendar",
                    ));
                }
                let name = rest.word("a calendar name")?;
                let title = rest.optional_string()?.unwrap_or_default();
                rest.finish()?;
                cal = Some(Calendar {
                    title,
                    ..Calendar::empty(&name)
                });
                continue;
            };

            match keyword.text.as_str() {
                "calendar" => {
                    return Err(err(
                        line,
                        keyword.column,
                        "a file may declare only one `calendar` line",
                    ));
                }
                "extends" => {
                    if let Some(first) = extends_line {
                        return Err(err(
                            line,
                            keyword.column,
                            &format!(
                                "the base calendar was already named by `extends` on line {first}"
                            ),
                        ));
                    }
                    let base = rest.word("the name of the base calendar")?;
                    rest.finish()?;
                    // Only the national calendar can be extended; a misspelt base must not
                    // silently stand for it.
                    if base != "cn-national" {
                        let hint = match crate::diag::did_you_mean(&base, ["cn-national"]) {
                            Some(s) => format!("; did you mean `{s}`?"),
                            None => String::new(),
                        };
                        return Err(err(
                            line,
                            keyword.column,
                            &format!(
                                "unknown base calendar `{base}`: a calendar can extend only `cn-national`{hint}"
                            ),
                        ));
                    }
                    c.extends = Some(base);
                    extends_line = Some(line);
                }
                "year" => {
                    let (year, column) = rest.year()?;
                    if let Some(first) = year_lines.get(&year) {
                        return Err(err(
                            line,
                            column,
                            &format!("year {year} was already declared on line {first}"),
                        ));
                    }
                    let document = rest.string("the document number")?;
                    let title = rest.string("the document title")?;
                    rest.finish()?;
                    year_lines.insert(year, line);
                    c.years.insert(year);
                    c.sources.insert(
                        year,
                        YearSource {
                            year,
                            document,
                            title,
                        },
                    );
                }
                "holiday" | "rest" | "workday" => {
                    let kind = if keyword.text == "workday" {
                        DayKind::Work
                    } else {
                        DayKind::Off
                    };
                    let (first, last, column) = rest.date_range()?;
                    let label = rest.optional_string()?.unwrap_or_default();
                    rest.finish()?;
                    let mut d = first;
                    loop {
                        if let Some(earlier) = declared_on.get(&d) {
                            let how = match c.days.get(&d).map(|e| e.kind) {
                                Some(k) if k != kind => "declared with the opposite meaning",
                                _ => "already declared",
                            };
                            return Err(err(
                                line,
                                column,
                                &format!("{d} was {how} on line {earlier}"),
                            ));
                        }
                        declared_on.insert(d, line);
                        c.days.insert(
                            d,
                            DayEntry {
                                kind,
                                label: label.clone(),
                            },
                        );
                        c.known.insert(d);
                        if d >= last {
                            break;
                        }
                        match d.succ_opt() {
                            Some(next) => d = next,
                            None => break,
                        }
                    }
                }
                "note" => {
                    let year = if rest.peek_is_quoted() {
                        None
                    } else {
                        Some(rest.year()?.0)
                    };
                    let text = rest.string("the note text")?;
                    rest.finish()?;
                    c.notes.push((year, text));
                }
                other => {
                    return Err(err(
                        line,
                        keyword.column,
                        &format!(
                            "unknown directive `{other}`, expected one of calendar, extends, year, holiday, rest, workday or note"
                        ),
                    ));
                }
            }
        }

        cal.ok_or_else(|| {
            err(
                1,
                1,
                "the file has no `calendar` line that names the calendar",
            )
        })
    }

    /// Lays a local calendar over this (base) calendar.
    ///
    /// The local calendar's `holiday`, `rest` and `workday` entries replace the base's
    /// verdict for those dates. Coverage, year sources and the covered years stay the base's:
    /// a local calendar cannot make an unknown year known. The result takes the local
    /// calendar's name and title, and records the base's name as what it extends. Notes of
    /// both are kept.
    pub fn overlay(&self, local: &Calendar) -> Calendar {
        let mut out = self.clone();
        out.name = local.name.clone();
        out.title = local.title.clone();
        out.extends = Some(self.name.clone());
        for (d, entry) in &local.days {
            out.days.insert(*d, entry.clone());
        }
        out.notes.extend(local.notes.iter().cloned());
        out.dense = DenseCache::default();
        out
    }

    /// The calendar's name, as declared by its `calendar` line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar's title, as declared by its `calendar` line (empty if none).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The base calendar named by an `extends` line, if any.
    pub fn extends(&self) -> Option<&str> {
        self.extends.as_deref()
    }

    /// Whether the calendar knows if `d` is a working day: `d`'s year is declared, or `d`
    /// itself is named by one of the calendar's entries.
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.years.contains(&d.year()) || self.known.contains(&d)
    }

    /// Whether `d` is a working day: Monday to Friday unless declared a holiday or rest day,
    /// Saturday or Sunday only if declared a make-up working day.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        self.check(d)?;
        Ok(match self.days.get(&d).map(|e| e.kind) {
            Some(DayKind::Off) => false,
            Some(DayKind::Work) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// The `n`-th working day strictly after `start` (the start day is not counted,
    /// 民法典 第二百零一条); `n = 0` returns `start`.
    ///
    /// `start` itself must be covered.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        self.check(start)?;
        // Within the laid-out years, the answer is the n-th working day after those up to `start`.
        if let Some(t) = self.dense() {
            let found = t
                .offset(start)
                .and_then(|i| t.upto.get(i))
                .and_then(|k| match n {
                    0 => Some(start),
                    _ => {
                        let w = t.work.get((*k as usize).checked_add(n as usize - 1)?)?;
                        t.first
                            .checked_add_signed(chrono::Duration::days(i64::from(*w)))
                    }
                });
            if let Some(d) = found {
                return Ok(d);
            }
        }
        let mut d = start;
        let mut left = n;
        // Walk the days and, alongside, the declared days after `start`; a year's coverage is
        // looked up once.
        let mut declared = self
            .days
            .range((Bound::Excluded(start), Bound::Unbounded))
            .peekable();
        let mut year: Option<(i32, bool)> = None;
        while left > 0 {
            let next = d.succ_opt().ok_or_else(|| self.not_covered(d))?;
            let whole_year = match year {
                Some((y, covered)) if y == next.year() => covered,
                _ => {
                    let covered = self.years.contains(&next.year());
                    year = Some((next.year(), covered));
                    covered
                }
            };
            if !whole_year && !self.known.contains(&next) {
                return Err(self.not_covered(next));
            }
            d = next;
            while declared.peek().is_some_and(|(day, _)| **day < d) {
                declared.next();
            }
            let working = match declared.peek() {
                Some((day, e)) if **day == d => matches!(e.kind, DayKind::Work),
                _ => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
            };
            if working {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// The number of working days `d` with `from < d <= to`; negative (minus the number of
    /// working days `d` with `to < d <= from`) if `to < from`.
    ///
    /// Both `from` and `to` must be covered, and so must every date between them.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, CalendarError> {
        self.check(from)?;
        self.check(to)?;
        let (low, high, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        if let Some(t) = self.dense() {
            if let (Some(a), Some(b)) = (
                t.offset(low).and_then(|i| t.upto.get(i)),
                t.offset(high).and_then(|i| t.upto.get(i)),
            ) {
                return Ok(sign * (i64::from(*b) - i64::from(*a)));
            }
        }
        // Without walking the days (an explanation may span years): every date in (low, high]
        // must be covered; count its Mondays to Fridays, then apply the declared days in it.
        self.check_span(low, high)?;
        let mut count = weekdays_after(low, high);
        for (d, e) in self
            .days
            .range((Bound::Excluded(low), Bound::Included(high)))
        {
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            match e.kind {
                DayKind::Off if !weekend => count -= 1,
                DayKind::Work if weekend => count += 1,
                _ => {}
            }
        }
        Ok(sign * count)
    }

    /// The first date in (low, high] that is not covered, as an error.
    fn check_span(&self, low: NaiveDate, high: NaiveDate) -> Result<(), CalendarError> {
        let Some(first) = low.succ_opt() else {
            return Ok(());
        };
        for year in first.year()..=high.year() {
            if self.years.contains(&year) {
                continue;
            }
            let mut d = NaiveDate::from_ymd_opt(year, 1, 1).map_or(first, |jan1| jan1.max(first));
            while d <= high && d.year() == year {
                self.check(d)?;
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        Ok(())
    }

    /// `d` if it is a working day, else the first working day after it: the end of a period
    /// whose last day is a day off moves to the next working day (民法典 第二百零三条).
    pub fn roll_forward(&self, d: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut d = d;
        while !self.is_working_day(d)? {
            d = self.next_day(d)?;
        }
        Ok(d)
    }

    /// The notice cited for a covered year.
    pub fn source_for(&self, year: i32) -> Option<&YearSource> {
        self.sources.get(&year)
    }

    /// The first and the last covered year. For a calendar that declares no years, this is
    /// the empty range `(0, -1)`.
    pub fn years(&self) -> (i32, i32) {
        match (self.years.first(), self.years.last()) {
            (Some(first), Some(last)) => (*first, *last),
            _ => (0, -1),
        }
    }

    /// The label of a declared date (e.g. `国庆节`, `春节调休上班`), if the date is declared.
    pub fn label(&self, d: NaiveDate) -> Option<&str> {
        self.days.get(&d).map(|e| e.label.as_str())
    }

    /// The notes recorded for `year` (provenance caveats, supplementary notices).
    pub fn notes(&self, year: i32) -> Vec<&str> {
        self.notes
            .iter()
            .filter(|(y, _)| *y == Some(year))
            .map(|(_, text)| text.as_str())
            .collect()
    }

    /// The working days of the longest run of consecutive covered years, laid out by day.
    fn dense(&self) -> Option<&Dense> {
        self.dense
            .0
            .get_or_init(|| {
                // The longest run of consecutive declared years.
                let mut best: Option<(i32, i32)> = None;
                let mut run: Option<(i32, i32)> = None;
                for &y in &self.years {
                    run = match run {
                        Some((a, b)) if b + 1 == y => Some((a, y)),
                        _ => Some((y, y)),
                    };
                    if let Some((a, b)) = run {
                        if best.is_none_or(|(x, z)| b - a > z - x) {
                            best = Some((a, b));
                        }
                    }
                }
                let (a, b) = best?;
                let first = NaiveDate::from_ymd_opt(a, 1, 1)?;
                let last = NaiveDate::from_ymd_opt(b, 12, 31)?;
                let (mut upto, mut work) = (Vec::new(), Vec::new());
                let mut count = 0u32;
                for (i, d) in first.iter_days().take_while(|d| *d <= last).enumerate() {
                    if self.is_working_day(d).ok()? {
                        count += 1;
                        work.push(u32::try_from(i).ok()?);
                    }
                    upto.push(count);
                }
                Some(Dense { first, upto, work })
            })
            .as_ref()
    }

    /// `Ok(())` if `d` is covered, else the `NotCovered` error for `d`.
    fn check(&self, d: NaiveDate) -> Result<(), CalendarError> {
        if self.covers(d) {
            Ok(())
        } else {
            Err(self.not_covered(d))
        }
    }

    /// The day after `d`, which must be covered.
    fn next_day(&self, d: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let next = d.succ_opt().ok_or_else(|| self.not_covered(d))?;
        self.check(next)?;
        Ok(next)
    }

    fn not_covered(&self, d: NaiveDate) -> CalendarError {
        let (first_year, last_year) = self.years();
        CalendarError::NotCovered {
            date: d,
            calendar: self.name.clone(),
            first_year,
            last_year,
        }
    }
}

/// The number of Mondays to Fridays `d` with `low < d <= high` (`low <= high`).
fn weekdays_after(low: NaiveDate, high: NaiveDate) -> i64 {
    let n = (high - low).num_days().max(0);
    let mut count = n / 7 * 5;
    let start = i64::from(low.weekday().num_days_from_monday());
    for i in 1..=n % 7 {
        if (start + i) % 7 < 5 {
            count += 1;
        }
    }
    count
}

/// 民法典 第二百零二条: the corresponding day of the final month; where there is none, the last
/// day of that month (Jan 31 + 1 month = Feb 28/29). `n` may be negative.
///
/// Saturates at the limits of [`NaiveDate`].
pub fn add_months(d: NaiveDate, n: i32) -> NaiveDate {
    let total = i64::from(d.year()) * 12 + i64::from(d.month0()) + i64::from(n);
    let year = total.div_euclid(12);
    let month0 = total.rem_euclid(12);
    let (Ok(year), Ok(month0)) = (i32::try_from(year), u32::try_from(month0)) else {
        return if n < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        };
    };
    let Some(first) = NaiveDate::from_ymd_opt(year, month0 + 1, 1) else {
        return if n < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        };
    };
    let last = month_end(first);
    let day = d.day().min(last.day());
    first.with_day(day).unwrap_or(last)
}

/// 民法典 第二百零二条 for years: the corresponding day `n` years later (or earlier); Feb 29
/// + 1 year = Feb 28.
pub fn add_years(d: NaiveDate, n: i32) -> NaiveDate {
    match n.checked_mul(12) {
        Some(months) => add_months(d, months),
        None if n < 0 => NaiveDate::MIN,
        None => NaiveDate::MAX,
    }
}

/// The last day of `d`'s month.
pub fn month_end(d: NaiveDate) -> NaiveDate {
    let next_first = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    match next_first.and_then(|f| f.pred_opt()) {
        Some(last) => last,
        // Only the last month chrono can represent has no representable successor month;
        // its last day is NaiveDate::MAX.
        None => NaiveDate::MAX,
    }
}

/// December 31 of `d`'s year.
pub fn year_end(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), 12, 31).unwrap_or(NaiveDate::MAX)
}

fn err(line: usize, column: usize, message: &str) -> CalendarParseError {
    CalendarParseError {
        line,
        column,
        message: message.to_string(),
    }
}

/// Splits a line into bare words and `"quoted strings"`; `#` outside quotes starts a comment.
/// Errors carry the 1-based character column.
fn tokenize(raw: &str) -> Result<Vec<Token>, (usize, String)> {
    let mut tokens = Vec::new();
    let mut chars = raw.chars().enumerate().peekable();
    while let Some(&(i, ch)) = chars.peek() {
        let column = i + 1;
        if ch.is_whitespace() {
            chars.next();
        } else if ch == '#' {
            break;
        } else if ch == '"' {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, '"')) => text.push('"'),
                        Some((_, '\\')) => text.push('\\'),
                        Some((j, other)) => {
                            return Err((
                                j + 1,
                                format!("unknown escape `\\{other}`, only `\\\"` and `\\\\` are allowed"),
                            ));
                        }
                        None => break,
                    },
                    other => text.push(other),
                }
            }
            if !closed {
                return Err((column, "this quoted string is not closed".to_string()));
            }
            if let Some(&(_, next)) = chars.peek() {
                if !next.is_whitespace() && next != '#' {
                    return Err((
                        column,
                        "a quoted string must be followed by a space or the end of the line"
                            .to_string(),
                    ));
                }
            }
            tokens.push(Token {
                text,
                quoted: true,
                column,
            });
        } else {
            let mut text = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() || c == '#' || c == '"' {
                    break;
                }
                text.push(c);
                chars.next();
            }
            tokens.push(Token {
                text,
                quoted: false,
                column,
            });
        }
    }
    Ok(tokens)
}

/// The arguments of one directive, consumed left to right.
struct Args {
    line: usize,
    tokens: std::vec::IntoIter<Token>,
    /// Column just past the end of the line, for "missing argument" errors.
    end_column: usize,
    /// What the previous token was, for error messages.
    after: String,
}

impl Args {
    fn next(&mut self, what: &str) -> Result<Token, CalendarParseError> {
        match self.tokens.next() {
            Some(t) => Ok(t),
            None => Err(err(
                self.line,
                self.end_column,
                &format!("expected {what} after `{}`", self.after),
            )),
        }
    }

    fn word(&mut self, what: &str) -> Result<String, CalendarParseError> {
        let t = self.next(what)?;
        if t.quoted {
            return Err(err(
                self.line,
                t.column,
                &format!("expected {what} as a bare word, not a quoted string"),
            ));
        }
        self.after = t.text.clone();
        Ok(t.text)
    }

    fn string(&mut self, what: &str) -> Result<String, CalendarParseError> {
        let t = self.next(what)?;
        if !t.quoted {
            return Err(err(
                self.line,
                t.column,
                &format!("expected {what} in double quotes, found `{}`", t.text),
            ));
        }
        self.after = format!("\"{}\"", t.text);
        Ok(t.text)
    }

    fn peek_is_quoted(&self) -> bool {
        self.tokens.as_slice().first().is_some_and(|t| t.quoted)
    }

    fn optional_string(&mut self) -> Result<Option<String>, CalendarParseError> {
        if self.peek_is_quoted() {
            self.string("a label").map(Some)
        } else {
            Ok(None)
        }
    }

    fn year(&mut self) -> Result<(i32, usize), CalendarParseError> {
        let t = self.next("a year")?;
        let valid = !t.quoted && t.text.len() == 4 && t.text.chars().all(|c| c.is_ascii_digit());
        match t.text.parse::<i32>() {
            Ok(y) if valid => {
                self.after = t.text;
                Ok((y, t.column))
            }
            _ => Err(err(
                self.line,
                t.column,
                &format!("expected a four-digit year, found `{}`", t.text),
            )),
        }
    }

    fn date_range(&mut self) -> Result<(NaiveDate, NaiveDate, usize), CalendarParseError> {
        let t = self.next("a date or a date range such as 2024-10-01..2024-10-07")?;
        if t.quoted {
            return Err(err(
                self.line,
                t.column,
                "expected a date or a date range such as 2024-10-01..2024-10-07, not a quoted string",
            ));
        }
        let (a, b, b_column) = match t.text.split_once("..") {
            Some((a, b)) => (a, b, t.column + a.chars().count() + 2),
            None => (t.text.as_str(), t.text.as_str(), t.column),
        };
        let first = parse_date(a).map_err(|m| err(self.line, t.column, &m))?;
        let last = parse_date(b).map_err(|m| err(self.line, b_column, &m))?;
        if last < first {
            return Err(err(
                self.line,
                t.column,
                &format!("the range {first}..{last} ends before it starts"),
            ));
        }
        if (last - first).num_days() >= MAX_RANGE_DAYS {
            return Err(err(
                self.line,
                t.column,
                &format!("the range {first}..{last} is longer than {MAX_RANGE_DAYS} days"),
            ));
        }
        self.after = t.text;
        Ok((first, last, t.column))
    }

    fn finish(mut self) -> Result<(), CalendarParseError> {
        match self.tokens.next() {
            None => Ok(()),
            Some(t) => Err(err(
                self.line,
                t.column,
                &format!("unexpected `{}` after `{}`", t.text, self.after),
            )),
        }
    }
}

/// Parses a `YYYY-MM-DD` date.
fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let bad = || format!("expected a date such as 2024-10-01, found `{s}`");
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let digits = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return Err(bad());
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(bad());
    };
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("{s} is not a valid date"))
}

// ------------------------------------------------------------ date text

/// Reads `2017-05-23` or `2017年5月23日`, or a partial date, which stands for the last day of its
/// period because documents use them as deadlines (6月底前完成): `2017年6月底`, `2017年底`,
/// `2017年6月上旬` (the 10th), `中旬` (the 20th), `下旬` (the month's end), `2017年第三季度` or
/// `2017-Q3` (Sep 30), `2017年上半年` or `2017-H1` (Jun 30).
pub fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    let month_end = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).map(month_end);
    if let Some((y, rest)) = s.split_once('-') {
        let y: i32 = y.parse().ok()?;
        return match rest {
            "Q1" => month_end(y, 3),
            "Q2" => month_end(y, 6),
            "Q3" => month_end(y, 9),
            "Q4" => month_end(y, 12),
            "H1" => month_end(y, 6),
            "H2" => month_end(y, 12),
            _ => None,
        };
    }
    let (y, rest) = s.split_once('年')?;
    let y: i32 = y.parse().ok()?;
    match rest {
        "底" | "末" | "下半年" => return month_end(y, 12),
        "上半年" => return month_end(y, 6),
        _ => {}
    }
    if let Some(q) = rest.strip_prefix('第').and_then(|r| r.strip_suffix("季度")) {
        let n = match q {
            "一" | "1" => 3,
            "二" | "2" => 6,
            "三" | "3" => 9,
            "四" | "4" => 12,
            _ => return None,
        };
        return month_end(y, n);
    }
    let (m, rest) = rest.split_once('月')?;
    let m: u32 = m.parse().ok()?;
    match rest {
        "底" | "末" | "下旬" => month_end(y, m),
        "上旬" => NaiveDate::from_ymd_opt(y, m, 10),
        "中旬" => NaiveDate::from_ymd_opt(y, m, 20),
        _ => {
            let d = rest.strip_suffix('日')?;
            NaiveDate::from_ymd_opt(y, m, d.parse().ok()?)
        }
    }
}

pub fn parse_datetime_text(s: &str) -> Option<NaiveDateTime> {
    let (d, t) = s.split_once(['T', ' '])?;
    let date = parse_date_text(d)?;
    let time = NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .ok()?;
    Some(date.and_time(time))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The day-by-day count that `working_days_between` replaces.
    fn working_days_between_by_walking(
        cal: &Calendar,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, CalendarError> {
        cal.check(from)?;
        cal.check(to)?;
        let (low, high, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count: i64 = 0;
        let mut d = low;
        while d < high {
            d = cal.next_day(d)?;
            if cal.is_working_day(d)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }

    /// The day-by-day walk that `add_working_days` replaces.
    fn add_working_days_by_walking(
        cal: &Calendar,
        start: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        cal.check(start)?;
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = cal.next_day(d)?;
            if cal.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    #[test]
    fn add_working_days_counts_as_walking_does() {
        let cal = Calendar::national();
        let local = Calendar::parse("calendar t\nyear 2024 \"d\" \"t\"\nholiday 2024-10-01..2024-10-03 \"国庆\"\nworkday 2024-09-29 \"调休\"\nholiday 2025-01-02 \"x\"\n").unwrap();
        let mut lcg = crate::testkit::lcg(11);
        let mut next = |n: i64| lcg(n as usize) as i64;
        for _ in 0..5000 {
            let a = ymd(2014, 6, 1) + chrono::Duration::days(next(365 * 14));
            let n = next(40) as u32;
            assert_eq!(
                cal.add_working_days(a, n),
                add_working_days_by_walking(cal, a, n),
                "{a} {n}"
            );
            let a = ymd(2023, 12, 1) + chrono::Duration::days(next(420));
            assert_eq!(
                local.add_working_days(a, n),
                add_working_days_by_walking(&local, a, n),
                "{a} {n}"
            );
        }
    }

    #[test]
    fn working_days_between_counts_as_walking_does() {
        let cal = Calendar::national();
        let local = Calendar::parse("calendar t\nyear 2024 \"d\" \"t\"\nholiday 2024-10-01..2024-10-03 \"国庆\"\nworkday 2024-09-29 \"调休\"\nholiday 2025-01-02 \"x\"\n").unwrap();
        let mut lcg = crate::testkit::lcg(7);
        let mut next = |n: i64| lcg(n as usize) as i64;
        let base = ymd(2014, 6, 1);
        for _ in 0..3000 {
            let a = base + chrono::Duration::days(next(365 * 14));
            let b = a + chrono::Duration::days(next(800) - 400);
            assert_eq!(
                cal.working_days_between(a, b),
                working_days_between_by_walking(cal, a, b),
                "{a} {b}"
            );
            let a = ymd(2023, 11, 1) + chrono::Duration::days(next(800));
            let b = a + chrono::Duration::days(next(200) - 100);
            assert_eq!(
                local.working_days_between(a, b),
                working_days_between_by_walking(&local, a, b),
                "{a} {b}"
            );
        }
    }

    #[test]
    fn embedded_national_data_parses() {
        let cal = Calendar::parse(NATIONAL_TEXT).unwrap();
        assert_eq!(cal.name(), "cn-national");
        assert_eq!(cal.years(), (2015, 2026));
        assert_eq!(Calendar::national(), &cal);
    }

    #[test]
    fn a_misspelt_base_calendar_is_refused_with_a_suggestion() {
        let e = Calendar::parse("calendar t\nextends cn-natinal\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
        assert!(
            e.message.contains("did you mean `cn-national`?"),
            "{}",
            e.message
        );
    }

    #[test]
    fn empty_calendar_covers_nothing() {
        let cal = Calendar::empty("cn-national");
        assert_eq!(cal.years(), (0, -1));
        let e = cal.is_working_day(ymd(2024, 1, 2)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "2024-01-02 is not covered by calendar cn-national, which covers no years"
        );
    }

    #[test]
    fn weekdays_and_declared_days() {
        let cal = Calendar::parse(
            "calendar t \"test\"\nyear 2024 \"d\" \"t\"\nholiday 2024-10-01..2024-10-07 \"国庆节\"\nworkday 2024-10-12 \"上班\"\n",
        )
        .unwrap();
        assert!(cal.is_working_day(ymd(2024, 9, 30)).unwrap()); // Monday
        assert!(!cal.is_working_day(ymd(2024, 10, 5)).unwrap()); // Saturday in block
        assert!(!cal.is_working_day(ymd(2024, 10, 7)).unwrap()); // Monday in block
        assert!(cal.is_working_day(ymd(2024, 10, 12)).unwrap()); // make-up Saturday
        assert!(!cal.is_working_day(ymd(2024, 10, 13)).unwrap()); // ordinary Sunday
        assert_eq!(cal.label(ymd(2024, 10, 3)), Some("国庆节"));
        assert_eq!(cal.label(ymd(2024, 10, 8)), None);
    }

    #[test]
    fn spill_dates_are_covered_but_not_their_year() {
        let cal = Calendar::parse(
            "calendar t\nyear 2023 \"d\" \"t\"\nholiday 2022-12-31..2023-01-02 \"元旦\"\n",
        )
        .unwrap();
        assert!(cal.covers(ymd(2022, 12, 31)));
        assert!(!cal.is_working_day(ymd(2022, 12, 31)).unwrap());
        assert!(!cal.covers(ymd(2022, 12, 30)));
        assert_eq!(
            cal.add_working_days(ymd(2022, 12, 31), 1),
            Ok(ymd(2023, 1, 3))
        );
        assert!(matches!(
            cal.roll_forward(ymd(2023, 12, 31)),
            Err(CalendarError::NotCovered { date, .. }) if date == ymd(2024, 1, 1)
        ));
    }

    #[test]
    fn add_working_days_zero_and_bounds() {
        let cal = Calendar::parse("calendar t\nyear 2024 \"d\" \"t\"\n").unwrap();
        assert_eq!(
            cal.add_working_days(ymd(2024, 6, 1), 0),
            Ok(ymd(2024, 6, 1))
        );
        assert_eq!(
            cal.add_working_days(ymd(2024, 6, 1), 1),
            Ok(ymd(2024, 6, 3))
        );
        let e = cal.add_working_days(ymd(2024, 12, 30), 5).unwrap_err();
        assert_eq!(
            e,
            CalendarError::NotCovered {
                date: ymd(2025, 1, 1),
                calendar: "t".to_string(),
                first_year: 2024,
                last_year: 2024,
            }
        );
        // Huge n terminates at the end of coverage.
        assert!(cal.add_working_days(ymd(2024, 1, 1), u32::MAX).is_err());
    }

    #[test]
    fn parse_errors_have_positions() {
        let e = Calendar::parse("year 2024 \"d\" \"t\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 1));
        let e = Calendar::parse("calendar t\nholiday 2024-02-30 \"x\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 9));
        assert_eq!(e.message, "2024-02-30 is not a valid date");
        let e = Calendar::parse("calendar t\nholiday 2024-02-01..2024-0201\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 21));
        let e = Calendar::parse("calendar t\nholiday 2024-02-05..2024-02-01\n").unwrap_err();
        assert_eq!(
            e.message,
            "the range 2024-02-05..2024-02-01 ends before it starts"
        );
        let e = Calendar::parse("calendar t\n  holday 2024-02-01\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        let e = Calendar::parse("calendar t\nholiday 2024-02-01 \"x\" extra\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 24));
        let e = Calendar::parse("calendar t\nholiday 2024-02-01 \"unclosed\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 20));
        let e = Calendar::parse("calendar t\nyear 24 \"d\" \"t\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 6));
        let e = Calendar::parse("calendar t\nyear 2024 \"d\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 14));
        assert_eq!(e.message, "expected the document title after `\"d\"`");
        let e = Calendar::parse("# only a comment\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = Calendar::parse("").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn parse_error_messages_are_lower_case_sentences() {
        let bad = [
            "",
            "holiday 2024-01-01",
            "calendar \"t\"",
            "calendar t\ncalendar u",
            "calendar t\nextends cn-national\nextends cn-national",
            "calendar t\nextends cn-natinal",
            "calendar t\nyear 2024 d t",
            "calendar t\nholiday 2024/01/01",
            "calendar t\nholiday 2024-01-01..2025-06-01",
            "calendar t\nholiday \"2024-01-01\"",
            "calendar t\nholiday 2024-01-01 \"a\"\"b\"",
            "calendar t\nholiday 2024-01-01 \"a\\q\"",
            "calendar t\nnote",
            "calendar t\n\"x\"",
        ];
        for text in bad {
            let e = Calendar::parse(text).unwrap_err();
            let first = e.message.chars().next().unwrap();
            assert!(
                first.is_lowercase() || first.is_ascii_digit(),
                "{text:?}: {}",
                e.message
            );
            assert!(!e.message.ends_with('.'), "{text:?}: {}", e.message);
            assert!(e.line >= 1 && e.column >= 1, "{text:?}: {e}");
            assert!(
                !e.message.contains(char::is_uppercase),
                "{text:?}: {}",
                e.message
            );
        }
    }

    #[test]
    fn conflicting_and_duplicate_dates_are_rejected() {
        let e = Calendar::parse(
            "calendar t\nholiday 2024-10-01..2024-10-07\nworkday 2024-10-06 \"x\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(
            e.message,
            "2024-10-06 was declared with the opposite meaning on line 2"
        );
        let e = Calendar::parse("calendar t\nrest 2024-10-01\nholiday 2024-09-30..2024-10-01\n")
            .unwrap_err();
        assert_eq!(e.message, "2024-10-01 was already declared on line 2");
        let e = Calendar::parse("calendar t\nyear 2024 \"a\" \"b\"\nyear 2024 \"a\" \"b\"\n")
            .unwrap_err();
        assert_eq!((e.line, e.column), (3, 6));
    }

    #[test]
    fn comments_quotes_and_notes() {
        let cal = Calendar::parse(
            "\u{feff}# header\ncalendar t \"a # not a comment\" # a comment\nextends cn-national\nyear 2024 \"d \\\"q\\\"\" \"t\"\nnote 2024 \"n1\"\nnote \"general\"\n",
        )
        .unwrap();
        assert_eq!(cal.title(), "a # not a comment");
        assert_eq!(cal.extends(), Some("cn-national"));
        assert_eq!(cal.source_for(2024).unwrap().document, "d \"q\"");
        assert_eq!(cal.notes(2024), vec!["n1"]);
        assert!(cal.source_for(2023).is_none());
    }

    #[test]
    fn month_arithmetic() {
        assert_eq!(add_months(ymd(2024, 1, 31), 1), ymd(2024, 2, 29));
        assert_eq!(add_months(ymd(2023, 1, 31), 1), ymd(2023, 2, 28));
        assert_eq!(add_months(ymd(2023, 3, 31), -1), ymd(2023, 2, 28));
        assert_eq!(add_months(ymd(2023, 11, 30), 3), ymd(2024, 2, 29));
        assert_eq!(add_months(ymd(2024, 1, 15), -13), ymd(2022, 12, 15));
        assert_eq!(add_months(ymd(2024, 5, 31), 0), ymd(2024, 5, 31));
        assert_eq!(add_years(ymd(2024, 2, 29), 1), ymd(2025, 2, 28));
        assert_eq!(add_years(ymd(2024, 2, 29), 4), ymd(2028, 2, 29));
        assert_eq!(add_years(ymd(2024, 2, 29), -1), ymd(2023, 2, 28));
        assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_months(NaiveDate::MIN, -1), NaiveDate::MIN);
        assert_eq!(add_years(ymd(2024, 1, 1), i32::MAX), NaiveDate::MAX);
        assert_eq!(month_end(ymd(2024, 2, 3)), ymd(2024, 2, 29));
        assert_eq!(month_end(ymd(2023, 12, 3)), ymd(2023, 12, 31));
        assert_eq!(month_end(NaiveDate::MAX), NaiveDate::MAX);
        assert_eq!(year_end(ymd(2023, 3, 4)), ymd(2023, 12, 31));
    }
}
