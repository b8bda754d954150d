//! TLS, and TLS client certificates as a credential: Danish authorities connect systems with
//! function certificates (OCES). A client certificate that chains to the configured CA and
//! whose fingerprint is bound to a connection agreement (`fdg agreement certificate`)
//! authenticates like that agreement's bearer token. Bearer tokens keep working over TLS.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::Digest;

use crate::AppState;
use crate::edge::conn::ClientCertificate;

/// The SHA-256 fingerprint of a DER certificate, lowercase hex (as `fdg agreement
/// certificate` stores it).
pub fn fingerprint(der: &[u8]) -> String {
    sha2::Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or parsed.
    #[error("{0}: {1}")]
    File(String, String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// The client CA could not be used.
    #[error("client CA: {0}")]
    ClientCa(String),
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let file =
        |e: &dyn std::fmt::Display| TlsError::File(path.display().to_string(), e.to_string());
    let list: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| file(&e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file(&e))?;
    if list.is_empty() {
        return Err(file(&"no certificate in the file"));
    }
    Ok(list)
}

/// Builds the server's TLS configuration; with `client_ca`, client certificates are asked for
/// (optional: bearer tokens still work) and must chain to it.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| TlsError::File(key.display().to_string(), e.to_string()))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for c in certs(ca)? {
                roots
                    .add(c)
                    .map_err(|e| TlsError::ClientCa(e.to_string()))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .allow_unauthenticated()
            .build()
            .map_err(|e| TlsError::ClientCa(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves the application over TLS on `listener` until `shutdown` completes.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_tls_with(
        listener,
        state,
        tls,
        crate::edge::conn::Limits::default(),
        shutdown,
    )
    .await
}

/// [`serve_tls`] within given [`crate::edge::conn::Limits`].
pub async fn serve_tls_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    limits: crate::edge::conn::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::edge::telemetry::spawn_upkeep();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    crate::edge::conn::serve(
        listener,
        crate::router(state),
        limits,
        shutdown,
        move |tcp| {
            let acceptor = acceptor.clone();
            Box::pin(async move {
                // A failed or stalled handshake (including a certificate from another CA) ends
                // here.
                let Ok(Ok(stream)) =
                    tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp))
                        .await
                else {
                    return None;
                };
                let cert = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| ClientCertificate {
                        fingerprint: fingerprint(c.as_ref()),
                    });
                Some((stream, cert))
            })
        },
    )
    .await
}
