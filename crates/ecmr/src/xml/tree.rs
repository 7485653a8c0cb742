//! A small, bounded element tree: the XML text is parsed into it with every hostile construct refused, and the
//! writer prints it back deterministically.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::{MAX_DEPTH, MAX_ELEMENTS, MAX_XML_BYTES, XmlError};

/// A namespace of a vocabulary: its URI and the prefix written for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Namespace {
    /// The namespace name (URI).
    pub(crate) uri: &'static str,
    /// The prefix elements in it are written and named with.
    pub(crate) prefix: &'static str,
}

/// The XML Schema instance namespace (`xsi:schemaLocation`).
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// What a document may contain, given by the caller: its namespaces and its root element.
pub(crate) struct Vocabulary {
    /// The namespaces elements may be in; any other is refused. The writer declares them all on the root.
    pub(crate) namespaces: &'static [Namespace],
    /// The root element's namespace and local name.
    pub(crate) root: (Namespace, &'static str),
    /// Whether an `xsi:schemaLocation` hint on the root is accepted (and dropped).
    pub(crate) schema_location: bool,
}

impl Vocabulary {
    fn namespace(&self, uri: &str) -> Option<Namespace> {
        self.namespaces.iter().copied().find(|ns| ns.uri == uri)
    }
}

/// One element: its name, attributes (without namespace declarations), text and children.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub(crate) ns: Namespace,
    pub(crate) name: &'static str,
    /// Name as read (for elements parsed from text the name is owned here; `name` is then empty).
    pub(crate) read_name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) text: String,
    /// Byte offset of the first non-whitespace text, if any.
    pub(crate) text_pos: Option<usize>,
    pub(crate) children: Vec<Element>,
    /// Byte offset of the start tag.
    pub(crate) pos: usize,
}

impl Element {
    /// A new element for writing.
    pub(crate) fn new(ns: Namespace, name: &'static str) -> Self {
        Element {
            ns,
            name,
            read_name: String::new(),
            attrs: Vec::new(),
            text: String::new(),
            text_pos: None,
            children: Vec::new(),
            pos: 0,
        }
    }

    /// The local name.
    pub(crate) fn local(&self) -> &str {
        if self.read_name.is_empty() { self.name } else { &self.read_name }
    }

    /// `prefix:local` with the usual prefix of its namespace.
    pub(crate) fn qname(&self) -> String {
        format!("{}:{}", self.ns.prefix, self.local())
    }
}

/// Line and column (1-based, column in characters) of a byte offset.
pub(crate) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let upto = bytes.get(..pos.min(bytes.len())).unwrap_or(bytes);
    let line = 1 + upto.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + upto.iter().rev().take_while(|&&b| b != b'\n').filter(|&&b| (b & 0xC0) != 0x80).count();
    (line, column)
}

pub(crate) fn error_at(text: &str, pos: usize, message: impl Into<String>) -> XmlError {
    let (line, column) = line_col(text, pos);
    XmlError { line, column, message: message.into() }
}

pub(crate) fn resolve_ref(name: &str) -> Option<char> {
    match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        _ => {}
    }
    let num = name.strip_prefix('#')?;
    let (digits, radix) = match num.strip_prefix('x') {
        Some(h) => (h, 16),
        None => (num, 10),
    };
    if digits.is_empty() || digits.len() > 8 || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok().and_then(char::from_u32).filter(|&c| super::is_xml_char(c))
}

/// Why a reference does not resolve: a character reference to a character XML 1.0 does not allow is named as such.
pub(crate) fn ref_error(name: &str) -> String {
    let num = name.strip_prefix('#').unwrap_or_default();
    let (digits, radix) = match num.strip_prefix('x') {
        Some(h) => (h, 16),
        None => (num, 10),
    };
    match u32::from_str_radix(digits, radix).ok().and_then(char::from_u32) {
        Some(c) if !super::is_xml_char(c) && digits.len() <= 8 => {
            format!("character reference `&{name};` stands for {}, which XML 1.0 does not allow", super::char_name(c))
        }
        _ => format!("unknown or invalid entity reference `&{name};`"),
    }
}

