//! Which browser origins may call ferrid's endpoints directly (CORS): those
//! registered on a client.

use crate::domain::Origin;
use crate::store::{self, ConnectionTrait};

/// Whether the `Origin` header's value names an origin a client registered.
pub async fn origin_allowed(db: &impl ConnectionTrait, origin: &str) -> anyhow::Result<bool> {
    let Ok(origin) = Origin::parse(origin) else {
        return Ok(false);
    };
    Ok(store::clients::is_origin_allowed(db, &origin).await?)
}
