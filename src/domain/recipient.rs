use super::{AuthMethod, Connection, PhoneNumber};

/// Where a one-time code goes. The code engine, its limits and the send
/// pipeline take a recipient, so that an email address joins as a variant
/// without a second pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    Phone(PhoneNumber),
}

impl Recipient {
    /// The address as stored and as limits are keyed (E.164 for a phone).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Phone(phone) => phone.as_str(),
        }
    }

    /// The address with most of it hidden, for logs and the audit trail.
    pub fn masked(&self) -> String {
        match self {
            Self::Phone(phone) => phone.masked(),
        }
    }

    /// The phone number, when the code goes by SMS.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Phone(phone) => Some(phone),
        }
    }

    /// The sign-in method a verified code to this recipient proves.
    pub fn auth_method(&self) -> AuthMethod {
        match self {
            Self::Phone(_) => AuthMethod::Sms,
        }
    }

    /// The connection a code to this recipient belongs to.
    pub fn connection(&self) -> Connection {
        match self {
            Self::Phone(_) => Connection::Sms,
        }
    }
}

impl From<PhoneNumber> for Recipient {
    fn from(phone: PhoneNumber) -> Self {
        Self::Phone(phone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_recipient_is_its_e164_number_on_the_sms_connection() {
        let phone = PhoneNumber::parse("+447400123456", None).unwrap();
        let recipient = Recipient::from(phone.clone());
        assert_eq!(recipient.as_str(), "+447400123456");
        assert_eq!(recipient.masked(), phone.masked());
        assert!(!recipient.masked().contains("123456"));
        assert_eq!(recipient.phone(), Some(&phone));
        assert_eq!(recipient.connection(), Connection::Sms);
        assert_eq!(recipient.auth_method(), AuthMethod::Sms);
    }
}
