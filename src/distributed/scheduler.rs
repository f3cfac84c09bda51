//! The `Mpi` scheduler: one rank's share of a graph on a few worker threads, values moved
//! between ranks by the communication thread.
//!
//! A run: every rank compiles the same graph; the ranks compare graph fingerprints (one
//! collective); each rank places the tasks (`owner.rs`) and runs the tasks it owns with the
//! shared state machine (`scheduler/state.rs`), started in depth-first priority order on
//! its workers. A finished task whose value another rank needs is encoded on the worker
//! (`wire.rs`) and handed to the communication thread; values arriving from other ranks are
//! decoded by the calling thread and recorded as if a local task had produced them. A rank
//! is done when every task it runs or receives has finished; requested outputs are sent to
//! every rank, so all ranks return the same results.
//!
//! Failure: the first error or panic on a rank fails its run there (nothing new starts,
//! held values are freed) and is sent to every other rank as an abort message naming the
//! task; a rank receiving it fails the same way with [`Error::TaskFailed`] whose cause is
//! [`Error::Remote`]. No rank waits for a value that will not come, so none hangs. A run
//! ends with one more collective in which each rank says whether it succeeded; a rank that
//! succeeded while another failed waits for that failure's abort message and returns it,
//! so every rank returns an error whenever any rank does.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::comm::{self, ABORT, Command, DATA, Event, HEADER, Traffic};
use super::owner::{Placement, Role, fingerprint};
use super::registry::{decode_value, encode_value};
use super::wire::{Reader, Wire};
use crate::error::{Error, Result};
use crate::graph::{ExecGraph, Value};
use crate::scheduler::state::{RunState, run_task};
use crate::scheduler::{Observer, Scheduler};

/// Runs task graphs across the ranks of an MPI job (`mpirun -n N program`), each rank on
/// its own worker threads.
///
/// Every rank must build the same computation in the same order and call `compute` with
/// an `Mpi` scheduler at the same points; each rank then returns the same results. Only one
/// `Mpi` may exist per process (MPI is initialised once); drop it (or let `main` end)
/// to finalise MPI. Runs on one `Mpi` are serialised.
///
/// ```no_run
/// use chunkflow::{Options, random};
/// use chunkflow::distributed::Mpi;
/// let mpi = Mpi::new(2)?;
/// let x = random::uniform(-1.0, 1.0, &[1_000_000], 100_000, 1)?;
/// let total = x.sum().scalar_with(&Options::default().scheduler(mpi.clone()))?;
/// if mpi.rank() == 0 {
///     println!("{total}");
/// }
/// # Ok::<(), chunkflow::Error>(())
/// ```
#[derive(Clone)]
pub struct Mpi {
    inner: Arc<Inner>,
}

struct Inner {
    rank: u32,
    size: u32,
    threads: usize,
    commands: Mutex<Sender<Command>>,
    traffic: Arc<Traffic>,
    /// Held for the whole of a run; counts runs.
    runs: Mutex<u64>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let commands = self.commands.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = commands.send(Command::Shutdown {
            grace: Duration::from_secs(10),
        });
        let thread = self.thread.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(handle) = thread.take() {
            let _ = handle.join();
        }
    }
}

/// Bytes and messages this rank has moved since its `Mpi` started (headers included).
///
/// ```
/// let t = chunkflow::distributed::TrafficStats::default();
/// assert_eq!(t.bytes_sent + t.bytes_received, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrafficStats {
    /// Bytes this rank sent to others.
    pub bytes_sent: u64,
    /// Bytes this rank received (including messages of aborted runs, dropped on arrival).
    pub bytes_received: u64,
    /// Messages sent.
    pub messages_sent: u64,
    /// Messages received.
    pub messages_received: u64,
}

impl Mpi {
    /// Initialises MPI (on a communication thread that makes every MPI call) and returns a
    /// scheduler running each rank's tasks on `threads` workers (at least one). Errors if
    /// MPI was initialised already in this process or lacks thread support.
    pub fn new(threads: usize) -> Result<Mpi> {
        if threads == 0 {
            return Err(Error::InvalidArgument(
                "the MPI scheduler needs at least one worker thread per rank".into(),
            ));
        }
        let (tx, rx) = mpsc::channel();
        let traffic = Arc::new(Traffic::default());
        let (world, handle) = comm::start(rx, traffic.clone())?;
        Ok(Mpi {
            inner: Arc::new(Inner {
                rank: world.rank,
                size: world.size,
                threads,
                commands: Mutex::new(tx),
                traffic,
                runs: Mutex::new(0),
                thread: Mutex::new(Some(handle)),
            }),
        })
    }

    /// This process's rank (0 for the first).
    pub fn rank(&self) -> usize {
        self.inner.rank as usize
    }

    /// How many ranks the job has.
    pub fn size(&self) -> usize {
        self.inner.size as usize
    }

    /// The traffic of this rank so far.
    pub fn traffic(&self) -> TrafficStats {
        let t = &self.inner.traffic;
        TrafficStats {
            bytes_sent: t.bytes_sent.load(Ordering::Relaxed),
            bytes_received: t.bytes_received.load(Ordering::Relaxed),
            messages_sent: t.messages_sent.load(Ordering::Relaxed),
            messages_received: t.messages_received.load(Ordering::Relaxed),
        }
    }

