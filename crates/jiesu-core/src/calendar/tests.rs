//! The shipped table checked against the State Council's notices, deadlines worked out by
//! hand around real breaks, and property tests of the working-time arithmetic.

use super::*;
use chrono::{TimeZone, Timelike};
use proptest::prelude::*;

/// An instant given in China time.
fn cn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    china_offset()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid China time")
        .with_timezone(&Utc)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn china() -> WorkingCalendar {
    WorkingCalendar::from_csv(CHINA_CSV).expect("the shipped table parses")
}

/// The shipped table, parsed once for the property tests.
fn shared() -> &'static WorkingCalendar {
    static CHINA: std::sync::LazyLock<WorkingCalendar> = std::sync::LazyLock::new(china);
    &CHINA
}

fn holiday(name: &str) -> DayKind {
    DayKind::Holiday(name.into())
}

fn makeup(name: &str) -> DayKind {
    DayKind::MakeupWorkday(name.into())
}

fn kinds(cal: &WorkingCalendar, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, DayKind)> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| (d, cal.day(d).kind))
        .collect()
}

// ---- the shipped table ----

#[test]
fn the_shipped_table_parses_and_china_is_it() {
    let cal = china();
    assert_eq!(WorkingCalendar::china(), cal);
    assert_eq!(cal.first_year(), Some(2004));
    assert_eq!(cal.last_year(), Some(2026));
    assert_eq!(
        cal.years().collect::<Vec<_>>(),
        (2004..=2026).collect::<Vec<_>>()
    );
    // The generator writes exactly what to_csv writes: sorted, LF, no BOM.
    assert_eq!(cal.to_csv(), CHINA_CSV);
}

#[test]
fn every_year_2020_to_2026_has_the_seven_festivals_and_weekend_makeup_days() {
    let cal = china();
    let seven = [
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "中秋节",
        "国庆节",
    ];
    for year in 2020..=2026 {
        let s = cal.year(year).unwrap_or_else(|| panic!("{year} missing"));
        s.validate().expect("valid");
        let mut festivals = s.festivals();
        festivals.sort_unstable();
        let mut want = seven.to_vec();
        want.sort_unstable();
        assert_eq!(festivals, want, "{year}");
        assert!(!s.makeup_workdays.is_empty(), "{year} has make-up days");
        for (d, name) in &s.makeup_workdays {
            assert!(is_weekend(d.weekday()), "{year}: {d} is a weekday");
            assert!(seven.contains(&name.as_str()), "{year}: {d} {name}");
        }
    }
}

#[test]
fn every_row_of_the_shipped_csv_reads_back_as_its_day() {
    let cal = china();
    for line in CHINA_CSV.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let d = NaiveDate::parse_from_str(f[0], "%Y-%m-%d").expect("date");
        let day = cal.day(d);
        assert!(day.in_table, "{line}");
        match f[1] {
            "holiday" => {
                assert_eq!(day.kind, holiday(f[2]), "{line}");
                assert!(!cal.is_working_day(d), "{line}");
            }
            "workday" => {
                assert_eq!(day.kind, makeup(f[2]), "{line}");
                assert!(cal.is_working_day(d), "{line}");
            }
            other => panic!("kind {other}"),
        }
    }
}

#[test]
fn the_2026_notice_as_published_in_november_2025() {
    let cal = china();
    let s = cal.year(2026).expect("2026");
    let days = |list: &[(NaiveDate, String)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(d, n)| (d.format("%m-%d").to_string(), n.clone()))
            .collect()
    };
    let expect = |rows: &[(&str, &str)]| -> Vec<(String, String)> {
        rows.iter()
            .map(|(d, n)| ((*d).to_owned(), (*n).to_owned()))
            .collect()
    };
    let mut holidays: Vec<(&str, &str)> =
        vec![("01-01", "元旦"), ("01-02", "元旦"), ("01-03", "元旦")];
    let spring: Vec<String> = (15..=23).map(|d| format!("02-{d}")).collect();
    holidays.extend(spring.iter().map(|d| (d.as_str(), "春节")));
    holidays.extend([
        ("04-04", "清明节"),
        ("04-05", "清明节"),
        ("04-06", "清明节"),
    ]);
    holidays.extend(["05-01", "05-02", "05-03", "05-04", "05-05"].map(|d| (d, "劳动节")));
    holidays.extend(["06-19", "06-20", "06-21"].map(|d| (d, "端午节")));
    holidays.extend(["09-25", "09-26", "09-27"].map(|d| (d, "中秋节")));
    holidays.extend(
        [
            "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07",
        ]
        .map(|d| (d, "国庆节")),
    );
    assert_eq!(days(&s.holidays), expect(&holidays));
    assert_eq!(
        days(&s.makeup_workdays),
        expect(&[
            ("01-04", "元旦"),
            ("02-14", "春节"),
            ("02-28", "春节"),
            ("05-09", "劳动节"),
            ("09-20", "国庆节"),
            ("10-10", "国庆节"),
        ])
    );
}

