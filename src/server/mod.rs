//! The server (ssr only): application state, the router, and serving until shutdown.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod fd_table;
pub mod http;
pub mod key_file;
pub mod media;
pub mod secrets;
pub mod signaling;
pub mod store;
pub mod websocket;

use crate::server::config::Config;
use crate::web::app::shell;
use crate::web::routes::{endpoint, Page};
use auth::accounts::{self, AccountError, Accounts};
use auth::cookie_key::CookieKey;
use auth::cookies::CookiePolicy;
use auth::sessions::Sessions;
use auth::sign_in::{self, Auth};
use auth::stream_key_gate::StreamKeyGate;
use auth::stream_keys::StreamKeys;
use auth::watch_access::{self, WatchAccess, WatchGate};
use axum::extract::FromRef;
use axum::routing::{get, patch, post};
use axum::{middleware, Router};
use http::client_addr::{self, TrustProxy};
use http::headers::{self, HeaderPolicy};
use http::metrics::Metrics;
use http::{assets, metrics};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes};
use media::engine::{self, RelayLimits};
use media::handle::RelayHandle;
use media::http::{self as media_http, MediaEndpoints};
use media::metrics::RelayMetrics;
use media::stream_key_api::{self, StreamKeyApi};
use media::{announce, mode::RelayMode};
use signaling::service::{self, Signaling, SignalingOptions};
use signaling::viewer_cookie::{self, ViewerCookies};
use signaling::{admin_sessions, hub, resume, upgrade};
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use store::db::{self, Db, DbError};
use store::history::History;
use store::recorder::Recorder;

/// Shared by the `/ws` handler, the pages and the server functions.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub signaling: Arc<Signaling>,
    pub auth: Arc<Auth>,
    /// Whether a viewer may watch (`--watch-code`).
    pub watch: Arc<WatchAccess>,
    /// The CSP's allowances (the dev reload socket).
    pub headers: HeaderPolicy,
    /// Whether the client's address comes from `X-Forwarded-For` (`--trust-proxy`).
    pub trust_proxy: TrustProxy,
    /// `onair.db` in the data folder.
    pub db: Db,
    /// Reads and writes of the stream history (the history thread writes through it too).
    pub history: History,
    pub metrics: Arc<Metrics>,
    /// Feeds hub events to the history thread; ends the live on graceful shutdown.
    pub recorder: Arc<Recorder>,
    /// The media relay (`None` with `--relay off`, or when its port could not be opened in `auto`).
    pub relay: Option<RelayHandle>,
    /// Stream keys for OBS and ffmpeg, and the guessing throttle before them.
    pub stream_keys: Arc<StreamKeyGate>,
    /// `--ice-server` and the TURN secret, for the `Link` headers of a WHIP answer.
    pub ice_servers: Vec<crate::protocol::IceServer>,
    pub turn: Option<signaling::turn::TurnSecret>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Arc<Auth> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl FromRef<AppState> for Arc<Signaling> {
    fn from_ref(state: &AppState) -> Self {
        state.signaling.clone()
    }
}

impl FromRef<AppState> for Arc<WatchAccess> {
    fn from_ref(state: &AppState) -> Self {
        state.watch.clone()
    }
}

impl FromRef<AppState> for MediaEndpoints {
    fn from_ref(state: &AppState) -> Self {
        MediaEndpoints {
            relay: state.relay.clone(),
            gate: WatchGate::from_ref(state),
            signaling: state.signaling.clone(),
            stream_keys: state.stream_keys.clone(),
            ice_servers: state.ice_servers.clone(),
            turn: state.turn.clone(),
        }
    }
}

impl FromRef<AppState> for StreamKeyApi {
    fn from_ref(state: &AppState) -> Self {
        StreamKeyApi {
            auth: state.auth.clone(),
            keys: state.stream_keys.keys.clone(),
            public_urls: state.signaling.public_urls().to_vec(),
            relay: state.relay.clone(),
        }
    }
}

