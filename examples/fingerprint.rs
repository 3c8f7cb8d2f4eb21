//! Build a small catalog, identify a clip and scan a long file:
//! `cargo run --release --example fingerprint -- DB_DIR CATALOG_FILE... -- QUERY_FILE`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (db, rest) = match args.split_first() {
        Some((db, rest)) => (db.clone(), rest.to_vec()),
        None => (
            "out/example-db".to_string(),
            vec![
                "tests/data/master.wav".to_string(),
                "--".to_string(),
                "examples/data/calling_bogus_30s.flac".to_string(),
            ],
        ),
    };
    let split = rest.iter().position(|a| a == "--").unwrap_or(rest.len());
    let (catalog, query) = (&rest[..split], rest.get(split + 1));
    let mut index = quaver::FingerprintIndex::open(&db)?;
    for f in catalog {
        index.add(f, f.as_str())?; // the path is the track id here
    }
    println!("{db}: {:?}", index.stats());
    if let Some(q) = query {
        let r = index.query(q.as_str(), &Default::default())?;
        println!("best match for {q}: {:?}", r.matches.first());
        for seg in index.scan(q.as_str(), &Default::default())? {
            println!(
                "  {} at {:.1}-{:.1} s (track {:.1}-{:.1} s)",
                seg.track, seg.start_s, seg.end_s, seg.track_start_s, seg.track_end_s
            );
        }
    }
    Ok(())
}
