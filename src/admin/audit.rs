//! Reading the audit log a page at a time (the management API).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::audit_events::{EventFilter, StoredEvent};
use crate::store::{self, ConnectionTrait};

/// The most events one page holds.
pub const MAX_PAGE: u64 = 200;

/// One page of events, newest first, and the cursor of the next.
#[derive(Debug)]
pub struct EventPage {
    pub events: Vec<StoredEvent>,
    pub next_cursor: Option<String>,
}

/// Why a page of events could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListEventsError {
    #[error("the cursor is not one this API gave")]
    BadCursor,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The events matching `filter` after `cursor` (opaque: the time and id of
/// the last event of the previous page).
pub async fn list_events(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
    cursor: Option<&str>,
    limit: u64,
) -> Result<EventPage, ListEventsError> {
    let before = cursor.map(decode_cursor).transpose()?;
    let limit = limit.clamp(1, MAX_PAGE);
    let mut events = store::audit_events::list_page(db, filter, before, limit + 1)
        .await
        .map_err(anyhow::Error::from)?;
    let next_cursor = if events.len() as u64 > limit {
        events.truncate(limit as usize);
        events.last().map(|e| encode_cursor(e.event.at, e.id))
    } else {
        None
    };
    Ok(EventPage {
        events,
        next_cursor,
    })
}

fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", at.timestamp_micros(), id.simple()))
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), ListEventsError> {
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(ListEventsError::BadCursor)?;
    let (micros, id) = text.split_once('.').ok_or(ListEventsError::BadCursor)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or(ListEventsError::BadCursor)?;
    let id = Uuid::parse_str(id).map_err(|_| ListEventsError::BadCursor)?;
    Ok((at, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_what_it_was_made_of() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap();
        let id = Uuid::new_v4();
        assert_eq!(decode_cursor(&encode_cursor(at, id)).unwrap(), (at, id));
        assert!(decode_cursor("not-a-cursor").is_err());
    }
}
