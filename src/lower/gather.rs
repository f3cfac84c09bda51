//! Lowering a gather node: per output block, one task per part reading the input blocks
//! the part names, then (for several parts) a tree of combines of fan-in `split_every`
//! whose root is the output block's task.

use std::sync::Arc;

use super::Lowering;
use crate::error::Result;
use crate::graph::{Key, Task};
use crate::kernel::gather::{BlockPos, GatherCombine, GatherFn, GatherPart};
use crate::plan::NodeId;

impl Lowering<'_> {
    /// The part and combine tasks of gather node `id`.
    pub(super) fn gather(&mut self, id: NodeId, f: &Arc<dyn GatherFn>) -> Result<()> {
        let chunks = &self.plan[id].meta.chunks;
        let name = self.name(id).to_string();
        let part_name = format!("{name}-part");
        let fan_in = f.split_every().max(2);
        for b in self.wanted.blocks(id, chunks) {
            let pos = Arc::new(BlockPos {
                index: b.clone(),
                offset: chunks.block_offset(&b),
                shape: chunks.block_shape(&b),
            });
            let parts = f.parts(&b);
            let single = parts.len() == 1;
            let mut level: Vec<Key> = Vec::with_capacity(parts.len());
            for (p, reads) in parts.into_iter().enumerate() {
                let keys: Vec<Key> = reads
                    .iter()
                    .map(|(k, ib)| self.input_key(id, *k, ib))
                    .collect();
                let key = if single {
                    self.key(id, &b)
                } else {
                    let mut index = b.clone();
                    index.push(p);
                    Key::chunk(part_name.as_str(), &index)
                };
                let kernel = GatherPart {
                    f: f.clone(),
                    pos: pos.clone(),
                    part: p,
                    root: single,
                };
                self.graph.insert(key.clone(), Task::call(kernel, keys))?;
                level.push(key);
            }
            let mut depth = 0;
            while level.len() > 1 {
                depth += 1;
                let last = level.len() <= fan_in;
                let level_name = format!("{name}-combine{depth}");
                let mut next = Vec::with_capacity(level.len().div_ceil(fan_in));
                for (g, group) in level.chunks(fan_in).enumerate() {
                    let key = if last {
                        self.key(id, &b)
                    } else {
                        let mut index = b.clone();
                        index.push(g);
                        Key::chunk(level_name.as_str(), &index)
                    };
                    let kernel = GatherCombine {
                        f: f.clone(),
                        pos: pos.clone(),
                        root: last,
                    };
                    self.graph
                        .insert(key.clone(), Task::call(kernel, group.to_vec()))?;
                    next.push(key);
                }
                level = next;
            }
        }
        Ok(())
    }
}
