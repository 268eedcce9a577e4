//! Integration tests over the shipped national calendar, `data/calendar/cn-national.cal`.
//!
//! The expected dates below are copied from the State Council notices (the effective
//! arrangement, after the supplementary notices of 2015, 2019 and 2020), independently of the
//! data file, so that a transcription error in either one makes a test fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use guiju::calendar::{add_months, add_years, month_end, year_end, Calendar, CalendarError};

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn national() -> &'static Calendar {
    Calendar::national()
}

/// One year's notice: document number, every day off (放假/调休/补休, weekend days inside a
/// block included, ranges inclusive) and every weekend day declared 上班.
struct Notice {
    year: i32,
    document: &'static str,
    holidays: &'static str,
    workdays: &'static str,
    /// Number of dates in `holidays` and in `workdays`, as counted in the reference summary.
    counts: (usize, usize),
}

const NOTICES: &[Notice] = &[
    Notice {
        year: 2015,
        document: "国办发明电〔2014〕28号",
        holidays: "2015-01-01..2015-01-03, 2015-02-18..2015-02-24, 2015-04-05..2015-04-06, 2015-05-01, 2015-06-20, 2015-06-22, 2015-09-03..2015-09-05, 2015-09-27, 2015-10-01..2015-10-07",
        workdays: "2015-01-04, 2015-02-15, 2015-02-28, 2015-09-06, 2015-10-10",
        counts: (26, 5),
    },
    Notice {
        year: 2016,
        document: "国办发明电〔2015〕18号",
        holidays: "2016-01-01, 2016-02-07..2016-02-13, 2016-04-04, 2016-05-01..2016-05-02, 2016-06-09..2016-06-11, 2016-09-15..2016-09-17, 2016-10-01..2016-10-07",
        workdays: "2016-02-06, 2016-02-14, 2016-06-12, 2016-09-18, 2016-10-08, 2016-10-09",
        counts: (24, 6),
    },
    Notice {
        year: 2017,
        document: "国办发明电〔2016〕17号",
        holidays: "2017-01-01..2017-01-02, 2017-01-27..2017-02-02, 2017-04-02..2017-04-04, 2017-05-01, 2017-05-28..2017-05-30, 2017-10-01..2017-10-08",
        workdays: "2017-01-22, 2017-02-04, 2017-04-01, 2017-05-27, 2017-09-30",
        counts: (24, 5),
    },
    Notice {
        year: 2018,
        document: "国办发明电〔2017〕12号",
        holidays: "2018-01-01, 2018-02-15..2018-02-21, 2018-04-05..2018-04-07, 2018-04-29..2018-05-01, 2018-06-18, 2018-09-24, 2018-10-01..2018-10-07",
        workdays: "2018-02-11, 2018-02-24, 2018-04-08, 2018-04-28, 2018-09-29, 2018-09-30",
        counts: (23, 6),
    },
    Notice {
        year: 2019,
        document: "国办发明电〔2018〕15号",
        holidays: "2018-12-30..2019-01-01, 2019-02-04..2019-02-10, 2019-04-05, 2019-05-01..2019-05-04, 2019-06-07, 2019-09-13, 2019-10-01..2019-10-07",
        workdays: "2018-12-29, 2019-02-02, 2019-02-03, 2019-04-28, 2019-05-05, 2019-09-29, 2019-10-12",
        counts: (24, 7),
    },
    Notice {
        year: 2020,
        document: "国办发明电〔2019〕16号",
        holidays: "2020-01-01, 2020-01-24..2020-02-02, 2020-04-04..2020-04-06, 2020-05-01..2020-05-05, 2020-06-25..2020-06-27, 2020-10-01..2020-10-08",
        workdays: "2020-01-19, 2020-04-26, 2020-05-09, 2020-06-28, 2020-09-27, 2020-10-10",
        counts: (30, 6),
    },
    Notice {
        year: 2021,
        document: "国办发明电〔2020〕27号",
        holidays: "2021-01-01..2021-01-03, 2021-02-11..2021-02-17, 2021-04-03..2021-04-05, 2021-05-01..2021-05-05, 2021-06-12..2021-06-14, 2021-09-19..2021-09-21, 2021-10-01..2021-10-07",
        workdays: "2021-02-07, 2021-02-20, 2021-04-25, 2021-05-08, 2021-09-18, 2021-09-26, 2021-10-09",
        counts: (31, 7),
    },
    Notice {
        year: 2022,
        document: "国办发明电〔2021〕11号",
        holidays: "2022-01-01..2022-01-03, 2022-01-31..2022-02-06, 2022-04-03..2022-04-05, 2022-04-30..2022-05-04, 2022-06-03..2022-06-05, 2022-09-10..2022-09-12, 2022-10-01..2022-10-07",
        workdays: "2022-01-29, 2022-01-30, 2022-04-02, 2022-04-24, 2022-05-07, 2022-10-08, 2022-10-09",
        counts: (31, 7),
    },
    Notice {
        year: 2023,
        document: "国办发明电〔2022〕16号",
        holidays: "2022-12-31..2023-01-02, 2023-01-21..2023-01-27, 2023-04-05, 2023-04-29..2023-05-03, 2023-06-22..2023-06-24, 2023-09-29..2023-10-06",
        workdays: "2023-01-28, 2023-01-29, 2023-04-23, 2023-05-06, 2023-06-25, 2023-10-07, 2023-10-08",
        counts: (27, 7),
    },
    Notice {
        year: 2024,
        document: "国办发明电〔2023〕7号",
        holidays: "2024-01-01, 2024-02-10..2024-02-17, 2024-04-04..2024-04-06, 2024-05-01..2024-05-05, 2024-06-10, 2024-09-15..2024-09-17, 2024-10-01..2024-10-07",
        workdays: "2024-02-04, 2024-02-18, 2024-04-07, 2024-04-28, 2024-05-11, 2024-09-14, 2024-09-29, 2024-10-12",
        counts: (28, 8),
    },
    Notice {
        year: 2025,
        document: "国办发明电〔2024〕12号",
        holidays: "2025-01-01, 2025-01-28..2025-02-04, 2025-04-04..2025-04-06, 2025-05-01..2025-05-05, 2025-05-31..2025-06-02, 2025-10-01..2025-10-08",
        workdays: "2025-01-26, 2025-02-08, 2025-04-27, 2025-09-28, 2025-10-11",
        counts: (28, 5),
    },
    Notice {
        year: 2026,
        document: "国办发明电〔2025〕7号",
        holidays: "2026-01-01..2026-01-03, 2026-02-15..2026-02-23, 2026-04-04..2026-04-06, 2026-05-01..2026-05-05, 2026-06-19..2026-06-21, 2026-09-25..2026-09-27, 2026-10-01..2026-10-07",
        workdays: "2026-01-04, 2026-02-14, 2026-02-28, 2026-05-09, 2026-09-20, 2026-10-10",
        counts: (33, 6),
    },
];

