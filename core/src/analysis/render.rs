//! Waveform images: PNG (thumbnails for lists and players) and SVG (scalable, styleable).
//!
//! The waveform is resampled to the image width by taking, for every image column, the min
//! of the mins and the max of the maxes of the pixels it covers, so no peak is lost however
//! small the image. A split waveform draws one lane per channel, each with its centre line.

use serde::{Deserialize, Serialize};

use super::waveform::Waveform;
use crate::error::{Error, Result};

/// Size and colours of a rendered waveform. Colours are RGBA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RenderOptions {
    /// Image width in pixels; `None` draws one image column per waveform pixel.
    pub width: Option<u32>,
    /// Image height in pixels (default 200).
    pub height: u32,
    /// Background (default white).
    pub background: [u8; 4],
    /// Waveform fill (default a blue that reads on light and dark pages).
    pub waveform: [u8; 4],
    /// Centre line (default mid grey).
    pub axis: [u8; 4],
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            width: None,
            height: 200,
            background: [255, 255, 255, 255],
            waveform: [37, 99, 235, 255],
            axis: [148, 163, 184, 255],
        }
    }
}

/// Largest image side accepted.
const MAX_SIDE: u32 = 32_768;

/// Per image column and channel: `(min, max)` at 16-bit scale.
fn columns(w: &Waveform, width: usize) -> Vec<(i16, i16)> {
    let ch = w.channels.max(1) as usize;
    let len = w.len();
    let mut out = Vec::with_capacity(width * ch);
    for x in 0..width {
        let (a, b) = if len == 0 {
            (0, 0)
        } else {
            let a = x * len / width;
            let b = ((x + 1) * len / width).max(a + 1).min(len);
            (a, b)
        };
        for c in 0..ch {
            let (mut lo, mut hi) = (i16::MAX, i16::MIN);
            for p in a..b {
                let (mn, mx) = w.pair(p, c);
                lo = lo.min(mn);
                hi = hi.max(mx);
            }
            if a == b {
                (lo, hi) = (0, 0);
            }
            out.push((lo, hi));
        }
    }
    out
}

fn size(w: &Waveform, o: &RenderOptions) -> Result<(usize, usize)> {
    let width = o.width.unwrap_or(w.len().max(1) as u32);
    if width == 0 || o.height < 2 || width > MAX_SIDE || o.height > MAX_SIDE {
        return Err(Error::invalid(format!(
            "image size {width}x{} is outside 1..={MAX_SIDE} x 2..={MAX_SIDE}",
            o.height
        )));
    }
    Ok((width as usize, o.height as usize))
}

/// Vertical pixel span `[top, bottom]` of a `(min, max)` pair in a lane `[y0, y0 + h)`.
fn span(lo: i16, hi: i16, y0: usize, h: usize) -> (usize, usize) {
    let half = (h as f64 - 1.0) / 2.0;
    let mid = y0 as f64 + half;
    let y = |v: i16| (mid - f64::from(v) / 32_768.0 * half).round() as usize;
    let (top, bottom) = (y(hi), y(lo));
    (top.min(bottom), top.max(bottom))
}

/// Render to an RGBA PNG.
pub fn render_png(w: &Waveform, o: &RenderOptions) -> Result<Vec<u8>> {
    let (width, height) = size(w, o)?;
    let ch = w.channels.max(1) as usize;
    let lane = height / ch;
    if lane < 2 {
        return Err(Error::invalid(format!(
            "{height} pixels are too few for {ch} channel lanes"
        )));
    }
    let mut img = vec![0u8; width * height * 4];
    for px in img.chunks_exact_mut(4) {
        px.copy_from_slice(&o.background);
    }
    let cols = columns(w, width);
    for c in 0..ch {
        let y0 = c * lane;
        for x in 0..width {
            let (lo, hi) = cols[x * ch + c];
            if lo > hi {
                continue;
            }
            let (top, bottom) = span(lo, hi, y0, lane);
            for y in top..=bottom.min(y0 + lane - 1) {
                let i = (y * width + x) * 4;
                img[i..i + 4].copy_from_slice(&o.waveform);
            }
        }
        // The centre line goes on top, half-blended with what it crosses, so it shows through
        // loud passages without hiding them.
        let mid = span(0, 0, y0, lane).0;
        for x in 0..width {
            let i = (mid * width + x) * 4;
            for k in 0..4 {
                img[i + k] = ((u16::from(img[i + k]) + u16::from(o.axis[k])) / 2) as u8;
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width as u32, height as u32);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        let mut writer = enc
            .write_header()
            .map_err(|e| Error::Internal(format!("PNG encoder: {e}")))?;
        writer
            .write_image_data(&img)
            .map_err(|e| Error::Internal(format!("PNG encoder: {e}")))?;
    }
    Ok(out)
}

fn css(c: [u8; 4]) -> String {
    format!(
        "rgba({},{},{},{:.3})",
        c[0],
        c[1],
        c[2],
        f64::from(c[3]) / 255.0
    )
}

/// Render to SVG: per channel one closed path along the maxima and back along the minima.
pub fn render_svg(w: &Waveform, o: &RenderOptions) -> Result<String> {
    use std::fmt::Write;
    let (width, height) = size(w, o)?;
    let ch = w.channels.max(1) as usize;
    let lane = height as f64 / ch as f64;
    let cols = columns(w, width);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"none\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"{}\"/>\n",
        css(o.background)
    );
    for c in 0..ch {
        let half = lane / 2.0;
        let mid = c as f64 * lane + half;
        let y = |v: i16| mid - f64::from(v) / 32_768.0 * half;
        let _ = write!(
            s,
            "<line x1=\"0\" y1=\"{mid:.2}\" x2=\"{width}\" y2=\"{mid:.2}\" stroke=\"{}\" \
             stroke-width=\"1\"/>\n<path fill=\"{}\" d=\"M",
            css(o.axis),
            css(o.waveform)
        );
        for x in 0..width {
            let (_, hi) = cols[x * ch + c];
            let _ = write!(s, "{}{x} {:.2}", if x > 0 { "L" } else { "" }, y(hi));
            let _ = write!(s, "L{} {:.2}", x + 1, y(hi));
        }
        for x in (0..width).rev() {
            let (lo, _) = cols[x * ch + c];
            let _ = write!(s, "L{} {:.2}L{x} {:.2}", x + 1, y(lo), y(lo));
        }
        s.push_str("Z\"/>\n");
    }
    s.push_str("</svg>\n");
    Ok(s)
}
