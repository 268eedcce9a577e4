//! Any text as a working-day calendar: parsing it, and asking a parsed one the questions rules
//! ask (working day? n working days on? how many between? roll forward?), must return.
#![no_main]

use chrono::{Days, NaiveDate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(cal) = guiju::calendar::Calendar::parse(text) else {
        return;
    };
    let merged = guiju::calendar::Calendar::national().overlay(&cal);
    let (lo, hi) = cal.years();
    let start = NaiveDate::from_ymd_opt(lo, 1, 1).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(hi, 12, 31).unwrap_or_default();
    for c in [&cal, &merged] {
        let mut d = start;
        while d <= end && d < start + Days::new(800) {
            let _ = c.is_working_day(d);
            let _ = c.add_working_days(d, u32::from(n));
            let _ = c.working_days_between(d, end);
            let _ = c.roll_forward(d);
            let _ = c.label(d);
            d = d + Days::new(u64::from(n % 17) + 1);
        }
    }
});
