//! Prints the plan of `sqrt(sum((a - b)^2))` in Graphviz DOT, before or after optimization,
//! and the optimized task graph; `docs/` holds these rendered to SVG.
//!
//! Run: `cargo run --example plan_dot -- before | dot -Tsvg > before.svg`
//! (`before`, `after` or `tasks`), or with `--svg` for the picture drawn in-process, no
//! Graphviz needed: `cargo run --example plan_dot -- tasks --svg > tasks.svg`.

use chunkflow::{Array, random};

fn main() -> chunkflow::Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "after".into());
    let svg = std::env::args().any(|a| a == "--svg");
    let a: Array<f64> = random::normal(0.0, 1.0, &[1000], 250, 1)?;
    let b: Array<f64> = random::normal(0.0, 1.0, &[1000], 250, 2)?;
    let dist = (&a - &b).powi(2).sum().sqrt();
    let dot = match (which.as_str(), svg) {
        ("before", false) => dist.plan_dot(false)?,
        ("after", false) => dist.plan_dot(true)?,
        ("tasks", false) => dist.to_dot()?,
        ("before", true) => dist.plan_svg(false)?,
        ("after", true) => dist.plan_svg(true)?,
        ("tasks", true) => dist.to_svg()?,
        (other, _) => {
            eprintln!("unknown view {other:?}: use before, after or tasks");
            std::process::exit(2);
        }
    };
    print!("{dot}");
    Ok(())
}