// ---- days ----

#[test]
fn new_year_2026_is_three_days_off_and_sunday_the_4th_is_worked() {
    let cal = china();
    assert_eq!(
        kinds(&cal, date(2025, 12, 31), date(2026, 1, 5)),
        vec![
            (date(2025, 12, 31), DayKind::Working),
            (date(2026, 1, 1), holiday("元旦")),
            (date(2026, 1, 2), holiday("元旦")),
            (date(2026, 1, 3), holiday("元旦")),
            (date(2026, 1, 4), makeup("元旦")),
            (date(2026, 1, 5), DayKind::Working),
        ]
    );
    // Wednesday 31 December 12:00 + 24 working hours: 12 h that day, nothing on 1–3 January,
    // the other 12 h on Sunday the 4th.
    let r = cal.add(cn(2025, 12, 31, 12, 0), Span::WorkingHours(24));
    assert_eq!(r.at, cn(2026, 1, 4, 12, 0));
    assert!(!r.beyond_table);
    // An order on New Year's Day itself starts counting on Sunday the 4th.
    let r = cal.add(cn(2026, 1, 1, 9, 30), Span::WorkingDays(1));
    assert_eq!(r.at, cn(2026, 1, 5, 0, 0));
}

#[test]
fn national_day_2024_with_its_makeup_sunday_and_saturday() {
    let cal = china();
    let k = kinds(&cal, date(2024, 9, 28), date(2024, 10, 13));
    assert_eq!(k[0], (date(2024, 9, 28), DayKind::Weekend));
    assert_eq!(k[1], (date(2024, 9, 29), makeup("国庆节")));
    assert_eq!(k[2], (date(2024, 9, 30), DayKind::Working));
    for (d, kind) in &k[3..10] {
        assert_eq!(*kind, holiday("国庆节"), "{d}");
    }
    assert_eq!(k[10], (date(2024, 10, 8), DayKind::Working));
    assert_eq!(k[14], (date(2024, 10, 12), makeup("国庆节")));
    assert_eq!(k[15], (date(2024, 10, 13), DayKind::Weekend));

    // Monday 30 September 09:00 + 5 working days: 15 h on the 30th, 1–7 October off,
    // 8–11 October 96 h (111 h), the last 9 h on Saturday the 12th, a working day.
    let r = cal.add(cn(2024, 9, 30, 9, 0), Span::WorkingDays(5));
    assert_eq!(r.at, cn(2024, 10, 12, 9, 0));
    assert!(!r.beyond_table);
    // Friday 27 September 18:00 + 2 working days: 6 h on Friday, Saturday off, Sunday the
    // 29th worked (30 h), the last 18 h on Monday the 30th.
    let r = cal.add(cn(2024, 9, 27, 18, 0), Span::WorkingDays(2));
    assert_eq!(r.at, cn(2024, 9, 30, 18, 0));
    assert_eq!(
        cal.working_time_between(cn(2024, 9, 27, 18, 0), cn(2024, 9, 30, 18, 0)),
        Duration::hours(48)
    );
    // The whole break counts nothing.
    assert_eq!(
        cal.working_time_between(cn(2024, 10, 1, 0, 0), cn(2024, 10, 8, 0, 0)),
        Duration::zero()
    );
}