/// Expands `"A..B, C, ..."` into its dates.
fn dates(list: &str) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (a, b) = item.split_once("..").unwrap_or((item, item));
        let mut d = NaiveDate::parse_from_str(a, "%Y-%m-%d").unwrap();
        let last = NaiveDate::parse_from_str(b, "%Y-%m-%d").unwrap();
        assert!(d <= last, "bad range {item}");
        while d <= last {
            out.push(d);
            d = d.succ_opt().unwrap();
        }
    }
    out
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn all_holidays() -> BTreeSet<NaiveDate> {
    NOTICES.iter().flat_map(|n| dates(n.holidays)).collect()
}

fn all_workdays() -> BTreeSet<NaiveDate> {
    NOTICES.iter().flat_map(|n| dates(n.workdays)).collect()
}

#[test]
fn shipped_file_parses_and_is_the_embedded_calendar() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/calendar/cn-national.cal");
    let text = std::fs::read_to_string(path).unwrap();
    let parsed = Calendar::parse(&text).unwrap();
    assert_eq!(&parsed, national());
    assert_eq!(national().name(), "cn-national");
    assert_eq!(national().extends(), None);
    assert_eq!(national().years(), (2015, 2026));
}

#[test]
fn dragon_boat_2017_seven_working_days() {
    // 2017-05-22 is a Monday. Working days after it: 23, 24, 25, 26, 27 (Saturday, 调休上班),
    // then 28–30 off (端午节), then 31 and June 1.
    let cal = national();
    let start = ymd(2017, 5, 22);
    assert_eq!(start.weekday(), Weekday::Mon);
    assert!(cal.is_working_day(ymd(2017, 5, 27)).unwrap());
    assert_eq!(cal.add_working_days(start, 5).unwrap(), ymd(2017, 5, 27));
    assert_eq!(cal.add_working_days(start, 6).unwrap(), ymd(2017, 5, 31));
    assert_eq!(cal.add_working_days(start, 7).unwrap(), ymd(2017, 6, 1));
    assert_eq!(cal.working_days_between(start, ymd(2017, 6, 1)).unwrap(), 7);
}

