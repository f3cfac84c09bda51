//! The communication thread: the only thread that calls MPI.
//!
//! MPI from several threads is fragile, so one thread initialises MPI (asking for the
//! `Funneled` level: only the initialising thread makes MPI calls), and owns every MPI call
//! until it finalises. Workers hand it messages through a channel; it posts nonblocking
//! sends, tests them and frees each buffer once its send completes, and polls for incoming
//! messages with a nonblocking matched probe, forwarding those of the current run to the
//! scheduler. It never blocks in MPI except in the two short collectives of a run: at the
//! start, every rank's graph fingerprint gathered on all ranks; at the end, every rank's
//! success.
//!
//! Every message is one byte buffer: `run id (u64) | kind (u8) | task id (u32) | payload`.
//! The task id travels in the payload, not the MPI tag (tag space is small); all messages
//! use tag 0, and MPI keeps messages between two ranks in order. Messages of an earlier
//! run (left over when a run was aborted) are dropped on arrival.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use mpi::Threading;
use mpi::request::{Request, StaticScope};
use mpi::traits::*;

use crate::error::{Error, Result};

/// Message kind: a task's value.
pub(crate) const DATA: u8 = 0;
/// Message kind: a run failed on the sending rank (payload: key and cause, as text).
pub(crate) const ABORT: u8 = 1;
/// Bytes before the payload.
pub(crate) const HEADER: usize = 8 + 1 + 4;

/// Writes a message header.
pub(crate) fn header(run: u64, kind: u8, task: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER);
    out.extend_from_slice(&run.to_le_bytes());
    out.push(kind);
    out.extend_from_slice(&task.to_le_bytes());
    out
}

/// Reads a message header: (run, kind, task).
pub(crate) fn parse_header(bytes: &[u8]) -> Result<(u64, u8, u32)> {
    if bytes.len() < HEADER {
        return Err(Error::Distributed(format!(
            "a message of {} bytes is shorter than its header",
            bytes.len()
        )));
    }
    let run = u64::from_le_bytes(bytes[0..8].try_into().expect("8 bytes"));
    let task = u32::from_le_bytes(bytes[9..13].try_into().expect("4 bytes"));
    Ok((run, bytes[8], task))
}

/// Counters of traffic, for benchmarks and reports.
#[derive(Default)]
pub(crate) struct Traffic {
    pub(crate) bytes_sent: AtomicU64,
    pub(crate) bytes_received: AtomicU64,
    pub(crate) messages_sent: AtomicU64,
    pub(crate) messages_received: AtomicU64,
}

/// What the scheduler asks of the communication thread.
pub(crate) enum Command {
    /// Starts run `run`: gathers every rank's fingerprint and replies whether they agree;
    /// from then on, messages of this run are forwarded to `events`.
    Start {
        run: u64,
        fingerprint: u64,
        events: Sender<Event>,
        reply: Sender<Result<()>>,
    },
    /// Sends `bytes` (header included) to rank `dest` (counted in [`Traffic`] by the
    /// sender, so that a run's sends are counted when it returns).
    Send { dest: u32, bytes: Vec<u8> },
    /// Ends the current run's work with one collective in which every rank says whether
    /// its run succeeded (`ok`); replies whether every rank did. Messages of the run are
    /// still forwarded until [`Command::Close`].
    End {
        run: u64,
        ok: bool,
        reply: Sender<bool>,
    },
    /// Closes the current run: later messages of it are dropped.
    Close,
    /// Completes pending sends (for at most `grace`), then finalises MPI and exits.
    Shutdown { grace: Duration },
}

/// What the communication thread tells the scheduler.
pub(crate) enum Event {
    /// A message of the current run from rank `source`.
    Message { source: u32, bytes: Vec<u8> },
    /// A worker finished a task (sent by workers, to wake the scheduler's loop).
    Wake,
}

/// The rank and size of the world, once MPI is up.
pub(crate) struct World {
    pub(crate) rank: u32,
    pub(crate) size: u32,
}

/// A send in flight and its buffer (leaked for the `'static` request, reclaimed after).
struct Pending {
    request: Request<'static, [u8], StaticScope>,
    buffer: *mut [u8],
}

/// Starts the communication thread; returns once MPI is initialised (or failed to be).
pub(crate) fn start(
    commands: Receiver<Command>,
    traffic: Arc<Traffic>,
) -> Result<(World, std::thread::JoinHandle<()>)> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("chunkflow-mpi".into())
        .spawn(move || {
            let Some((universe, provided)) = mpi::initialize_with_threading(Threading::Funneled)
            else {
                let _ = ready_tx.send(Err(Error::Distributed(
                    "MPI is already initialised in this process: create one Mpi scheduler per \
                     process"
                        .into(),
                )));
                return;
            };
            if provided == Threading::Single {
                let _ = ready_tx.send(Err(Error::Distributed(
                    "the MPI library only supports single-threaded processes (MPI_THREAD_SINGLE); \
                     the distributed scheduler needs MPI_THREAD_FUNNELED"
                        .into(),
                )));
                return;
            }
            let world = universe.world();
            let _ = ready_tx.send(Ok(World {
                rank: world.rank() as u32,
                size: world.size() as u32,
            }));
            serve(&world, commands, &traffic);
            drop(universe); // MPI_Finalize
        })
        .map_err(|e| Error::Distributed(format!("cannot start the MPI thread: {e}")))?;
    let world = ready_rx
        .recv()
        .map_err(|_| Error::Distributed("the MPI thread died while starting".into()))??;
    Ok((world, handle))
}

