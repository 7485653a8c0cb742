//! The signed document a rendered PDF carries as an attached file (`ecmr render --format pdf` embeds it as a
//! PDF/A-3 associated file), read back so that `ecmr verify note.pdf` verifies the original the paper shows.

use std::path::Path;

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use crate::error::CliError;
use crate::io::MAX_INPUT_BYTES;
use crate::render::ORIGINAL_MIME;

/// How deep a name tree of embedded files is followed.
const MAX_TREE_DEPTH: usize = 16;

/// Whether the bytes are a PDF file (they start with `%PDF-`).
pub(crate) fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// An attached file found in a PDF.
#[derive(Debug)]
pub(crate) struct Attachment {
    /// The file name the PDF gives it.
    pub(crate) name: String,
    /// Its exact bytes.
    pub(crate) bytes: Vec<u8>,
}

/// The signed document attached to the PDF at `path`: the one `application/json` embedded file that the catalog's
/// `/AF` array or its `/EmbeddedFiles` name tree lists. Its size and MD5 checksum are checked when the PDF gives
/// them.
///
/// # Errors
/// Invalid input (exit 1) when the PDF does not read, has no or several JSON attachments, or an attachment is
/// damaged (size or checksum wrong, does not decompress) or larger than the input limit.
pub(crate) fn signed_document(path: &Path, bytes: &[u8]) -> Result<Attachment, CliError> {
    let p = path.display();
    let options = LoadOptions { max_decompressed_size: Some(MAX_INPUT_BYTES as usize * 4), ..LoadOptions::default() };
    let pdf = Document::load_mem_with_options(bytes, options)
        .map_err(|e| CliError::invalid(format!("{p} is not a readable PDF: {e}")))?;
    let catalog = pdf.catalog().map_err(|e| CliError::invalid(format!("{p}: the PDF has no catalog: {e}")))?;

    let mut specs: Vec<(Option<ObjectId>, &Dictionary)> = Vec::new();
    if let Ok(af) = catalog.get_deref(b"AF", &pdf).and_then(Object::as_array) {
        for item in af {
            collect_spec(&pdf, item, &mut specs);
        }
    }
    if let Ok(tree) = catalog
        .get_deref(b"Names", &pdf)
        .and_then(Object::as_dict)
        .and_then(|names| names.get_deref(b"EmbeddedFiles", &pdf))
        .and_then(Object::as_dict)
    {
        name_tree(&pdf, tree, 0, &mut specs);
    }

    let mut found: Vec<Attachment> = Vec::new();
    for (_, spec) in &specs {
        let Some(a) = json_attachment(&pdf, spec).map_err(|e| CliError::invalid(format!("{p}: {e}")))? else {
            continue;
        };
        if !found.iter().any(|f| f.bytes == a.bytes) {
            found.push(a);
        }
    }
    match found.len() {
        0 => Err(CliError::invalid(format!("{p} carries no signed document (no attached application/json file)"))
            .hint("a PDF made by `ecmr render DOC --format pdf` carries the signed document it shows")),
        1 => Ok(found.remove(0)),
        n => Err(CliError::invalid(format!(
            "{p} carries {n} different JSON attachments ({}); cannot tell which is the signed document",
            found.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Adds the file specification `item` (or the one it refers to) unless it is already listed.
fn collect_spec<'a>(pdf: &'a Document, item: &'a Object, out: &mut Vec<(Option<ObjectId>, &'a Dictionary)>) {
    if let Ok((id, obj)) = pdf.dereference(item)
        && let Ok(d) = obj.as_dict()
        && !out.iter().any(|(i, s)| (id.is_some() && *i == id) || std::ptr::eq(*s, d))
    {
        out.push((id, d));
    }
}

/// The file specifications of a name tree node: its `/Names` pairs and, recursively, its `/Kids`.
fn name_tree<'a>(
    pdf: &'a Document,
    node: &'a Dictionary,
    depth: usize,
    out: &mut Vec<(Option<ObjectId>, &'a Dictionary)>,
) {
    if depth > MAX_TREE_DEPTH {
        return;
    }
    if let Ok(names) = node.get_deref(b"Names", pdf).and_then(Object::as_array) {
        for value in names.iter().skip(1).step_by(2) {
            collect_spec(pdf, value, out);
        }
    }
    if let Ok(kids) = node.get_deref(b"Kids", pdf).and_then(Object::as_array) {
        for kid in kids {
            if let Ok(d) = pdf.dereference(kid).and_then(|(_, o)| o.as_dict()) {
                name_tree(pdf, d, depth + 1, out);
            }
        }
    }
}

/// The attachment of a file specification when it is an embedded `application/json` file.
fn json_attachment(pdf: &Document, spec: &Dictionary) -> Result<Option<Attachment>, String> {
    let Ok(ef) = spec.get_deref(b"EF", pdf).and_then(Object::as_dict) else { return Ok(None) };
    let Ok(stream) = ef.get_deref(b"UF", pdf).or_else(|_| ef.get_deref(b"F", pdf)).and_then(Object::as_stream) else {
        return Ok(None);
    };
    if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(ORIGINAL_MIME.as_bytes()) {
        return Ok(None);
    }
    let name = [b"UF".as_slice(), b"F"]
        .iter()
        .find_map(|k| spec.get_deref(k, pdf).and_then(Object::as_str).ok())
        .map(|raw| lopdf::decode_text_string(&Object::string_literal(raw)).unwrap_or_default())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "(unnamed)".to_owned());
    let bytes = stream
        .get_plain_content_with_limit(MAX_INPUT_BYTES as usize)
        .map_err(|e| format!("attached file {name} does not decode: {e}"))?;
    let params = stream.dict.get_deref(b"Params", pdf).and_then(Object::as_dict).ok();
    if let Some(size) = params.and_then(|p| p.get(b"Size").and_then(Object::as_i64).ok())
        && usize::try_from(size).ok() != Some(bytes.len())
    {
        return Err(format!("attached file {name} is damaged: {} bytes, but its /Size says {size}", bytes.len()));
    }
    if let Some(sum) = params.and_then(|p| p.get(b"CheckSum").and_then(Object::as_str).ok()) {
        use md5::Digest as _;
        if md5::Md5::digest(&bytes).as_slice() != sum {
            return Err(format!("attached file {name} is damaged: its MD5 is not its /CheckSum"));
        }
    }
    Ok(Some(Attachment { name, bytes }))
}