#[test]
fn dragon_boat_2023_two_working_days() {
    // 2023-06-21 is a Wednesday. June 22–24 are off (端午节), Sunday June 25 is 调休上班,
    // so the first working day after the start is June 25 and the second is Monday June 26.
    let cal = national();
    let start = ymd(2023, 6, 21);
    assert_eq!(start.weekday(), Weekday::Wed);
    assert_eq!(ymd(2023, 6, 25).weekday(), Weekday::Sun);
    assert_eq!(cal.add_working_days(start, 1).unwrap(), ymd(2023, 6, 25));
    assert_eq!(cal.add_working_days(start, 2).unwrap(), ymd(2023, 6, 26));
    assert_eq!(
        cal.working_days_between(start, ymd(2023, 6, 26)).unwrap(),
        2
    );
}

#[test]
fn ninety_day_period_ending_in_national_day_2024_rolls_forward() {
    let cal = national();
    let start = ymd(2024, 7, 4);
    let last_day = start.checked_add_days(Days::new(90)).unwrap();
    assert_eq!(last_day, ymd(2024, 10, 2));
    assert!(!cal.is_working_day(last_day).unwrap());
    assert_eq!(cal.roll_forward(last_day).unwrap(), ymd(2024, 10, 8));
    // A working day rolls to itself, including a make-up Saturday.
    assert_eq!(
        cal.roll_forward(ymd(2024, 10, 8)).unwrap(),
        ymd(2024, 10, 8)
    );
    assert_eq!(
        cal.roll_forward(ymd(2024, 10, 12)).unwrap(),
        ymd(2024, 10, 12)
    );
    // An ordinary weekend rolls to Monday.
    assert_eq!(
        cal.roll_forward(ymd(2024, 11, 2)).unwrap(),
        ymd(2024, 11, 4)
    );
}

#[test]
fn three_year_period_ending_on_2020_national_day() {
    // The 2020 国庆节/中秋节 block was October 1–8, so a period whose last day is
    // 2020-10-01 ends on 2020-10-09.
    let cal = national();
    let last_day = add_years(ymd(2017, 10, 1), 3);
    assert_eq!(last_day, ymd(2020, 10, 1));
    assert_eq!(cal.roll_forward(last_day).unwrap(), ymd(2020, 10, 9));
}

