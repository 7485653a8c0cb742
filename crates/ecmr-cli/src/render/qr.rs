//! The QR code on a rendering. Its payload ([`ecmr::qr::QrPayload`]) is the document's UIL, the seq and the digest
//! of the last event — as a link to a gateway's inspector page or as text — so an inspector can find the
//! electronic original and check the paper against it.

use qrcode::{Color, EcLevel, QrCode};

/// A QR code's modules: `width` × `width`, row by row, `true` for dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matrix {
    /// Modules per side.
    pub(crate) width: usize,
    /// Row-major, `true` = dark.
    pub(crate) dark: Vec<bool>,
}

impl Matrix {
    /// Encodes `text` with error correction level M.
    pub(crate) fn encode(text: &str) -> Option<Matrix> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
        let dark = code.to_colors().into_iter().map(|c| c == Color::Dark).collect();
        Some(Matrix { width: code.width(), dark })
    }

    /// Whether the module at column `x`, row `y` is dark (outside: light).
    pub(crate) fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }

    /// Text with half-block characters, two rows per line, with a 2-module quiet zone, for a terminal with light
    /// text on a dark background: light modules are drawn in the text colour, dark modules are left as the
    /// background. (Most readers also take the inverse, should the terminal be dark on light.)
    pub(crate) fn to_text(&self) -> String {
        let q = 2usize;
        let n = self.width + 2 * q;
        let mut out = String::new();
        let mut y = 0;
        while y < n {
            for x in 0..n {
                let top = self.is_dark_q(x, y, q);
                let bottom = y + 1 < n && self.is_dark_q(x, y + 1, q);
                out.push(match (top, bottom) {
                    (true, true) => ' ',
                    (true, false) => '▄',
                    (false, true) => '▀',
                    (false, false) => '█',
                });
            }
            out.push('\n');
            y += 2;
        }
        out
    }

    fn is_dark_q(&self, x: usize, y: usize, q: usize) -> bool {
        x >= q && y >= q && self.is_dark(x - q, y - q)
    }

    /// An SVG image, one path, with a 4-module quiet zone, `size` CSS pixels square.
    pub(crate) fn to_svg(&self, size: u32) -> String {
        let n = self.width + 8;
        let mut d = String::new();
        for y in 0..self.width {
            for x in 0..self.width {
                if self.is_dark(x, y) {
                    d.push_str(&format!("M{} {}h1v1h-1z", x + 4, y + 4));
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {n} {n}\" \
             shape-rendering=\"crispEdges\"><rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{d}\"/></svg>"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws the matrix as a greyscale image, `scale` pixels per module with a 4-module quiet zone, and decodes it.
    fn decode(m: &Matrix, scale: usize) -> String {
        let side = (m.width + 8) * scale;
        let mut shifted = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = (x / scale, y / scale);
            if mx >= 4 && my >= 4 && m.is_dark(mx - 4, my - 4) { 0 } else { 255 }
        });
        let grids = shifted.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn payload_round_trips_through_a_qr_reader() {
        let p = ecmr::qr::QrPayload::new(
            ecmr::qr::DEFAULT_GATE_ID,
            ecmr::qr::DEFAULT_PLATFORM_ID,
            "1570df58-b580-4b6c-9611-c56b1247bea6",
            5,
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        )
        .unwrap();
        for p in [p.clone(), p.with_gateway_url("https://gate.example.eu").unwrap()] {
            let text = p.to_string();
            let m = Matrix::encode(&text).unwrap();
            assert_eq!(decode(&m, 4), text);
            assert_eq!(ecmr::qr::QrPayload::parse(&decode(&m, 3)).unwrap(), p);
        }
    }

    #[test]
    fn text_and_svg_have_every_module() {
        let m = Matrix::encode("ecmr:x/0/sha256:00").unwrap();
        let t = m.to_text();
        assert_eq!(t.lines().count(), (m.width + 4).div_ceil(2));
        assert!(t.lines().all(|l| l.chars().count() == m.width + 4));
        let svg = m.to_svg(100);
        let dark = m.dark.iter().filter(|d| **d).count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
    }
}
