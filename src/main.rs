//! The `onair` binary: configuration → state → router → serve, or an `admin` subcommand.

use clap::Parser;
use onair::config::{Cli, Command, Config};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("onair: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

/// glibc gives each thread that contends for the heap an arena of its own, up to 8 per core,
/// and each arena keeps its own high-water mark. Signaling is many small, short-lived
/// allocations made on whichever worker thread a socket runs on, so after a burst every
/// arena holds freed memory the others cannot reuse: at 5,000 viewers capping the arenas
/// at one per core took the server's memory per viewer from 10.4 to about 8 KiB. Must run
/// before any other thread starts.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, cores.try_into().unwrap_or(i32::MAX));
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
        return match onair::server::admin_cli::run(&action, &config.data_dir) {
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
