//! Sessions of the CS page: a cookie after one login with an `admin` token, and the CSRF
//! token every form and fetch of the page must carry.
//!
//! * The session id is 32 random bytes (hex) from the OS; the store keeps, per id, who
//!   logged in (the token's [`Identity`]), the session's CSRF token (32 more random bytes)
//!   and when it expires ([`SESSION_LIFETIME`], 8 hours, not renewed by use).
//! * The store is bounded ([`MAX_SESSIONS`]): a new login first drops expired sessions, then,
//!   if still full, the one that expires first. Sessions live in memory: a restart logs
//!   everybody out.
//! * The cookie is `HttpOnly; SameSite=Strict; Path=/admin`, `Secure` when the server is
//!   configured as behind TLS or the request came through a proxy that says
//!   `X-Forwarded-Proto: https`.
//! * Before login, the login form carries a token that must equal a short-lived cookie
//!   (double submit), so another site cannot log a browser in under its own token.
//!
//! Tokens are compared in constant time. Nothing here logs an id or a token.

use crate::auth::Identity;
use axum::http::{header, HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// How long a session lasts after login.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// Most sessions kept at once.
pub const MAX_SESSIONS: usize = 1024;
/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "banchi_session";
/// Name of the cookie that backs the login form's CSRF token.
pub const LOGIN_COOKIE: &str = "banchi_login";
/// Lifetime of the login form's cookie, seconds.
const LOGIN_COOKIE_SECONDS: u64 = 3600;

/// A logged-in session, as a request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Who logged in.
    pub identity: Identity,
    /// The token this session's forms and fetches must send.
    pub csrf: String,
}

#[derive(Debug)]
struct Stored {
    session: Session,
    expires: Instant,
}

/// Why a random value could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system gave no random bytes: {0}")]
pub struct NoRandom(String);

/// The bounded, in-memory session store.
#[derive(Debug)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Stored>>,
    max: usize,
    lifetime: Duration,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new(MAX_SESSIONS, SESSION_LIFETIME)
    }
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> Result<String, NoRandom> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| NoRandom(e.to_string()))?;
    let mut out = String::with_capacity(64);
    for b in bytes {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    Ok(out)
}

/// Constant-time equality of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    /// A store of at most `max` sessions lasting `lifetime` each.
    pub fn new(max: usize, lifetime: Duration) -> Sessions {
        Sessions {
            by_id: Mutex::new(HashMap::new()),
            max: max.max(1),
            lifetime,
        }
    }

    /// Opens a session for `identity`: returns its id (the cookie's value) and the session.
    pub fn create(&self, identity: Identity) -> Result<(String, Session), NoRandom> {
        self.create_at(identity, Instant::now())
    }

    fn create_at(&self, identity: Identity, now: Instant) -> Result<(String, Session), NoRandom> {
        let id = random_token()?;
        let session = Session {
            identity,
            csrf: random_token()?,
        };
        let mut map = self.by_id.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.max {
            map.retain(|_, s| s.expires > now);
        }
        while map.len() >= self.max {
            let first = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone());
            match first {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        map.insert(
            id.clone(),
            Stored {
                session: session.clone(),
                expires: now + self.lifetime,
            },
        );
        Ok((id, session))
    }

    /// The live session with this id (an expired one is dropped and not returned).
    pub fn get(&self, id: &str) -> Option<Session> {
        self.get_at(id, Instant::now())
    }

    fn get_at(&self, id: &str, now: Instant) -> Option<Session> {
        let mut map = self.by_id.lock().unwrap_or_else(PoisonError::into_inner);
        match map.get(id) {
            Some(s) if s.expires > now => Some(s.session.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session (logout).
    pub fn remove(&self, id: &str) {
        self.by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// Sessions held now (expired ones included until they are dropped).
    pub fn len(&self) -> usize {
        self.by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// True when the cookie must be `Secure`: configured so, or the request came through a TLS
/// proxy (`X-Forwarded-Proto: https`).
pub fn wants_secure(configured: bool, headers: &HeaderMap) -> bool {
    configured
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for the session (`value` empty and `max_age` 0 clears it).
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path=/admin; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        max_age.as_secs()
    );
    // Only hex, fixed names and digits go in: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` of the session cookie.
pub fn session_cookie(id: &str, secure: bool) -> HeaderValue {
    set_cookie(SESSION_COOKIE, id, SESSION_LIFETIME, secure)
}

/// `Set-Cookie` of the login form's cookie.
pub fn login_cookie(token: &str, secure: bool) -> HeaderValue {
    set_cookie(
        LOGIN_COOKIE,
        token,
        Duration::from_secs(LOGIN_COOKIE_SECONDS),
        secure,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    fn alice() -> Identity {
        Identity {
            scope: Scope::Admin,
            name: "alice".into(),
        }
    }

    #[test]
    fn tokens_are_random_hex_and_compared_whole() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..63]));
    }

    #[test]
    fn a_session_lives_for_its_lifetime_then_is_gone() {
        let store = Sessions::new(10, Duration::from_secs(60));
        let t0 = Instant::now();
        let (id, session) = store.create_at(alice(), t0).unwrap();
        assert_eq!(
            store.get_at(&id, t0 + Duration::from_secs(59)),
            Some(session)
        );
        assert_eq!(store.get_at("nope", t0), None);
        assert_eq!(store.get_at(&id, t0 + Duration::from_secs(60)), None);
        assert!(store.is_empty(), "the expired session was dropped");
        let (id, _) = store.create_at(alice(), t0).unwrap();
        store.remove(&id);
        assert_eq!(store.get_at(&id, t0), None);
    }

    #[test]
    fn the_store_is_bounded_dropping_expired_then_the_oldest() {
        let store = Sessions::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let (first, _) = store.create_at(alice(), t0).unwrap();
        let (second, _) = store.create_at(alice(), t0 + s(10)).unwrap();
        let (third, _) = store.create_at(alice(), t0 + s(20)).unwrap();
        let (fourth, _) = store.create_at(alice(), t0 + s(30)).unwrap();
        assert_eq!(store.len(), 3);
        assert_eq!(store.get_at(&first, t0 + s(30)), None, "oldest dropped");
        assert!(store.get_at(&second, t0 + s(30)).is_some());
        // At t0+75 the second (expires t0+70) is expired: it goes, the third stays.
        let (fifth, _) = store.create_at(alice(), t0 + s(75)).unwrap();
        assert_eq!(store.len(), 3);
        for id in [&third, &fourth, &fifth] {
            assert!(store.get_at(id, t0 + s(75)).is_some());
        }
    }

    #[test]
    fn cookies_are_read_and_written_with_their_attributes() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; banchi_session=abc"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("banchi_login=xyz"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, LOGIN_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "banchi"), None);
        let c = session_cookie("abc", false);
        let c = c.to_str().unwrap();
        assert!(c.starts_with("banchi_session=abc; Path=/admin; Max-Age=28800; "));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(!c.contains("Secure"));
        assert!(session_cookie("abc", true)
            .to_str()
            .unwrap()
            .ends_with("; Secure"));
        assert!(!wants_secure(false, &h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(wants_secure(false, &h));
        assert!(wants_secure(true, &HeaderMap::new()));
    }
}
