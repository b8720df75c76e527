//! PNG bytes for an indexed image: 8-bit palette, every row unfiltered, compressed by this
//! file's own deflate, which looks where a chart repeats itself — the row above (what the
//! "Up" filter exploits), the pixel before (flat runs) and the last place the next four bytes
//! were seen (repeated glyphs) — and codes one block with Huffman tables of its own symbol
//! counts. Smaller than zlib level 3 on charts at about a third of its time. Only IHDR, PLTE,
//! IDAT and IEND are written: no time, text or gamma chunks, so the same pixels give the
//! same bytes.

use anyhow::Context;
use png::{BitDepth, ColorType, Encoder};

/// A palette PNG of `width` × `height` pixels whose scanlines `zlib` holds compressed
/// ([`zlib`]), in the colours of `palette`.
pub(crate) fn palette_png(
    palette: &[[u8; 3]],
    zlib: &[u8],
    width: u32,
    height: u32,
) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(zlib.len() + 1024);
    let mut encoder = Encoder::new(&mut out, width, height);
    encoder.set_color(ColorType::Indexed);
    encoder.set_depth(BitDepth::Eight);
    encoder.set_palette(palette.as_flattened());
    let mut writer = encoder.write_header().context("writing the PNG header")?;
    writer
        .write_chunk(png::chunk::IDAT, zlib)
        .context("writing the PNG pixel data")?;
    writer.finish().context("finishing the PNG")?;
    Ok(out)
}

/// How many leading bytes `a` and `b` have in common: 8 bytes at a time for the short
/// runs of anti-aliased edges, then 32 at a time for flat areas.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
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

/// Longest match deflate can code.
const MAX_MATCH: usize = 258;
/// Shortest match deflate can code.
const MIN_MATCH: usize = 3;
/// Farthest back a match may reach.
const WINDOW: usize = 32 * 1024;
/// A match found this long is taken without looking for a repeated glyph.
const GOOD_ENOUGH: usize = 16;

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// Order in which the code-length code's lengths are written (RFC 1951 §3.2.7).
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];
const END_OF_BLOCK: usize = 256;

/// Length code (0–28, i.e. symbol 257 + code) of every match length 0–258.
static LENGTH_CODE: [u8; MAX_MATCH + 1] = {
    let mut table = [0u8; MAX_MATCH + 1];
    let (mut length, mut code) = (MIN_MATCH, 0);
    while length <= MAX_MATCH {
        while code + 1 < LENGTH_BASE.len() && LENGTH_BASE[code + 1] as usize <= length {
            code += 1;
        }
        table[length] = code as u8;
        length += 1;
    }
    table
};

/// Distance code of `distance` (1–32768).
fn distance_code(distance: usize) -> usize {
    let code = if distance <= 256 {
        DISTANCE_CODE[distance - 1]
    } else {
        DISTANCE_CODE[256 + ((distance - 1) >> 7)]
    };
    usize::from(code)
}

/// Distance codes: of distances 1–256 at [d - 1], of longer ones at [256 + (d - 1) / 128]
/// (codes 16 and up span multiples of 128).
static DISTANCE_CODE: [u8; 512] = {
    let mut table = [0u8; 512];
    let mut code = 0;
    let mut i = 0;
    while i < 512 {
        let distance = if i < 256 { i + 1 } else { ((i - 256) << 7) + 1 };
        if i == 256 {
            code = 0;
        }
        while code + 1 < DISTANCE_BASE.len() && DISTANCE_BASE[code + 1] as usize <= distance {
            code += 1;
        }
        table[i] = code as u8;
        i += 1;
    }
    table
};

/// One deflate symbol: a literal byte, or `length` bytes copied from `distance` back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Literal(u8),
    Match { length: u16, distance: u16 },
}

/// `data` as one zlib stream; `stride` is its row length (filter byte included) and
/// `adler32` its checksum.
pub(crate) fn zlib(data: &[u8], stride: usize, adler32: u32) -> Vec<u8> {
    let tokens = tokens(data, stride);
    let mut bits = Bits::with_capacity(data.len() / 24 + 1024);
    // CMF: deflate, 32 KiB window; FLG: fastest, and CMF·256 + FLG divisible by 31.
    bits.out.extend_from_slice(&[0x78, 0x01]);
    dynamic_block(&mut bits, &tokens);
    let mut out = bits.finish();
    out.extend_from_slice(&adler32.to_be_bytes());
    out
}

