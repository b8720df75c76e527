//! Colour reduction for the palette PNG: an RGB buffer to at most `max` colours and one
//! index per pixel. A chart is a few flat colours plus anti-aliasing blends; the flat
//! colours (`pinned`) and the most frequent blends are kept exactly, every other colour
//! takes its nearest kept one. Deterministic: ties break on the colour value.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Most colours a palette PNG can hold.
pub(crate) const MAX_COLOURS: usize = 256;

/// A palette image as PNG scanlines: each row is a 0 byte (PNG's filter type "None")
/// followed by one palette index per pixel, so the encoder compresses it as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Indexed {
    pub palette: Vec<[u8; 3]>,
    pub scanlines: Vec<u8>,
    /// Adler-32 of `scanlines`, from the runs (a row repeated costs nothing).
    pub adler32: u32,
}

thread_local! {
    /// Each thread's run buffers, reused from chart to chart (no page faults per chart).
    static RUNS: RefCell<Runs> = RefCell::new(Runs::default());
}

/// Reduce `rgb` (`width` pixels a row, 3 bytes a pixel) to at most `max` (≤ 256)
/// colours. The `pinned` colours that occur in the image are always kept.
#[cfg(test)]
pub(crate) fn quantize(rgb: &[u8], width: usize, pinned: &[[u8; 3]], max: usize) -> Indexed {
    let mut out = Indexed::default();
    quantize_into(rgb, width, pinned, max, &mut out);
    out
}

/// [`quantize`] into `out`, reusing its allocations.
pub(crate) fn quantize_into(
    rgb: &[u8],
    width: usize,
    pinned: &[[u8; 3]],
    max: usize,
    out: &mut Indexed,
) {
    RUNS.with_borrow_mut(|runs| {
        runs.fill(rgb, width);
        reduce(runs, width, pinned, max, out);
    });
}

fn reduce(runs: &Runs, width: usize, pinned: &[[u8; 3]], max: usize, out: &mut Indexed) {
    let max = max.clamp(1, MAX_COLOURS);
    // Pinned colours first, then the rest by pixel count (ties by colour value), so the
    // result never depends on hash map order. Only the kept ones need sorting: every other
    // colour takes its nearest kept one, in whatever order.
    let mut order: Vec<(bool, std::cmp::Reverse<u64>, u32, usize)> = runs
        .colours
        .iter()
        .zip(&runs.pixels)
        .enumerate()
        .map(|(id, (&c, &n))| (!pinned.contains(&unpack(c)), std::cmp::Reverse(n), c, id))
        .collect();
    let kept = order.len().min(max);
    if kept < order.len() {
        order.select_nth_unstable(kept);
    }
    order[..kept].sort_unstable();

    out.palette.clear();
    out.palette
        .extend(order[..kept].iter().map(|k| unpack(k.2)));
    let palette = &out.palette;
    let mut index_of = vec![0u8; runs.colours.len()];
    for (rank, &(_, _, colour, id)) in order.iter().enumerate() {
        let index = if rank < kept {
            rank
        } else {
            nearest(palette, unpack(colour))
        };
        // `index < kept <= 256`, so it fits a byte.
        index_of[id] = index as u8;
    }

    let stride = width + 1;
    let scanlines = &mut out.scanlines;
    scanlines.clear();
    scanlines.resize(runs.rows.len() * stride, 0);
    let mut checksum = Adler32::default();
    let mut row_sums = RowSums::default();
    for (row, range) in runs.rows.iter().enumerate() {
        let start = row * stride + 1;
        if row > 0 && runs.rows[row - 1] == *range {
            scanlines.copy_within(start - stride..start - 1, start);
        } else {
            row_sums = RowSums::default();
            let mut at = start;
            for &(id, len) in &runs.runs[range.clone()] {
                let index = index_of[id as usize];
                fill(&mut scanlines[at..at + len as usize], index);
                if index != 0 {
                    row_sums.add_run(stride, at - (start - 1), len as usize, index);
                }
                at += len as usize;
            }
        }
        checksum.add_row(stride, &row_sums);
    }
    out.adler32 = checksum.value();
}

