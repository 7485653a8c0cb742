//! Reading a full common dataset back: the XML [`Consignment::to_xml`] writes for [`Subsets::Full`] becomes the
//! [`Consignment`] it was written from, so that a store can keep one XML text per document and answer any subset
//! from it without the signed document (see [`Consignment::from_xml`]).
//!
//! The reader works on quick-xml's events directly and builds the dataset in one pass, each element resolved to
//! its row of the generated XSD table as it is read. It is as strict as the other readers: no DOCTYPE, no
//! processing instructions, no entities beyond the predefined ones and character references, the size, depth and
//! element limits of [`crate::xml`]; the common dataset's namespace as the root's default namespace and no
//! prefixes; every element one `consignment-common.xsd` defines in its parent's type, in the XSD's order; simple
//! elements carry text and only the attributes the projection writes, complex elements carry neither.

use quick_xml::events::{BytesStart, Event as XmlEvent};

#[cfg(doc)]
use super::Subsets;
use super::{COMMON_NAMESPACE, Consignment, Element, ElementDef, ROOT_TYPE, lookup, table};
use crate::xml::tree::{self, line_col};
use crate::xml::{MAX_DEPTH, MAX_ELEMENTS, MAX_XML_BYTES};

/// The attributes the projection writes on simple elements.
pub(super) const ATTRIBUTES: [&str; 4] = ["currencyId", "formatId", "schemeAgencyId", "unitId"];

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

/// The quick-xml reader of a dataset text, as both this reader and [`super::filter_xml`] read it (end tags checked
/// against their start, empty elements kept as such), or why the text is refused before reading: it is over
/// [`MAX_XML_BYTES`].
pub(super) fn reader(src: &str) -> Result<quick_xml::Reader<&[u8]>, String> {
    if src.len() > MAX_XML_BYTES {
        return Err(format!("input is {} bytes, more than the {MAX_XML_BYTES} bytes allowed", src.len()));
    }
    let mut reader = quick_xml::Reader::from_str(src);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    config.check_comments = true;
    Ok(reader)
}

/// The next event with the byte offset it starts at, or where the text stops being well-formed and why.
pub(super) fn next_event<'s>(
    reader: &mut quick_xml::Reader<&'s [u8]>,
) -> Result<(usize, XmlEvent<'s>), (usize, String)> {
    let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
    reader.read_event().map(|e| (pos, e)).map_err(|e| {
        let at = usize::try_from(reader.error_position()).unwrap_or(pos);
        (at, format!("malformed XML: {e}"))
    })
}

pub(super) fn error(src: &str, pos: usize, path: &str, message: impl Into<String>) -> DatasetError {
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
        Reader::new(xml).read()
    }
}

/// An element being read, with what its children are checked against.
struct Open {
    el: Element,
    /// The XSD type of a complex element; `None` for a simple one.
    ty: Option<&'static str>,
    /// The sequence index of the last child read (children must follow the XSD's order).
    last_index: Option<u16>,
    /// Where its row is in the consignment's table rows (`None` for the root).
    row: Option<usize>,
    /// The length of the path before this element's segment.
    path_len: usize,
}

/// A direct reader over quick-xml's events: every element resolved to its table row as it is read, so that the
/// dataset is built in one pass without an intermediate tree. The input is the gateway's own stored text, but it
/// is read as strictly as anything else.
struct Reader<'a> {
    src: &'a str,
    path: String,
    stack: Vec<Open>,
    defs: Vec<(Option<&'static ElementDef>, usize)>,
    root: Option<Element>,
    elements: usize,
}

