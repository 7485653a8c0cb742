//! The identifier search of an eFTI gate: an authority's [`IdentifierQuery`] (the `identifierQuery` of the
//! reference implementation's `gate.xsd`, or its REST form `SearchWithIdentifiersRequestDto`), its validation
//! with the reference implementation's error codes, whether a consignment's identifier dataset
//! ([`IdentifierConsignment`]) [`matches()`] it, and the rows ([`index_keys`]) a gateway stores so that a query
//! is one indexed lookup (the rows a query selects are those for which [`IndexKey::selects`] holds).
//!
//! # Semantics
//!
//! - The identifier is compared with the `id` of every `usedTransportMeans` (type `means`, eFTI618),
//!   `usedTransportEquipment` (`equipment`, eFTI374) and `carriedTransportEquipment` (`carried`, eFTI448), or
//!   only of the types the query lists; no types means all three.
//! - Comparison is on normalised identifiers ([`normalise`]): letters and digits only, upper-cased. A query's
//!   identifier is ASCII letters and digits, typed with or without the [`IDENTIFIER_SEPARATORS`] (space,
//!   hyphen, dot) as a plate is painted: `4821 LMN`, `12-BXL-4`, `ab.123.cd`. The separators count neither in
//!   its length nor in the comparison, so this is a case-insensitive comparison that ignores the separators on
//!   both sides: `abc123` and `abc 123` find `ABC-123`.
//! - `registrationCountryCode` must equal the registration country of the matched means or equipment. It does
//!   not filter carried equipment, which has no registration country of its own in the XSD: a carried
//!   identifier is found whatever country the query gives, as in the reference implementation's search.
//! - `modeCode` and `dangerousGoodsIndicator` must hold for one and the same main-carriage movement: for a
//!   means, the movement it is used in; for equipment (which the XSD does not tie to a movement), any movement
//!   of the consignment. A consignment without movements matches no query that gives either filter.
//!
//! # Differences from the reference implementation
//!
//! The reference registry (`IdentifiersRepository.searchByCriteria`) joins each filter separately to the
//! consignment: an identifier matching anywhere, *some* movement with the mode code, *some* movement with the
//! dangerous-goods flag and *some* means or equipment with the registration country, the last one not for a
//! carried identifier. Here the filters apply to the matched means or equipment and to one movement, which is
//! what the query's documentation in `gate.xsd` describes ("registrationCountryCode - eFTI578/eFTI620
//! registration country of the identifier") and lets a gateway answer from one row per identifier; a carried
//! identifier, which has no registration country (eFTI448 has none), is not filtered by country, as there. The reference compares `UPPER(id)` exactly, so its own example
//! identifiers with dashes (`ABC-123`) cannot be found by a query its validation accepts; [`normalise`] drops
//! the separators on both sides instead. The reference validation allows only `^[A-Za-z0-9]*$`; spaces,
//! hyphens and dots are accepted here as well, which refuses nothing a reference client sends.
//!
//! ```
//! use ecmr::efti::search::{IdentifierQuery, IdentifierType, QueryError, matches};
//! let xml = r#"<consignment xmlns="http://efti.eu/v1/consignment/identifier">
//!   <usedTransportEquipment><id>ABCU-123456-7</id><registrationCountry><code>DE</code></registrationCountry></usedTransportEquipment>
//! </consignment>"#;
//! let c = ecmr::efti::identifiers::parse(xml)?;
//! let mut q = IdentifierQuery::new("abcu1234567");
//! assert!(matches(&c, &q));
//! q.identifier_types = vec![IdentifierType::Means];
//! assert!(!matches(&c, &q));
//! assert_eq!(IdentifierQuery::new("abcu 123456-7").validate(), Ok(()));
//! assert_eq!(IdentifierQuery::new("ABC_123").validate().unwrap_err().code(), "IDENTIFIER_INCORRECT_FORMAT");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::identifiers::{IDENTIFIER_MAX_CHARS, Identifier, IdentifierConsignment, TransportMovement};
use super::table;

/// What a query's identifier is compared with (`IdentifierType` of `gate.xsd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdentifierType {
    /// `means`: the `id` of a `usedTransportMeans` (eFTI618).
    Means,
    /// `equipment`: the `id` of a `usedTransportEquipment` (eFTI374).
    Equipment,
    /// `carried`: the `id` of a `carriedTransportEquipment` (eFTI448).
    Carried,
}

