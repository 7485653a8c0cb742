//! The gate-to-gate messages of the RI's `edelivery/gate.xsd`, written and read strictly.
//!
//! There is no maintained pure-Rust XSD validator, so the reader enforces what `gate.xsd` says about each message
//! by hand, over quick-xml's namespace-resolved events: the root and every element in the eDelivery namespace
//! where the XSD puts it, in the XSD's order and number; the attributes each type has (`requestId`, `status`,
//! `uilQueryRequestId`, `type`, `schemeAgencyId`, plus `xsi:schemaLocation` on the root) and no others; the
//! `ResponseStatus` and `IdentifierType` enumerations, `xsd:boolean`, the follow-up message's `minLength` of 2.
//! The consignment a `uilResponse` carries is checked against `consignment-common.xsd` by
//! [`ecmr::efti::Received`], and each consignment of an `identifierResponse` against
//! `consignment-identifier.xsd` by [`ecmr::efti::identifiers::parse`]. Hostile XML (DOCTYPE, processing
//! instructions, unknown entities, more than [`ecmr::xml::MAX_XML_BYTES`] or [`ecmr::xml::MAX_DEPTH`]) is refused.
//! Tests check that every message written validates with `xmllint --schema gate.xsd` and that the corpus of
//! invalid messages in `tests/vectors/federation/invalid/` is refused both by xmllint and by [`read`].

use std::fmt::Write as _;

use ecmr::efti::identifiers::{self, IdentifierConsignment};
use ecmr::efti::{COMMON_NAMESPACE, EDELIVERY_NAMESPACE, IDENTIFIER_NAMESPACE};
use quick_xml::escape::escape;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A UIL: gate, platform, dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uil {
    /// The gate id.
    pub gate_id: String,
    /// The platform id.
    pub platform_id: String,
    /// The dataset id.
    pub dataset_id: String,
}

/// `uilQuery`: a consignment by UIL, in the subsets asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UilQuery {
    /// The authority's request id, carried through every hop.
    pub request_id: String,
    /// The consignment.
    pub uil: Uil,
    /// The subsets asked for.
    pub subsets: Vec<String>,
}

/// An eDelivery `Response`'s status (`ResponseStatus`).
pub const STATUSES: [&str; 8] = ["200", "400", "404", "500", "501", "502", "503", "504"];

/// `uilResponse`: the consignment (common dataset XML in its namespace) or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UilResponse {
    /// The request answered.
    pub request_id: Option<String>,
    /// One of [`STATUSES`].
    pub status: String,
    /// Why, for an error.
    pub description: Option<String>,
    /// The `consignment` element as a document in [`COMMON_NAMESPACE`].
    pub consignment: Option<String>,
}

/// `identifierQuery`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierQuery {
    /// The authority's request id.
    pub request_id: String,
    /// The identifier.
    pub identifier: String,
    /// `means`, `equipment`, `carried` (none: all).
    pub types: Vec<String>,
    /// `registrationCountryCode`.
    pub registration_country_code: Option<String>,
    /// `modeCode`.
    pub mode_code: Option<String>,
    /// `dangerousGoodsIndicator`.
    pub dangerous_goods_indicator: Option<bool>,
}

/// One consignment of an `identifierResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundConsignment {
    /// Its identifier dataset.
    pub consignment: IdentifierConsignment,
    /// Its UIL.
    pub uil: Uil,
}

/// `identifierResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierResponse {
    /// The request answered.
    pub request_id: Option<String>,
    /// One of [`STATUSES`].
    pub status: String,
    /// Why, for an error.
    pub description: Option<String>,
    /// What was found.
    pub consignments: Vec<FoundConsignment>,
}

/// `postFollowUpRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpRequest {
    /// This message's request id.
    pub request_id: String,
    /// The UIL query it follows up.
    pub uil_query_request_id: String,
    /// The consignment.
    pub uil: Uil,
    /// The message (at least 2 characters).
    pub message: String,
}

/// `postFollowUpResponse` (a bare `Response`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpResponse {
    /// The request answered.
    pub request_id: Option<String>,
    /// One of [`STATUSES`].
    pub status: String,
    /// Why, for an error.
    pub description: Option<String>,
}

/// Any gate-to-gate message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `uilQuery`.
    UilQuery(UilQuery),
    /// `uilResponse`.
    UilResponse(UilResponse),
    /// `identifierQuery`.
    IdentifierQuery(IdentifierQuery),
    /// `identifierResponse`.
    IdentifierResponse(IdentifierResponse),
    /// `postFollowUpRequest`.
    FollowUp(FollowUpRequest),
    /// `postFollowUpResponse`.
    FollowUpResponse(FollowUpResponse),
}

