//! An HTTPS endpoint on 127.0.0.1 in front of a plain-HTTP one (moto): a test CA made with
//! rcgen signs a certificate for the IP 127.0.0.1, and a rustls server terminates TLS,
//! one thread pair per connection, forwarding the plain bytes both ways. A client that
//! trusts [`TlsEndpoint::ca_pem`] (as the image built with it as its CA bundle does)
//! completes a real handshake; any other client is refused by its own verifier.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection};

/// A running TLS terminator; it serves until the test process ends.
pub struct TlsEndpoint {
    pub addr: SocketAddr,
    ca_pem: String,
    config: Arc<ServerConfig>,
    upstream: SocketAddr,
}

impl TlsEndpoint {
    /// Listen on a free port of 127.0.0.1 and forward every connection, decrypted, to
    /// `upstream` (`127.0.0.1:port` of a plain-HTTP server).
    pub fn start(upstream: SocketAddr) -> TlsEndpoint {
        let (ca_pem, config) = test_ca_and_server_config();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the TLS endpoint");
        let addr = listener.local_addr().expect("the TLS endpoint's address");
        let endpoint = TlsEndpoint {
            addr,
            ca_pem,
            config,
            upstream,
        };
        endpoint.serve(listener);
        endpoint
    }

    /// Serve on one more bound `listener` with the same certificate and upstream (e.g. one
    /// inside a container's network namespace: `crate::runc::Container::listen`). The
    /// connections upstream are opened by threads of the caller's network namespace.
    pub fn serve(&self, listener: TcpListener) {
        let (config, upstream) = (Arc::clone(&self.config), self.upstream);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let config = Arc::clone(&config);
                std::thread::spawn(move || {
                    if let Ok(upstream) = TcpStream::connect(upstream) {
                        terminate(client, upstream, config);
                    }
                });
            }
        });
    }

    /// `https://127.0.0.1:port`, for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The test CA's certificate (PEM): the only root that verifies this endpoint.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

/// A fresh CA (its PEM) and a server config whose certificate it signed for 127.0.0.1.
fn test_ca_and_server_config() -> (String, Arc<ServerConfig>) {
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "author-stats test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).expect("the CA certificate");
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate().expect("a server key");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("SAN 127.0.0.1");
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .expect("the server certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS 1.2 and 1.3 with ring")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf_cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .expect("the server certificate and key match");
    (ca_cert.pem(), Arc::new(config))
}

/// One connection: this thread reads the client's TLS records and writes their plaintext
/// upstream; a second thread reads upstream and writes it to the client encrypted. Both
/// share the rustls state behind a lock held only while no socket read blocks.
fn terminate(client: TcpStream, upstream: TcpStream, config: Arc<ServerConfig>) {
    let Ok(conn) = ServerConnection::new(config) else {
        return;
    };
    let tls = Arc::new(Mutex::new(conn));
    let (Ok(client_out), Ok(upstream_in)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let back = {
        let tls = Arc::clone(&tls);
        std::thread::spawn(move || upstream_to_client(upstream_in, client_out, &tls))
    };
    client_to_upstream(client, upstream, &tls);
    let _ = back.join();
}

fn client_to_upstream(
    mut client: TcpStream,
    mut upstream: TcpStream,
    tls: &Mutex<ServerConnection>,
) {
    let mut record = [0u8; 16 * 1024];
    let mut plain = Vec::new();
    loop {
        let n = match client.read(&mut record) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        {
            let mut conn = tls.lock().unwrap_or_else(|e| e.into_inner());
            let mut input = &record[..n];
            while !input.is_empty() {
                if conn.read_tls(&mut input).is_err() {
                    return shut(&client, &upstream);
                }
                if conn.process_new_packets().is_err() {
                    // Tell the client why (an alert), then close.
                    let _ = conn.write_tls(&mut client);
                    return shut(&client, &upstream);
                }
            }
            plain.clear();
            let _ = conn.reader().read_to_end(&mut plain);
            while conn.wants_write() {
                if conn.write_tls(&mut client).is_err() {
                    return shut(&client, &upstream);
                }
            }
        }
        if !plain.is_empty() && upstream.write_all(&plain).is_err() {
            break;
        }
    }
    shut(&client, &upstream);
}

fn upstream_to_client(
    mut upstream: TcpStream,
    mut client: TcpStream,
    tls: &Mutex<ServerConnection>,
) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match upstream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut conn = tls.lock().unwrap_or_else(|e| e.into_inner());
        if conn.writer().write_all(&buf[..n]).is_err() {
            break;
        }
        while conn.wants_write() {
            if conn.write_tls(&mut client).is_err() {
                return shut(&client, &upstream);
            }
        }
    }
    let mut conn = tls.lock().unwrap_or_else(|e| e.into_inner());
    conn.send_close_notify();
    while conn.wants_write() && conn.write_tls(&mut client).is_ok() {}
    shut(&client, &upstream);
}

fn shut(client: &TcpStream, upstream: &TcpStream) {
    let _ = client.shutdown(Shutdown::Both);
    let _ = upstream.shutdown(Shutdown::Both);
}
