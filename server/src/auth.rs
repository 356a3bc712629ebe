//! Bearer tokens and their scopes.
//!
//! Tokens come from a file (`--tokens FILE`: one `SCOPE TOKEN [NAME]` per line, `#` starts a
//! comment) and from the environment (`BANCHI_SCREEN_TOKEN`, `BANCHI_ADMIN_TOKEN`). Scope
//! `screen` may call the screening endpoints; `admin` may call everything (lists, the CS
//! page) and screen too. NAME is recorded as who made a list edit.
//!
//! A presented token is compared with every configured token in constant time
//! ([`subtle::ConstantTimeEq`]) and the loop does not stop at a match, so the time taken does
//! not tell how much of a token was right or which one matched. `/v1` accepts only
//! `Authorization: Bearer …`.

use crate::error::ApiError;
use axum::http::{header, HeaderMap};
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Screening and normalizing.
    Screen,
    /// A platform's back office: screening, and reporting orders' outcomes
    /// (`POST /v1/orders/{order_id}/outcome`).
    Outcome,
    /// Everything, lists and the CS page included.
    Admin,
}

impl Scope {
    /// `screen`, `outcome` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Screen => "screen",
            Scope::Outcome => "outcome",
            Scope::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Option<Scope> {
        match s {
            "screen" => Some(Scope::Screen),
            "outcome" => Some(Scope::Outcome),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Who made a request: the matched token's scope and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's scope.
    pub scope: Scope,
    /// The token's name (`screen`/`admin` plus a number when the file gives none).
    pub name: String,
}

impl Identity {
    /// Refuses with 403 unless this identity has `scope` (admin has every scope).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scope >= scope {
            Ok(())
        } else {
            Err(ApiError::Forbidden(scope.as_str()))
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    secret: Vec<u8>,
    identity: Identity,
}

/// The configured tokens (or none, with `--insecure-no-auth`).
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    tokens: Vec<Token>,
    insecure: bool,
}

/// Shortest token accepted: a guessable token is refused at start-up.
pub const MIN_TOKEN_LEN: usize = 16;

/// Why the tokens could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read.
    #[error("reading token file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not `SCOPE TOKEN [NAME]` (the token itself is never echoed).
    #[error("token file {path} line {line}: {problem}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: &'static str,
    },
    /// An environment token is too short.
    #[error("{0} is shorter than {MIN_TOKEN_LEN} characters")]
    ShortEnv(&'static str),
    /// No token at all, and `--insecure-no-auth` not given.
    #[error("no token configured: give --tokens FILE or BANCHI_SCREEN_TOKEN / BANCHI_ADMIN_TOKEN (or --insecure-no-auth on a trusted loopback)")]
    None,
}

impl Tokens {
    /// No tokens: every request is treated as `admin` named `anonymous`.
    pub fn insecure() -> Tokens {
        Tokens {
            tokens: Vec::new(),
            insecure: true,
        }
    }

