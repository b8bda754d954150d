//! The little SQL every backend speaks, so the registry's queries are written once.
//!
//! [`Db`] is one connection: run a statement, stream the rows of a query, begin and end a
//! transaction. Statements use numbered placeholders (`?1`, `?2`, …) and the SQL both SQLite and
//! PostgreSQL understand (`ON CONFLICT … DO UPDATE`, `RETURNING`, `coalesce`, `CASE`); a backend
//! rewrites placeholders if it must. Rows are read through [`RowRef`], which lends text and
//! bytes without copying them.

use crate::{Result, StoreError};

/// A value bound to a placeholder.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    /// SQL NULL.
    Null,
    /// An integer (`BIGINT`).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes (`BLOB` / `BYTEA`).
    Bytes(&'a [u8]),
    /// A truth value (`BOOLEAN`; an integer on SQLite).
    Bool(bool),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl From<u64> for Param<'_> {
    /// Positions and versions: stored as `BIGINT`, saturating (they never come near it).
    fn from(v: u64) -> Self {
        Param::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<u32> for Param<'_> {
    fn from(v: u32) -> Self {
        Param::Int(i64::from(v))
    }
}

impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(v)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Bytes(v)
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

/// The placeholders' values: `args![a, b, c]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        &[$($crate::sql::Param::from($v)),*][..]
    };
}
pub(crate) use args;

/// One row of a query, lent to the caller while the query runs.
pub trait RowRef {
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64>;
    /// An integer column that may be NULL.
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    /// A text column.
    fn text(&self, i: usize) -> Result<&str>;
    /// A text column that may be NULL.
    fn opt_text(&self, i: usize) -> Result<Option<&str>>;
    /// A bytes column.
    fn bytes(&self, i: usize) -> Result<&[u8]>;
    /// A truth value (an integer on SQLite).
    fn boolean(&self, i: usize) -> Result<bool>;
}

impl dyn RowRef + '_ {
    /// A text column, owned.
    pub(crate) fn string(&self, i: usize) -> Result<String> {
        self.text(i).map(str::to_owned)
    }

    /// A text column that may be NULL, owned.
    pub(crate) fn opt_string(&self, i: usize) -> Result<Option<String>> {
        Ok(self.opt_text(i)?.map(str::to_owned))
    }

    /// A non-negative integer column (positions, versions, counts).
    pub(crate) fn count(&self, i: usize) -> Result<u64> {
        Ok(self.int(i)?.max(0) as u64)
    }

    /// A column holding an RFC 3339 time.
    pub(crate) fn time(&self, i: usize) -> Result<jiff::Timestamp> {
        parse_time(self.text(i)?)
    }

    /// A column holding an RFC 3339 time, or NULL.
    pub(crate) fn opt_time(&self, i: usize) -> Result<Option<jiff::Timestamp>> {
        self.opt_text(i)?.map(parse_time).transpose()
    }
}

/// A stored RFC 3339 time.
pub(crate) fn parse_time(text: &str) -> Result<jiff::Timestamp> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("stored time {text:?}: {e}")))
}

/// How a transaction begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// A transaction that writes.
    Write,
    /// A read-only snapshot: every query in it sees the same committed state.
    Snapshot,
}

/// One connection.
pub trait Db {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64>;
    /// Runs a query and hands each row to `each`, in order.
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn RowRef) -> Result<()>,
    ) -> Result<()>;
    /// Begins a transaction.
    fn begin(&mut self, mode: Begin) -> Result<()>;
    /// Commits the open transaction.
    fn commit(&mut self) -> Result<()>;
    /// Rolls the open transaction back.
    fn rollback(&mut self) -> Result<()>;
    /// Runs savepoint statements (`SAVEPOINT`, `RELEASE`, `ROLLBACK TO`, several separated by
    /// `;`), in one round trip where the database allows it.
    fn savepoint(&mut self, statements: &str) -> Result<()>;
    /// Whether each statement is a round trip over a network (then several rows go in one
    /// statement), or a call into the same process (then one cached statement per row is
    /// cheaper).
    fn networked(&self) -> bool {
        false
    }
    /// Tells every node, when the open transaction commits, that an agreement or token
    /// changed, so they forget the credentials they cached. Nothing to tell where one
    /// process serves the database.
    fn credentials_changed(&mut self) -> Result<()> {
        Ok(())
    }
    /// Connects again if the connection was lost (a database restart or failover), so a
    /// long-lived writer recovers by itself. Embedded connections are never lost.
    fn ensure_connected(&mut self) -> Result<()> {
        Ok(())
    }
}

impl dyn Db + '_ {
    /// The first row of a query, if any.
    pub(crate) fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        mut map: impl FnMut(&dyn RowRef) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut out = None;
        self.query_each(sql, params, &mut |r| {
            if out.is_none() {
                out = Some(map(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Exactly one row (an aggregate, `RETURNING`).
    pub(crate) fn query_one<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        map: impl FnMut(&dyn RowRef) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, map)?
            .ok_or_else(|| StoreError::Corrupt("a query that returns one row returned none".into()))
    }

    /// Every row of a query.
    pub(crate) fn query_all<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        mut map: impl FnMut(&dyn RowRef) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.query_each(sql, params, &mut |r| {
            out.push(map(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs `f` in a transaction: committed when it succeeds, rolled back when it fails.
    pub(crate) fn transaction<T>(
        &mut self,
        mode: Begin,
        f: impl FnOnce(&mut dyn Db) -> Result<T>,
    ) -> Result<T> {
        self.begin(mode)?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                if let Err(r) = self.rollback() {
                    tracing::warn!(error = %r, "rollback failed");
                }
                Err(e)
            }
        }
    }
}
