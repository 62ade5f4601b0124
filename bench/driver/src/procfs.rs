//! Resource use of the operator process, read from /proc.

use anyhow::{Context, Result, bail};
use serde::Serialize;

/// Memory and CPU of a process at one moment.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Usage {
    /// Peak resident set size since the process started (VmHWM), in KiB.
    pub peak_rss_kib: u64,
    /// Current resident set size (VmRSS), in KiB.
    pub rss_kib: u64,
    /// User plus system CPU time, in seconds.
    pub cpu_seconds: f64,
}

pub fn usage(pid: u32) -> Result<Usage> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    Ok(Usage {
        peak_rss_kib: status_field_kib(&status, "VmHWM")?,
        rss_kib: status_field_kib(&status, "VmRSS")?,
        cpu_seconds: cpu_seconds(&stat)?,
    })
}

/// A `Name:   1234 kB` line of /proc/PID/status.
fn status_field_kib(status: &str, name: &str) -> Result<u64> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .with_context(|| format!("no {name} in /proc/PID/status"))?;
    let value = line.trim().trim_end_matches("kB").trim();
    value
        .parse()
        .with_context(|| format!("{name}: not a number: {value:?}"))
}

/// utime + stime of /proc/PID/stat, in seconds.
fn cpu_seconds(stat: &str) -> Result<f64> {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        bail!("malformed /proc/PID/stat: {stat:?}");
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let ticks = |index: usize| -> Result<u64> {
        fields
            .get(index - 3)
            .context("short /proc/PID/stat")?
            .parse()
            .context("tick count in /proc/PID/stat")
    };
    // SAFETY: sysconf only reads a configuration value.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks_per_second <= 0 {
        bail!("sysconf(_SC_CLK_TCK) failed");
    }
    Ok((ticks(14)? + ticks(15)?) as f64 / ticks_per_second as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let usage = usage(std::process::id()).unwrap();
        assert!(usage.peak_rss_kib >= usage.rss_kib);
        assert!(usage.rss_kib > 0);
    }

    #[test]
    fn command_names_with_spaces_and_parentheses() {
        let stat = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 700 300 0 0";
        let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        assert_eq!(cpu_seconds(stat).unwrap(), 1000.0 / ticks_per_second);
    }
}
