//! A small CPU rasterizer for egui's triangle meshes, so a report's picture is drawn with the
//! editor's own painter and font (egui's `default_fonts`) without a GPU.
//!
//! egui hands over [`egui::ClippedPrimitive`]s: triangles with premultiplied vertex colours and
//! texture coordinates into the font atlas (texture `Managed(0)`; white where a glyph covers).
//! Each pixel centre inside a triangle (and its clip rectangle) takes the barycentric blend of
//! the vertex colours times the bilinearly sampled texture, and is composited "over" the
//! picture (premultiplied alpha). egui's feathering supplies the anti-aliasing, as it does on
//! screen.

use egui::epaint::{ClippedPrimitive, Primitive, Vertex};
use egui::{Color32, ColorImage, TextureId};

/// An RGBA picture (premultiplied, opaque once a background is drawn).
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<[f32; 4]>,
}

impl Canvas {
    pub fn new(width: usize, height: usize, background: Color32) -> Self {
        let c = background.to_array().map(|v| f32::from(v) / 255.0);
        Self {
            width,
            height,
            rgba: vec![c; width * height],
        }
    }

    /// RGB bytes, row by row.
    pub fn to_rgb(&self) -> Vec<u8> {
        self.rgba
            .iter()
            .flat_map(|p| [p[0], p[1], p[2]].map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8))
            .collect()
    }

    /// Draws every primitive; `font` is the texture `Managed(0)` (the font atlas), the only
    /// texture a report uses (other textures draw as white).
    pub fn draw(&mut self, primitives: &[ClippedPrimitive], font: &ColorImage) {
        for p in primitives {
            let Primitive::Mesh(mesh) = &p.primitive else {
                continue;
            };
            let texture = (mesh.texture_id == TextureId::default()).then_some(font);
            let clip = p.clip_rect;
            for tri in mesh.indices.chunks_exact(3) {
                let v = [tri[0], tri[1], tri[2]].map(|i| mesh.vertices[i as usize]);
                self.triangle(&v, texture, clip);
            }
        }
    }

    fn triangle(&mut self, v: &[Vertex; 3], texture: Option<&ColorImage>, clip: egui::Rect) {
        let (a, b, c) = (v[0].pos, v[1].pos, v[2].pos);
        let area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        if area.abs() < 1e-6 {
            return;
        }
        let min_x = a.x.min(b.x).min(c.x).max(clip.min.x).max(0.0).floor() as usize;
        let min_y = a.y.min(b.y).min(c.y).max(clip.min.y).max(0.0).floor() as usize;
        let max_x =
            (a.x.max(b.x).max(c.x).min(clip.max.x).ceil().max(0.0) as usize).min(self.width);
        let max_y =
            (a.y.max(b.y).max(c.y).min(clip.max.y).ceil().max(0.0) as usize).min(self.height);
        let colors = v.map(|v| v.color.to_array().map(|c| f32::from(c) / 255.0));
        for y in min_y..max_y {
            let py = y as f32 + 0.5;
            for x in min_x..max_x {
                let px = x as f32 + 0.5;
                let w0 = ((b.x - px) * (c.y - py) - (b.y - py) * (c.x - px)) / area;
                let w1 = ((c.x - px) * (a.y - py) - (c.y - py) * (a.x - px)) / area;
                let w2 = 1.0 - w0 - w1;
                // Half-open edges (a small tolerance for shared edges).
                if w0 < -1e-5 || w1 < -1e-5 || w2 < -1e-5 {
                    continue;
                }
                let mut src = [0.0f32; 4];
                for (k, s) in src.iter_mut().enumerate() {
                    *s = w0 * colors[0][k] + w1 * colors[1][k] + w2 * colors[2][k];
                }
                if let Some(tex) = texture {
                    let u = w0 * v[0].uv.x + w1 * v[1].uv.x + w2 * v[2].uv.x;
                    let t = w0 * v[0].uv.y + w1 * v[1].uv.y + w2 * v[2].uv.y;
                    let texel = sample(tex, u, t);
                    for k in 0..4 {
                        src[k] *= texel[k];
                    }
                }
                let dst = &mut self.rgba[y * self.width + x];
                let keep = 1.0 - src[3].clamp(0.0, 1.0);
                for k in 0..4 {
                    dst[k] = src[k] + dst[k] * keep;
                }
            }
        }
    }
}

/// Bilinear sample of a premultiplied texture at normalised (u, v).
fn sample(tex: &ColorImage, u: f32, v: f32) -> [f32; 4] {
    let [w, h] = tex.size;
    if w == 0 || h == 0 {
        return [1.0; 4];
    }
    let x = (u * w as f32 - 0.5).clamp(0.0, (w - 1) as f32);
    let y = (v * h as f32 - 0.5).clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let px = |x: usize, y: usize| {
        tex.pixels[y * w + x]
            .to_array()
            .map(|c| f32::from(c) / 255.0)
    };
    let (p00, p10, p01, p11) = (px(x0, y0), px(x1, y0), px(x0, y1), px(x1, y1));
    let mut out = [0.0; 4];
    for k in 0..4 {
        let top = p00[k] + (p10[k] - p00[k]) * fx;
        let bottom = p01[k] + (p11[k] - p01[k]) * fx;
        out[k] = top + (bottom - top) * fy;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::epaint::Mesh;
    use egui::{Pos2, Rect, pos2};

    #[test]
    fn a_rectangle_fills_exactly_its_pixels_over_the_background() {
        let mut canvas = Canvas::new(20, 10, Color32::BLACK);
        let mut mesh = Mesh::default();
        mesh.add_colored_rect(
            Rect::from_min_max(pos2(2.0, 3.0), pos2(12.0, 7.0)),
            Color32::RED,
        );
        canvas.draw(
            &[ClippedPrimitive {
                clip_rect: Rect::EVERYTHING,
                primitive: Primitive::Mesh(mesh),
            }],
            &ColorImage::new([1, 1], vec![Color32::WHITE]),
        );
        let rgb = canvas.to_rgb();
        let red = rgb.chunks_exact(3).filter(|p| p == &[255, 0, 0]).count();
        assert_eq!(red, 10 * 4);
        assert_eq!(&rgb[(3 * 20 + 2) * 3..][..3], &[255, 0, 0]);
        assert_eq!(&rgb[(2 * 20 + 2) * 3..][..3], &[0, 0, 0]);
        let _ = Pos2::ZERO;
    }

    #[test]
    fn half_transparent_colour_blends_over() {
        let mut canvas = Canvas::new(4, 4, Color32::from_rgb(0, 0, 200));
        let mut mesh = Mesh::default();
        let half_white = Color32::from_white_alpha(128);
        mesh.add_colored_rect(
            Rect::from_min_max(pos2(0.0, 0.0), pos2(4.0, 4.0)),
            half_white,
        );
        canvas.draw(
            &[ClippedPrimitive {
                clip_rect: Rect::EVERYTHING,
                primitive: Primitive::Mesh(mesh),
            }],
            &ColorImage::new([1, 1], vec![Color32::WHITE]),
        );
        let p = &canvas.to_rgb()[..3];
        assert!(
            (i32::from(p[0]) - 128).abs() <= 1 && (i32::from(p[2]) - 228).abs() <= 2,
            "{p:?}"
        );
    }
}