#[test]
fn an_ordinary_order_over_the_2026_spring_festival() {
    let cal = china();
    assert_eq!(cal.day(date(2026, 2, 14)).kind, makeup("春节"));
    assert_eq!(cal.day(date(2026, 2, 15)).kind, holiday("春节"));
    assert_eq!(cal.day(date(2026, 2, 23)).kind, holiday("春节"));
    assert_eq!(cal.day(date(2026, 2, 24)).kind, DayKind::Working);
    assert_eq!(cal.day(date(2026, 2, 28)).kind, makeup("春节"));
    // Dispatched Friday 13 February 10:00: 14 h that day, Saturday the 14th worked (38 h),
    // 15–23 February off, 24–26 February 72 h (110 h), the last 10 h on Friday the 27th.
    let start = cn(2026, 2, 13, 10, 0);
    let r = cal.add(start, Span::WorkingDays(5));
    assert_eq!(r.at, cn(2026, 2, 27, 10, 0));
    assert!(!r.beyond_table);
    assert_eq!(cal.working_time_between(start, r.at), Duration::hours(120));
    assert_eq!(cal.add(start, Span::WorkingHours(120)), r);
}

#[test]
fn an_ordinary_week_ends_at_saturday_midnight() {
    let cal = china();
    // 2 March 2026 is a Monday with no holiday that week.
    let r = cal.add(cn(2026, 3, 2, 0, 0), Span::WorkingDays(5));
    assert_eq!(r.at, cn(2026, 3, 7, 0, 0));
    assert!(!r.beyond_table);
    let r = cal.add(cn(2026, 3, 6, 10, 0), Span::WorkingDays(5));
    assert_eq!(r.at, cn(2026, 3, 13, 10, 0));
    // Saturday 15:00 + 1 working hour: counting starts Monday 00:00.
    let r = cal.add(cn(2026, 3, 7, 15, 0), Span::WorkingHours(1));
    assert_eq!(r.at, cn(2026, 3, 9, 1, 0));
}

#[test]
fn zero_gives_the_start_even_on_a_day_off() {
    let cal = china();
    for start in [
        cn(2026, 3, 7, 15, 17),
        cn(2026, 2, 17, 8, 0),
        cn(2026, 3, 9, 9, 0),
    ] {
        for span in [
            Span::WorkingDays(0),
            Span::WorkingHours(0),
            Span::NaturalHours(0),
        ] {
            assert_eq!(
                cal.add(start, span),
                Reckoning {
                    at: start,
                    beyond_table: false
                }
            );
        }
    }
}

#[test]
fn natural_hours_ignore_the_calendar() {
    let cal = china();
    let r = cal.add(cn(2026, 3, 6, 23, 0), Span::NaturalHours(2));
    assert_eq!(r.at, cn(2026, 3, 7, 1, 0));
    assert!(!r.beyond_table);
    // Right through the Spring Festival.
    let r = cal.add(cn(2026, 2, 16, 8, 0), Span::NaturalHours(24));
    assert_eq!(r.at, cn(2026, 2, 17, 8, 0));
}

#[test]
fn days_are_cut_at_midnight_china_time_not_utc() {
    let cal = china();
    // Monday 2 March 2026 07:00 China time is Sunday 23:00 UTC: a working instant.
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 23, 0, 0).unwrap();
    assert_eq!(start, cn(2026, 3, 2, 7, 0));
    let r = cal.add(start, Span::WorkingHours(1));
    assert_eq!(r.at, cn(2026, 3, 2, 8, 0));
    // Friday 6 March 23:30 China time + 1 working hour: 30 min on Friday, 30 min on Monday.
    let r = cal.add(cn(2026, 3, 6, 23, 30), Span::WorkingHours(1));
    assert_eq!(r.at, cn(2026, 3, 9, 0, 30));
}

#[test]
fn past_the_table_the_weekday_rule_applies_and_says_so() {
    let cal = china();
    // 2031-01-01 is a Wednesday: with no notice for 2031 it is an ordinary working day.
    assert_eq!(
        cal.day(date(2031, 1, 1)),
        Day {
            kind: DayKind::Working,
            in_table: false
        }
    );
    assert_eq!(cal.day(date(2031, 3, 8)).kind, DayKind::Weekend);
    assert!(!cal.is_working_day(date(2031, 3, 8)));
    // Monday 3 March 2031 00:00 + 5 working days = Saturday 00:00, flagged.
    let r = cal.add(cn(2031, 3, 3, 0, 0), Span::WorkingDays(5));
    assert_eq!(r.at, cn(2031, 3, 8, 0, 0));
    assert!(r.beyond_table);
    // The last days of the table reach into 2027: flagged too.
    let r = cal.add(cn(2026, 12, 31, 10, 0), Span::WorkingDays(5));
    assert_eq!(r.at, cn(2027, 1, 7, 10, 0));
    assert!(r.beyond_table);
    // Before the table as well.
    assert!(!cal.day(date(1999, 10, 1)).in_table);
    assert_eq!(cal.day(date(1999, 10, 1)).kind, DayKind::Working);
}

