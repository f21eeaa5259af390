//! `/pkg` (the front end's files): precompressed twins are sent to browsers that accept
//! them, and caching follows whether the build hashed the names.

mod common;

use common::{http, temp_path, Server, TempDir};
use onair::server::config::Config;

#[tokio::test]
async fn pkg_files_come_precompressed_when_accepted_and_revalidated_without_hashed_names() {
    let site = TempDir::new("site");
    let pkg = site.0.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let raw = "export function start() {}\n".repeat(100);
    std::fs::write(pkg.join("app.js"), &raw).unwrap();
    std::fs::write(pkg.join("app.js.br"), b"brotli twin").unwrap();
    std::fs::write(pkg.join("app.js.gz"), b"gzip twin").unwrap();
    let mut config = Config::for_tests(&temp_path("server"), "assets-test-password");
    config.site_root = site.0.clone();
    let server = Server::start_and_clean(config).await;

    let get = |encoding: &'static str| {
        let url = server.url("/pkg/app.js");
        async move { http().get(url).header("accept-encoding", encoding).send().await.unwrap() }
    };
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), "brotli twin"),
        ("gzip", Some("gzip"), "gzip twin"),
        ("identity", None, raw.as_str()),
    ] {
        let res = get(accept).await;
        assert_eq!(res.status(), 200, "{accept}");
        let h = res.headers().clone();
        assert_eq!(h.get("content-encoding").map(|v| v.to_str().unwrap()), encoding, "{accept}");
        assert_eq!(h["content-type"], "text/javascript", "{accept}");
        // The test binary has no hash.txt beside it: names are not hashed, so revalidate.
        assert_eq!(h["cache-control"], "no-cache", "{accept}");
        assert_eq!(res.text().await.unwrap(), body, "{accept}");
    }
    assert_eq!(http().get(server.url("/pkg/missing.js")).send().await.unwrap().status(), 404);
}
