//! Stats: join posts to the author master, count per author per calendar month in the
//! configured zone, and pick the authors active in the window (data-spec §3, §5, §6).
//! Pure computation on decoded records: no I/O.

pub mod master;
mod skipped;
pub mod tally;

pub use master::{Author, Lookup, Master, MasterBuilder};
pub use skipped::Skipped;
pub use tally::{AuthorCounts, Tally, Window};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record::{parse_author, parse_post};
    use crate::month::MonthKey;
    use crate::timestamp::Instant;

    fn setup(authors: &[&str]) -> (Master, Skipped) {
        let mut b = MasterBuilder::default();
        let mut skipped = Skipped::default();
        for l in authors {
            match parse_author(l.as_bytes()) {
                Some(r) => b.add(r),
                None => skipped.malformed_lines += 1,
            }
        }
        let m = b.finish(&mut skipped);
        (m, skipped)
    }

    fn window(now: &str, days: u32, tz: &str) -> Window {
        Window::new(Instant::parse(now).unwrap(), days, tz.parse().unwrap())
    }

    #[test]
    fn first_matching_rule_wins() {
        let (m, s) = setup(&[r#"{"id":"a","slug":"ok"}"#, r#"{"id":"b","slug":"BAD"}"#]);
        let mut t = Tally::new(&m, window("2025-01-01T00:00:00Z", 7, "UTC"), s);
        for l in [
            r#"{"author_id":"","first_published_at":"nope"}"#,
            r#"{"author_id":"zz","first_published_at":null}"#,
            r#"{"author_id":"zz","first_published_at":"nope"}"#,
            r#"{"author_id":"zz","first_published_at":"2030-01-01T00:00:00Z"}"#,
            r#"{"author_id":"zz","first_published_at":"2024-01-01T00:00:00Z"}"#,
            r#"{"author_id":"b","first_published_at":"2024-01-01T00:00:00Z"}"#,
            r#"{"author_id":"a","first_published_at":"2024-01-01T00:00:00Z"}"#,
            r#"{"author_id":"a","first_published_at":12}"#,
        ] {
            t.add(parse_post(l.as_bytes()));
        }
        let s = t.skipped;
        assert_eq!(
            (
                s.missing_author_id,
                s.missing_published_at,
                s.bad_timestamp,
                s.future_post
            ),
            (1, 1, 2, 1)
        );
        assert_eq!((s.unknown_author, s.invalid_slug), (1, 1));
        assert_eq!(t.counted(), 1);
    }

    #[test]
    fn window_is_closed_at_both_ends() {
        let (m, s) = setup(&[
            r#"{"id":"edge","slug":"edge"}"#,
            r#"{"id":"before","slug":"before"}"#,
            r#"{"id":"now","slug":"now"}"#,
        ]);
        let mut t = Tally::new(&m, window("2025-01-08T00:00:00Z", 7, "UTC"), s);
        for l in [
            r#"{"author_id":"edge","first_published_at":"2025-01-01T00:00:00Z"}"#,
            r#"{"author_id":"before","first_published_at":"2024-12-31T23:59:59.999999999Z"}"#,
            r#"{"author_id":"now","first_published_at":"2025-01-08T00:00:00Z"}"#,
            r#"{"author_id":"now","first_published_at":"2025-01-08T00:00:00.000000001Z"}"#,
        ] {
            t.add(parse_post(l.as_bytes()));
        }
        let active = |id: &str| match m.lookup(id) {
            Lookup::Usable(i) => t.counts[i].active,
            _ => unreachable!(),
        };
        assert!(active("edge") && active("now") && !active("before"));
        assert_eq!(t.skipped.future_post, 1);
    }

    #[test]
    fn months_are_counted_in_the_zone() {
        let (m, s) = setup(&[r#"{"id":"a","slug":"a"}"#]);
        let post = r#"{"author_id":"a","first_published_at":"2024-01-31T15:00:00Z"}"#;
        for (tz, month) in [("Asia/Tokyo", 2), ("UTC", 1)] {
            let mut t = Tally::new(&m, window("2025-01-01T00:00:00Z", 7, tz), s);
            t.add(parse_post(post.as_bytes()));
            let months: Vec<_> = t.counts[0].monthly.keys().copied().collect();
            assert_eq!(months, vec![MonthKey::new(2024, month)], "{tz}");
        }
    }
}
