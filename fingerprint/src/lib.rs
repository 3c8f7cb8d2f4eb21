//! quaver-fingerprint: placeholder until its issue lands; it sits on quaver-core in the crate graph.
