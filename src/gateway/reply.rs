//! A handler's answer: status, JSON body and extra headers, plus the input helpers that turn
//! bad request bodies into the contract's 400s.

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, StatusCode};
use http_body_util::Full;
use serde_json::{json, Map, Value};

pub type Response = http::Response<Full<Bytes>>;

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    pub fn json(status: StatusCode, body: Value) -> Self {
        Self { status, body, headers: Vec::new() }
    }

    pub fn error(status: StatusCode, message: &str) -> Self {
        Self::json(status, json!({ "error": message }))
    }

    pub fn bad_request(message: &str) -> Self {
        Self::error(StatusCode::BAD_REQUEST, message)
    }
}

impl Reply {
    pub fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut response = http::Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.extend(self.headers);
        response
    }
}

/// Parses a request body into a JSON object, or the 400 the contract gives for it.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Reply::bad_request("Request body is required"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Reply::bad_request("Request body must be a JSON object")),
        Err(_) => Err(Reply::bad_request("Invalid JSON body")),
    }
}

pub fn required_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a str, Reply> {
    match obj.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(Reply::json(StatusCode::BAD_REQUEST, json!({"error": format!("Missing required field: {field}")})))
        }
        Some(_) => {
            Err(Reply::json(StatusCode::BAD_REQUEST, json!({"error": format!("Field {field} must be a string")})))
        }
    }
}

pub fn optional_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, Reply> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Reply::bad_request(&format!("Field {field} must be a string"))),
    }
}

pub fn string_list(obj: &Map<String, Value>, field: &str) -> Result<Vec<String>, Reply> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Reply::bad_request(&format!("Field {field} must be a list of strings")))
            })
            .collect(),
        Some(_) => Err(Reply::bad_request(&format!("Field {field} must be a list of strings"))),
    }
}
