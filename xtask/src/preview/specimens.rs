//! The specimen sheet's synthetic authors: a fixed set chosen to stress the design (one post,
//! two months, a steady year, 15 years of 1,700+ posts, a gap of years, a 3-digit month, a
//! name cut with "…", an English name, a full-width space, a month in progress without a
//! post), each as the job's own render input, at a fixed `now` so the page is reproducible.

use author_stats::month::MonthKey;
use author_stats::render::Job;
use author_stats::slug::Slug;

/// The sheet's `now`: the sample's (`cargo xtask demo`), so both show the same month in
/// progress. Only `<slug>.stats.json` records it; no picture shows it.
pub const NOW: &str = contract::defaults::SAMPLE_NOW;

/// The month of [`NOW`] (in the chart zone, Asia/Tokyo, as in UTC): every specimen's last,
/// in-progress month.
pub const NOW_MONTH: MonthKey = MonthKey {
    year: 2025,
    month: 11,
};

/// One synthetic author and what it is there to show.
pub struct Specimen {
    /// What in the design it stresses (the sheet's heading).
    pub stresses: &'static str,
    pub job: Job,
}

/// Posts per month from `first` through [`NOW_MONTH`]: `count(i)` for the i-th month.
fn counts(first: MonthKey, count: impl Fn(usize, MonthKey) -> u32) -> Vec<u32> {
    first
        .through(NOW_MONTH)
        .enumerate()
        .map(|(i, month)| count(i, month))
        .collect()
}

fn specimen(
    stresses: &'static str,
    slug: &str,
    display_name: &str,
    first: MonthKey,
    count: impl Fn(usize, MonthKey) -> u32,
) -> Specimen {
    Specimen {
        stresses,
        job: Job {
            slug: Slug::parse(slug).expect("the specimens' slugs are valid"),
            display_name: display_name.to_owned(),
            first_month: first,
            counts: counts(first, count),
        },
    }
}

/// Every specimen, in the sheet's order (short histories first).
pub fn all() -> Vec<Specimen> {
    let m = MonthKey::new;
    vec![
        specimen(
            "One post, this month only",
            "one-post-this-month",
            "佐藤 葵",
            NOW_MONTH,
            |_, _| 1,
        ),
        specimen(
            "Two months: one complete, one in progress",
            "two-months",
            "鈴木 一郎",
            m(2025, 10),
            |i, _| [3, 2][i],
        ),
        specimen(
            "A steady 12-month author",
            "steady-year",
            "高橋 美咲",
            m(2024, 11),
            |i, _| [4, 5, 4, 6, 5, 4, 5, 6, 4, 5, 5, 4, 2][i],
        ),
        specimen(
            "15 years, 1,700+ posts",
            "fifteen-years",
            "渡辺 健太",
            m(2010, 12),
            // 6–14 a month, a little more each year: 1,9xx in all.
            |i, _| 6 + (i * 7 % 9) as u32 + (i / 60) as u32,
        ),
        specimen(
            "A gap of six years",
            "gap-of-years",
            "伊藤 直樹",
            m(2013, 4),
            |i, month| match month.year {
                2016 if month.month >= 10 => 0,
                2017..=2021 => 0,
                2022 if month.month < 10 => 0,
                _ => 2 + (i % 4) as u32,
            },
        ),
        specimen(
            "A 3-digit month (128 posts)",
            "three-digit-month",
            "中村 さくら",
            m(2023, 1),
            |i, month| {
                if month == MonthKey::new(2024, 7) {
                    128
                } else {
                    3 + (i % 5) as u32
                }
            },
        ),
        specimen(
            "A long Japanese name, cut with “…”",
            "long-japanese-name",
            "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処やぶら小路の藪柑子パイポパイポパイポのシューリンガン",
            m(2022, 2),
            |i, _| 1 + (i % 3) as u32,
        ),
        specimen(
            "An English name",
            "english-name",
            "Margaret Higginbotham",
            m(2021, 6),
            |i, _| 2 + (i * 5 % 7) as u32,
        ),
        specimen(
            "A full-width space (U+3000) in the name",
            "full-width-space",
            "山本\u{3000}花子",
            m(2019, 9),
            |i, _| (i * 3 % 5) as u32,
        ),
        specimen(
            "No post yet in the month in progress",
            "quiet-this-month",
            "小林 翔",
            m(2025, 3),
            |i, month| if month == NOW_MONTH { 0 } else { 2 + (i % 2) as u32 },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(slug: &str) -> Job {
        all()
            .into_iter()
            .find(|s| s.job.slug.as_str() == slug)
            .unwrap()
            .job
    }

    fn total(job: &Job) -> u32 {
        job.counts.iter().sum()
    }

    #[test]
    fn now_is_in_the_month_every_specimen_ends_with() {
        assert!(NOW.starts_with(&NOW_MONTH.to_string()));
        for s in all() {
            let last = s.job.first_month.plus(s.job.counts.len() - 1);
            assert_eq!(last, NOW_MONTH, "{}", s.job.slug);
        }
    }

    #[test]
    fn the_set_holds_every_case_the_design_must_take() {
        let one = find("one-post-this-month");
        assert_eq!(
            (one.counts.as_slice(), one.first_month),
            (&[1][..], NOW_MONTH)
        );
        assert_eq!(find("two-months").counts.len(), 2);
        assert_eq!(find("steady-year").counts.len(), 13);
        let long = find("fifteen-years");
        assert_eq!(long.counts.len(), 15 * 12);
        assert!(total(&long) >= 1_700, "{}", total(&long));
        let gap = find("gap-of-years");
        let zeros = gap.counts.iter().filter(|&&c| c == 0).count();
        assert!(zeros >= 5 * 12, "{zeros} empty months");
        assert!(find("three-digit-month").counts.iter().any(|&c| c >= 100));
        assert!(find("long-japanese-name").display_name.chars().count() > 60);
        assert!(find("english-name").display_name.is_ascii());
        assert!(find("full-width-space").display_name.contains('\u{3000}'));
        assert_eq!(find("quiet-this-month").counts.last(), Some(&0));
    }

    #[test]
    fn slugs_are_distinct() {
        let mut slugs: Vec<String> = all().iter().map(|s| s.job.slug.to_string()).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), all().len());
    }
}
