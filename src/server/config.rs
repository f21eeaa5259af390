//! One typed [`Config`] from `Leptos.toml`, command-line flags and environment variables.
//!
//! Precedence, highest first: flag, its `ONAIR_*` variable, the `LEPTOS_*` variable that
//! cargo-leptos sets (address and site root only), the config file, the built-in default.

use crate::protocol::IceServer;
use crate::server::auth::watch_access::MIN_CODE_CHARS;
use crate::server::http::origin::normalize_origin;
use crate::server::media::mode::{RelayMode, RelayModeError};
use crate::server::signaling::hub::ViewerCap;
use crate::server::signaling::limits::WsLimits;
use crate::server::signaling::turn::{self, TurnSecret};
use clap::builder::BoolishValueParser;
use clap::{Parser, Subcommand};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

pub const DEFAULT_ADDR: &str = "127.0.0.1:9090";
pub const DEFAULT_STUN: &str = "stun:stun.l.google.com:19302";
const DEFAULT_CONFIG_FILE: &str = "Leptos.toml";
pub const DEFAULT_DATA_DIR: &str = "data";

#[derive(Debug, Parser)]
#[command(name = "onair", version, about = "Go live from a browser tab; viewers watch peer to peer.")]
pub struct Cli {
    /// `admin add|passwd`; without one, OnAir serves.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Runtime configuration file (TOML). A missing default file is not an error.
    #[arg(long, env = "ONAIR_CONFIG", value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:9090; LEPTOS_SITE_ADDR also works].
    #[arg(long, env = "ONAIR_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,
    /// Folder with the built site (`pkg/`, assets) [default: target/site].
    #[arg(long, env = "ONAIR_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<PathBuf>,
    /// ICE server URL handed to browsers (repeatable; comma-separated in the variable).
    /// `none` means no ICE servers at all (host candidates only, e.g. on a LAN or in tests).
    #[arg(long = "ice-server", env = "ONAIR_ICE_SERVERS", value_delimiter = ',', value_name = "URL")]
    pub ice_servers: Vec<String>,
    /// Folder for OnAir's database (`onair.db`, stream history); created when missing [default: ./data].
    #[arg(long, env = "ONAIR_DATA_DIR", value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Most viewers admitted at once: a number, `auto` (as many as the streamer's uplink
    /// serves at the current quality, estimated by the studio) or `off` [default: off].
    #[arg(long, env = "ONAIR_MAX_VIEWERS", value_name = "N|auto|off")]
    pub max_viewers: Option<String>,
    /// Public URL browsers use to reach OnAir (repeatable; comma-separated in the variable).
    /// `/ws` upgrades from any other page origin are refused [default: same origin as Host].
    #[arg(long = "public-url", env = "ONAIR_PUBLIC_URLS", value_delimiter = ',', value_name = "URL")]
    pub public_urls: Vec<String>,
    /// Open `/ws` connections allowed from one IP address [default: 50].
    #[arg(long, env = "ONAIR_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    pub max_connections_per_ip: Option<usize>,
    /// Messages per second a viewer may send, sustained (bursts of 3 s worth pass); the
    /// streamer gets 2.5 times that plus that much per viewer [default: 20].
    #[arg(long, env = "ONAIR_MESSAGES_PER_SECOND", value_name = "N")]
    pub messages_per_second: Option<f64>,
    /// Shared secret of the TURN server (coturn `static-auth-secret`): OnAir then hands out
    /// short-lived TURN credentials. Prefer the variable (flags show in `ps`).
    #[arg(long, env = "ONAIR_TURN_SECRET", value_name = "SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,
    /// How long handed-out TURN credentials stay valid, in seconds [default: 86400].
    #[arg(long, env = "ONAIR_TURN_TTL", value_name = "SECONDS")]
    pub turn_ttl: Option<u64>,
    /// Mark cookies `Secure` (browsers then send them over HTTPS only). Set it when users
    /// reach OnAir through a TLS reverse proxy [default: off].
    #[arg(long, env = "ONAIR_SECURE_COOKIES", value_parser = BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub secure_cookies: Option<bool>,
    /// A reverse proxy is in front: believe its `X-Forwarded-Proto: https` (cookies then get
    /// `Secure` on those requests) and take the client's address from `X-Forwarded-For` (the
    /// rightmost hop that is not loopback: the one the proxy wrote), for sign-in and watch-code
    /// throttling and the connections-per-IP limit. Only when every request comes through the
    /// proxy: clients could send the headers themselves [default: off].
    #[arg(long, env = "ONAIR_TRUST_PROXY", value_parser = BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub trust_proxy: Option<bool>,
    /// A code viewers must enter before they can watch, at least 8 characters [default: none,
    /// anyone can watch].
    #[arg(long, env = "ONAIR_WATCH_CODE", value_name = "CODE")]
    pub watch_code: Option<String>,
    /// How media reaches viewers: `off` (peer to peer only), `on` (all through the relay) or
    /// `auto` (peer to peer until the studio's uplink is full, then the relay) [default: auto].
    #[arg(long, env = "ONAIR_RELAY", value_name = "off|auto|on")]
    pub relay: Option<RelayMode>,
    /// UDP address of the relay's one media port [default: the HTTP address's host and port number].
    #[arg(long, env = "ONAIR_MEDIA_ADDR", value_name = "HOST:PORT")]
    pub media_addr: Option<SocketAddr>,
    /// Address viewers reach the relay at, announced as its candidate (repeatable; for a server
    /// behind NAT or in a container) [default: the media address, or this machine's outbound address].
    #[arg(long = "public-ip", env = "ONAIR_PUBLIC_IPS", value_delimiter = ',', value_name = "IP")]
    pub public_ips: Vec<IpAddr>,
    /// In `--relay auto`: the most viewers served peer to peer before the live moves to the relay [default: 8].
    #[arg(long, env = "ONAIR_MESH_MAX_VIEWERS", value_name = "N")]
    pub mesh_max_viewers: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Manage admin accounts (in `onair.db` in the data folder).
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
}

