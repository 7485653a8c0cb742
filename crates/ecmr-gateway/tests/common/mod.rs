//! Shared test setup: a fresh store on every backend available.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::str::FromStr;

use ecmr_gateway::store::Store;
use ecmr_gateway::store::postgres::PgStore;
use ecmr_gateway::store::sqlite::SqliteStore;
use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;

/// A fresh, empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecmr-gw-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fresh SQLite store in its own directory.
pub async fn sqlite_store() -> (Store, PathBuf) {
    let dir = temp_dir("sqlite");
    let path = dir.join("ecmr.sqlite3");
    let store = Store::new(std::sync::Arc::new(SqliteStore::open(&path).await.expect("open sqlite")));
    (store, path)
}

/// The PostgreSQL URL for tests, if set.
pub fn postgres_url() -> Option<String> {
    std::env::var("ECMR_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty())
}

/// Connect options for a fresh schema of its own on the test PostgreSQL server.
pub async fn postgres_schema(url: &str) -> PgConnectOptions {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect to ECMR_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let _ = conn.close().await;
    PgConnectOptions::from_str(url).expect("postgres url").options([("search_path", schema.as_str())])
}

/// A fresh PostgreSQL store in a schema of its own, or `None` (and a "skipped" line) without a server.
pub async fn postgres_store(test: &str) -> Option<Store> {
    let Some(url) = postgres_url() else {
        println!("{test}: postgres skipped (ECMR_TEST_POSTGRES_URL is not set)");
        return None;
    };
    let options = postgres_schema(&url).await;
    Some(Store::new(std::sync::Arc::new(PgStore::connect_with(options).await.expect("open postgres"))))
}

/// Every backend available, each fresh: SQLite always, PostgreSQL when configured.
pub async fn stores(test: &str) -> Vec<Store> {
    let mut out = vec![sqlite_store().await.0];
    if let Some(pg) = postgres_store(test).await {
        out.push(pg);
    }
    out
}