/// Modulus of the Adler-32 sums.
const ADLER_MOD: u64 = 65_521;

/// The zlib checksum (RFC 1950 §8) of the scanlines, a row at a time.
struct Adler32 {
    a: u64,
    b: u64,
}

impl Default for Adler32 {
    fn default() -> Adler32 {
        Adler32 { a: 1, b: 0 }
    }
}

impl Adler32 {
    /// Go on over a row of `n` bytes whose sums are `row`: after bytes x₀ … xₙ₋₁, A grows
    /// by Σ xₜ and B by n·A + Σ (n − t)·xₜ.
    fn add_row(&mut self, n: usize, row: &RowSums) {
        self.b = (self.b + n as u64 * self.a + row.weighted) % ADLER_MOD;
        self.a = (self.a + row.sum) % ADLER_MOD;
    }

    fn value(&self) -> u32 {
        (self.b << 16 | self.a) as u32
    }
}

/// Σ xₜ and Σ (n − t)·xₜ over one row's bytes, `t` counted from the row's filter byte.
#[derive(Default)]
struct RowSums {
    sum: u64,
    weighted: u64,
}

impl RowSums {
    /// `len` bytes of `value` from offset `from` of a row of `n` bytes.
    fn add_run(&mut self, n: usize, from: usize, len: usize, value: u8) {
        let (n, from, len, value) = (n as u64, from as u64, len as u64, u64::from(value));
        self.sum += value * len;
        // Σ (n − t) for t in from..from + len.
        self.weighted += value * (len * (n - from) - len * (len - 1) / 2);
    }
}

/// `dst.fill(value)`, without a `memset` call for the many short runs of a chart.
fn fill(dst: &mut [u8], value: u8) {
    if dst.len() <= 16 {
        for b in dst {
            *b = value;
        }
    } else {
        dst.fill(value);
    }
}

/// The image as runs of equal pixels, row by row; a row equal to the one above shares its
/// runs. Colours get ids in order of first appearance.
#[derive(Default)]
struct Runs {
    /// Packed colour of each id.
    colours: Vec<u32>,
    /// Pixels of each id.
    pixels: Vec<u64>,
    /// (colour id, length) in pixel order.
    runs: Vec<(u32, u32)>,
    /// The runs of each row.
    rows: Vec<std::ops::Range<usize>>,
    /// Id of each packed colour.
    id_of: ColourMap<u32>,
}

impl Runs {
    /// Make these the runs of `rgb`, keeping the buffers' capacity.
    fn fill(&mut self, rgb: &[u8], width: usize) {
        let row_bytes = width.max(1) * 3;
        let out = self;
        out.colours.clear();
        out.pixels.clear();
        out.runs.clear();
        out.rows.clear();
        out.id_of.clear();
        // The last two colours seen: runs mostly alternate between two (bar, background).
        let mut recent = [(u32::MAX, 0u32); 2];
        let mut above: Option<&[u8]> = None;
        for row in rgb.chunks_exact(row_bytes) {
            if above == Some(row) {
                let same = out.rows[out.rows.len() - 1].clone();
                for &(id, len) in &out.runs[same.clone()] {
                    out.pixels[id as usize] += u64::from(len);
                }
                out.rows.push(same);
                continue;
            }
            above = Some(row);
            let start = out.runs.len();
            let pixel_count = row.len() / 3;
            let mut i = 0;
            while i < pixel_count {
                let colour = pack(&row[i * 3..i * 3 + 3]);
                // The run goes on while each byte equals the one a pixel before it.
                let j = i + 1 + common_prefix(&row[i * 3 + 3..], &row[i * 3..]) / 3;
                let id = if recent[0].0 == colour {
                    recent[0].1
                } else if recent[1].0 == colour {
                    recent.swap(0, 1);
                    recent[0].1
                } else {
                    // Fewer than 2²⁴ colours exist, so the id fits a u32.
                    let next = out.colours.len() as u32;
                    let id = *out.id_of.entry(colour).or_insert_with(|| {
                        out.colours.push(colour);
                        out.pixels.push(0);
                        next
                    });
                    recent = [(colour, id), recent[0]];
                    id
                };
                out.pixels[id as usize] += (j - i) as u64;
                out.runs.push((id, (j - i) as u32));
                i = j;
            }
            out.rows.push(start..out.runs.len());
        }
    }
}

