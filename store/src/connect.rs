//! Connections: a pool for queries and edits, and single connections for `LISTEN`, both
//! plain or TLS (rustls, ring provider) as the URL's `sslmode` says.

use crate::error::StoreError;
use crate::url::{DatabaseUrl, TlsMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Connections in the pool: edits, reads and the follower's polls of one replica.
const POOL_SIZE: usize = 8;
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The client configuration and TLS connector for `url`.
pub(crate) fn prepare(
    url: &DatabaseUrl,
) -> Result<(tokio_postgres::Config, Option<MakeRustlsConnect>), StoreError> {
    let mut config = url.config.clone();
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.application_name("banchi");
    let tls = match url.tls {
        TlsMode::Disable => {
            config.ssl_mode(SslMode::Disable);
            None
        }
        mode => {
            config.ssl_mode(if mode == TlsMode::Prefer {
                SslMode::Prefer
            } else {
                SslMode::Require
            });
            Some(MakeRustlsConnect::new(client_config(url)?))
        }
    };
    Ok((config, tls))
}

/// The rustls configuration: the CA file's certificates when given, else (for `prefer`
/// and `require` without `sslrootcert`, as libpq) an encrypted channel whose certificate
/// is not checked.
fn client_config(url: &DatabaseUrl) -> Result<rustls::ClientConfig, StoreError> {
    // ring, not aws-lc-rs: no C/CMake build in a fresh clone's compile. rustls marks it
    // deprecated for lacking post-quantum key exchange, which a connection to one's own
    // database inside one's network can do without.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Tls(e.to_string()))?;
    let config = match &url.root_cert {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| StoreError::Io {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            for cert in certs {
                let cert = cert.map_err(|e| StoreError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                roots
                    .add(cert)
                    .map_err(|e| StoreError::Tls(format!("{}: {e}", path.display())))?;
            }
            if roots.is_empty() {
                return Err(StoreError::Tls(format!(
                    "{} holds no certificate",
                    path.display()
                )));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
    };
    Ok(config)
}

/// A pool of connections to `url`. Connections are made when first needed: an unreachable
/// database is an error of the first query, not of this call.
pub(crate) fn pool(url: &DatabaseUrl) -> Result<deadpool_postgres::Pool, StoreError> {
    let (config, tls) = prepare(url)?;
    let manager_config = deadpool_postgres::ManagerConfig {
        recycling_method: deadpool_postgres::RecyclingMethod::Fast,
    };
    let manager = match tls {
        Some(tls) => deadpool_postgres::Manager::from_config(config, tls, manager_config),
        None => {
            deadpool_postgres::Manager::from_config(config, tokio_postgres::NoTls, manager_config)
        }
    };
    let timeouts = deadpool_postgres::Timeouts {
        wait: Some(CONNECT_TIMEOUT),
        create: Some(CONNECT_TIMEOUT),
        recycle: Some(CONNECT_TIMEOUT),
    };
    deadpool_postgres::Pool::builder(manager)
        .max_size(POOL_SIZE)
        .timeouts(timeouts)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Pool(e.to_string()))
}

/// One connection of its own (the follower's `LISTEN`), its messages delivered to
/// `on_message` by a task that ends when the connection does.
pub(crate) async fn dedicated(
    url: &DatabaseUrl,
    on_message: impl FnMut(tokio_postgres::AsyncMessage) + Send + 'static,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), StoreError> {
    let (config, tls) = prepare(url)?;
    let connect_error = |e: tokio_postgres::Error| StoreError::Connect {
        target: url.target(),
        message: e.to_string(),
    };
    match tls {
        Some(tls) => {
            let (client, conn) = config.connect(tls).await.map_err(connect_error)?;
            Ok((client, drive(conn, on_message)))
        }
        None => {
            let (client, conn) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(connect_error)?;
            Ok((client, drive(conn, on_message)))
        }
    }
}

/// Polls `conn` until it closes, handing its asynchronous messages to `on_message`.
fn drive<S, T>(
    mut conn: tokio_postgres::Connection<S, T>,
    mut on_message: impl FnMut(tokio_postgres::AsyncMessage) + Send + 'static,
) -> tokio::task::JoinHandle<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(message) = futures_util::StreamExt::next(&mut messages).await {
            match message {
                Ok(m) => on_message(m),
                Err(e) => {
                    tracing::debug!(error = %e, "store listener connection ended");
                    break;
                }
            }
        }
    })
}

/// The verifier of `sslmode=require` without `sslrootcert`: signatures checked (so the
/// handshake is sound), the certificate's issuer not — as libpq does. Documented in the
/// README; use `verify-full` with a CA file against an active attacker.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
