//! An A4 PDF of the rendering: the boxes as ruled cells in the paper layout, the QR code drawn in vector on the
//! first page, and the text in embedded, subsetted DejaVu fonts (so every Latin, Greek and Cyrillic character of
//! a note prints and `pdftotext` gets the text back through the ToUnicode maps).

use std::collections::BTreeMap;

use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish as _, Name, Pdf, Rect, Ref, Str, TextStr};

use super::{Rendering, SectionKind, layout};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 28.0;
const PAD: f32 = 3.0;
const BODY: f32 = 7.5;
const MONO: f32 = 6.5;
const MONO_MIN: f32 = 4.5;
const LABEL: f32 = 6.0;
const NUMBER: f32 = 9.0;
const TITLE: f32 = 14.0;

/// Why the PDF could not be made.
#[derive(Debug)]
pub(crate) struct PdfError(String);

impl std::fmt::Display for PdfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct Font {
    face: ttf_parser::Face<'static>,
    data: &'static [u8],
    name: &'static str,
    /// Glyph ids used, with a character for each (for the ToUnicode map).
    used: BTreeMap<u16, char>,
}

impl Font {
    fn new(data: &'static [u8], name: &'static str) -> Result<Font, PdfError> {
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| PdfError(format!("font {name}: {e}")))?;
        Ok(Font { face, data, name, used: BTreeMap::new() })
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).or_else(|| self.face.glyph_index('?')).map(|g| g.0).unwrap_or(0)
    }

    fn advance(&self, gid: u16) -> f32 {
        let upem = f32::from(self.face.units_per_em().max(1));
        f32::from(self.face.glyph_hor_advance(ttf_parser::GlyphId(gid)).unwrap_or(0)) / upem
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c))).sum::<f32>() * size
    }

    fn scale(&self, v: i16) -> f32 {
        f32::from(v) * 1000.0 / f32::from(self.face.units_per_em().max(1))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Face {
    Sans,
    Mono,
}

enum Op {
    Text { face: Face, size: f32, x: f32, y: f32, gray: f32, text: String },
    Rect { x: f32, y: f32, w: f32, h: f32, fill: bool },
}

struct Layout {
    sans: Font,
    mono: Font,
    pages: Vec<Vec<Op>>,
    /// Top of the free space on the current page.
    y: f32,
}

/// One cell ready to draw: a heading and its wrapped lines.
struct Cell {
    number: String,
    label: String,
    face: Face,
    size: f32,
    lines: Vec<String>,
}

impl Layout {
    fn font(&self, f: Face) -> &Font {
        match f {
            Face::Sans => &self.sans,
            Face::Mono => &self.mono,
        }
    }

    fn push(&mut self, op: Op) {
        if let Op::Text { face, text, .. } = &op {
            let font = match face {
                Face::Sans => &mut self.sans,
                Face::Mono => &mut self.mono,
            };
            for c in text.chars() {
                let g = font.glyph(c);
                // A character the font lacks prints as `?` and is extracted as `?`.
                let shown = if font.face.glyph_index(c).is_some() { c } else { '?' };
                font.used.entry(g).or_insert(shown);
            }
        }
        if let Some(p) = self.pages.last_mut() {
            p.push(op);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_H - MARGIN;
    }

    fn text(&mut self, face: Face, size: f32, x: f32, y: f32, gray: f32, text: &str) {
        let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        self.push(Op::Text { face, size, x, y, gray, text });
    }

    /// Wraps `text` to `width` points, breaking at spaces, or anywhere in a word longer than a line. Leading
    /// spaces (indentation) are kept on every line.
    fn wrap(&self, face: Face, size: f32, text: &str, width: f32) -> Vec<String> {
        let font = self.font(face);
        let w = |s: &str| font.width(s, size);
        let indent: String = text.chars().take_while(|c| *c == ' ').collect();
        let (indent_w, space_w) = (w(&indent), w(" "));
        let mut lines = Vec::new();
        let (mut line, mut line_w) = (indent.clone(), indent_w);
        for word in text.trim_start_matches(' ').split(' ') {
            let word_w = w(word);
            let empty = line.len() == indent.len();
            let added = if empty { word_w } else { space_w + word_w };
            if line_w + added <= width {
                if !empty {
                    line.push(' ');
                }
                line.push_str(word);
                line_w += added;
                continue;
            }
            if !empty {
                lines.push(std::mem::replace(&mut line, indent.clone()));
                line_w = indent_w;
            }
            for c in word.chars() {
                let cw = w(c.encode_utf8(&mut [0; 4]));
                if line_w + cw > width && line.len() > indent.len() {
                    lines.push(std::mem::replace(&mut line, indent.clone()));
                    line_w = indent_w;
                }
                line.push(c);
                line_w += cw;
            }
        }
        if line.len() > indent.len() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn line_height(size: f32) -> f32 {
        size * 1.3
    }

    fn head_height() -> f32 {
        NUMBER * 1.2
    }

    fn cell_height(cell: &Cell, lines: usize) -> f32 {
        let head = if cell.number.is_empty() && cell.label.is_empty() { 0.0 } else { Self::head_height() };
        PAD + head + lines as f32 * Self::line_height(cell.size) + PAD
    }

    /// Draws cells side by side at the top of the free space, `lines` of each from `from`.
    fn draw_row(&mut self, cells: &[Cell], ranges: &[(usize, usize)], height: f32) {
        let width = (PAGE_W - 2.0 * MARGIN) / cells.len().max(1) as f32;
        for (i, (cell, (from, to))) in cells.iter().zip(ranges).enumerate() {
            let x = MARGIN + i as f32 * width;
            self.push(Op::Rect { x, y: self.y - height, w: width, h: height, fill: false });
            let mut y = self.y - PAD;
            if !(cell.number.is_empty() && cell.label.is_empty()) {
                y -= NUMBER;
                self.text(Face::Sans, NUMBER, x + PAD, y, 0.0, &cell.number);
                let nx = x + PAD + self.sans.width(&cell.number, NUMBER) + 3.0;
                let label = cell.label.clone();
                self.text(Face::Sans, LABEL, nx, y, 0.35, &label);
                y -= NUMBER * 0.2;
            }
            for line in cell.lines.get(*from..*to).unwrap_or_default().to_vec() {
                y -= Self::line_height(cell.size);
                self.text(cell.face, cell.size, x + PAD, y + 1.5, 0.0, &line);
            }
        }
        self.y -= height;
    }

    /// Places a row of cells, starting a new page when it does not fit and splitting cells taller than a page.
    fn row(&mut self, cells: Vec<Cell>) {
        let full = |c: &Cell| Self::cell_height(c, c.lines.len());
        let height = cells.iter().map(full).fold(0.0, f32::max);
        let usable = PAGE_H - 2.0 * MARGIN;
        // A heading with no lines of its own stays with what follows it.
        let needed = if cells.iter().all(|c| c.lines.is_empty()) { height + 60.0 } else { height };
        if needed > self.y - MARGIN && height <= usable {
            self.new_page();
        }
        if height <= self.y - MARGIN {
            let ranges: Vec<(usize, usize)> = cells.iter().map(|c| (0, c.lines.len())).collect();
            self.draw_row(&cells, &ranges, height);
            return;
        }
        // Taller than a page: each cell on its own, its lines split over pages.
        for cell in cells {
            let mut from = 0;
            while from < cell.lines.len() || from == 0 {
                let room = self.y - MARGIN - Self::cell_height(&cell, 0);
                let fit = (room / Self::line_height(cell.size)).floor().max(0.0) as usize;
                if fit == 0 {
                    self.new_page();
                    continue;
                }
                let to = (from + fit).min(cell.lines.len());
                let h = Self::cell_height(&cell, to - from);
                self.draw_row(std::slice::from_ref(&cell), &[(from, to)], h);
                if to >= cell.lines.len() {
                    break;
                }
                from = to;
                self.new_page();
            }
        }
    }
}

/// The PDF bytes.
pub(super) fn render(r: &Rendering) -> Result<Vec<u8>, PdfError> {
    let mut l = Layout {
        sans: Font::new(dejavu::sans_condensed::regular(), "DejaVuSansCondensed")?,
        mono: Font::new(dejavu::sans_mono::regular(), "DejaVuSansMono")?,
        pages: Vec::new(),
        y: 0.0,
    };
    l.new_page();

    // Header: title on the left, QR code on the right.
    let qr_size = 96.0;
    let top = l.y;
    l.text(Face::Sans, TITLE, MARGIN, top - TITLE, 0.0, &r.title);
    let mut header_h = TITLE * 1.6;
    if let Some((payload, m, caption)) = &r.qr {
        let n = (m.width + 8) as f32;
        let module = qr_size / n;
        let x0 = PAGE_W - MARGIN - qr_size;
        for y in 0..m.width {
            for x in 0..m.width {
                if m.is_dark(x, y) {
                    l.push(Op::Rect {
                        x: x0 + (x + 4) as f32 * module,
                        y: top - (y + 5) as f32 * module,
                        w: module,
                        h: module,
                        fill: true,
                    });
                }
            }
        }
        let width = PAGE_W - 2.0 * MARGIN - qr_size - 10.0;
        let mut y = top - TITLE * 1.6;
        for text in [caption.to_string(), payload.clone()] {
            for line in l.wrap(Face::Sans, BODY, &text, width) {
                y -= Layout::line_height(BODY);
                l.text(Face::Sans, BODY, MARGIN, y, 0.2, &line);
            }
        }
        header_h = header_h.max(top - y + 4.0).max(qr_size);
    }
    l.y = top - header_h - 4.0;

    for row in layout(r) {
        let width = (PAGE_W - 2.0 * MARGIN) / row.len().max(1) as f32 - 2.0 * PAD;
        let cells: Vec<Cell> = row
            .iter()
            .map(|s| {
                let (number, label) = match s.kind {
                    SectionKind::Box(_) | SectionKind::Goods => {
                        let (n, l) = s.heading.split_once(' ').unwrap_or((&s.heading, ""));
                        (n.to_owned(), l.to_owned())
                    }
                    _ => (String::new(), s.heading.clone()),
                };
                let (face, size) = if s.kind == SectionKind::Goods {
                    // The goods table keeps its columns: shrink the type to fit the widest row, down to a limit.
                    let widest = s.lines.iter().map(|line| l.mono.width(line, 1.0)).fold(0.0, f32::max);
                    let size = if widest > 0.0 { (width / widest).clamp(MONO_MIN, MONO) } else { MONO };
                    (Face::Mono, size)
                } else {
                    (Face::Sans, BODY)
                };
                let lines = s.lines.iter().flat_map(|line| l.wrap(face, size, line, width)).collect();
                Cell { number, label, face, size, lines }
            })
            .collect();
        l.row(cells);
    }
    write(l, &r.title)
}

fn write(l: Layout, title: &str) -> Result<Vec<u8>, PdfError> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let pages_id = alloc();
    let info = alloc();
    let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

    // Fonts: subset, remap glyph ids, embed.
    let mut remaps: Vec<BTreeMap<u16, u16>> = Vec::new();
    let mut font_refs = Vec::new();
    for font in [&l.sans, &l.mono] {
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut map = BTreeMap::new();
        for &g in font.used.keys() {
            map.insert(g, remapper.remap(g));
        }
        let data = subsetter::subset(font.data, 0, &remapper).map_err(|e| PdfError(format!("font subset: {e}")))?;
        let (type0, cid, descriptor, file, cmap_ref) = (alloc(), alloc(), alloc(), alloc(), alloc());
        let base = format!("ECMRAA+{}", font.name);
        let base = Name(base.as_bytes());
        pdf.type0_font(type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap_ref);
        let mut by_new: BTreeMap<u16, u16> = BTreeMap::new();
        for (old, new) in &map {
            by_new.insert(*new, *old);
        }
        let widths: Vec<f32> = (0..remapper.num_gids())
            .map(|n| by_new.get(&n).map(|o| font.advance(*o) * 1000.0).unwrap_or(0.0))
            .collect();
        let mut c = pdf.cid_font(cid);
        c.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0);
        c.cid_to_gid_map_predefined(Name(b"Identity"));
        c.widths().consecutive(0, widths);
        c.finish();
        let bbox = font.face.global_bounding_box();
        pdf.font_descriptor(descriptor)
            .name(base)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                font.scale(bbox.x_min),
                font.scale(bbox.y_min),
                font.scale(bbox.x_max),
                font.scale(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(font.scale(font.face.ascender()))
            .descent(font.scale(font.face.descender()))
            .cap_height(font.scale(font.face.capital_height().unwrap_or(font.face.ascender())))
            .stem_v(80.0)
            .font_file2(file);
        let compressed = compress_to_vec_zlib(&data, 6);
        pdf.stream(file, &compressed).filter(Filter::FlateDecode).pair(Name(b"Length1"), data.len() as i32);
        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system);
        for (old, c) in &font.used {
            if let Some(new) = map.get(old) {
                cmap.pair(*new, *c);
            }
        }
        let cmap = cmap.finish();
        pdf.cmap(cmap_ref, &cmap).system_info(system).name(Name(b"Custom"));
        remaps.push(map);
        font_refs.push(type0);
    }
    let empty = BTreeMap::new();
    let (sans_map, mono_map) = (remaps.first().unwrap_or(&empty), remaps.get(1).unwrap_or(&empty));

    let mut page_ids = Vec::new();
    let total = l.pages.len();
    for (i, ops) in l.pages.iter().enumerate() {
        let (page_id, content_id) = (alloc(), alloc());
        page_ids.push(page_id);
        let mut c = Content::new();
        c.set_line_width(0.6);
        for op in ops {
            match op {
                Op::Rect { x, y, w, h, fill } => {
                    c.rect(*x, *y, *w, *h);
                    if *fill {
                        c.set_fill_gray(0.0);
                        c.fill_nonzero();
                    } else {
                        c.stroke();
                    }
                }
                Op::Text { face, size, x, y, gray, text } => {
                    let (font, map, name) = match face {
                        Face::Sans => (&l.sans, sans_map, Name(b"F1")),
                        Face::Mono => (&l.mono, mono_map, Name(b"F2")),
                    };
                    let mut bytes = Vec::with_capacity(text.len() * 2);
                    for ch in text.chars() {
                        let g = map.get(&font.glyph(ch)).copied().unwrap_or(0);
                        bytes.extend_from_slice(&g.to_be_bytes());
                    }
                    c.set_fill_gray(*gray);
                    c.begin_text();
                    c.set_font(name, *size);
                    c.next_line(*x, *y);
                    c.show(Str(&bytes));
                    c.end_text();
                }
            }
        }
        // Page number.
        let footer = format!("{}/{}", i + 1, total);
        let mut bytes = Vec::new();
        for ch in footer.chars() {
            bytes.extend_from_slice(&sans_map.get(&l.sans.glyph(ch)).copied().unwrap_or(0).to_be_bytes());
        }
        c.set_fill_gray(0.4);
        c.begin_text();
        c.set_font(Name(b"F1"), LABEL);
        c.next_line(PAGE_W - MARGIN - 20.0, MARGIN / 2.0);
        c.show(Str(&bytes));
        c.end_text();
        let content = compress_to_vec_zlib(&c.finish(), 6);
        pdf.stream(content_id, &content).filter(Filter::FlateDecode);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).parent(pages_id).contents(content_id);
        let mut res = page.resources();
        let mut fonts = res.fonts();
        if let (Some(f1), Some(f2)) = (font_refs.first(), font_refs.get(1)) {
            fonts.pair(Name(b"F1"), *f1);
            fonts.pair(Name(b"F2"), *f2);
        }
        fonts.finish();
        res.finish();
        page.finish();
    }
    pdf.pages(pages_id).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    pdf.catalog(catalog).pages(pages_id);
    pdf.document_info(info).title(TextStr(title)).producer(TextStr("ecmr"));
    Ok(pdf.finish())
}
