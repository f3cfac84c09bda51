//! Errors say what was wrong and where (key, path, shape, axis), and chain: a failed task's
//! cause is its `source()`, an OS error keeps its path and `io::ErrorKind`.

use std::error::Error as _;

use chunkflow::{Array, Error};

#[test]
fn a_failed_tasks_cause_is_its_source() {
    let x = Array::<f64>::ones(&[4], 2)
        .unwrap()
        .map(|v: f64| -> f64 { panic!("bad value {v}") });
    let err = x
        .compute_with(&chunkflow::Options::default().synchronous())
        .unwrap_err();
    let Error::TaskFailed { key, .. } = &err else {
        panic!("{err:?}")
    };
    // The key names the operation and the chunk.
    assert!(key.ends_with(", 0)"), "{key}");
    assert!(key.starts_with("(\"map-"), "{key}");
    let source = err.source().expect("TaskFailed has a source");
    assert!(source.to_string().contains("bad value 1"), "{source}");
    assert_eq!(
        source.to_string(),
        err.root_cause().to_string(),
        "one level of cause here"
    );
}

#[test]
fn os_errors_keep_path_and_kind() {
    let err = Array::<f64>::from_npy("/nonexistent-chunkflow/x.npy", 4).unwrap_err();
    match &err {
        Error::File {
            path,
            kind,
            message,
        } => {
            assert_eq!(*kind, std::io::ErrorKind::NotFound);
            assert_eq!(path, std::path::Path::new("/nonexistent-chunkflow/x.npy"));
            assert!(message.starts_with("opening: "), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Clone and PartialEq still hold.
    assert_eq!(err.clone(), err);
    let x = Array::<f64>::ones(&[4], 2).unwrap();
    let err = x.to_npy("/nonexistent-chunkflow/y.npy").unwrap_err();
    let Error::File { path, kind, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*kind, std::io::ErrorKind::NotFound);
    assert!(path.starts_with("/nonexistent-chunkflow"), "{err}");
    assert!(err.to_string().contains("/nonexistent-chunkflow/"), "{err}");
}

#[test]
fn build_errors_name_the_shapes_and_axes() {
    let a = Array::<f64>::zeros(&[2, 3], 2).unwrap();
    let b = Array::<f64>::zeros(&[4], 2).unwrap();
    let err = (&a + &b).check().unwrap_err();
    assert!(
        err.to_string().contains("[2, 3]") && err.to_string().contains("[4]"),
        "{err}"
    );
    let err = a.sum_axis(5).unwrap_err();
    assert_eq!(err, Error::AxisOutOfRange { axis: 5, ndim: 2 });
    assert!(err.to_string().contains("axis 5") && err.to_string().contains("2 dimensions"));
    let err = Array::<f64>::zeros(&[4], vec![vec![1, 2]]).unwrap_err();
    assert!(err.to_string().contains("invalid chunks"), "{err}");
}
