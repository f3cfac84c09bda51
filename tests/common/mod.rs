//! Helpers shared by the integration tests: values that count themselves.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live values and remembers the peak.
#[derive(Default)]
pub struct LiveCounter {
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl LiveCounter {
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// A value registered with a [`LiveCounter`] from creation to drop.
pub struct Counted {
    pub value: i64,
    counter: Arc<LiveCounter>,
}

impl Counted {
    pub fn new(value: i64, counter: &Arc<LiveCounter>) -> Self {
        let live = counter.live.fetch_add(1, Ordering::SeqCst) + 1;
        counter.peak.fetch_max(live, Ordering::SeqCst);
        Counted {
            value,
            counter: counter.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.counter.live.fetch_sub(1, Ordering::SeqCst);
    }
}
