//! Go-style durations for flags, as controller-runtime operators take them: `30s`, `2m`, `1m30s`.

use std::time::Duration;

/// Parses a sequence of decimal numbers, each with a unit (`ms`, `s`, `m` or `h`).
pub(super) fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("expected a duration such as 30s, 2m or 1m30s, got {text:?}");
    match text {
        "0" => return Ok(Duration::ZERO),
        "" => return Err(invalid()),
        _ => {}
    }
    let mut rest = text;
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.');
        let (number, after) = rest.split_at(digits.ok_or_else(invalid)?);
        let number: f64 = number.parse().map_err(|_| invalid())?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let unit_seconds = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        total += Duration::try_from_secs_f64(number * unit_seconds).map_err(|_| invalid())?;
        rest = after;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_are_parsed() {
        let parsed = |text| parse_go_duration(text).unwrap();
        assert_eq!(parsed("30s"), Duration::from_secs(30));
        assert_eq!(parsed("2m"), Duration::from_secs(120));
        assert_eq!(parsed("1m30s"), Duration::from_secs(90));
        assert_eq!(parsed("1h2m3s"), Duration::from_secs(3723));
        assert_eq!(parsed("1.5s"), Duration::from_millis(1500));
        assert_eq!(parsed("250ms"), Duration::from_millis(250));
        assert_eq!(parsed("0"), Duration::ZERO);
    }

    #[test]
    fn malformed_durations_are_refused() {
        for text in ["", "30", "s", "2x", "1m30", "-1s", "1..5s", "m30s"] {
            assert!(parse_go_duration(text).is_err(), "{text:?} was accepted");
        }
    }
}
