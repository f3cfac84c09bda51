//! `.npy` storage: round trips for every element type and chunking, and bad files.

use chunkflow::{Array, Element, Error};
use ndarray::ArrayD;

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("chunkflow-{}-{name}.npy", std::process::id()))
}

fn round_trip<T: Element>(x: Array<T>, name: &str) {
    let path = temp(name);
    x.to_npy(&path).unwrap();
    let want = x.compute().unwrap();
    for chunks in [1usize, 3, 1000] {
        let back = Array::<T>::from_npy(&path, chunks).unwrap();
        assert_eq!(back.compute().unwrap(), want, "{name} chunks {chunks}");
    }
    std::fs::remove_file(path).unwrap();
}

#[test]
fn every_type_round_trips_through_npy() {
    let f = |i: &[usize]| (i[0] * 7 + i[1] * 3) as f64 - 10.5;
    round_trip(Array::from_fn(&[5, 7], [2, 3], f).unwrap(), "f64");
    round_trip(
        Array::from_fn(&[5, 7], [5, 2], f).unwrap().cast::<f32>(),
        "f32",
    );
    round_trip(Array::from_fn(&[5, 7], 4, f).unwrap().cast::<i32>(), "i32");
    round_trip(Array::from_fn(&[5, 7], 4, f).unwrap().cast::<i64>(), "i64");
    round_trip(
        Array::from_fn(&[5, 7], 4, f).unwrap().abs().cast::<u32>(),
        "u32",
    );
    round_trip(
        Array::from_fn(&[5, 7], 4, f).unwrap().abs().cast::<u64>(),
        "u64",
    );
    round_trip(Array::from_fn(&[5, 7], 2, f).unwrap().gt(0.0), "bool");
    round_trip(
        Array::<f64>::from_fn(&[2, 3, 4], [1, 2, 3], |i| i.iter().sum::<usize>() as f64).unwrap(),
        "3d",
    );
    round_trip(Array::<i64>::full(&[], 42, 1).unwrap(), "0d");
    round_trip(Array::<f64>::zeros(&[0, 4], 2).unwrap(), "empty");
}

#[test]
fn header_matches_numpy_layout() {
    let path = temp("header");
    Array::<f64>::zeros(&[3, 4], 2)
        .unwrap()
        .to_npy(&path)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + header_len) % 64, 0);
    let text = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(text.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"));
    assert_eq!(bytes.len(), 10 + header_len + 12 * 8);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn bad_files_are_clear_errors() {
    let path = temp("bad");
    let x: ArrayD<f64> = ndarray::Array::zeros(ndarray::IxDyn(&[10]));
    Array::from_ndarray(x, 5).unwrap().to_npy(&path).unwrap();
    // Wrong type.
    let err = Array::<i32>::from_npy(&path, 5).unwrap_err();
    assert!(err.to_string().contains("holds f64, not i32"), "{err}");
    // Truncated.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 8]).unwrap();
    let err = Array::<f64>::from_npy(&path, 5).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    // Not .npy at all.
    std::fs::write(&path, b"hello world, not numpy").unwrap();
    assert!(matches!(
        Array::<f64>::from_npy(&path, 5),
        Err(Error::InvalidArgument(_))
    ));
    // An unknown byte order.
    let mut odd = bytes.clone();
    let at = odd.windows(3).position(|w| w == b"<f8").unwrap();
    odd[at] = b'!';
    std::fs::write(&path, &odd).unwrap();
    let err = Array::<f64>::from_npy(&path, 5).unwrap_err();
    assert!(err.to_string().contains("unsupported dtype"), "{err}");
    std::fs::remove_file(&path).unwrap();
    assert!(Array::<f64>::from_npy(&path, 5).is_err());
}

/// A `.npy` file with a header dict `dict` and data `data`, as NumPy lays it out.
fn npy_file(path: &std::path::Path, dict: &str, data: &[u8]) {
    let mut dict = dict.to_string();
    while !(10 + dict.len() + 1).is_multiple_of(64) {
        dict.push(' ');
    }
    dict.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, &bytes).unwrap();
}