impl<'a> Reader<'a> {
    fn new(src: &'a str) -> Reader<'a> {
        Reader { src, path: String::new(), stack: Vec::new(), defs: Vec::new(), root: None, elements: 0 }
    }

    fn err(&self, pos: usize, message: impl Into<String>) -> DatasetError {
        error(self.src, pos, &self.path, message)
    }

    fn read(mut self) -> Result<Consignment, DatasetError> {
        let src = self.src;
        let mut reader = reader(src).map_err(|message| self.err(0, message))?;
        if let Some((pos, c)) = crate::xml::first_non_xml_char(src) {
            return Err(self.err(pos, format!("character {} is not allowed in XML 1.0", crate::xml::char_name(c))));
        }
        let mut first = true;
        loop {
            let (pos, event) = next_event(&mut reader).map_err(|(at, message)| self.err(at, message))?;
            let is_first = std::mem::replace(&mut first, false);
            match event {
                XmlEvent::Start(s) => self.start(&s, pos, false)?,
                XmlEvent::Empty(s) => self.start(&s, pos, true)?,
                XmlEvent::End(_) => self.end(),
                XmlEvent::Text(t) => {
                    let content = t.xml10_content();
                    self.text(&content, pos)?;
                }
                XmlEvent::CData(c) => {
                    let content = c.xml10_content();
                    self.text(&content, pos)?;
                }
                XmlEvent::GeneralRef(r) => {
                    let name: &str = &r;
                    let Some(c) = tree::resolve_ref(name) else {
                        return Err(self.err(pos, tree::ref_error(name)));
                    };
                    let mut buf = [0u8; 4];
                    self.text(c.encode_utf8(&mut buf), pos)?;
                }
                XmlEvent::Comment(_) => {}
                XmlEvent::Decl(_) if is_first => {}
                XmlEvent::Decl(_) => return Err(self.err(pos, "the XML declaration must come first")),
                XmlEvent::PI(pi) => {
                    let target = pi.target().to_owned();
                    return Err(self.err(pos, format!("processing instruction `<?{target}?>` is not allowed")));
                }
                XmlEvent::DocType(_) => {
                    return Err(self.err(pos, "DOCTYPE is not allowed (no DTDs or entity definitions)"));
                }
                XmlEvent::Eof => break,
            }
        }
        if let Some(open) = self.stack.last() {
            let name = open.el.name;
            return Err(self.err(src.len(), format!("input ends before <{name}> is closed")));
        }
        let root = self.root.take().ok_or_else(|| self.err(src.len(), "no root element"))?;
        Ok(Consignment { root, defs: self.defs })
    }

    fn start(&mut self, start: &BytesStart<'_>, pos: usize, empty: bool) -> Result<(), DatasetError> {
        let raw = AsRef::<str>::as_ref(&start.name()).to_owned();
        if self.root.is_some() {
            return Err(self.err(pos, format!("element <{raw}> after the root element")));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(pos, format!("element <{raw}> is nested deeper than {MAX_DEPTH} levels")));
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(self.err(pos, format!("more than {MAX_ELEMENTS} elements")));
        }
        let path_len = self.path.len();
        self.path.push('/');
        self.path.push_str(&raw);
        let mut attrs = Vec::new();
        for attr in start.attributes() {
            let attr = attr.map_err(|e| self.err(pos, format!("malformed attribute in <{raw}>: {e}")))?;
            let key = AsRef::<str>::as_ref(&attr.key);
            let value = tree::attr_value(&attr.value)
                .map_err(|e| self.err(pos, format!("invalid value of attribute `{key}` in <{raw}>: {e}")))?;
            attrs.push((key.to_owned(), value));
        }
        if raw.contains(':') {
            return Err(self.err(
                pos,
                format!("element <{raw}> has a namespace prefix; the dataset uses the default namespace only"),
            ));
        }
        if let Some((k, _)) = attrs.iter().find(|(k, _)| k.starts_with("xmlns:")) {
            return Err(self.err(pos, format!("namespace prefix declaration `{k}` is not allowed")));
        }
        let open = match self.stack.last_mut() {
            None => {
                let ns = attrs.iter().find(|(k, _)| k == "xmlns").map(|(_, v)| v.as_str());
                if raw != "consignment" {
                    return Err(self.err(
                        pos,
                        format!(
                            "root element must be <efti:consignment> in namespace {COMMON_NAMESPACE}, found <{raw}>"
                        ),
                    ));
                }
                match ns {
                    Some(COMMON_NAMESPACE) => {}
                    None | Some("") => return Err(self.err(pos, format!("element <{raw}> has no namespace"))),
                    Some(other) => {
                        return Err(self.err(pos, format!("element <{raw}> is in an unexpected namespace ({other})")));
                    }
                }
                if let Some((k, _)) = attrs.iter().find(|(k, _)| k != "xmlns") {
                    return Err(self.err(pos, format!("attribute `{k}` is not allowed on <consignment>")));
                }
                Open { el: Element::new("consignment"), ty: Some(ROOT_TYPE), last_index: None, row: None, path_len }
            }
            Some(parent) => {
                let Some(ty) = parent.ty else {
                    let parent_name = parent.el.name;
                    return Err(self.err(pos, format!("element <{raw}> is not allowed in <{parent_name}>")));
                };
                let Some(def) = lookup(table::COMMON, ty, &raw) else {
                    return Err(self.err(pos, format!("<{raw}> is not an element of {ty}")));
                };
                if parent.last_index.is_some_and(|i| def.index < i) {
                    return Err(self.err(pos, format!("<{raw}> is out of the XSD's order in {ty}")));
                }
                parent.last_index = Some(def.index);
                if let Some((k, _)) = attrs.iter().find(|(k, _)| k == "xmlns") {
                    return Err(self.err(pos, format!("attribute `{k}` is not allowed on <{raw}>")));
                }
                let simple = def.ty.contains(':');
                let mut el = Element::new(def.name);
                for (k, v) in attrs {
                    let known = if simple { ATTRIBUTES.iter().find(|a| **a == k.as_str()) } else { None };
                    let Some(known) = known else {
                        return Err(self.err(pos, format!("attribute `{k}` is not allowed on <{raw}>")));
                    };
                    el.attributes.push((known, v));
                }
                if simple {
                    el.text = Some(String::new());
                }
                let row = self.defs.len();
                self.defs.push((Some(def), 0));
                Open { el, ty: (!simple).then_some(def.ty), last_index: None, row: Some(row), path_len }
            }
        };
        self.stack.push(open);
        if empty {
            self.end();
        }
        Ok(())
    }

    /// Closes the innermost element: its row learns how many rows its descendants took, and it joins its parent.
    fn end(&mut self) {
        let Some(open) = self.stack.pop() else { return };
        if let Some(row) = open.row {
            let descendants = self.defs.len() - row - 1;
            if let Some(r) = self.defs.get_mut(row) {
                r.1 = descendants;
            }
        }
        self.path.truncate(open.path_len);
        match self.stack.last_mut() {
            Some(parent) => parent.el.children.push(open.el),
            None => self.root = Some(open.el),
        }
    }

    fn text(&mut self, content: &str, pos: usize) -> Result<(), DatasetError> {
        match self.stack.last_mut() {
            Some(Open { ty: None, el, .. }) => {
                el.text.get_or_insert_with(String::new).push_str(content);
                Ok(())
            }
            Some(Open { el, .. }) if !content.trim().is_empty() => {
                let name = el.name;
                let skip = content.len() - content.trim_start().len();
                Err(self.err(pos + skip, format!("text is not allowed in <{name}>")))
            }
            Some(_) => Ok(()),
            None if content.trim().is_empty() => Ok(()),
            None => Err(self.err(pos, "text outside the root element")),
        }
    }
}
