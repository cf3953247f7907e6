//! Connection settings the user can edit, stored in the browser.

use serde::{Deserialize, Serialize};

use crate::core::ice_servers::{IceServerUrl, IceUrlError};
use crate::core::protocol::clean_name;

/// A public STUN server so people on different networks find each other's public address.
pub const DEFAULT_ICE_SERVER: &str = "stun:stun.l.google.com:19302";

/// Key in localStorage.
pub const STORAGE_KEY: &str = "tincan.settings.v1";

const MAX_SERVERS: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// STUN/TURN URLs. Empty: host candidates only (same network).
    pub ice_servers: Vec<String>,
    pub turn_username: String,
    pub turn_credential: String,
    /// Privacy: only relay (TURN) candidates go into links, so the other person and whoever
    /// carries the links learn the relay's address, never this device's.
    pub relay_only: bool,
    /// Shown to the other person; empty means none.
    pub display_name: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ice_servers: vec![DEFAULT_ICE_SERVER.to_owned()],
            turn_username: String::new(),
            turn_credential: String::new(),
            relay_only: false,
            display_name: String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    BadUrl(#[from] IceUrlError),
    #[error("At most {MAX_SERVERS} ICE servers.")]
    TooMany,
    #[error("A TURN server needs both a username and a credential.")]
    TurnNeedsCredentials,
    #[error("That display name cannot be used.")]
    BadName,
    #[error("Relay only needs a TURN server (a turn: or turns: URL) to relay through.")]
    RelayNeedsTurn,
}

impl Settings {
    /// Builds settings from the dialog's fields; the ICE servers box holds one URL per line.
    pub fn from_form(
        ice_servers_text: &str,
        turn_username: &str,
        turn_credential: &str,
        relay_only: bool,
    ) -> Result<Self, SettingsError> {
        Self {
            ice_servers: ice_servers_text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
            turn_username: turn_username.trim().to_owned(),
            turn_credential: turn_credential.trim().to_owned(),
            relay_only,
            display_name: String::new(),
        }
        .validated()
    }

    /// Sets the name shown to the other person, cleaned the way the peer will check it.
    pub fn with_display_name(mut self, name: &str) -> Self {
        self.display_name = clean_name(name).unwrap_or_default();
        self
    }

    fn validated(self) -> Result<Self, SettingsError> {
        if self.ice_servers.len() > MAX_SERVERS {
            return Err(SettingsError::TooMany);
        }
        let mut has_turn = false;
        for url in &self.ice_servers {
            has_turn |= IceServerUrl::parse(url)?.scheme.is_turn();
        }
        if has_turn && (self.turn_username.is_empty() || self.turn_credential.is_empty()) {
            return Err(SettingsError::TurnNeedsCredentials);
        }
        if self.relay_only && !has_turn {
            return Err(SettingsError::RelayNeedsTurn);
        }
        if clean_name(&self.display_name).unwrap_or_default() != self.display_name {
            return Err(SettingsError::BadName);
        }
        Ok(self)
    }

    pub fn ice_servers_text(&self) -> String {
        self.ice_servers.join("\n")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Stored settings that no longer parse or validate (another version, hand edits) fall back
    /// to defaults.
    pub fn from_json(raw: &str) -> Self {
        serde_json::from_str::<Self>(raw)
            .ok()
            .and_then(|stored| stored.validated().ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_per_line_blank_lines_ignored() {
        let settings = Settings::from_form(
            " stun:a.example:3478 \n\n turn:b.example?transport=udp",
            "u",
            "p",
            false,
        )
        .unwrap();
        assert_eq!(
            settings.ice_servers,
            ["stun:a.example:3478", "turn:b.example?transport=udp"]
        );
    }

    #[test]
    fn empty_list_means_host_candidates_only() {
        assert_eq!(
            Settings::from_form("  \n", "", "", false)
                .unwrap()
                .ice_servers,
            Vec::<String>::new()
        );
    }

    #[test]
    fn rejects_non_ice_urls_and_turn_without_credentials() {
        assert!(matches!(
            Settings::from_form("https://x", "", "", false),
            Err(SettingsError::BadUrl(_))
        ));
        assert!(matches!(
            Settings::from_form("stun:", "", "", false),
            Err(SettingsError::BadUrl(_))
        ));
        assert_eq!(
            Settings::from_form("turn:x", "", "", false),
            Err(SettingsError::TurnNeedsCredentials)
        );
        let many = (0..11)
            .map(|i| format!("stun:h{i}"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            Settings::from_form(&many, "", "", false),
            Err(SettingsError::TooMany)
        );
    }

    #[test]
    fn relay_only_needs_a_turn_server() {
        assert_eq!(
            Settings::from_form("stun:a.example", "", "", true),
            Err(SettingsError::RelayNeedsTurn)
        );
        assert!(Settings::from_form("turn:a.example", "u", "p", true).is_ok_and(|s| s.relay_only));
    }

    #[test]
    fn display_names_are_cleaned_and_stored() {
        let settings = Settings::default().with_display_name("  Ann  ");
        assert_eq!(settings.display_name, "Ann");
        assert_eq!(Settings::from_json(&settings.to_json()), settings);
        let tampered = r#"{"ice_servers":[],"display_name":"  spaced  "}"#;
        assert_eq!(Settings::from_json(tampered), Settings::default());
    }

    #[test]
    fn storage_round_trips_and_survives_junk() {
        let settings = Settings::from_form("stun:127.0.0.1:9", "", "", false).unwrap();
        assert_eq!(Settings::from_json(&settings.to_json()), settings);
        assert_eq!(Settings::from_json("garbage"), Settings::default());
        assert_eq!(
            Settings::from_json(r#"{"ice_servers":["http://evil"]}"#),
            Settings::default()
        );
        assert_eq!(
            Settings::from_json(r#"{"ice_servers":[]}"#).ice_servers,
            Vec::<String>::new()
        );
    }
}
