//! Where the database is: `BANCHI_DATABASE_URL`, or a file named by
//! `BANCHI_DATABASE_URL_FILE` (a secret mounted by the platform) — never a command-line
//! argument, which any local user can read in the process list, and never a log line: what
//! is shown is [`DatabaseUrl::target`], `host:port/database`.
//!
//! The URL is PostgreSQL's (`postgresql://user:password@host:5432/banchi?sslmode=require`).
//! Two TLS parameters are read here rather than by the client library:
//! - `sslmode`: `disable` (plain), `prefer` (TLS when the server offers it; the
//!   default), `require` (TLS; the certificate is checked only when `sslrootcert` is
//!   given), `verify-ca` / `verify-full` (TLS, certificate and host name checked against
//!   `sslrootcert`, which they need);
//! - `sslrootcert`: a PEM file of the CA certificates to trust.

use crate::error::StoreError;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The environment variable holding the URL.
pub const URL_ENV: &str = "BANCHI_DATABASE_URL";
/// The environment variable naming a file that holds the URL.
pub const URL_FILE_ENV: &str = "BANCHI_DATABASE_URL_FILE";

/// How TLS is used (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when offered, else plain.
    Prefer,
    /// TLS; the certificate checked only against a given `sslrootcert`.
    Require,
    /// TLS, certificate chain and host name checked against `sslrootcert`.
    Verify,
}

/// A parsed database URL (see the module documentation). Its `Debug` shows no password.
#[derive(Clone)]
pub struct DatabaseUrl {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) tls: TlsMode,
    pub(crate) root_cert: Option<PathBuf>,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("target", &self.target())
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl DatabaseUrl {
    /// The URL from `BANCHI_DATABASE_URL`, else from the file `BANCHI_DATABASE_URL_FILE`
    /// names (trimmed).
    pub fn from_env() -> Result<DatabaseUrl, StoreError> {
        if let Ok(url) = std::env::var(URL_ENV) {
            if !url.trim().is_empty() {
                return url.parse();
            }
        }
        match std::env::var_os(URL_FILE_ENV) {
            Some(path) if !path.is_empty() => Self::from_file(Path::new(&path)),
            _ => Err(StoreError::NoUrl),
        }
    }

    /// The URL held in the file at `path`.
    pub fn from_file(path: &Path) -> Result<DatabaseUrl, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|source| StoreError::Io {
            path: path.to_owned(),
            source,
        })?;
        text.trim().parse()
    }

    /// `host:port/database`, what messages and logs show.
    pub fn target(&self) -> String {
        use tokio_postgres::config::Host;
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self
            .config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres");
        format!("{host}:{port}/{db}")
    }
}

impl FromStr for DatabaseUrl {
    type Err = StoreError;

    fn from_str(url: &str) -> Result<DatabaseUrl, StoreError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::BadUrl(
                "it must start with postgresql:// (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
                    .into(),
            ));
        }
        // sslmode and sslrootcert are ours (the client library knows neither verify-full
        // nor sslrootcert); every other parameter goes to it.
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut tls = TlsMode::Prefer;
        let mut root_cert = None;
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslmode" => {
                    tls = match v {
                        "disable" => TlsMode::Disable,
                        "allow" | "prefer" => TlsMode::Prefer,
                        "require" => TlsMode::Require,
                        "verify-ca" | "verify-full" => TlsMode::Verify,
                        _ => {
                            return Err(StoreError::BadUrl(
                                "sslmode is disable, prefer, require, verify-ca or verify-full"
                                    .into(),
                            ))
                        }
                    }
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(v))),
                _ => rest.push(pair),
            }
        }
        let url = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        // The library's message can quote the offending part: never shown.
        let config = tokio_postgres::Config::from_str(&url).map_err(|_| {
            StoreError::BadUrl(
                "expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=…]".into(),
            )
        })?;
        if tls == TlsMode::Verify && root_cert.is_none() {
            return Err(StoreError::BadUrl(
                "sslmode=verify-full needs sslrootcert=FILE (the CA certificates to trust, PEM)"
                    .into(),
            ));
        }
        Ok(DatabaseUrl {
            config,
            tls,
            root_cert,
        })
    }
}

/// `%XX` escapes decoded (a path in a URL parameter); anything malformed is kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(v as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_never_shows_the_password() {
        let url: DatabaseUrl = "postgresql://banchi:s3cret@db.internal:6543/lists?sslmode=require"
            .parse()
            .unwrap();
        assert_eq!(url.target(), "db.internal:6543/lists");
        assert_eq!(url.tls, TlsMode::Require);
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn ssl_parameters_are_read_here_and_the_rest_passed_on() {
        let url: DatabaseUrl =
            "postgres://u@h/d?connect_timeout=3&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem"
                .parse()
                .unwrap();
        assert_eq!(url.tls, TlsMode::Verify);
        assert_eq!(url.root_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(
            url.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(3))
        );
    }

    #[test]
    fn bad_urls_are_refused_without_quoting_them() {
        for bad in [
            "mysql://u:pw@h/d",
            "postgresql://u:pw@h/d?sslmode=maybe",
            "postgresql://u:pw@h/d?sslmode=verify-full",
            "postgresql://u:pw@h:notaport/d",
        ] {
            let e = bad.parse::<DatabaseUrl>().unwrap_err();
            assert!(matches!(e, StoreError::BadUrl(_)), "{bad}: {e}");
            assert!(!e.to_string().contains("pw"), "{e}");
        }
    }
}
