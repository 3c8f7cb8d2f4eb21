//! With feature `lame-shared`, tells the linker where `libmp3lame` is when
//! `QUAVER_LAME_LIB_DIR` names a directory (scripts/dist.d/lame.sh builds one); otherwise the
//! system's library path is searched.
fn main() {
    println!("cargo:rerun-if-env-changed=QUAVER_LAME_LIB_DIR");
    if std::env::var_os("CARGO_FEATURE_LAME_SHARED").is_some() {
        if let Some(dir) = std::env::var_os("QUAVER_LAME_LIB_DIR") {
            println!(
                "cargo:rustc-link-search=native={}",
                std::path::PathBuf::from(dir).display()
            );
        }
    }
}
