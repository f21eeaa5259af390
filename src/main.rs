//! The `onair` binary: configuration → state → router → serve.

use clap::Parser;
use onair::config::{Cli, Config};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("onair=info,warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let config = match Config::load(Cli::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("onair: {e}");
            return ExitCode::from(2);
        }
    };
    match onair::server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
