use std::fmt;
use std::str::FromStr;

/// Where a message of the outbox is: `queued → sending → sent`, or
/// `failed` (the server refused it for good) or `abandoned` (out of
/// attempts, too old, or its code expired).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    Abandoned,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 5] = [
        Self::Queued,
        Self::Sending,
        Self::Sent,
        Self::Failed,
        Self::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for OutboxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutboxStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                format!("`{s}` is not an outbox status (queued, sending, sent, failed, abandoned)")
            })
    }
}