#[test]
fn every_year_matches_its_notice() {
    let cal = national();
    for notice in NOTICES {
        let y = notice.year;
        let holidays = dates(notice.holidays);
        let workdays = dates(notice.workdays);
        assert_eq!(
            (holidays.len(), workdays.len()),
            notice.counts,
            "{y}: transcription of the expected lists"
        );

        // The notice cited for the year.
        let source = cal.source_for(y).unwrap();
        assert_eq!(source.year, y);
        assert_eq!(source.document, notice.document, "{y}: document number");
        assert_eq!(
            source.title,
            format!("国务院办公厅关于{y}年部分节假日安排的通知"),
            "{y}: title"
        );

        // Every make-up working day is a Saturday or Sunday, and a working day.
        for d in &workdays {
            assert!(
                is_weekend(*d),
                "{y}: {d} is a make-up workday but not a weekend day"
            );
            assert!(
                cal.is_working_day(*d).unwrap(),
                "{y}: {d} should be a working day"
            );
        }

        // Every day of every holiday block is a day off.
        for d in &holidays {
            assert!(
                !cal.is_working_day(*d).unwrap(),
                "{y}: {d} should be a day off"
            );
        }

        // The weekend days the calendar treats as working days in year y are exactly the
        // notice's make-up workdays of that year (a December make-up day declared by the next
        // year's notice, 2018-12-29, belongs to that notice).
        let mut found = BTreeSet::new();
        let mut d = ymd(y, 1, 1);
        while d.year() == y {
            if is_weekend(d) && cal.is_working_day(d).unwrap() {
                found.insert(d);
            }
            d = d.succ_opt().unwrap();
        }
        let expected: BTreeSet<NaiveDate> = all_workdays()
            .into_iter()
            .filter(|d| d.year() == y)
            .collect();
        assert_eq!(found, expected, "{y}: weekend working days");
        let own: BTreeSet<NaiveDate> = workdays.iter().copied().filter(|d| d.year() == y).collect();
        assert!(own.is_subset(&found), "{y}: the notice's own workdays");
    }
    assert!(cal.source_for(2014).is_none());
    assert!(cal.source_for(2027).is_none());
}

#[test]
fn every_covered_date_matches_the_notices() {
    // Day by day over 2015–2026 (and the December 2018 / December 2022 dates declared by the
    // next year's notice): off = declared holiday, or a weekend day not declared 上班.
    let cal = national();
    let holidays = all_holidays();
    let workdays = all_workdays();
    assert!(holidays.is_disjoint(&workdays));
    let mut d = ymd(2015, 1, 1);
    let mut checked = 0;
    while d <= ymd(2026, 12, 31) {
        let expected = !holidays.contains(&d) && (!is_weekend(d) || workdays.contains(&d));
        assert_eq!(cal.is_working_day(d).unwrap(), expected, "{d}");
        checked += 1;
        d = d.succ_opt().unwrap();
    }
    assert_eq!(checked, 4383);
}

#[test]
fn working_days_per_year() {
    let cal = national();
    // 2024: 366 days − 104 weekend days − 19 weekday holidays + 8 make-up days.
    assert_eq!(
        cal.working_days_between(ymd(2023, 12, 31), ymd(2024, 12, 31))
            .unwrap(),
        251
    );
    // 2025: 365 − 104 − 18 + 5.
    assert_eq!(
        cal.working_days_between(ymd(2024, 12, 31), ymd(2025, 12, 31))
            .unwrap(),
        248
    );
}

#[test]
fn working_days_between_sanity() {
    let cal = national();
    let a = ymd(2024, 9, 30);
    let b = ymd(2024, 10, 8);
    // The start day is not counted; October 1–7 are off; October 8 counts.
    assert_eq!(cal.working_days_between(a, b).unwrap(), 1);
    assert_eq!(cal.working_days_between(b, a).unwrap(), -1);
    assert_eq!(cal.working_days_between(a, a).unwrap(), 0);
    // Within a holiday block, nothing counts.
    assert_eq!(
        cal.working_days_between(ymd(2024, 10, 1), ymd(2024, 10, 7))
            .unwrap(),
        0
    );
    // Consistency with add_working_days.
    let start = ymd(2025, 1, 20);
    for n in 0..40u32 {
        let end = cal.add_working_days(start, n).unwrap();
        assert_eq!(cal.working_days_between(start, end).unwrap(), i64::from(n));
        assert_eq!(cal.working_days_between(end, start).unwrap(), -i64::from(n));
    }
    // Across a year boundary inside a holiday block declared by the next year's notice.
    assert!(!cal.is_working_day(ymd(2018, 12, 31)).unwrap());
    assert!(cal.is_working_day(ymd(2018, 12, 29)).unwrap());
    assert_eq!(
        cal.add_working_days(ymd(2018, 12, 28), 1).unwrap(),
        ymd(2018, 12, 29)
    );
    assert_eq!(
        cal.add_working_days(ymd(2018, 12, 29), 1).unwrap(),
        ymd(2019, 1, 2)
    );
}

