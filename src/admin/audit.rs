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

/// The most events one CSV export holds.
pub const MAX_EXPORT: usize = 10_000;

/// Every event matching `filter`, newest first, up to [`MAX_EXPORT`].
pub async fn export_events(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
) -> anyhow::Result<Vec<StoredEvent>> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = list_events(db, filter, cursor.as_deref(), MAX_PAGE)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        all.extend(page.events);
        match page.next_cursor {
            Some(next) if all.len() < MAX_EXPORT => cursor = Some(next),
            _ => break,
        }
    }
    all.truncate(MAX_EXPORT);
    Ok(all)
}

/// The events as CSV (RFC 4180: a header line, CRLF line ends, fields
/// quoted when they hold a comma, a quote or a line break). A text field
/// a spreadsheet would read as a formula starts with an apostrophe.
pub fn to_csv(events: &[StoredEvent]) -> String {
    let mut out = String::from("id,at,kind,actor,user_id,subject,client_id,ip,details\r\n");
    for e in events {
        let ev = &e.event;
        let fields = [
            e.id.to_string(),
            ev.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ev.kind.clone(),
            ev.actor.clone().unwrap_or_default(),
            ev.user_id.map(|u| u.to_string()).unwrap_or_default(),
            ev.subject.clone().unwrap_or_default(),
            ev.client_id.clone().unwrap_or_default(),
            ev.ip.clone().unwrap_or_default(),
            if ev.details.is_null() {
                String::new()
            } else {
                ev.details.to_string()
            },
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(value: &str) -> String {
    let formula = value.starts_with(['=', '@', '\t', '\r'])
        || (value.starts_with(['+', '-']) && !value[1..].chars().all(|c| c.is_ascii_digit()));
    let value = if formula {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
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
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("+447400123456"), "+447400123456");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn a_cursor_reads_back_as_what_it_was_made_of() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap();
        let id = Uuid::new_v4();
        assert_eq!(decode_cursor(&encode_cursor(at, id)).unwrap(), (at, id));
        assert!(decode_cursor("not-a-cursor").is_err());
    }
}
