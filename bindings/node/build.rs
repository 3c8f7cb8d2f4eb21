fn main() {
    napi_build::setup();
    // With `lame-shared` (the npm platform packages), libmp3lame ships beside the addon in its
    // package directory: the addon looks for it there first. (Windows' loader already searches
    // the .node's own directory: Node loads addons with LOAD_WITH_ALTERED_SEARCH_PATH.)
    if std::env::var_os("CARGO_FEATURE_LAME_SHARED").is_some() {
        match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
            Ok("linux") => println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,$ORIGIN"),
            Ok("macos") => println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,@loader_path"),
            _ => {}
        }
    }
}