/// The password is read from the terminal (asked twice) or as one line from stdin; never from argv.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum AdminCommand {
    /// Add an admin account.
    Add { name: String },
    /// Set a new password for an admin account (signs it out everywhere).
    Passwd { name: String },
    /// Print an account's stream key for OBS or ffmpeg (WHIP); `--rotate` makes a new one.
    StreamKey {
        name: String,
        #[arg(long)]
        rotate: bool,
    },
}

/// `max-viewers` in the file: a number or a word.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CapSetting {
    Number(usize),
    Word(String),
}

/// The file's keys; every one is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    site_root: Option<PathBuf>,
    ice_servers: Option<Vec<String>>,
    admin_password_env: Option<String>,
    max_viewers: Option<CapSetting>,
    data_dir: Option<PathBuf>,
    public_urls: Option<Vec<String>>,
    max_connections_per_ip: Option<usize>,
    messages_per_second: Option<f64>,
    turn_secret: Option<String>,
    turn_ttl: Option<u64>,
    secure_cookies: Option<bool>,
    trust_proxy: Option<bool>,
    watch_code: Option<String>,
    relay: Option<String>,
    media_addr: Option<SocketAddr>,
    public_ips: Option<Vec<IpAddr>>,
    mesh_max_viewers: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub site_root: PathBuf,
    pub ice_servers: Vec<IceServer>,
    /// `None`: generate one at start and print it once.
    pub admin_password: Option<String>,
    /// Which variable the password came from (for the log line).
    pub admin_password_env: String,
    pub max_viewers: ViewerCap,
    /// Holds `onair.db`.
    pub data_dir: PathBuf,
    /// Origins (`scheme://host[:port]`) allowed to open `/ws`; empty: the request's own host.
    pub public_urls: Vec<String>,
    /// Limits of the signaling socket.
    pub ws_limits: WsLimits,
    /// TURN REST credentials, when a TURN secret is configured.
    pub turn: Option<TurnSecret>,
    /// Cookies always carry `Secure`.
    pub secure_cookies: bool,
    /// A reverse proxy is in front: its `X-Forwarded-Proto: https` counts as TLS and its
    /// `X-Forwarded-For` names the client.
    pub trust_proxy: bool,
    /// `Some`: viewers need this code to watch.
    pub watch_code: Option<String>,
    pub relay: RelayMode,
    /// The relay's UDP address (port 0: any free port).
    pub media_addr: SocketAddr,
    /// Announced instead of the media address when set.
    pub public_ips: Vec<IpAddr>,
    pub mesh_max_viewers: usize,
}

