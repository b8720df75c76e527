//! The clean posts as a plan: which author wrote each post and when (or that it is still a
//! draft), before any text exists. Posts follow the authors' Zipf weights inside their
//! active periods, favour Japanese office hours, and come out ordered by post id as the real
//! export is. Bodies are generated later, while streaming, so the plan stays small.

use chrono::{DateTime, Utc};
use rand::Rng;

use super::cast::{Author, RECENT_SECS};
use super::names::Registry;
use super::stamp::Form;

/// Share of clean posts that are drafts (`first_published_at` null or absent).
const DRAFT_SHARE: f64 = 0.03;

/// When a planned post was published.
#[derive(Debug, Clone, Copy)]
pub(super) enum When {
    /// A draft: `first_published_at` is `null`, or absent when `key_absent`.
    Draft { key_absent: bool },
    /// Published at this instant, written in this form.
    At(DateTime<Utc>, Form),
}

/// One clean post line, minus its text.
#[derive(Debug, Clone)]
pub(super) struct PlannedPost {
    pub id: String,
    pub author: usize,
    pub when: When,
}

/// Plan exactly `posts` posts for `authors`, sorted by id.
pub(super) fn plan(
    rng: &mut impl Rng,
    registry: &mut Registry,
    authors: &[Author],
    posts: usize,
    until: DateTime<Utc>,
) -> Vec<PlannedPost> {
    let end = until.timestamp();
    let mut plan = Vec::with_capacity(posts);
    // First the guaranteed recent post of each recent author …
    for (i, a) in authors.iter().enumerate().filter(|(_, a)| a.recent) {
        if plan.len() == posts {
            break;
        }
        debug_assert!(a.leave == end);
        // Strictly inside the window even when `until` has a fraction of a second.
        let secs = rng.random_range(end - RECENT_SECS + 1..end);
        let when = published(rng, secs);
        plan.push(PlannedPost {
            id: registry.id(rng),
            author: i,
            when,
        });
    }
    // … then the rest by weight.
    let cumulative: Vec<f64> = authors
        .iter()
        .scan(0.0, |sum, a| {
            *sum += a.weight;
            Some(*sum)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(0.0);
    while plan.len() < posts {
        let x = rng.random::<f64>() * total;
        let i = cumulative
            .partition_point(|&c| c <= x)
            .min(authors.len() - 1);
        let a = &authors[i];
        let when = if rng.random_bool(DRAFT_SHARE) {
            When::Draft {
                key_absent: rng.random_bool(0.15),
            }
        } else {
            let secs = office_hours(rng, a.join, a.leave);
            published(rng, secs)
        };
        plan.push(PlannedPost {
            id: registry.id(rng),
            author: i,
            when,
        });
    }
    plan.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    plan
}

/// A published instant in second `secs` (plus a fraction the chosen form can spell).
fn published(rng: &mut impl Rng, secs: i64) -> When {
    let form = Form::random(rng);
    let nanos = form.nanos(rng);
    let at = DateTime::from_timestamp(secs, nanos).expect("sample instants are in range");
    When::At(at, form)
}

/// A second in `[from, to)`, most often during Japanese working hours.
fn office_hours(rng: &mut impl Rng, from: i64, to: i64) -> i64 {
    // Relative weight of each JST hour 0–23.
    const HOURS: [u32; 24] = [
        2, 1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 7, 8, 10, 10, 10, 9, 8, 6, 5, 5, 4, 3,
    ];
    const JST: i64 = 9 * 3600;
    let raw = rng.random_range(from..to);
    let mut pick = rng.random_range(0..HOURS.iter().sum::<u32>());
    let hour = HOURS
        .iter()
        .position(|&w| {
            if pick < w {
                true
            } else {
                pick -= w;
                false
            }
        })
        .unwrap_or(12) as i64;
    let day = (raw + JST).div_euclid(86_400);
    let shaped = day * 86_400 - JST + hour * 3600 + rng.random_range(0..3600);
    if (from..to).contains(&shaped) {
        shaped
    } else {
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::super::cast::{cast, recent_count};
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_plan_has_exactly_the_requested_posts_sorted_by_id() {
        let until = DateTime::from_timestamp(1_764_028_800, 0).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut registry = Registry::default();
        let authors = cast(&mut rng, &mut registry, 40, recent_count(40, 500), until);
        let plan = plan(&mut rng, &mut registry, &authors, 500, until);
        assert_eq!(plan.len(), 500);
        assert!(plan.windows(2).all(|w| w[0].id < w[1].id));
        for p in &plan {
            let a = &authors[p.author];
            if let When::At(at, _) = p.when {
                assert!(at < until);
                assert!(at.timestamp() >= a.join && at.timestamp() < a.leave);
            }
        }
    }

    #[test]
    fn every_recent_author_has_a_post_in_the_last_week() {
        let until = DateTime::from_timestamp(1_764_028_800, 0).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let mut registry = Registry::default();
        let authors = cast(&mut rng, &mut registry, 100, 8, until);
        let plan = plan(&mut rng, &mut registry, &authors, 300, until);
        for (i, _) in authors.iter().enumerate().filter(|(_, a)| a.recent) {
            assert!(plan.iter().any(|p| p.author == i
                && matches!(p.when, When::At(at, _) if (until - at).num_seconds() < RECENT_SECS)));
        }
    }
}
