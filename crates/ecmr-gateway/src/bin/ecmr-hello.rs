//! `ecmr-hello`: a bare hyper HTTP/1.1 server answering every request with `200 hello`, as the baseline that
//! gateway benchmarks are compared with (same runtime, same HTTP stack, no routing, no store). Loopback only.
//!
//! ```text
//! ecmr-hello --listen 127.0.0.1:18090
//! ecmr-load … --hello-url http://127.0.0.1:18090/
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;

use clap::Parser;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// Bare hyper "hello" server for benchmark baselines.
#[derive(Debug, Parser)]
#[command(name = "ecmr-hello", about)]
struct Args {
    /// Address to listen on; only loopback addresses are accepted.
    #[arg(long, default_value = "127.0.0.1:18090")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        return Err(format!("{} is not a loopback address; ecmr-hello only listens on this machine", args.listen));
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| format!("{}: {e}", args.listen))?;
    println!("listening on http://{}", args.listen);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        tokio::spawn(async move {
            let service = service_fn(|_req| async {
                Ok::<_, Infallible>(
                    hyper::Response::builder()
                        .header("content-type", "text/plain")
                        .body(Full::new(Bytes::from_static(b"hello")))
                        .unwrap_or_default(),
                )
            });
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                eprintln!("connection: {e}");
            }
        });
    }
}