    fn command(&self, command: Command) -> Result<()> {
        self.inner
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(command)
            .map_err(|_| Error::Distributed("the MPI thread has stopped".into()))
    }
}

impl std::fmt::Debug for Mpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Mpi(rank {} of {}, {} workers)",
            self.inner.rank, self.inner.size, self.inner.threads
        )
    }
}

struct Shared {
    state: RunState,
    /// Tasks running on workers now.
    running: usize,
    /// Tells the workers to return.
    stop: bool,
}

/// One run on one rank.
struct Run<'a> {
    mpi: &'a Mpi,
    graph: &'a ExecGraph,
    placement: Placement,
    observer: Option<&'a dyn Observer>,
    run: u64,
    shared: Mutex<Shared>,
    wake_workers: Condvar,
    commands: Sender<Command>,
}

impl Run<'_> {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // Tasks run outside the lock and their panics are caught.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, dest: u32, bytes: Vec<u8>) {
        let traffic = &self.mpi.inner.traffic;
        traffic
            .bytes_sent
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        traffic.messages_sent.fetch_add(1, Ordering::Relaxed);
        // If the MPI thread is gone, the run cannot finish anyway; the caller notices when
        // the values it waits for never come and the scheduler's next command fails.
        let _ = self.commands.send(Command::Send { dest, bytes });
    }

    /// Sends task `id`'s value to the ranks that need it, if any.
    fn send_value(&self, id: u32, value: &Value) -> Result<()> {
        let Some(dests) = self.placement.sends.get(&id) else {
            return Ok(());
        };
        let mut bytes = comm::header(self.run, DATA, id);
        encode_value(value, self.graph.key(id), &mut bytes).map_err(|cause| Error::TaskFailed {
            key: self.graph.key(id).to_string(),
            cause: Box::new(cause),
        })?;
        if bytes.len() > i32::MAX as usize {
            return Err(Error::TaskFailed {
                key: self.graph.key(id).to_string(),
                cause: Box::new(Error::Distributed(format!(
                    "its value takes {} bytes; one MPI message holds at most 2 GiB: use \
                     smaller chunks",
                    bytes.len()
                ))),
            });
        }
        for (k, &dest) in dests.iter().enumerate() {
            let copy = if k + 1 == dests.len() {
                std::mem::take(&mut bytes)
            } else {
                bytes.clone()
            };
            self.send(dest, copy);
        }
        Ok(())
    }

    /// Fails the run here; a failure that happened on this rank is announced to the others.
    fn fail(&self, shared: &mut Shared, error: Error, local: bool) {
        let first = !shared.state.has_failed();
        shared.state.fail(error.clone());
        if first && local {
            let (key, cause) = match &error {
                Error::TaskFailed { key, cause } => (key.clone(), cause.to_string()),
                other => (String::new(), other.to_string()),
            };
            let mut payload = comm::header(self.run, ABORT, 0);
            (key, cause).encode(&mut payload);
            for dest in (0..self.mpi.inner.size).filter(|&r| r != self.mpi.inner.rank) {
                self.send(dest, payload.clone());
            }
        }
        self.wake_workers.notify_all();
    }

    fn worker(&self, thread: usize, wake: Sender<Event>) {
        let mut shared = self.lock();
        loop {
            if shared.stop {
                return;
            }
            let Some((id, inputs)) = shared.state.next(self.graph) else {
                shared = self
                    .wake_workers
                    .wait(shared)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            };
            shared.running += 1;
            drop(shared);
            let result = run_task(self.graph, id, inputs, self.observer, thread)
                .and_then(|value| self.send_value(id, &value).map(|()| value));
            shared = self.lock();
            shared.running -= 1;
            match result {
                Ok(value) => {
                    shared.state.finish(self.graph, id, value);
                    self.wake_workers.notify_all();
                }
                Err(error) => self.fail(&mut shared, error, true),
            }
            let _ = wake.send(Event::Wake);
        }
    }

    /// Handles one message of this run from rank `source`.
    fn deliver(&self, source: u32, bytes: &[u8], received: &mut [bool]) {
        let outcome = comm::parse_header(bytes).and_then(|(_, kind, id)| {
            let mut reader = Reader::new(&bytes[HEADER..]);
            match kind {
                DATA => {
                    let ok = (id as usize) < self.graph.len()
                        && self.placement.role[id as usize] == Role::Receive
                        && !received[id as usize];
                    if !ok {
                        return Err(Error::Distributed(format!(
                            "rank {source} sent task {id}, which this rank does not expect"
                        )));
                    }
                    received[id as usize] = true;
                    let key = self.graph.key(id);
                    let value =
                        decode_value(&mut reader, key).map_err(|cause| Error::TaskFailed {
                            key: key.to_string(),
                            cause: Box::new(cause),
                        })?;
                    let mut shared = self.lock();
                    shared.state.finish(self.graph, id, value);
                    self.wake_workers.notify_all();
                    Ok(())
                }
                ABORT => {
                    let (key, message) = <(String, String)>::decode(&mut reader)?;
                    let cause = Box::new(Error::Remote {
                        rank: source as usize,
                        message,
                    });
                    let error = if key.is_empty() {
                        *cause
                    } else {
                        Error::TaskFailed { key, cause }
                    };
                    self.fail(&mut self.lock(), error, false);
                    Ok(())
                }
                other => Err(Error::Distributed(format!(
                    "unknown message kind {other} from rank {source}"
                ))),
            }
        });
        if let Err(error) = outcome {
            self.fail(&mut self.lock(), error, true);
        }
    }
}

