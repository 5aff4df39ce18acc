//! The command groups of `ferrid`, one module each; `main.rs` parses the
//! command line and dispatches here.

pub mod admin;
pub mod client;
pub mod config;
pub mod connection;
pub mod email;
pub mod keys;
pub mod outbox;
pub mod policy;
pub mod server;

use anyhow::Context;
use serde::Serialize;

/// `value` as TOML for the terminal. TOML has no null, so absent values
/// (a Twilio connection without a From number) are left out; any other
/// failure is returned, so that a command that cannot print its answer
/// fails with the reason instead of printing nothing.
pub fn to_toml(value: &impl Serialize) -> anyhow::Result<String> {
    let value = serde_json::to_value(value).context("preparing the output")?;
    toml::to_string_pretty(&without_nulls(value)).context("printing the output as TOML")
}

fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(without_nulls).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_are_left_out_of_toml() {
        let out = to_toml(&serde_json::json!({
            "provider": { "provider": "twilio", "from": null, "messaging_service_sid": "MG1" },
        }))
        .unwrap();
        assert!(out.contains("messaging_service_sid = \"MG1\""), "{out}");
        assert!(!out.contains("from"), "{out}");
    }

    #[test]
    fn a_value_toml_cannot_hold_is_an_error_not_empty_output() {
        // A TOML document is a table: a bare list cannot be one.
        let err = to_toml(&serde_json::json!([1, 2])).unwrap_err();
        assert!(format!("{err:#}").contains("TOML"), "{err:#}");
    }
}