/// Greedy LZ77 over `data` with three candidates per position: a row back, a byte back,
/// and the last position with the same next four bytes.
fn tokens(data: &[u8], stride: usize) -> Vec<Token> {
    const HASH_BITS: u32 = 14;
    let mut last_seen = vec![0u32; 1 << HASH_BITS];
    let hash = |at: usize| {
        let four = u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        (four.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
    };
    let mut out = Vec::with_capacity(data.len() / 32);
    let mut at = 0;
    while at < data.len() {
        let max = (data.len() - at).min(MAX_MATCH);
        let mut best = (0, 0);
        if at >= stride && stride <= WINDOW {
            best = (match_length(data, at, at - stride, max), stride);
        }
        if best.0 < max && at >= 1 {
            let run = match_length(data, at, at - 1, max);
            if run > best.0 {
                best = (run, 1);
            }
        }
        if best.0 < GOOD_ENOUGH && at + 4 <= data.len() {
            let slot = &mut last_seen[hash(at)];
            // Positions are stored plus one, so 0 is "never seen"; images are < 4 GiB.
            let seen = *slot as usize;
            *slot = at as u32 + 1;
            if seen > 0 && at - (seen - 1) <= WINDOW {
                let length = match_length(data, at, seen - 1, max);
                if length > best.0 {
                    best = (length, at - (seen - 1));
                }
            }
        }
        let (length, distance) = best;
        if length >= MIN_MATCH {
            out.push(Token::Match {
                length: length as u16,
                distance: distance as u16,
            });
            at += length;
        } else {
            out.push(Token::Literal(data[at]));
            at += 1;
        }
    }
    out
}

/// How many bytes (up to `max`) from `at` equal those from `from`.
fn match_length(data: &[u8], at: usize, from: usize, max: usize) -> usize {
    common_prefix(&data[at..at + max], &data[from..from + max])
}

/// One final deflate block with dynamic Huffman codes (RFC 1951 §3.2.7).
fn dynamic_block(bits: &mut Bits, tokens: &[Token]) {
    let mut literal_counts = [0u32; 286];
    let mut distance_counts = [0u32; 30];
    for token in tokens {
        match *token {
            Token::Literal(byte) => literal_counts[usize::from(byte)] += 1,
            Token::Match { length, distance } => {
                literal_counts[257 + usize::from(LENGTH_CODE[usize::from(length)])] += 1;
                distance_counts[distance_code(usize::from(distance))] += 1;
            }
        }
    }
    literal_counts[END_OF_BLOCK] = 1;
    let literal_lengths = code_lengths(&literal_counts, 15);
    let mut distance_lengths = code_lengths(&distance_counts, 15);
    // Two distance codes at least, so the distance code is complete for every decoder.
    if distance_lengths.iter().filter(|&&l| l > 0).count() < 2 {
        distance_lengths[..2].fill(1);
    }
    let literal_used = 257.max(last_used(&literal_lengths));
    let distance_used = 1.max(last_used(&distance_lengths));

    // The two code-length lists, run-length coded with symbols 16–18.
    let lengths: Vec<u8> = literal_lengths[..literal_used]
        .iter()
        .chain(&distance_lengths[..distance_used])
        .copied()
        .collect();
    let runs = length_runs(&lengths);
    let mut run_counts = [0u32; 19];
    for &(symbol, _) in &runs {
        run_counts[usize::from(symbol)] += 1;
    }
    let run_lengths = code_lengths(&run_counts, 7);
    let run_codes = codes(&run_lengths);
    let orders_used = 4.max(
        CODE_LENGTH_ORDER
            .iter()
            .rposition(|&s| run_lengths[s] > 0)
            .map_or(0, |i| i + 1),
    );

    bits.put(1, 1); // final block
    bits.put(2, 2); // dynamic Huffman codes
    bits.put((literal_used - 257) as u32, 5);
    bits.put((distance_used - 1) as u32, 5);
    bits.put((orders_used - 4) as u32, 4);
    for &symbol in &CODE_LENGTH_ORDER[..orders_used] {
        bits.put(u32::from(run_lengths[symbol]), 3);
    }
    for &(symbol, extra) in &runs {
        let s = usize::from(symbol);
        bits.put(u32::from(run_codes[s]), u32::from(run_lengths[s]));
        match symbol {
            16 => bits.put(u32::from(extra), 2),
            17 => bits.put(u32::from(extra), 3),
            18 => bits.put(u32::from(extra), 7),
            _ => {}
        }
    }

    let literal_codes = codes(&literal_lengths);
    let distance_codes = codes(&distance_lengths);
    let literal = |bits: &mut Bits, symbol: usize| {
        bits.put(
            u32::from(literal_codes[symbol]),
            u32::from(literal_lengths[symbol]),
        );
    };
    for token in tokens {
        match *token {
            Token::Literal(byte) => literal(bits, usize::from(byte)),
            Token::Match { length, distance } => {
                let code = usize::from(LENGTH_CODE[usize::from(length)]);
                literal(bits, 257 + code);
                bits.put(
                    u32::from(length - LENGTH_BASE[code]),
                    u32::from(LENGTH_EXTRA[code]),
                );
                let code = distance_code(usize::from(distance));
                bits.put(
                    u32::from(distance_codes[code]),
                    u32::from(distance_lengths[code]),
                );
                bits.put(
                    u32::from(distance - DISTANCE_BASE[code]),
                    u32::from(DISTANCE_EXTRA[code]),
                );
            }
        }
    }
    literal(bits, END_OF_BLOCK);
}

/// One past the last symbol with a code.
fn last_used(lengths: &[u8]) -> usize {
    lengths.iter().rposition(|&l| l > 0).map_or(0, |i| i + 1)
}

/// Code lengths as (symbol 0–18, extra bits value): 16 repeats the previous length 3–6
/// times, 17 and 18 write 3–10 and 11–138 zeros.
fn length_runs(lengths: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lengths.len() {
        let value = lengths[i];
        let run = lengths[i..].iter().take_while(|&&l| l == value).count();
        let mut left = run;
        if value == 0 {
            while left >= 11 {
                let n = left.min(138);
                out.push((18, (n - 11) as u8));
                left -= n;
            }
            if left >= 3 {
                out.push((17, (left - 3) as u8));
                left = 0;
            }
        } else {
            out.push((value, 0));
            left -= 1;
            while left >= 3 {
                let n = left.min(6);
                out.push((16, (n - 3) as u8));
                left -= n;
            }
        }
        out.extend(std::iter::repeat_n((value, 0), left));
        i += run;
    }
    out
}

/// Huffman code lengths of at most `limit` bits for symbols counted `counts` times; an
/// unused symbol gets 0. Ties break on the symbol, so equal counts give equal codes.
fn code_lengths(counts: &[u32], limit: u8) -> Vec<u8> {
    let mut weights: Vec<u64> = counts.iter().map(|&c| u64::from(c)).collect();
    loop {
        let mut lengths = vec![0u8; weights.len()];
        let used: Vec<usize> = (0..weights.len()).filter(|&s| weights[s] > 0).collect();
        if used.len() <= 1 {
            for &s in &used {
                lengths[s] = 1;
            }
            return lengths;
        }
        // Leaves are nodes 0..used.len(), joined nodes follow; each node's parent.
        let mut parent = vec![0usize; 2 * used.len() - 1];
        let mut queue: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>> = used
            .iter()
            .enumerate()
            .map(|(node, &s)| std::cmp::Reverse((weights[s], node)))
            .collect();
        let mut next = used.len();
        while let (Some(std::cmp::Reverse((wa, a))), Some(std::cmp::Reverse((wb, b)))) =
            (queue.pop(), queue.pop())
        {
            parent[a] = next;
            parent[b] = next;
            queue.push(std::cmp::Reverse((wa + wb, next)));
            next += 1;
        }
        let root = next - 1;
        let mut depth = vec![0u8; root + 1];
        for node in (0..root).rev() {
            depth[node] = depth[parent[node]] + 1;
        }
        for (node, &s) in used.iter().enumerate() {
            lengths[s] = depth[node];
        }
        if lengths.iter().all(|&l| l <= limit) {
            return lengths;
        }
        // Too deep: flatten the counts and build again.
        for w in weights.iter_mut().filter(|w| **w > 0) {
            *w = (*w >> 1).max(1);
        }
    }
}

/// Canonical Huffman codes for `lengths`, bit-reversed: deflate writes codes from their
/// most significant bit, into a stream filled from each byte's least significant bit.
fn codes(lengths: &[u8]) -> Vec<u16> {
    let mut per_length = [0u16; 16];
    for &l in lengths.iter().filter(|&&l| l > 0) {
        per_length[usize::from(l)] += 1;
    }
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + per_length[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c.reverse_bits() >> (16 - l)
        })
        .collect()
}

