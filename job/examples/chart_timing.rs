//! Hand-run benchmark of the chart renderer: renders a mix of realistic series on one
//! thread and prints the time per chart (draw + encode) and the PNG sizes.
//! `cargo run --release -p author-stats --example chart_timing -- [CHARTS] [OUT_DIR]`
//! writes every distinct chart kind to OUT_DIR as PNG too, to look at. With `--per-format`
//! instead of OUT_DIR it times each file of an author on its own (PNG and SVG, light and
//! dark, and `<slug>.stats.json`) and both PNGs and both SVGs as the job makes them (one
//! drawing per format, two palettes), and prints one `per-format` line (`cargo xtask bench`).

use std::time::Instant;

use author_stats::chart::{
    render, render_png, render_pngs, render_svgs, summary, ChartInput, Format, Style, Variant,
};
use author_stats::month::MonthKey;
use author_stats::render::{stats_json, Job};
use author_stats::slug::Slug;

/// A small deterministic generator (SplitMix64), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Case {
    name: String,
    first: MonthKey,
    counts: Vec<u32>,
}

impl Case {
    fn input(&self) -> ChartInput<'_> {
        ChartInput {
            display_name: &self.name,
            first_month: self.first,
            counts: &self.counts,
        }
    }
}

/// The month `months - 1` months before November 2025.
fn first_month(months: usize) -> MonthKey {
    let mut m = MonthKey::new(2025, 11);
    for _ in 1..months {
        m = if m.month == 1 {
            MonthKey::new(m.year - 1, 12)
        } else {
            MonthKey::new(m.year, m.month - 1)
        };
    }
    m
}

fn case(rng: &mut Rng, kind: usize) -> Case {
    const NAMES: [&str; 6] = [
        "鈴木 亮",
        "山田　花子",
        "Jane Doe",
        "佐藤 健太郎 (Kentaro Sato)",
        "María José García-Fernández",
        "たなかゆうこ",
    ];
    let (name, months, scale) = match kind {
        0 => (NAMES[0].to_owned(), 80, 6),
        1 => (NAMES[1].to_owned(), 180, 4),
        2 => (NAMES[2].to_owned(), 1, 9),
        3 => (NAMES[3].to_owned(), 14, 12),
        4 => ("とても長い名前".repeat(30), 40, 3),
        5 => (NAMES[4].to_owned(), 672, 40),
        6 => (NAMES[5].to_owned(), 120, 10_000),
        _ => {
            let n = NAMES[rng.below(NAMES.len() as u64) as usize].to_owned();
            (n, 1 + rng.below(180) as usize, 1 + rng.below(15) as u32)
        }
    };
    let mut level = f64::from(scale);
    let counts = (0..months)
        .map(|_| {
            // A slowly drifting level with quiet months.
            level =
                (level * (0.8 + rng.below(41) as f64 / 100.0)).clamp(0.5, f64::from(scale) * 3.0);
            if months > 1 && rng.below(5) == 0 {
                0
            } else {
                ((level * rng.below(100) as f64 / 60.0).round() as u32).max(1)
            }
        })
        .collect();
    Case {
        name,
        first: first_month(months),
        counts,
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let charts: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(400);
    let out_dir = args.next();

    let mut rng = Rng(42);
    let cases: Vec<Case> = (0..charts).map(|i| case(&mut rng, i)).collect();

    // Warm up (font registration, allocator).
    let style = Style::builtin();
    render_png(
        &ChartInput {
            display_name: "warm-up",
            first_month: MonthKey::new(2025, 1),
            counts: &[1, 2, 3],
        },
        &style,
        Variant::Light,
    )?;

    if out_dir.as_deref() == Some("--per-format") {
        return per_format(&cases, &style);
    }
    let mut bytes = 0usize;
    let mut largest = 0usize;
    let started = Instant::now();
    for (i, c) in cases.iter().enumerate() {
        let png = render_png(&c.input(), &style, Variant::Light)?;
        bytes += png.len();
        largest = largest.max(png.len());
        if let Some(dir) = &out_dir {
            if i < 8 {
                std::fs::create_dir_all(dir)?;
                std::fs::write(format!("{dir}/chart-{i}.png"), &png)?;
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{charts} charts: {:.2} ms/chart on one thread, average {:.1} KB, largest {:.1} KB",
        elapsed.as_secs_f64() * 1000.0 / charts as f64,
        bytes as f64 / charts as f64 / 1024.0,
        largest as f64 / 1024.0,
    );
    Ok(())
}

/// A renderer of every variant of one format from one drawing.
type Both = fn(&ChartInput<'_>, &Style, &[Variant]) -> anyhow::Result<Vec<Vec<u8>>>;

/// Single-thread milliseconds per chart for each file an author gets, and the SVG sizes.
fn per_format(cases: &[Case], style: &Style) -> anyhow::Result<()> {
    let mut line = format!("per-format {} charts:", cases.len());
    let mut svg_bytes = Vec::new();
    // What the job renders per author: both variants of a format from one drawing.
    for (format, both) in [
        (Format::Png, render_pngs as Both),
        (Format::Svg, render_svgs),
    ] {
        let started = Instant::now();
        for c in cases {
            both(&c.input(), style, &[Variant::Light, Variant::Dark])?;
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0 / cases.len() as f64;
        line += &format!(" {}-light+dark={ms:.3}", format.extension());
    }
    for format in [Format::Png, Format::Svg] {
        for variant in [Variant::Light, Variant::Dark] {
            let started = Instant::now();
            for c in cases {
                let input = c.input();
                let bytes = render(&input, style, variant, format)?;
                if format == Format::Svg {
                    svg_bytes.push(bytes.len());
                }
            }
            let ms = started.elapsed().as_secs_f64() * 1000.0 / cases.len() as f64;
            line += &format!(" {}-{}={ms:.3}", format.extension(), variant.name());
        }
    }
    let slug = Slug::parse("author").expect("a valid slug");
    let started = Instant::now();
    for c in cases {
        let job = Job {
            slug: slug.clone(),
            display_name: c.name.clone(),
            first_month: c.first,
            counts: c.counts.clone(),
        };
        let input = c.input();
        stats_json(&job, "2025-11-25T00:00:00Z", &summary(&input, style), &[])?;
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0 / cases.len() as f64;
    let average = svg_bytes.iter().sum::<usize>() as f64 / svg_bytes.len().max(1) as f64;
    let largest = svg_bytes.iter().copied().max().unwrap_or(0);
    println!(
        "{line} stats-json={ms:.3} svg-average-bytes={average:.0} svg-largest-bytes={largest}"
    );
    Ok(())
}
