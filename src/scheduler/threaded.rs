//! The threaded scheduler: a rayon pool of workers sharing one priority-ordered ready queue.
//!
//! Each worker job loops: take the lowest-numbered ready task, run it outside the lock, record
//! the result, and, when more tasks are ready than workers are busy, spawn jobs for the idle
//! workers. A job whose queue is empty ends instead of waiting, so no pool worker ever blocks
//! on another task; the caller waits in `rayon::ThreadPool::scope`, and a caller that is itself
//! a pool worker (a nested compute) helps run the jobs instead of blocking.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::state::{RunState, run_task};
use super::{Observer, Scheduler};
use crate::error::{Error, Result};
use crate::graph::{ExecGraph, Value};

/// Runs tasks in parallel on a pool of worker threads (default: one per available core).
///
/// Cloning is cheap and shares the pool.
///
/// ```
/// use chunkflow::graph::{Task, TaskGraph};
/// use chunkflow::scheduler::Threaded;
/// let mut g = TaskGraph::new();
/// for i in 0..4 {
///     g.literal(format!("x{i}"), i as i64)?;
/// }
/// g.insert("sum", Task::map_many("sum", |xs: &[&i64]| xs.iter().copied().sum::<i64>(),
///     (0..4).map(|i| format!("x{i}"))))?;
/// assert_eq!(g.get::<i64>(&Threaded::new(2)?, "sum")?, 6);
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone)]
pub struct Threaded {
    pool: Arc<rayon::ThreadPool>,
}

impl Threaded {
    /// A scheduler with its own pool of `workers` threads (at least one).
    pub fn new(workers: usize) -> Result<Self> {
        if workers == 0 {
            return Err(Error::InvalidArgument(
                "a threaded scheduler needs at least one worker".into(),
            ));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("chunkflow-{i}"))
            .build()
            .map_err(|e| Error::InvalidArgument(format!("cannot start worker threads: {e}")))?;
        Ok(Threaded {
            pool: Arc::new(pool),
        })
    }
}

impl Default for Threaded {
    /// The process-wide scheduler with one worker per available core, started on first use.
    fn default() -> Self {
        static SHARED: OnceLock<Threaded> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                Threaded::new(cores).expect("the operating system can start worker threads")
            })
            .clone()
    }
}

impl std::fmt::Debug for Threaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Threaded({} workers)", self.workers())
    }
}

/// The run state plus the number of worker jobs currently looping.
struct Shared {
    state: RunState,
    active_jobs: usize,
}

struct Run<'a> {
    graph: &'a ExecGraph,
    observer: Option<&'a dyn Observer>,
    shared: Mutex<Shared>,
    workers: usize,
}

impl Run<'_> {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // Tasks run outside the lock and their panics are caught, so poisoning cannot carry
        // a half-updated state; take the guard either way.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many more jobs to start so that min(ready, workers) jobs are looping.
    fn jobs_wanted(&self, shared: &Shared) -> usize {
        shared
            .state
            .ready_len()
            .min(self.workers)
            .saturating_sub(shared.active_jobs)
    }

    fn worker<'s>(&'s self, scope: &rayon::Scope<'s>) {
        let thread = rayon::current_thread_index().unwrap_or(0);
        loop {
            let (id, inputs) = {
                let mut shared = self.lock();
                match shared.state.next(self.graph) {
                    Some(next) => next,
                    None => {
                        shared.active_jobs -= 1;
                        return;
                    }
                }
            };
            let result = run_task(self.graph, id, inputs, self.observer, thread);
            let extra = {
                let mut shared = self.lock();
                match result {
                    Ok(value) => shared.state.finish(self.graph, id, value),
                    Err(error) => shared.state.fail(error),
                }
                let extra = self.jobs_wanted(&shared);
                shared.active_jobs += extra;
                extra
            };
            for _ in 0..extra {
                scope.spawn(|s| self.worker(s));
            }
        }
    }
}

impl Scheduler for Threaded {
    fn name(&self) -> &'static str {
        "threaded"
    }

    fn workers(&self) -> usize {
        self.pool.current_num_threads()
    }

    fn run(&self, graph: &ExecGraph, observer: Option<&dyn Observer>) -> Result<Vec<Value>> {
        if let Some(o) = observer {
            o.on_run_start(graph.len());
        }
        let run = Run {
            graph,
            observer,
            shared: Mutex::new(Shared {
                state: RunState::new(graph),
                active_jobs: 0,
            }),
            workers: self.workers(),
        };
        self.pool.scope(|scope| {
            let initial = {
                let mut shared = run.lock();
                let n = run.jobs_wanted(&shared);
                shared.active_jobs = n;
                n
            };
            for _ in 0..initial {
                scope.spawn(|s| run.worker(s));
            }
        });
        let shared = run.shared.into_inner().unwrap_or_else(|e| e.into_inner());
        let outputs = shared.state.into_outputs(graph);
        if let Some(o) = observer {
            o.on_run_end(outputs.is_ok());
        }
        outputs
    }
}
