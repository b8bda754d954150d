//! TLS with client certificates as a credential, over a real socket on 127.0.0.1:0.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use fdg_domain::agreement::AgreementState;
use fdg_domain::{CodeLists, OrgKind};
use fdg_server::{AppState, ServerConfig};
use fdg_store::testing::TestDatabase;
use fdg_store::{FixedClock, NewAgreement, StoreContext};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Ca {
    cert: rcgen::Certificate,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca {
        cert,
        issuer: Issuer::new(params, key),
    }
}

fn leaf(ca: &Ca, names: Vec<String>, cn: &str) -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(names).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    let key = KeyPair::generate().unwrap();
    (params.signed_by(&key, &ca.issuer).unwrap(), key)
}

/// Sends one HTTP/1.1 GET over TLS and returns the status code (0 if the handshake failed).
async fn get(
    addr: std::net::SocketAddr,
    root: &rcgen::Certificate,
    client: Option<(&rcgen::Certificate, &KeyPair)>,
) -> (u16, String) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.der().clone()).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let Ok(mut tls) = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
    else {
        return (0, String::new());
    };
    if tls
        .write_all(b"GET /api/v1/rules HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .is_err()
    {
        return (0, String::new());
    }
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn a_client_certificate_bound_to_an_agreement_authenticates_over_tls() {
    let db = TestDatabase::new("tls-test").unwrap();
    let authority = ca("Test OCES CA");
    let (server_cert, server_key) = leaf(&authority, vec!["localhost".into()], "fdg");
    let (client_cert, client_key) = leaf(&authority, vec![], "KMD Fagsystem");
    let (unbound_cert, unbound_key) = leaf(&authority, vec![], "Unknown system");
    let stranger = ca("Some other CA");
    let (foreign_cert, foreign_key) = leaf(&stranger, vec![], "Intruder");

    let write = |name: &str, pem: String| {
        let p = db.scratch().join(name);
        std::fs::write(&p, pem).unwrap();
        p
    };
    let cert_file = write("server.pem", server_cert.pem());
    let key_file = write("server.key", server_key.serialize_pem());
    let ca_file = write("ca.pem", authority.cert.pem());

    let codes = Arc::new(CodeLists::shipped());
    let clock = Arc::new(FixedClock {
        now: "2026-11-27T10:00:00Z".parse().unwrap(),
        today: "2026-11-27".parse().unwrap(),
    });
    let store = db
        .open(StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        })
        .unwrap();
    store
        .create_org(OrgKind::MunicipalJobcenter, "101", "København")
        .await
        .unwrap();
    let (agreement, _) = store
        .create_agreement(
            NewAgreement {
                org_code: "101".into(),
                org_kind: None,
                state: AgreementState::Active,
                processors: vec!["KMD".into()],
                may_write: vec!["*".into()],
                may_read: vec!["*".into()],
                valid_from: None,
                valid_to: None,
                requires_acting_person: false,
                reason: "test".into(),
            },
            "test",
        )
        .await
        .unwrap();
    let fp =
        fdg_server::tls::fingerprint(CertificateDer::from(client_cert.der().to_vec()).as_ref());
    store
        .add_certificate(agreement.id, &fp, "CN=KMD Fagsystem")
        .await
        .unwrap();
    let state = AppState::new(
        store,
        db.open_audit().unwrap(),
        codes,
        clock,
        ServerConfig {
            secure_cookies: true,
            citizen_dev_login: false,
            oidc: None,
            staff_oidc: None,
        },
    );
    let tls = fdg_server::tls::server_config(&cert_file, &key_file, Some(&ca_file)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(fdg_server::tls::serve_tls(listener, state, tls, async {
        let _ = stopped.await;
    }));

    let (status, answer) = get(addr, &authority.cert, Some((&client_cert, &client_key))).await;
    assert_eq!(status, 200);
    // Over TLS, browsers are told to come back only over TLS.
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000; includesubdomains"),
        "{answer}"
    );
    // A certificate from the right CA but bound to no agreement: not authenticated.
    assert_eq!(
        get(addr, &authority.cert, Some((&unbound_cert, &unbound_key)))
            .await
            .0,
        401
    );
    // No certificate and no token.
    assert_eq!(get(addr, &authority.cert, None).await.0, 401);
    // A certificate from another CA never gets through the handshake.
    assert_ne!(
        get(addr, &authority.cert, Some((&foreign_cert, &foreign_key)))
            .await
            .0,
        200
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
