//! The eFTI projection of a signed document: the common dataset (`consignment-common.xsd` v0.8) and the
//! identifier dataset (`consignment-identifier.xsd` v0.6) of the eFTI reference implementation, and their subsets.
//!
//! Pure functions: a verified document (its current note and its events) becomes an element tree
//! ([`Consignment`]), which is filtered by subset ids ([`Subsets`]) and written as XML. The mapping of each note
//! field is in `schemas/efti-mapping.md`; the element and subset table ([`table`]) is generated from the XSDs by
//! `tools/efti-subset-table.py`.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/documents/complete-domestic-pallets.json");
//! # let vector: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
//! # let bytes = serde_json::to_vec(&vector["document"])?;
//! let doc = ecmr::verify::verify(&bytes, None)?;
//! let consignment = ecmr::efti::project(&doc)?;
//! let xml = consignment.to_xml(&ecmr::efti::Subsets::parse(["EU01"])?);
//! assert!(xml.contains("<consignment xmlns=\"http://efti.eu/v1/consignment/common\">"));
//! let identifiers = consignment.to_xml(&ecmr::efti::Subsets::Identifier);
//! assert!(identifiers.contains("http://efti.eu/v1/consignment/identifier"));
//! # Ok(()) }
//! ```

mod dataset;
mod filter;
pub mod identifiers;
mod map;
mod received;
pub mod search;
#[rustfmt::skip]
pub mod table;

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event as XmlEvent};

use crate::document::{Document, Event};
use crate::model::ConsignmentNote;
use crate::verify::Verified;

pub use dataset::DatasetError;
pub use filter::filter_xml;
pub use map::{ROAD, ROAD_CONSIGNMENT_NOTE, project_parts};
pub use received::{Boxes, EDELIVERY_NAMESPACE, Finding, Received, is_dataset_xml};

/// Namespace of the common dataset.
pub const COMMON_NAMESPACE: &str = "http://efti.eu/v1/consignment/common";
/// Namespace of the identifier dataset.
pub const IDENTIFIER_NAMESPACE: &str = "http://efti.eu/v1/consignment/identifier";
/// The complex type of the root element `consignment` in both XSDs.
pub const ROOT_TYPE: &str = "SupplyChainConsignment";

/// One element of a complex type's sequence in an eFTI XSD (a row of the generated [`table`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementDef {
    /// The complex type whose sequence holds the element.
    pub parent: &'static str,
    /// The element's name.
    pub name: &'static str,
    /// Its type: an eFTI complex type name without prefix, or a prefixed `types:` / `codes:` / `xsd:` type.
    pub ty: &'static str,
    /// Position in the parent's sequence, from 0.
    pub index: u16,
    /// `minOccurs`.
    pub min: u32,
    /// `maxOccurs`; `None` for unbounded.
    pub max: Option<u32>,
    /// The subset ids of the element's `<subset id>` annotations, sorted.
    pub subsets: &'static [&'static str],
}

/// Looks up element `name` in complex type `parent` in a table ([`table::COMMON`] or [`table::IDENTIFIER`]).
pub fn lookup(table: &'static [ElementDef], parent: &str, name: &str) -> Option<&'static ElementDef> {
    // The two generated tables (statics, so each has one address) are indexed once by a hash map: reading and
    // filtering a dataset look up every element. Any other table is searched, as it is sorted.
    if std::ptr::eq(table, table::COMMON) {
        numbered_common_row(parent, name).map(|(_, d)| d)
    } else if std::ptr::eq(table, table::IDENTIFIER) {
        indexed(&IDENTIFIER_INDEX, table::IDENTIFIER, parent, name).map(|(_, d)| d)
    } else {
        table.binary_search_by(|d| (d.parent, d.name).cmp(&(parent, name))).ok().and_then(|i| table.get(i))
    }
}

/// [`lookup`] in [`table::COMMON`] with the row's position in the table.
pub(crate) fn numbered_common_row(parent: &str, name: &str) -> Option<(usize, &'static ElementDef)> {
    indexed(&COMMON_INDEX, table::COMMON, parent, name)
}

type Index = HashMap<(&'static str, &'static str), (usize, &'static ElementDef)>;
static COMMON_INDEX: OnceLock<Index> = OnceLock::new();
static IDENTIFIER_INDEX: OnceLock<Index> = OnceLock::new();

fn indexed(
    index: &'static OnceLock<Index>,
    table: &'static [ElementDef],
    parent: &str,
    name: &str,
) -> Option<(usize, &'static ElementDef)> {
    let index = index.get_or_init(|| table.iter().enumerate().map(|(i, d)| ((d.parent, d.name), (i, d))).collect());
    index.get(&(parent, name)).copied()
}

/// Whether `id` is a subset id the common XSD defines (`full` is not one; see [`Subsets::parse`]).
pub fn is_known_subset(id: &str) -> bool {
    table::SUBSET_IDS.binary_search(&id).is_ok()
}

/// Which part of the dataset is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subsets {
    /// The whole common dataset, unfiltered.
    Full,
    /// The identifier dataset (`consignment-identifier.xsd`).
    Identifier,
    /// The common dataset keeping only elements annotated with at least one of these subset ids.
    Ids(BTreeSet<String>),
}

/// Why a list of subset ids was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubsetError {
    /// No subset id was given.
    #[error("no subset id given (expected e.g. \"full\", \"identifier\" or \"EU01\")")]
    Empty,
    /// An id the XSD does not define.
    #[error("unknown subset id `{0}` (subset ids are case-sensitive, e.g. \"EU01\", \"EU05a\")")]
    Unknown(String),
}

