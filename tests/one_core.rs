//! The server binary on a one-core machine (pinned with `taskset -c 0`): it serves every
//! socket from its main thread, with no worker thread to hand connections to.

mod common;

use common::{temp_path, WAIT};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The names of the threads of process `pid`.
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .map(|task| std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_owned())
        .collect()
}

#[test]
fn on_one_core_the_server_runs_without_a_worker_pool() {
    let dir = temp_path("one-core");
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
    // Before any request that needs a blocking thread (they share the workers' name).
    let names = thread_names(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!names.iter().any(|n| n.starts_with("tokio-r")), "a worker thread beside the main one: {names:?}");
    assert!(names.iter().any(|n| n == "onair-history"), "the listing is of the server: {names:?}");
}