#[test]
fn special_days() {
    let cal = national();
    // 2024 除夕 (Friday February 9) is only "encouraged" as a rest day: a working day.
    assert!(cal.is_working_day(ymd(2024, 2, 9)).unwrap());
    // 2020: the 春节 extension turned Saturday February 1 into a day off; Monday February 3
    // was an ordinary working day.
    assert!(!cal.is_working_day(ymd(2020, 2, 1)).unwrap());
    assert!(!cal.is_working_day(ymd(2020, 2, 2)).unwrap());
    assert!(cal.is_working_day(ymd(2020, 2, 3)).unwrap());
    // 2015: the 70th anniversary holiday.
    assert!(!cal.is_working_day(ymd(2015, 9, 3)).unwrap());
    assert!(cal.is_working_day(ymd(2015, 9, 6)).unwrap());
    // 2019: the amended 劳动节.
    assert!(!cal.is_working_day(ymd(2019, 5, 3)).unwrap());
    assert!(cal.is_working_day(ymd(2019, 4, 28)).unwrap());
    assert!(cal.is_working_day(ymd(2019, 5, 5)).unwrap());
    // Supplementary notices and sourcing caveats are recorded.
    assert!(cal
        .notes(2015)
        .iter()
        .any(|n| n.contains("国发明电〔2015〕1号")));
    assert!(cal
        .notes(2019)
        .iter()
        .any(|n| n.contains("国办发明电〔2019〕3号")));
    assert!(cal
        .notes(2020)
        .iter()
        .any(|n| n.contains("国办发明电〔2020〕1号")));
    assert!(cal.notes(2015).iter().any(|n| n.contains("weakly sourced")));
    assert!(cal.notes(2025).iter().any(|n| n.contains("weakly sourced")));
    assert!(cal.notes(2026).iter().any(|n| n.contains("only one page")));
    assert_eq!(cal.label(ymd(2024, 10, 2)), Some("国庆节"));
}

#[test]
fn uncovered_dates_are_errors() {
    let cal = national();
    for d in [
        ymd(2014, 6, 1),
        ymd(2027, 3, 1),
        ymd(2014, 12, 31),
        ymd(2027, 1, 1),
    ] {
        assert!(!cal.covers(d));
        assert_eq!(
            cal.is_working_day(d),
            Err(CalendarError::NotCovered {
                date: d,
                calendar: "cn-national".to_string(),
                first_year: 2015,
                last_year: 2026,
            })
        );
        assert!(cal.roll_forward(d).is_err());
        assert!(cal.add_working_days(d, 0).is_err());
    }
    // Running off the end of coverage names the first uncovered date.
    match cal.add_working_days(ymd(2026, 12, 25), 10) {
        Err(CalendarError::NotCovered { date, .. }) => assert_eq!(date, ymd(2027, 1, 1)),
        other => panic!("expected NotCovered, got {other:?}"),
    }
    assert!(cal
        .working_days_between(ymd(2026, 12, 1), ymd(2027, 1, 5))
        .is_err());
    assert!(cal
        .working_days_between(ymd(2014, 12, 1), ymd(2015, 1, 5))
        .is_err());
    assert_eq!(
        cal.is_working_day(ymd(2027, 3, 1)).unwrap_err().to_string(),
        "2027-03-01 is not covered by calendar cn-national, which covers 2015 to 2026"
    );
    // 2018-12-29 lies in a covered year anyway; 2022-12-31 too.
    assert!(cal.covers(ymd(2018, 12, 29)));
    assert!(cal.covers(ymd(2022, 12, 31)));
}

