//! How many SMS segments a body takes, and in which encoding (3GPP TS
//! 23.038 and 23.040): GSM-7 while every character is in the GSM 03.38
//! basic set or its extension table (those cost two septets), else UCS-2.
//! A single segment holds 160 septets or 70 UTF-16 units; a concatenated
//! message spends 7 septets (3 units) of each segment on its header.

use std::fmt;

// The GSM 03.38 basic set; the extension table's characters cost two.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENDED: &str = "^{}\\[~]|€\x0c";

/// The alphabet a body is sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gsm7 => "GSM-7",
            Self::Ucs2 => "UCS-2",
        }
    }

    /// Units in a message of one segment.
    pub fn single(self) -> usize {
        match self {
            Self::Gsm7 => 160,
            Self::Ucs2 => 70,
        }
    }

    /// Units in each segment of a concatenated message.
    pub fn per_segment(self) -> usize {
        match self {
            Self::Gsm7 => 153,
            Self::Ucs2 => 67,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a body costs to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmsLength {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    pub segments: usize,
}

impl SmsLength {
    /// The most units that fit in `segments` segments of this encoding.
    pub fn capacity(encoding: Encoding, segments: usize) -> usize {
        match segments {
            0 => 0,
            1 => encoding.single(),
            n => n * encoding.per_segment(),
        }
    }
}

/// The encoding, length and segment count of `body`.
pub fn sms_length(body: &str) -> SmsLength {
    let septets = body.chars().try_fold(0usize, |n, c| {
        if GSM7_BASIC.contains(c) {
            Some(n + 1)
        } else if GSM7_EXTENDED.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    });
    let (encoding, units) = match septets {
        Some(septets) => (Encoding::Gsm7, septets),
        None => (Encoding::Ucs2, body.encode_utf16().count()),
    };
    let segments = if units == 0 {
        0
    } else if units <= encoding.single() {
        1
    } else {
        units.div_ceil(encoding.per_segment())
    };
    SmsLength {
        encoding,
        units,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_bodies_take_160_septets_then_153_per_segment() {
        assert_eq!(sms_length("").segments, 0);
        let one = sms_length(&"a".repeat(160));
        assert_eq!(
            (one.encoding, one.units, one.segments),
            (Encoding::Gsm7, 160, 1)
        );
        assert_eq!(sms_length(&"a".repeat(161)).segments, 2);
        assert_eq!(sms_length(&"a".repeat(306)).segments, 2);
        assert_eq!(sms_length(&"a".repeat(307)).segments, 3);
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        let body = format!("{}€", "a".repeat(158));
        let length = sms_length(&body);
        assert_eq!((length.units, length.segments), (160, 1));
        assert_eq!(sms_length(&format!("{}[", "a".repeat(159))).segments, 2);
    }

    #[test]
    fn one_character_outside_gsm_makes_the_whole_body_ucs2() {
        let length = sms_length("Votre code : 123456 ✓");
        assert_eq!(length.encoding, Encoding::Ucs2);
        assert_eq!(length.units, 21);
        assert_eq!(sms_length(&"é".repeat(70)).encoding, Encoding::Gsm7);
        assert_eq!(sms_length(&"ł".repeat(70)).segments, 1);
        assert_eq!(sms_length(&"ł".repeat(71)).segments, 2);
        // A character outside the Basic Multilingual Plane is two units.
        assert_eq!(sms_length("🔐").units, 2);
    }

    #[test]
    fn capacity_is_the_limit_of_a_segment_count() {
        assert_eq!(SmsLength::capacity(Encoding::Gsm7, 3), 459);
        assert_eq!(SmsLength::capacity(Encoding::Ucs2, 3), 201);
        assert_eq!(SmsLength::capacity(Encoding::Ucs2, 1), 70);
    }
}
