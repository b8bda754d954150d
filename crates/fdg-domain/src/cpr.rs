//! The CPR number (CPR-nummer), parsed once and trusted afterwards.
//!
//! Rules: ten digits `DDMMYY-SSSS`, hyphen optional; day and month form a real
//! date; the century follows from the seventh digit. Since 1 October 2007 numbers without a
//! modulus-11 check digit are issued, so modulus 11 is never a reason to reject — it is only
//! reported by [`Cpr::passes_modulus_11`].

use std::fmt;

use jiff::civil::Date;

/// A syntactically valid CPR number with a real date of birth.
///
/// The field is private: the only way to get one is [`Cpr::parse`]. `Debug` never prints the
/// number (it is personal data and must not reach logs).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpr([u8; 10]);

/// Why a text is not a CPR number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CprError {
    /// Not ten digits (with an optional hyphen after the sixth).
    Format,
    /// Day and month (with the century rule) are not a real date.
    Date,
}

impl Cpr {
    /// Parses `DDMMYYSSSS` or `DDMMYY-SSSS` (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Self, CprError> {
        let s = input.trim();
        let bytes = s.as_bytes();
        let digits: Vec<u8> = match bytes.len() {
            10 => bytes.to_vec(),
            11 if bytes[6] == b'-' => bytes[..6].iter().chain(&bytes[7..]).copied().collect(),
            _ => return Err(CprError::Format),
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(CprError::Format);
        }
        let mut d = [0u8; 10];
        for (slot, b) in d.iter_mut().zip(&digits) {
            *slot = b - b'0';
        }
        let cpr = Cpr(d);
        cpr.compute_birth_date().ok_or(CprError::Date)?;
        Ok(cpr)
    }

    fn compute_birth_date(&self) -> Option<Date> {
        let d = &self.0;
        let day = i8::try_from(d[0] * 10 + d[1]).ok()?;
        let month = i8::try_from(d[2] * 10 + d[3]).ok()?;
        let yy = i16::from(d[4] * 10 + d[5]);
        let century = match d[6] {
            0..=3 => 1900,
            4 | 9 => {
                if yy <= 36 {
                    2000
                } else {
                    1900
                }
            }
            _ => {
                if yy <= 57 {
                    2000
                } else {
                    1800
                }
            }
        };
        Date::new(century + yy, month, day).ok()
    }

    /// The date of birth encoded in the number.
    pub fn birth_date(&self) -> Date {
        // `parse` guarantees the date is real.
        self.compute_birth_date().unwrap_or(Date::MIN)
    }

    /// Whether the traditional modulus-11 check holds. Informational only: numbers issued
    /// since 1 October 2007 need not pass it, so it is never a reason to reject.
    pub fn passes_modulus_11(&self) -> bool {
        const WEIGHTS: [u32; 10] = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
        let sum: u32 = self
            .0
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        sum.is_multiple_of(11)
    }

    /// The number as ten digits without hyphen (the canonical stored form).
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The number as `DDMMYY-SSSS`, for display to an authorised user.
    pub fn formatted(&self) -> String {
        let s = self.digits();
        format!("{}-{}", &s[..6], &s[6..])
    }
}

impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cpr(<redacted>)")
    }
}

impl serde::Serialize for Cpr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.digits())
    }
}

impl<'de> serde::Deserialize<'de> for Cpr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Cpr::parse(&s).map_err(|_| serde::de::Error::custom("invalid CPR number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_with_and_without_hyphen() {
        let a = Cpr::parse("010190-1234").expect("valid");
        let b = Cpr::parse("0101901234").expect("valid");
        assert_eq!(a, b);
        assert_eq!(a.birth_date(), Date::new(1990, 1, 1).expect("date"));
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(Cpr::parse("310290-1234"), Err(CprError::Date));
        assert_eq!(Cpr::parse("001190-1234"), Err(CprError::Date));
        assert_eq!(Cpr::parse("011390-1234"), Err(CprError::Date));
        // 29 February exists in 2000 (7th digit 4, YY 00 -> 2000) but not in 1900.
        assert!(Cpr::parse("290200-4000").is_ok());
        assert_eq!(Cpr::parse("290200-1000"), Err(CprError::Date));
    }

    #[test]
    fn rejects_bad_format() {
        for s in [
            "",
            "12345",
            "01019012345",
            "010190_1234",
            "01019O1234",
            "0101-901234",
        ] {
            assert_eq!(Cpr::parse(s), Err(CprError::Format), "{s}");
        }
    }

    #[test]
    fn century_rule() {
        let y = |s: &str| Cpr::parse(s).expect("valid").birth_date().year();
        assert_eq!(y("010101-3000"), 1901);
        assert_eq!(y("010136-4000"), 2036);
        assert_eq!(y("010137-4000"), 1937);
        assert_eq!(y("010136-9000"), 2036);
        assert_eq!(y("010199-9000"), 1999);
        assert_eq!(y("010157-5000"), 2057);
        assert_eq!(y("010158-5000"), 1858);
        assert_eq!(y("010199-8000"), 1899);
    }

    #[test]
    fn modulus_11_is_informational() {
        // 070761-4285 is a well-known example that passes modulus 11.
        assert!(
            Cpr::parse("070761-4285")
                .expect("valid")
                .passes_modulus_11()
        );
        let fails = Cpr::parse("070761-4286").expect("valid even though modulus 11 fails");
        assert!(!fails.passes_modulus_11());
    }

    #[test]
    fn debug_redacts() {
        let c = Cpr::parse("010190-1234").expect("valid");
        assert!(!format!("{c:?}").contains("0101"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,14}") {
            let _ = Cpr::parse(&s);
        }

        #[test]
        fn round_trips(day in 1i8..=28, month in 1i8..=12, yy in 0u8..=99, seq in 0u16..=9999) {
            let text = format!("{day:02}{month:02}{yy:02}-{seq:04}");
            let cpr = Cpr::parse(&text).expect("a real date is always accepted");
            prop_assert_eq!(cpr.formatted(), text);
            prop_assert_eq!(&Cpr::parse(&cpr.digits()).expect("digits re-parse"), &cpr);
            prop_assert_eq!(cpr.birth_date().day(), day);
            prop_assert_eq!(cpr.birth_date().month(), month);
        }
    }
}