#[test]
fn long_spans_and_extreme_instants_do_not_panic_or_crawl() {
    let cal = china();
    // A year of working days from Monday 3 March 2031, no notice known: 52 weeks of 5 days,
    // ending with Friday 27 February 2032.
    let r = cal.add(cn(2031, 3, 3, 0, 0), Span::WorkingDays(260));
    assert_eq!(r.at, cn(2032, 2, 28, 0, 0));
    assert!(r.beyond_table);
    // Across the whole table from 2003: still exact.
    let start = cn(2003, 6, 2, 0, 0);
    let r = cal.add(start, Span::WorkingDays(10_000));
    assert_eq!(
        cal.working_time_between(start, r.at),
        Duration::hours(240_000)
    );
    let max = cal.add(cn(2026, 1, 1, 0, 0), Span::WorkingDays(u32::MAX));
    assert_eq!(max.at, DateTime::<Utc>::MAX_UTC);
    assert!(max.beyond_table);
    assert_eq!(
        cal.add(DateTime::<Utc>::MAX_UTC, Span::NaturalHours(u32::MAX))
            .at,
        DateTime::<Utc>::MAX_UTC
    );
    let from_min = cal.add(DateTime::<Utc>::MIN_UTC, Span::WorkingHours(u32::MAX));
    assert!(from_min.at > DateTime::<Utc>::MIN_UTC);
    let r = cal.add(DateTime::<Utc>::MAX_UTC, Span::WorkingHours(1));
    assert_eq!(r.at, DateTime::<Utc>::MAX_UTC);
    let all = cal.working_time_between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    assert!(all > Duration::days(365 * 100_000));
    assert!(all < DateTime::<Utc>::MAX_UTC - DateTime::<Utc>::MIN_UTC);
    assert_eq!(
        cal.working_time_between(cn(2026, 3, 9, 0, 0), cn(2026, 3, 2, 0, 0)),
        Duration::zero()
    );
}

#[test]
fn an_empty_calendar_is_the_weekday_rule() {
    let cal = WorkingCalendar::default();
    assert_eq!(cal.last_year(), None);
    assert_eq!(cal.to_csv(), "date,kind,name\n");
    assert_eq!(
        WorkingCalendar::from_csv("date,kind,name\n"),
        Ok(cal.clone())
    );
    let r = cal.add(cn(2026, 2, 13, 10, 0), Span::WorkingDays(5));
    assert_eq!(r.at, cn(2026, 2, 20, 10, 0));
    assert!(r.beyond_table);
}

// ---- schedules and their checks ----

fn schedule_2027() -> YearSchedule {
    let mut s = YearSchedule::new(2027);
    s.holidays.push((date(2027, 1, 1), "元旦".into()));
    s.holidays.push((date(2027, 10, 1), "国庆节".into()));
    s.makeup_workdays.push((date(2027, 9, 26), "国庆节".into())); // a Sunday
    s
}

