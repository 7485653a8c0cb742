//! What the concern modules write their SQL against, so that each statement and each piece of logic around it is
//! written once for both backends: a connection that runs a statement with its parameters ([`Conn`]), the values
//! bound ([`Param`]), a row read by column position ([`Row`]), and the builders of the statements whose shape
//! depends on the input (multi-row inserts, optional filters).
//!
//! Statements use `$1`, `$2`… placeholders. PostgreSQL numbers them itself; SQLite takes `$1` as a named parameter
//! and numbers named parameters in order of first appearance. So every statement lets its placeholders first
//! appear in ascending order, and a parameter bound at position `n` is then `$n` on both (the tests prove it for
//! every statement).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{StoreError, StoreResult, format_time, parse_time};

/// A value bound to a statement parameter. Each kind keeps its SQL type when it is NULL, which PostgreSQL needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param<'a> {
    /// Text (`TEXT`).
    Text(Option<Cow<'a, str>>),
    /// An integer (`INTEGER` on SQLite, `BIGINT` on PostgreSQL).
    Int(Option<i64>),
    /// A flag (`INTEGER` 0 or 1 on SQLite, `BOOLEAN` on PostgreSQL).
    Bool(Option<bool>),
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(s: &'a str) -> Self {
        Param::Text(Some(Cow::Borrowed(s)))
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(s: &'a String) -> Self {
        Param::Text(Some(Cow::Borrowed(s)))
    }
}

impl From<String> for Param<'_> {
    fn from(s: String) -> Self {
        Param::Text(Some(Cow::Owned(s)))
    }
}

impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(s: &'a Option<String>) -> Self {
        Param::Text(s.as_deref().map(Cow::Borrowed))
    }
}

impl From<Option<String>> for Param<'_> {
    fn from(s: Option<String>) -> Self {
        Param::Text(s.map(Cow::Owned))
    }
}

impl From<Uuid> for Param<'_> {
    fn from(id: Uuid) -> Self {
        Param::from(id.to_string())
    }
}

impl From<Option<Uuid>> for Param<'_> {
    fn from(id: Option<Uuid>) -> Self {
        Param::from(id.map(|i| i.to_string()))
    }
}

impl From<DateTime<Utc>> for Param<'_> {
    fn from(t: DateTime<Utc>) -> Self {
        Param::from(format_time(t))
    }
}

impl From<Option<DateTime<Utc>>> for Param<'_> {
    fn from(t: Option<DateTime<Utc>>) -> Self {
        Param::from(t.map(format_time))
    }
}

impl From<i64> for Param<'_> {
    fn from(i: i64) -> Self {
        Param::Int(Some(i))
    }
}

impl From<Option<i64>> for Param<'_> {
    fn from(i: Option<i64>) -> Self {
        Param::Int(i)
    }
}

impl From<bool> for Param<'_> {
    fn from(b: bool) -> Self {
        Param::Bool(Some(b))
    }
}

impl From<Option<bool>> for Param<'_> {
    fn from(b: Option<bool>) -> Self {
        Param::Bool(b)
    }
}

/// The parameters of one statement, in placeholder order.
pub(crate) type Params<'a> = Vec<Param<'a>>;

/// The SQL type a column is read as: SQLite says what a value is, PostgreSQL needs to be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text.
    Text,
    /// An integer.
    Int,
    /// A flag.
    Flag,
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    /// NULL.
    Null,
    /// Text.
    Text(String),
    /// An integer (also a flag on SQLite, 0 or 1).
    Int(i64),
    /// A flag (PostgreSQL).
    Flag(bool),
}

/// One result row, read by column position (the order of the statement's `SELECT` list). A backend reads one
/// value ([`Row::cell`]); the typed reads are written once on top of it.
pub(crate) trait Row {
    /// The value of column `i`, read as `kind`.
    fn cell(&self, i: usize, kind: Kind) -> StoreResult<Cell>;

