//! Free loopback ports for the servers a test starts (etcd, kube-apiserver, a webhook server,
//! a manager's metrics and probes).
//!
//! A port is chosen now and bound later by another process, so something else may take it in
//! between. The usual trick, binding port 0, picks from the kernel's ephemeral range: the range
//! every outgoing connection (the test's clients, kube-apiserver's to etcd) also draws from, so
//! under load a port chosen that way is often taken by the time the server binds it. Ports are
//! therefore picked below the ephemeral range, where only an explicit bind can take them, in an
//! order that differs between processes and never repeats within one.

use std::{
    hash::{BuildHasher, RandomState},
    net::TcpListener,
    ops::Range,
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
};

use crate::error::{Error, Result};

/// Where the search starts: above the ports services commonly use.
const LOWEST: u16 = 10_000;
/// Linux's default first ephemeral port, and below macOS's and Windows' (49152).
const DEFAULT_EPHEMERAL_START: u16 = 32_768;
/// Candidates tried before falling back to a port the kernel picks.
const ATTEMPTS: usize = 200;

/// A loopback port nothing listens on right now, outside the ephemeral range, not handed out
/// before by this process.
///
/// ```
/// let port = kube_envtest::free_loopback_port().unwrap();
/// std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
/// ```
pub fn free_loopback_port() -> Result<u16> {
    free_port_in(candidate_range(ephemeral_start()))
}

fn free_port_in(range: Range<u16>) -> Result<u16> {
    if !range.is_empty() {
        for _ in 0..ATTEMPTS {
            let port = next_candidate(&range);
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return Ok(port);
            }
        }
    }
    // Everything tried is taken, or there is no room below the ephemeral range.
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| Error::io("binding 127.0.0.1:0 to find a free port", e))
}

/// `N` distinct free loopback ports.
pub(crate) fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let mut ports = [0u16; N];
    for port in &mut ports {
        *port = free_loopback_port()?;
    }
    Ok(ports)
}

fn candidate_range(ephemeral_start: u16) -> Range<u16> {
    LOWEST..ephemeral_start.max(LOWEST)
}

/// The first port of the kernel's ephemeral range (Linux publishes it; elsewhere the default).
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(DEFAULT_EPHEMERAL_START)
}

/// Walks `range` from a per-process random offset, one port further each call.
fn next_candidate(range: &Range<u16>) -> u16 {
    static OFFSET: OnceLock<u32> = OnceLock::new();
    static CALLS: AtomicU32 = AtomicU32::new(0);
    // std seeds `RandomState` from the operating system, so each process starts elsewhere.
    let offset = *OFFSET.get_or_init(|| (RandomState::new().hash_one(0u8) >> 32) as u32);
    let len = u32::from(range.end - range.start);
    let step = offset.wrapping_add(CALLS.fetch_add(1, Ordering::Relaxed)) % len;
    range.start + step as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_below_the_ephemeral_range_and_distinct() {
        let start = ephemeral_start();
        let ports = free_ports::<20>().unwrap();
        let mut sorted = ports.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ports.len(), "{ports:?}");
        if start > LOWEST {
            assert!(
                ports.iter().all(|p| (LOWEST..start).contains(p)),
                "{ports:?}"
            );
        }
    }

    #[test]
    fn a_taken_port_is_skipped() {
        let port = free_loopback_port().unwrap();
        let _held = TcpListener::bind(("127.0.0.1", port)).unwrap();
        for _ in 0..50 {
            assert_ne!(free_loopback_port().unwrap(), port);
        }
    }

    #[test]
    fn with_no_room_below_the_ephemeral_range_the_kernel_picks() {
        let range = candidate_range(1024);
        assert!(range.is_empty());
        let port = free_port_in(range).unwrap();
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}
