//! How a message reaches another gate: the [`Transport`] trait, and its HTTPS implementation ([`HttpTransport`]):
//! `POST <base_url>/federation/v1/messages` with the gate.xsd message as the body (`application/xml`), signed as
//! [`super::signature`] describes, over rustls (or plain `http://` for loopback tests).
//!
//! The control logic sees only the trait, so that an adapter for the RI's eDelivery AS4 access point (Domibus'
//! WS plugin `submitMessage`, with the RI's PMode: service `bdx:noprocess`, action `eftiGateAction`,
//! ConversationId = the requestId) can replace it; `docs/federation.md` says what such an adapter needs.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use ecmr::keys::FileKey;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::registry::Gate;
use super::signature;

/// The path peers take messages at.
pub const MESSAGES_PATH: &str = "/federation/v1/messages";

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// Worth trying again: the gate could not be reached, timed out, or answered 5xx, 408 or 429.
    #[error("{0}")]
    Transient(String),
    /// Trying again would not help: the gate refused the message (4xx).
    #[error("{0}")]
    Refused(String),
}

/// Delivers one message to a gate.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `xml` to `gate`; `Ok` once the gate acknowledged it.
    ///
    /// # Errors
    /// [`TransportError`] saying whether to try again.
    async fn deliver(&self, gate: &Gate, xml: &str) -> Result<(), TransportError>;
}

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// The HTTPS transport: each message signed with this gate's key.
pub struct HttpTransport {
    origin: String,
    key: FileKey,
    client: Client<Https, Full<Bytes>>,
    timeout: Duration,
}

impl HttpTransport {
    /// A transport sending as gate `origin`, signing with `key`; `https://` peers must show a certificate of the
    /// Mozilla roots (webpki-roots) or of `extra_roots` (a private CA of the federation). Each attempt may take
    /// `timeout`.
    ///
    /// # Errors
    /// When an extra root is not a usable CA certificate.
    pub fn new(
        origin: &str,
        key: FileKey,
        timeout: Duration,
        extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    ) -> Result<HttpTransport, String> {
        let mut roots = rustls::RootCertStore { roots: webpki_roots_list() };
        for cert in extra_roots {
            roots.add(cert).map_err(|e| format!("a CA certificate of the federation: {e}"))?;
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(HttpTransport { origin: origin.to_owned(), key, client, timeout })
    }
}

/// The Mozilla roots hyper-rustls trusts with `with_webpki_roots`.
fn webpki_roots_list() -> Vec<rustls::pki_types::TrustAnchor<'static>> {
    let mut store = rustls::RootCertStore::empty();
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    store.roots
}

/// Reads the PEM certificates of a file (the federation's CA).
///
/// # Errors
/// What is wrong with the file.
pub fn read_roots(path: &std::path::Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject as _;
    let certs: Result<Vec<_>, _> = rustls::pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect();
    let certs = certs.map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate", path.display()));
    }
    Ok(certs)
}

#[async_trait]
impl Transport for HttpTransport {
    async fn deliver(&self, gate: &Gate, xml: &str) -> Result<(), TransportError> {
        let url = format!("{}{MESSAGES_PATH}", gate.base_url.trim_end_matches('/'));
        let id = uuid::Uuid::new_v4().to_string();
        let auth =
            signature::sign(&self.key, "POST", MESSAGES_PATH, &self.origin, &gate.id, xml.as_bytes(), Utc::now(), &id)
                .map_err(|e| TransportError::Refused(e.to_string()))?;
        let req = hyper::Request::post(&url)
            .header("content-type", "application/xml")
            .header("authorization", auth)
            .body(Full::new(Bytes::from(xml.to_owned())))
            .map_err(|e| TransportError::Refused(format!("{url}: {e}")))?;
        let sent = tokio::time::timeout(self.timeout, async {
            let resp = self.client.request(req).await.map_err(|e| TransportError::Transient(format!("{url}: {e}")))?;
            let status = resp.status();
            let body = resp.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let text = String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned();
            match status.as_u16() {
                200..=299 => Ok(()),
                408 | 429 | 500..=599 => Err(TransportError::Transient(format!("{url}: {status}: {text}"))),
                _ => Err(TransportError::Refused(format!("{url}: {status}: {text}"))),
            }
        })
        .await;
        sent.unwrap_or_else(|_| Err(TransportError::Transient(format!("{url}: no answer within {:?}", self.timeout))))
    }
}
