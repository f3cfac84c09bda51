//! Prints the plan of `sqrt(sum((a - b)^2))` in Graphviz DOT, before or after optimization,
//! and the optimized task graph; `docs/` holds these rendered to SVG.
//!
//! Run: `cargo run --example plan_dot -- before | dot -Tsvg > before.svg`
//! (`before`, `after` or `tasks`)

use chunkflow::{Array, random};

fn main() -> chunkflow::Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "after".into());
    let a: Array<f64> = random::normal(0.0, 1.0, &[1000], 250, 1)?;
    let b: Array<f64> = random::normal(0.0, 1.0, &[1000], 250, 2)?;
    let dist = (&a - &b).powi(2).sum().sqrt();
    let dot = match which.as_str() {
        "before" => dist.plan_dot(false)?,
        "after" => dist.plan_dot(true)?,
        "tasks" => dist.to_dot()?,
        other => {
            eprintln!("unknown view {other:?}: use before, after or tasks");
            std::process::exit(2);
        }
    };
    print!("{dot}");
    Ok(())
}