impl Message {
    /// The `requestId` it carries (a response may have none).
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Message::UilQuery(m) => Some(&m.request_id),
            Message::IdentifierQuery(m) => Some(&m.request_id),
            Message::FollowUp(m) => Some(&m.request_id),
            Message::UilResponse(m) => m.request_id.as_deref(),
            Message::IdentifierResponse(m) => m.request_id.as_deref(),
            Message::FollowUpResponse(m) => m.request_id.as_deref(),
        }
    }

    /// The root element's name.
    pub fn name(&self) -> &'static str {
        match self {
            Message::UilQuery(_) => "uilQuery",
            Message::UilResponse(_) => "uilResponse",
            Message::IdentifierQuery(_) => "identifierQuery",
            Message::IdentifierResponse(_) => "identifierResponse",
            Message::FollowUp(_) => "postFollowUpRequest",
            Message::FollowUpResponse(_) => "postFollowUpResponse",
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    escape(s)
}

fn write_uil(out: &mut String, prefix: &str, uil: &Uil) {
    let _ = write!(
        out,
        "<{prefix}uil><{prefix}gateId>{}</{prefix}gateId><{prefix}platformId>{}</{prefix}platformId>\
         <{prefix}datasetId>{}</{prefix}datasetId></{prefix}uil>",
        esc(&uil.gate_id),
        esc(&uil.platform_id),
        esc(&uil.dataset_id)
    );
}

fn response_attrs(out: &mut String, request_id: Option<&str>, status: &str) {
    let _ = write!(out, " status=\"{}\"", esc(status));
    if let Some(id) = request_id {
        let _ = write!(out, " requestId=\"{}\"", esc(id));
    }
}

/// The element part of an XML document: the text after the XML declaration.
fn without_declaration(xml: &str) -> &str {
    let t = xml.trim_start();
    match t.strip_prefix("<?xml").and_then(|r| r.find("?>").map(|i| &r[i + 2..])) {
        Some(rest) => rest.trim_start(),
        None => t,
    }
}

