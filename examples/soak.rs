//! Soak test (not part of CI): churns viewer connections against a running OnAir and prints
//! the server's resident memory before and after, to catch leaks per connection.
//!
//! ```sh
//! cargo build --release --features ssr --bin onair --example soak
//! target/release/examples/soak ws://127.0.0.1:9090/ws <server pid, not cargo's> [total] [concurrent]
//! ```
//!
//! Each connection joins as a viewer, waits for `welcome`, and leaves (a clean close for most,
//! an abrupt drop for every tenth). `concurrent` (default 40) must stay under the server's
//! `--max-connections-per-ip` (default 50).

#[path = "common/mod.rs"]
mod common;

use common::rss_kib;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}

/// One viewer's visit; whether it got its `welcome`.
async fn visit(url: &str, n: usize) -> Result<(), String> {
    let mut ws = common::connect(url, None).await?;
    let hello = format!(r#"{{"type":"viewer","viewerId":"soak-{n}"}}"#);
    common::handshake(&mut ws, hello, "welcome", Duration::from_secs(10)).await?;
    if n.is_multiple_of(10) {
        drop(ws); // abrupt: no close frame
    } else {
        let _ = ws.close(None).await;
        while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {}
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: soak <ws://host:port/ws> <server pid> [total=5000] [concurrent=40]");
        std::process::exit(2);
    }
    let url = args[1].clone();
    let pid: u32 = args[2].parse().expect("the server's pid");
    let total: usize = args.get(3).map_or(5000, |v| v.parse().expect("total: a number"));
    let concurrent: usize = args.get(4).map_or(40, |v| v.parse().expect("concurrent: a number"));
    let metrics_url = url.replacen("ws://", "http://", 1).trim_end_matches("/ws").to_owned() + "/metrics";

    let before = rss_kib(pid).expect("cannot read /proc/<pid>/status");
    println!("server RSS before: {before} KiB");
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrent)
        .map(|_| {
            let (url, next, failures) = (url.clone(), next.clone(), failures.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    if let Err(e) = visit(&url, n).await {
                        if failures.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("visit {n}: {e}");
                        }
                    }
                    if n > 0 && n % 1000 == 0 {
                        println!("  {n} visits, server RSS {} KiB", rss_kib(pid).unwrap_or(0));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed();
    let after = rss_kib(pid).unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = rss_kib(pid).unwrap_or(0);
    println!(
        "{total} visits in {:.1} s ({:.0}/s), {} failed",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        failures.load(Ordering::Relaxed)
    );
    println!("server RSS after: {after} KiB; 2 s later: {settled} KiB ({:+} KiB)", settled as i64 - before as i64);
    if let Ok(res) = reqwest::get(&metrics_url).await {
        if let Ok(text) = res.text().await {
            println!(
                "server metrics: onair_viewers {:?}, opened {:?}, closed {:?}",
                metric(&text, "onair_viewers"),
                metric(&text, "onair_ws_connections_opened_total"),
                metric(&text, "onair_ws_connections_closed_total"),
            );
        }
    }
}
