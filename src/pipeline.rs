//! The batch pipeline `guiju check` runs on: one thread reads batches in input order, the pool
//! evaluates them, and each batch is finished (for `check`: its groups aggregated, its findings
//! reported) in input order by whichever thread is free.
//!
//! There is no barrier between batches. A thread done with its part of one batch takes the next
//! batch's work; the batch that completes first waits in `pending` until those before it are
//! finished. At most `max_in_flight` batches are read and not yet finished, so memory stays
//! bounded whatever the file's size.
//!
//! This replaced a loop that evaluated batch *n* beside reading batch *n + 1* and then
//! reported batch *n*: there both threads met at the end of every batch, and on the benchmark's
//! file with the most findings one of two threads waited a tenth of the run
//! (`docs/performance.md`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Notes, when dropped while its thread panics, that the pipeline cannot go on: a batch that
/// will never be finished would otherwise keep the reader waiting for room forever.
struct Broken<'a>(&'a AtomicBool);

impl Drop for Broken<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Release);
        }
    }
}

/// Runs the pipeline on the current rayon pool (call it inside `ThreadPool::install`) and
/// returns once every batch is finished.
///
/// - `read` gives the next batch, or `None` when there are no more; it runs on the calling
///   thread, one call at a time, in order.
/// - `evaluate` runs on any thread of the pool, several batches at once; it may use the pool
///   itself (`par_iter`).
/// - `finish` gets each batch with its evaluation, one at a time, in the order `read` gave
///   them, on whichever thread completed it (or the reading thread while it waits).
///
/// Should `evaluate` or `finish` panic (a bug), reading stops and the panic is raised here once
/// the tasks under way are done, as `rayon::scope` does.
pub fn run<T, R>(
    max_in_flight: usize,
    mut read: impl FnMut() -> Option<T> + Send,
    evaluate: impl Fn(&T) -> R + Sync,
    finish: impl FnMut(T, R) + Send,
) where
    T: Send,
    R: Send,
{
    let max_in_flight = max_in_flight.max(1);
    // The finishing stage and the index of the batch it takes next.
    let stage = Mutex::new((finish, 0u64));
    // Evaluated batches waiting for those before them.
    let pending: Mutex<BTreeMap<u64, (T, R)>> = Mutex::new(BTreeMap::new());
    // Batches read and not yet finished.
    let in_flight = AtomicUsize::new(0);
    let broken = AtomicBool::new(false);
    // Finishes the batches that are next in order, if no other thread is finishing.
    let drain = || loop {
        let Ok(mut st) = stage.try_lock() else { return };
        loop {
            let next = st.1;
            let Some((t, r)) = pending.lock().ok().and_then(|mut p| p.remove(&next)) else {
                break;
            };
            st.1 += 1;
            let _broken = Broken(&broken);
            (st.0)(t, r);
            in_flight.fetch_sub(1, Ordering::AcqRel);
        }
        let next = st.1;
        drop(st);
        // A batch that completed while this thread finished others found the stage taken and
        // left it to this thread: look once more.
        if !pending.lock().is_ok_and(|p| p.contains_key(&next)) {
            return;
        }
    };
    let complete = |index: u64, t: T, r: R| {
        if let Ok(mut p) = pending.lock() {
            p.insert(index, (t, r));
        }
        drain();
    };
    rayon::scope_fifo(|s| {
        let mut index = 0u64;
        loop {
            // Wait for room, taking part in the work meanwhile.
            let mut idle = 0u32;
            while in_flight.load(Ordering::Acquire) >= max_in_flight {
                if broken.load(Ordering::Acquire) {
                    return;
                }
                drain();
                if matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                    idle = 0;
                    continue;
                }
                // Nothing to take: the other threads are on the last pieces of work. Spin a
                // little (waking from sleep is slow on a virtual machine), then sleep briefly.
                idle += 1;
                if idle < 64 {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
            }
            if broken.load(Ordering::Acquire) {
                return;
            }
            let Some(t) = read() else { break };
            in_flight.fetch_add(1, Ordering::AcqRel);
            let i = index;
            index += 1;
            let (evaluate, complete, broken) = (&evaluate, &complete, &broken);
            s.spawn_fifo(move |_| {
                let _broken = Broken(broken);
                let r = evaluate(&t);
                complete(i, t, r);
            });
        }
    });
    // Every batch completed before the scope ended, and none is left behind (see `drain`); this
    // only makes sure.
    if !broken.load(Ordering::Acquire) {
        drain();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// A little work whose length varies from batch to batch.
    fn spin(seed: u64) -> u64 {
        let mut x = seed;
        for _ in 0..(seed % 7) * 2_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        x
    }

    fn run_on(threads: usize, batches: u64, max_in_flight: usize) -> (Vec<(u64, u64)>, usize) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool");
        let live = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let mut next = 0u64;
        let mut finished = Vec::new();
        pool.install(|| {
            run(
                max_in_flight,
                || {
                    if next == batches {
                        return None;
                    }
                    let n = live.fetch_add(1, Ordering::AcqRel) + 1;
                    most.fetch_max(n, Ordering::AcqRel);
                    next += 1;
                    Some(next - 1)
                },
                |&b| spin(b),
                |b, r| {
                    live.fetch_sub(1, Ordering::AcqRel);
                    finished.push((b, r));
                },
            );
        });
        (finished, most.load(Ordering::Acquire))
    }

    #[test]
    fn every_batch_is_finished_once_in_the_order_it_was_read() {
        for threads in [1, 2, 4] {
            for max in [1, 2, 3, 8] {
                let (finished, most) = run_on(threads, 500, max);
                let want: Vec<(u64, u64)> = (0..500).map(|b| (b, spin(b))).collect();
                assert_eq!(finished, want, "{threads} threads, {max} in flight");
                assert!(
                    most <= max,
                    "{most} batches alive with at most {max} in flight"
                );
            }
        }
    }

    #[test]
    fn no_batch_is_a_run_with_nothing_to_finish() {
        let (finished, _) = run_on(2, 0, 3);
        assert!(finished.is_empty());
    }

    #[test]
    fn a_panic_in_evaluating_or_finishing_is_raised_not_waited_on() {
        for in_finish in [false, true] {
            // On a thread of its own, so that a pipeline waiting forever fails the test.
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(2)
                    .build()
                    .expect("a pool");
                let mut next = 0u64;
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pool.install(|| {
                        run(
                            2,
                            || (next < 1_000).then(|| (next, next += 1).0),
                            |&b| {
                                if b == 7 && !in_finish {
                                    panic!("evaluating batch 7");
                                }
                                b
                            },
                            |b, _| {
                                if b == 7 && in_finish {
                                    panic!("finishing batch 7");
                                }
                            },
                        )
                    })
                }));
                let _ = tx.send((outcome.is_err(), next));
            });
            let (raised, read) = rx
                .recv_timeout(std::time::Duration::from_secs(60))
                .expect("the pipeline ended");
            assert!(raised, "in_finish {in_finish}: the panic was lost");
            assert!(
                read < 1_000,
                "in_finish {in_finish}: reading went on to the end"
            );
        }
    }

    #[test]
    fn evaluation_may_use_the_pool_and_finishing_may_too() {
        use rayon::prelude::*;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a pool");
        let total = AtomicU64::new(0);
        let mut order = Vec::new();
        let mut next = 0u64;
        pool.install(|| {
            run(
                2,
                || (next < 200).then(|| (next, next += 1).0),
                |&b| (0..1_000u64).into_par_iter().map(|k| k * b).sum::<u64>(),
                |b, r| {
                    // Parallel work inside the stage lets this thread take other batches' tasks.
                    let again: u64 = (0..1_000u64).into_par_iter().map(|k| k * b).sum();
                    assert_eq!(again, r);
                    total.fetch_add(r, Ordering::Relaxed);
                    order.push(b);
                },
            );
        });
        assert_eq!(order, (0..200).collect::<Vec<_>>());
        let each: u64 = (0..1_000u64).sum();
        assert_eq!(
            total.load(Ordering::Relaxed),
            each * (0..200u64).sum::<u64>()
        );
    }
}
