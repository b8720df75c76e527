//! Publish guards (data-spec §1): checked after both inputs were read and before anything is
//! written, against the published `index.json` (read once). Each refuses the run unless its
//! own override is given: an empty listing (`--allow-empty`), a listing that shrank by more
//! than `--max-shrink` percent (`--allow-shrink`), and a `now` earlier than the published
//! one (`--force`).

use crate::timestamp::Instant;
use contract::defaults;

/// The guard settings of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guards {
    /// Largest allowed drop in listed authors, in percent of the published listing (0–100).
    pub max_shrink_percent: u32,
    /// Publish a listing of zero authors.
    pub allow_empty: bool,
    /// Publish a listing that shrank by more than `max_shrink_percent`.
    pub allow_shrink: bool,
    /// Replace a published `index.json` whose `now` is later than this run's.
    pub force: bool,
}

impl Default for Guards {
    fn default() -> Self {
        Guards {
            max_shrink_percent: defaults::MAX_SHRINK_PERCENT,
            allow_empty: false,
            allow_shrink: false,
            force: false,
        }
    }
}

/// `--max-shrink` / `MAX_SHRINK_PERCENT`: a whole number of percent from 0 to 100.
pub fn parse_max_shrink(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= 100 => Ok(n),
        _ => Err(format!(
            "{} is not a whole percentage from 0 to 100 (default {})",
            crate::quote::quoted(text),
            defaults::MAX_SHRINK_PERCENT
        )),
    }
}

/// What the published `index.json` says, as far as the guards need it (read by
/// `crate::previous_index`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// No `index.json` is published (a first run).
    Absent,
    /// A listing of `authors` entries made at `now`.
    Listing { authors: usize, now: Instant },
    /// There is an `index.json`, but it is not a listing the job wrote: the guards that
    /// compare with it pass, and the summary says why (data-spec §1).
    Unreadable(String),
}

impl Previous {
    /// One word for the summary: `absent`, `listing` or `unreadable`.
    pub fn state(&self) -> &'static str {
        match self {
            Previous::Absent => "absent",
            Previous::Listing { .. } => "listing",
            Previous::Unreadable(_) => "unreadable",
        }
    }
}

/// `Err(one line)` when a guard refuses the run: every refusing guard with its numbers and
/// its override, and that nothing was written.
pub fn check(
    guards: &Guards,
    previous: &Previous,
    listed: usize,
    now: Instant,
    location: &str,
) -> Result<(), String> {
    let mut refusals = Vec::new();
    if listed == 0 && !guards.allow_empty {
        refusals.push(
            "the run would list 0 authors (no usable author has a counted post: an empty posts \
             file or master, or every post unknown_author) — check the export, or pass \
             --allow-empty (Lambda event \"allow_empty\": true) to publish an empty listing"
                .to_owned(),
        );
    }
    if let Previous::Listing {
        authors: before,
        now: before_now,
    } = previous
    {
        let before = *before;
        // Integer arithmetic: a drop of (before - listed) / before > max / 100.
        if listed < before
            && !guards.allow_shrink
            && (before - listed) as u128 * 100
                > u128::from(guards.max_shrink_percent) * before as u128
        {
            let drop = (before - listed) as f64 * 100.0 / before as f64;
            refusals.push(format!(
                "the listing would shrink from {before} to {listed} authors ({drop:.1} % fewer, \
                 more than --max-shrink {} %) — check the author master, or pass --allow-shrink \
                 (Lambda event \"allow_shrink\": true) once to publish it",
                guards.max_shrink_percent
            ));
        }
        if *before_now > now && !guards.force {
            refusals.push(format!(
                "the published index.json was made at now={before_now}, later than this run's \
                 now={now} — pass a later --now, or --force (Lambda event \"force\": true) to \
                 replace it with an older view"
            ));
        }
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "refusing to publish to {location}, nothing was written: {}",
            refusals.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Instant {
        Instant::parse(text).unwrap()
    }

    fn listing(authors: usize, now: &str) -> Previous {
        Previous::Listing {
            authors,
            now: at(now),
        }
    }

    const NOW: &str = "2025-11-25T00:00:00Z";

    #[test]
    fn an_empty_listing_is_refused_unless_allowed() {
        let e = check(&Guards::default(), &Previous::Absent, 0, at(NOW), "out/").unwrap_err();
        assert!(
            e.contains("0 authors") && e.contains("--allow-empty"),
            "{e}"
        );
        let allowed = Guards {
            allow_empty: true,
            ..Guards::default()
        };
        assert!(check(&allowed, &Previous::Absent, 0, at(NOW), "out/").is_ok());
    }

    #[test]
    fn a_shrink_up_to_the_threshold_passes_and_beyond_is_refused() {
        let g = Guards::default();
        assert!(check(&g, &listing(100, NOW), 90, at(NOW), "o").is_ok());
        let e = check(&g, &listing(100, NOW), 89, at(NOW), "o").unwrap_err();
        assert!(
            e.contains("from 100 to 89") && e.contains("--allow-shrink"),
            "{e}"
        );
        let allowed = Guards {
            allow_shrink: true,
            ..g
        };
        assert!(check(&allowed, &listing(100, NOW), 50, at(NOW), "o").is_ok());
        let strict = Guards {
            max_shrink_percent: 0,
            ..g
        };
        assert!(check(&strict, &listing(100, NOW), 99, at(NOW), "o").is_err());
        assert!(check(&g, &listing(10, NOW), 20, at(NOW), "o").is_ok());
    }

    #[test]
    fn no_previous_or_an_unreadable_one_passes_the_shrink_guard() {
        let g = Guards::default();
        assert!(check(&g, &Previous::Absent, 1, at(NOW), "o").is_ok());
        let junk = Previous::Unreadable("it is not a listing".to_owned());
        assert_eq!(junk.state(), "unreadable");
        assert!(check(&g, &junk, 1, at(NOW), "o").is_ok());
    }

    #[test]
    fn an_older_now_is_refused_unless_forced() {
        let g = Guards::default();
        let previous = listing(5, "2025-11-26T00:00:00Z");
        let e = check(&g, &previous, 5, at(NOW), "o").unwrap_err();
        assert!(
            e.contains("2025-11-26T00:00:00Z") && e.contains("--force"),
            "{e}"
        );
        let forced = Guards { force: true, ..g };
        assert!(check(&forced, &previous, 5, at(NOW), "o").is_ok());
        assert!(check(&g, &listing(5, NOW), 5, at(NOW), "o").is_ok());
    }

    #[test]
    fn max_shrink_takes_whole_percentages_up_to_100() {
        assert_eq!(parse_max_shrink("10"), Ok(10));
        assert_eq!(parse_max_shrink("0"), Ok(0));
        assert_eq!(parse_max_shrink("100"), Ok(100));
        assert!(parse_max_shrink("101").is_err());
        assert!(parse_max_shrink("-1").is_err());
        assert!(parse_max_shrink("ten").is_err());
    }
}
