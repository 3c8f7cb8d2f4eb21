//! `uniffi-bindgen generate --library target/debug/libquaver_mobile.so --language kotlin ...`
fn main() {
    uniffi::uniffi_bindgen_main()
}
