//! Curves tessellated once and painted again while what they are drawn from stays the same.
//!
//! egui tessellates every shape of every frame. The editor's curves have hundreds of points
//! each (the loudness history, the spectrum's lines, the reference and its band) and change
//! only when their data does: a history point every 100 ms, a live spectrum per hop, the
//! long-term average and the reference a few times a second, while the editor repaints at up
//! to 60 Hz. So [`paint_cached`] turns a curve's shapes into one mesh with the tessellator and
//! options egui itself uses for the frame, and paints that mesh (a copy of its triangles)
//! until the curve's key changes: the same triangles as tessellating the shapes every frame.
//!
//! The meshes live in egui's memory ([`egui::cache::CacheStorage`]), so each context (each
//! open editor, each test harness) has its own; an entry not painted in a frame is dropped at
//! the frame's end, and a change of scale or tessellation options drops them all.

use egui::cache::CacheTrait;
use egui::epaint::{Mesh, Shape, TessellationOptions, Tessellator};
use egui::{Painter, Rect};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Paints the shapes `build` makes, tessellated once for as long as `key` stays the same.
///
/// `key` must hash everything the shapes are made from (the data, the rectangle they are
/// drawn in, colours that are not constants); the painter's clip rectangle, the scale and
/// the tessellation options are added here. The shapes must be lines, paths or meshes (no
/// text or circles: those are tessellated with the font atlas, which is not at hand here).
pub fn paint_cached(painter: &Painter, key: impl Hash, build: impl FnOnce() -> Vec<Shape>) {
    let ctx = painter.ctx();
    let tessellation = Tessellation {
        pixels_per_point: ctx.pixels_per_point(),
        options: ctx.tessellation_options(|o| *o),
        clip_rect: painter.clip_rect(),
    };
    let hash = {
        // Keys hold whole curves: a fast hasher (egui's own), not SipHash.
        let mut hasher = ahash::AHasher::default();
        key.hash(&mut hasher);
        hash_rect(&mut hasher, tessellation.clip_rect);
        hasher.finish()
    };
    let cached = ctx.memory_mut(|m| m.caches.cache::<MeshCache>().get(hash, &tessellation));
    let (mesh, bounds) = cached.unwrap_or_else(|| {
        let mesh = Arc::new(tessellation.tessellate(build()));
        let bounds = mesh.calc_bounds();
        ctx.memory_mut(|m| {
            m.caches
                .cache::<MeshCache>()
                .insert(hash, &tessellation, (mesh.clone(), bounds));
        });
        (mesh, bounds)
    });
    if !mesh.is_empty() {
        // Clipped to its own bounds (a point wider, so no pixel it touches is cut when the
        // renderer rounds the rectangle to pixels), the mesh is a draw call of its own: egui
        // starts a new output mesh for each change of clip rectangle and copies this one into
        // it at its exact size. Sharing its neighbours' rectangle, it would be appended to the
        // output mesh they fill, which is reallocated, all of it copied, each time it grows:
        // for the spectrum's and the history's curves that was a fifth of a frame's
        // tessellation.
        painter
            .with_clip_rect(bounds.expand(1.0))
            .add(Shape::Mesh(mesh));
    }
}

/// A rectangle as part of a key (hashed by its coordinates' bits).
#[derive(Debug, Clone, Copy)]
pub struct RectKey(pub Rect);

impl Hash for RectKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_rect(state, self.0);
    }
}

/// Values of a curve as part of a key (hashed as their bytes: the same bits, the same key).
#[derive(Debug, Clone, Copy)]
pub struct ValuesKey<'a, T>(pub &'a [T]);

impl<T: bytemuck::Pod> Hash for ValuesKey<'_, T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.len().hash(state);
        state.write(bytemuck::cast_slice(self.0));
    }
}

fn hash_rect(state: &mut impl Hasher, rect: Rect) {
    for v in [rect.min.x, rect.min.y, rect.max.x, rect.max.y] {
        v.to_bits().hash(state);
    }
}

/// How this frame tessellates: what a cached mesh must have been made with.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tessellation {
    pixels_per_point: f32,
    options: TessellationOptions,
    clip_rect: Rect,
}

impl Tessellation {
    /// The shapes' triangles, as `Context::tessellate` would make them in this frame.
    fn tessellate(&self, shapes: Vec<Shape>) -> Mesh {
        // Neither text nor circles: the font atlas's size and discs are not needed.
        let mut tessellator = Tessellator::new(self.pixels_per_point, self.options, [1, 1], vec![]);
        tessellator.set_clip_rect(self.clip_rect);
        let mut mesh = Mesh::default();
        for shape in shapes {
            debug_assert!(
                matches!(
                    shape,
                    Shape::Path(_) | Shape::LineSegment { .. } | Shape::Mesh(_) | Shape::Noop
                ),
                "paint_cached takes lines, paths and meshes"
            );
            tessellator.tessellate_shape(shape, &mut mesh);
        }
        mesh
    }
}

/// The meshes painted in the last frame, by key (kept in egui's memory).
#[derive(Default)]
pub struct MeshCache {
    /// Counts frames; an entry remembers the last one it was painted in.
    frame: u32,
    /// The scale and options of the meshes held: others drop them all.
    made_with: Option<(f32, TessellationOptions)>,
    /// Each with the frame it was last painted in and the bounds of its vertices.
    meshes: HashMap<u64, (u32, Arc<Mesh>, Rect)>,
}

