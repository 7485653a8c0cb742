//! A self-contained HTML page: every box of the form in the paper layout, the state, the events and the QR code
//! as inline SVG. No scripts, no external resources.

use super::{Rendering, Section, SectionKind, layout};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:12px;margin:16px;color:#000}\
header{display:flex;justify-content:space-between;align-items:flex-start;border:2px solid #000;padding:8px}\
h1{font-size:18px;margin:0}.qr{text-align:center;max-width:240px;font-size:10px}.qr code{word-break:break-all}\
.row{display:grid;grid-auto-flow:column;grid-auto-columns:minmax(0,1fr);border-left:2px solid #000;border-right:2px solid #000}\
.row:last-of-type{border-bottom:2px solid #000}\
.box{border-bottom:1px solid #000;border-right:1px solid #000;padding:4px 6px;min-height:3em}.box:last-child{border-right:0}\
.box h2{font-size:10px;font-weight:normal;margin:0 0 4px;color:#333}.box h2 b{font-size:13px;color:#000;margin-right:4px}\
.line{white-space:pre-wrap;overflow-wrap:anywhere}.mono .line{font-family:'DejaVu Sans Mono',monospace;white-space:pre;overflow-x:auto}\
.extra h2{font-size:12px;font-weight:bold;color:#000}@media print{body{margin:0}}";

fn section(s: &Section) -> String {
    let (id, class, heading) = match s.kind {
        SectionKind::Box(n) => {
            let label = s.heading.split_once(' ').map(|(_, l)| l).unwrap_or_default();
            (format!("box-{n}"), "box", format!("<b>{n}</b>{}", esc(label)))
        }
        SectionKind::Goods => {
            let label = s.heading.split_once(' ').map(|(_, l)| l).unwrap_or_default();
            ("box-6-12".to_owned(), "box mono", format!("<b>6–12</b>{}", esc(label)))
        }
        SectionKind::Events => ("events".to_owned(), "box extra", String::new()),
        SectionKind::State => ("state".to_owned(), "box extra", esc(&s.heading)),
        SectionKind::Trailer | SectionKind::Extra => (String::new(), "box extra", esc(&s.heading)),
    };
    let mut out = String::new();
    if id.is_empty() {
        out.push_str(&format!("<section class=\"{class}\">"));
    } else {
        out.push_str(&format!("<section class=\"{class}\" id=\"{id}\">"));
    }
    if !heading.is_empty() {
        out.push_str(&format!("<h2>{heading}</h2>"));
    }
    for l in &s.lines {
        out.push_str(&format!("<div class=\"line\">{}</div>", esc(l)));
    }
    out.push_str("</section>");
    out
}

/// The page.
pub(super) fn render(r: &Rendering) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        r.lang,
        esc(&r.title)
    );
    out.push_str(&format!("<header><h1>{}</h1>", esc(&r.title)));
    if let Some((payload, m, caption)) = &r.qr {
        out.push_str(&format!(
            "<div class=\"qr\">{}<div>{}</div><code>{}</code></div>",
            m.to_svg(200),
            esc(caption),
            esc(payload)
        ));
    }
    out.push_str("</header>\n");
    for row in layout(r) {
        out.push_str("<div class=\"row\">");
        for s in row {
            out.push_str(&section(s));
        }
        out.push_str("</div>\n");
    }
    out.push_str("</body></html>\n");
    out
}
