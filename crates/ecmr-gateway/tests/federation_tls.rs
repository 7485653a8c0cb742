//! The federation's HTTPS client (rustls) against a TLS peer with a certificate of a test CA made here: with the
//! CA among the federation's roots the signed message is delivered (and its signature checks at the peer);
//! without it, the peer's certificate is refused and nothing is sent. The gateway has no TLS listener of its own
//! (TLS is terminated in front of it), so the peer is a small TLS server of this test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ecmr::keys::{FileKey, Signer as _};
use ecmr_gateway::service::federation::registry::{Gate, GateKey, RegistryFile};
use ecmr_gateway::service::federation::signature;
use ecmr_gateway::service::federation::transport::{HttpTransport, Transport, TransportError};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A CA, and a TLS peer on loopback showing a certificate for `localhost` it signed; every request is noted
/// (path, authorization, body) and answered 202.
async fn tls_peer() -> (CertificateDer<'static>, u16, Seen) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "ecmr federation test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen: Seen = Arc::default();
    let noted = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (acceptor, noted) = (acceptor.clone(), noted.clone());
            tokio::spawn(async move {
                // A handshake the client gives up on ends here.
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let noted = noted.clone();
                    async move {
                        let path = req.uri().path().to_owned();
                        let auth = req
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let body = req.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
                        noted.lock().unwrap().push((path, auth, body));
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder().status(202).body(Full::new(Bytes::new())).unwrap(),
                        )
                    }
                });
                let io = hyper_util::rt::TokioIo::new(tls);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    (ca.der().clone(), port, seen)
}

fn gate(port: u16, key: &FileKey) -> Gate {
    Gate {
        id: "gate-nl".into(),
        country: "NL".into(),
        base_url: format!("https://localhost:{port}"),
        keys: vec![GateKey { public_key: key.public_key(), valid_from: None, valid_until: None }],
        subsets: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_go_over_tls_to_a_peer_of_the_federation_ca_only() {
    let (ca, port, seen) = tls_peer().await;
    let be = FileKey::from_seed(&[42; 32]);
    let nl = gate(port, &FileKey::from_seed(&[41; 32]));
    let body = "<uilQuery xmlns=\"http://efti.eu/v1/edelivery\" requestId=\"r\"/>";

    // The federation's CA trusted: delivered, signed for gate-nl by gate-be.
    let trusting = HttpTransport::new("gate-be", be.clone(), Duration::from_secs(5), vec![ca]).expect("transport");
    trusting.deliver(&nl, body).await.expect("delivered over TLS");
    let (path, auth, got) = seen.lock().unwrap().pop().expect("the peer got it");
    assert_eq!((path.as_str(), got.as_slice()), ("/federation/v1/messages", body.as_bytes()));
    let mut sender = gate(port, &be);
    sender.id = "gate-be".into();
    let registry = RegistryFile { gates: vec![sender] };
    let checked = signature::verify(
        Some(&auth),
        "POST",
        "/federation/v1/messages",
        &got,
        "gate-nl",
        &registry,
        chrono::Utc::now(),
        300,
    )
    .expect("the signature checks at the peer");
    assert_eq!(checked.origin, "gate-be");

    // Only the Mozilla roots: the peer's certificate is refused, nothing reaches it, and it is worth trying again
    // (the registry or the CA file may be fixed).
    let strict = HttpTransport::new("gate-be", be, Duration::from_secs(5), Vec::new()).expect("transport");
    match strict.deliver(&nl, body).await {
        Err(TransportError::Transient(why)) => assert!(why.contains("localhost"), "{why}"),
        other => panic!("a certificate of an unknown CA was accepted: {other:?}"),
    }
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent to the peer without a trusted certificate");
}