impl FromRef<AppState> for WatchGate {
    fn from_ref(state: &AppState) -> Self {
        WatchGate { access: state.watch.clone(), auth: state.auth.clone() }
    }
}

/// Why the server could not be set up, in words.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot close the lives left open by the last run: {0}")]
    Recover(rusqlite::Error),
    #[error("cannot set up the metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("cannot start the history thread: {0}")]
    HistoryThread(std::io::Error),
    #[error("cannot create the first admin account: {0}")]
    FirstAdmin(AccountError),
    #[error("cannot open the relay's UDP port {addr} (--relay on needs it; --media-addr picks another): {source}")]
    Relay { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    KeyFile(#[from] key_file::KeyFileError),
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error("cannot start: {0}")]
    Start(#[from] StartError),
}

impl AppState {
    /// Opens the database in the data folder (closing lives a crash left open), sets up the
    /// metrics and starts the history thread.
    pub fn new(config: &Config) -> Result<AppState, StartError> {
        let db = Db::open(&config.data_dir)?;
        let history = History::new(db.clone());
        let recovered = history.close_unfinished().map_err(StartError::Recover)?;
        if recovered > 0 {
            tracing::warn!(lives = recovered, "closed lives the last run left open (it did not stop cleanly)");
        }
        let metrics = Arc::new(Metrics::new()?);
        let recorder = Recorder::start(history.clone()).map_err(StartError::HistoryThread)?;
        let accounts = Accounts::new(db.clone());
        seed_first_admin(&accounts, config).map_err(StartError::FirstAdmin)?;
        let cookies = CookiePolicy { always_secure: config.secure_cookies, trust_proxy: config.trust_proxy };
        // Signs the watch pass and known devices; kept beside the database so both survive a restart.
        let cookie_key = CookieKey::load_or_create(&config.data_dir)?;
        // Kept beside the database so viewers resume across a restart.
        let resume_key = resume::ResumeKey::load_or_create(&config.data_dir)?;
        // The relay reports to the studio through signaling, which is built after it.
        let signaling_slot: Arc<std::sync::OnceLock<std::sync::Weak<Signaling>>> = Arc::default();
        let reports: media::engine::ReportSink = {
            let slot = signaling_slot.clone();
            Arc::new(move |reports| {
                if let Some(signaling) = slot.get().and_then(std::sync::Weak::upgrade) {
                    signaling.relay_reports(reports);
                }
            })
        };
        let ingest: media::engine::IngestSink = {
            let slot = signaling_slot.clone();
            Arc::new(move |event| {
                if let Some(signaling) = slot.get().and_then(std::sync::Weak::upgrade) {
                    signaling.ingest(event);
                }
            })
        };
        let shed: media::engine::ShedSink = {
            let slot = signaling_slot.clone();
            Arc::new(move |viewers| {
                if let Some(signaling) = slot.get().and_then(std::sync::Weak::upgrade) {
                    signaling.relay_shed(&viewers);
                }
            })
        };
        let relay = start_relay(config, &metrics, media::engine::RelaySinks { reports, ingest, shed })?;
        // In `auto`, a relay viewers out there cannot reach would take their video away
        // mid-live: such lives stay peer to peer (`on` is an explicit choice and is kept).
        let reachable = relay
            .as_ref()
            .is_some_and(|r| announce::reachability_warning(r.announced(), &public_hosts(config)).is_none());
        let plan = match (config.relay, &relay) {
            (_, None) | (RelayMode::Off, _) => hub::MediaPlan::MeshOnly,
            (RelayMode::On, Some(_)) => hub::MediaPlan::RelayAlways,
            (RelayMode::Auto, Some(_)) if !reachable => {
                tracing::warn!("--relay auto keeps every live peer to peer until the relay announces an address viewers can reach (--public-ip)");
                hub::MediaPlan::MeshOnly
            }
            (RelayMode::Auto, Some(_)) => hub::MediaPlan::Auto { mesh_max_viewers: config.mesh_max_viewers },
        };
        let hub = hub::Hub::new(config.ice_servers.clone())
            .with_viewer_cap(config.max_viewers)
            .with_resume_key(resume_key.clone())
            .with_resume_window(config.ws_limits.resume_window)
            .with_wall_start(clock::unix_secs())
            .with_media_plan(plan);
        let leptos_options = leptos_options(config);
        let headers = HeaderPolicy {
            dev_reload_port: (leptos_options.env == Env::DEV).then_some(leptos_options.reload_port as u16),
        };
        let signaling = Signaling::new(
            hub,
            metrics.clone(),
            recorder.clone(),
            SignalingOptions {
                limits: config.ws_limits.clone(),
                public_urls: config.public_urls.clone(),
                turn: config.turn.clone(),
                device_key: Some(resume_key),
            },
        );
        if let Some(relay) = &relay {
            signaling.observe_media(Arc::new(relay.clone()));
        }
        let _ = signaling_slot.set(Arc::downgrade(&signaling));
        let stream_keys = Arc::new(StreamKeyGate::new(StreamKeys::load_or_create(db.clone(), &config.data_dir)?));
        Ok(AppState {
            stream_keys,
            ice_servers: config.ice_servers.clone(),
            turn: config.turn.clone(),
            leptos_options,
            signaling,
            relay,
            watch: Arc::new(WatchAccess::new(config.watch_code.clone(), &cookie_key, cookies)),
            auth: Arc::new(Auth::new(accounts, Sessions::new(db.clone()), cookies, cookie_key)),
            headers,
            trust_proxy: TrustProxy(config.trust_proxy),
            db,
            history,
            metrics,
            recorder,
        })
    }
}

/// Opens the relay's UDP port and says which addresses it announces (and when they cannot
/// work for the audience). In `auto` a port that cannot be opened leaves lives peer to peer.
fn start_relay(
    config: &Config,
    metrics: &Metrics,
    sinks: media::engine::RelaySinks,
) -> Result<Option<RelayHandle>, StartError> {
    if config.relay == RelayMode::Off {
        return Ok(None);
    }
    let bound = config.media_addr;
    let announced = announce::announced_addresses(bound, &config.public_ips, announce::outbound_ip());
    let relay_metrics = Arc::new(RelayMetrics::new(Some(metrics.registry()))?);
    match engine::start(bound, announced, RelayLimits::default(), relay_metrics, sinks) {
        Ok(relay) => {
            let list: Vec<String> = relay.announced().iter().map(|a| a.to_string()).collect();
            tracing::info!(mode = %config.relay, "relay on udp {}, announcing {}", relay.local_addr(), list.join(", "));
            if let Some(warning) = announce::reachability_warning(relay.announced(), &public_hosts(config)) {
                tracing::warn!("{warning}");
            }
            Ok(Some(relay))
        }
        Err(source) if config.relay == RelayMode::Auto => {
            tracing::warn!("cannot open the relay's UDP port {bound}: {source}; every live stays peer to peer");
            Ok(None)
        }
        Err(source) => Err(StartError::Relay { addr: bound, source }),
    }
}

/// The hosts of `--public-url`: where the audience reaches OnAir.
fn public_hosts(config: &Config) -> Vec<String> {
    config.public_urls.iter().filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned)).collect()
}