impl Message {
    /// The message as XML (UTF-8, no declaration).
    pub fn to_xml(&self) -> String {
        let mut o = String::with_capacity(512);
        match self {
            Message::UilQuery(m) => {
                let _ = write!(o, "<uilQuery xmlns=\"{EDELIVERY_NAMESPACE}\" requestId=\"{}\">", esc(&m.request_id));
                write_uil(&mut o, "", &m.uil);
                for s in &m.subsets {
                    let _ = write!(o, "<subsetId>{}</subsetId>", esc(s));
                }
                o.push_str("</uilQuery>");
            }
            Message::UilResponse(m) => {
                let _ = write!(o, "<uilResponse xmlns=\"{EDELIVERY_NAMESPACE}\"");
                response_attrs(&mut o, m.request_id.as_deref(), &m.status);
                o.push('>');
                if let Some(d) = &m.description {
                    let _ = write!(o, "<description>{}</description>", esc(d));
                }
                if let Some(c) = &m.consignment {
                    // Its root declares the common namespace as its default.
                    o.push_str(without_declaration(c));
                }
                o.push_str("</uilResponse>");
            }
            Message::IdentifierQuery(m) => {
                let _ =
                    write!(o, "<identifierQuery xmlns=\"{EDELIVERY_NAMESPACE}\" requestId=\"{}\">", esc(&m.request_id));
                o.push_str("<identifier");
                if !m.types.is_empty() {
                    let _ = write!(o, " type=\"{}\"", esc(&m.types.join(" ")));
                }
                let _ = write!(o, ">{}</identifier>", esc(&m.identifier));
                if let Some(c) = &m.registration_country_code {
                    let _ = write!(o, "<registrationCountryCode>{}</registrationCountryCode>", esc(c));
                }
                if let Some(c) = &m.mode_code {
                    let _ = write!(o, "<modeCode>{}</modeCode>", esc(c));
                }
                if let Some(d) = m.dangerous_goods_indicator {
                    let _ = write!(o, "<dangerousGoodsIndicator>{d}</dangerousGoodsIndicator>");
                }
                o.push_str("</identifierQuery>");
            }
            Message::IdentifierResponse(m) => {
                let _ = write!(o, "<ed:identifierResponse xmlns:ed=\"{EDELIVERY_NAMESPACE}\"");
                response_attrs(&mut o, m.request_id.as_deref(), &m.status);
                o.push('>');
                if let Some(d) = &m.description {
                    let _ = write!(o, "<ed:description>{}</ed:description>", esc(d));
                }
                for c in &m.consignments {
                    let _ = write!(o, "<ed:consignment xmlns=\"{IDENTIFIER_NAMESPACE}\">");
                    let xml = c.consignment.to_xml();
                    let element = without_declaration(&xml);
                    // The children of the identifier dataset's root, which declares the namespace made default here.
                    if let (Some(open), Some(close)) = (element.find('>'), element.rfind("</consignment>"))
                        && open < close
                        && !element[..open].ends_with('/')
                    {
                        o.push_str(&element[open + 1..close]);
                    }
                    write_uil(&mut o, "ed:", &c.uil);
                    o.push_str("</ed:consignment>");
                }
                o.push_str("</ed:identifierResponse>");
            }
            Message::FollowUp(m) => {
                let _ = write!(
                    o,
                    "<postFollowUpRequest xmlns=\"{EDELIVERY_NAMESPACE}\" requestId=\"{}\" uilQueryRequestId=\"{}\">",
                    esc(&m.request_id),
                    esc(&m.uil_query_request_id)
                );
                write_uil(&mut o, "", &m.uil);
                let _ = write!(o, "<message>{}</message></postFollowUpRequest>", esc(&m.message));
            }
            Message::FollowUpResponse(m) => {
                let _ = write!(o, "<postFollowUpResponse xmlns=\"{EDELIVERY_NAMESPACE}\"");
                response_attrs(&mut o, m.request_id.as_deref(), &m.status);
                o.push('>');
                if let Some(d) = &m.description {
                    let _ = write!(o, "<description>{}</description>", esc(d));
                }
                o.push_str("</postFollowUpResponse>");
            }
        }
        o
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/// Why a message was refused: where and what, as the schema would say it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct MessageError {
    /// The element path, e.g. `/uilQuery/uil/gateId`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn fail<T>(path: &str, message: impl Into<String>) -> Result<T, MessageError> {
    Err(MessageError { path: path.to_owned(), message: message.into() })
}

/// An element as read: namespace, local name, attributes, text and children.
#[derive(Debug, Clone)]
struct Node {
    ns: String,
    name: String,
    /// (namespace, local name, value)
    attrs: Vec<(String, String, String)>,
    text: String,
    children: Vec<Node>,
}

fn bound(r: ResolveResult<'_>) -> Result<String, String> {
    match r {
        ResolveResult::Bound(n) => Ok(AsRef::<str>::as_ref(&n).to_owned()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(format!("unknown namespace prefix {p:?}")),
    }
}

/// Reads the text into a tree, refusing what is not plain well-formed XML.
fn tree(xml: &str) -> Result<Node, MessageError> {
    if xml.len() > ecmr::xml::MAX_XML_BYTES {
        return fail("/", format!("more than {} bytes", ecmr::xml::MAX_XML_BYTES));
    }
    let mut reader = quick_xml::NsReader::from_str(xml);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut elements = 0usize;
    loop {
        let read = reader.read_resolved_event().map_err(|e| e.to_string());
        let (ns, ev) = match read {
            Ok(r) => r,
            Err(e) => return fail("/", format!("malformed XML: {e}")),
        };
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                elements += 1;
                if root.is_some() {
                    return fail("/", "content after the root element");
                }
                if stack.len() >= ecmr::xml::MAX_DEPTH || elements > ecmr::xml::MAX_ELEMENTS {
                    return fail("/", "nested too deep or too many elements");
                }
                let ns = bound(ns).map_err(|m| MessageError { path: "/".into(), message: m })?;
                let name = AsRef::<str>::as_ref(&s.local_name()).to_owned();
                let mut attrs = Vec::new();
                for a in s.attributes() {
                    let a = a.map_err(|e| MessageError { path: name.clone(), message: format!("attribute: {e}") })?;
                    let key = a.key;
                    let raw_key: &str = key.as_ref();
                    if raw_key == "xmlns" || raw_key.starts_with("xmlns:") {
                        continue;
                    }
                    let (ans, local) = reader.resolver().resolve_attribute(key);
                    let ans = bound(ans).map_err(|m| MessageError { path: name.clone(), message: m })?;
                    let value = quick_xml::escape::unescape(&a.value)
                        .map_err(|e| MessageError { path: name.clone(), message: format!("attribute value: {e}") })?
                        .into_owned();
                    attrs.push((ans, AsRef::<str>::as_ref(&local).to_owned(), value));
                }
                let node = Node { ns, name, attrs, text: String::new(), children: Vec::new() };
                if matches!(ev, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => root = Some(node),
                    }
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node =
                    stack.pop().ok_or_else(|| MessageError { path: "/".into(), message: "stray end tag".into() })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                match stack.last_mut() {
                    Some(n) => n.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return fail("/", "text outside the root element"),
                }
            }
            Event::GeneralRef(r) => {
                let name: String = AsRef::<str>::as_ref(&*r).to_owned();
                // The predefined entities and character references to characters XML 1.0 allows, as the
                // dataset reader takes them.
                let Some(resolved) = ecmr::xml::resolve_reference(&name) else {
                    return if name.starts_with('#') {
                        fail("/", format!("bad character reference &{name}; (not a character XML 1.0 allows)"))
                    } else {
                        fail("/", format!("unknown entity &{name};"))
                    };
                };
                match stack.last_mut() {
                    Some(n) => n.text.push(resolved),
                    None => return fail("/", "text outside the root element"),
                }
            }
            Event::CData(c) => match stack.last_mut() {
                Some(n) => n.text.push_str(&c.xml10_content()),
                None => return fail("/", "CDATA outside the root element"),
            },
            Event::Comment(_) | Event::Decl(_) => {}
            Event::DocType(_) => return fail("/", "a DOCTYPE is not allowed"),
            Event::PI(_) => return fail("/", "processing instructions are not allowed"),
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return fail("/", "the document ends inside an element");
    }
    root.ok_or_else(|| MessageError { path: "/".into(), message: "no root element".into() })
}

/// xsd:token's value: white space collapsed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(ns, n, _)| ns.is_empty() && n == name).map(|(_, _, v)| v.as_str())
    }

    /// Refuses attributes other than `allowed` (and `xsi:schemaLocation` on the root).
    fn only_attrs(&self, path: &str, allowed: &[&str], root: bool) -> Result<(), MessageError> {
        for (ns, n, _) in &self.attrs {
            let ok = (ns.is_empty() && allowed.contains(&n.as_str())) || (root && ns == XSI && n == "schemaLocation");
            if !ok {
                return fail(path, format!("attribute {n:?} is not allowed here"));
            }
        }
        Ok(())
    }

    /// A simple element: no attributes (but `allowed`), no children.
    fn simple(&self, path: &str, allowed: &[&str]) -> Result<&str, MessageError> {
        self.only_attrs(path, allowed, false)?;
        if let Some(c) = self.children.first() {
            return fail(&format!("{path}/{}", c.name), "a simple element has no child elements");
        }
        Ok(&self.text)
    }

    /// A complex element: only white space as text.
    fn complex(&self, path: &str) -> Result<(), MessageError> {
        if !self.text.trim().is_empty() {
            return fail(path, "text is not allowed in this element");
        }
        Ok(())
    }
}