#[test]
fn an_admin_enters_next_year_and_can_replace_it() {
    let mut cal = china();
    cal.set_year(schedule_2027()).expect("valid");
    assert_eq!(cal.last_year(), Some(2027));
    assert_eq!(
        cal.day(date(2027, 1, 1)),
        Day {
            kind: holiday("元旦"),
            in_table: true
        }
    );
    assert_eq!(cal.day(date(2027, 9, 26)).kind, makeup("国庆节"));
    assert!(cal.is_working_day(date(2027, 9, 26)));
    // The year end is no longer beyond the table.
    let r = cal.add(cn(2026, 12, 31, 10, 0), Span::WorkingDays(5));
    assert_eq!(r.at, cn(2027, 1, 8, 10, 0)); // 1 January 2027 is now a holiday
    assert!(!r.beyond_table);

    // A corrected notice replaces the year whole: 1 October is no longer listed.
    let mut fixed = YearSchedule::new(2027);
    fixed.holidays.push((date(2027, 1, 1), "元旦".into()));
    cal.set_year(fixed.clone()).expect("valid");
    assert_eq!(cal.year(2027), Some(&fixed));
    assert_eq!(cal.day(date(2027, 10, 1)).kind, DayKind::Working);
    assert_eq!(cal.day(date(2027, 9, 26)).kind, DayKind::Weekend);
    // Other years untouched.
    assert_eq!(cal.year(2026), china().year(2026));
}

#[test]
fn set_year_keeps_the_lists_sorted() {
    let mut s = YearSchedule::new(2027);
    s.holidays.push((date(2027, 10, 2), "国庆节".into()));
    s.holidays.push((date(2027, 1, 1), "元旦".into()));
    let mut cal = WorkingCalendar::default();
    cal.set_year(s).expect("valid");
    let dates: Vec<NaiveDate> = cal
        .year(2027)
        .unwrap()
        .holidays
        .iter()
        .map(|h| h.0)
        .collect();
    assert_eq!(dates, vec![date(2027, 1, 1), date(2027, 10, 2)]);
}

#[test]
fn bad_schedules_are_refused_with_the_problem_named() {
    let check = |edit: &dyn Fn(&mut YearSchedule), want: CalendarError| {
        let mut s = schedule_2027();
        edit(&mut s);
        assert_eq!(s.validate(), Err(want.clone()));
        let mut cal = china();
        assert_eq!(cal.set_year(s), Err(want));
        assert_eq!(cal, china(), "refused, nothing changed");
    };
    check(
        &|s| s.holidays.push((date(2028, 1, 1), "元旦".into())),
        CalendarError::DateOutsideYear {
            year: 2027,
            date: date(2028, 1, 1),
        },
    );
    check(
        &|s| s.holidays.push((date(2027, 1, 1), "元旦".into())),
        CalendarError::Duplicate {
            date: date(2027, 1, 1),
            kind: EntryKind::Holiday,
        },
    );
    check(
        &|s| s.makeup_workdays.push((date(2027, 10, 1), "国庆节".into())),
        CalendarError::MakeupNotWeekend {
            date: date(2027, 10, 1),
            weekday: Weekday::Fri,
        },
    );
    check(
        &|s| s.makeup_workdays.push((date(2027, 9, 26), "国庆节".into())),
        CalendarError::Duplicate {
            date: date(2027, 9, 26),
            kind: EntryKind::Workday,
        },
    );
    check(
        &|s| s.holidays.push((date(2027, 9, 26), "国庆节".into())),
        CalendarError::HolidayAndWorkday {
            date: date(2027, 9, 26),
        },
    );
    check(
        &|s| s.holidays.push((date(2027, 5, 1), "劳动节,五一".into())),
        CalendarError::InvalidName {
            date: date(2027, 5, 1),
            name: "劳动节,五一".into(),
        },
    );
    check(
        &|s| s.holidays.push((date(2027, 5, 1), String::new())),
        CalendarError::InvalidName {
            date: date(2027, 5, 1),
            name: String::new(),
        },
    );
    check(
        &|s| {
            s.holidays.clear();
            s.makeup_workdays.clear();
        },
        CalendarError::EmptySchedule { year: 2027 },
    );
    check(
        &|s| {
            s.year = 10_000;
        },
        CalendarError::YearOutOfRange { year: 10_000 },
    );
    // The messages say what to fix.
    let e = CalendarError::MakeupNotWeekend {
        date: date(2027, 10, 1),
        weekday: Weekday::Fri,
    };
    assert_eq!(
        e.to_string(),
        "2027-10-01 is a Fri: a make-up working day (调休上班) must be a Saturday or Sunday"
    );
}