/// With no admin account yet, creates `admin` with the configured password, or a generated
/// one printed once to the log. Later starts leave the accounts alone.
fn seed_first_admin(accounts: &Accounts, config: &Config) -> Result<(), AccountError> {
    if accounts.count()? > 0 {
        if config.admin_password.is_some() {
            tracing::info!(
                "{} only sets the first admin's password; use `onair admin passwd` to change it",
                config.admin_password_env
            );
        }
        return Ok(());
    }
    let password = match &config.admin_password {
        Some(p) => p.clone(),
        None => {
            let generated = sign_in::generate_password();
            tracing::warn!(
                "{} is not set; created the account {:?} with the password: {generated} \
                 (shown once: change it with `onair admin passwd {}`)",
                config.admin_password_env,
                accounts::FIRST_ADMIN,
                accounts::FIRST_ADMIN
            );
            generated
        }
    };
    accounts.seed_first(&password)?;
    tracing::info!(name = accounts::FIRST_ADMIN, "created the first admin account");
    Ok(())
}

fn leptos_options(config: &Config) -> LeptosOptions {
    // cargo-leptos sets these while developing; a deployment runs as production.
    let env = match std::env::var("LEPTOS_ENV").map(|v| v.to_ascii_lowercase()) {
        Ok(v) if v == "dev" || v == "development" => Env::DEV,
        _ => Env::PROD,
    };
    let reload_port = std::env::var("LEPTOS_RELOAD_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3001);
    LeptosOptions::builder()
        .output_name("onair")
        .site_root(config.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .env(env)
        .reload_port(reload_port)
        .hash_files(assets::hash_file().is_some())
        .build()
}

pub fn router(state: AppState) -> Router {
    // One route per page; `web::app::server_page` (in the browser `browser::pages`) picks the
    // page from the path (there is no leptos_router).
    let routes = Page::ALL
        .into_iter()
        .map(|page| {
            AxumRouteListing::new(page.path().to_owned(), Default::default(), [leptos_router::Method::Get], vec![])
        })
        .collect();
    // What server functions and pages may ask for: each the one service it needs.
    let (signaling, auth, history) = (state.signaling.clone(), state.auth.clone(), state.history.clone());
    let front_end = assets::front_end_files(&state.leptos_options.output_name);
    let page_context = move || {
        provide_context(signaling.clone());
        provide_context(auth.clone());
        provide_context(history.clone());
        provide_context(front_end.clone());
        headers::provide_request_nonce();
    };
    let shell_options = state.leptos_options.clone();
    let options = &state.leptos_options;
    let pkg_dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    Router::new()
        .nest_service(endpoint::PKG, assets::pkg(&pkg_dir, options.hash_files))
        .route(endpoint::WS, get(upgrade::handler))
        .route(endpoint::HEALTHZ, get(|| async { "ok" }))
        .route(endpoint::READYZ, get(db::readyz))
        .route(endpoint::METRICS, get(metrics::handler))
        .route(Page::Login.path(), post(sign_in::login))
        .route(endpoint::LOGOUT, get(sign_in::logout).post(sign_in::logout))
        .route(Page::WatchCode.path(), post(watch_access::enter_code))
        .route(endpoint::WHIP, post(media_http::publish).options(media_http::options))
        .route(endpoint::WHEP, post(media_http::play).options(media_http::options))
        .route(endpoint::STREAM_KEY, get(stream_key_api::show))
        .route(endpoint::STREAM_KEY_ROTATE, post(stream_key_api::rotate))
        .route(
            &format!("{}/{{resource}}", endpoint::WHIP),
            patch(media_http::trickle).delete(media_http::end).options(media_http::options),
        )
        .route(
            &format!("{}/{{resource}}", endpoint::WHEP),
            patch(media_http::trickle).delete(media_http::end).options(media_http::options),
        )
        .leptos_routes_with_context(&state, routes, page_context.clone(), move || shell(shell_options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(page_context, shell))
        .layer(middleware::from_fn_with_state(state.auth.clone(), sign_in::require_admin))
        .layer(middleware::from_fn_with_state(WatchGate::from_ref(&state), watch_access::gate))
        .layer(middleware::from_fn_with_state(
            ViewerCookies { signaling: state.signaling.clone(), cookies: state.auth.cookies() },
            viewer_cookie::on_watch,
        ))
        .layer(middleware::from_fn_with_state(state.headers, headers::security_headers))
        // Outermost: every layer and handler inside reads the client's address it works out.
        .layer(middleware::from_fn_with_state(state.trust_proxy, client_addr::resolve))
        .with_state(state)
}

/// Serves on `listener` until `shutdown` resolves, then stops within the shutdown grace
/// (`WsLimits::shutdown_grace`, 4 s) even if clients do not cooperate.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let signaling = state.signaling.clone();
    let recorder = state.recorder.clone();
    let grace = signaling.limits().shutdown_grace;
    let ticker = tokio::spawn({
        let signaling = signaling.clone();
        async move {
            let mut every = tokio::time::interval(service::VIEWER_COUNT_TICK);
            loop {
                every.tick().await;
                signaling.flush_viewer_count();
            }
        }
    });
    let session_checks = tokio::spawn({
        let (signaling, auth) = (signaling.clone(), state.auth.clone());
        async move {
            let mut every = tokio::time::interval(admin_sessions::RECHECK_EVERY);
            loop {
                every.tick().await;
                admin_sessions::recheck_all(&signaling, &auth).await;
            }
        }
    });
    // axum stops accepting and waits for HTTP requests, but upgraded sockets are not its
    // connections any more: they are told separately, through the signaling layer.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(None::<tokio::time::Instant>);
    let signal = {
        let signaling = signaling.clone();
        async move {
            shutdown.await;
            let _ = stop_tx.send(Some(tokio::time::Instant::now() + grace));
            signaling.shut_down();
        }
    };
    // The peer's address, for the client's (see `http::client_addr`).
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Signaling is many small messages answered at once: without TCP_NODELAY, Nagle's
    // algorithm meets the peer's delayed ACK and a reply waits ~40 ms.
    let listener =
        axum::serve::ListenerExt::tap_io(crate::server::http::taking_turns::TakingTurns::new(listener), |tcp| {
            if let Err(e) = tcp.get_ref().set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {e}");
            }
        });
    let server = axum::serve(listener, app).with_graceful_shutdown(signal).into_future();
    let deadline = {
        let mut stop_rx = stop_rx.clone();
        async move {
            let at = match stop_rx.wait_for(Option::is_some).await {
                Ok(at) => *at,
                Err(_) => None,
            };
            match at {
                Some(at) => {
                    tokio::time::sleep_until(at).await;
                    at
                }
                None => std::future::pending().await,
            }
        }
    };
    let (result, deadline) = tokio::select! {
        result = server => (result, stop_rx.borrow().unwrap_or_else(|| tokio::time::Instant::now() + grace)),
        at = deadline => {
            tracing::warn!("requests still running {grace:?} after the stop signal; stopping anyway");
            (Ok(()), at)
        }
    };
    // The sockets close (each says `shutdown` first); the live ends with its streamer's socket.
    // (Also when axum stopped on its own: no socket outlives the server.)
    signaling.shut_down();
    if !signaling.wait_closed(deadline).await {
        tracing::warn!(
            connections = signaling.status().connections,
            "sockets still open at the shutdown deadline; stopping anyway"
        );
    }
    ticker.abort();
    session_checks.abort();
    // Whatever is still open, the live in progress ends with the server.
    recorder.shutdown().await;
    result.map_err(ServeError::Serve)
}

/// Connections the kernel may hold waiting to be accepted. Rust's default is 128: when a
/// live starts or the server restarts, hundreds of viewers connect at once, the queue
/// overflows and each dropped connection waits a second for its SYN to be retried (the
/// README's Performance section has the figures). The kernel caps it at `net.core.somaxconn`.
const LISTEN_BACKLOG: u32 = 4096;

/// Listens on `addr` with [`LISTEN_BACKLOG`] and address reuse (a restart need not wait
/// for the last run's connections to time out).
pub fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Binds the configured address and serves until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), ServeError> {
    let state = AppState::new(&config)?;
    let listener = listen(config.addr).map_err(|source| ServeError::Bind { addr: config.addr, source })?;
    let addr = listener.local_addr().unwrap_or(config.addr);
    tracing::info!("OnAir is listening on http://{addr} (admin: http://{addr}/admin)");
    serve(listener, state, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
