//! Compiling one program to machine code with Cranelift's JIT: a fresh [`JITModule`] per
//! program (so a failure leaves nothing half-built behind), the host's instruction set as
//! `cranelift-native` detects it, optimisation for speed, and the [`calls`](super::calls)
//! wrappers in the symbol table.
//!
//! A compiled module is leaked on purpose: its code must stay mapped for as long as any
//! task may call it, and the cache keeps every compiled program for the life of the process
//! anyway.

use std::time::Instant;

use cranelift_codegen::ir::Function;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};

use super::translate::{self, Reason};
use super::{Compiled, Fold, StripFn};
use crate::kernel::program::Program;

/// Compiles `program` to a function that does `fold`, or says why not. Never panics: a
/// panic inside Cranelift is caught and reported as a reason.
pub(super) fn compile(program: &Program, fold: Fold, dump: bool) -> Result<Compiled, Reason> {
    let started = Instant::now();
    // With the vector loop first; if that does not compile here, the scalar loop alone.
    let attempt =
        |vectorize: bool| match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            build(program, fold, dump, vectorize)
        })) {
            Ok(r) => r,
            Err(_) => Err("Cranelift panicked".to_string()),
        };
    let func = match attempt(true) {
        Ok(f) => f,
        Err(vector_reason) => {
            if dump {
                eprintln!("chunkflow codegen: the vector loop does not compile: {vector_reason}");
            }
            attempt(false).map_err(|r| format!("{r} (vector loop: {vector_reason})"))?
        }
    };
    Ok(Compiled {
        func,
        fold,
        inputs: program.inputs.clone(),
        output: program.out_dtype(),
        compile_time: started.elapsed(),
    })
}

/// `program` compiled with the vector loop (`vectorize`, an error where that does not
/// compile) or with the scalar loop alone (tests: the vector loop would otherwise cover
/// every element of an even-length strip, and a vector loop that fails to compile would
/// otherwise pass unseen, as the scalar loop).
#[cfg(test)]
pub(super) fn compile_loops(
    program: &Program,
    fold: Fold,
    vectorize: bool,
) -> Result<Compiled, Reason> {
    let func = build(program, fold, false, vectorize)?;
    Ok(Compiled {
        func,
        fold,
        inputs: program.inputs.clone(),
        output: program.out_dtype(),
        compile_time: std::time::Duration::ZERO,
    })
}

fn build(program: &Program, fold: Fold, dump: bool, vectorize: bool) -> Result<StripFn, Reason> {
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| {
        f.set(k, v).map_err(|e| format!("setting {k}: {e}"))
    };
    set(&mut flags, "opt_level", "speed")?;
    set(&mut flags, "is_pic", "false")?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    let isa = cranelift_native::builder()
        .map_err(|e| format!("no Cranelift backend for this host: {e}"))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| format!("building the ISA: {e}"))?;
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    for (name, address) in super::calls::symbols() {
        builder.symbol(name, address);
    }
    let mut module = JITModule::new(builder);
    let mut ctx = module.make_context();
    ctx.func = Function::new();
    ctx.func.signature = module.make_signature();
    translate::translate(program, fold, &mut module, &mut ctx.func, vectorize)?;
    if dump {
        eprintln!("chunkflow codegen: Cranelift IR\n{}", ctx.func.display());
    }
    let id = module
        .declare_function("strip", Linkage::Export, &ctx.func.signature)
        .map_err(|e| format!("declaring the strip function: {e}"))?;
    module
        .define_function(id, &mut ctx)
        .map_err(|e| format!("compiling: {e:?}"))?;
    module
        .finalize_definitions()
        .map_err(|e| format!("finalizing: {e}"))?;
    let code = module.get_finalized_function(id);
    // Keep the code mapped for the life of the process (see the module docs).
    Box::leak(Box::new(module));
    // SAFETY: `code` is the entry of the function just finalized, whose signature
    // `translate` set to three pointer-sized parameters and no results: the C ABI of
    // `StripFn` on this host (Cranelift's default call convention is the host's C one).
    Ok(unsafe { std::mem::transmute::<*const u8, StripFn>(code) })
}
