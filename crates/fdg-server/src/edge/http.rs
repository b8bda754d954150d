//! A small outgoing HTTP/1.1 client (hyper over rustls) for webhooks and the citizen login's
//! identity provider. No connection reuse: each exchange is one connection. Answers are read
//! up to a limit; where the caller does not trust the target (webhooks, whose URLs
//! organisations choose), plain `http://` and addresses inside this network (loopback,
//! private, link-local, unique-local, unspecified, multicast) are refused unless the operator
//! allows them — a webhook must not be a way into the registry's own network.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// Which targets an exchange may reach, and how much of an answer it reads.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Plain `http://` is allowed (development).
    pub allow_http: bool,
    /// Addresses inside this network are allowed (development, or an operator's own relay).
    pub allow_private: bool,
    /// The longest answer body read; a longer one fails the exchange.
    pub max_body: usize,
}

impl Policy {
    /// A target the operator configured (the identity provider): any address, any scheme.
    pub const TRUSTED: Policy = Policy {
        allow_http: true,
        allow_private: true,
        max_body: 1 << 20,
    };
}

/// Whether `ip` is inside this network or otherwise no place for an outside receiver.
pub fn is_internal(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 0
                // 100.64.0.0/10, shared address space (carrier-grade NAT).
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
        }
    }
}

/// One request: method, URL, extra headers and body, within `policy`. Answers the status and
/// the body, or why it failed. `https://` is verified against the PEM roots in `ca_file`;
/// `http://` is sent in clear. The host is resolved once and the address checked is the one
/// connected to.
pub async fn exchange(
    ca_file: &Path,
    policy: Policy,
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<(u16, Bytes), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") if policy.allow_http => false,
        Some("http") => return Err("refused: http:// is not allowed here, use https://".into()),
        _ => return Err("the URL must be http:// or https://".into()),
    };
    let host = uri.host().ok_or("the URL has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs: Vec<std::net::SocketAddr> = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::lookup_host((bare.as_str(), port)),
    )
    .await
    .map_err(|_| "name lookup timed out".to_owned())?
    .map_err(|e| format!("name lookup: {e}"))?
    .collect();
    let addr = addrs
        .iter()
        .copied()
        .find(|a| policy.allow_private || !is_internal(a.ip()))
        .ok_or_else(|| {
            if addrs.is_empty() {
                "the host has no address".to_owned()
            } else {
                "refused: the host is inside this network (loopback, private or link-local)"
                    .to_owned()
            }
        })?;
    let tcp = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .map_err(|_| "connect timed out".to_owned())?
    .map_err(|e| format!("connect: {e}"))?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let authority = match uri.port_u16() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, authority);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
    let exchange = async {
        if https {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(ca_file)
                .map_err(|e| format!("trusted roots {}: {e}", ca_file.display()))?
                .flatten()
            {
                let _ = roots.add(c);
            }
            let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
            let name = ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
            let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?;
            send(TokioIo::new(stream), req, policy.max_body).await
        } else {
            send(TokioIo::new(tcp), req, policy.max_body).await
        }
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| "no answer within 30 s".to_owned())?
}

async fn send<T>(
    io: T,
    req: hyper::Request<Full<Bytes>>,
    max_body: usize,
) -> Result<(u16, Bytes), String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    tokio::spawn(conn);
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    let status = res.status().as_u16();
    let body = http_body_util::Limited::new(res.into_body(), max_body)
        .collect()
        .await
        .map_err(|e| format!("HTTP answer (read at most {max_body} bytes): {e}"))?
        .to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::is_internal;

    #[test]
    fn addresses_inside_this_network_are_told_apart_from_the_internet() {
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(inside.parse().expect("an address")), "{inside}");
        }
        for outside in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2001:4860:4860::8888",
        ] {
            assert!(
                !is_internal(outside.parse().expect("an address")),
                "{outside}"
            );
        }
    }
}
