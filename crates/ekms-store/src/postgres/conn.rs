//! A pooled connection and the statements it has prepared.
//!
//! A statement sent unprepared (`query_typed`) is parsed, analysed and planned by PostgreSQL
//! every time: on the request path, about a third of the database's CPU per cached Encrypt
//! (BENCHMARKS.md, "Prepared statements"). Each connection here prepares a statement the
//! first time it runs it and keeps it for its life: later runs are one round trip (bind,
//! execute) and PostgreSQL reuses the parse tree and, after a few runs, a generic plan. The
//! cache belongs to the connection because a prepared statement does; a connection the
//! database closed is replaced with an empty cache.

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Row, Statement};
use r2d2_postgres::PostgresConnectionManager;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The most statements one connection keeps prepared. The store's statements are a few
/// dozen fixed texts; Locate's vary with the filters it combines, so the cache is bounded
/// (emptied when full: re-preparing is the cost of an unprepared run).
const MAX_PREPARED: usize = 128;

/// A connection of the pool: the client, and the statements it prepared, by text.
pub(super) struct PgConn {
    client: Client,
    prepared: HashMap<String, Statement>,
    /// The pool's count of statements prepared ([`super::PgPool::statements_prepared`]).
    prepares: Arc<AtomicU64>,
}

/// The parameters of a statement, each with its type (as `query_typed` takes them).
pub(super) type Params<'a> = [(&'a (dyn ToSql + Sync), Type)];

impl PgConn {
    /// `sql`, prepared on this connection with the types of `params` the first time, and
    /// the values to bind to it.
    fn bind<'p>(
        &mut self,
        sql: &str,
        params: &'p Params<'p>,
    ) -> Result<(Statement, Vec<&'p (dyn ToSql + Sync)>), postgres::Error> {
        let values = params.iter().map(|(v, _)| *v).collect();
        if let Some(s) = self.prepared.get(sql) {
            return Ok((s.clone(), values));
        }
        let types: Vec<Type> = params.iter().map(|(_, t)| t.clone()).collect();
        Ok((self.prepare(sql, &types)?, values))
    }

    /// Prepares `sql` with `types` (those left out inferred by PostgreSQL) and keeps it.
    fn prepare(&mut self, sql: &str, types: &[Type]) -> Result<Statement, postgres::Error> {
        let statement = self.client.prepare_typed(sql, types)?;
        self.prepares.fetch_add(1, Ordering::Relaxed);
        if self.prepared.len() >= MAX_PREPARED {
            self.prepared.clear();
        }
        self.prepared.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Runs `sql` (prepared once per connection, its parameter types inferred by PostgreSQL,
    /// for statements built from a request's filters) with `values`; its rows.
    pub(super) fn query_inferred(
        &mut self,
        sql: &str,
        values: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = match self.prepared.get(sql) {
            Some(s) => s.clone(),
            None => self.prepare(sql, &[])?,
        };
        self.client.query(&statement, values)
    }

    /// Runs `sql` (prepared once per connection) with `params`; its rows.
    pub(super) fn query_prepared<'p>(
        &mut self,
        sql: &str,
        params: &'p Params<'p>,
    ) -> Result<Vec<Row>, postgres::Error> {
        let (statement, values) = self.bind(sql, params)?;
        self.client.query(&statement, &values)
    }

    /// [`PgConn::query_prepared`] for a statement answering at most one row (the first).
    pub(super) fn query_prepared_opt<'p>(
        &mut self,
        sql: &str,
        params: &'p Params<'p>,
    ) -> Result<Option<Row>, postgres::Error> {
        Ok(self.query_prepared(sql, params)?.into_iter().next())
    }

    /// Runs `sql` (prepared once per connection) with `params`; the rows it changed.
    pub(super) fn execute_prepared<'p>(
        &mut self,
        sql: &str,
        params: &'p Params<'p>,
    ) -> Result<u64, postgres::Error> {
        let (statement, values) = self.bind(sql, params)?;
        self.client.execute(&statement, &values)
    }
}

impl std::ops::Deref for PgConn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// The pool's connection manager: `r2d2_postgres`'s, with a statement cache per connection.
#[derive(Debug)]
pub(super) struct Manager(PostgresConnectionManager<NoTls>, Arc<AtomicU64>);

impl Manager {
    /// The manager of connections to `config`, counting the statements they prepare in
    /// `prepares`.
    pub(super) fn new(config: postgres::Config, prepares: Arc<AtomicU64>) -> Self {
        Self(PostgresConnectionManager::new(config, NoTls), prepares)
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: self.0.connect()?,
            prepared: HashMap::new(),
            prepares: self.1.clone(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}