#[test]
fn csv_errors_name_the_line() {
    let err = |text: &str| WorkingCalendar::from_csv(text).unwrap_err();
    assert!(matches!(err(""), CalendarError::Csv { line: 1, .. }));
    assert!(matches!(
        err("day,kind\n"),
        CalendarError::Csv { line: 1, .. }
    ));
    assert_eq!(
        err("date,kind,name\n2026-01-01,holiday,元旦\n2026-01-02,holiday\n"),
        CalendarError::Csv {
            line: 3,
            message: "expected 3 fields (date,kind,name), found 2".into()
        }
    );
    assert!(matches!(
        err("date,kind,name\n2026-13-01,holiday,元旦\n"),
        CalendarError::Csv { line: 2, .. }
    ));
    assert!(matches!(
        err("date,kind,name\n2026-01-01,rest,元旦\n"),
        CalendarError::Csv { line: 2, .. }
    ));
    // Checks of the schedule apply to CSV too.
    assert_eq!(
        err("date,kind,name\n2026-01-05,workday,元旦\n"),
        CalendarError::MakeupNotWeekend {
            date: date(2026, 1, 5),
            weekday: Weekday::Mon
        }
    );
    // CRLF, a BOM, blank lines and any row order are fine.
    let cal = WorkingCalendar::from_csv(
        "\u{feff}date,kind,name\r\n2026-01-04,workday,元旦\r\n\r\n2026-01-01,holiday,元旦\r\n",
    )
    .expect("parses");
    assert_eq!(
        cal.to_csv(),
        "date,kind,name\n2026-01-01,holiday,元旦\n2026-01-04,workday,元旦\n"
    );
}

#[test]
fn spans_in_json_and_words() {
    let span: Span = serde_json::from_str(r#"{"unit":"working_days","amount":5}"#).expect("json");
    assert_eq!(span, Span::WorkingDays(5));
    assert_eq!(
        serde_json::to_string(&Span::NaturalHours(2)).unwrap(),
        r#"{"unit":"natural_hours","amount":2}"#
    );
    assert_eq!(
        serde_json::to_string(&Span::WorkingHours(1)).unwrap(),
        r#"{"unit":"working_hours","amount":1}"#
    );
    assert_eq!(Span::WorkingDays(5).to_string(), "5 working days");
    assert_eq!(Span::NaturalHours(1).to_string(), "1 natural hour");
    let day = serde_json::to_value(china().day(date(2026, 2, 14))).unwrap();
    assert_eq!(
        day,
        serde_json::json!({"kind": {"type": "makeup_workday", "name": "春节"}, "in_table": true})
    );
    let s: YearSchedule = serde_json::from_value(
        serde_json::json!({"year": 2027, "holidays": [["2027-01-01", "元旦"]], "makeup_workdays": []}),
    )
    .unwrap();
    assert_eq!(s.holidays, vec![(date(2027, 1, 1), "元旦".to_owned())]);
}

// ---- properties ----

/// Instants from 2019 to 2027, China time, to the second.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let from = cn(2019, 1, 1, 0, 0).timestamp();
    let to = cn(2028, 1, 1, 0, 0).timestamp();
    prop_oneof![
        // any second
        (from..to).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        // whole hours and midnights, where the edges are
        (0i64..(to - from) / 3600)
            .prop_map(move |h| DateTime::from_timestamp(from + h * 3600, 0).unwrap()),
        (0i64..(to - from) / 86_400).prop_map(move |d| DateTime::from_timestamp(
            from + d * 86_400,
            0
        )
        .unwrap()),
    ]
}

/// A valid schedule for a year 2020–2035, sorted as `set_year` keeps it.
fn schedule() -> impl Strategy<Value = YearSchedule> {
    (
        2020i32..2036,
        proptest::collection::btree_map(0u32..365, (any::<bool>(), 0usize..7), 1..40),
    )
        .prop_map(|(year, picks)| {
            let names = [
                "元旦",
                "春节",
                "清明节",
                "劳动节",
                "端午节",
                "中秋节",
                "国庆节",
            ];
            let mut s = YearSchedule::new(year);
            for (ordinal, (as_workday, n)) in picks {
                let Some(d) = NaiveDate::from_yo_opt(year, ordinal + 1) else {
                    continue;
                };
                if as_workday && is_weekend(d.weekday()) {
                    s.makeup_workdays.push((d, names[n].into()));
                } else {
                    s.holidays.push((d, names[n].into()));
                }
            }
            s
        })
}

