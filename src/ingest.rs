//! `ingest`: the whole upload pipeline from one decode.
