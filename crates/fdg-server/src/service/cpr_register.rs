//! The CPR register: where a person's municipality of residence comes from.
//!
//! The responsible municipality decides which municipal job centre and which benefit centre
//! see a person, so it must not come from the caller of a write. Before a write that names a
//! person by CPR number, `service::write::record` asks the register for the person's
//! municipality of residence and passes it to the store; the rules (`fdg_domain::decide`)
//! then record it and refuse any other municipality the caller names
//! (`fdg.s2.municipality_not_responsible`). A person the register does not know keeps the
//! municipality recorded for them, and a person new to the registry gets the one their first
//! record names.
//!
//! [`CprRegister`] is the interface a real CPR service (CPR-registerets opslag) is plugged in
//! behind: one lookup by CPR number, answering a kommunekode or "not known". This crate
//! ships [`FileRegister`], read from a file at start (for tests, demonstrations and the
//! synthetic population), and [`NoRegister`], which knows nobody. See `docs/cpr-register.md`.

use std::collections::HashMap;
use std::path::Path;

use fdg_domain::Cpr;
use fdg_store::BoxFut;

/// A lookup that could not be answered (the register is unreachable or answered garbage).
/// The write then goes on as for a person the register does not know, which never moves a
/// person the registry knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterError(pub String);

impl std::fmt::Display for RegisterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CPR register: {}", self.0)
    }
}

/// An authoritative source of municipalities of residence.
pub trait CprRegister: Send + Sync + 'static {
    /// The kommunekode of the municipality the person with `cpr` lives in, or `None` when
    /// the register does not know them. Implementations never log the CPR number.
    fn residence<'a>(&'a self, cpr: &'a Cpr) -> BoxFut<'a, Result<Option<String>, RegisterError>>;
}

/// A register that knows nobody: every person keeps the municipality recorded for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRegister;

impl CprRegister for NoRegister {
    fn residence<'a>(&'a self, _: &'a Cpr) -> BoxFut<'a, Result<Option<String>, RegisterError>> {
        Box::pin(async { Ok(None) })
    }
}

/// The most lines a register file may hold (a little over Denmark's population).
pub const MAX_FILE_LINES: usize = 7_000_000;

/// A register read once from a file: one person per line, `CPR;kommunekode`, the CPR number
/// with or without the hyphen. Blank lines and lines starting with `#` are skipped.
///
/// ```text
/// # cpr;kommunekode
/// 010190-1009;101
/// 0202851002;147
/// ```
#[derive(Debug, Clone, Default)]
pub struct FileRegister {
    residence: HashMap<String, String>,
}

impl FileRegister {
    /// Reads `path`. A line that is not `CPR;kommunekode` is an error naming the line number
    /// (never its content, which holds a CPR number).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("CPR register {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("CPR register {}: {e}", path.display()))
    }

    /// Parses the file format described on [`FileRegister`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut residence = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            if n >= MAX_FILE_LINES {
                return Err(format!("more than {MAX_FILE_LINES} lines"));
            }
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || format!("line {}: expected CPR;kommunekode", n + 1);
            let (cpr, municipality) = line.split_once(';').ok_or_else(bad)?;
            let cpr = Cpr::parse(cpr.trim()).map_err(|_| bad())?;
            let municipality = municipality.trim();
            if municipality.is_empty()
                || municipality.len() > 4
                || !municipality.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad());
            }
            residence.insert(cpr.digits(), municipality.to_owned());
        }
        Ok(FileRegister { residence })
    }

    /// How many persons the register knows.
    pub fn len(&self) -> usize {
        self.residence.len()
    }

    /// Whether the register knows nobody.
    pub fn is_empty(&self) -> bool {
        self.residence.is_empty()
    }
}

impl CprRegister for FileRegister {
    fn residence<'a>(&'a self, cpr: &'a Cpr) -> BoxFut<'a, Result<Option<String>, RegisterError>> {
        let found = self.residence.get(&cpr.digits()).cloned();
        Box::pin(async move { Ok(found) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_register_file_is_read_with_or_without_hyphens_and_bad_lines_are_named_by_number() {
        let r = FileRegister::parse("# cpr;kommunekode\n\n010190-1009;101\n0202851002 ; 147\n")
            .expect("register");
        assert_eq!(r.len(), 2);
        let cpr = Cpr::parse("020285-1002").expect("cpr");
        let found = futures_lite(r.residence(&cpr));
        assert_eq!(found, Ok(Some("147".into())));
        let unknown = Cpr::parse("030303-3333").expect("cpr");
        assert_eq!(futures_lite(r.residence(&unknown)), Ok(None));
        let e = FileRegister::parse("010190-1009;101\n010190-1009\n").expect_err("bad");
        assert_eq!(e, "line 2: expected CPR;kommunekode");
        assert!(!e.contains("0101"), "never echoes the CPR number");
        assert!(FileRegister::parse("010190-1009;abc").is_err());
    }

    /// Polls a future that is ready at once (the file register never waits).
    fn futures_lite<T>(f: BoxFut<'_, T>) -> T {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = f;
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the file register never waits"),
        }
    }
}
