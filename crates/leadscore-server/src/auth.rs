//! API keys: reading the configured lists, and checking a request's
//! `Authorization` header against them.
//!
//! Fails closed: a key list that is set but holds no usable key (`""`, `",,"`)
//! is a start-up error, never "no authentication". Keys are trimmed (`a , b`
//! means `a` and `b`). The scheme is case-insensitive (RFC 9110 §11.1:
//! `bearer` is `Bearer`). Keys are compared as SHA-256 digests with a
//! constant-time comparison over the fixed 32 bytes, so the time taken says
//! nothing of a key's length or of how many leading bytes matched.

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};

/// Shortest key accepted.
pub const MIN_KEY_LEN: usize = 8;

/// A configured key list (`--api-keys`, `LEADSCORE_API_KEYS`) as given: `None` when not
/// set; the keys, trimmed, when set; an error naming `what` when set but holding no key
/// or a key shorter than [`MIN_KEY_LEN`].
pub fn parse_keys(what: &str, raw: Option<&str>) -> Result<Vec<String>, String> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    let keys: Vec<String> = raw.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect();
    if keys.is_empty() {
        return Err(format!(
            "{what} is set but holds no key (only commas or spaces): give comma-separated keys of at least \
             {MIN_KEY_LEN} characters, or unset it to serve without authentication"
        ));
    }
    if let Some(short) = keys.iter().position(|k| k.len() < MIN_KEY_LEN) {
        return Err(format!("{what}: key {} is shorter than {MIN_KEY_LEN} characters", short + 1));
    }
    Ok(keys)
}

/// What a request may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No valid key.
    None,
    /// An API key: every route but the admin ones.
    User,
    /// An admin key: every route.
    Admin,
}

/// The digests of the configured keys.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    user: Vec<[u8; 32]>,
    admin: Vec<[u8; 32]>,
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Equal 32-byte digests, in the same time whatever their bytes.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Keys {
    /// The digests of `user` and `admin` keys.
    pub fn new(user: &[String], admin: &[String]) -> Keys {
        Keys { user: user.iter().map(|k| digest(k)).collect(), admin: admin.iter().map(|k| digest(k)).collect() }
    }

    /// What the request's `Authorization: Bearer <key>` allows. Every configured key is
    /// compared (no early exit on a match), each in constant time.
    pub fn access(&self, headers: &HeaderMap) -> Access {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let Some(token) = token.filter(|t| !t.is_empty()) else { return Access::None };
        let token = digest(token);
        let any = |keys: &[[u8; 32]]| keys.iter().fold(false, |found, k| found | same(k, &token));
        if any(&self.admin) {
            Access::Admin
        } else if any(&self.user) {
            Access::User
        } else {
            Access::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn a_set_list_without_keys_is_an_error_and_keys_are_trimmed() {
        assert_eq!(parse_keys("LEADSCORE_API_KEYS", None), Ok(vec![]));
        for raw in ["", ",,", " , ", "\t"] {
            let err = parse_keys("LEADSCORE_API_KEYS", Some(raw)).unwrap_err();
            assert!(err.starts_with("LEADSCORE_API_KEYS is set but holds no key"), "{raw:?}: {err}");
        }
        assert_eq!(
            parse_keys("k", Some(" key-aaaa-1 , key-bbbb-2,")),
            Ok(vec!["key-aaaa-1".to_owned(), "key-bbbb-2".to_owned()])
        );
        assert!(parse_keys("k", Some("key-aaaa-1, short")).unwrap_err().contains("key 2 is shorter than 8"));
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_only_whole_keys_match() {
        let keys = Keys::new(&["user-key-0001".into()], &["admin-key-0001".into()]);
        for header in ["Bearer user-key-0001", "bearer user-key-0001", "BEARER  user-key-0001 "] {
            assert_eq!(keys.access(&bearer(header)), Access::User, "{header}");
        }
        assert_eq!(keys.access(&bearer("bearer admin-key-0001")), Access::Admin);
        for header in ["Basic user-key-0001", "Bearer user-key-000", "Bearer user-key-00011", "Bearer", "user-key-0001"]
        {
            assert_eq!(keys.access(&bearer(header)), Access::None, "{header}");
        }
        assert_eq!(keys.access(&HeaderMap::new()), Access::None);
    }
}