fn china_midnight(t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&china_offset());
    local.hour() == 0 && local.minute() == 0 && local.second() == 0 && local.nanosecond() == 0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_working_hours_adds_exactly_that_working_time(start in instant(), h in 0u32..2_000) {
        let cal = shared();
        let r = cal.add(start, Span::WorkingHours(h));
        prop_assert!(r.at >= start);
        prop_assert_eq!(cal.working_time_between(start, r.at), Duration::hours(i64::from(h)));
        prop_assert!(r.at - start >= Duration::hours(i64::from(h)));
    }

    #[test]
    fn working_days_are_24_working_hours(start in instant(), d in 0u32..40) {
        let cal = shared();
        prop_assert_eq!(cal.add(start, Span::WorkingDays(d)), cal.add(start, Span::WorkingHours(d * 24)));
    }

    #[test]
    fn add_is_monotone_in_the_amount(start in instant(), a in 0u32..500, b in 0u32..500) {
        let cal = shared();
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(cal.add(start, Span::WorkingHours(lo)).at <= cal.add(start, Span::WorkingHours(hi)).at);
        prop_assert!(cal.add(start, Span::WorkingDays(lo)).at <= cal.add(start, Span::WorkingDays(hi)).at);
    }

    #[test]
    fn add_is_additive(start in instant(), a in 0u32..300, b in 0u32..300) {
        let cal = shared();
        let first = cal.add(start, Span::WorkingHours(a)).at;
        prop_assert_eq!(
            cal.add(first, Span::WorkingHours(b)).at,
            cal.add(start, Span::WorkingHours(a + b)).at
        );
    }

    #[test]
    fn the_end_lies_on_a_working_day_or_at_the_midnight_ending_one(start in instant(), h in 1u32..1_000) {
        let cal = shared();
        let at = cal.add(start, Span::WorkingHours(h)).at;
        let local = at.with_timezone(&china_offset()).date_naive();
        if china_midnight(at) {
            let before = local.pred_opt().unwrap();
            prop_assert!(cal.is_working_day(before), "{} ends {} which is not a working day", at, before);
        } else {
            prop_assert!(cal.is_working_day(local), "{} is on a day off", at);
        }
    }

    #[test]
    fn zero_returns_the_start(start in instant()) {
        let cal = shared();
        prop_assert_eq!(cal.add(start, Span::WorkingHours(0)).at, start);
        prop_assert_eq!(cal.add(start, Span::WorkingDays(0)).at, start);
    }

    #[test]
    fn natural_hours_are_wall_time(start in instant(), h in 0u32..10_000) {
        let r = shared().add(start, Span::NaturalHours(h));
        prop_assert_eq!(r.at, start + Duration::hours(i64::from(h)));
        prop_assert!(!r.beyond_table);
    }

    #[test]
    fn working_time_is_additive_and_at_most_wall_time(a in instant(), b in instant(), c in instant()) {
        let cal = shared();
        let mut v = [a, b, c];
        v.sort();
        let [a, b, c] = v;
        let ab = cal.working_time_between(a, b);
        prop_assert_eq!(ab + cal.working_time_between(b, c), cal.working_time_between(a, c));
        prop_assert!(ab <= b - a);
        prop_assert_eq!(cal.working_time_between(c, a), Duration::zero());
    }

    #[test]
    fn within_the_table_nothing_is_flagged(start in instant(), h in 0u32..200) {
        let cal = shared();
        let r = cal.add(start, Span::WorkingHours(h));
        let last = r.at.with_timezone(&china_offset()).date_naive().year();
        let first = start.with_timezone(&china_offset()).date_naive().year();
        // Midnight ending 31 December 2026 counts as inside: the day consulted was in 2026.
        if first >= 2004 && last <= 2026 {
            prop_assert!(!r.beyond_table);
        }
    }

    #[test]
    fn add_agrees_with_a_plain_day_by_day_walk(
        start in instant(),
        h in prop_oneof![0u32..3_000, (0u32..120).prop_map(|d| 24 * d)],
        years_on in prop_oneof![Just(0i64), 0i64..30],
    ) {
        // In the table, and moved 0–30 years on (mostly past it, where whole weeks are
        // jumped): the same as walking day by day with is_working_day.
        let cal = shared();
        let start = start + Duration::days(365 * years_on);
        let r = cal.add(start, Span::WorkingHours(h));
        prop_assert_eq!(r.at, walk(cal, start, h));
        prop_assert_eq!(cal.working_time_between(start, r.at), Duration::hours(i64::from(h)));
    }

    #[test]
    fn csv_round_trips(schedules in proptest::collection::vec(schedule(), 0..6)) {
        let mut cal = WorkingCalendar::default();
        for s in schedules {
            cal.set_year(s).unwrap();
        }
        let text = cal.to_csv();
        let back = WorkingCalendar::from_csv(&text).unwrap();
        prop_assert_eq!(&back, &cal);
        prop_assert_eq!(back.to_csv(), text);
    }

    #[test]
    fn a_bad_schedule_is_refused_and_changes_nothing(s in schedule(), how in 0u8..5, pick in any::<prop::sample::Index>()) {
        let mut bad = s.clone();
        let all: Vec<(NaiveDate, String)> = s.holidays.iter().chain(&s.makeup_workdays).cloned().collect();
        let (d, name) = pick.get(&all).clone();
        match how {
            0 => bad.holidays.push((d.with_year(s.year + 1).unwrap_or(date(s.year + 1, 3, 1)), name)),
            1 => bad.holidays.push((d, name)),
            2 => bad.makeup_workdays.push((d, name)),
            3 => {
                // a weekday as a make-up working day
                let weekday = (0..7).map(|i| date(s.year, 6, 1 + i)).find(|d| !is_weekend(d.weekday())).unwrap();
                bad.holidays.retain(|(h, _)| *h != weekday);
                bad.makeup_workdays.push((weekday, name));
            }
            _ => bad.holidays.push((d, format!("{name},"))),
        }
        prop_assert!(bad.validate().is_err());
        let mut cal = shared().clone();
        let before = cal.clone();
        prop_assert!(cal.set_year(bad).is_err());
        prop_assert_eq!(&cal, &before);
        // The good one goes in.
        prop_assert!(cal.set_year(s.clone()).is_ok());
        prop_assert_eq!(cal.year(s.year).map(|y| y.year), Some(s.year));
    }
}

