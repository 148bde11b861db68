//! Bit-level reading of entropy-coded data (T.81 §F.2.2.5).
