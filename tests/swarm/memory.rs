//! Memory stays flat: the CLI runs preset 1 overloaded (4,000 users × 0.2 requests/s = 800
//! requests/s on 8 workers) for 60, 600 and 3,600 simulated seconds, each in its own process
//! under `/usr/bin/time`, and the peak resident sets must agree within 10% (+ 1 MiB for noise).
//! Each run keeps 60 time-series points (the interval is a sixtieth of the run): the series is
//! the one thing meant to grow with the run (up to its validated 100,000 points), so holding it
//! fixed shows that nothing is retained per request.
//!
//! ```text
//! /usr/bin/time -f %M target/release/scalesim run --preset 1 --set traffic.users=4000 \
//!     --set metrics_interval_ms=60000 --duration-s 3600
//! ```

use std::process::Command;

/// Peak resident set, in KiB, of one CLI run; `None` when `/usr/bin/time` is not there.
fn peak_kib(duration_s: u32) -> Option<u64> {
    if !std::path::Path::new("/usr/bin/time").exists() {
        return None;
    }
    let out = Command::new("/usr/bin/time")
        .args([
            "-f",
            "%M",
            env!("CARGO_BIN_EXE_scalesim"),
            "run",
            "--preset",
            "1",
        ])
        .args([
            "--set",
            "traffic.users=4000",
            "--duration-s",
            &duration_s.to_string(),
        ])
        .args([
            "--set",
            &format!("metrics_interval_ms={}", duration_s * 1000 / 60),
        ])
        .output()
        .expect("run the CLI");
    assert!(
        out.status.success(),
        "CLI failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().last().expect("time prints the peak");
    Some(line.trim().parse().expect("a number of KiB"))
}

#[test]
fn long_runs_keep_memory_flat() {
    let Some(short) = peak_kib(60) else {
        eprintln!("memory: /usr/bin/time not found, skipped");
        return;
    };
    let medium = peak_kib(600).unwrap();
    let long = peak_kib(3600).unwrap();
    eprintln!("memory: peak RSS 60 s: {short} KiB, 600 s: {medium} KiB, 3600 s: {long} KiB");
    for (label, kib) in [("600 s", medium), ("3600 s", long)] {
        assert!(
            kib as f64 <= short as f64 * 1.1 + 1024.0,
            "peak memory grows with run length: 60 s {short} KiB, {label} {kib} KiB"
        );
    }
}
