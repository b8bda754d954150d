//! Identifiers, parsed once where they enter (a URL path, a header, a body) and passed on as
//! types: a person id, a fact id, a client's idempotency key, and an organisation's label.
//! Text that cannot be one names nothing; it never reaches a database.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Actor, OrgKind};

/// The registry's opaque id of a person (`p` and hex digits when the registry made it): 1 to 64
/// ASCII letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonId(String);

impl PersonId {
    /// The id `text` is, if it can be one.
    pub fn parse(text: &str) -> Option<PersonId> {
        is_person_id(text).then(|| PersonId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `id` can be a person id at all (see [`PersonId`]).
pub fn is_person_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PersonId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for PersonId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PersonId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PersonId::parse(&text).ok_or_else(|| serde::de::Error::custom("not a person id"))
    }
}

/// A fact: the person's id and the fact's number in their history (its version, from 1),
/// written `<person_id>.<n>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FactId {
    person: PersonId,
    number: u64,
}

impl FactId {
    /// Fact `number` of `person`.
    pub fn new(person: PersonId, number: u64) -> FactId {
        FactId { person, number }
    }

    /// The fact id `text` is, if it can be one.
    pub fn parse(text: &str) -> Option<FactId> {
        let (person, number) = text.rsplit_once('.')?;
        let number: u64 = number.parse().ok()?;
        (number > 0).then_some(())?;
        Some(FactId {
            person: PersonId::parse(person)?,
            number,
        })
    }

    /// The person whose fact it is.
    pub fn person(&self) -> &PersonId {
        &self.person
    }

    /// The fact's number in the person's history.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl fmt::Display for FactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.person, self.number)
    }
}

/// A client's idempotency key (`Idempotency-Key`): 1 to 255 visible ASCII characters (spaces
/// inside allowed), without surrounding spaces or quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// The key a header value carries, if it is one (surrounding spaces and quotes dropped).
    pub fn parse(text: &str) -> Option<IdempotencyKey> {
        let key = text.trim().trim_matches('"');
        ((1..=Self::MAX_LEN).contains(&key.len()) && key.bytes().all(|b| (0x20..0x7f).contains(&b)))
            .then(|| IdempotencyKey(key.to_owned()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Actor {
    /// The organisation a `kind:code` label names (as [`Actor::label`] writes it), if it
    /// names one: a known kind and a code of 1 to 32 ASCII letters, digits, `-` or `_`.
    pub fn parse_label(label: &str) -> Option<Actor> {
        let (kind, code) = label.split_once(':')?;
        let kind: OrgKind = kind.parse().ok()?;
        ((1..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Actor {
            kind,
            code: code.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ids_are_what_they_print() {
        let person = PersonId::parse("p7f3c2a9e01b4d6c8").unwrap();
        let fact = FactId::parse("p7f3c2a9e01b4d6c8.3").unwrap();
        assert_eq!((fact.person(), fact.number()), (&person, 3));
        assert_eq!(fact.to_string(), "p7f3c2a9e01b4d6c8.3");
        assert_eq!(FactId::new(person, 3), fact);
        let actor = Actor::parse_label("municipal-jobcenter:101").unwrap();
        assert_eq!(actor.label(), "municipal-jobcenter:101");
    }

    #[test]
    fn text_that_cannot_be_an_id_names_nothing() {
        for bad in ["", "p\u{0}", "p/1", "a b", &"p".repeat(65)] {
            assert!(PersonId::parse(bad).is_none(), "{bad:?}");
        }
        for bad in ["p1", "p1.", "p1.0", "p1.-2", ".3", "p\u{0}.3", "p1.x"] {
            assert!(FactId::parse(bad).is_none(), "{bad:?}");
        }
        for bad in ["", "  ", "\"\"", "k\u{7f}", "ø", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(
            IdempotencyKey::parse(" \"a key\" ").unwrap().as_str(),
            "a key"
        );
        for bad in [
            "101",
            "municipal-jobcenter:",
            "town-hall:101",
            "municipal-jobcenter:1 0",
        ] {
            assert!(Actor::parse_label(bad).is_none(), "{bad:?}");
        }
        assert!(serde_json::from_str::<PersonId>("\"p/1\"").is_err());
    }
}