impl IdentifierType {
    /// The three types, which an empty type list stands for.
    pub const ALL: [IdentifierType; 3] = [IdentifierType::Means, IdentifierType::Equipment, IdentifierType::Carried];

    /// The name used in queries: `means`, `equipment` or `carried`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierType::Means => "means",
            IdentifierType::Equipment => "equipment",
            IdentifierType::Carried => "carried",
        }
    }

    /// The type named `name` (case-sensitive, as the XSD enumeration).
    pub fn parse(name: &str) -> Option<IdentifierType> {
        IdentifierType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// An identifier query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierQuery {
    /// The identifier searched for.
    pub identifier: String,
    /// The kinds of identifier to compare it with; empty for all three.
    pub identifier_types: Vec<IdentifierType>,
    /// `modeCode`: one digit.
    pub mode_code: Option<String>,
    /// `registrationCountryCode`: an ISO 3166-1 alpha-2 code of the eFTI code list.
    pub registration_country_code: Option<String>,
    /// `dangerousGoodsIndicator`.
    pub dangerous_goods_indicator: Option<bool>,
}

/// Why a query was refused. [`QueryError::code`] is the reference implementation's error code and the
/// `Display` text its description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// No identifier, or only whitespace.
    #[error("Identifier missing.")]
    IdentifierMissing,
    /// More than [`IDENTIFIER_MAX_CHARS`] characters, not counting the [`IDENTIFIER_SEPARATORS`].
    #[error("Identifier too long")]
    IdentifierTooLong,
    /// A character other than an ASCII letter or digit and the [`IDENTIFIER_SEPARATORS`].
    #[error("Identifier incorrect format")]
    IdentifierIncorrectFormat,
    /// An identifier type other than `means`, `equipment` and `carried`.
    #[error("Identifier type is incorrect")]
    IdentifierTypeIncorrect,
    /// A mode code that is not one digit.
    #[error("Mode Code Incorrect : must be one digit")]
    ModeCodeIncorrectFormat,
    /// A registration country not in the country code list.
    #[error("VehicleCountry incorrect")]
    RegistrationCountryIncorrect,
}

impl QueryError {
    /// The reference implementation's error code, e.g. `IDENTIFIER_TOO_LONG`.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::IdentifierMissing => "IDENTIFIER_MISSING",
            QueryError::IdentifierTooLong => "IDENTIFIER_TOO_LONG",
            QueryError::IdentifierIncorrectFormat => "IDENTIFIER_INCORRECT_FORMAT",
            QueryError::IdentifierTypeIncorrect => "IDENTIFIER_TYPE_INCORRECT",
            QueryError::ModeCodeIncorrectFormat => "MODE_CODE_INCORRECT_FORMAT",
            QueryError::RegistrationCountryIncorrect => "REGISTRATION_COUNTRY_INCORRECT",
        }
    }
}

impl IdentifierQuery {
    /// A query for `identifier` over all identifier types, without filters.
    pub fn new(identifier: impl Into<String>) -> IdentifierQuery {
        IdentifierQuery {
            identifier: identifier.into(),
            identifier_types: Vec::new(),
            mode_code: None,
            registration_country_code: None,
            dangerous_goods_indicator: None,
        }
    }

    /// A query from a request's raw parameters, validated (see [`IdentifierQuery::validate`]).
    ///
    /// # Errors
    /// [`QueryError`] for the first parameter refused, in the order: identifier, identifier types, mode code,
    /// registration country.
    pub fn from_request<S: AsRef<str>>(
        identifier: Option<&str>,
        identifier_types: &[S],
        mode_code: Option<&str>,
        registration_country_code: Option<&str>,
        dangerous_goods_indicator: Option<bool>,
    ) -> Result<IdentifierQuery, QueryError> {
        let identifier = identifier.ok_or(QueryError::IdentifierMissing)?;
        check_identifier(identifier)?;
        let identifier_types = identifier_types
            .iter()
            .map(|t| IdentifierType::parse(t.as_ref()).ok_or(QueryError::IdentifierTypeIncorrect))
            .collect::<Result<Vec<_>, _>>()?;
        let q = IdentifierQuery {
            identifier: identifier.to_owned(),
            identifier_types,
            mode_code: mode_code.map(str::to_owned),
            registration_country_code: registration_country_code.map(str::to_owned),
            dangerous_goods_indicator,
        };
        q.validate()?;
        Ok(q)
    }