impl Subsets {
    /// Reads a request's subset ids: any `full` means [`Subsets::Full`]; `identifier` alone means
    /// [`Subsets::Identifier`]; otherwise every id must be one the common XSD defines (see [`is_known_subset`]).
    ///
    /// # Errors
    /// [`SubsetError::Empty`] for no ids, [`SubsetError::Unknown`] naming the first unknown id.
    pub fn parse<I, S>(ids: I) -> Result<Subsets, SubsetError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = BTreeSet::new();
        let mut full = false;
        for id in ids {
            let id = id.as_ref();
            if id == "full" {
                full = true;
            } else if is_known_subset(id) {
                set.insert(id.to_owned());
            } else {
                return Err(SubsetError::Unknown(id.to_owned()));
            }
        }
        if full {
            Ok(Subsets::Full)
        } else if set.is_empty() {
            Err(SubsetError::Empty)
        } else if set.len() == 1 && set.contains("identifier") {
            Ok(Subsets::Identifier)
        } else {
            Ok(Subsets::Ids(set))
        }
    }
}

/// An XML element of a dataset: name, attributes, text (for simple content) and children in XSD order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The local name (the namespace is the dataset's).
    pub name: &'static str,
    /// Attributes such as `formatId`, `unitId`, `currencyId`.
    pub attributes: Vec<(&'static str, String)>,
    /// Text content of a simple-content element.
    pub text: Option<String>,
    /// Child elements of a complex element.
    pub children: Vec<Element>,
}

impl Element {
    /// An element without content.
    pub fn new(name: &'static str) -> Element {
        Element { name, attributes: Vec::new(), text: None, children: Vec::new() }
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children named `name`, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first element at a `/`-separated path of child names below this one, e.g.
    /// `"consignor/postalAddress/cityName"` from the root.
    pub fn find(&self, path: &str) -> Option<&Element> {
        path.split('/').try_fold(self, |e, name| e.child(name))
    }

    /// The text of the element at `path` (see [`Element::find`]).
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.find(path).and_then(|e| e.text.as_deref())
    }

    /// The value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    fn is_empty(&self) -> bool {
        self.text.is_none() && self.children.is_empty()
    }
}

