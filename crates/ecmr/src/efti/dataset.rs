//! Reading a full common dataset back: the XML [`Consignment::to_xml`] writes for [`Subsets::Full`] becomes the
//! [`Consignment`] it was written from, so that a store can keep one XML text per document and answer any subset
//! from it without the signed document (see [`Consignment::from_xml`]).
//!
//! The reader is the bounded tree reader of [`crate::xml`] (no DOCTYPE, no entities beyond the predefined ones,
//! limited size, depth and element count) with the common dataset's namespace as its only namespace. On top of it
//! every element must be one `consignment-common.xsd` defines in its parent's type, in the XSD's order; simple
//! elements carry text and only the attributes the projection writes, complex elements carry neither.

#[cfg(doc)]
use super::Subsets;
use super::{Consignment, Element, ElementDef, ROOT_TYPE, lookup, table};
use crate::xml::tree::{self, Element as XmlElement, line_col};

/// The attributes the projection writes on simple elements.
const ATTRIBUTES: [&str; 4] = ["currencyId", "formatId", "schemeAgencyId", "unitId"];

/// Why a common-dataset XML text was refused: where (line, column, element path) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {path}: {message}")]
pub struct DatasetError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Path of the element concerned, e.g. `/consignment/consignor/name` (empty for malformed XML).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn error(src: &str, pos: usize, path: &str, message: impl Into<String>) -> DatasetError {
    let (line, column) = line_col(src, pos);
    DatasetError { line, column, path: path.to_owned(), message: message.into() }
}

impl Consignment {
    /// Reads the full common dataset (what [`Consignment::to_xml`] writes for [`Subsets::Full`]) back into the
    /// consignment it was written from: `Consignment::from_xml(&c.to_xml(&Subsets::Full)) == Ok(c)`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/documents/complete-domestic-pallets.json");
    /// # let vector: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    /// # let bytes = serde_json::to_vec(&vector["document"])?;
    /// use ecmr::efti::{Consignment, Subsets};
    /// let doc = ecmr::verify::verify(&bytes, None)?;
    /// let full = ecmr::efti::to_xml(&doc, &Subsets::Full)?;
    /// // Kept as text, then any subset is answered from it alone.
    /// let stored = Consignment::from_xml(&full)?;
    /// let eu01 = Subsets::parse(["EU01"])?;
    /// assert_eq!(stored.to_xml(&eu01), ecmr::efti::to_xml(&doc, &eu01)?);
    /// assert!(Consignment::from_xml(&full.replace("<consignor>", "<shipper>")).is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`DatasetError`] for malformed or hostile XML, another root or namespace, an element the XSD does not
    /// define where it stands or out of the XSD's order, text in a complex element, children or unknown attributes
    /// on a simple one.
    pub fn from_xml(xml: &str) -> Result<Consignment, DatasetError> {
        let root = tree::parse_in(xml, &tree::EFTI_COMMON).map_err(|e| DatasetError {
            line: e.line,
            column: e.column,
            path: String::new(),
            message: e.message,
        })?;
        let mut path = String::from("/consignment");
        if let Some((k, _)) = root.attrs.first() {
            return Err(error(xml, root.pos, &path, format!("attribute `{k}` is not allowed on <consignment>")));
        }
        // The table row of every element is found while reading, so the consignment needs no second pass.
        let mut defs = Vec::new();
        let out = complex(xml, &root, ROOT_TYPE, "consignment", &mut path, &mut defs)?;
        Ok(Consignment { root: out, defs })
    }
}

/// Reads the children of complex element `el` of XSD type `ty`.
fn complex(
    src: &str,
    el: &XmlElement,
    ty: &str,
    name: &'static str,
    path: &mut String,
    defs: &mut Vec<(Option<&'static ElementDef>, usize)>,
) -> Result<Element, DatasetError> {
    if let Some(pos) = el.text_pos {
        return Err(error(src, pos, path, format!("text is not allowed in <{}>", el.local())));
    }
    let mut out = Element::new(name);
    let mut last_index = None;
    for c in &el.children {
        let len = path.len();
        path.push('/');
        path.push_str(c.local());
        let Some(def) = lookup(table::COMMON, ty, c.local()) else {
            return Err(error(src, c.pos, path, format!("<{}> is not an element of {ty}", c.local())));
        };
        if last_index.is_some_and(|i| def.index < i) {
            return Err(error(src, c.pos, path, format!("<{}> is out of the XSD's order in {ty}", c.local())));
        }
        last_index = Some(def.index);
        let at = defs.len();
        defs.push((Some(def), 0));
        let child = if def.ty.contains(':') {
            simple(src, c, def.name, path)?
        } else {
            if let Some((k, _)) = c.attrs.first() {
                return Err(error(src, c.pos, path, format!("attribute `{k}` is not allowed on <{}>", c.local())));
            }
            complex(src, c, def.ty, def.name, path, defs)?
        };
        let descendants = defs.len() - at - 1;
        if let Some(row) = defs.get_mut(at) {
            row.1 = descendants;
        }
        out.children.push(child);
        path.truncate(len);
    }
    Ok(out)
}

/// Reads simple element `el`: its text (kept exactly) and its attributes.
fn simple(src: &str, el: &XmlElement, name: &'static str, path: &str) -> Result<Element, DatasetError> {
    if let Some(c) = el.children.first() {
        return Err(error(src, c.pos, path, format!("element <{}> is not allowed in <{}>", c.local(), el.local())));
    }
    let mut out = Element::new(name);
    for (k, v) in &el.attrs {
        let Some(known) = ATTRIBUTES.iter().find(|a| **a == k.as_str()) else {
            return Err(error(src, el.pos, path, format!("attribute `{k}` is not allowed on <{}>", el.local())));
        };
        out.attributes.push((known, v.clone()));
    }
    out.text = Some(el.text.clone());
    Ok(out)
}
