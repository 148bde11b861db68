//! Encoding with the T.81 K.3 tables (T.81 §F.1.2).
