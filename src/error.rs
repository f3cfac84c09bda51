//! The crate's one error type.
//!
//! Every fallible public function returns [`Result`]. Errors are found as early as possible:
//! graph-building methods validate their inputs at once, and errors raised while a task runs
//! are wrapped in [`Error::TaskFailed`], which names the failing task's key.

use std::fmt;

/// Everything that can go wrong in chunkflow.
///
/// ```
/// use chunkflow::Error;
/// let e = Error::DuplicateKey("a".into());
/// assert_eq!(e.to_string(), "duplicate key a in the task graph");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key was inserted twice into one task graph.
    #[error("duplicate key {0} in the task graph")]
    DuplicateKey(String),
    /// A task names an input key that no task produces.
    #[error("task {needed_by} needs key {missing}, which is not in the graph")]
    MissingKey {
        /// The key nobody produces.
        missing: String,
        /// The task that asked for it.
        needed_by: String,
    },
    /// A requested output key is not in the graph.
    #[error("requested output {0} is not in the graph")]
    UnknownOutput(String),
    /// The tasks form a cycle; the keys are listed in dependency order, first repeated last.
    #[error("cycle in the task graph: {}", .keys.join(" -> "))]
    Cycle {
        /// The keys on the cycle.
        keys: Vec<String>,
    },
    /// A value was not of the type a kernel expected.
    #[error("type mismatch for {key}: expected {expected}, found {found}")]
    TypeMismatch {
        /// The key whose value had the wrong type.
        key: String,
        /// The type the kernel expected.
        expected: &'static str,
        /// The type the value has.
        found: &'static str,
    },
    /// A kernel was given the wrong number of inputs.
    #[error("{kernel} takes {expected} inputs, got {found}")]
    Arity {
        /// The kernel's name.
        kernel: String,
        /// How many inputs it takes.
        expected: usize,
        /// How many it was given.
        found: usize,
    },
    /// A task returned an error or panicked; `cause` says which (and is the error's
    /// [`source`](std::error::Error::source), so `anyhow`/`eyre` chains show it).
    #[error("task {key} failed: {cause}")]
    TaskFailed {
        /// The key of the task that failed.
        key: String,
        /// What went wrong inside it.
        #[source]
        cause: Box<Error>,
    },
    /// A user closure or kernel panicked, with the panic message.
    #[error("panicked: {0}")]
    Panic(String),
    /// Two shapes cannot be combined.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
    /// A chunk specification is not legal for the shape it is applied to.
    #[error("invalid chunks: {0}")]
    InvalidChunks(String),
    /// An operation needs chunk sizes that depend on data not computed yet (after a mask,
    /// `nonzero`, `unique`...).
    #[error(
        "{op} needs the chunk sizes of axes {axes:?}, which are unknown (they depend on the data): call compute_chunk_sizes() first"
    )]
    UnknownChunkSizes {
        /// The operation.
        op: String,
        /// The axes of unknown sizes.
        axes: Vec<usize>,
    },
    /// An axis is out of range for an array's dimensionality.
    #[error("axis {axis} is out of range for an array with {ndim} dimensions")]
    AxisOutOfRange {
        /// The axis asked for.
        axis: usize,
        /// The array's number of dimensions.
        ndim: usize,
    },
    /// An argument is not acceptable (empty input, bad parameter, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A distributed run could not proceed: ranks built different graphs, a value could
    /// not be encoded or decoded, MPI could not start.
    #[error("distributed run: {0}")]
    Distributed(String),
    /// A task failed on another rank of a distributed run; the message is its cause there.
    #[error("on rank {rank}: {message}")]
    Remote {
        /// The rank where the task failed.
        rank: usize,
        /// The cause, as that rank displayed it.
        message: String,
    },
    /// Stored data could not be read or written (a corrupt or truncated chunk, a failed
    /// write); the message names the file or chunk.
    #[error("I/O error: {0}")]
    Io(String),
    /// The operating system refused a file operation: the path, the [`std::io::ErrorKind`]
    /// and the OS message are kept (an `io::Error` itself is not `Clone`).
    ///
    /// ```
    /// use chunkflow::{Array, Error};
    /// let err = Array::<f64>::from_npy("/no/such/dir/x.npy", 4).unwrap_err();
    /// let Error::File { path, kind, .. } = &err else { panic!("{err}") };
    /// assert_eq!(*kind, std::io::ErrorKind::NotFound);
    /// assert!(path.ends_with("x.npy") && err.to_string().contains("/no/such/dir/x.npy"));
    /// ```
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What kind of failure the OS reported.
        kind: std::io::ErrorKind,
        /// The OS message, with what was being done (`opening`, `writing`, ...).
        message: String,
    },
    /// An error raised by user code, with its message.
    #[error("{0}")]
    User(String),
    /// An internal consistency check failed: a chunkflow bug, not a problem with the input.
    /// `pass` names the stage that broke the invariant (an optimizer pass, `lower`,
    /// `kernel`).
    ///
    /// ```
    /// let e = chunkflow::Error::Internal { pass: "cse", message: "order".into() };
    /// assert!(e.to_string().contains("chunkflow bug"));
    /// ```
    #[error("internal error in {pass} (a chunkflow bug, please report it): {message}")]
    Internal {
        /// The stage whose invariant failed.
        pass: &'static str,
        /// What was found.
        message: String,
    },
}

impl Error {
    /// An error carrying a user's message, for kernels and closures that fail.
    ///
    /// ```
    /// let e = chunkflow::Error::user(format!("bad record {}", 7));
    /// assert_eq!(e.to_string(), "bad record 7");
    /// ```
    pub fn user(message: impl fmt::Display) -> Self {
        Error::User(message.to_string())
    }

    /// An [`Error::File`] for `error` while doing `what` (`"opening"`, `"writing"`) to `path`.
    ///
    /// ```
    /// let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    /// let e = chunkflow::Error::file("/data/x.npy", "writing", &io);
    /// assert!(e.to_string().starts_with("/data/x.npy: writing: "));
    /// ```
    pub fn file(path: impl Into<std::path::PathBuf>, what: &str, error: &std::io::Error) -> Self {
        Error::File {
            path: path.into(),
            kind: error.kind(),
            message: format!("{what}: {error}"),
        }
    }

    /// The innermost cause: for [`Error::TaskFailed`] the error inside the task.
    ///
    /// ```
    /// use chunkflow::Error;
    /// let e = Error::TaskFailed { key: "x".into(), cause: Box::new(Error::Panic("boom".into())) };
    /// assert_eq!(e.root_cause(), &Error::Panic("boom".into()));
    /// ```
    pub fn root_cause(&self) -> &Error {
        match self {
            Error::TaskFailed { cause, .. } => cause.root_cause(),
            other => other,
        }
    }
}

/// `std::result::Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