/// Viewers served peer to peer before `--relay auto` moves a live to the relay (the README's
/// relay section says how it was chosen).
pub const DEFAULT_MESH_MAX_VIEWERS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the configuration file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{var} is not a valid HOST:PORT address: {value:?}")]
    BadAddr { var: &'static str, value: String },
    #[error("ICE server URL {0:?} must start with stun:, stuns:, turn: or turns:")]
    BadIceServer(String),
    #[error("max-viewers must be a number above 0, \"auto\" or \"off\", not {0:?}")]
    BadMaxViewers(String),
    #[error("public URL {0:?} must be an http:// or https:// URL such as https://tv.example.org")]
    BadPublicUrl(String),
    #[error(transparent)]
    BadRelayMode(#[from] RelayModeError),
    #[error("{key} must be {expected}, not {value}")]
    BadLimit { key: &'static str, expected: &'static str, value: String },
    #[error(
        "the watch code has {0} characters; it needs at least {MIN_CODE_CHARS}, since a short code is \
         guessed quickly (a few words make a good one)"
    )]
    ShortWatchCode(usize),
}

impl Config {
    /// Reads the file named by the flags (or `Leptos.toml` when present) and applies overrides.
    pub fn load(cli: Cli) -> Result<Config, ConfigError> {
        let (path, required) = match &cli.config {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        let file = read_file(&path, required)?;
        Self::resolve(cli, file, |k| std::env::var(k).ok())
    }

    fn resolve(cli: Cli, file: FileConfig, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let addr = match cli.addr {
            Some(a) => a,
            None => match env("LEPTOS_SITE_ADDR") {
                Some(v) => v.parse().map_err(|_| ConfigError::BadAddr { var: "LEPTOS_SITE_ADDR", value: v })?,
                None => file.addr.unwrap_or_else(|| DEFAULT_ADDR.parse().expect("valid default")),
            },
        };
        let site_root = cli
            .site_root
            .or_else(|| env("LEPTOS_SITE_ROOT").map(PathBuf::from))
            .or(file.site_root)
            .unwrap_or_else(|| PathBuf::from("target/site"));
        let urls = if cli.ice_servers.is_empty() {
            file.ice_servers.unwrap_or_else(|| vec![DEFAULT_STUN.to_owned()])
        } else {
            cli.ice_servers
        };
        let ice_servers = parse_ice_servers(urls)?;
        let admin_password_env = file.admin_password_env.unwrap_or_else(|| "ONAIR_ADMIN_PASSWORD".to_owned());
        let admin_password = env(&admin_password_env).filter(|p| !p.is_empty());
        let max_viewers = match (cli.max_viewers, file.max_viewers) {
            (Some(flag), _) => parse_viewer_cap(&flag)?,
            (None, Some(CapSetting::Word(word))) => parse_viewer_cap(&word)?,
            (None, Some(CapSetting::Number(n))) => parse_viewer_cap(&n.to_string())?,
            (None, None) => ViewerCap::Unlimited,
        };
        let data_dir = cli.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let public_urls =
            if cli.public_urls.is_empty() { file.public_urls.unwrap_or_default() } else { cli.public_urls };
        let public_urls = public_urls
            .iter()
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
            .map(|u| normalize_origin(u).ok_or_else(|| ConfigError::BadPublicUrl(u.to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ws_limits = WsLimits::default();
        if let Some(n) = cli.max_connections_per_ip.or(file.max_connections_per_ip) {
            if n == 0 {
                return Err(ConfigError::BadLimit {
                    key: "max-connections-per-ip",
                    expected: "at least 1",
                    value: n.to_string(),
                });
            }
            ws_limits.max_connections_per_ip = n;
        }
        if let Some(r) = cli.messages_per_second.or(file.messages_per_second) {
            if !(r.is_finite() && r >= 1.0) {
                return Err(ConfigError::BadLimit {
                    key: "messages-per-second",
                    expected: "a number of at least 1",
                    value: r.to_string(),
                });
            }
            ws_limits.messages_per_second = r;
        }
        let ttl = cli.turn_ttl.or(file.turn_ttl).map(std::time::Duration::from_secs).unwrap_or(turn::DEFAULT_TTL);
        if ttl.as_secs() < 60 {
            return Err(ConfigError::BadLimit {
                key: "turn-ttl",
                expected: "at least 60 seconds",
                value: ttl.as_secs().to_string(),
            });
        }
        let turn =
            cli.turn_secret.or(file.turn_secret).filter(|s| !s.is_empty()).map(|secret| TurnSecret { secret, ttl });
        let secure_cookies = cli.secure_cookies.or(file.secure_cookies).unwrap_or(false);
        let trust_proxy = cli.trust_proxy.or(file.trust_proxy).unwrap_or(false);
        let watch_code = cli.watch_code.or(file.watch_code).map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        if let Some(chars) = watch_code.as_ref().map(|c| c.chars().count()).filter(|&n| n < MIN_CODE_CHARS) {
            return Err(ConfigError::ShortWatchCode(chars));
        }
        let relay = match (cli.relay, file.relay) {
            (Some(mode), _) => mode,
            (None, Some(word)) => word.parse()?,
            (None, None) => RelayMode::default(),
        };
        let media_addr = cli.media_addr.or(file.media_addr).unwrap_or(addr);
        let public_ips = if cli.public_ips.is_empty() { file.public_ips.unwrap_or_default() } else { cli.public_ips };
        let mesh_max_viewers = cli.mesh_max_viewers.or(file.mesh_max_viewers).unwrap_or(DEFAULT_MESH_MAX_VIEWERS);
        Ok(Config {
            relay,
            media_addr,
            public_ips,
            mesh_max_viewers,
            addr,
            site_root,
            ice_servers,
            admin_password,
            admin_password_env,
            max_viewers,
            data_dir,
            public_urls,
            ws_limits,
            turn,
            secure_cookies,
            trust_proxy,
            watch_code,
        })
    }

    /// A server on an ephemeral loopback port with host candidates only, the given data folder
    /// and first admin password, and every other setting at its default. For tests: change a
    /// field with `Config { max_viewers, ..Config::for_tests(dir, pw) }`.
    pub fn for_tests(data_dir: &Path, admin_password: &str) -> Config {
        Config {
            addr: "127.0.0.1:0".parse().expect("valid address"),
            site_root: PathBuf::from("target/site"),
            ice_servers: Vec::new(),
            admin_password: Some(admin_password.to_owned()),
            admin_password_env: "ONAIR_ADMIN_PASSWORD".to_owned(),
            max_viewers: ViewerCap::Unlimited,
            data_dir: data_dir.to_owned(),
            secure_cookies: false,
            trust_proxy: false,
            watch_code: None,
            public_urls: Vec::new(),
            ws_limits: WsLimits::default(),
            turn: None,
            // Tests that want the relay turn it on; the others open no UDP port.
            relay: RelayMode::Off,
            media_addr: "127.0.0.1:0".parse().expect("valid address"),
            public_ips: Vec::new(),
            mesh_max_viewers: DEFAULT_MESH_MAX_VIEWERS,
        }
    }
}

fn read_file(path: &Path, required: bool) -> Result<FileConfig, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(source) => return Err(ConfigError::Read { path: path.to_owned(), source }),
    };
    toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.message().to_owned() })
}

