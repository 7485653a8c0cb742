//! Answering a subset request straight from the stored text of the full common dataset.
//!
//! Filtering by subset ids only ever drops whole element subtrees, and the elements kept stay at their depth, so
//! the XML [`Consignment::to_xml`] writes for a subset is the XML it writes for [`Subsets::Full`] with some byte
//! ranges removed: each dropped element together with the white space in front of it. [`filter_xml`] removes them
//! in one pass over quick-xml's events, copying the kept bytes as they are, without building the dataset.

use std::borrow::Cow;
use std::ops::Range;

use quick_xml::events::{BytesStart, Event as XmlEvent};

use super::dataset::{ATTRIBUTES, DatasetError, error, next_event, reader};
use super::{COMMON_NAMESPACE, Consignment, ElementDef, ROOT_TYPE, Subsets, numbered_common_row, table};
#[cfg(doc)]
use crate::xml::MAX_XML_BYTES;
use crate::xml::tree;
use crate::xml::{MAX_DEPTH, MAX_ELEMENTS};

/// The dataset for `subsets`, taken from `full`, the text [`Consignment::to_xml`] wrote for [`Subsets::Full`].
///
/// For such a text the answer is byte for byte `Consignment::from_xml(full)?.to_xml(subsets)`, at a fraction of
/// the cost:
/// - [`Subsets::Full`] checks `full` as for the others and borrows it as it is;
/// - [`Subsets::Ids`] copies the elements kept by the rule of [`Consignment::filtered`] (an element is kept when
///   its row of [`table::COMMON`] has a requested subset id; a complex element whose children were all dropped is
///   dropped too) in one pass over the text, without building the dataset;
/// - [`Subsets::Identifier`] reads the dataset with [`Consignment::from_xml`] and writes it: the identifier dataset
///   has another namespace and leaves out incomplete transport means and equipment, which copying cannot do.
///
/// The text is meant to be one the projection wrote. It is checked enough that the answer is well-formed XML in
/// the common namespace made of elements the XSD defines where they are (an element it does not define in its
/// parent is refused, not left out, wherever the parent is kept), but not against the rest of the XSD: elements
/// out of the XSD's order, or missing ones, are not refused here as [`Consignment::from_xml`] refuses them. The other way round, characters XML 1.0 does not allow
/// (which the projection never writes) are refused in what is copied, where [`Consignment::from_xml`] passes them
/// on.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/documents/complete-domestic-pallets.json");
/// # let vector: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
/// # let bytes = serde_json::to_vec(&vector["document"])?;
/// use ecmr::efti::{Consignment, Subsets, filter_xml};
/// let doc = ecmr::verify::verify(&bytes, None)?;
/// let full = ecmr::efti::to_xml(&doc, &Subsets::Full)?;
/// let eu01 = Subsets::parse(["EU01"])?;
/// assert_eq!(filter_xml(&full, &eu01)?, Consignment::from_xml(&full)?.to_xml(&eu01));
/// assert!(filter_xml(&full.replace("</consignor>", "</consignee>"), &eu01).is_err());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`DatasetError`] for input over [`MAX_XML_BYTES`] or nested deeper than [`MAX_DEPTH`], XML that is not
/// well-formed (mismatched end tags, unknown entities, characters XML does not allow), DOCTYPE, processing
/// instructions, CDATA sections and comments, a root other than `consignment` in [`COMMON_NAMESPACE`], text in a
/// complex element, elements the XSD does not define in their (kept) parent, unknown attributes or namespace
/// prefixes; for [`Subsets::Identifier`], as
/// [`Consignment::from_xml`].
pub fn filter_xml<'a>(full: &'a str, subsets: &Subsets) -> Result<Cow<'a, str>, DatasetError> {
    match subsets {
        Subsets::Full => {
            Filter::new(full).run(&|_| true)?;
            Ok(Cow::Borrowed(full))
        }
        Subsets::Identifier => Ok(Cow::Owned(Consignment::from_xml(full)?.to_xml(subsets))),
        Subsets::Ids(ids) => {
            // The generated subset lists are sorted.
            let keep = |d: &ElementDef| ids.iter().any(|id| d.subsets.binary_search(&id.as_str()).is_ok());
            Filter::new(full).run(&keep).map(Cow::Owned)
        }
    }
}

/// An open element of the input.
struct Open<'a> {
    name: &'a str,
    /// `None` when the element is dropped (then so is everything inside it).
    kept: Option<Kept>,
}

/// An open element that is being copied.
struct Kept {
    /// The length of the output before the element and the white space in front of it.
    mark: usize,
    /// The XSD type of a complex element; `None` for a simple one.
    ty: Option<&'static str>,
    /// Whether it has child elements in the input, and whether any of them was kept.
    children: bool,
    kept_children: bool,
}

