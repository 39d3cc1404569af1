//! Secure serving (upstream's SecureServingInfo): TLS with optional client
//! certificates, HTTP/1.1 and HTTP/2 by ALPN, and graceful shutdown that
//! drains in-flight requests and ends watches cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::authn::PeerCertificate;
use crate::handler_chain::HandlerChain;

/// Raised when the server starts shutting down; watch streams end on it.
#[derive(Clone)]
pub struct ShutdownSignal(pub watch::Receiver<bool>);

impl ShutdownSignal {
    /// Resolves once shutdown has begun.
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|down| *down).await;
    }
}

/// Serves `chain` on `listener` over TLS until `shutdown` resolves, then
/// stops accepting, ends watches, and waits up to `drain` for in-flight
/// requests.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    chain: Arc<HandlerChain>,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) {
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (acceptor, chain, stop) = (acceptor.clone(), chain.clone(), ShutdownSignal(stop_rx.clone()));
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls_stream = match acceptor.accept(stream).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
            };
            let certificate =
                tls_stream.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| PeerCertificate(c.to_vec()));
            let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
                let (chain, certificate, stop) = (chain.clone(), certificate.clone(), stop.clone());
                async move {
                    let mut request = request.map(Body::new);
                    if let Some(certificate) = certificate {
                        request.extensions_mut().insert(certificate);
                    }
                    request.extensions_mut().insert(stop);
                    Ok::<_, std::convert::Infallible>(chain.serve(request).await)
                }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(tls_stream), service);
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    if tokio::time::timeout(drain, graceful.shutdown()).await.is_err() {
        tracing::warn!("in-flight requests did not finish within {drain:?}");
    }
}