impl Scheduler for Mpi {
    fn name(&self) -> &'static str {
        "mpi"
    }

    fn workers(&self) -> usize {
        self.inner.threads
    }

    fn is_distributed(&self) -> bool {
        true
    }

    fn ranks(&self) -> usize {
        self.inner.size as usize
    }

    fn run(&self, graph: &ExecGraph, observer: Option<&dyn Observer>) -> Result<Vec<Value>> {
        let mut runs = self.inner.runs.try_lock().map_err(|_| {
            Error::Distributed(
                "a distributed run is already in progress (runs are serialised, and a task \
                 cannot start a nested distributed run)"
                    .into(),
            )
        })?;
        *runs += 1;
        let run_id = *runs;
        let (events_tx, events) = mpsc::channel();
        let (reply_tx, reply) = mpsc::channel();
        self.command(Command::Start {
            run: run_id,
            fingerprint: fingerprint(graph),
            events: events_tx.clone(),
            reply: reply_tx,
        })?;
        reply
            .recv()
            .map_err(|_| Error::Distributed("the MPI thread has stopped".into()))??;

        let (rank, size) = (self.inner.rank, self.inner.size);
        let placement = Placement::new(graph, size, rank);
        let state = RunState::partial(
            graph,
            |id| placement.role[id as usize] == Role::Run,
            |id| placement.role[id as usize] == Role::Receive,
        );
        if let Some(o) = observer {
            let local = placement.role.iter().filter(|&&r| r == Role::Run).count();
            o.on_run_start(local);
        }
        let commands = self
            .inner
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let run = Run {
            mpi: self,
            graph,
            placement,
            observer,
            run: run_id,
            shared: Mutex::new(Shared {
                state,
                running: 0,
                stop: false,
            }),
            wake_workers: Condvar::new(),
            commands,
        };
        let mut received = vec![false; graph.len()];
        std::thread::scope(|scope| {
            for thread in 0..self.inner.threads {
                let (run, wake) = (&run, events_tx.clone());
                std::thread::Builder::new()
                    .name(format!("chunkflow-mpi-{thread}"))
                    .spawn_scoped(scope, move || run.worker(thread, wake))
                    .expect("the operating system can start worker threads");
            }
            loop {
                {
                    let mut shared = run.lock();
                    let over = shared.state.is_complete() || shared.state.has_failed();
                    if over && shared.running == 0 {
                        shared.stop = true;
                        run.wake_workers.notify_all();
                        break;
                    }
                }
                match events.recv_timeout(Duration::from_millis(100)) {
                    Ok(Event::Message { source, bytes }) => {
                        run.deliver(source, &bytes, &mut received)
                    }
                    Ok(Event::Wake) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => {
                        let error = Error::Distributed("the MPI thread has stopped".into());
                        run.fail(&mut run.lock(), error, false);
                    }
                }
            }
        });
        // Every rank learns whether every other rank succeeded, so a failure no rank
        // waited for (a final output that fails to decode on its receiver, say) still
        // fails the run everywhere.
        let ok = !run.lock().state.has_failed();
        let (reply_tx, reply) = mpsc::channel();
        self.command(Command::End {
            run: run_id,
            ok,
            reply: reply_tx,
        })?;
        let all_ok = reply
            .recv()
            .map_err(|_| Error::Distributed("the MPI thread has stopped".into()))?;
        if ok && !all_ok {
            // The rank where the failure started sent its abort message to every rank
            // before ending its run: wait for it (it may already be queued).
            let deadline = Instant::now() + Duration::from_secs(30);
            while !run.lock().state.has_failed() {
                let left = deadline.saturating_duration_since(Instant::now());
                match events.recv_timeout(left) {
                    Ok(Event::Message { source, bytes }) => {
                        if matches!(comm::parse_header(&bytes), Ok((_, ABORT, _))) {
                            run.deliver(source, &bytes, &mut received);
                        }
                    }
                    Ok(Event::Wake) => {}
                    Err(_) => {
                        let error = Error::Distributed(
                            "another rank's run failed, and its error did not arrive within \
                             30 s"
                                .into(),
                        );
                        run.fail(&mut run.lock(), error, false);
                    }
                }
            }
        }
        let _ = self.command(Command::Close);
        let shared = run.shared.into_inner().unwrap_or_else(|e| e.into_inner());
        let outputs = shared.state.into_outputs(graph);
        if let Some(o) = observer {
            o.on_run_end(outputs.is_ok());
        }
        outputs
    }
}
