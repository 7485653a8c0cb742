//! Identifier datasets registered by external platforms (eFTI platform API) and their search: the records and the
//! SQL for both backends, behind [`super::ControlStore::put_dataset`] and [`super::ControlStore::search_datasets`].

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreResult;
use super::audit::{self, AuditEntry};
use super::control::{IdentifierQuery, identifier_filters};
use super::sql::{Builder, Conn, Param, insert_rows};

/// An identifier dataset registered by an external platform, with its index rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformDataset {
    /// The registering platform's eFTI platform id.
    pub platform_id: String,
    /// The dataset id the platform chose.
    pub dataset_id: String,
    /// The platform principal that registered it.
    pub principal_id: Uuid,
    /// The identifier XML as received.
    pub xml: String,
    /// Its index rows.
    pub identifiers: Vec<PlatformIdentifier>,
    /// When it was (last) registered.
    pub updated_at: DateTime<Utc>,
}

/// One index row of a registered dataset (from `ecmr::efti::search::index_keys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformIdentifier {
    /// `vehicle`, `equipment` or `carried_equipment`.
    pub kind: String,
    /// The normalised identifier.
    pub value: String,
    /// Registration country of the means or equipment.
    pub country: Option<String>,
    /// Mode code of the movement; `None` for equipment of a dataset without movements.
    pub mode_code: Option<String>,
    /// Dangerous-goods flag of the movement; `None` as for `mode_code`.
    pub dangerous_goods: Option<bool>,
}

/// A registered dataset found by an identifier search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformHit {
    /// The registering platform's eFTI platform id.
    pub platform_id: String,
    /// The dataset id.
    pub dataset_id: String,
    /// The identifier XML as received.
    pub xml: String,
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

/// Whether a platform's dataset is registered.
pub(crate) const EXISTS: &str = "SELECT 1 FROM platform_datasets WHERE platform_id = $1 AND dataset_id = $2";
/// Registers a dataset or replaces its registration.
pub(crate) const UPSERT: &str = "INSERT INTO platform_datasets (platform_id, dataset_id, principal_id, xml, \
     updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform_id, dataset_id) DO UPDATE SET \
     principal_id = excluded.principal_id, xml = excluded.xml, updated_at = excluded.updated_at";
/// A dataset's index rows go, to be written again.
pub(crate) const DELETE_IDENTIFIERS: &str =
    "DELETE FROM platform_identifiers WHERE platform_id = $1 AND dataset_id = $2";
/// An index row of a dataset.
pub(crate) const INSERT_IDENTIFIER: &str = "INSERT INTO platform_identifiers (platform_id, dataset_id, kind, \
     value, country, mode_code, dangerous_goods) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// The search of registered datasets: the same lookup as for our own documents, on the datasets' index rows.
/// The limit is written into the statement, as in [`super::control::search_sql`].
pub(crate) fn search_sql(q: &IdentifierQuery) -> Builder<'_> {
    let mut b = Builder::new(
        "SELECT d.platform_id, d.dataset_id, d.xml FROM platform_datasets d WHERE EXISTS (SELECT 1 FROM \
         platform_identifiers i WHERE i.platform_id = d.platform_id AND i.dataset_id = d.dataset_id AND i.value = ",
    );
    identifier_filters(&mut b, q);
    let _ = write!(b.sql, ") ORDER BY d.platform_id, d.dataset_id LIMIT {}", q.limit);
    b
}

/// See [`super::ControlStore::put_dataset`]; the caller gives a transaction.
pub(crate) async fn put_dataset<C: Conn>(conn: &mut C, d: &PlatformDataset, entry: &AuditEntry) -> StoreResult<bool> {
    let key = [Param::from(&d.platform_id), (&d.dataset_id).into()];
    let replaced = conn.fetch_optional(EXISTS, &key, |_| Ok(())).await?.is_some();
    let params = [
        Param::from(&d.platform_id),
        (&d.dataset_id).into(),
        d.principal_id.into(),
        (&d.xml).into(),
        d.updated_at.into(),
    ];
    conn.execute(UPSERT, &params).await?;
    conn.execute(DELETE_IDENTIFIERS, &key).await?;
    insert_rows(conn, INSERT_IDENTIFIER, &d.identifiers, |i| {
        vec![
            (&d.platform_id).into(),
            (&d.dataset_id).into(),
            (&i.kind).into(),
            (&i.value).into(),
            (&i.country).into(),
            (&i.mode_code).into(),
            i.dangerous_goods.into(),
        ]
    })
    .await?;
    audit::append_many(conn, std::slice::from_ref(entry)).await?;
    Ok(replaced)
}

/// See [`super::ControlStore::search_datasets`].
pub(crate) async fn search_datasets<C: Conn>(conn: &mut C, q: &IdentifierQuery) -> StoreResult<Vec<PlatformHit>> {
    if q.value.is_empty() || q.limit == 0 {
        return Ok(Vec::new());
    }
    let b = search_sql(q);
    conn.fetch(&b.sql, &b.params, |r| {
        Ok(PlatformHit { platform_id: r.text(0)?, dataset_id: r.text(1)?, xml: r.text(2)? })
    })
    .await
}