/// The reference: walk day by day, taking each working day's time until `hours` is reached.
fn walk(cal: &WorkingCalendar, start: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
    let midnight = |d: NaiveDate| {
        china_offset()
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .single()
            .unwrap()
            .with_timezone(&Utc)
    };
    let mut remaining = Duration::hours(i64::from(hours));
    if remaining.is_zero() {
        return start;
    }
    let mut day = start.with_timezone(&china_offset()).date_naive();
    let mut t = start;
    loop {
        let next = day.succ_opt().unwrap();
        let end = midnight(next);
        if cal.is_working_day(day) {
            if remaining <= end - t {
                return t + remaining;
            }
            remaining -= end - t;
        }
        day = next;
        t = end;
    }
}

#[test]
fn add_working_takes_any_duration() {
    let cal = shared();
    let start = cn(2026, 2, 13, 10, 0);
    // 80% of 5 working days (96 h), the warning point of the Spring Festival order:
    // 14 h + 24 h (Saturday the 14th) + 48 h (24–25 February) + 10 h on the 26th.
    let r = cal.add_working(start, Duration::hours(96));
    assert_eq!(r.at, cn(2026, 2, 26, 10, 0));
    assert_eq!(
        cal.add_working(start, Duration::minutes(90)).at,
        cn(2026, 2, 13, 11, 30)
    );
    assert_eq!(cal.add_working(start, Duration::seconds(-5)).at, start);
    assert_eq!(cal.add_working(start, Duration::zero()).at, start);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn add_working_is_add_to_the_nanosecond(start in instant(), secs in 0i64..20_000_000, nanos in 0i64..1_000_000_000, h in 0u32..1_000) {
        let cal = shared();
        let amount = Duration::seconds(secs) + Duration::nanoseconds(nanos);
        let r = cal.add_working(start, amount);
        prop_assert_eq!(cal.working_time_between(start, r.at), amount);
        prop_assert_eq!(
            cal.add_working(start, Duration::hours(i64::from(h))),
            cal.add(start, Span::WorkingHours(h))
        );
    }
}