/// How many leading bytes `a` and `b` have in common: 8 bytes at a time for the short
/// runs of anti-aliased edges, then 32 at a time for flat areas.
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let word = |s: &[u8], k: usize| u64::from_le_bytes(s[k..k + 8].try_into().unwrap_or_default());
    let mut k = 0;
    while k + 8 <= n {
        let diff = word(a, k) ^ word(b, k);
        if diff != 0 {
            return k + (diff.trailing_zeros() / 8) as usize;
        }
        k += 8;
        if k == 32 {
            while k + 32 <= n && a[k..k + 32] == b[k..k + 32] {
                k += 32;
            }
        }
    }
    k + a[k..]
        .iter()
        .zip(&b[k..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Index of the palette colour closest to `c` (squared RGB distance; first one on ties).
fn nearest(palette: &[[u8; 3]], c: [u8; 3]) -> usize {
    let mut best = (u32::MAX, 0);
    for (i, p) in palette.iter().enumerate() {
        let d = |k: usize| (i32::from(p[k]) - i32::from(c[k])).unsigned_abs();
        let distance = d(0) * d(0) + d(1) * d(1) + d(2) * d(2);
        if distance < best.0 {
            best = (distance, i);
        }
    }
    best.1
}

fn pack(px: &[u8]) -> u32 {
    u32::from(px[0]) << 16 | u32::from(px[1]) << 8 | u32::from(px[2])
}

fn unpack(c: u32) -> [u8; 3] {
    [(c >> 16) as u8, (c >> 8) as u8, c as u8]
}

/// A hash map keyed by packed colours, with a cheap multiplicative hash.
type ColourMap<V> = HashMap<u32, V, BuildHasherDefault<ColourHasher>>;

#[derive(Default)]
struct ColourHasher(u64);

impl Hasher for ColourHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(u32::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(pixels: &[[u8; 3]]) -> Vec<u8> {
        pixels.iter().flatten().copied().collect()
    }

    /// Every pixel's colour, row by row, after checking each row's filter byte.
    fn colours(indexed: &Indexed, width: usize) -> Vec<[u8; 3]> {
        indexed
            .scanlines
            .chunks_exact(width + 1)
            .flat_map(|row| {
                assert_eq!(row[0], 0, "filter type None");
                row[1..].iter().map(|&i| indexed.palette[usize::from(i)])
            })
            .collect()
    }

    #[test]
    fn few_colours_are_kept_exactly_most_frequent_first() {
        let px = [
            [255, 255, 255],
            [1, 2, 3],
            [255, 255, 255],
            [9, 9, 9],
            [1, 2, 3],
            [255, 255, 255],
        ];
        let indexed = quantize(&image(&px), px.len(), &[], 256);
        assert_eq!(colours(&indexed, px.len()), px);
        assert_eq!(indexed.palette, [[255, 255, 255], [1, 2, 3], [9, 9, 9]]);
    }

    #[test]
    fn long_runs_and_short_runs_come_out_pixel_for_pixel() {
        let mut px = vec![[7, 7, 7]; 1000];
        px[3] = [1, 1, 1];
        px[500..517].fill([2, 2, 2]);
        px[999] = [3, 3, 3];
        assert_eq!(
            colours(&quantize(&image(&px), px.len(), &[], 256), px.len()),
            px
        );
    }

    #[test]
    fn rare_colours_map_to_the_nearest_kept_one() {
        // 256 grey levels twice each, plus one rare near-white blend.
        let mut px: Vec<[u8; 3]> = (0..=255u8).flat_map(|g| [[g, g, g]; 2]).collect();
        px.push([254, 255, 253]);
        let indexed = quantize(&image(&px), px.len(), &[], 256);
        assert_eq!(indexed.palette.len(), 256);
        let out = colours(&indexed, px.len());
        assert_eq!(out[..512], px[..512]);
        assert_eq!(out[512], [254, 254, 254]);
    }

    #[test]
    fn repeated_rows_come_out_pixel_for_pixel() {
        // 4 pixels a row: two equal rows, then four equal rows of another kind.
        let a = [[1, 1, 1], [2, 2, 2], [2, 2, 2], [3, 3, 3]];
        let b = [[3, 3, 3], [3, 3, 3], [1, 1, 1], [2, 2, 2]];
        let px: Vec<[u8; 3]> = [a, a, b, b, b, b].concat();
        let indexed = quantize(&image(&px), 4, &[], 256);
        assert_eq!(colours(&indexed, 4), px);
        // Pixel counts include the repeated rows: 3 is the commonest colour.
        assert_eq!(indexed.palette[0], [3, 3, 3]);
    }

    #[test]
    fn pinned_colours_survive_a_small_palette() {
        let mut px = vec![[255, 255, 255]; 50];
        px.extend([[250, 250, 250]; 20]);
        px.push([255, 0, 0]);
        let indexed = quantize(&image(&px), px.len(), &[[255, 0, 0]], 2);
        assert_eq!(indexed.palette, [[255, 0, 0], [255, 255, 255]]);
        assert_eq!(colours(&indexed, px.len())[70], [255, 0, 0]);
        assert_eq!(colours(&indexed, px.len())[60], [255, 255, 255]);
    }

    /// Adler-32 byte by byte, as RFC 1950 defines it.
    fn adler32(bytes: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in bytes {
            a = (a + u32::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        b << 16 | a
    }

    #[test]
    fn the_checksum_is_the_adler32_of_the_scanlines() {
        // Long runs, short runs, repeated rows and many colours, 300 pixels a row.
        let px: Vec<[u8; 3]> = (0..300 * 40)
            .map(|i: u32| {
                let (x, y) = (i % 300, i / 300);
                match y {
                    0..=9 => [255, 255, 255],
                    10..=19 => [(x / 7 * 13) as u8, 9, (y * 3) as u8],
                    _ => [(x % 3) as u8 * 90, 0, 0],
                }
            })
            .collect();
        for max in [256, 4] {
            let indexed = quantize(&image(&px), 300, &[], max);
            assert_eq!(indexed.adler32, adler32(&indexed.scanlines), "max {max}");
        }
    }

    #[test]
    fn common_prefix_counts_equal_leading_bytes_at_any_length() {
        let a: Vec<u8> = (0..300u32).map(|i| (i % 7) as u8).collect();
        for cut in [0, 1, 7, 8, 9, 31, 32, 33, 100, 255, 299] {
            let mut b = a.clone();
            b[cut] ^= 0x80;
            assert_eq!(common_prefix(&a, &b), cut);
        }
        assert_eq!(common_prefix(&a, &a), 300);
        assert_eq!(common_prefix(&a[..50], &a), 50);
    }

    #[test]
    fn the_result_does_not_depend_on_pixel_order_of_equal_counts() {
        let a = quantize(&image(&[[1, 1, 1], [2, 2, 2]]), 2, &[], 256);
        let b = quantize(&image(&[[2, 2, 2], [1, 1, 1]]), 2, &[], 256);
        assert_eq!(a.palette, b.palette);
    }
}