/// Parses the text into the root element of `vocabulary`, refusing DOCTYPE, unknown entities, foreign
/// namespaces, processing instructions, excessive depth and size.
pub(crate) fn parse(text: &str, vocabulary: &Vocabulary) -> Result<Element, XmlError> {
    if text.len() > MAX_XML_BYTES {
        return Err(XmlError {
            line: 1,
            column: 1,
            message: format!("input is {} bytes, more than the {MAX_XML_BYTES} bytes allowed", text.len()),
        });
    }
    if let Some((pos, c)) = super::first_non_xml_char(text) {
        return Err(error_at(text, pos, format!("character {} is not allowed in XML 1.0", super::char_name(c))));
    }
    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    config.check_comments = true;

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut first = true;
    let mut elements = 0usize;
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let (resolved, event) = match reader.read_resolved_event() {
            Ok(r) => r,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(pos);
                return Err(error_at(text, at, format!("malformed XML: {e}")));
            }
        };
        let ns = match &resolved {
            ResolveResult::Bound(ns) => {
                vocabulary.namespace(AsRef::<str>::as_ref(&ns)).ok_or_else(|| AsRef::<str>::as_ref(&ns).to_owned())
            }
            ResolveResult::Unbound => Err(String::new()),
            ResolveResult::Unknown(p) => Err(format!("undeclared prefix `{p}`")),
        };
        let is_first = std::mem::replace(&mut first, false);
        let depth = stack.len();
        let (start, is_empty) = match event {
            Event::Start(s) => (s, false),
            Event::Empty(s) => (s, true),
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(error_at(text, pos, "malformed XML: closing tag without an open element"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
                continue;
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                push_text(text, &mut stack, &content, pos)?;
                continue;
            }
            Event::CData(c) => {
                let content = c.xml10_content();
                if stack.is_empty() {
                    return Err(error_at(text, pos, "text outside the root element"));
                }
                push_text(text, &mut stack, &content, pos)?;
                continue;
            }
            Event::GeneralRef(r) => {
                let name: &str = &r;
                let Some(c) = resolve_ref(name) else {
                    return Err(error_at(text, pos, ref_error(name)));
                };
                let mut buf = [0u8; 4];
                push_text(text, &mut stack, c.encode_utf8(&mut buf), pos)?;
                if let Some(top) = stack.last_mut() {
                    top.text_pos.get_or_insert(pos);
                }
                continue;
            }
            Event::Comment(_) => continue,
            Event::Decl(_) if is_first => continue,
            Event::Decl(_) => {
                return Err(error_at(text, pos, "the XML declaration must come first"));
            }
            Event::PI(pi) => {
                return Err(error_at(
                    text,
                    pos,
                    format!("processing instruction `<?{}?>` is not allowed", pi.target()),
                ));
            }
            Event::DocType(_) => {
                return Err(error_at(text, pos, "DOCTYPE is not allowed (no DTDs or entity definitions)"));
            }
            Event::Eof => break,
        };
        let local = AsRef::<str>::as_ref(&start.local_name()).to_owned();
        let raw = AsRef::<str>::as_ref(&start.name()).to_owned();
        if depth >= MAX_DEPTH {
            return Err(error_at(text, pos, format!("element <{raw}> is nested deeper than {MAX_DEPTH} levels")));
        }
        if root.is_some() {
            return Err(error_at(text, pos, format!("element <{raw}> after the root element")));
        }
        elements += 1;
        if elements > MAX_ELEMENTS {
            return Err(error_at(text, pos, format!("more than {MAX_ELEMENTS} elements")));
        }
        let ns = match ns {
            Ok(ns) => ns,
            Err(uri) if uri.is_empty() => {
                return Err(error_at(text, pos, format!("element <{raw}> has no namespace")));
            }
            Err(uri) => {
                return Err(error_at(text, pos, format!("element <{raw}> is in an unexpected namespace ({uri})")));
            }
        };
        let (root_ns, root_name) = vocabulary.root;
        if depth == 0 && (ns != root_ns || local != root_name) {
            return Err(error_at(
                text,
                pos,
                format!(
                    "root element must be <{}:{root_name}> in namespace {}, found <{raw}>",
                    root_ns.prefix, root_ns.uri
                ),
            ));
        }
        let mut el = Element::new(ns, "");
        el.read_name = local;
        el.pos = pos;
        for attr in start.attributes() {
            let attr = attr.map_err(|e| error_at(text, pos, format!("malformed attribute in <{raw}>: {e}")))?;
            let key = AsRef::<str>::as_ref(&attr.key).to_owned();
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            let value = attr_value(&attr.value)
                .map_err(|e| error_at(text, pos, format!("invalid value of attribute `{key}` in <{raw}>: {e}")))?;
            if depth == 0 && vocabulary.schema_location {
                let (attr_ns, attr_local) = reader.resolver().resolve_attribute(attr.key);
                let is_xsi = matches!(attr_ns, ResolveResult::Bound(n) if AsRef::<str>::as_ref(&n) == NS_XSI);
                if is_xsi && AsRef::<str>::as_ref(&attr_local) == "schemaLocation" {
                    continue;
                }
            }
            el.attrs.push((key, value));
        }
        if is_empty {
            match stack.last_mut() {
                Some(parent) => parent.children.push(el),
                None => root = Some(el),
            }
        } else {
            stack.push(el);
        }
    }
    if let Some(open) = stack.last() {
        return Err(error_at(text, text.len(), format!("input ends before <{}> is closed", open.qname())));
    }
    root.ok_or_else(|| error_at(text, text.len(), "no root element"))
}