#[test]
fn fortran_order_and_big_endian_files_read_as_numpy_wrote_them() {
    let path = temp("fortran");
    // np.save of a 2×3 Fortran-ordered array [[0, 1, 2], [3, 4, 5]] stores 0 3 1 4 2 5.
    let data: Vec<u8> = [0i32, 3, 1, 4, 2, 5]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    npy_file(
        &path,
        "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }",
        &data,
    );
    let want = ndarray::array![[0, 1, 2], [3, 4, 5]].into_dyn();
    for chunks in [1, 2, 3] {
        let x = Array::<i32>::from_npy(&path, chunks).unwrap();
        assert_eq!(x.shape(), &[2, 3]);
        assert_eq!(x.compute().unwrap(), want);
        assert_eq!(
            x.sum_axis(1)
                .unwrap()
                .compute()
                .unwrap()
                .as_slice()
                .unwrap(),
            &[3_i64, 12]
        );
    }
    // Big-endian f64, 3-d Fortran order.
    let eager =
        ndarray::Array::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 100 + j * 10 + k) as f64 - 0.5);
    let column_major: Vec<u8> = eager.t().iter().flat_map(|v| v.to_be_bytes()).collect();
    npy_file(
        &path,
        "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3, 4), }",
        &column_major,
    );
    let x = Array::<f64>::from_npy(&path, [1, 2, 3]).unwrap();
    assert_eq!(x.compute().unwrap(), eager.clone().into_dyn());
    // Big-endian C order, and '=' (native) byte order.
    let row_major: Vec<u8> = eager.iter().flat_map(|v| v.to_be_bytes()).collect();
    npy_file(
        &path,
        "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3, 4), }",
        &row_major,
    );
    assert_eq!(
        Array::<f64>::from_npy(&path, 2).unwrap().compute().unwrap(),
        eager.clone().into_dyn()
    );
    let native: Vec<u8> = [7u16, 8].iter().flat_map(|v| v.to_le_bytes()).collect();
    npy_file(
        &path,
        "{'descr': '=u2', 'fortran_order': False, 'shape': (2,), }",
        &native,
    );
    assert_eq!(
        Array::<u16>::from_npy(&path, 1)
            .unwrap()
            .compute()
            .unwrap()
            .as_slice()
            .unwrap(),
        &[7, 8]
    );
    // Writing back gives a little-endian C-order file that reads the same.
    let copy = temp("fortran-copy");
    npy_file(
        &path,
        "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3, 4), }",
        &column_major,
    );
    Array::<f64>::from_npy(&path, 2)
        .unwrap()
        .to_npy(&copy)
        .unwrap();
    let text = String::from_utf8_lossy(&std::fs::read(&copy).unwrap()[..64]).to_string();
    assert!(text.contains("'<f8', 'fortran_order': False"), "{text}");
    assert_eq!(
        Array::<f64>::from_npy(&copy, 5).unwrap().compute().unwrap(),
        eager.into_dyn()
    );
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&copy).unwrap();
}

#[test]
fn a_fifo_is_refused_not_waited_on() {
    let path = temp("fifo");
    let _ = std::fs::remove_file(&path);
    let status = std::process::Command::new("mkfifo").arg(&path).status();
    if !matches!(status, Ok(s) if s.success()) {
        // mkfifo is part of coreutils; without it there is nothing to test here.
        eprintln!("mkfifo unavailable: {status:?}");
        return;
    }
    // Opening a FIFO for reading blocks until a writer comes: open it in a thread so a
    // regression shows as a failure after a bound, not a hang.
    let p = path.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Array::<f64>::from_npy(&p, 4).map(|_| ()));
    });
    let result = rx.recv_timeout(std::time::Duration::from_secs(20));
    if result.is_err() {
        // Unblock the stuck open so the thread ends, then fail.
        let _ = std::fs::OpenOptions::new().write(true).open(&path);
    }
    let err = result.expect("from_npy returned").unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    std::fs::remove_file(&path).unwrap();
}

/// The hidden temporary files `to_npy` leaves beside `path` (there should be none).
fn leftovers(path: &std::path::Path) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|f| f.starts_with(&format!(".{name}.")) && f.ends_with(".tmp"))
        .collect()
}

