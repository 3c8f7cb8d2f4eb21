//! `uniffi-bindgen-dart generate target/debug/libquaver_mobile.so --out-dir DIR --no-format`:
//! the Dart (Flutter, `dart:ffi`) generator, built from crates.io at the exact version that
//! tracks our pinned UniFFI 0.32.2, so generation needs no `cargo install` and no Dart SDK.
fn main() {
    if let Err(err) = uniffi_bindgen_dart::run(std::env::args_os()) {
        eprintln!("{err:#}");
        std::process::exit(1);
    }
}
