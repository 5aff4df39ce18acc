//! Registered clients as the hot paths read them (`/authorize`, `/token`,
//! revocation, introspection): a client's row is read from the database at
//! most once per [`REREAD_AFTER`] per instance, and at once again after this
//! process changed any client. A change made through another process (another
//! instance, the CLI) is therefore in force everywhere within
//! [`REREAD_AFTER`].
//!
//! Only clients that exist are kept, so unknown ids sent by anyone cannot
//! fill the memory; the cache empties itself when it holds
//! [`MAX_ENTRIES`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::clients::{self, Client};
use super::{ConnectionTrait, StoreError};
use crate::domain::ClientId;

/// How long a client's row is used before it is read again.
pub const REREAD_AFTER: Duration = Duration::from_secs(1);

/// The most clients kept at once.
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    client: Arc<Client>,
    read_at: Instant,
    /// [`clients::changes_here`] as it was before the row was read.
    changes: u64,
}

/// The cache; one per running server.
#[derive(Default)]
pub struct ClientCache {
    entries: RwLock<HashMap<ClientId, Entry>>,
}

impl ClientCache {
    /// The client with this id, if any: the kept row while it is fresh,
    /// else the stored one.
    pub async fn find(
        &self,
        db: &impl ConnectionTrait,
        client_id: &ClientId,
    ) -> Result<Option<Arc<Client>>, StoreError> {
        let changes = clients::changes_here();
        if let Some(client) = self.fresh(client_id, changes) {
            return Ok(Some(client));
        }
        let read_at = Instant::now();
        let Some(client) = clients::find_by_client_id(db, client_id).await? else {
            self.forget(client_id);
            return Ok(None);
        };
        let client = Arc::new(client);
        let mut entries = match self.entries.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            client_id.clone(),
            Entry {
                client: client.clone(),
                read_at,
                changes,
            },
        );
        Ok(Some(client))
    }

    fn fresh(&self, client_id: &ClientId, changes: u64) -> Option<Arc<Client>> {
        let entries = match self.entries.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        entries
            .get(client_id)
            .filter(|e| e.changes == changes && e.read_at.elapsed() < REREAD_AFTER)
            .map(|e| e.client.clone())
    }

    fn forget(&self, client_id: &ClientId) {
        match self.entries.write() {
            Ok(mut guard) => guard.remove(client_id),
            Err(poisoned) => poisoned.into_inner().remove(client_id),
        };
    }
}