#[test]
fn month_and_year_arithmetic() {
    assert_eq!(add_months(ymd(2024, 1, 31), 1), ymd(2024, 2, 29));
    assert_eq!(add_months(ymd(2023, 1, 31), 1), ymd(2023, 2, 28));
    assert_eq!(add_months(ymd(2023, 3, 31), -1), ymd(2023, 2, 28));
    assert_eq!(add_months(ymd(2023, 12, 15), 1), ymd(2024, 1, 15));
    assert_eq!(add_months(ymd(2024, 1, 15), -1), ymd(2023, 12, 15));
    assert_eq!(add_months(ymd(2024, 8, 31), 6), ymd(2025, 2, 28));
    assert_eq!(add_years(ymd(2024, 2, 29), 1), ymd(2025, 2, 28));
    assert_eq!(add_years(ymd(2023, 6, 30), 2), ymd(2025, 6, 30));
    assert_eq!(month_end(ymd(2025, 2, 10)), ymd(2025, 2, 28));
    assert_eq!(month_end(ymd(2024, 4, 1)), ymd(2024, 4, 30));
    assert_eq!(year_end(ymd(2024, 2, 29)), ymd(2024, 12, 31));
}

const LOCAL: &str = "\
# A provincial agency's local calendar.
calendar cn-xx-agency \"某局 2024 年闭馆安排\"
extends cn-national
rest 2024-06-12 \"系统升级闭馆\"
rest 2024-12-30..2024-12-31 \"年终盘点\"
workday 2024-10-07 \"国庆值班日（本局上班）\"
rest 2027-01-04 \"outside the national coverage\"
";

#[test]
fn overlay_with_a_local_calendar() {
    let base = national();
    let local = Calendar::parse(LOCAL).unwrap();
    assert_eq!(local.name(), "cn-xx-agency");
    assert_eq!(local.extends(), Some("cn-national"));
    let cal = base.overlay(&local);
    assert_eq!(cal.name(), "cn-xx-agency");
    assert_eq!(cal.extends(), Some("cn-national"));
    assert_eq!(cal.years(), (2015, 2026));
    assert_eq!(cal.source_for(2024), base.source_for(2024));

    // A weekday closure becomes a day off; the national calendar is unchanged.
    let wed = ymd(2024, 6, 12);
    assert_eq!(wed.weekday(), Weekday::Wed);
    assert!(base.is_working_day(wed).unwrap());
    assert!(!cal.is_working_day(wed).unwrap());
    assert_eq!(
        cal.add_working_days(ymd(2024, 6, 11), 1).unwrap(),
        ymd(2024, 6, 13)
    );
    assert_eq!(base.add_working_days(ymd(2024, 6, 11), 1).unwrap(), wed);
    assert_eq!(
        cal.working_days_between(ymd(2024, 12, 27), ymd(2024, 12, 31))
            .unwrap(),
        0
    );

    // A local workday overrides a national holiday.
    assert!(!base.is_working_day(ymd(2024, 10, 7)).unwrap());
    assert!(cal.is_working_day(ymd(2024, 10, 7)).unwrap());
    assert_eq!(
        cal.roll_forward(ymd(2024, 10, 2)).unwrap(),
        ymd(2024, 10, 7)
    );

    // Unrelated dates keep the national verdict.
    assert!(!cal.is_working_day(ymd(2024, 10, 6)).unwrap());
    assert!(cal.is_working_day(ymd(2024, 10, 12)).unwrap());

    // The local calendar cannot extend coverage beyond the national years.
    assert!(matches!(
        cal.is_working_day(ymd(2027, 1, 4)),
        Err(CalendarError::NotCovered { .. })
    ));
}

#[test]
fn local_calendar_parse_errors_report_the_line() {
    let text = "\
calendar cn-xx-agency \"某局\"
extends cn-national
# closures
rest 2024-06-31 \"no such day\"
";
    let e = Calendar::parse(text).unwrap_err();
    assert_eq!((e.line, e.column), (4, 6));
    assert_eq!(e.message, "2024-06-31 is not a valid date");

    let text = "calendar x\nrest 2024-06-12 \"a\"\nclosed 2024-06-13\n";
    let e = Calendar::parse(text).unwrap_err();
    assert_eq!((e.line, e.column), (3, 1));
    assert!(e.message.starts_with("unknown directive `closed`"));
    assert_eq!(e.message, e.message.to_lowercase());

    let text = "calendar x\nrest 2024-06-12\nworkday 2024-06-12 \"a\"\n";
    let e = Calendar::parse(text).unwrap_err();
    assert_eq!(e.line, 3);
}
