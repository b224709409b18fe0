//! Request extractors that turn bad input into our JSON errors.

use crate::error::AppError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// A JSON body whose errors name the field: `caller.phone: missing field`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(format!("could not read the body: {e}")))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Query parameters whose errors are our JSON 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(field_error)
    }
}

/// A count asked for in a query (`limit`, `top`): `default` when absent, else 1 to `max`;
/// a 422 naming `field` otherwise.
pub fn bounded(field: &str, raw: Option<u32>, default: u32, max: u32) -> Result<u32, AppError> {
    let n = raw.unwrap_or(default);
    if !(1..=max).contains(&n) {
        return Err(AppError::invalid(
            field,
            format!("must be between 1 and {max}"),
        ));
    }
    Ok(n)
}

/// Parses JSON into `T`, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return from_value(serde_json::Value::Object(Default::default()));
    }
    let not_json =
        |e: serde_json::Error| AppError::BadRequest(format!("the body is not valid JSON: {e}"));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => {
            de.end().map_err(not_json)?;
            Ok(value)
        }
        // Broken JSON or a field of the wrong shape? serde cannot always tell (a number where
        // an enum name belongs reads as a syntax error), so look at the syntax alone: only a
        // refused request pays for the second pass.
        Err(e) => match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Err(syntax) => Err(not_json(syntax)),
            Ok(_) => Err(field_error(e)),
        },
    }
}

/// Deserializes a JSON value into `T`, naming the field at fault.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(field_error)
}

/// The 422 for a value of the wrong shape, naming its field.
fn field_error<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> AppError {
    {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde reports a missing field at its parent; name the field itself.
        let (field, message) = match inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(name) if path == "." => (name.to_string(), "is required".to_string()),
            Some(name) => (format!("{path}.{name}"), "is required".to_string()),
            None => (path, inner),
        };
        let field = if field == "." {
            "body".to_string()
        } else {
            field
        };
        AppError::invalid(field, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        phone: String,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        count: u32,
        caller: Inner,
    }

    fn field_of(json: &str) -> String {
        match parse_json::<Outer>(json.as_bytes()) {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn names_nested_missing_and_wrong_fields() {
        assert_eq!(field_of(r#"{"count": 1, "caller": {}}"#), "caller.phone");
        assert_eq!(field_of(r#"{"caller": {"phone": "1"}}"#), "count");
        assert_eq!(
            field_of(r#"{"count": -1, "caller": {"phone": "1"}}"#),
            "count"
        );
        assert_eq!(
            field_of(r#"{"count": 1, "caller": {"phone": 5}}"#),
            "caller.phone"
        );
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Outer>(b"{not json"),
            Err(AppError::BadRequest(_))
        ));
    }
}

#[cfg(test)]
mod shape_tests {
    use super::*;
    use jiesu_core::Intake;

    #[test]
    fn wrong_enum_values_are_422_naming_the_field() {
        let body =
            br#"{"channel": 5, "content": "x", "caller": {"name": "a", "phone": "13800000000"}}"#;
        match parse_json::<Intake>(body) {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "channel"),
            other => panic!("{other:?}"),
        }
        let body = br#"{"channel": "web", "urgency": null, "content": "x", "caller": {"name": "a", "phone": "13800000000"}}"#;
        match parse_json::<Intake>(body) {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "urgency"),
            other => panic!("{other:?}"),
        }
    }
}
