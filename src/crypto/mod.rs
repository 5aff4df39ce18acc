//! The only place that touches key material: the master key and what it
//! encrypts, hashes of secrets, random tokens, and (in `keys`) the signing keys.

pub mod keys;
mod master_key;
mod secrets;
pub mod totp;
mod webhook;

pub use master_key::{MasterKey, load_or_create_dev_master_key};
pub use secrets::{
    Pepper, constant_time_eq, random_alphanumeric, random_token, sha256_hex, verify_sha256_hex,
};
pub use webhook::WebhookKey;
