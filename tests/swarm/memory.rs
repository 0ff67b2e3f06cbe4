//! Memory stays flat: the CLI runs preset 1 overloaded (4,000 users × 0.2 requests/s = 800
//! requests/s on 8 workers) for 60, 600 and 3,600 simulated seconds, each in its own process,
//! and the peak resident sets must agree within 10% (+ 1 MiB for noise). Each run keeps 60
//! time-series points (the interval is a sixtieth of the run): the series is the one thing
//! meant to grow with the run (up to its validated 100,000 points), so holding it fixed shows
//! that nothing is retained per request.
//!
//! The peak is the child's own `ru_maxrss`, read with `wait4` (Linux, through `libc`), so the
//! measurement needs no outside tool; the same figure by hand:
//!
//! ```text
//! /usr/bin/time -f %M target/release/scalesim run --preset 1 --set traffic.users=4000 \
//!     --set metrics_interval_ms=60000 --duration-s 3600
//! ```

#![cfg(target_os = "linux")]

use std::io::Read;
use std::process::{Command, Stdio};

/// Peak resident set, in KiB, of one CLI run of `duration_s` simulated seconds.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by libc::wait4, which also reports its peak"
)]
fn peak_kib(duration_s: u32) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .args(["run", "--preset", "1", "--set", "traffic.users=4000"])
        .args(["--duration-s", &duration_s.to_string()])
        .args([
            "--set",
            &format!("metrics_interval_ms={}", duration_s * 1000 / 60),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the CLI");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("read the CLI's stderr");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into two locals that outlive the call; std's
    // `Child` is not waited on afterwards.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(
        waited,
        pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "CLI failed (wait status {status}): {stderr}"
    );
    let kib = u64::try_from(usage.ru_maxrss).expect("a peak in KiB");
    assert!(kib > 0, "wait4 reported no peak resident set");
    kib
}

#[test]
fn long_runs_keep_memory_flat() {
    let short = peak_kib(60);
    let medium = peak_kib(600);
    let long = peak_kib(3600);
    eprintln!("memory: peak RSS 60 s: {short} KiB, 600 s: {medium} KiB, 3600 s: {long} KiB");
    for (label, kib) in [("600 s", medium), ("3600 s", long)] {
        assert!(
            kib as f64 <= short as f64 * 1.1 + 1024.0,
            "peak memory grows with run length: 60 s {short} KiB, {label} {kib} KiB"
        );
    }
}
