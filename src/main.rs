//! The `onair` binary: configuration → state → router → serve, or an `admin` subcommand.

use clap::Parser;
use onair::config::{Cli, Command, Config};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
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
