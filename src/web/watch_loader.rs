//! The watch page's loader: starts the wasm and opens `/ws` as soon as its HTML arrives.
//!
//! Leptos's `HydrationScripts` writes a deferred module script, which waits for the whole
//! document and its stylesheet before it even imports the JS glue: a viewer's first frame
//! then waits on that too (the README's Performance section). On `/watch` this loader takes
//! its place: a small inline script ahead of the stylesheet (nonce'd like Leptos's, so the
//! CSP stays strict; what it imports runs by `'strict-dynamic'`) that runs as the parser
//! reaches it, opens the signaling socket already joined as a viewer ([`first_join`], carried
//! by the socket's URL), for the player to adopt with what the server answered meanwhile
//! ([`EARLY_SOCKET_GLOBAL`]), and starts the wasm the same way Leptos's loader does, so the
//! page still hydrates exactly once. It also holds the page's first render until playback has
//! connected, [`FIRST_RENDER_WAIT_MS`] at most, or [`FIRST_RENDER_HOLD_MS`] once the starter has
//! taken an offer before that. The other pages keep Leptos's loader.

use crate::protocol::{joined_socket_path, url_join};
use crate::web::routes::endpoint;
use leptos::prelude::*;
use std::sync::OnceLock;

/// The `window` property where the loader leaves `{socket, sent, inbox}`: the socket it
/// opened, the join its URL made (see [`first_join`]) and the server's messages
/// since, oldest first. The player takes it from there (and removes it), so the page never
/// opens a second socket.
pub const EARLY_SOCKET_GLOBAL: &str = "__onairEarlySocket";

/// The join the loader's socket makes by its URL (`protocol::join_in_url`): the one a first
/// visit's player sends (no name, nothing to resume), so the player's own copy of it is not
/// sent again.
pub fn first_join() -> String {
    url_join().to_json()
}

const LOADER_JS: &str = include_str!("watch_loader.js");

/// [`LOADER_JS`] without its whole-line comments, which explain the source to its readers:
/// every viewer's page carried them, more than half of the script's bytes. Stripped once.
fn loader_code() -> &'static str {
    static CODE: OnceLock<String> = OnceLock::new();
    CODE.get_or_init(|| {
        LOADER_JS.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
    })
}

/// The starter's files' name in the site's `pkg/` folder, before their hashes.
pub const STARTER_NAME: &str = "starter";

/// How long the watch page may stay unrendered while its player starts (the loader's
/// `firstRenderWaitMs`): it renders once playback has connected, or after this. Chosen a little
/// above the time a cold page on loopback takes to connect (README, issue 14); on a slower link
/// the render then comes while the wasm still downloads, when the main thread is idle.
const FIRST_RENDER_WAIT_MS: u32 = 150;

/// How long the starter may hold the first render once it has taken an offer (the loader's
/// `renderHoldMs`): the page renders once that connection is up, failed, or after this.
const FIRST_RENDER_HOLD_MS: u32 = 500;

/// How long the player's wasm waits for the starter's video to play before it is fetched
/// anyway (the loader's `playerPatienceMs`): its download, compile and the page's hydration
/// otherwise take the main thread and the network while the first frame is on its way.
const PLAYER_PATIENCE_MS: u32 = 500;

/// The names of the front end's JS glue and wasm in the site's `pkg/` folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrontEndFiles {
    pub js: String,
    pub wasm: String,
    /// A split build's loader of the other pages' wasm (`split:` in `hash.txt`): the glue
    /// imports it, so the glue runs only once it is in too.
    pub split_loader: Option<String>,
    /// The starter's JS glue and wasm (`starter-js:` and `starter-wasm:` in `hash.txt`, written
    /// by scripts/build-starter.sh): a release build's first connection (`browser::starter`).
    pub starter: Option<(String, String)>,
}

impl FrontEndFiles {
    /// The names cargo-leptos gave the files, read the way Leptos's own loader reads them:
    /// `output_name` plus the `js:` and `wasm:` hashes of `hash.txt` when the build wrote
    /// one; without it, wasm-bindgen's plain names (`_bg` unless cargo-leptos built this).
    pub fn new(output_name: &str, hash_file: Option<&str>) -> FrontEndFiles {
        let hash = |kind: &str| {
            hash_file?
                .lines()
                .filter_map(|line| line.trim().split_once(':'))
                .find(|(key, _)| key.trim() == kind)
                .map(|(_, value)| value.trim().to_owned())
        };
        let js = match hash("js") {
            Some(h) => format!("{output_name}.{h}.js"),
            None => format!("{output_name}.js"),
        };
        let wasm = match hash("wasm") {
            Some(h) => format!("{output_name}.{h}.wasm"),
            None if option_env!("LEPTOS_OUTPUT_NAME").is_none() => format!("{output_name}_bg.wasm"),
            None => format!("{output_name}.wasm"),
        };
        let split_loader = hash("split").map(|h| format!("__wasm_split.{h}.js"));
        let starter = hash("starter-js")
            .zip(hash("starter-wasm"))
            .map(|(js, wasm)| (format!("{STARTER_NAME}.{js}.js"), format!("{STARTER_NAME}.{wasm}.wasm")));
        FrontEndFiles { js, wasm, split_loader, starter }
    }

