//! Compiles the IPADIC source in `source/` (gzip-compressed MeCab CSV/def files) into
//! lindera's binary dictionary format under `$OUT_DIR/ipadic`, which `src/lib.rs` embeds.
//!
//! Everything is local: the source is decompressed with `flate2` (pure Rust) and compiled
//! with `lindera_dictionary::builder::DictionaryBuilder`. Nothing here touches the network
//! (lindera-dictionary's downloading `build_rs` feature is deliberately not enabled).

use std::error::Error;
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;

/// Files lindera's builder needs besides the lexicon `*.csv` files.
const REQUIRED: [&str; 3] = ["char.def", "unk.def", "matrix.def"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=metadata.json");
    println!("cargo:rerun-if-changed=source");

    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR unset")?);
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?);
    let source_dir = manifest_dir.join("source");

    let mut gz_files: Vec<PathBuf> = fs::read_dir(&source_dir)
        .map_err(|e| {
            format!(
                "cannot read {}: {e} (run tools/fetch_ipadic.sh)",
                source_dir.display()
            )
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "gz"))
        .collect();
    gz_files.sort();
    for path in &gz_files {
        println!("cargo:rerun-if-changed={}", path.display());
    }

    // 1. Decompress into a scratch directory.
    let input_dir = out_dir.join("ipadic-src");
    reset_dir(&input_dir)?;
    for path in &gz_files {
        let name = path
            .file_stem()
            .ok_or_else(|| format!("bad file name {}", path.display()))?;
        let mut decoder = GzDecoder::new(io::BufReader::new(File::open(path)?));
        let mut out = BufWriter::new(File::create(input_dir.join(name))?);
        io::copy(&mut decoder, &mut out)
            .map_err(|e| format!("cannot decompress {}: {e}", path.display()))?;
    }
    for name in REQUIRED {
        if !input_dir.join(name).is_file() {
            return Err(format!(
                "{name}.gz missing from {} (run tools/fetch_ipadic.sh)",
                source_dir.display()
            )
            .into());
        }
    }

    // 2. Compile with lindera's builder (the metadata is lindera-ipadic's, unchanged).
    let metadata = Metadata::load(&fs::read(manifest_dir.join("metadata.json"))?)?;
    let tmp_output = out_dir.join("ipadic.tmp");
    reset_dir(&tmp_output)?;
    DictionaryBuilder::new(metadata).build_dictionary(&input_dir, &tmp_output)?;

    // 3. Move into place and drop the 63 MB of decompressed source.
    let output = out_dir.join("ipadic");
    if output.exists() {
        fs::remove_dir_all(&output)?;
    }
    fs::rename(&tmp_output, &output)?;
    fs::remove_dir_all(&input_dir)?;

    println!("cargo:rustc-env=LINDERA_WORKDIR={}", out_dir.display());
    Ok(())
}

fn reset_dir(dir: &Path) -> io::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)
}