fn parse_viewer_cap(text: &str) -> Result<ViewerCap, ConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(ViewerCap::Auto),
        "off" | "none" | "unlimited" => Ok(ViewerCap::Unlimited),
        n => match n.parse::<usize>() {
            Ok(n) if n > 0 => Ok(ViewerCap::Fixed(n)),
            _ => Err(ConfigError::BadMaxViewers(text.to_owned())),
        },
    }
}

fn parse_ice_servers(urls: Vec<String>) -> Result<Vec<IceServer>, ConfigError> {
    let urls: Vec<String> = urls.into_iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
    if urls.iter().any(|u| u.eq_ignore_ascii_case("none")) {
        return Ok(Vec::new());
    }
    urls.into_iter()
        .map(|url| {
            let ok = ["stun:", "stuns:", "turn:", "turns:"].iter().any(|p| url.starts_with(p));
            if ok {
                Ok(IceServer { urls: vec![url], username: None, credential: None })
            } else {
                Err(ConfigError::BadIceServer(url))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("onair").chain(args.iter().copied())).unwrap()
    }

    fn file(text: &str) -> FileConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_without_file_flags_or_env() {
        let c = Config::resolve(cli(&[]), FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.site_root, PathBuf::from("target/site"));
        assert_eq!(c.ice_servers[0].urls, vec![DEFAULT_STUN.to_owned()]);
        assert_eq!(c.admin_password, None);
        assert_eq!(c.data_dir, PathBuf::from("data"));
    }

    #[test]
    fn data_dir_flag_beats_the_file() {
        let f = || file("data-dir = \"/var/lib/onair\"");
        assert_eq!(Config::resolve(cli(&[]), f(), |_| None).unwrap().data_dir, PathBuf::from("/var/lib/onair"));
        let c = Config::resolve(cli(&["--data-dir", "/tmp/x"]), f(), |_| None).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn flag_beats_leptos_env_beats_file() {
        let f = || file("addr = \"0.0.0.0:8000\"\nsite-root = \"site\"");
        let env = |k: &str| (k == "LEPTOS_SITE_ADDR").then(|| "127.0.0.1:7000".to_owned());
        assert_eq!(Config::resolve(cli(&[]), f(), |_| None).unwrap().addr.port(), 8000);
        assert_eq!(Config::resolve(cli(&[]), f(), env).unwrap().addr.port(), 7000);
        assert_eq!(Config::resolve(cli(&["--addr", "127.0.0.1:6000"]), f(), env).unwrap().addr.port(), 6000);
        assert_eq!(Config::resolve(cli(&[]), f(), |_| None).unwrap().site_root, PathBuf::from("site"));
    }

    #[test]
    fn ice_servers_from_flags_replace_the_file_and_none_clears_them() {
        let f = || file("ice-servers = [\"stun:a.example\", \"turn:b.example\"]");
        assert_eq!(Config::resolve(cli(&[]), f(), |_| None).unwrap().ice_servers.len(), 2);
        let c = Config::resolve(cli(&["--ice-server", "stun:c.example"]), f(), |_| None).unwrap();
        assert_eq!(c.ice_servers[0].urls, vec!["stun:c.example".to_owned()]);
        assert!(Config::resolve(cli(&["--ice-server", "none"]), f(), |_| None).unwrap().ice_servers.is_empty());
        assert!(matches!(
            Config::resolve(cli(&["--ice-server", "http://x"]), f(), |_| None),
            Err(ConfigError::BadIceServer(_))
        ));
    }

    #[test]
    fn admin_password_comes_from_the_named_variable() {
        let env = |k: &str| match k {
            "ONAIR_ADMIN_PASSWORD" => Some("secret".to_owned()),
            "MY_PW" => Some("other".to_owned()),
            _ => None,
        };
        assert_eq!(
            Config::resolve(cli(&[]), FileConfig::default(), env).unwrap().admin_password.as_deref(),
            Some("secret")
        );
        let c = Config::resolve(cli(&[]), file("admin-password-env = \"MY_PW\""), env).unwrap();
        assert_eq!(c.admin_password.as_deref(), Some("other"));
        let empty = |k: &str| (k == "ONAIR_ADMIN_PASSWORD").then(String::new);
        assert_eq!(Config::resolve(cli(&[]), FileConfig::default(), empty).unwrap().admin_password, None);
    }

    #[test]
    fn bad_leptos_addr_and_unknown_file_keys_are_clear_errors() {
        let env = |k: &str| (k == "LEPTOS_SITE_ADDR").then(|| "nope".to_owned());
        let e = Config::resolve(cli(&[]), FileConfig::default(), env).unwrap_err();
        assert!(e.to_string().contains("LEPTOS_SITE_ADDR"));
        assert!(toml::from_str::<FileConfig>("adress = \"x\"").is_err());
    }

    #[test]
    fn max_viewers_is_a_number_auto_or_off() {
        let cap = |args: &[&str], f: &str| Config::resolve(cli(args), file(f), |_| None).map(|c| c.max_viewers);
        assert_eq!(cap(&[], "").unwrap(), ViewerCap::Unlimited);
        assert_eq!(cap(&[], "max-viewers = 50").unwrap(), ViewerCap::Fixed(50));
        assert_eq!(cap(&[], "max-viewers = \"auto\"").unwrap(), ViewerCap::Auto);
        assert_eq!(cap(&["--max-viewers", "off"], "max-viewers = 50").unwrap(), ViewerCap::Unlimited);
        assert_eq!(cap(&["--max-viewers", "AUTO"], "").unwrap(), ViewerCap::Auto);
        for bad in ["0", "-3", "lots"] {
            let flag = format!("--max-viewers={bad}");
            assert!(matches!(cap(&[&flag], ""), Err(ConfigError::BadMaxViewers(_))), "{bad}");
        }
    }

    #[test]
    fn public_urls_are_normalized_origins_flag_beats_file() {
        let f = || file("public-urls = [\"https://TV.example.org/\"]");
        assert_eq!(Config::resolve(cli(&[]), f(), |_| None).unwrap().public_urls, vec!["https://tv.example.org"]);
        let c = Config::resolve(cli(&["--public-url", "http://a.example:8080,https://b.example:443"]), f(), |_| None)
            .unwrap();
        assert_eq!(c.public_urls, vec!["http://a.example:8080", "https://b.example"]);
        assert!(Config::resolve(cli(&[]), FileConfig::default(), |_| None).unwrap().public_urls.is_empty());
        let e = Config::resolve(cli(&["--public-url", "tv.example.org"]), f(), |_| None).unwrap_err();
        assert!(matches!(e, ConfigError::BadPublicUrl(_)));
    }

    #[test]
    fn limits_have_safe_defaults_and_can_be_raised() {
        let c = Config::resolve(cli(&[]), FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.ws_limits, WsLimits::default());
        assert_eq!(c.ws_limits.max_connections_per_ip, 50);
        assert_eq!(c.ws_limits.messages_per_second, 20.0);
        let f = || file("max-connections-per-ip = 500\nmessages-per-second = 100");
        let c = Config::resolve(cli(&[]), f(), |_| None).unwrap();
        assert_eq!((c.ws_limits.max_connections_per_ip, c.ws_limits.messages_per_second), (500, 100.0));
        let c =
            Config::resolve(cli(&["--max-connections-per-ip", "5000", "--messages-per-second", "1000"]), f(), |_| None)
                .unwrap();
        assert_eq!((c.ws_limits.max_connections_per_ip, c.ws_limits.messages_per_second), (5000, 1000.0));
        for args in
            [["--max-connections-per-ip", "0"], ["--messages-per-second", "0"], ["--messages-per-second", "NaN"]]
        {
            let e = Config::resolve(cli(&args), FileConfig::default(), |_| None).unwrap_err();
            assert!(matches!(e, ConfigError::BadLimit { .. }), "{args:?}");
            assert!(e.to_string().contains(args[0].trim_start_matches('-')));
        }
    }

    #[test]
    fn turn_secret_from_file_or_flag_with_a_ttl() {
        assert_eq!(Config::resolve(cli(&[]), FileConfig::default(), |_| None).unwrap().turn, None);
        let c = Config::resolve(cli(&[]), file("turn-secret = \"s3cret\""), |_| None).unwrap();
        assert_eq!(c.turn, Some(TurnSecret { secret: "s3cret".into(), ttl: turn::DEFAULT_TTL }));
        let c = Config::resolve(
            cli(&["--turn-secret", "flag", "--turn-ttl", "3600"]),
            file("turn-secret = \"file\""),
            |_| None,
        )
        .unwrap();
        assert_eq!(c.turn, Some(TurnSecret { secret: "flag".into(), ttl: std::time::Duration::from_secs(3600) }));
        assert!(!format!("{c:?}").contains("flag\""), "the secret stays out of debug output");
        assert!(Config::resolve(cli(&["--turn-ttl", "5"]), FileConfig::default(), |_| None).is_err());
    }

    #[test]
    fn admin_subcommands_take_a_name_and_never_a_password() {
        let add = cli(&["admin", "add", "alice"]);
        assert_eq!(add.command, Some(Command::Admin { action: AdminCommand::Add { name: "alice".into() } }));
        let passwd = cli(&["--data-dir", "/tmp/d", "admin", "passwd", "bob"]);
        assert_eq!(passwd.command, Some(Command::Admin { action: AdminCommand::Passwd { name: "bob".into() } }));
        assert_eq!(passwd.data_dir, Some(PathBuf::from("/tmp/d")));
        // The data folder may follow the subcommand too.
        let after = cli(&["admin", "add", "carol", "--data-dir", "/tmp/e"]);
        assert_eq!(after.data_dir, Some(PathBuf::from("/tmp/e")));
        let parse = |args: &[&str]| Cli::try_parse_from(std::iter::once("onair").chain(args.iter().copied()));
        assert!(parse(&["admin", "add"]).is_err(), "a name is required");
        assert!(parse(&["admin", "add", "alice", "hunter2"]).is_err(), "no password on the command line");
        assert!(parse(&["admin", "remove", "alice"]).is_err());
        assert_eq!(
            cli(&["admin", "stream-key", "alice", "--rotate"]).command,
            Some(Command::Admin { action: AdminCommand::StreamKey { name: "alice".into(), rotate: true } })
        );
        assert_eq!(cli(&[]).command, None, "no subcommand: serve");
        assert_eq!(cli(&["--addr", "127.0.0.1:1"]).command, None);
    }

    #[test]
    fn relay_settings_from_flags_file_or_defaults() {
        let c = Config::resolve(cli(&["--addr", "0.0.0.0:7000"]), FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.relay, RelayMode::Auto);
        assert_eq!(c.media_addr, "0.0.0.0:7000".parse().unwrap(), "the HTTP address and port, over UDP");
        assert!(c.public_ips.is_empty());
        assert_eq!(c.mesh_max_viewers, DEFAULT_MESH_MAX_VIEWERS);
        let f =
            file("relay = \"on\"\nmedia-addr = \"0.0.0.0:5000\"\npublic-ips = [\"203.0.113.5\"]\nmesh-max-viewers = 3");
        let c = Config::resolve(cli(&[]), f, |_| None).unwrap();
        assert_eq!((c.relay, c.media_addr.port(), c.mesh_max_viewers), (RelayMode::On, 5000, 3));
        assert_eq!(c.public_ips, vec!["203.0.113.5".parse::<IpAddr>().unwrap()]);
        let flags = cli(&["--relay", "off", "--public-ip", "198.51.100.1", "--public-ip", "2001:db8::1"]);
        let c = Config::resolve(flags, file("relay = \"on\""), |_| None).unwrap();
        assert_eq!(c.relay, RelayMode::Off, "the flag wins");
        assert_eq!(c.public_ips.len(), 2);
        let err = Config::resolve(cli(&[]), file("relay = \"maybe\""), |_| None).unwrap_err();
        assert_eq!(err.to_string(), "`maybe` is not a relay mode: use off, auto or on");
        assert!(Cli::try_parse_from(["onair", "--relay", "sometimes"]).is_err());
    }

    #[test]
    fn cookie_proxy_and_watch_code_settings() {
        let c = Config::resolve(cli(&[]), FileConfig::default(), |_| None).unwrap();
        assert!(!c.secure_cookies && !c.trust_proxy);
        assert_eq!(c.watch_code, None);
        let f = || file("secure-cookies = true\ntrust-proxy = true\nwatch-code = \"open sesame\"");
        let c = Config::resolve(cli(&[]), f(), |_| None).unwrap();
        assert!(c.secure_cookies && c.trust_proxy);
        assert_eq!(c.watch_code.as_deref(), Some("open sesame"));
        let c = Config::resolve(cli(&["--secure-cookies=false", "--watch-code", "other code"]), f(), |_| None).unwrap();
        assert!(!c.secure_cookies);
        assert_eq!(c.watch_code.as_deref(), Some("other code"));
        assert!(Config::resolve(cli(&["--secure-cookies"]), FileConfig::default(), |_| None).unwrap().secure_cookies);
        let blank = Config::resolve(cli(&["--watch-code", "  "]), FileConfig::default(), |_| None).unwrap();
        assert_eq!(blank.watch_code, None, "a blank code means no code");
    }

    #[test]
    fn a_watch_code_under_8_characters_is_refused_in_words() {
        let code = |c: &str| Config::resolve(cli(&["--watch-code", c]), FileConfig::default(), |_| None);
        let e = code(" 1234567 ").unwrap_err();
        assert!(matches!(e, ConfigError::ShortWatchCode(7)), "{e:?}");
        assert!(e.to_string().contains("at least 8"), "{e}");
        assert!(matches!(code("ééééééé"), Err(ConfigError::ShortWatchCode(7))), "characters, not bytes");
        assert_eq!(code("12345678").unwrap().watch_code.as_deref(), Some("12345678"));
        let from_file = Config::resolve(cli(&[]), file("watch-code = \"abc\""), |_| None);
        assert!(matches!(from_file, Err(ConfigError::ShortWatchCode(3))));
    }

    #[test]
    fn the_shipped_leptos_toml_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Leptos.toml");
        let f = read_file(&path, true).unwrap();
        let c = Config::resolve(cli(&[]), f, |_| None).unwrap();
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
    }
}
