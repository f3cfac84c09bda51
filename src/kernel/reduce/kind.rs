//! `ReduceKind`: which reduction, its result type and name.

use crate::dtype::DType;

/// Which reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ReduceKind {
    Sum,
    Prod,
    Min,
    Max,
    Mean,
    Var { ddof: usize },
    Std { ddof: usize },
    Any,
    All,
    ArgMin,
    ArgMax,
    NanMin,
    NanMax,
    NanMean,
    NanVar { ddof: usize },
    NanStd { ddof: usize },
    NanArgMin,
    NanArgMax,
}

impl ReduceKind {
    /// The result type for inputs of type `input`.
    pub fn out_dtype(self, input: DType) -> DType {
        match self {
            ReduceKind::Sum | ReduceKind::Prod => match input {
                DType::Bool | DType::I8 | DType::I16 | DType::I32 | DType::I64 => DType::I64,
                DType::U8 | DType::U16 | DType::U32 | DType::U64 => DType::U64,
                other => other,
            },
            ReduceKind::Min | ReduceKind::Max | ReduceKind::NanMin | ReduceKind::NanMax => input,
            ReduceKind::Mean
            | ReduceKind::Var { .. }
            | ReduceKind::Std { .. }
            | ReduceKind::NanMean
            | ReduceKind::NanVar { .. }
            | ReduceKind::NanStd { .. } => {
                if input == DType::F32 {
                    DType::F32
                } else {
                    DType::F64
                }
            }
            ReduceKind::Any | ReduceKind::All => DType::Bool,
            ReduceKind::ArgMin
            | ReduceKind::ArgMax
            | ReduceKind::NanArgMin
            | ReduceKind::NanArgMax => DType::U64,
        }
    }

    /// Whether NaN elements are skipped (the `nan*` reductions).
    pub fn skips_nan(self) -> bool {
        matches!(
            self,
            ReduceKind::NanMin
                | ReduceKind::NanMax
                | ReduceKind::NanMean
                | ReduceKind::NanVar { .. }
                | ReduceKind::NanStd { .. }
                | ReduceKind::NanArgMin
                | ReduceKind::NanArgMax
        )
    }

    /// Whether reducing zero elements is an error (no identity), as in NumPy.
    pub fn needs_elements(self) -> bool {
        matches!(
            self,
            ReduceKind::Min
                | ReduceKind::Max
                | ReduceKind::ArgMin
                | ReduceKind::ArgMax
                | ReduceKind::NanMin
                | ReduceKind::NanMax
                | ReduceKind::NanArgMin
                | ReduceKind::NanArgMax
        )
    }

    /// The lower-case name (`sum`, `var`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Prod => "prod",
            ReduceKind::Min => "min",
            ReduceKind::Max => "max",
            ReduceKind::Mean => "mean",
            ReduceKind::Var { .. } => "var",
            ReduceKind::Std { .. } => "std",
            ReduceKind::Any => "any",
            ReduceKind::All => "all",
            ReduceKind::ArgMin => "argmin",
            ReduceKind::ArgMax => "argmax",
            ReduceKind::NanMin => "nanmin",
            ReduceKind::NanMax => "nanmax",
            ReduceKind::NanMean => "nanmean",
            ReduceKind::NanVar { .. } => "nanvar",
            ReduceKind::NanStd { .. } => "nanstd",
            ReduceKind::NanArgMin => "nanargmin",
            ReduceKind::NanArgMax => "nanargmax",
        }
    }
}
