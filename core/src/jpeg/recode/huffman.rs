//! Huffman tables (T.81 §B.2.4.2, Annex C).

/// Whether every table of a DHT body is one of the four K.3 tables.
pub(super) fn dht_is_standard(_body: &[u8]) -> bool {
    false
}
