//! HMAC-signed agent tokens: `<base64 JSON claims>.<hex HMAC-SHA256>`.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub agent_id: String,
    pub agent_name: String,
    pub tools: Vec<String>,
    pub permissions: Vec<String>,
    pub token_id: String,
    /// Expiry as milliseconds since the Unix epoch.
    pub exp_ms: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// No dot separating claims and signature: a malformed request, not a forgery.
    Malformed,
    BadSignature,
}

pub fn sign(secret: &[u8], claims: &Claims) -> String {
    let json = serde_json::to_vec(claims).expect("claims serialize");
    let payload = base64::engine::general_purpose::STANDARD.encode(json);
    let signature = hex::encode(mac(secret, payload.as_bytes()));
    format!("{payload}.{signature}")
}

pub fn verify(secret: &[u8], token: &str) -> Result<Claims, TokenError> {
    let (payload, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let signature = hex::decode(signature).map_err(|_| TokenError::BadSignature)?;
    let mut m = HmacSha256::new_from_slice(secret).expect("hmac takes any key length");
    m.update(payload.as_bytes());
    m.verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;
    let json = base64::engine::general_purpose::STANDARD.decode(payload).map_err(|_| TokenError::BadSignature)?;
    serde_json::from_slice(&json).map_err(|_| TokenError::BadSignature)
}

fn mac(secret: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(secret).expect("hmac takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The provenance proof a caller presents with a `token_id`: the HMAC of `token_id:agent_id`
/// under the agent's private key, hex-encoded.
pub fn proof(private_key: &str, token_id: &str, agent_id: &str) -> String {
    hex::encode(mac(private_key.as_bytes(), format!("{token_id}:{agent_id}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            agent_id: "a1".into(),
            agent_name: "scraper-1".into(),
            tools: vec!["serpapi".into()],
            permissions: vec!["read".into()],
            token_id: "t1".into(),
            exp_ms: 1,
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let token = sign(b"k", &claims());
        assert_eq!(verify(b"k", &token).unwrap(), claims());
        assert_eq!(verify(b"other", &token), Err(TokenError::BadSignature));
        let mut tampered = token.clone();
        tampered.replace_range(0..1, if token.starts_with('e') { "f" } else { "e" });
        assert_eq!(verify(b"k", &tampered), Err(TokenError::BadSignature));
        assert_eq!(verify(b"k", "nodot"), Err(TokenError::Malformed));
    }
}