    /// The loader's script: [`LOADER_JS`] called with these files under `/{pkg_dir}/`.
    fn script(&self, pkg_dir: &str) -> String {
        let js_string = |s: &str| serde_json::Value::from(s).to_string();
        let starter = match &self.starter {
            Some((js, wasm)) => {
                serde_json::json!([format!("/{pkg_dir}/{js}"), format!("/{pkg_dir}/{wasm}")]).to_string()
            }
            None => "null".to_owned(),
        };
        format!(
            "{}({}, {}, {starter}, {}, {}, {}, {FIRST_RENDER_WAIT_MS}, {FIRST_RENDER_HOLD_MS}, {PLAYER_PATIENCE_MS});",
            loader_code().trim_end(),
            js_string(&format!("/{pkg_dir}/{}", self.js)),
            js_string(&format!("/{pkg_dir}/{}", self.wasm)),
            js_string(EARLY_SOCKET_GLOBAL),
            js_string(&joined_socket_path(endpoint::WS)),
            js_string(&first_join()),
        )
    }
}

/// In the watch page's `<head>` instead of `HydrationScripts`. The server provides the
/// files' names by context (read once at start). Without a starter, the preloads let the
/// browser fetch the player's files while it parses, before the script asks for them. With
/// one, nothing is preloaded: the socket's handshake and the starter's small files come
/// first, and the player's files once the starter's video plays (README, issue 14).
#[component]
pub fn WatchLoader(options: LeptosOptions) -> impl IntoView {
    let files = use_context::<FrontEndFiles>().unwrap_or_else(|| FrontEndFiles::new(&options.output_name, None));
    let pkg_dir = options.site_pkg_dir.to_string();
    let script = files.script(&pkg_dir);
    let nonce = leptos::nonce::use_nonce();
    if files.starter.is_some() {
        return view! { <script nonce=nonce>{script}</script> }.into_any();
    }
    let split_loader = files.split_loader.as_ref().map(|name| {
        view! { <link rel="modulepreload" href=format!("/{pkg_dir}/{name}") nonce=nonce.clone()/> }
    });
    view! {
        <link rel="modulepreload" href=format!("/{pkg_dir}/{}", files.js) nonce=nonce.clone()/>
        {split_loader}
        <link
            rel="preload"
            href=format!("/{pkg_dir}/{}", files.wasm)
            r#as="fetch"
            r#type="application/wasm"
            crossorigin=""
            nonce=nonce.clone()
        />
        <script nonce=nonce>{script}</script>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_come_from_the_hash_file() {
        let files = FrontEndFiles::new("onair", Some("js: abc-_1\nwasm: def2\ncss: ghi\n"));
        let expected = FrontEndFiles {
            js: "onair.abc-_1.js".into(),
            wasm: "onair.def2.wasm".into(),
            split_loader: None,
            starter: None,
        };
        assert_eq!(files, expected);
        let split = FrontEndFiles::new("onair", Some("js: a\nwasm: b\nmanifest: c\nsplit: N8q-aP\n"));
        assert_eq!(split.split_loader.as_deref(), Some("__wasm_split.N8q-aP.js"));
        let started = FrontEndFiles::new("onair", Some("js: a\nwasm: b\nstarter-js: S1\nstarter-wasm: S2\n"));
        assert_eq!(started.starter, Some(("starter.S1.js".to_owned(), "starter.S2.wasm".to_owned())));
        // Half a starter is none.
        assert_eq!(FrontEndFiles::new("onair", Some("js: a\nstarter-js: S1\n")).starter, None);
    }

    #[test]
    fn without_a_hash_file_the_names_are_plain() {
        let files = FrontEndFiles::new("onair", None);
        assert_eq!(files.js, "onair.js");
        assert!(files.wasm == "onair_bg.wasm" || files.wasm == "onair.wasm", "{}", files.wasm);
        let partial = FrontEndFiles::new("onair", Some("css: x\n"));
        assert_eq!(partial.js, "onair.js");
    }

    #[test]
    fn the_script_calls_the_loader_with_the_files_the_socket_global_the_path_the_join_and_the_render_wait() {
        let files = FrontEndFiles::new("onair", Some("js: J\nwasm: W\n"));
        let script = files.script("pkg");
        assert!(script.starts_with("((js, wasm, starter,"), "{script}");
        assert!(!script.contains("README"), "the comments stay in the source: {script}");
        assert!(
            script.ends_with(
                r#"})("/pkg/onair.J.js", "/pkg/onair.W.wasm", null, "__onairEarlySocket", "/ws?join=viewer", "{\"type\":\"viewer\"}", 150, 500, 500);"#
            ),
            "{script}"
        );
        let started = FrontEndFiles::new("onair", Some("js: J\nwasm: W\nstarter-js: S\nstarter-wasm: T\n"));
        assert!(started
            .script("pkg")
            .contains(r#""/pkg/onair.W.wasm", ["/pkg/starter.S.js","/pkg/starter.T.wasm"], "__onair"#));
        assert!(!script.contains("</script"), "{script}");
    }
}
