//! The static pages of the inspector web app (`/inspect/`) and the driver view (`/share/`): HTML, CSS and
//! JavaScript modules compiled into the binary (no build step), each served with its content type and a strict
//! Content-Security-Policy: scripts, styles and connections from this origin only, no inline script or style, no
//! framing.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// The policy of every page: nothing but this origin's own files; images also from `data:` and `blob:` (the QR
/// code, a photo of one), the camera's stream as `blob:`/`mediastream:` media.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The files, by name: (name, content type, content).
const ASSETS: [(&str, &str, &str); 8] = [
    ("index.html", "text/html; charset=utf-8", include_str!("../../web/index.html")),
    ("share.html", "text/html; charset=utf-8", include_str!("../../web/share.html")),
    ("app.css", "text/css; charset=utf-8", include_str!("../../web/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../web/app.js")),
    ("share.js", "text/javascript; charset=utf-8", include_str!("../../web/share.js")),
    ("i18n.js", "text/javascript; charset=utf-8", include_str!("../../web/i18n.js")),
    ("verify.js", "text/javascript; charset=utf-8", include_str!("../../web/verify.js")),
    ("view.js", "text/javascript; charset=utf-8", include_str!("../../web/view.js")),
];

/// One of the files with the headers of every page.
fn asset(name: &str) -> Response {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut resp = (*body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(self), microphone=(), geolocation=()"));
    // Small files, changed with the binary: always asked again, answered from the binary.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `/`: the inspector app.
pub async fn root() -> Redirect {
    Redirect::to("/inspect/")
}

/// `/inspect/`: the inspector app's page.
pub async fn inspect_page() -> Response {
    asset("index.html")
}

/// `/share/`: the driver view's page (the token follows in the fragment, `#t=…`).
pub async fn share_page() -> Response {
    asset("share.html")
}

/// `/inspect/{file}` and `/share/{file}`: the styles and scripts (the two pages share them).
pub async fn file(Path(name): Path<String>) -> Response {
    if name.ends_with(".html") {
        return StatusCode::NOT_FOUND.into_response();
    }
    asset(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_load_no_inline_script_or_style() {
        for (name, _, body) in ASSETS.iter().filter(|(n, _, _)| n.ends_with(".html")) {
            assert!(!body.contains("<script>") && !body.contains("style="), "{name}");
            assert!(!body.contains("<style"), "{name}");
            let inline_handler = body.split_whitespace().any(|w| {
                w.starts_with("on") && w.split_once('=').is_some_and(|(n, _)| n.bytes().all(|b| b.is_ascii_lowercase()))
            });
            assert!(!inline_handler, "{name}: no inline event handlers");
        }
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }
}
