use super::{AuthMethod, Connection, EmailAddress, PhoneNumber};

/// Where a one-time code goes. The code engine, its limits and the send
/// pipeline take a recipient: a phone number (SMS) or an email address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    Phone(PhoneNumber),
    Email(EmailAddress),
}

impl Recipient {
    /// The address as stored and as limits are keyed (E.164 for a phone).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Phone(phone) => phone.as_str(),
            Self::Email(email) => email.as_str(),
        }
    }

    /// The address with most of it hidden, for logs and the audit trail.
    pub fn masked(&self) -> String {
        match self {
            Self::Phone(phone) => phone.masked(),
            Self::Email(email) => email.masked(),
        }
    }

    /// The phone number, when the code goes by SMS.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Phone(phone) => Some(phone),
            Self::Email(_) => None,
        }
    }

    /// The email address, when the code goes by email.
    pub fn email(&self) -> Option<&EmailAddress> {
        match self {
            Self::Email(email) => Some(email),
            Self::Phone(_) => None,
        }
    }

    /// The sign-in method a verified code to this recipient proves.
    pub fn auth_method(&self) -> AuthMethod {
        match self {
            Self::Phone(_) => AuthMethod::Sms,
            Self::Email(_) => AuthMethod::Email,
        }
    }

    /// The connection a code to this recipient belongs to.
    pub fn connection(&self) -> Connection {
        match self {
            Self::Phone(_) => Connection::Sms,
            Self::Email(_) => Connection::Email,
        }
    }
}

impl From<PhoneNumber> for Recipient {
    fn from(phone: PhoneNumber) -> Self {
        Self::Phone(phone)
    }
}

impl From<EmailAddress> for Recipient {
    fn from(email: EmailAddress) -> Self {
        Self::Email(email)
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

    #[test]
    fn an_email_recipient_is_its_address_on_the_email_channel() {
        let email = EmailAddress::parse("ada@example.com").unwrap();
        let recipient = Recipient::from(email.clone());
        assert_eq!(recipient.as_str(), "ada@example.com");
        assert_eq!(recipient.masked(), "a•••@example.com");
        assert_eq!(recipient.email(), Some(&email));
        assert_eq!(recipient.phone(), None);
        assert_eq!(recipient.connection(), Connection::Email);
        assert_eq!(recipient.auth_method(), AuthMethod::Email);
    }
}
