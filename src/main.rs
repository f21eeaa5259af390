//! The `onair` binary: configuration → state → router → serve, or an `admin` subcommand.

use clap::Parser;
use onair::server::config::{Cli, Command, Config};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tune_malloc();
    // Before any other thread starts: then the growth waits for no grace period either.
    onair::server::fd_table::grow_to_limit();
    let runtime = match build_runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("onair: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

/// The async runtime: one worker per core, or with a single core (a small VPS, `taskset -c 0`)
/// everything on the main thread. A one-worker pool still accepts connections on the main
/// thread and hands each to the worker, so every accept costs a cross-thread wake-up and the
/// two threads take turns on the core; on one thread, an offer's way from one socket's task to
/// the next is a local queue.
fn build_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut builder = if cores == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all().build()
}

/// Two glibc malloc settings for a long-running server of many small connections. Must
/// run before any other thread starts.
///
/// - Arenas: glibc gives each thread that contends for the heap an arena of its own, up to
///   8 per core, each with its own high-water mark. Signaling is many small, short-lived
///   allocations made on whichever worker runs a socket, so after a burst every arena holds
///   freed memory the others cannot reuse; one arena per core keeps it (the README's
///   Performance section has the figures).
/// - Large blocks: glibc raises its mmap threshold to the size of any large block freed, so
///   the next one comes from an arena and stays there once freed. Each sign-in's Argon2
///   hash takes 19 MiB: every sign-in left that much resident. A fixed threshold keeps
///   blocks of 1 MiB and more in their own mappings, returned to the system when freed.
#[allow(unsafe_code)]
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // SAFETY: mallopt only sets allocator parameters; no other thread exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, cores.try_into().unwrap_or(i32::MAX));
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        }
    }
}

async fn run() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("onair=info,warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let mut cli = Cli::parse();
    let command = cli.command.take();
    let config = match Config::load(cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("onair: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Admin { action }) = command {
        return match onair::server::cli::run(&action, &config.data_dir) {
            Ok(done) => {
                println!("{done}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("onair: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match onair::server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