/// A deflate bit stream: values are packed from each byte's least significant bit.
struct Bits {
    out: Vec<u8>,
    pending: u64,
    count: u32,
}

impl Bits {
    fn with_capacity(bytes: usize) -> Bits {
        Bits {
            out: Vec::with_capacity(bytes),
            pending: 0,
            count: 0,
        }
    }

    /// Append the low `n` (≤ 16) bits of `value`.
    fn put(&mut self, value: u32, n: u32) {
        self.pending |= u64::from(value) << self.count;
        self.count += n;
        if self.count >= 32 {
            self.out
                .extend_from_slice(&(self.pending as u32).to_le_bytes());
            self.pending >>= 32;
            self.count -= 32;
        }
    }

    /// The bytes, the last one padded with zero bits.
    fn finish(mut self) -> Vec<u8> {
        let bytes = self.count.div_ceil(8) as usize;
        self.out
            .extend_from_slice(&self.pending.to_le_bytes()[..bytes]);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// `data` compressed with its Adler-32 computed byte by byte.
    fn zlib(data: &[u8], stride: usize) -> Vec<u8> {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in data {
            a = (a + u32::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        super::zlib(data, stride, b << 16 | a)
    }

    fn inflate(zlib: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(zlib)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// Rows of `width` bytes after a 0 filter byte, from a generator of pixel values.
    fn scanlines(width: usize, height: usize, pixel: impl Fn(usize, usize) -> u8) -> Vec<u8> {
        let pixel = &pixel;
        (0..height)
            .flat_map(|y| std::iter::once(0).chain((0..width).map(move |x| pixel(x, y))))
            .collect()
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
    fn chart_like_rows_round_trip_through_inflate() {
        let data = scanlines(300, 200, |x, y| {
            if (x / 20) % 2 == 0 && y > 50 + x % 97 {
                3
            } else if y % 37 == 0 {
                1
            } else {
                ((x * 7 + y * 3) % 5 == 0) as u8 * 9
            }
        });
        let z = zlib(&data, 301);
        assert_eq!(inflate(&z), data);
        assert!(z.len() < data.len() / 4, "{} bytes", z.len());
    }

    #[test]
    fn every_byte_value_and_noise_round_trip() {
        // A literal-heavy stream: every byte value, then pseudo-random bytes.
        let mut data: Vec<u8> = (0..=255u8).collect();
        let mut state = 1u32;
        data.extend((0..20_000).map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        }));
        assert_eq!(inflate(&zlib(&data, 1201)), data);
    }

    #[test]
    fn tiny_and_uniform_inputs_round_trip() {
        for data in [vec![0u8], vec![5, 5], vec![7; 3], vec![0; 100_000]] {
            assert_eq!(inflate(&zlib(&data, 2)), data);
        }
    }

    #[test]
    fn skewed_counts_still_fit_fifteen_bits() {
        // Fibonacci-like counts make a plain Huffman tree deeper than 15.
        let mut counts = [0u32; 30];
        let (mut a, mut b) = (1u32, 1u32);
        for c in counts.iter_mut() {
            *c = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let lengths = code_lengths(&counts, 15);
        assert!(lengths.iter().all(|&l| (1..=15).contains(&l)));
        // Kraft: a complete prefix code.
        let kraft: f64 = lengths.iter().map(|&l| 0.5f64.powi(i32::from(l))).sum();
        assert!((kraft - 1.0).abs() < 1e-9, "{kraft}");
    }

    #[test]
    fn distance_codes_match_the_base_table() {
        for distance in 1..=WINDOW {
            let code = DISTANCE_BASE.partition_point(|&b| usize::from(b) <= distance) - 1;
            assert_eq!(distance_code(distance), code, "distance {distance}");
        }
    }

    #[test]
    fn the_same_data_gives_the_same_stream() {
        let data = scanlines(120, 80, |x, y| ((x ^ y) % 7) as u8);
        assert_eq!(zlib(&data, 121), zlib(&data, 121));
    }
}
