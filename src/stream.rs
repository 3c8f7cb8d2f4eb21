//! Streaming analysis of audio that arrives in pieces (a microphone recording, an upload in
//! flight): push PCM as it comes, get analysis and a query fingerprint at `finish`.
