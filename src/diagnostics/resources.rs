//! A sampling resource profiler, like Dask's `ResourceProfiler`: a background thread reads
//! the process's resident memory (RSS, from `/proc/self/status`) at a fixed interval while
//! runs are in progress. As an [`Observer`] it samples during each run; [`start`] and
//! [`stop`] sample any stretch of a program.
//!
//! [`start`]: ResourceProfiler::start
//! [`stop`]: ResourceProfiler::stop

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::scheduler::Observer;

/// One sample: when (since the profiler was made) and the process's resident memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceSample {
    /// Time since the profiler was created.
    pub time: Duration,
    /// Resident set size in bytes (0 where `/proc` is not available).
    pub rss_bytes: u64,
}

/// Samples the process's memory in a background thread.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use chunkflow::{Array, Options, diagnostics::ResourceProfiler};
/// let resources = Arc::new(ResourceProfiler::new(Duration::from_millis(1)));
/// let x = Array::<f64>::ones(&[2_000_000], 100_000)?;
/// (&x * 2.0).sum().scalar_with(&Options::default().observer(resources.clone()))?;
/// let samples = resources.samples();
/// assert!(!samples.is_empty());
/// assert!(samples.iter().all(|s| s.rss_bytes > 0));
/// # Ok::<(), chunkflow::Error>(())
/// ```
pub struct ResourceProfiler {
    interval: Duration,
    origin: Instant,
    samples: Arc<Mutex<Vec<ResourceSample>>>,
    sampler: Mutex<Option<(Arc<AtomicBool>, JoinHandle<()>)>>,
}

impl ResourceProfiler {
    /// A profiler sampling every `interval` (at least 1 ms) while started.
    pub fn new(interval: Duration) -> Self {
        ResourceProfiler {
            interval: interval.max(Duration::from_millis(1)),
            origin: Instant::now(),
            samples: Arc::new(Mutex::new(Vec::new())),
            sampler: Mutex::new(None),
        }
    }

    /// When the profiler was made: sample times count from here.
    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// Starts sampling (nothing happens if it is already sampling). One sample is taken at
    /// once.
    pub fn start(&self) {
        let mut sampler = self.sampler.lock().unwrap_or_else(|e| e.into_inner());
        if sampler.is_some() {
            return;
        }
        self.sample_now();
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, samples, origin, interval) = (
            stop.clone(),
            self.samples.clone(),
            self.origin,
            self.interval,
        );
        let spawned = std::thread::Builder::new()
            .name("chunkflow-resources".into())
            .spawn(move || {
                while !flag.load(Ordering::Acquire) {
                    std::thread::sleep(interval);
                    push(&samples, origin);
                }
            });
        // A system that refuses a thread gets the start and stop samples only.
        if let Ok(handle) = spawned {
            *sampler = Some((stop, handle));
        }
    }

    /// Stops sampling, taking one last sample.
    pub fn stop(&self) {
        let running = self
            .sampler
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((stop, handle)) = running {
            stop.store(true, Ordering::Release);
            let _ = handle.join();
        }
        self.sample_now();
    }

    /// The samples so far, in time order.
    pub fn samples(&self) -> Vec<ResourceSample> {
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The largest resident memory sampled, in bytes.
    pub fn peak_rss(&self) -> u64 {
        self.samples()
            .iter()
            .map(|s| s.rss_bytes)
            .max()
            .unwrap_or(0)
    }

    fn sample_now(&self) {
        push(&self.samples, self.origin);
    }
}

impl Drop for ResourceProfiler {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.sampler.get_mut().ok().and_then(Option::take) {
            stop.store(true, Ordering::Release);
            let _ = handle.join();
        }
    }
}

impl Observer for ResourceProfiler {
    fn on_run_start(&self, _total_tasks: usize) {
        self.start();
    }
    fn on_run_end(&self, _ok: bool) {
        self.stop();
    }
}

fn push(samples: &Mutex<Vec<ResourceSample>>, origin: Instant) {
    let sample = ResourceSample {
        time: origin.elapsed(),
        rss_bytes: rss_bytes(),
    };
    samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(sample);
}

/// The process's resident set size, from `/proc/self/status` (`VmRSS`, in kB); 0 where it
/// cannot be read.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
