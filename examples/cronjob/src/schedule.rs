// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! When a CronJob runs: its schedule parsed, the latest run that is due, the next one, and the
//! clock they are computed from.

use std::sync::Arc;

use croner::{
    Cron,
    errors::CronError,
    parser::{CronParser, Seconds, Year},
};
use k8s_openapi::jiff::{SignedDuration, Timestamp, tz::TimeZone};

/// More runs missed than this means a controller stopped for long or a clock far off: rather
/// than start them all, the CronJob waits for a change (a deadline, a fixed clock).
pub const MAX_MISSED_RUNS: usize = 100;

/// The time the controller schedules by: the system's in the manager (`main.rs` gives it
/// through `Manager::state`), one the tests set.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self::new(Timestamp::now)
    }

    /// A clock that reads `now`.
    pub fn new(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

/// Parses a standard five-field cron schedule (no seconds, no year), or a nickname such as
/// `@hourly`.
pub fn parse(schedule: &str) -> Result<Cron, CronError> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(schedule)
}

/// The runs of a schedule as seen at one moment.
#[derive(Debug, PartialEq, Eq)]
pub struct Runs {
    /// The latest run due and not started yet, if any.
    pub missed: Option<Timestamp>,
    /// The first run after now.
    pub next: Timestamp,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScheduleError {
    #[error(
        "more than {MAX_MISSED_RUNS} runs were missed; set or lower spec.startingDeadlineSeconds, or check the clocks"
    )]
    TooManyMissed,
    #[error("the schedule has no run after {0}")]
    NoNextRun(Timestamp),
}

/// The runs of `schedule` after `since` (the last run, or the CronJob's creation) as seen at
/// `now`. A run older than `deadline_seconds` is too late, so it is not counted as due.
pub fn runs(
    schedule: &Cron,
    since: Timestamp,
    deadline_seconds: Option<i64>,
    now: Timestamp,
) -> Result<Runs, ScheduleError> {
    let earliest = match deadline_seconds {
        Some(seconds) => since.max(
            now.checked_sub(SignedDuration::from_secs(seconds))
                .unwrap_or(Timestamp::MIN),
        ),
        None => since,
    };
    let mut missed = None;
    if earliest <= now {
        let due = schedule
            .iter_after(earliest.to_zoned(TimeZone::UTC))
            .map(|run| run.timestamp())
            .take_while(|run| *run <= now);
        for (count, run) in due.enumerate() {
            if count == MAX_MISSED_RUNS {
                return Err(ScheduleError::TooManyMissed);
            }
            missed = Some(run);
        }
    }
    let next = schedule
        .find_next_occurrence(&now.to_zoned(TimeZone::UTC), false)
        .map_err(|_| ScheduleError::NoNextRun(now))?
        .timestamp();
    Ok(Runs { missed, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: &str) -> Timestamp {
        time.parse().unwrap()
    }

    #[test]
    fn five_fields_and_nicknames_parse_and_others_do_not() {
        assert!(parse("*/5 * * * *").is_ok());
        assert!(parse("0 3 * * MON-FRI").is_ok());
        assert!(parse("@hourly").is_ok());
        assert!(parse("0 */5 * * * *").is_err(), "seconds are not standard");
        assert!(parse("* * * *").is_err());
        assert!(parse("61 * * * *").is_err());
        assert!(parse("every minute").is_err());
    }

    #[test]
    fn nothing_is_due_before_the_first_run() {
        let every_hour = parse("0 * * * *").unwrap();
        let runs = runs(
            &every_hour,
            at("2026-01-01T10:15:00Z"),
            None,
            at("2026-01-01T10:59:59Z"),
        );
        assert_eq!(
            runs,
            Ok(Runs {
                missed: None,
                next: at("2026-01-01T11:00:00Z")
            })
        );
    }

    #[test]
    fn the_latest_missed_run_is_due_and_a_run_at_now_counts() {
        let every_hour = parse("0 * * * *").unwrap();
        let since = at("2026-01-01T10:15:00Z");
        let late = runs(&every_hour, since, None, at("2026-01-01T13:30:00Z")).unwrap();
        assert_eq!(late.missed, Some(at("2026-01-01T13:00:00Z")));
        assert_eq!(late.next, at("2026-01-01T14:00:00Z"));

        let on_time = runs(&every_hour, since, None, at("2026-01-01T11:00:00Z")).unwrap();
        assert_eq!(on_time.missed, Some(at("2026-01-01T11:00:00Z")));
        assert_eq!(on_time.next, at("2026-01-01T12:00:00Z"));
    }

    #[test]
    fn the_last_run_itself_is_not_due_again() {
        let every_hour = parse("0 * * * *").unwrap();
        let last_run = at("2026-01-01T11:00:00Z");
        let runs = runs(&every_hour, last_run, None, at("2026-01-01T11:20:00Z")).unwrap();
        assert_eq!(runs.missed, None);
    }

    #[test]
    fn a_run_older_than_the_deadline_is_skipped() {
        let every_hour = parse("0 * * * *").unwrap();
        let since = at("2026-01-01T10:15:00Z");
        let now = at("2026-01-01T11:00:30Z");
        let in_time = runs(&every_hour, since, Some(60), now).unwrap();
        assert_eq!(in_time.missed, Some(at("2026-01-01T11:00:00Z")));
        let too_late = runs(&every_hour, since, Some(10), now).unwrap();
        assert_eq!(too_late.missed, None);
        assert_eq!(too_late.next, at("2026-01-01T12:00:00Z"));
    }

    #[test]
    fn too_many_missed_runs_are_an_error_unless_a_deadline_bounds_them() {
        let every_minute = parse("* * * * *").unwrap();
        let since = at("2026-01-01T00:00:00Z");
        let two_hours_later = at("2026-01-01T02:00:00Z");
        assert_eq!(
            runs(&every_minute, since, None, two_hours_later),
            Err(ScheduleError::TooManyMissed)
        );
        // Exactly the maximum is still fine.
        let at_max = at("2026-01-01T01:40:00Z");
        assert_eq!(
            runs(&every_minute, since, None, at_max).unwrap().missed,
            Some(at_max)
        );
        let bounded = runs(&every_minute, since, Some(300), two_hours_later).unwrap();
        assert_eq!(bounded.missed, Some(two_hours_later));
        // A deadline beyond what time can hold counts from the start of time.
        assert!(runs(&every_minute, since, Some(i64::MAX), at_max).is_ok());
    }
}