    /// Checks the query as the reference implementation does, with its error codes: identifier present and
    /// not blank, at most [`IDENTIFIER_MAX_CHARS`] characters, matching `^[A-Za-z0-9]*$` once the
    /// [`IDENTIFIER_SEPARATORS`] (space, hyphen, dot) are removed (the reference allows none of them; an
    /// identifier of separators only is missing); mode code matching `^\d$`; registration country in the
    /// country code list ([`table::COUNTRY_CODES`], case-sensitive).
    ///
    /// # Errors
    /// [`QueryError`] for the first parameter refused.
    pub fn validate(&self) -> Result<(), QueryError> {
        check_identifier(&self.identifier)?;
        if let Some(m) = &self.mode_code
            && !(m.len() == 1 && m.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(QueryError::ModeCodeIncorrectFormat);
        }
        if let Some(c) = &self.registration_country_code
            && table::COUNTRY_CODES.binary_search(&c.as_str()).is_err()
        {
            return Err(QueryError::RegistrationCountryIncorrect);
        }
        Ok(())
    }

    /// Whether the query compares with identifiers of type `t`.
    pub fn searches(&self, t: IdentifierType) -> bool {
        self.identifier_types.is_empty() || self.identifier_types.contains(&t)
    }

    /// Whether a movement satisfies the query's mode-code and dangerous-goods filters.
    fn movement_fits(&self, m: &TransportMovement) -> bool {
        self.mode_code.as_ref().is_none_or(|c| *c == m.mode_code)
            && self.dangerous_goods_indicator.is_none_or(|d| d == m.dangerous_goods_indicator)
    }

    fn country_fits(&self, country: &str) -> bool {
        self.registration_country_code.as_ref().is_none_or(|c| c == country)
    }
}

/// The separators an identifier may be typed with, as painted on a plate or a container: space, hyphen, dot.
/// They are ignored when checking a query's identifier, and [`normalise`] drops them before comparing.
pub const IDENTIFIER_SEPARATORS: [char; 3] = [' ', '-', '.'];

fn check_identifier(identifier: &str) -> Result<(), QueryError> {
    let significant: Vec<char> = identifier.chars().filter(|c| !IDENTIFIER_SEPARATORS.contains(c)).collect();
    if identifier.trim().is_empty() || significant.is_empty() {
        return Err(QueryError::IdentifierMissing);
    }
    if significant.len() > IDENTIFIER_MAX_CHARS {
        return Err(QueryError::IdentifierTooLong);
    }
    if !significant.iter().all(char::is_ascii_alphanumeric) {
        return Err(QueryError::IdentifierIncorrectFormat);
    }
    Ok(())
}

/// The form in which identifiers are compared: letters and digits only (any script), upper-cased.
///
/// ```
/// assert_eq!(ecmr::efti::search::normalise(" abc-123/x "), "ABC123X");
/// ```
pub fn normalise(identifier: &str) -> String {
    identifier.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

/// Whether the consignment matches the query (see the module docs). The query is not validated here; an
/// identifier that normalises to nothing matches nothing.
pub fn matches(c: &IdentifierConsignment, q: &IdentifierQuery) -> bool {
    let wanted = normalise(&q.identifier);
    if wanted.is_empty() {
        return false;
    }
    let hit = |id: &Option<Identifier>| id.as_ref().is_some_and(|i| normalise(&i.value) == wanted);
    let movements = &c.main_carriage_transport_movements;
    let means = q.searches(IdentifierType::Means)
        && movements.iter().any(|m| {
            m.used_transport_means.as_ref().is_some_and(|t| hit(&t.id) && q.country_fits(&t.registration_country))
                && q.movement_fits(m)
        });
    if means {
        return true;
    }
    // Equipment is tied to no particular movement: any movement of the consignment may satisfy the filters.
    let filters_movement = q.mode_code.is_some() || q.dangerous_goods_indicator.is_some();
    if filters_movement && !movements.iter().any(|m| q.movement_fits(m)) {
        return false;
    }
    // Carried equipment has no registration country of its own: the country filter does not apply to it.
    c.used_transport_equipment.iter().any(|e| {
        (q.searches(IdentifierType::Equipment) && hit(&e.id) && q.country_fits(&e.registration_country))
            || (q.searches(IdentifierType::Carried) && e.carried_transport_equipment.iter().any(|ce| hit(&ce.id)))
    })
}

/// One row of a gateway's identifier index: an identifier of a consignment with what a query may filter on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexKey {
    /// The identifier, [`normalise`]d (never empty).
    pub identifier: String,
    /// Where it was found.
    pub identifier_type: IdentifierType,
    /// The registration country of the means or equipment; empty for carried equipment, which has none of its
    /// own and which the country filter does not apply to (see [`IndexKey::selects`]).
    pub registration_country: String,
    /// The mode code of the movement; `None` for equipment of a consignment without movements.
    pub mode_code: Option<String>,
    /// The dangerous-goods flag of the movement; `None` as for `mode_code`.
    pub dangerous_goods_indicator: Option<bool>,
}