    /// Tokens parsed from the text of a token file (`path` only names it in errors).
    pub fn parse_file(text: &str, path: &Path) -> Result<Tokens, TokenError> {
        let mut tokens = Tokens::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let err = |problem| TokenError::Line {
                path: path.to_owned(),
                line: i + 1,
                problem,
            };
            let mut fields = line.split_whitespace();
            let scope = fields
                .next()
                .and_then(Scope::parse)
                .ok_or_else(|| err("the scope must be `screen`, `outcome` or `admin`"))?;
            let secret = fields
                .next()
                .ok_or_else(|| err("a token is missing after the scope"))?;
            if secret.len() < MIN_TOKEN_LEN {
                return Err(err("the token is shorter than 16 characters"));
            }
            let name = fields
                .next()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{}-{}", scope.as_str(), i + 1));
            if fields.next().is_some() {
                return Err(err("too many fields (SCOPE TOKEN [NAME])"));
            }
            tokens.push(scope, secret, name);
        }
        Ok(tokens)
    }

    /// Tokens from the file (if given) and the environment variables; refuses to go on with
    /// none unless `insecure` (then every request is allowed).
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        insecure: bool,
    ) -> Result<Tokens, TokenError> {
        let mut tokens = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| TokenError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                Self::parse_file(&text, path)?
            }
            None => Tokens::default(),
        };
        for (var, scope) in [
            ("BANCHI_SCREEN_TOKEN", Scope::Screen),
            ("BANCHI_ADMIN_TOKEN", Scope::Admin),
        ] {
            if let Some(secret) = env(var).filter(|s| !s.is_empty()) {
                if secret.len() < MIN_TOKEN_LEN {
                    return Err(TokenError::ShortEnv(var));
                }
                tokens.push(scope, &secret, scope.as_str().to_owned());
            }
        }
        if tokens.tokens.is_empty() {
            if insecure {
                return Ok(Tokens::insecure());
            }
            return Err(TokenError::None);
        }
        Ok(tokens)
    }

    fn push(&mut self, scope: Scope, secret: &str, name: String) {
        self.tokens.push(Token {
            secret: secret.as_bytes().to_vec(),
            identity: Identity { scope, name },
        });
    }

    /// Number of tokens configured.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True when no token is configured.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// True when requests need no token.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// The identity of a presented secret: every configured token is compared, in constant
    /// time each, whatever matched before.
    pub fn identify(&self, presented: &[u8]) -> Option<&Identity> {
        let mut found = None;
        for t in &self.tokens {
            if bool::from(t.secret.as_slice().ct_eq(presented)) {
                found = Some(&t.identity);
            }
        }
        found
    }

    /// The identity behind a request's `Authorization: Bearer` header (401 without one).
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, ApiError> {
        if self.insecure {
            return Ok(Identity {
                scope: Scope::Admin,
                name: "anonymous".into(),
            });
        }
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::Unauthorized)?
            .as_bytes();
        let secret = value
            .strip_prefix(b"Bearer ")
            .or_else(|| value.strip_prefix(b"bearer "))
            .ok_or(ApiError::Unauthorized)?;
        self.identify(secret.trim_ascii())
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const FILE: &str = "# scope token name\nscreen screen-token-0123456789 shop\nadmin  admin-token-0123456789ab alice # CS lead\n\n";

    fn tokens() -> Tokens {
        Tokens::parse_file(FILE, Path::new("tokens")).unwrap()
    }

    fn bearer(t: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
        );
        h
    }

    #[test]
    fn file_tokens_identify_with_scope_and_name() {
        let t = tokens();
        assert_eq!(t.len(), 2);
        let shop = t.authenticate(&bearer("screen-token-0123456789")).unwrap();
        assert_eq!((shop.scope, shop.name.as_str()), (Scope::Screen, "shop"));
        let alice = t.authenticate(&bearer("admin-token-0123456789ab")).unwrap();
        assert_eq!((alice.scope, alice.name.as_str()), (Scope::Admin, "alice"));
        assert!(alice.require(Scope::Screen).is_ok());
        assert_eq!(
            shop.require(Scope::Admin),
            Err(ApiError::Forbidden("admin"))
        );
    }

    #[test]
    fn wrong_missing_or_partial_tokens_are_refused() {
        let t = tokens();
        for bad in ["screen-token-012345678", "screen-token-01234567890", ""] {
            assert_eq!(t.authenticate(&bearer(bad)), Err(ApiError::Unauthorized));
        }
        assert_eq!(
            t.authenticate(&HeaderMap::new()),
            Err(ApiError::Unauthorized)
        );
        let mut basic = HeaderMap::new();
        basic.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(t.authenticate(&basic), Err(ApiError::Unauthorized));
    }

    #[test]
    fn bad_lines_name_the_line_not_the_token() {
        let e = Tokens::parse_file(
            "screen ok-token-0123456789\nroot secret-secret-secret\n",
            Path::new("t"),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("line 2"), "{msg}");
        assert!(!msg.contains("secret-secret"), "{msg}");
        assert!(Tokens::parse_file("screen short\n", Path::new("t")).is_err());
    }

    #[test]
    fn environment_tokens_and_refusal_without_any() {
        let env =
            |k: &str| (k == "BANCHI_ADMIN_TOKEN").then(|| "env-admin-token-0123456".to_owned());
        let t = Tokens::load(None, env, false).unwrap();
        assert_eq!(
            t.authenticate(&bearer("env-admin-token-0123456"))
                .unwrap()
                .scope,
            Scope::Admin
        );
        assert!(matches!(
            Tokens::load(None, |_| None, false),
            Err(TokenError::None)
        ));
        let open = Tokens::load(None, |_| None, true).unwrap();
        assert!(open.is_insecure());
        assert_eq!(
            open.authenticate(&HeaderMap::new()).unwrap().scope,
            Scope::Admin
        );
        let short = |_: &str| Some("short".to_owned());
        assert!(matches!(
            Tokens::load(None, short, false),
            Err(TokenError::ShortEnv(_))
        ));
    }
}