#[test]
fn writing_over_the_file_an_array_reads_keeps_both_correct() {
    let path = temp("overwrite");
    Array::<f64>::arange(0.0, 1000.0, 1.0, 100)
        .unwrap()
        .to_npy(&path)
        .unwrap();
    let x = Array::<f64>::from_npy(&path, 100).unwrap();
    let old = x.compute().unwrap();
    // The new file is computed from the old one, chunk by chunk, while it is written.
    (&x * 2.0).to_npy(&path).unwrap();
    let back = Array::<f64>::from_npy(&path, 300)
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(back, old.mapv(|v| v * 2.0));
    // x still reads the file it opened, not zeros or the new values.
    assert_eq!(x.compute().unwrap(), old);
    // A smaller array over a mapped file: no SIGBUS for the live reader.
    Array::<f64>::ones(&[3], 3).unwrap().to_npy(&path).unwrap();
    assert_eq!(x.sum().scalar().unwrap(), old.sum());
    assert_eq!(
        Array::<f64>::from_npy(&path, 3)
            .unwrap()
            .sum()
            .scalar()
            .unwrap(),
        3.0
    );
    assert!(leftovers(&path).is_empty(), "{:?}", leftovers(&path));
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_failed_write_leaves_the_old_file_and_no_temporary() {
    let path = temp("failed");
    Array::<i64>::arange(0, 10, 1, 5)
        .unwrap()
        .to_npy(&path)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    // One chunk's closure panics mid-run: the run fails, after other chunks were stored.
    let bad = Array::<i64>::arange(0, 1000, 1, 10)
        .unwrap()
        .map(|v| if v == 995 { panic!("boom") } else { v });
    let err = bad
        .to_npy_with(&path, &chunkflow::Options::default().synchronous())
        .unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(leftovers(&path).is_empty(), "{:?}", leftovers(&path));
    // Writing to a new path that fails leaves nothing at all.
    let fresh = temp("failed-fresh");
    assert!(bad.to_npy(&fresh).is_err());
    assert!(!fresh.exists());
    assert!(leftovers(&fresh).is_empty());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_header_longer_than_u16_is_written_as_version_2_and_reads_back() {
    let path = temp("many-axes");
    let shape = vec![1usize; 22_000];
    Array::<i32>::full(&shape, 7, 1)
        .unwrap()
        .to_npy(&path)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[6..8], &[2, 0], "version 2.0");
    let back = Array::<i32>::from_npy(&path, 1).unwrap();
    assert_eq!(back.ndim(), 22_000);
    assert_eq!(back.sum().scalar().unwrap(), 7);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_header_whose_shape_overflows_is_an_error() {
    let path = temp("overflow");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let mut dict =
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 8), }".to_string();
    while !(10 + dict.len() + 1).is_multiple_of(64) {
        dict.push(' ');
    }
    dict.push('\n');
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let err = Array::<f64>::from_npy(&path, 4).unwrap_err();
    assert!(err.to_string().contains("larger than any file"), "{err}");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn half_float_files_read_exactly_as_f32_and_f64() {
    // `<f2` as NumPy writes float16: 1, -2, +inf, the smallest subnormal 2^-24, 65504 (the
    // largest finite), -0.0, NaN; and the same values big-endian.
    let bits: [u16; 7] = [0x3C00, 0xC000, 0x7C00, 0x0001, 0x7BFF, 0x8000, 0x7E00];
    let want = [
        1.0,
        -2.0,
        f64::INFINITY,
        2f64.powi(-24),
        65504.0,
        -0.0,
        f64::NAN,
    ];
    for (order, descr) in [("le", "<f2"), ("be", ">f2")] {
        let path = temp(&format!("half-{order}"));
        let data: Vec<u8> = bits
            .iter()
            .flat_map(|b| {
                if order == "le" {
                    b.to_le_bytes()
                } else {
                    b.to_be_bytes()
                }
            })
            .collect();
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (7,), }}");
        npy_file(&path, &dict, &data);
        for chunks in [1usize, 3, 7] {
            let wide = Array::<f64>::from_npy(&path, chunks)
                .unwrap()
                .compute()
                .unwrap();
            let narrow = Array::<f32>::from_npy(&path, chunks)
                .unwrap()
                .compute()
                .unwrap();
            for (i, w) in want.iter().enumerate() {
                let (g64, g32) = (wide[[i]], narrow[[i]]);
                assert!(
                    g64.to_bits() == w.to_bits() || (w.is_nan() && g64.is_nan()),
                    "{order} {i}: {g64}"
                );
                assert!(
                    f64::from(g32).to_bits() == w.to_bits() || (w.is_nan() && g32.is_nan()),
                    "{order} {i}: {g32}"
                );
            }
        }
        let err = Array::<i32>::from_npy(&path, 3).unwrap_err();
        assert!(
            err.to_string().contains("holds f16 (`f2`), not i32"),
            "{err}"
        );
        // A half-float file shorter than its header says is refused like any other.
        npy_file(&path, &dict, &data[..10]);
        let err = Array::<f32>::from_npy(&path, 3).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn to_npy_f16_rounds_to_nearest_even_as_numpy_astype() {
    let path = temp("half-write");
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even give 1.
    // 1 + 3·2^-11 ties to 1 + 2^-9 (even). 65520 is halfway to the overflow: it rounds to inf.
    let values = vec![
        1.0f32,
        1.0 + 2f32.powi(-11),
        1.0 + 3.0 * 2f32.powi(-11),
        65504.0,
        65520.0,
        -1e-8,
        f32::NAN,
        f32::NEG_INFINITY,
        0.1,
    ];
    let x = Array::from_vec(values.clone(), 4).unwrap();
    x.to_npy_f16(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes[10..128]);
    assert!(
        text.starts_with("{'descr': '<f2', 'fortran_order': False, 'shape': (9,), }"),
        "{text}"
    );
    assert_eq!(bytes.len(), 128 + 2 * values.len());
    let back = Array::<f32>::from_npy(&path, 5).unwrap().compute().unwrap();
    let want = [
        1.0,
        1.0,
        1.0 + 2f32.powi(-9),
        65504.0,
        f32::INFINITY,
        -0.0,
        f32::NAN,
        f32::NEG_INFINITY,
        0.099975586,
    ];
    for (g, w) in back.iter().zip(want) {
        assert!(
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
            "{g} vs {w}"
        );
    }
    // Every f16 value survives f64 -> f16 -> f64 unchanged, whatever the chunking.
    let all: Vec<f64> = (0..=u16::MAX)
        .map(|b| half::f16::from_bits(b).to_f64())
        .filter(|v| !v.is_nan())
        .collect();
    let x = Array::from_vec(all.clone(), 4096).unwrap();
    x.to_npy_f16(&path).unwrap();
    let back = Array::<f64>::from_npy(&path, 1000)
        .unwrap()
        .compute()
        .unwrap();
    assert!(
        back.iter()
            .zip(&all)
            .all(|(g, w)| g.to_bits() == w.to_bits())
    );
    std::fs::remove_file(&path).unwrap();
}
