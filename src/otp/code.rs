use rand::Rng;
use rand::distributions::Uniform;
use rand::rngs::OsRng;

use crate::domain::OtpCode;

/// A code of `length` digits, each drawn uniformly from 0–9 by the OS CSPRNG
/// (no modulo bias: `Uniform` rejects out-of-range samples).
pub fn generate_code(length: u8) -> OtpCode {
    let digit = Uniform::new_inclusive(b'0', b'9');
    let digits: String = (0..length)
        .map(|_| char::from(OsRng.sample(digit)))
        .collect();
    OtpCode::from_generated(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_requested_number_of_digits() {
        for len in [4u8, 6, 8] {
            let code = generate_code(len);
            assert_eq!(code.as_str().len(), usize::from(len));
            assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn digits_are_roughly_uniform() {
        // 60,000 digits: each of 10 values expected 6,000 times; a biased
        // generator (say, modulo over a byte) would skew this well past 10 %.
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            for b in generate_code(6).as_str().bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        for (digit, count) in counts.iter().enumerate() {
            assert!(
                (5_400..=6_600).contains(count),
                "digit {digit} seen {count} times"
            );
        }
    }
}