/// Attribute-value normalisation of XML 1.0 (line ends and tabs become spaces) with the predefined entities and
/// character references resolved; any other entity is refused.
pub(crate) fn attr_value(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        match c {
            '&' => {
                let Some(end) = rest.find(';') else {
                    return Err("`&` without `;`".into());
                };
                let name = rest.get(1..end).unwrap_or_default();
                let Some(r) = resolve_ref(name) else {
                    return Err(ref_error(name));
                };
                out.push(r);
                rest = rest.get(end + 1..).unwrap_or_default();
                continue;
            }
            '\r' if rest.starts_with("\r\n") => {
                out.push(' ');
                rest = rest.get(2..).unwrap_or_default();
                continue;
            }
            '\r' | '\n' | '\t' => out.push(' '),
            '<' => return Err("`<` in an attribute value".into()),
            _ => out.push(c),
        }
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    Ok(out)
}

fn push_text(text: &str, stack: &mut [Element], content: &str, pos: usize) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(top) => {
            if top.text_pos.is_none() && !content.trim().is_empty() {
                let skip = text.get(pos..).map_or(0, |t| t.len() - t.trim_start().len());
                top.text_pos = Some(pos + skip);
            }
            top.text.push_str(content);
            Ok(())
        }
        None if content.trim().is_empty() => Ok(()),
        None => Err(error_at(text, pos, "text outside the root element")),
    }
}

/// Writes the tree as an XML document: declaration, 2-space indentation, the namespaces of `vocabulary`
/// declared on the root.
pub(crate) fn write(root: &Element, vocabulary: &Vocabulary) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_el(&mut out, root, 0, Some(vocabulary.namespaces));
    out
}

fn write_el(out: &mut String, el: &Element, depth: usize, declare: Option<&[Namespace]>) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push('<');
    out.push_str(&el.qname());
    for ns in declare.unwrap_or_default() {
        out.push_str(&format!(" xmlns:{}=\"{}\"", ns.prefix, ns.uri));
    }
    for (k, v) in &el.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_into(out, v, true);
        out.push('"');
    }
    if el.children.is_empty() {
        if el.text.is_empty() {
            out.push_str("/>\n");
        } else {
            out.push('>');
            escape_into(out, &el.text, false);
            out.push_str("</");
            out.push_str(&el.qname());
            out.push_str(">\n");
        }
        return;
    }
    out.push_str(">\n");
    for c in &el.children {
        write_el(out, c, depth + 1, None);
    }
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str("</");
    out.push_str(&el.qname());
    out.push_str(">\n");
}

/// Escapes markup characters; characters a parser would normalise (CR, and in attributes TAB and LF) and U+007F
/// are written as numeric character references so they read back unchanged. Characters XML 1.0 does not allow at
/// all ([`super::is_xml_char`]) are written as references too, which no reader accepts: callers refuse such text
/// first ([`super::try_to_string`], note validation).
fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\t' | '\n' if attribute => out.push_str(&format!("&#x{:X};", u32::from(c))),
            '\t' | '\n' => out.push(c),
            '\r' | '\u{0}'..='\u{1F}' | '\u{7F}' | '\u{FFFE}' | '\u{FFFF}' => {
                out.push_str(&format!("&#x{:X};", u32::from(c)));
            }
            _ => out.push(c),
        }
    }
}
