//! An A4 PDF of the rendering: the boxes as ruled cells in the paper layout, the QR code drawn in vector on the
//! first page, and the text in embedded, subsetted DejaVu fonts (so every Latin, Greek and Cyrillic character of
//! a note prints and `pdftotext` gets the text back through the ToUnicode maps).

use std::collections::BTreeMap;

use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_writer::types::{AssociationKind, CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish as _, Name, Pdf, Rect, Ref, Str, TextStr};

use super::{GOODS_NO_WRAP, GOODS_RIGHT, GoodsTable, Rendering, Section, SectionKind};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 24.0;
const PAD: f32 = 2.5;
/// The text in the boxes.
const BODY: f32 = 6.6;
/// The document and state lines of the header.
const HEAD_BODY: f32 = 7.5;
/// The smallest size the goods table shrinks to so that its numbers stay on one line.
const TABLE_MIN: f32 = 4.5;
/// Box labels and the QR payload.
const LABEL: f32 = 6.5;
/// Box numbers.
const NUMBER: f32 = 7.2;
const TITLE: f32 = 13.0;
/// The QR code's side, quiet zone included.
const QR_SIZE: f32 = 96.0;
/// How much shorter a pair of columns must get before a box moves from one column to the other.
const BALANCE_GAIN: f32 = 30.0;
/// Slack added to measured widths, so that rounding never breaks what was measured to fit.
const SLACK: f32 = 0.5;
/// Space between a goods table column's rule and its text.
const CELL_PAD: f32 = 2.0;

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
    Line { x1: f32, y1: f32, x2: f32, y2: f32, gray: f32 },
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
        size * 1.18
    }

    fn head_height() -> f32 {
        NUMBER * 1.15
    }

    fn cell_height(cell: &Cell, lines: usize) -> f32 {
        let head = if cell.number.is_empty() && cell.label.is_empty() { 0.0 } else { Self::head_height() };
        PAD + head + lines as f32 * Self::line_height(cell.size) + PAD
    }

    fn cell_height_of(cell: &Cell) -> f32 {
        Self::cell_height(cell, cell.lines.len())
    }

    /// The width of one of `n` columns side by side.
    fn column_width(&self, n: usize) -> f32 {
        (PAGE_W - 2.0 * MARGIN) / n.max(1) as f32
    }

    /// A section as a cell `width` wide: heading split into number and label, lines wrapped.
    fn cell(&self, s: &Section, width: f32) -> Cell {
        let (number, label) = split_heading(s);
        // An address's country (a line of its own in the text form) goes at the end of the line before it.
        let mut joined: Vec<String> = Vec::with_capacity(s.lines.len());
        for line in &s.lines {
            let country = line.len() == 2 && line.bytes().all(|b| b.is_ascii_uppercase());
            match joined.last_mut() {
                Some(prev) if country && matches!(s.kind, SectionKind::Box(_)) => {
                    prev.push_str(", ");
                    prev.push_str(line);
                }
                _ => joined.push(line.clone()),
            }
        }
        let lines = joined.iter().flat_map(|line| self.wrap(Face::Sans, BODY, line, width - 2.0 * PAD)).collect();
        Cell { number, label, face: Face::Sans, size: BODY, lines }
    }

    /// Sections as cells for a row of `n`.
    fn cells(&self, sections: &[&Section], n: usize) -> Vec<Cell> {
        let width = self.column_width(n);
        sections.iter().map(|s| self.cell(s, width)).collect()
    }

    /// Draws one cell: its frame `w` × `h` from `top` down, its heading and `lines` of its lines.
    fn draw_cell(&mut self, x: f32, top: f32, w: f32, h: f32, cell: &Cell, lines: (usize, usize)) {
        self.push(Op::Rect { x, y: top - h, w, h, fill: false });
        let mut y = top - PAD;
        if !(cell.number.is_empty() && cell.label.is_empty()) {
            y -= NUMBER;
            self.text(Face::Sans, NUMBER, x + PAD, y, 0.0, &cell.number);
            let nx = x + PAD + if cell.number.is_empty() { 0.0 } else { self.sans.width(&cell.number, NUMBER) + 2.5 };
            let label = cell.label.clone();
            self.text(Face::Sans, LABEL, nx, y, 0.3, &label);
            y -= NUMBER * 0.15;
        }
        for line in cell.lines.get(lines.0..lines.1).unwrap_or_default().to_vec() {
            y -= Self::line_height(cell.size);
            self.text(cell.face, cell.size, x + PAD, y + 1.2, 0.0, &line);
        }
    }

    /// Draws cells side by side at the top of the free space, `lines` of each from `from`.
    fn draw_row(&mut self, cells: &[Cell], ranges: &[(usize, usize)], height: f32) {
        let width = self.column_width(cells.len());
        let top = self.y;
        for (i, (cell, range)) in cells.iter().zip(ranges).enumerate() {
            self.draw_cell(MARGIN + i as f32 * width, top, width, height, cell, *range);
        }
        self.y -= height;
    }

    /// Columns of boxes side by side, each column's boxes stacked as on the paper form (the last box of the shorter
    /// column drawn down to the foot of the longer). When the columns do not fit on what is left of a page they
    /// go to a new one; when they do not fit on a page at all, their boxes are placed as rows instead.
    fn stack(&mut self, columns: &[Vec<&Section>]) {
        let columns: Vec<&Vec<&Section>> = columns.iter().filter(|c| !c.is_empty()).collect();
        if columns.is_empty() {
            return;
        }
        let width = self.column_width(columns.len());
        let mut cells: Vec<Vec<Cell>> =
            columns.iter().map(|c| c.iter().map(|s| self.cell(s, width)).collect()).collect();
        let column_height = |c: &Vec<Cell>| c.iter().map(Self::cell_height_of).sum::<f32>();
        // The last box of a column much taller than the next goes to the foot of the next, when that makes the
        // columns more even (box 5 beside box 18 when the parties on the left are long).
        for i in 0..cells.len().saturating_sub(1) {
            let (Some(a), Some(b)) = (cells.get(i), cells.get(i + 1)) else { continue };
            let (ha, hb) = (column_height(a), column_height(b));
            let last = a.last().map(Self::cell_height_of).unwrap_or(0.0);
            if a.len() > 1
                && (ha - last).max(hb + last) < ha.max(hb) - BALANCE_GAIN
                && let Some(c) = cells.get_mut(i).and_then(Vec::pop)
                && let Some(next) = cells.get_mut(i + 1)
            {
                next.push(c);
            }
        }
        let height = cells.iter().map(column_height).fold(0.0, f32::max);
        let usable = PAGE_H - 2.0 * MARGIN;
        if height > self.y - MARGIN && height <= usable {
            self.new_page();
        }
        if height > self.y - MARGIN {
            let rows = cells.iter().map(Vec::len).max().unwrap_or(0);
            let mut cells: Vec<std::vec::IntoIter<Cell>> = cells.into_iter().map(Vec::into_iter).collect();
            for _ in 0..rows {
                let row: Vec<Cell> = cells.iter_mut().filter_map(Iterator::next).collect();
                self.row(row);
            }
            return;
        }
        let top = self.y;
        for (i, column) in cells.iter().enumerate() {
            let x = MARGIN + i as f32 * width;
            let mut y = top;
            for (k, cell) in column.iter().enumerate() {
                let h = if k + 1 == column.len() { y - (top - height) } else { Self::cell_height_of(cell) };
                self.draw_cell(x, y, width, h, cell, (0, cell.lines.len()));
                y -= h;
            }
        }
        self.y = top - height;
    }

    /// A small heading line outside the boxes.
    fn caption(&mut self, text: &str) {
        let h = LABEL * 2.0;
        if h + 40.0 > self.y - MARGIN {
            self.new_page();
        }
        self.text(Face::Sans, LABEL, MARGIN, self.y - LABEL * 1.5, 0.3, text);
        self.y -= h;
    }

    /// Boxes 6–12 as a ruled table, the full width of the page: numbers and codes never break (the type shrinks,
    /// down to [`TABLE_MIN`], until they fit), text columns wrap within their width, and each row's quantity and
    /// ADR lines follow it across the table. Rows flow onto new pages, the column headings repeated.
    fn goods(&mut self, table: &GoodsTable, number: &str, label: &str) {
        let total = PAGE_W - 2.0 * MARGIN;
        let inner = total - 2.0 * PAD;
        let mut size = BODY;
        let (widths, size) = loop {
            let w = |t: &str| self.sans.width(t, size);
            let longest_word = |t: &str| t.split(' ').map(w).fold(0.0, f32::max);
            let mut natural = [0.0f32; 7];
            let mut minimum = [0.0f32; 7];
            for (i, (n, m)) in natural.iter_mut().zip(minimum.iter_mut()).enumerate() {
                let cells = table.rows.iter().filter_map(|r| r.cells.get(i));
                let head = table.header.get(i).map(String::as_str).unwrap_or_default();
                let head_w = longest_word(head) * LABEL / size;
                if GOODS_NO_WRAP.get(i).copied().unwrap_or(false) {
                    *n = cells.map(|c| w(c)).fold(head_w, f32::max) + 2.0 * CELL_PAD + SLACK;
                    *m = *n;
                } else {
                    let cells: Vec<&String> = cells.collect();
                    *n = cells.iter().map(|c| w(c)).fold(w(head) * LABEL / size, f32::max) + 2.0 * CELL_PAD;
                    *m =
                        cells.iter().map(|c| longest_word(c)).fold(head_w, f32::max).min(60.0) + 2.0 * CELL_PAD + SLACK;
                }
            }
            let fixed: f32 = natural.iter().zip(GOODS_NO_WRAP).filter(|(_, nw)| *nw).map(|(n, _)| n).sum();
            let text_min: f32 = minimum.iter().zip(GOODS_NO_WRAP).filter(|(_, nw)| !*nw).map(|(m, _)| m).sum();
            if fixed + text_min <= inner || size <= TABLE_MIN {
                // The text columns share what the numbers leave: a column that needs less than an even share gets
                // what it needs, and the others share the rest evenly (never below their longest word when
                // there is room for that).
                let room = (inner - fixed).max(0.0);
                let mut widths = natural;
                let mut open: Vec<usize> =
                    (0..7).filter(|i| !GOODS_NO_WRAP.get(*i).copied().unwrap_or(false)).collect();
                let mut left = room;
                while !open.is_empty() {
                    let share = left / open.len() as f32;
                    let (fit, rest): (Vec<usize>, Vec<usize>) =
                        open.iter().partition(|i| natural.get(**i).copied().unwrap_or(0.0) <= share);
                    if fit.is_empty() {
                        for i in &rest {
                            if let Some(wd) = widths.get_mut(*i) {
                                *wd = share.max(minimum.get(*i).copied().unwrap_or(0.0).min(room / 3.0));
                            }
                        }
                        break;
                    }
                    for i in &fit {
                        left -= natural.get(*i).copied().unwrap_or(0.0);
                    }
                    open = rest;
                }
                // Whatever is left over (or over-committed) goes to, or comes from, the nature of the goods.
                let sum: f32 = widths.iter().sum();
                if let Some(nature) = widths.get_mut(3) {
                    *nature = (*nature + inner - sum).max(10.0);
                }
                break (widths, size);
            }
            size = (size - 0.25).max(TABLE_MIN);
        };
        let lh = Self::line_height(size);
        let head_lines: Vec<Vec<String>> =
            table.header.iter().zip(widths).map(|(h, w)| self.wrap(Face::Sans, LABEL, h, w - 2.0 * CELL_PAD)).collect();
        let head_h = head_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * Self::line_height(LABEL) + 2.0;
        struct Row {
            cells: Vec<Vec<String>>,
            notes: Vec<String>,
            height: f32,
        }
        let mut rows: Vec<Row> = table
            .rows
            .iter()
            .map(|r| {
                let cells: Vec<Vec<String>> = r
                    .cells
                    .iter()
                    .zip(widths)
                    .enumerate()
                    .map(|(i, (c, w))| {
                        if GOODS_NO_WRAP.get(i).copied().unwrap_or(false) {
                            vec![c.clone()]
                        } else {
                            self.wrap(Face::Sans, size, c, w - 2.0 * CELL_PAD)
                        }
                    })
                    .collect();
                let notes: Vec<String> =
                    r.notes.iter().flat_map(|n| self.wrap(Face::Sans, size, n, inner - 12.0)).collect();
                let lines = cells.iter().map(Vec::len).max().unwrap_or(1) + notes.len();
                Row { cells, notes, height: lines as f32 * lh + 1.5 }
            })
            .collect();
        if rows.is_empty() {
            rows.push(Row { cells: vec![vec![table.none.clone()]], notes: Vec::new(), height: lh + 1.5 });
        }
        let box_head = Self::head_height() + PAD;
        let first_row = rows.first().map(|r| r.height).unwrap_or(0.0);
        if box_head + head_h + first_row + PAD > self.y - MARGIN {
            self.new_page();
        }
        let mut rows: std::collections::VecDeque<Row> = rows.into();
        while !rows.is_empty() {
            let top = self.y;
            // The box heading and the column headings.
            let mut y = top - PAD - NUMBER;
            self.text(Face::Sans, NUMBER, MARGIN + PAD, y, 0.0, number);
            let nx = MARGIN + PAD + self.sans.width(number, NUMBER) + 2.5;
            self.text(Face::Sans, LABEL, nx, y, 0.3, label);
            y -= NUMBER * 0.15 + 1.0;
            let mut x = MARGIN + PAD;
            for (lines, w) in head_lines.iter().zip(widths) {
                for (k, line) in lines.iter().enumerate() {
                    let ty = y - (k + 1) as f32 * Self::line_height(LABEL);
                    self.text(Face::Sans, LABEL, x + CELL_PAD, ty + 1.0, 0.3, line);
                }
                x += w;
            }
            y -= head_h;
            let table_top = y + head_h;
            self.push(Op::Line { x1: MARGIN + PAD, y1: y, x2: MARGIN + total - PAD, y2: y, gray: 0.4 });
            let mut drawn = 0;
            while let Some(mut row) = rows.pop_front() {
                let room = y - MARGIN - PAD;
                if row.height > room {
                    if drawn > 0 {
                        rows.push_front(row);
                        break;
                    }
                    // A row taller than a whole page: its lines continue on the next page.
                    let fit = ((room - 1.5) / lh).floor().max(1.0) as usize;
                    let rest_cells: Vec<Vec<String>> = row
                        .cells
                        .iter_mut()
                        .map(|l| if l.len() > fit { l.split_off(fit) } else { Vec::new() })
                        .collect();
                    let cell_lines = row.cells.iter().map(Vec::len).max().unwrap_or(1);
                    let rest_notes = row.notes.split_off(fit.saturating_sub(cell_lines).min(row.notes.len()));
                    let height = |cells: &[Vec<String>], notes: &[String]| {
                        (cells.iter().map(Vec::len).max().unwrap_or(0) + notes.len()).max(1) as f32 * lh + 1.5
                    };
                    row.height = height(&row.cells, &row.notes);
                    rows.push_front(Row {
                        height: height(&rest_cells, &rest_notes),
                        cells: rest_cells,
                        notes: rest_notes,
                    });
                }
                drawn += 1;
                let mut x = MARGIN + PAD;
                for (i, (lines, w)) in row.cells.iter().zip(widths).enumerate() {
                    let right = GOODS_RIGHT.get(i).copied().unwrap_or(false);
                    for (k, line) in lines.iter().enumerate() {
                        let tx = if right { x + w - CELL_PAD - self.sans.width(line, size) } else { x + CELL_PAD };
                        self.text(Face::Sans, size, tx, y - (k + 1) as f32 * lh + 1.2, 0.0, line);
                    }
                    x += w;
                }
                let cell_lines = row.cells.iter().map(Vec::len).max().unwrap_or(1);
                // Column rules beside the cells, not across the lines that span the table.
                let mut rx = MARGIN + PAD;
                let rule_bottom = y - cell_lines as f32 * lh - 1.5;
                for w in widths.iter().take(6) {
                    rx += w;
                    self.push(Op::Line { x1: rx, y1: y, x2: rx, y2: rule_bottom, gray: 0.6 });
                }
                for (k, note) in row.notes.iter().enumerate() {
                    let ty = y - (cell_lines + k + 1) as f32 * lh + 1.2;
                    self.text(Face::Sans, size, MARGIN + PAD + 12.0, ty, 0.0, note);
                }
                y -= row.height;
                if !rows.is_empty() {
                    self.push(Op::Line { x1: MARGIN + PAD, y1: y, x2: MARGIN + total - PAD, y2: y, gray: 0.8 });
                }
            }
            // Column rules beside the headings, and the frame.
            let mut x = MARGIN + PAD;
            for w in widths.iter().take(6) {
                x += w;
                self.push(Op::Line { x1: x, y1: table_top, x2: x, y2: table_top - head_h, gray: 0.6 });
            }
            let bottom = y - PAD;
            self.push(Op::Rect { x: MARGIN, y: bottom, w: total, h: top - bottom, fill: false });
            self.y = bottom;
            if !rows.is_empty() {
                self.new_page();
            }
        }
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

/// The PDF bytes: one A4 page for a typical note — the boxes in the two columns of the paper form (1–5 beside
/// 16–18, 13–15 beside 19–21), the goods as a ruled table, 22–24 side by side, the signature events, and what has
/// no box in two columns — flowing onto more pages only when a note is too long for one.
pub(super) fn render(r: &Rendering) -> Result<Vec<u8>, PdfError> {
    let mut l = Layout {
        sans: Font::new(dejavu::sans_condensed::regular(), "DejaVuSansCondensed")?,
        mono: Font::new(dejavu::sans_mono::regular(), "DejaVuSansMono")?,
        pages: Vec::new(),
        y: 0.0,
    };
    l.new_page();
    header(&mut l, r);

    use SectionKind::Box;
    let find = |k: SectionKind| r.sections.iter().position(|s| s.kind == k);
    let mut used = vec![false; r.sections.len()];
    let mut take = |kinds: &[SectionKind]| -> Vec<&Section> {
        kinds
            .iter()
            .filter_map(|k| find(*k))
            .filter_map(|i| {
                let u = used.get_mut(i)?;
                if *u {
                    return None;
                }
                *u = true;
                r.sections.get(i)
            })
            .collect()
    };
    let top = [take(&[Box(1), Box(2), Box(3), Box(4), Box(5)]), take(&[Box(16), Box(17), Box(18)])];
    let goods = take(&[SectionKind::Goods]);
    let middle = [take(&[Box(13), Box(14), Box(15)]), take(&[Box(19), Box(20), Box(21)])];
    let signatures = take(&[Box(22), Box(23), Box(24)]);
    let state = take(&[SectionKind::State]);
    let events = take(&[SectionKind::Events]);
    let trailer = take(&[SectionKind::Trailer]);
    let rest: Vec<&Section> =
        r.sections.iter().zip(&used).filter(|(s, u)| !**u && s.kind != SectionKind::Extra).map(|(s, _)| s).collect();
    let extras: Vec<&Section> = r.sections.iter().filter(|s| s.kind == SectionKind::Extra).collect();

    l.stack(&top);
    if let Some(g) = goods.first() {
        let (number, label) = split_heading(g);
        l.goods(&r.goods, &number, &label);
    }
    l.stack(&middle);
    if !signatures.is_empty() {
        let cells = l.cells(&signatures, signatures.len());
        l.row(cells);
    }
    if let Some(ev) = events.first() {
        // The event list is headed by the state section's heading; its lines are in the page header.
        let heading = state.first().map(|s| s.heading.trim_matches(|c| c == '-' || c == ' ').to_owned());
        let mut cells = l.cells(&[ev], 1);
        if let (Some(c), Some(h)) = (cells.first_mut(), heading) {
            c.label = h;
        }
        l.row(cells);
    }
    for s in rest {
        let cells = l.cells(&[s], 1);
        l.row(cells);
    }
    if !extras.is_empty() {
        if let Some(t) = trailer.first() {
            l.caption(t.heading.trim_matches(|c| c == '-' || c == ' '));
        }
        // Two columns, each section going to the shorter one.
        let width = l.column_width(2);
        let mut columns: [Vec<&Section>; 2] = [Vec::new(), Vec::new()];
        let mut heights = [0.0f32; 2];
        for s in extras {
            let h = Layout::cell_height_of(&l.cell(s, width));
            let i = usize::from(heights[1] < heights[0]);
            if let (Some(c), Some(hh)) = (columns.get_mut(i), heights.get_mut(i)) {
                c.push(s);
                *hh += h;
            }
        }
        l.stack(&columns);
    }
    write(l, &r.title, r.original.as_ref())
}

/// A box's number and label from its heading (`"16 Carrier"`), or no number and the whole heading.
fn split_heading(s: &Section) -> (String, String) {
    match s.kind {
        SectionKind::Box(_) | SectionKind::Goods => {
            let (n, l) = s.heading.split_once(' ').unwrap_or((&s.heading, ""));
            (n.to_owned(), l.to_owned())
        }
        _ => (String::new(), s.heading.clone()),
    }
}

/// The page header: the title, the document and its state, the QR code's caption and payload, and the QR code.
fn header(l: &mut Layout, r: &Rendering) {
    let top = l.y;
    l.text(Face::Sans, TITLE, MARGIN, top - TITLE, 0.0, &r.title);
    let mut y = top - TITLE * 1.45;
    let width = PAGE_W - 2.0 * MARGIN - if r.qr.is_some() { QR_SIZE + 10.0 } else { 0.0 };
    let state: Vec<String> =
        r.sections.iter().filter(|s| s.kind == SectionKind::State).flat_map(|s| s.lines.clone()).collect();
    for line in state {
        for w in l.wrap(Face::Sans, HEAD_BODY, &line, width) {
            y -= Layout::line_height(HEAD_BODY);
            l.text(Face::Sans, HEAD_BODY, MARGIN, y, 0.0, &w);
        }
    }
    let mut header_h = top - y;
    if let Some((payload, m, caption)) = &r.qr {
        let n = (m.width + 8) as f32;
        let module = QR_SIZE / n;
        let x0 = PAGE_W - MARGIN - QR_SIZE;
        for qy in 0..m.width {
            for qx in 0..m.width {
                if m.is_dark(qx, qy) {
                    l.push(Op::Rect {
                        x: x0 + (qx + 4) as f32 * module,
                        y: top - (qy + 5) as f32 * module,
                        w: module,
                        h: module,
                        fill: true,
                    });
                }
            }
        }
        y -= 3.0;
        for (face, text) in [(Face::Sans, caption.to_string()), (Face::Mono, payload.clone())] {
            let size = if face == Face::Mono { LABEL } else { BODY };
            for line in l.wrap(face, size, &text, width) {
                y -= Layout::line_height(size);
                l.text(face, size, MARGIN, y, 0.2, &line);
            }
        }
        header_h = (top - y + 2.0).max(QR_SIZE - 4.0);
    }
    l.y = top - header_h - 2.0;
}

/// The MIME type of an attached signed document.
pub(crate) const ORIGINAL_MIME: &str = "application/json";

fn write(l: Layout, title: &str, original: Option<&(String, Vec<u8>)>) -> Result<Vec<u8>, PdfError> {
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
                Op::Line { x1, y1, x2, y2, gray } => {
                    c.save_state();
                    c.set_stroke_gray(*gray);
                    c.set_line_width(0.4);
                    c.move_to(*x1, *y1);
                    c.line_to(*x2, *y2);
                    c.stroke();
                    c.restore_state();
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
    // The signed original as an associated file (the PDF/A-3 way): an embedded file stream with its MIME type,
    // size and MD5 checksum, a file specification saying it is the source of what the pages show, listed in the
    // catalog's embedded files and its /AF array.
    let spec = match original {
        Some((name, bytes)) => {
            use md5::Digest as _;
            let (spec, file) = (alloc(), alloc());
            let size = i32::try_from(bytes.len()).map_err(|_| PdfError("the signed document is too large".into()))?;
            let checksum = md5::Md5::digest(bytes);
            let compressed = compress_to_vec_zlib(bytes, 6);
            let mut ef = pdf.embedded_file(file, &compressed);
            ef.subtype(Name(ORIGINAL_MIME.as_bytes()));
            ef.filter(Filter::FlateDecode);
            ef.params().size(size).checksum(Str(checksum.as_slice()));
            ef.finish();
            pdf.file_spec(spec)
                .path(Str(name.as_bytes()))
                .unic_file(TextStr(name))
                .description(TextStr("The signed e-CMR document (ecmr-document/1) this note shows"))
                .embedded_file_with_unicode(file)
                .association_kind(AssociationKind::Source);
            Some((spec, name))
        }
        None => None,
    };
    let mut cat = pdf.catalog(catalog);
    cat.pages(pages_id);
    if let Some((spec, name)) = spec {
        cat.names().embedded_files().names().insert(Str(name.as_bytes()), spec);
        cat.insert(Name(b"AF")).array().item(spec);
    }
    cat.finish();
    pdf.document_info(info).title(TextStr(title)).producer(TextStr("ecmr"));
    Ok(pdf.finish())
}