impl IndexKey {
    /// Whether a lookup for the query selects this row. A consignment matches iff the query selects one of its
    /// rows. As the `WHERE` clause of a gateway's index query, each condition after the first only when the
    /// query gives that filter:
    ///
    /// ```sql
    /// identifier = :normalised_identifier
    ///   AND identifier_type IN (:types)
    ///   AND (identifier_type = 'carried' OR registration_country = :country)
    ///   AND mode_code = :mode_code
    ///   AND dangerous_goods_indicator = :dangerous_goods
    /// ```
    ///
    /// The country condition never excludes a carried row: carried equipment has no registration country, so
    /// the filter does not apply to it (its rows store an empty country, which no valid country code equals).
    pub fn selects(&self, q: &IdentifierQuery) -> bool {
        self.identifier == normalise(&q.identifier)
            && q.searches(self.identifier_type)
            && (self.identifier_type == IdentifierType::Carried || q.country_fits(&self.registration_country))
            && q.mode_code.as_ref().is_none_or(|m| self.mode_code.as_ref() == Some(m))
            && q.dangerous_goods_indicator.is_none_or(|d| self.dangerous_goods_indicator == Some(d))
    }
}

/// Every index row of a consignment, sorted and without duplicates: one per means identifier and movement,
/// and one per equipment or carried identifier and distinct (mode code, dangerous-goods flag) of the
/// consignment's movements (a single row without them when there are no movements). Carried rows have an
/// empty registration country. Identifiers that normalise to nothing are left out.
pub fn index_keys(c: &IdentifierConsignment) -> Vec<IndexKey> {
    let mut rows = Vec::new();
    let norm = |id: &Option<Identifier>| id.as_ref().map(|i| normalise(&i.value)).filter(|n| !n.is_empty());
    for m in &c.main_carriage_transport_movements {
        let Some(t) = &m.used_transport_means else { continue };
        if let Some(id) = norm(&t.id) {
            rows.push(IndexKey {
                identifier: id,
                identifier_type: IdentifierType::Means,
                registration_country: t.registration_country.clone(),
                mode_code: Some(m.mode_code.clone()),
                dangerous_goods_indicator: Some(m.dangerous_goods_indicator),
            });
        }
    }
    let mut legs: Vec<(Option<String>, Option<bool>)> = c
        .main_carriage_transport_movements
        .iter()
        .map(|m| (Some(m.mode_code.clone()), Some(m.dangerous_goods_indicator)))
        .collect();
    legs.sort();
    legs.dedup();
    if legs.is_empty() {
        legs.push((None, None));
    }
    for e in &c.used_transport_equipment {
        let ids = norm(&e.id).map(|id| (IdentifierType::Equipment, id)).into_iter().chain(
            e.carried_transport_equipment.iter().filter_map(|ce| norm(&ce.id)).map(|id| (IdentifierType::Carried, id)),
        );
        for (identifier_type, identifier) in ids {
            let registration_country = match identifier_type {
                IdentifierType::Carried => String::new(),
                _ => e.registration_country.clone(),
            };
            for (mode_code, dangerous_goods_indicator) in &legs {
                rows.push(IndexKey {
                    identifier: identifier.clone(),
                    identifier_type,
                    registration_country: registration_country.clone(),
                    mode_code: mode_code.clone(),
                    dangerous_goods_indicator: *dangerous_goods_indicator,
                });
            }
        }
    }
    rows.sort();
    rows.dedup();
    rows
}
