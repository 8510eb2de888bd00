//! Files and output of commands: input files read with their name in the error, JSON on
//! stdout for `--json`, tables of aligned columns, and output files written safely (a temporary file next to the target,
//! renamed on success).
//!
//! A failure before the rename leaves no partial file (the temporary file is removed when
//! dropped). Files are created with mode 0600 since they may hold plaintext or key material.

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

/// Reads an input file; the error names it.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Prints `value` as pretty JSON on stdout (the `--json` output of a command).
pub fn print_json(value: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints rows as aligned columns under `header`.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// The file extension of encrypted files.
const ENCRYPTED_EXTENSION: &str = "ekms";

/// Where `ekms sym encrypt|decrypt` writes when `-o` is not given: standard output (`-`) when
/// it is not a terminal (a pipe or a redirection), else next to IN: `IN.ekms` when encrypting,
/// IN without its `.ekms` when decrypting. An existing file is refused unless `force`.
pub fn choose_output(
    input: &Path,
    output: Option<&Path>,
    encrypting: bool,
    force: bool,
) -> Result<PathBuf> {
    let chosen = match output {
        Some(path) => path.to_path_buf(),
        None if !std::io::stdout().is_terminal() => PathBuf::from("-"),
        None => beside(input, encrypting)?,
    };
    if chosen != Path::new("-") && !force && chosen.exists() {
        return Err(anyhow!(
            "{} exists and was left as it is: pass --force to replace it, or -o to write elsewhere",
            chosen.display()
        ));
    }
    Ok(chosen)
}

/// The default output file next to `input`.
fn beside(input: &Path, encrypting: bool) -> Result<PathBuf> {
    let refuse = |why: &str| {
        anyhow!("no output file given and {why}: pass -o FILE (or -o - for standard output)")
    };
    if input == Path::new("-") {
        return Err(refuse("the input is standard input"));
    }
    if encrypting {
        let mut name = input.as_os_str().to_os_string();
        name.push(".");
        name.push(ENCRYPTED_EXTENSION);
        return Ok(PathBuf::from(name));
    }
    match input.extension() {
        Some(ext) if ext == ENCRYPTED_EXTENSION => Ok(input.with_extension("")),
        _ => Err(refuse(&format!(
            "{} does not end in .{ENCRYPTED_EXTENSION}",
            input.display()
        ))),
    }
}

/// A new temporary file in `path`'s directory (`.<name>.*.ekms-tmp`, deleted when dropped), to
/// be renamed over `path` once complete, so a reader never sees a partial file.
pub fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{} is not a file path", path.display()))?;
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".ekms-tmp")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))
}

/// Writes `data` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let mut file = temp_beside(path)?;
    file.write_all(data)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        write_atomic(&out, b"one").unwrap();
        write_atomic(&out, b"two").unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("no").join("such").join("out.bin");
        assert!(write_atomic(&out, b"x").is_err());
        assert!(!out.exists());
    }

    #[test]
    fn the_default_output_sits_beside_the_input() {
        assert_eq!(
            beside(Path::new("dir/a.txt"), true).unwrap(),
            Path::new("dir/a.txt.ekms")
        );
        assert_eq!(
            beside(Path::new("dir/a.txt.ekms"), false).unwrap(),
            Path::new("dir/a.txt")
        );
        let err = beside(Path::new("dir/a.txt"), false).unwrap_err();
        assert!(err.to_string().contains("does not end in .ekms"), "{err}");
        assert!(beside(Path::new("-"), true).is_err());
    }
}
