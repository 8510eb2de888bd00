//! The group secret: a token that is never printed by accident.
//!
//! [`Secret`] holds the `KmsDatabaseSecret` token returned by `POST /register`. Its `Debug` and
//! `Display` forms are redacted, its memory is zeroized when dropped, and the only way to read it
//! is the explicit [`Secret::expose`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// A group secret (the `KmsDatabaseSecret` token). Zeroized on drop, redacted when formatted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a token.
    pub fn new(token: String) -> Self {
        Secret(Zeroizing::new(token))
    }

    /// The token itself. Call only to send it to the server or when the user asked to see it.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the token is empty (an empty secret is never sent).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl From<String> for Secret {
    fn from(token: String) -> Self {
        Secret::new(token)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let token = String::deserialize(deserializer)?;
        Ok(Secret::new(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_is_redacted() {
        let s = Secret::new("very-secret-token".to_string());
        assert!(!format!("{s:?}").contains("very"));
        assert!(!format!("{s}").contains("very"));
        assert_eq!(s.expose(), "very-secret-token");
    }
}
