//! Options from JSON-like data, for the bindings (Python kwargs, JS objects) and the CLI
//! (`--ladder custom.json`): one conversion, one set of error messages, everywhere.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Result};

/// Build an options struct from a JSON object. Missing keys take their defaults; an unknown key
/// is an error naming the keys that exist (a typo must not be silently ignored).
pub fn from_json<T: Serialize + DeserializeOwned + Default>(value: serde_json::Value) -> Result<T> {
    let value = match value {
        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
        v => v,
    };
    let Some(given) = value.as_object() else {
        return Err(Error::invalid(
            "options must be an object (a dict in Python, an object in JS)",
        ));
    };
    let known = serde_json::to_value(T::default()).map_err(|e| Error::Internal(e.to_string()))?;
    if let Some(known) = known.as_object() {
        if let Some(bad) = given.keys().find(|k| !known.contains_key(*k)) {
            let mut names: Vec<&str> = known.keys().map(String::as_str).collect();
            names.sort_unstable();
            return Err(Error::invalid(format!(
                "unknown option `{bad}` (known: {})",
                names.join(", ")
            )));
        }
    }
    serde_json::from_value(value).map_err(|e| Error::invalid(format!("bad options: {e}")))
}