fn serve(
    world: &mpi::topology::SimpleCommunicator,
    commands: Receiver<Command>,
    traffic: &Traffic,
) {
    let mut pending: Vec<Pending> = Vec::new();
    let mut current: Option<(u64, Sender<Event>)> = None;
    let mut idle = Duration::from_micros(20);
    loop {
        let mut busy = false;
        // Commands: wait a little when nothing else is going on.
        // While sends are in flight, poll often: a large message moves in fragments, each
        // needing an MPI call on this side to progress.
        let wait = if pending.is_empty() {
            idle
        } else {
            idle.min(Duration::from_micros(50))
        };
        let command = match commands.recv_timeout(wait) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Command::Shutdown {
                grace: Duration::from_secs(5),
            }),
        };
        let mut next = command;
        while let Some(command) = next.take() {
            busy = true;
            match command {
                Command::Start {
                    run,
                    fingerprint,
                    events,
                    reply,
                } => {
                    let mine = [run, fingerprint];
                    let mut all = vec![0u64; 2 * world.size() as usize];
                    world.all_gather_into(&mine[..], &mut all[..]);
                    let disagree: Vec<String> = all
                        .chunks(2)
                        .enumerate()
                        .filter(|(_, p)| p != &mine)
                        .map(|(r, p)| format!("rank {r}: run {} graph {:016x}", p[0], p[1]))
                        .collect();
                    let result = if disagree.is_empty() {
                        current = Some((run, events));
                        Ok(())
                    } else {
                        Err(Error::Distributed(format!(
                            "the ranks built different task graphs (rank {}: run {run} graph \
                             {fingerprint:016x}; {}): every rank must build the same \
                             computation in the same order",
                            world.rank(),
                            disagree.join("; ")
                        )))
                    };
                    let _ = reply.send(result);
                }
                Command::Send { dest, bytes } => {
                    let buffer: &'static mut [u8] = Box::leak(bytes.into_boxed_slice());
                    let raw: *mut [u8] = buffer;
                    let request = world
                        .process_at_rank(dest as i32)
                        .immediate_send(StaticScope, &*buffer);
                    pending.push(Pending {
                        request,
                        buffer: raw,
                    });
                }
                Command::End { run, ok, reply } => {
                    let mine = [run, u64::from(ok)];
                    let mut all = vec![0u64; 2 * world.size() as usize];
                    world.all_gather_into(&mine[..], &mut all[..]);
                    let _ = reply.send(all.chunks(2).all(|p| p[1] == 1));
                }
                Command::Close => current = None,
                Command::Shutdown { grace } => {
                    let deadline = Instant::now() + grace;
                    while !pending.is_empty() && Instant::now() < deadline {
                        complete_sends(&mut pending);
                        receive(world, &current, traffic);
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    // Sends nobody will receive (a peer that already stopped): leak them
                    // rather than free a buffer MPI may still read.
                    for p in pending.drain(..) {
                        std::mem::forget(p.request);
                    }
                    return;
                }
            }
            next = commands.try_recv().ok();
        }
        busy |= complete_sends(&mut pending);
        busy |= receive(world, &current, traffic);
        idle = if busy {
            Duration::from_micros(20)
        } else {
            (idle * 2).min(Duration::from_micros(500))
        };
    }
}

/// Tests every pending send, freeing the buffers of completed ones. Whether any completed.
fn complete_sends(pending: &mut Vec<Pending>) -> bool {
    let before = pending.len();
    let mut still = Vec::with_capacity(pending.len());
    for p in pending.drain(..) {
        match p.request.test() {
            Ok(_) => {
                // SAFETY: `buffer` came from `Box::leak` in `Command::Send`, and the only
                // borrow of it (the request) has completed and been consumed by `test`.
                drop(unsafe { Box::from_raw(p.buffer) });
            }
            Err(request) => still.push(Pending {
                request,
                buffer: p.buffer,
            }),
        }
    }
    *pending = still;
    pending.len() != before
}

/// Receives every message waiting; forwards those of the current run. Whether any came.
fn receive(
    world: &mpi::topology::SimpleCommunicator,
    current: &Option<(u64, Sender<Event>)>,
    traffic: &Traffic,
) -> bool {
    let mut any = false;
    while let Some(probed) = world.any_process().immediate_matched_probe() {
        any = true;
        let (bytes, status) = probed.matched_receive_vec::<u8>();
        traffic
            .bytes_received
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        traffic.messages_received.fetch_add(1, Ordering::Relaxed);
        let Ok((run, _, _)) = parse_header(&bytes) else {
            continue;
        };
        if let Some((now, events)) = current
            && *now == run
        {
            let _ = events.send(Event::Message {
                source: status.source_rank() as u32,
                bytes,
            });
        }
    }
    any
}
