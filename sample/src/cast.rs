//! The clean author population: who writes, from when to when, and how much.
//! Activity is Zipf-like (a few prolific authors, a long tail); authors join over the 15
//! years before `until`, some leave, and a fixed share is guaranteed a post in the last week
//! so a daily run renders dozens of charts. Every author here is usable (data-spec §3.4).

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::Rng;

use super::names::{Identity, Registry};

/// Length of the sample's history.
pub(super) const HISTORY_SECS: i64 = (15 * 365 + 4) * 86_400;
/// The window in which `recent` authors are guaranteed a post.
pub(super) const RECENT_SECS: i64 = 7 * 86_400;

/// One clean author.
#[derive(Debug, Clone)]
pub(super) struct Author {
    pub id: String,
    pub who: Identity,
    /// Unix seconds of the first possible post.
    pub join: i64,
    /// Unix seconds after which the author writes no more (`until` if still active).
    pub leave: i64,
    /// Relative share of the posts (0 for authors who never write).
    pub weight: f64,
    /// Guaranteed one post in the last `RECENT_SECS` before `until`.
    pub recent: bool,
    pub bio: Option<&'static str>,
    pub avatar: bool,
}

/// How many authors get a guaranteed recent post: 5 % of them, at least 3 (when possible).
pub(super) fn recent_count(authors: usize, posts: usize) -> usize {
    (authors * 5 / 100).max(3).min(authors).min(posts)
}

/// Make `n` authors. `recent` of them are active up to `until` and flagged `recent`.
pub(super) fn cast(
    rng: &mut impl Rng,
    registry: &mut Registry,
    n: usize,
    recent: usize,
    until: DateTime<Utc>,
) -> Vec<Author> {
    let end = until.timestamp();
    let start = end - HISTORY_SECS;
    // Zipf ranks, shuffled so activity is unrelated to file order and name.
    let mut ranks: Vec<usize> = (1..=n).collect();
    ranks.shuffle(rng);
    let prolific = (n / 100).max(3);
    let mut authors: Vec<Author> = ranks
        .into_iter()
        .map(|rank| {
            let id = registry.id(rng);
            let who = registry.person(rng);
            let (join, leave) = if rank <= prolific {
                // The old guard: joined in the first third, still writing.
                (start + rng.random_range(0..HISTORY_SECS / 3), end)
            } else {
                // Later years hire more: skew joins towards `until`.
                let f = rng.random::<f64>().powf(0.6);
                let latest_join = HISTORY_SECS - 30 * 86_400;
                let join = start + (f * latest_join as f64) as i64;
                let leave = if rng.random_bool(0.5) {
                    let v = rng.random_range(0.15..1.0);
                    join + (v * (end - join) as f64) as i64
                } else {
                    end
                };
                (join, leave)
            };
            let silent = rank > prolific && rng.random_bool(0.03);
            let weight = if silent {
                0.0
            } else {
                1.0 / (rank as f64).powf(0.95)
            };
            Author {
                id,
                who,
                join,
                leave,
                weight,
                recent: false,
                bio: bio(rng),
                avatar: rng.random_bool(0.7),
            }
        })
        .collect();
    // Recent authors: prefer the ones still active, then revive others as needed.
    let mut order: Vec<usize> = (0..authors.len()).collect();
    order.shuffle(rng);
    order.sort_by_key(|&i| {
        let a = &authors[i];
        (a.leave != end, a.weight == 0.0)
    });
    for &i in order.iter().take(recent) {
        let a = &mut authors[i];
        a.recent = true;
        a.leave = end;
        a.join = a.join.min(end - RECENT_SECS);
        if a.weight == 0.0 {
            a.weight = 1.0 / n as f64;
        }
    }
    authors
}

fn bio(rng: &mut impl Rng) -> Option<&'static str> {
    const BIOS: &[&str] = &[
        "バックエンドエンジニア。Rust と AWS が好きです。",
        "SRE。監視とコスト最適化を担当しています。",
        "フロントエンドとデザインシステム。",
        "Data engineer. Pipelines, Parquet and too much coffee.",
        "Engineering manager, ex-mobile developer.",
        "機械学習基盤を作っています / ML platform.",
        "QA とテスト自動化。\n趣味はキーボード自作。",
        "Writes about \"boring\" infrastructure so you don't have to.",
    ];
    if rng.random_bool(0.6) {
        Some(BIOS[rng.random_range(0..BIOS.len())])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn until() -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_028_800, 0).unwrap()
    }

    #[test]
    fn recent_authors_are_active_through_until() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let authors = cast(&mut rng, &mut Registry::default(), 200, 10, until());
        let recent: Vec<_> = authors.iter().filter(|a| a.recent).collect();
        assert_eq!(recent.len(), 10);
        for a in recent {
            assert_eq!(a.leave, until().timestamp());
            assert!(a.join <= a.leave - RECENT_SECS);
            assert!(a.weight > 0.0);
        }
    }

    #[test]
    fn activity_periods_lie_within_the_history() {
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        let end = until().timestamp();
        for a in cast(&mut rng, &mut Registry::default(), 500, 25, until()) {
            assert!(a.join >= end - HISTORY_SECS && a.join < a.leave && a.leave <= end);
        }
    }
}
