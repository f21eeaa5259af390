//! The ids the server gives viewers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The id the server gives a viewer's connection: unique and unguessable.
/// A client-chosen `viewerId` is only ever used as a display name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ViewerId(pub String);

impl fmt::Display for ViewerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
