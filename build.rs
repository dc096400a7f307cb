//! Writes the widget's stylesheet, minified (see `styles/minify.rs`), for `include_str!`.

include!("styles/minify.rs");

fn main() {
    println!("cargo:rerun-if-changed=styles/widget.css");
    println!("cargo:rerun-if-changed=styles/minify.rs");
    let css = match std::fs::read_to_string("styles/widget.css") {
        Ok(css) => css,
        Err(e) => panic!("styles/widget.css: {e}"),
    };
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out.join("widget.min.css"), minify_css(&css)) {
        panic!("writing the minified stylesheet: {e}");
    }
}
