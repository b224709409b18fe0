//! Sign-in: argon2 password hashes, opaque bearer tokens, and the [`Principal`] extractor.
//!
//! A token is 32 random bytes shown once to its owner; only its SHA-256 is stored, so a copy of
//! the database does not hand out sessions. A token is good for 30 days or until signed out;
//! looked-up tokens are trusted from memory for five minutes.

use crate::AppState;
use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jiesu_core::Role;
use jiesu_store::{StoreError, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
}

/// Whether `password` matches the stored PHC hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new random token (`jsu_` + 64 hex digits) and the hash to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("jsu_{}", hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

/// A random password for users created without one.
pub fn new_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How long a looked-up token is trusted from memory before the store is asked again.
pub const TOKEN_CACHE: std::time::Duration = std::time::Duration::from_secs(300);

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
pub fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, AppError> {
    let header = headers.get(AUTHORIZATION).ok_or_else(|| {
        AppError::Unauthorized("sign in: send 'Authorization: Bearer <token>'".into())
    })?;
    header
        .to_str()
        .ok()
        .and_then(|h| {
            // The scheme is case-insensitive (RFC 9110 §11.1).
            let (scheme, token) = h.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        })
        .ok_or_else(|| {
            AppError::Unauthorized("the Authorization header must be 'Bearer <token>'".into())
        })
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Principal(pub User);

impl Principal {
    /// Refuses unless the user has one of `roles` (admins always pass).
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), AppError> {
        if self.0.role == Role::Admin || roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{} may not {what}",
                self.0.role
            )))
        }
    }

    /// The unit of a unit user, whose view is limited to its own tickets.
    pub fn unit_scope(&self) -> Option<&str> {
        match self.0.role {
            Role::Unit => self.0.unit.as_deref(),
            _ => None,
        }
    }
}

/// The name of the cookie that carries the pages' session token (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "jiesu_session";

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether a cookie-authenticated request may change state: a browser sends `Origin` with
/// state-changing requests, and it must be this server's own (`Host`). Safe methods pass.
pub fn same_origin(parts: &Parts) -> bool {
    use axum::http::Method;
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    origin_is_host(&parts.headers)
}

/// Whether the request's `Origin`, when it has one, names its own `Host`.
pub fn origin_is_host(headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        // No Origin: not a cross-site browser request (SameSite=Strict keeps the cookie home).
        return true;
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://").map(|(_, rest)| rest));
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

/// The user a token belongs to, from the memory cache or the store.
pub async fn user_for_token(state: &AppState, token: &str) -> Result<User, AppError> {
    let hash = token_hash(token);
    let cached = state.tokens.lock().ok().and_then(|c| c.get(&hash).cloned());
    if let Some((user, since)) = cached
        && since.elapsed() < TOKEN_CACHE
    {
        return Ok(user);
    }
    match state.store.user_by_token(&hash).await {
        Ok(user) => {
            if let Ok(mut cache) = state.tokens.lock() {
                cache.insert(hash, (user.clone(), std::time::Instant::now()));
            }
            Ok(user)
        }
        Err(StoreError::NotFound) => Err(AppError::Unauthorized("unknown or revoked token".into())),
        Err(e) => Err(e.into()),
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    /// The bearer token, or else the pages' session cookie (whose state-changing requests
    /// must come from this server's own pages: see [`same_origin`]).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if parts.headers.get(AUTHORIZATION).is_none()
            && let Some(token) = cookie(&parts.headers, SESSION_COOKIE)
        {
            if !same_origin(parts) {
                return Err(AppError::Forbidden(
                    "a signed-in page may change things only from this site (Origin)".into(),
                ));
            }
            return user_for_token(state, token).await.map(Principal);
        }
        let token = bearer(&parts.headers)?;
        user_for_token(state, token).await.map(Principal)
    }
}
