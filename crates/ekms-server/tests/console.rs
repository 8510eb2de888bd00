//! End to end over HTTPS: the web console's assets at `/ui/` as the real server binary serves
//! them: the security headers on every answer (the Content-Security-Policy exactly as
//! docs/console.md states it), every asset the page names served from the binary, nothing from
//! another origin, and the total size bound. The browser tests are in console_browser.rs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use support::*;

const UI_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui");

/// The CSP value docs/console.md gives, from its line `Content-Security-Policy: <value>`.
fn documented_csp() -> String {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/console.md"),
    )
    .unwrap();
    doc.lines()
        .find_map(|l| l.trim().strip_prefix("Content-Security-Policy: "))
        .expect("docs/console.md states the Content-Security-Policy on one line")
        .to_string()
}

/// The values of `attr="…"` in `html`.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.split(&needle)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

fn assert_console_headers(path: &str, r: &reqwest::Response, csp: &str) {
    let h = r.headers();
    let get = |n: &str| h.get(n).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(
        get("content-security-policy").as_deref(),
        Some(csp),
        "{path}"
    );
    assert_eq!(
        get("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{path}"
    );
    assert_eq!(
        get("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{path}"
    );
    assert_eq!(get("cache-control").as_deref(), Some("no-cache"), "{path}");
    assert_eq!(get("x-frame-options").as_deref(), Some("DENY"), "{path}");
}

#[tokio::test]
async fn the_console_is_served_from_the_binary_with_a_strict_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let csp = documented_csp();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp} lacks {directive}");
    }

    let page = s.get("/ui/").await;
    assert_eq!(page.status(), 200);
    assert_console_headers("/ui/", &page, &csp);
    assert_eq!(
        page.headers()["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    let html = page.text().await.unwrap();
    assert_eq!(
        html,
        std::fs::read_to_string(Path::new(UI_DIR).join("index.html")).unwrap()
    );

    // What the page names is served, relative to /ui/, byte for byte the file of ui/; the
    // policy allows no inline script or style, so the page must have none.
    let mut named: Vec<String> = attribute_values(&html, "src");
    named.extend(
        attribute_values(&html, "href")
            .into_iter()
            .filter(|h| !h.starts_with('#')),
    );
    assert!(named.len() >= 2, "{named:?}");
    assert!(
        !html.contains(" style="),
        "inline style is refused by the policy"
    );
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count(),
        "inline script is refused by the policy"
    );
    let mut total = html.len();
    for name in &named {
        assert!(
            !name.contains(':') && !name.starts_with('/'),
            "{name} is not an asset of /ui/"
        );
        let r = s.get(&format!("/ui/{name}")).await;
        assert_eq!(r.status(), 200, "{name}");
        assert_console_headers(name, &r, &csp);
        let body = r.bytes().await.unwrap();
        assert_eq!(body, std::fs::read(Path::new(UI_DIR).join(name)).unwrap());
        total += body.len();
    }
    // Every file of ui/ is one the page loads (nothing unused ships in the binary), and the
    // whole console stays small.
    let mut files: Vec<String> = std::fs::read_dir(UI_DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "index.html")
        .collect();
    files.sort();
    named.sort();
    assert_eq!(files, named);
    assert!(
        total < 200 * 1024,
        "the console's assets weigh {total} bytes"
    );

    // Nothing of another origin: no absolute URL anywhere in the assets.
    for name in named
        .iter()
        .chain(std::iter::once(&"index.html".to_string()))
    {
        let text = std::fs::read_to_string(Path::new(UI_DIR).join(name)).unwrap();
        for scheme in ["http://", "https://", "url(", "@import"] {
            assert!(!text.contains(scheme), "{name} contains {scheme}");
        }
    }

    // An unknown asset is 404 with the same headers; `/ui` leads to the page.
    let r = s.get("/ui/nothing.js").await;
    assert_eq!(r.status(), 404);
    assert_console_headers("/ui/nothing.js", &r, &csp);
    let r = s.http.get(format!("{}/ui", s.url)).send().await.unwrap();
    assert_eq!(r.url().path(), "/ui/", "redirect followed");
    assert_eq!(r.status(), 200);
}
