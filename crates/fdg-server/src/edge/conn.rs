//! Serving connections so that no client can hold the server: a limit on open connections,
//! a deadline for a request's headers (slowloris), and a deadline for a request to be answered
//! (a body sent slowly, byte by byte). Plain HTTP and TLS use the same loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tower::ServiceExt;

/// How much of the server one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; further clients wait to be accepted.
    pub max_connections: usize,
    /// Time for a request's headers to arrive in full.
    pub header_timeout: Duration,
    /// Time for a request to be answered, its body read included (long polls wait at most
    /// 30 s, so this is longer).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// The peer's client certificate, put on every request of its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// SHA-256 of the certificate's DER encoding, lowercase hex.
    pub fingerprint: String,
}

/// A boxed future that prepares an accepted connection (e.g. a TLS handshake, giving the
/// client's certificate); `None` drops it.
pub(crate) type Prepared<S> =
    Pin<Box<dyn Future<Output = Option<(S, Option<ClientCertificate>)>> + Send>>;

/// Accepts connections until `shutdown`, prepares each with `prepare` and serves the router on
/// it within `limits`; a client certificate from `prepare` goes with every request.
pub(crate) async fn serve<S>(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    prepare: impl Fn(TcpStream) -> Prepared<S> + Send + Sync + 'static,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        // An accept error (out of descriptors, a connection reset before accept) must not
        // stop the server: note it, breathe, go on.
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (router, prepared) = (router.clone(), prepare(tcp));
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            let Some((stream, cert)) = prepared.await else {
                return;
            };
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                if let Some(c) = &cert {
                    req.extensions_mut().insert(c.clone());
                }
                let answer = router.clone().oneshot(req);
                async move {
                    match tokio::time::timeout(limits.request_timeout, answer).await {
                        Ok(answer) => answer,
                        Err(_) => Ok(crate::ApiError::RequestTimeout.into_response()),
                    }
                }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            let _ = watcher.watch(connection.into_owned()).await;
        });
    }
    // Stop taking requests; let those in flight finish (briefly).
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}
