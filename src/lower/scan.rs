//! Lowering a cumulative scan along an axis: per block a local scan; along the axis a
//! chain of one-slice carries; each later block is its local scan with the carry folded
//! in (see `kernel::scan`).

use std::sync::Arc;

use super::Lowering;
use crate::error::Result;
use crate::graph::{Key, Task};
use crate::kernel::scan::{ScanKernel, ScanKind, ScanStep};
use crate::kernel::tasks::Identity;
use crate::plan::NodeId;

impl Lowering<'_> {
    /// The tasks of a scan of kind `kind` along `axis`.
    pub(super) fn scan(&mut self, id: NodeId, kind: ScanKind, axis: usize) -> Result<()> {
        let plan = self.plan;
        let chunks = &plan[id].meta.chunks;
        let dtype = self.input_meta(id, 0).dtype;
        let name = self.name(id).to_string();
        let local_name: Arc<str> = format!("{name}-local").into();
        let carry_name: Arc<str> = format!("{name}-carry").into();
        let kernel = |step, keys: &[Key]| ScanKernel {
            kind,
            step,
            axis,
            dtype,
            keys: keys.to_vec(),
            name: kind.name().into(),
        };
        for b in chunks.blocks() {
            let local = Key::chunk(local_name.clone(), &b);
            let input = vec![self.input_key(id, 0, &b)];
            self.graph.insert(
                local.clone(),
                Task::call(kernel(ScanStep::Local, &input), input),
            )?;
            if b[axis] == 0 {
                self.graph
                    .insert(self.key(id, &b), Task::call(Identity("scan"), vec![local]))?;
                continue;
            }
            let mut before = b.clone();
            before[axis] -= 1;
            let mut carry_inputs = Vec::new();
            if before[axis] > 0 {
                carry_inputs.push(Key::chunk(carry_name.clone(), &before));
            }
            carry_inputs.push(Key::chunk(local_name.clone(), &before));
            let carry = Key::chunk(carry_name.clone(), &b);
            self.graph.insert(
                carry.clone(),
                Task::call(kernel(ScanStep::Carry, &carry_inputs), carry_inputs),
            )?;
            let apply_inputs = vec![local, carry];
            self.graph.insert(
                self.key(id, &b),
                Task::call(kernel(ScanStep::Apply, &apply_inputs), apply_inputs),
            )?;
        }
        Ok(())
    }
}
