//! `--relay off|auto|on`: whether viewers get the stream peer to peer, through the relay, or
//! peer to peer until the studio's uplink is full.

use std::fmt;
use std::str::FromStr;

/// How media reaches viewers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RelayMode {
    /// Peer to peer only: the server never touches media (no UDP port is opened).
    Off,
    /// Peer to peer while the studio's uplink serves another viewer, then the relay for the
    /// rest of the live.
    #[default]
    Auto,
    /// Every viewer through the relay.
    On,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a relay mode: use off, auto or on")]
pub struct RelayModeError(String);

impl FromStr for RelayMode {
    type Err = RelayModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(RelayMode::Off),
            "auto" => Ok(RelayMode::Auto),
            "on" => Ok(RelayMode::On),
            _ => Err(RelayModeError(s.to_owned())),
        }
    }
}

impl fmt::Display for RelayMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RelayMode::Off => "off",
            RelayMode::Auto => "auto",
            RelayMode::On => "on",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_in_any_case_and_print_back() {
        for (text, mode) in [("off", RelayMode::Off), ("AUTO", RelayMode::Auto), (" on ", RelayMode::On)] {
            let parsed: RelayMode = text.parse().unwrap();
            assert_eq!(parsed, mode);
            assert_eq!(parsed.to_string().parse::<RelayMode>().unwrap(), mode);
        }
        let err = "sometimes".parse::<RelayMode>().unwrap_err();
        assert_eq!(err.to_string(), "`sometimes` is not a relay mode: use off, auto or on");
    }
}