/// Walks the children of a complex element against a sequence of (name, min, max) in the eDelivery namespace,
/// handing each to `take`; the rest must be none.
struct Seq<'a> {
    nodes: &'a [Node],
    at: usize,
    path: &'a str,
}

impl<'a> Seq<'a> {
    fn new(node: &'a Node, path: &'a str) -> Seq<'a> {
        Seq { nodes: &node.children, at: 0, path }
    }

    /// The next elements named `name` in `ns`, between `min` and `max` of them.
    fn take(&mut self, ns: &str, name: &str, min: usize, max: usize) -> Result<Vec<&'a Node>, MessageError> {
        let mut out = Vec::new();
        while let Some(n) = self.nodes.get(self.at) {
            if n.ns != ns || n.name != name || out.len() == max {
                break;
            }
            out.push(n);
            self.at += 1;
        }
        if out.len() < min {
            let found = self.nodes.get(self.at).map_or("nothing".to_owned(), |n| format!("<{}>", n.name));
            return fail(self.path, format!("expected <{name}>, found {found}"));
        }
        Ok(out)
    }

    fn one(&mut self, name: &str) -> Result<&'a Node, MessageError> {
        Ok(self.take(EDELIVERY_NAMESPACE, name, 1, 1)?[0])
    }

    fn opt(&mut self, name: &str) -> Result<Option<&'a Node>, MessageError> {
        Ok(self.take(EDELIVERY_NAMESPACE, name, 0, 1)?.first().copied())
    }

    fn end(&self) -> Result<(), MessageError> {
        match self.nodes.get(self.at) {
            None => Ok(()),
            Some(n) => fail(self.path, format!("element <{}> is not expected here", n.name)),
        }
    }
}

