//! The server binary's process as a small machine needs it: on one core (pinned with
//! `taskset -c 0`) it serves every socket from its main thread, with no worker thread to hand
//! connections to, and its descriptor table is grown before a crowd's sockets need it.

mod common;

use common::{temp_path, WAIT};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The names of the threads of process `pid`.
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .map(|task| std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_owned())
        .collect()
}

/// A field of `/proc/<pid>/status`, as a number.
fn status_field(pid: u32, name: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_else(|| panic!("no {name} in {status}"));
    line.trim_start_matches(':').trim().parse().unwrap()
}

/// The binary pinned to core 0 and listening, run by `check` with its pid, then stopped.
fn with_pinned_server(tag: &str, check: impl FnOnce(&Child)) {
    let dir = temp_path(tag);
    // A free port: the binary prints no address, so pick it here.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new("taskset")
        .args(["-c", "0", env!("CARGO_BIN_EXE_onair"), "--addr", &addr, "--relay", "off"])
        .args(["--data-dir", dir.to_str().unwrap()])
        .env("ONAIR_ADMIN_PASSWORD", "one-core-test-password")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("taskset (util-linux) runs");
    let deadline = std::time::Instant::now() + WAIT;
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "the server did not listen within 5 s");
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        std::thread::sleep(Duration::from_millis(20));
    }
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&child)));
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(panic) = checked {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn on_one_core_the_server_runs_without_a_worker_pool() {
    // Before any request that needs a blocking thread (they share the workers' name).
    with_pinned_server("one-core", |child| {
        let names = thread_names(child.id());
        assert!(!names.iter().any(|n| n.starts_with("tokio-r")), "a worker thread beside the main one: {names:?}");
        assert!(names.iter().any(|n| n == "onair-history"), "the listing is of the server: {names:?}");
    });
}

#[test]
fn the_descriptor_table_is_grown_to_the_open_files_limit_at_start() {
    // Grown later, one doubling at a time, each growth in a process of several threads waits
    // for an RCU grace period (tens of ms) with the accepting thread stopped.
    with_pinned_server("fd-table", |child| {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
        let soft: u64 = limits
            .lines()
            .find_map(|l| l.strip_prefix("Max open files"))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .expect("a soft open-files limit");
        let size = status_field(child.id(), "FDSize");
        assert!(size >= soft.min(65_536), "a table of {size} descriptors for a limit of {soft}");
    });
}