    /// A text column that may be NULL.
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        match self.cell(i, Kind::Text)? {
            Cell::Null => Ok(None),
            Cell::Text(s) => Ok(Some(s)),
            other => Err(unexpected(i, &other)),
        }
    }
    /// A text column.
    fn text(&self, i: usize) -> StoreResult<String> {
        self.opt_text(i)?.ok_or_else(|| unexpected(i, &Cell::Null))
    }
    /// An integer column that may be NULL.
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        match self.cell(i, Kind::Int)? {
            Cell::Null => Ok(None),
            Cell::Int(n) => Ok(Some(n)),
            other => Err(unexpected(i, &other)),
        }
    }
    /// An integer column.
    fn int(&self, i: usize) -> StoreResult<i64> {
        self.opt_int(i)?.ok_or_else(|| unexpected(i, &Cell::Null))
    }
    /// A flag column.
    fn flag(&self, i: usize) -> StoreResult<bool> {
        match self.cell(i, Kind::Flag)? {
            Cell::Flag(b) => Ok(b),
            Cell::Int(n) => Ok(n != 0),
            other => Err(unexpected(i, &other)),
        }
    }
    /// A text column holding a UUID.
    fn uuid(&self, i: usize) -> StoreResult<Uuid> {
        parse_uuid(&self.text(i)?)
    }
    /// A text column holding a UUID, or NULL.
    fn opt_uuid(&self, i: usize) -> StoreResult<Option<Uuid>> {
        self.opt_text(i)?.as_deref().map(parse_uuid).transpose()
    }
    /// A text column holding a time written by [`format_time`].
    fn time(&self, i: usize) -> StoreResult<DateTime<Utc>> {
        parse_time(&self.text(i)?)
    }
    /// A text column holding a time, or NULL.
    fn opt_time(&self, i: usize) -> StoreResult<Option<DateTime<Utc>>> {
        self.opt_text(i)?.as_deref().map(parse_time).transpose()
    }
}

/// A column holding what the schema does not allow there.
fn unexpected(i: usize, found: &Cell) -> StoreError {
    StoreError::Corrupt { what: "column value", value: format!("column {i}: {found:?}") }
}

/// Reads a stored UUID.
pub(crate) fn parse_uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| StoreError::Corrupt { what: "uuid", value: s.to_owned() })
}

/// A connection (or transaction) of either backend. SQLite's methods run the statement before they return, so
/// the future is ready at once and an `await` on it never leaves the calling thread; PostgreSQL's wait for the
/// server.
pub(crate) trait Conn: Send {
    /// Runs a statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Runs a query; `map` reads each row.
    fn fetch<T: Send>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        map: impl Fn(&dyn Row) -> StoreResult<T> + Send,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send;

    /// Runs a query for at most one row.
    fn fetch_optional<T: Send>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        map: impl Fn(&dyn Row) -> StoreResult<T> + Send,
    ) -> impl Future<Output = StoreResult<Option<T>>> + Send {
        async move { Ok(self.fetch(sql, params, map).await?.into_iter().next()) }
    }
}

/// Savepoint statements: a part of a write batch runs between [`SAVEPOINT`] and [`RELEASE`], or is undone with
/// [`ROLLBACK_TO`] when it fails, so that the other parts stand (see [`in_savepoint`]).
pub(crate) const SAVEPOINT: &str = "SAVEPOINT part";
/// See [`SAVEPOINT`].
pub(crate) const RELEASE: &str = "RELEASE SAVEPOINT part";
/// See [`SAVEPOINT`].
pub(crate) const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT part";

/// Ends the savepoint opened with [`SAVEPOINT`] before the work that gave `result`: released when the work
/// succeeded, rolled back (then released) when it failed.
pub(crate) async fn end_savepoint<C: Conn, T>(conn: &mut C, result: StoreResult<T>) -> StoreResult<T> {
    match result {
        Ok(value) => conn.execute(RELEASE, &[]).await.map(|_| value),
        Err(e) => {
            if conn.execute(ROLLBACK_TO, &[]).await.is_ok() {
                let _ = conn.execute(RELEASE, &[]).await;
            }
            Err(e)
        }
    }
}

