//! With feature `lame-shared`, the `quaver` binary finds `libmp3lame` in `../lib` beside it
//! (the CLI tarball's layout: `bin/quaver`, `lib/libmp3lame.so.0`), so a user can replace LAME.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let shared = std::env::var_os("CARGO_FEATURE_LAME_SHARED").is_some();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if shared && os == "linux" {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN/../lib");
    } else if shared && os == "macos" {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,@executable_path/../lib");
    }
}
