//! The watch page's loader against the real server: `/watch` starts its wasm and its
//! signaling socket from one nonce'd inline script that runs as it is parsed (no second,
//! deferred loader that would hydrate the page twice), while the other pages keep Leptos's
//! deferred module loader.

mod common;

use common::{http, temp_path, Server};
use onair::server::config::Config;

/// Every `<script …>…</script>` of a page: its opening tag and its text.
fn scripts(page: &str) -> Vec<(String, String)> {
    page.split("<script")
        .skip(1)
        .map(|rest| {
            let open_end = rest.find('>').unwrap();
            let body_end = rest.find("</script>").unwrap();
            (rest[..open_end].to_owned(), rest[open_end + 1..body_end].to_owned())
        })
        .collect()
}

/// A page's HTML and its Content-Security-Policy.
async fn get(server: &Server, path: &str) -> (String, String) {
    let res = http().get(server.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    (res.text().await.unwrap(), csp)
}

fn nonce_of(csp: &str) -> String {
    csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_watch_page_starts_its_wasm_and_socket_from_one_nonced_script_as_it_parses() {
    let server = Server::start_and_clean(Config::for_tests(&temp_path("loader"), "pw-loader-1234")).await;
    let (page, csp) = get(&server, "/watch").await;
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = format!("nonce=\"{}\"", nonce_of(&csp));

    let loaders: Vec<_> = scripts(&page).into_iter().filter(|(_, body)| body.contains(".hydrate()")).collect();
    assert_eq!(loaders.len(), 1, "one loader, so the page hydrates once: {page}");
    let (tag, body) = &loaders[0];
    assert!(tag.contains(&nonce), "the CSP lets it run: {tag}");
    // A classic script: it runs as it is parsed, not after the document and its stylesheet.
    assert!(!tag.contains("type=\"module\"") && !tag.contains("defer"), "{tag}");
    assert!(body.contains("new WebSocket("), "it opens the socket: {body}");
    assert!(body.contains("\"/ws?join=viewer\""), "already joined by its URL: {body}");
    assert!(body.contains("mod.start_watching()"), "playback starts before hydration: {body}");
    assert_eq!(body.matches(".hydrate()").count(), 1, "{body}");
    assert!(body.contains("import(js)") && body.contains("\"/pkg/onair."), "it starts the wasm: {body}");

    // The browser fetches both files while it parses, ahead of the stylesheet.
    let modulepreload = page.find("rel=\"modulepreload\" href=\"/pkg/onair.").expect("the JS is preloaded");
    let wasm_preload = page.find("as=\"fetch\" type=\"application/wasm\"").expect("the wasm is preloaded");
    let stylesheet = page.find("rel=\"stylesheet\"").expect("a stylesheet");
    let loader = page.find("new WebSocket(").unwrap();
    assert!(modulepreload < stylesheet && wasm_preload < stylesheet, "{page}");
    // Before the stylesheet, so no pending stylesheet holds it back.
    assert!(loader < stylesheet, "{page}");
    server.stop_gracefully().await;
}

#[tokio::test]
async fn other_pages_keep_the_deferred_leptos_loader() {
    let server = Server::start_and_clean(Config::for_tests(&temp_path("loader-home"), "pw-loader-1234")).await;
    for path in ["/", "/login"] {
        let (page, csp) = get(&server, path).await;
        let modules: Vec<_> = scripts(&page).into_iter().filter(|(tag, _)| tag.contains("type=\"module\"")).collect();
        assert_eq!(modules.len(), 1, "{path}: {page}");
        let (tag, body) = &modules[0];
        assert!(tag.contains(&format!("nonce=\"{}\"", nonce_of(&csp))), "{path}: {tag}");
        assert!(!tag.contains(" async"), "{path}: {tag}");
        assert!(!body.contains("WebSocket"), "{path} opens no socket: {body}");
    }
    server.stop_gracefully().await;
}