fn read_uil(node: &Node, path: &str) -> Result<Uil, MessageError> {
    node.only_attrs(path, &[], false)?;
    node.complex(path)?;
    let mut seq = Seq::new(node, path);
    let mut part = |name: &str| -> Result<String, MessageError> {
        let n = seq.one(name)?;
        Ok(collapse(n.simple(&format!("{path}/{name}"), &[])?))
    };
    let uil = Uil { gate_id: part("gateId")?, platform_id: part("platformId")?, dataset_id: part("datasetId")? };
    seq.end()?;
    Ok(uil)
}

fn required(node: &Node, path: &str, name: &str) -> Result<String, MessageError> {
    node.attr(name)
        .map(collapse)
        .ok_or_else(|| MessageError { path: path.to_owned(), message: format!("attribute {name:?} is required") })
}

fn status_of(node: &Node, path: &str) -> Result<String, MessageError> {
    let status = required(node, path, "status")?;
    if !STATUSES.contains(&status.as_str()) {
        return fail(path, format!("status {status:?} is not one of {}", STATUSES.join(", ")));
    }
    Ok(status)
}

fn description(seq: &mut Seq<'_>, path: &str) -> Result<Option<String>, MessageError> {
    seq.opt("description")?.map(|d| d.simple(&format!("{path}/description"), &[]).map(str::to_owned)).transpose()
}

/// Writes an element (and its subtree, all in namespace `ns`) as a document whose root declares `ns` as default.
fn serialise(node: &Node, ns: &str, out: &mut String, root: bool, path: &str) -> Result<(), MessageError> {
    if node.ns != ns {
        return fail(path, format!("element <{}> is not in namespace {ns}", node.name));
    }
    let _ = write!(out, "<{}", node.name);
    if root {
        let _ = write!(out, " xmlns=\"{ns}\"");
    }
    for (ans, n, v) in &node.attrs {
        if !ans.is_empty() {
            if root && ans == XSI {
                continue;
            }
            return fail(path, format!("attribute {n:?} in namespace {ans} is not allowed here"));
        }
        let _ = write!(out, " {n}=\"{}\"", escape(v.as_str()));
    }
    out.push('>');
    out.push_str(&escape(node.text.as_str()));
    for c in &node.children {
        serialise(c, ns, out, false, &format!("{path}/{}", c.name))?;
    }
    let _ = write!(out, "</{}>", node.name);
    Ok(())
}