/// Opens a savepoint for the next part of a batch; the caller ends it with [`end_savepoint`].
pub(crate) async fn savepoint<C: Conn>(conn: &mut C) -> StoreResult<()> {
    conn.execute(SAVEPOINT, &[]).await.map(|_| ())
}

/// Rows per multi-row INSERT, well under either database's bound-parameter limit.
pub(crate) const CHUNK: usize = 100;

/// The multi-row form of a single-row `INSERT … VALUES ($1, …, $n) …`: the values group repeated `rows` times,
/// numbered on (`($1, $2), ($3, $4)`), and whatever follows the group (`ON CONFLICT …`, `RETURNING …`) kept.
pub(crate) fn multi_row(insert: &str, rows: usize) -> String {
    let (head, group_and_tail) = insert.split_once(" VALUES (").unwrap_or((insert, ""));
    let (group, tail) = group_and_tail.split_once(')').unwrap_or((group_and_tail, ""));
    let columns = group.matches('$').count();
    let mut sql = String::with_capacity(insert.len() + rows * columns * 6);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "${}", r * columns + c + 1);
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// Runs a single-row `INSERT` statement for many rows, [`CHUNK`] rows per statement; `row` gives each item's
/// parameters in the statement's column order.
pub(crate) async fn insert_rows<'a, C: Conn, T: Sync>(
    conn: &mut C,
    insert: &str,
    items: &'a [T],
    row: impl Fn(&'a T) -> Params<'a> + Send,
) -> StoreResult<()> {
    for chunk in items.chunks(CHUNK) {
        let params: Params<'a> = chunk.iter().flat_map(&row).collect();
        conn.execute(&multi_row(insert, chunk.len()), &params).await?;
    }
    Ok(())
}

/// A statement whose text depends on the input (optional filters, `IN` lists), with its parameters: each
/// [`Builder::bind`] writes the next placeholder, so they appear in ascending order by construction.
#[derive(Debug, Default)]
pub(crate) struct Builder<'a> {
    /// The statement so far.
    pub(crate) sql: String,
    /// Its parameters.
    pub(crate) params: Params<'a>,
}

impl<'a> Builder<'a> {
    /// A statement starting with `sql`.
    pub(crate) fn new(sql: &str) -> Self {
        Builder { sql: sql.to_owned(), params: Vec::new() }
    }

    /// Appends text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends the next placeholder, bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Param<'a>>) -> &mut Self {
        self.params.push(value.into());
        let _ = write!(self.sql, "${}", self.params.len());
        self
    }

    /// Appends `(p1, p2, …)`, one placeholder per value.
    pub(crate) fn bind_list<P: Into<Param<'a>>>(&mut self, values: impl IntoIterator<Item = P>) -> &mut Self {
        self.sql.push('(');
        for (n, v) in values.into_iter().enumerate() {
            if n > 0 {
                self.sql.push_str(", ");
            }
            self.bind(v);
        }
        self.sql.push(')');
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_repeats_the_values_group_and_keeps_the_tail() {
        let one = "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING a";
        assert_eq!(multi_row(one, 1), one);
        assert_eq!(
            multi_row(one, 3),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING RETURNING a"
        );
    }

    #[test]
    fn a_builder_numbers_its_placeholders_in_order() {
        let mut b = Builder::new("SELECT 1 FROM t WHERE a = ");
        b.bind("x").push(" AND b IN ").bind_list(["y", "z"]).push(" AND c = ").bind(3_i64);
        assert_eq!(b.sql, "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3) AND c = $4");
        assert_eq!(b.params.len(), 4);
    }
}
