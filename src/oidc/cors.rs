//! Which browser origins may call ferrid's endpoints directly (CORS): those
//! registered on a client.

use crate::app::AppState;
use crate::domain::Origin;
use crate::store;

/// Whether the `Origin` header's value names an origin a client registered.
pub async fn origin_allowed(state: &AppState, origin: &str) -> anyhow::Result<bool> {
    let Ok(origin) = Origin::parse(origin) else {
        return Ok(false);
    };
    Ok(store::clients::is_origin_allowed(&state.db, &origin).await?)
}