impl MeshCache {
    fn get(&mut self, hash: u64, tessellation: &Tessellation) -> Option<(Arc<Mesh>, Rect)> {
        let made_with = (tessellation.pixels_per_point, tessellation.options);
        if self.made_with != Some(made_with) {
            self.meshes.clear();
            self.made_with = Some(made_with);
        }
        let frame = self.frame;
        self.meshes.get_mut(&hash).map(|(used, mesh, bounds)| {
            *used = frame;
            (mesh.clone(), *bounds)
        })
    }

    fn insert(
        &mut self,
        hash: u64,
        tessellation: &Tessellation,
        (mesh, bounds): (Arc<Mesh>, Rect),
    ) {
        if self.made_with == Some((tessellation.pixels_per_point, tessellation.options)) {
            self.meshes.insert(hash, (self.frame, mesh, bounds));
        }
    }
}

impl CacheTrait for MeshCache {
    /// Called by egui at the end of each frame: drops what this frame did not paint.
    fn update(&mut self) {
        let frame = self.frame;
        self.meshes.retain(|_, (used, _, _)| *used == frame);
        self.frame = self.frame.wrapping_add(1);
    }

    fn len(&self) -> usize {
        self.meshes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{Color32, Pos2, Stroke};

    /// The vertices of one frame that `paint` draws.
    fn vertices(
        ctx: &egui::Context,
        paint: impl FnMut(&mut egui::Ui),
    ) -> Vec<egui::epaint::Vertex> {
        let mut output = ctx.run_ui(egui::RawInput::default(), paint);
        // No renderer here: the font texture's updates are dropped.
        output.textures_delta.clear();
        ctx.tessellate(output.shapes, output.pixels_per_point)
            .into_iter()
            .flat_map(|p| match p.primitive {
                egui::epaint::Primitive::Mesh(mesh) => mesh.vertices,
                egui::epaint::Primitive::Callback(_) => Vec::new(),
            })
            .collect()
    }

    fn stroke() -> Stroke {
        Stroke::new(1.5, Color32::RED)
    }

    /// One frame painting a line through `points` with [`paint_cached`], counting the builds.
    fn cached(
        ctx: &egui::Context,
        points: &[Pos2],
        built: &mut usize,
    ) -> Vec<egui::epaint::Vertex> {
        vertices(ctx, |ui| {
            let coordinates: Vec<f32> = points.iter().flat_map(|p| [p.x, p.y]).collect();
            paint_cached(ui.painter(), ValuesKey(&coordinates), || {
                *built += 1;
                vec![Shape::line(points.to_vec(), stroke())]
            });
        })
    }

    #[test]
    fn a_cached_curve_is_what_egui_tessellates_and_is_rebuilt_when_its_key_changes() {
        let ctx = egui::Context::default();
        let points = [
            Pos2::new(10.0, 10.0),
            Pos2::new(50.0, 30.0),
            Pos2::new(90.0, 12.0),
        ];
        let mut built = 0;
        let first = cached(&ctx, &points, &mut built);
        let second = cached(&ctx, &points, &mut built);
        assert_eq!(
            built, 1,
            "the same key paints the mesh made in the frame before"
        );
        assert_eq!(first, second);
        // The same line tessellated by egui itself, as one shape of the frame.
        let direct = vertices(&ctx, |ui| {
            ui.painter().add(Shape::line(points.to_vec(), stroke()));
        });
        assert!(!direct.is_empty());
        assert_eq!(
            first, direct,
            "the same triangles as egui's own tessellation"
        );
        // New data: a new key, a new mesh.
        let moved = [points[0], Pos2::new(50.0, 40.0), points[2]];
        let third = cached(&ctx, &moved, &mut built);
        assert_eq!(built, 2);
        assert_ne!(third, first);
        // Another scale: the mesh is made again (feathering is in physical pixels).
        ctx.set_pixels_per_point(2.0);
        cached(&ctx, &moved, &mut built);
        assert_eq!(built, 3);
    }

    #[test]
    fn a_cached_curve_is_a_draw_call_of_its_own_that_clips_none_of_it() {
        let ctx = egui::Context::default();
        let points = [Pos2::new(10.0, 10.0), Pos2::new(90.0, 40.0)];
        let paint = |ui: &mut egui::Ui| {
            ui.label("before");
            paint_cached(ui.painter(), ValuesKey(&[0u8]), || {
                vec![Shape::line(points.to_vec(), stroke())]
            });
            ui.label("after");
        };
        for _ in 0..2 {
            let mut output = ctx.run_ui(egui::RawInput::default(), paint);
            output.textures_delta.clear();
            let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
            let meshes: Vec<(Rect, Mesh)> = primitives
                .into_iter()
                .filter_map(|p| match p.primitive {
                    egui::epaint::Primitive::Mesh(mesh) => Some((p.clip_rect, mesh)),
                    egui::epaint::Primitive::Callback(_) => None,
                })
                .collect();
            // Text, the line, text: three output meshes, the line's alone in its own.
            assert_eq!(
                meshes.len(),
                3,
                "{:?}",
                meshes.iter().map(|m| m.0).collect::<Vec<_>>()
            );
            let (clip, line) = &meshes[1];
            let alone = Tessellation {
                pixels_per_point: ctx.pixels_per_point(),
                options: ctx.tessellation_options(|o| *o),
                clip_rect: ctx.content_rect(),
            }
            .tessellate(vec![Shape::line(points.to_vec(), stroke())]);
            assert_eq!(line.vertices, alone.vertices);
            // Every vertex at least a point inside the rectangle, and the rectangle inside
            // the painter's.
            let bounds = line.calc_bounds();
            assert!(
                clip.contains_rect(bounds.expand(1.0)),
                "{clip:?} {bounds:?}"
            );
            assert!(meshes[0].0.contains_rect(*clip));
        }
    }
}
