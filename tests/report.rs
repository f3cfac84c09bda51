//! The HTML performance report of a real run: well-formed, self-contained, and holding the
//! task stream, the per-operation table, the memory chart, the plan and the options.

use chunkflow::{Array, Options, random};

/// Checks that every tag closes in order (the report is written as well-formed XML inside
/// an HTML5 doctype); returns the number of elements.
fn check_well_formed(html: &str) -> usize {
    let body = html
        .strip_prefix("<!DOCTYPE html>")
        .expect("starts with the doctype");
    let mut stack: Vec<&str> = Vec::new();
    let mut elements = 0;
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest.find('>').expect("every tag is closed by >");
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name.trim(), "</{name}> closes <{top}>");
        } else {
            elements += 1;
            let name = tag.split_whitespace().next().expect("a tag name");
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    elements
}

#[test]
fn a_real_runs_report_holds_every_part() {
    let path = std::env::temp_dir().join(format!("chunkflow-report-{}.html", std::process::id()));
    // In-memory inputs, so their chunks are tasks of the run (a fused consumer of a
    // random array generates its samples in place, with no source tasks).
    let sample = |seed| {
        let values = random::uniform(-1.0, 1.0, &[400_000], 50_000, seed)
            .unwrap()
            .compute()
            .unwrap();
        Array::from_ndarray(values, 50_000).unwrap()
    };
    let (x, y) = (sample(1), sample(2));
    let inside = (&x * &x + &y * &y).lt(1.0).sum();
    let options = Options::default().threads(2).unwrap().report(&path);
    let count = inside.scalar_with(&options).unwrap();
    assert!(count > 0);
    let html = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();

    assert!(check_well_formed(&html) > 50);
    // Self-contained: nothing loaded from elsewhere.
    for outside in ["<script", "src=", "href=\"http", "<link"] {
        assert!(!html.contains(outside), "{outside}");
    }
    // The task stream: one rectangle per task (8 + 8 sources, 8 partials, 1 aggregate),
    // each with hover text naming its key and duration.
    let stream = &html[html.find("<svg class=\"stream\"").unwrap()..];
    let stream = &stream[..stream.find("</svg>").unwrap()];
    assert_eq!(stream.matches("<rect").count(), 25, "{stream}");
    assert_eq!(stream.matches("<title>").count(), 25);
    assert!(stream.contains("ms</title>") && stream.contains("-partial"));
    // The per-operation table, with bytes produced by the source chunks (16 × 400 kB).
    assert!(html.contains("<table class=\"ops\">"));
    assert!(
        html.contains("fused: sum((((a * a) + (b * b)) &lt; 1))"),
        "{html}"
    );
    assert!(html.contains("<td class=\"num\">6.4 MB</td>"), "{html}");
    // Memory over time: resident memory and bytes held in chunk values.
    assert!(html.contains("<polyline class=\"rss\""));
    assert!(html.contains("<polyline class=\"held\""));
    assert!(html.contains("peak bytes held in chunks"));
    // The optimized plan as a picture, and the options.
    assert!(html.contains("<h2>Optimized plan</h2>"));
    assert!(html.contains("<div class=\"plan\"><svg"));
    assert!(html.contains("<th>workers</th><td>2</td>"));
    assert!(html.contains("<th>fusion</th><td>true</td>"));
}

#[test]
fn a_report_of_a_failed_run_is_still_written_and_the_error_returned() {
    let path =
        std::env::temp_dir().join(format!("chunkflow-report-fail-{}.html", std::process::id()));
    let x = Array::<f64>::ones(&[100], 10)
        .unwrap()
        .map(|v: f64| if v > 0.0 { panic!("boom") } else { v });
    let err = x
        .sum()
        .scalar_with(&Options::default().report(&path))
        .unwrap_err();
    assert!(err.to_string().contains("boom"));
    let html = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    check_well_formed(&html);
    assert!(html.contains("(failed)"), "{html}");
    assert!(html.contains("stroke=\"red\""));
}
