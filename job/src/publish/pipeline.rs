//! Render → publish as a bounded pipeline: the rayon pool produces (renders charts) into a
//! channel of a few slots, and the store consumes from it on the calling thread. A producer
//! waits while the channel is full, so at most `bound` finished items wait for the store,
//! plus one per rendering thread — memory does not grow with the number of charts.

use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

/// Slots of the channel between renderers and the store: two per rendering thread, enough
/// to keep both sides busy.
pub fn default_bound() -> usize {
    2 * rayon::current_num_threads().max(1)
}

/// Why a producer stopped.
enum Stop {
    /// `produce` failed.
    Failed(anyhow::Error),
    /// The consumer stopped taking items.
    Cancelled,
}

/// Run `produce` over `items` in parallel and hand each result to `consume` through a
/// channel of `bound` slots. Items reach `consume` in completion order. Returns what
/// `consume` returned; when a `produce` call fails, the others stop, the iterator ends early
/// and that error is returned (unless `consume` failed itself). When `consume` returns
/// before the iterator ended, the producers stop.
pub fn stream<T, C, R>(
    items: &[T],
    bound: usize,
    produce: impl Fn(&T) -> anyhow::Result<C> + Sync,
    consume: impl FnOnce(&mut dyn Iterator<Item = C>) -> anyhow::Result<R>,
) -> anyhow::Result<R>
where
    T: Sync,
    C: Send,
{
    let (tx, rx) = sync_channel::<C>(bound.max(1));
    std::thread::scope(|scope| {
        let produce = &produce;
        let producer = scope.spawn(move || {
            items.par_iter().try_for_each_with(tx, |tx, item| {
                let made = produce(item).map_err(Stop::Failed)?;
                tx.send(made).map_err(|_| Stop::Cancelled)
            })
        });
        let consumed = consume(&mut rx.iter());
        // Unblock producers waiting on a full channel: their sends now fail.
        drop(rx);
        let produced = match producer.join() {
            Ok(produced) => produced,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match (consumed, produced) {
            (Err(e), _) => Err(e),
            (Ok(_), Err(Stop::Failed(e))) => Err(e),
            (Ok(result), _) => Ok(result),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn items_in_memory_stay_within_the_bound_plus_one_per_thread() {
        let produced = AtomicUsize::new(0);
        let items: Vec<u32> = (0..200).collect();
        let bound = 3;
        let mut worst = 0;
        let total = stream(
            &items,
            bound,
            |i| {
                produced.fetch_add(1, Ordering::SeqCst);
                Ok(vec![*i as u8; 1000])
            },
            |rx| {
                let mut consumed = 0;
                for _ in rx {
                    consumed += 1;
                    std::thread::sleep(Duration::from_micros(300));
                    worst = worst.max(produced.load(Ordering::SeqCst) - consumed);
                }
                Ok(consumed)
            },
        )
        .unwrap();
        assert_eq!(total, 200);
        let limit = bound + rayon::current_num_threads() + 1;
        assert!(
            worst <= limit,
            "{worst} items were made but not yet consumed (limit {limit})"
        );
    }

    #[test]
    fn a_failed_item_stops_production_and_is_the_error() {
        let items: Vec<u32> = (0..1000).collect();
        let produced = AtomicUsize::new(0);
        let error = stream(
            &items,
            2,
            |i| {
                produced.fetch_add(1, Ordering::SeqCst);
                if *i == 10 {
                    anyhow::bail!("item {i} failed")
                }
                Ok(*i)
            },
            |rx| Ok(rx.count()),
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "item 10 failed");
        assert!(produced.load(Ordering::SeqCst) < 1000);
    }

    #[test]
    fn a_consumer_that_stops_early_stops_the_producers() {
        let items: Vec<u32> = (0..10_000).collect();
        let produced = AtomicUsize::new(0);
        let error = stream(
            &items,
            2,
            |i| {
                produced.fetch_add(1, Ordering::SeqCst);
                Ok(*i)
            },
            |rx| -> anyhow::Result<()> {
                let _ = rx.take(5).count();
                anyhow::bail!("store failed")
            },
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "store failed");
        assert!(produced.load(Ordering::SeqCst) < 10_000);
    }
}