/// Reads a gate-to-gate message, refusing anything `gate.xsd` refuses (see the module documentation).
///
/// # Errors
/// [`MessageError`] with the element path and what is wrong.
pub fn read(xml: &str) -> Result<Message, MessageError> {
    let root = tree(xml)?;
    if root.ns != EDELIVERY_NAMESPACE {
        return fail(&format!("/{}", root.name), format!("the root must be in namespace {EDELIVERY_NAMESPACE}"));
    }
    let path = format!("/{}", root.name);
    let path = path.as_str();
    root.complex(path)?;
    let mut seq = Seq::new(&root, path);
    let message = match root.name.as_str() {
        "uilQuery" => {
            root.only_attrs(path, &["requestId"], true)?;
            let request_id = required(&root, path, "requestId")?;
            let uil = read_uil(seq.one("uil")?, &format!("{path}/uil"))?;
            let subsets = seq
                .take(EDELIVERY_NAMESPACE, "subsetId", 1, usize::MAX)?
                .into_iter()
                .map(|n| n.simple(&format!("{path}/subsetId"), &[]).map(str::to_owned))
                .collect::<Result<Vec<_>, _>>()?;
            Message::UilQuery(UilQuery { request_id, uil, subsets })
        }
        "uilResponse" => {
            root.only_attrs(path, &["requestId", "status"], true)?;
            let status = status_of(&root, path)?;
            let request_id = root.attr("requestId").map(collapse);
            let description = description(&mut seq, path)?;
            let consignment = match seq.take(COMMON_NAMESPACE, "consignment", 0, 1)?.first() {
                Some(c) => {
                    let mut text = String::new();
                    serialise(c, COMMON_NAMESPACE, &mut text, true, &format!("{path}/consignment"))?;
                    let received = ecmr::efti::Received::from_xml(&text)
                        .map_err(|e| MessageError { path: format!("{path}{}", e.path), message: e.message })?;
                    if let Some(f) = received.findings.iter().find(|f| f.severity == ecmr::validate::Severity::Error) {
                        return fail(&format!("{path}{}", f.path), f.message.clone());
                    }
                    Some(text)
                }
                None => None,
            };
            Message::UilResponse(UilResponse { request_id, status, description, consignment })
        }
        "identifierQuery" => {
            root.only_attrs(path, &["requestId"], true)?;
            let request_id = required(&root, path, "requestId")?;
            let id = seq.one("identifier")?;
            let id_path = format!("{path}/identifier");
            let identifier = collapse(id.simple(&id_path, &["type", "schemeAgencyId"])?);
            let types: Vec<String> =
                id.attr("type").map(|t| t.split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
            if let Some(t) = types.iter().find(|t| !["means", "equipment", "carried"].contains(&t.as_str())) {
                return fail(&id_path, format!("type {t:?} is not one of means, equipment, carried"));
            }
            let mut token = |name: &str| -> Result<Option<String>, MessageError> {
                seq.opt(name)?.map(|n| n.simple(&format!("{path}/{name}"), &[]).map(collapse)).transpose()
            };
            let registration_country_code = token("registrationCountryCode")?;
            let mode_code = token("modeCode")?;
            let dangerous_goods_indicator = match token("dangerousGoodsIndicator")?.as_deref() {
                None => None,
                Some("true" | "1") => Some(true),
                Some("false" | "0") => Some(false),
                Some(other) => {
                    return fail(&format!("{path}/dangerousGoodsIndicator"), format!("{other:?} is not a boolean"));
                }
            };
            Message::IdentifierQuery(IdentifierQuery {
                request_id,
                identifier,
                types,
                registration_country_code,
                mode_code,
                dangerous_goods_indicator,
            })
        }
        "identifierResponse" => {
            root.only_attrs(path, &["requestId", "status"], true)?;
            let status = status_of(&root, path)?;
            let request_id = root.attr("requestId").map(collapse);
            let description = description(&mut seq, path)?;
            let mut consignments = Vec::new();
            for (i, c) in seq.take(EDELIVERY_NAMESPACE, "consignment", 0, usize::MAX)?.into_iter().enumerate() {
                let c_path = format!("{path}/consignment[{}]", i + 1);
                c.only_attrs(&c_path, &[], false)?;
                c.complex(&c_path)?;
                let Some((uil, data)) = c.children.split_last() else {
                    return fail(&c_path, "expected <uil>, found nothing");
                };
                if uil.ns != EDELIVERY_NAMESPACE || uil.name != "uil" {
                    return fail(&c_path, format!("expected <uil> last, found <{}>", uil.name));
                }
                let uil = read_uil(uil, &format!("{c_path}/uil"))?;
                let mut text = format!("<consignment xmlns=\"{IDENTIFIER_NAMESPACE}\">");
                for d in data {
                    serialise(d, IDENTIFIER_NAMESPACE, &mut text, false, &format!("{c_path}/{}", d.name))?;
                }
                text.push_str("</consignment>");
                let consignment = identifiers::parse(&text).map_err(|e| MessageError {
                    path: format!("{c_path}{}", e.path.strip_prefix("/consignment").unwrap_or(&e.path)),
                    message: e.message,
                })?;
                consignments.push(FoundConsignment { consignment, uil });
            }
            Message::IdentifierResponse(IdentifierResponse { request_id, status, description, consignments })
        }
        "postFollowUpRequest" => {
            root.only_attrs(path, &["requestId", "uilQueryRequestId"], true)?;
            let request_id = required(&root, path, "requestId")?;
            let uil_query_request_id = required(&root, path, "uilQueryRequestId")?;
            let uil = read_uil(seq.one("uil")?, &format!("{path}/uil"))?;
            let message = seq.one("message")?.simple(&format!("{path}/message"), &[])?.to_owned();
            if message.chars().count() < 2 {
                return fail(&format!("{path}/message"), "the message must be at least 2 characters");
            }
            Message::FollowUp(FollowUpRequest { request_id, uil_query_request_id, uil, message })
        }
        "postFollowUpResponse" => {
            root.only_attrs(path, &["requestId", "status"], true)?;
            let status = status_of(&root, path)?;
            let request_id = root.attr("requestId").map(collapse);
            let description = description(&mut seq, path)?;
            Message::FollowUpResponse(FollowUpResponse { request_id, status, description })
        }
        other => return fail(path, format!("<{other}> is not a gate-to-gate message")),
    };
    seq.end()?;
    Ok(message)
}
