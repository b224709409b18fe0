//! Sign-in: `POST /api/v1/auth/token` exchanges a name and password for a bearer token;
//! `GET /api/v1/me` says who the token belongs to.

use crate::AppState;
use crate::auth::{Principal, new_token, verify_password};
use crate::error::{ApiResult, AppError};
use crate::extract::ApiJson;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jiesu_store::StoreError;
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/token", post(sign_in).delete(sign_out))
        .route("/me", get(me))
}

#[derive(Deserialize)]
struct SignIn {
    name: String,
    password: String,
}

fn user_json(user: &jiesu_store::User) -> Value {
    json!({"name": user.name, "role": user.role, "unit": user.unit})
}

async fn sign_in(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let refused = || AppError::Unauthorized("wrong name or password".into());
    let user = match state.store.user(&body.name).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // An unknown name costs the same hashing as a wrong password: timing tells nothing.
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let password = body.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(refused());
    };
    let (token, hash) = new_token();
    state.store.add_token(&hash, &user.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"token": token, "user": user_json(&user)})),
    ))
}

/// A hash no password matches, to verify against when the name is unknown.
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        crate::auth::hash_password(&crate::auth::new_password()).unwrap_or_default()
    })
}

/// Sign-out: the token in the request stops working at once, on this server and any other.
async fn sign_out(
    State(state): State<AppState>,
    _who: Principal,
    headers: axum::http::HeaderMap,
) -> ApiResult<StatusCode> {
    let token = crate::auth::bearer(&headers)?;
    let hash = crate::auth::token_hash(token);
    if let Ok(mut cache) = state.tokens.lock() {
        cache.remove(&hash);
    }
    state.store.revoke_token(&hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(Principal(user): Principal) -> Json<Value> {
    Json(user_json(&user))
}