/// Why a document could not be projected. A document that passed [`crate::verify::verify`] always projects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectionError {
    /// The current note does not parse as a consignment note.
    #[error("the current note does not parse: {0}")]
    Note(String),
    /// An event's `data` does not parse for its kind.
    #[error("event {seq} (`{kind}`): data does not parse at `{pointer}`: {message}")]
    EventData {
        /// The event's `seq`.
        seq: u64,
        /// The event's kind.
        kind: String,
        /// JSON pointer inside `data`.
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

/// The common dataset of one consignment, unfiltered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consignment {
    root: Element,
    /// The table row of each element below the root, in document order, with the number of rows of its
    /// descendants: filtering then needs no look-ups.
    defs: Vec<(Option<&'static ElementDef>, usize)>,
}

/// Projects a verified document (its current note and its events) onto the eFTI common dataset.
///
/// # Errors
/// [`ProjectionError`] only if the verified note or an event's data fails to parse, which verification rules out.
pub fn project(doc: &Verified<Document>) -> Result<Consignment, ProjectionError> {
    let note: ConsignmentNote = doc.current_note_typed().map_err(|e| ProjectionError::Note(e.to_string()))?;
    project_parts(&note, &doc.get().events)
}

/// The XML of a verified document for `subsets` (see [`Consignment::to_xml`]).
///
/// # Errors
/// As [`project`].
pub fn to_xml(doc: &Verified<Document>, subsets: &Subsets) -> Result<String, ProjectionError> {
    Ok(project(doc)?.to_xml(subsets))
}

impl Consignment {
    pub(crate) fn from_root(root: Element) -> Consignment {
        let mut defs = Vec::new();
        annotate(&root, ROOT_TYPE, &mut defs);
        Consignment { root, defs }
    }

    /// The root element `consignment` of the full common dataset.
    pub fn root(&self) -> &Element {
        &self.root
    }

    /// The dataset for `subsets`, as an element tree.
    ///
    /// [`Subsets::Ids`] keeps an element when any of its `<subset id>` annotations is requested; elements whose
    /// children were all dropped are dropped too. [`Subsets::Identifier`] keeps the `identifier` subset, which
    /// is exactly the identifier dataset's elements, and leaves out elements lacking a child the identifier XSD
    /// requires (transport means or equipment without a registration country the code list knows).
    pub fn filtered(&self, subsets: &Subsets) -> Element {
        match subsets {
            Subsets::Full => self.root.clone(),
            Subsets::Ids(ids) => {
                // The generated subset lists are sorted.
                let keep = |d: &ElementDef| ids.iter().any(|id| d.subsets.binary_search(&id.as_str()).is_ok());
                filter(&self.root, &self.defs, &mut 0, &keep)
            }
            Subsets::Identifier => {
                let keep = |d: &ElementDef| d.subsets.binary_search(&"identifier").is_ok();
                let mut root = filter(&self.root, &self.defs, &mut 0, &keep);
                drop_incomplete(&mut root, ROOT_TYPE, table::IDENTIFIER);
                root
            }
        }
    }

    /// The XML document for `subsets`: the common dataset (namespace [`COMMON_NAMESPACE`]) or, for
    /// [`Subsets::Identifier`], the identifier dataset (namespace [`IDENTIFIER_NAMESPACE`]).
    pub fn to_xml(&self, subsets: &Subsets) -> String {
        let ns = if *subsets == Subsets::Identifier { IDENTIFIER_NAMESPACE } else { COMMON_NAMESPACE };
        write_xml(&self.filtered(subsets), ns)
    }
}

/// Records the [`table::COMMON`] row of every element below `e` (of complex type `ty`) in document order, each
/// with the number of rows recorded for its descendants.
fn annotate(e: &Element, ty: &str, out: &mut Vec<(Option<&'static ElementDef>, usize)>) {
    for c in &e.children {
        let def = lookup(table::COMMON, ty, c.name);
        let at = out.len();
        out.push((def, 0));
        if let Some(d) = def.filter(|d| !d.ty.contains(':')) {
            annotate(c, d.ty, out);
        }
        let descendants = out.len() - at - 1;
        if let Some(row) = out.get_mut(at) {
            row.1 = descendants;
        }
    }
}

/// Keeps the children of `e` that `keep` accepts, recursively; complex elements left without content are
/// dropped. `defs` is [`annotate`]'s record of the tree and `pos` the position of `e`'s first child in it.
fn filter(
    e: &Element,
    defs: &[(Option<&'static ElementDef>, usize)],
    pos: &mut usize,
    keep: &dyn Fn(&ElementDef) -> bool,
) -> Element {
    let mut out = Element { name: e.name, attributes: e.attributes.clone(), text: e.text.clone(), children: vec![] };
    for c in &e.children {
        let Some(&(def, descendants)) = defs.get(*pos) else { break };
        *pos += 1;
        if !def.is_some_and(keep) {
            *pos += descendants;
            continue;
        }
        let fc = filter(c, defs, pos, keep);
        // A complex element whose children were all filtered out carries nothing: drop it too.
        let emptied = fc.is_empty() && !c.is_empty();
        if !emptied {
            out.children.push(fc);
        }
    }
    out
}

/// Removes, bottom-up, the children of `e` (of complex type `ty`) that lack a child `table` requires.
fn drop_incomplete(e: &mut Element, ty: &str, table: &'static [ElementDef]) {
    e.children.retain_mut(|c| {
        let Some(def) = lookup(table, ty, c.name) else { return false };
        if def.ty.contains(':') {
            return true;
        }
        drop_incomplete(c, def.ty, table);
        table.iter().filter(|d| d.parent == def.ty && d.min > 0).all(|d| c.child(d.name).is_some())
    });
}

fn write_xml(root: &Element, ns: &str) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; errors are ignored rather than unwrapped.
    let _ = w.write_event(XmlEvent::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    write_element(&mut w, root, Some(ns));
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn write_element(w: &mut Writer<Vec<u8>>, e: &Element, ns: Option<&str>) {
    let mut start = BytesStart::new(e.name);
    if let Some(ns) = ns {
        start.push_attribute(("xmlns", ns));
    }
    for (k, v) in &e.attributes {
        start.push_attribute((*k, v.as_str()));
    }
    if e.is_empty() {
        let _ = w.write_event(XmlEvent::Empty(start));
        return;
    }
    let _ = w.write_event(XmlEvent::Start(start));
    if let Some(t) = &e.text {
        let _ = w.write_event(XmlEvent::Text(BytesText::new(t)));
    }
    for c in &e.children {
        write_element(w, c, None);
    }
    let _ = w.write_event(XmlEvent::End(BytesEnd::new(e.name)));
}

/// The events of a document, typed; used by [`project_parts`].
pub(crate) fn typed_events(events: &[Event]) -> Result<Vec<crate::document::EventData>, ProjectionError> {
    events
        .iter()
        .map(|ev| {
            crate::document::EventData::parse(ev.kind, &ev.data).map_err(|(pointer, message)| {
                ProjectionError::EventData { seq: ev.seq, kind: ev.kind.as_str().to_owned(), pointer, message }
            })
        })
        .collect()
}