struct Filter<'a> {
    src: &'a str,
    out: String,
    stack: Vec<Open<'a>>,
    /// The white space read since the last tag inside a kept complex element: copied only if a kept element or
    /// the end tag follows.
    pending: Range<usize>,
    /// Whether each row of [`table::COMMON`] is kept, once known.
    decided: Vec<Option<bool>>,
}

impl<'a> Filter<'a> {
    fn new(src: &'a str) -> Filter<'a> {
        let out = String::with_capacity(src.len());
        Filter { src, out, stack: Vec::new(), pending: 0..0, decided: vec![None; table::COMMON.len()] }
    }

    fn err(&self, pos: usize, current: Option<&str>, message: impl Into<String>) -> DatasetError {
        let mut path: String = self.stack.iter().flat_map(|o| ["/", o.name]).collect();
        if let Some(name) = current {
            path.push('/');
            path.push_str(name);
        }
        error(self.src, pos, &path, message)
    }

    fn run(mut self, keep: &dyn Fn(&ElementDef) -> bool) -> Result<String, DatasetError> {
        let src = self.src;
        let mut reader = reader(src).map_err(|message| self.err(0, None, message))?;
        let (mut first, mut root_done, mut elements) = (true, false, 0usize);
        loop {
            let (pos, event) = next_event(&mut reader).map_err(|(at, message)| self.err(at, None, message))?;
            let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let raw = src.get(pos..end).unwrap_or_default();
            let is_first = std::mem::replace(&mut first, false);
            match event {
                XmlEvent::Start(s) | XmlEvent::Empty(s) if root_done => {
                    let name = AsRef::<str>::as_ref(&s.name()).to_owned();
                    return Err(self.err(pos, Some(&name), format!("element <{name}> after the root element")));
                }
                XmlEvent::Start(s) => {
                    elements += 1;
                    self.start(&s, raw, pos, elements, keep)?;
                }
                XmlEvent::Empty(s) => {
                    elements += 1;
                    self.start(&s, raw, pos, elements, keep)?;
                    self.end("");
                    root_done = self.stack.is_empty();
                }
                XmlEvent::End(_) => {
                    self.end(raw);
                    root_done = self.stack.is_empty();
                }
                XmlEvent::Text(_) => self.text(pos..end, false)?,
                XmlEvent::GeneralRef(r) => {
                    let name: &str = &r;
                    if !tree::resolve_ref(name).is_some_and(crate::xml::is_xml_char) {
                        return Err(self.err(pos, None, format!("unknown or invalid entity reference `&{name};`")));
                    }
                    self.text(pos..end, true)?;
                }
                XmlEvent::Decl(_) if is_first => self.out.push_str(raw),
                XmlEvent::Decl(_) => return Err(self.err(pos, None, "the XML declaration must come first")),
                XmlEvent::PI(_) | XmlEvent::DocType(_) | XmlEvent::CData(_) | XmlEvent::Comment(_) => {
                    let what = raw.get(..raw.len().min(9)).unwrap_or_default();
                    let message =
                        format!("`{what}…` is not allowed (no DOCTYPE, processing instructions, CDATA or comments)");
                    return Err(self.err(pos, None, message));
                }
                XmlEvent::Eof => break,
            }
        }
        if let Some(open) = self.stack.last() {
            let message = format!("input ends before <{}> is closed", open.name);
            return Err(self.err(src.len(), None, message));
        }
        if !root_done {
            return Err(self.err(src.len(), None, "no root element"));
        }
        Ok(self.out)
    }

    /// Opens an element: decides whether it is kept and, if it is, copies its start tag.
    fn start(
        &mut self,
        s: &BytesStart<'_>,
        raw: &'a str,
        pos: usize,
        elements: usize,
        keep: &dyn Fn(&ElementDef) -> bool,
    ) -> Result<(), DatasetError> {
        let name = raw.get(1..1 + s.name().as_ref().len()).unwrap_or_default();
        if self.stack.len() >= MAX_DEPTH {
            let message = format!("element <{name}> is nested deeper than {MAX_DEPTH} levels");
            return Err(self.err(pos, Some(name), message));
        }
        if elements > MAX_ELEMENTS {
            return Err(self.err(pos, Some(name), format!("more than {MAX_ELEMENTS} elements")));
        }
        if name.contains(':') {
            let message =
                format!("element <{name}> has a namespace prefix; the dataset uses the default namespace only");
            return Err(self.err(pos, Some(name), message));
        }
        let (mut namespace, mut other, mut count) = (None, None, 0);
        for attr in s.attributes() {
            count += 1;
            let attr = attr.map_err(|e| self.err(pos, Some(name), format!("malformed attribute in <{name}>: {e}")))?;
            let key: &str = attr.key.as_ref();
            match tree::attr_value(&attr.value) {
                Ok(v) if v.chars().all(crate::xml::is_xml_char) => {}
                Ok(_) => return Err(self.err(pos, Some(name), format!("character not allowed in XML in `{key}`"))),
                Err(e) => return Err(self.err(pos, Some(name), format!("invalid value of attribute `{key}`: {e}"))),
            }
            if key == "xmlns" {
                namespace = Some(attr.value);
            } else if !ATTRIBUTES.contains(&key) {
                other = other.or(Some(key.to_owned()));
            }
        }
        let kept = match self.stack.last_mut() {
            None => {
                if name != "consignment" {
                    let message =
                        format!("root element must be <consignment> in namespace {COMMON_NAMESPACE}, found <{name}>");
                    return Err(self.err(pos, Some(name), message));
                }
                match namespace.as_deref() {
                    Some(COMMON_NAMESPACE) => {}
                    None | Some("") => {
                        return Err(self.err(pos, Some(name), format!("element <{name}> has no namespace")));
                    }
                    Some(ns) => {
                        let message = format!("element <{name}> is in an unexpected namespace ({ns})");
                        return Err(self.err(pos, Some(name), message));
                    }
                }
                if count > 1 {
                    return Err(self.err(pos, Some(name), "the root element carries only `xmlns`"));
                }
                Some(Kept { mark: self.out.len(), ty: Some(ROOT_TYPE), children: false, kept_children: false })
            }
            Some(Open { kept: None, .. }) => None,
            Some(Open { kept: Some(parent), name: parent_name }) => {
                parent.children = true;
                let Some(ty) = parent.ty else {
                    let message = format!("element <{name}> is not allowed in <{parent_name}>");
                    return Err(self.err(pos, Some(name), message));
                };
                // The projection writes only elements the XSD defines: anything else is not its text (damaged, or
                // written by another version), and is refused rather than silently left out.
                let Some(row) = numbered_common_row(ty, name) else {
                    let message =
                        format!("element <{name}> is not defined in <{parent_name}> by consignment-common.xsd");
                    return Err(self.err(pos, Some(name), message));
                };
                // Rows repeat (every address has a city): each is decided once.
                let def = Some(row).filter(|&(i, d)| match self.decided.get_mut(i) {
                    Some(known) => *known.get_or_insert_with(|| keep(d)),
                    None => keep(d),
                });
                def.map(|(_, d)| Kept {
                    mark: self.out.len(),
                    ty: (!d.ty.contains(':')).then_some(d.ty),
                    children: false,
                    kept_children: false,
                })
            }
        };
        // Below the root, a kept element carries only the attributes the projection writes.
        if kept.is_some()
            && !self.stack.is_empty()
            && let Some(key) = other.or(namespace.map(|_| "xmlns".to_owned()))
        {
            return Err(self.err(pos, Some(name), format!("attribute `{key}` is not allowed on <{name}>")));
        }
        if kept.is_some() {
            self.out.push_str(self.src.get(self.pending.clone()).unwrap_or_default());
            self.out.push_str(raw);
        }
        self.pending = 0..0;
        self.stack.push(Open { name, kept });
        Ok(())
    }

    /// Closes the innermost element with end tag `raw` (empty for an empty-element tag).
    fn end(&mut self, raw: &str) {
        let pending = std::mem::replace(&mut self.pending, 0..0);
        let Some(Open { kept: Some(k), .. }) = self.stack.pop() else { return };
        if k.ty.is_some() && !k.kept_children && !raw.is_empty() {
            if k.children && !self.stack.is_empty() {
                // Every child was dropped: so is the element.
                self.out.truncate(k.mark);
                return;
            }
            // The output ends with the start tag: what is left is an empty element.
            self.out.pop();
            self.out.push_str("/>");
        } else {
            self.out.push_str(self.src.get(pending).unwrap_or_default());
            self.out.push_str(raw);
        }
        if let Some(Open { kept: Some(parent), .. }) = self.stack.last_mut() {
            parent.kept_children = true;
        }
    }

    /// Text (or a checked entity reference, `is_ref`) at `range`: the content of a kept simple element is copied,
    /// white space in a kept complex element waits for what follows, anything else in one is refused.
    fn text(&mut self, range: Range<usize>, is_ref: bool) -> Result<(), DatasetError> {
        let raw = self.src.get(range.clone()).unwrap_or_default();
        let blank = !is_ref && raw.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        // Where the first character that is not white space is.
        let at = range.start + raw.len() - raw.trim_start_matches([' ', '\t', '\n', '\r']).len();
        match self.stack.last() {
            Some(Open { kept: None, .. }) => Ok(()),
            Some(Open { kept: Some(Kept { ty: None, .. }), .. }) => {
                if !raw.chars().all(crate::xml::is_xml_char) || raw.contains("]]>") {
                    return Err(self.err(range.start, None, "text with a character or `]]>` XML does not allow"));
                }
                self.out.push_str(raw);
                Ok(())
            }
            Some(Open { name, .. }) if !blank => Err(self.err(at, None, format!("text is not allowed in <{name}>"))),
            Some(_) => {
                self.pending = range;
                Ok(())
            }
            None if blank => {
                self.out.push_str(raw);
                Ok(())
            }
            None => Err(self.err(at, None, "text outside the root element")),
        }
    }
}
