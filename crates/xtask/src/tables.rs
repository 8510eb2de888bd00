//! Generator of `ekms-kmip`'s tag and enumeration tables.
//!
//! The source of truth is the tab-separated data in `crates/ekms-kmip/spec/` (see the README
//! there for where the facts come from):
//! - `tags.tsv`: one row per tag (value, Rust constant, JSON name, specification text name,
//!   KMIP versions);
//! - `enums.tsv`: one row per enumeration (Rust type, specification text name, tags it types);
//! - `enum-values.tsv`: one row per enumeration value (Rust variant, value, JSON name, versions).
//!
//! From them it writes `src/tags/table.rs` (the `Tag` constants, the look-up tables sorted by
//! value, JSON name, folded name and text name, and the operation names of the JSON profile,
//! taken from the `Operation` enumeration) and `src/enums/generated.rs` (one `kmip_enum!` per
//! enumeration and the tag-to-enumeration dispatch). The output is already in `rustfmt` form,
//! so `cargo fmt` leaves it unchanged.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// The KMIP versions a data row may name; `?` marks a version not determined yet.
const VERSIONS: &[&str] = &["1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "?"];

/// The data directory, relative to the workspace root.
pub const SPEC_DIR: &str = "crates/ekms-kmip/spec";
/// The generated tag table, relative to the workspace root.
pub const TAG_TABLE: &str = "crates/ekms-kmip/src/tags/table.rs";
/// The generated enumerations, relative to the workspace root.
pub const ENUM_TABLE: &str = "crates/ekms-kmip/src/enums/generated.rs";

/// One tag of `tags.tsv`.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub value: u32,
    pub constant: String,
    pub json_name: String,
    pub text_name: String,
    pub first_version: String,
    pub last_version: String,
}

/// One enumeration of `enums.tsv` with its values from `enum-values.tsv`.
#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub text_name: String,
    /// `Tag` constants whose items carry this enumeration, in dispatch order.
    pub tags: Vec<String>,
    pub values: Vec<EnumValue>,
}

/// One value of `enum-values.tsv`.
#[derive(Debug, Clone)]
pub struct EnumValue {
    pub variant: String,
    pub value: u32,
    pub json_name: String,
    pub first_version: String,
    pub last_version: String,
}

/// The parsed data directory.
#[derive(Debug, Clone)]
pub struct Spec {
    pub tags: Vec<TagRow>,
    pub enums: Vec<EnumDef>,
}

/// The generated files: (path relative to the workspace root, contents).
pub fn generate(root: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let spec = load(&root.join(SPEC_DIR))?;
    Ok(vec![
        (PathBuf::from(TAG_TABLE), tag_table(&spec)?),
        (PathBuf::from(ENUM_TABLE), enum_table(&spec)),
    ])
}

/// Writes the generated files that differ from what is on disk; returns their paths.
pub fn write(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut changed = Vec::new();
    for (rel, text) in generate(root)? {
        let path = root.join(&rel);
        if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            changed.push(rel);
        }
    }
    Ok(changed)
}

/// Fails, naming the first differing line, when a committed table differs from the generator's.
pub fn check(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    for (rel, want) in generate(root)? {
        let path = root.join(&rel);
        let have = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(diff) = first_difference(&have, &want) {
            problems.push(format!(
                "{} differs from the generator's output: {diff}",
                rel.display()
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.push(
            "edit crates/ekms-kmip/spec/*.tsv and run `cargo run -p xtask -- gen-tables`".into(),
        );
        Err(problems.join("\n"))
    }
}

/// The first line where `have` and `want` differ, for an error message.
fn first_difference(have: &str, want: &str) -> Option<String> {
    if have == want {
        return None;
    }
    let mut h = have.split('\n');
    let mut w = want.split('\n');
    let mut line = 1;
    loop {
        match (h.next(), w.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                return Some(format!(
                    "line {line}: committed {:?}, generated {:?}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the data

/// Parses the three data files and checks them for consistency.
pub fn load(dir: &Path) -> Result<Spec, String> {
    let tags = read_tsv(
        &dir.join("tags.tsv"),
        &[
            "value",
            "const",
            "json_name",
            "text_name",
            "first_version",
            "last_version",
        ],
    )?
    .into_iter()
    .map(|(at, f)| {
        Ok(TagRow {
            value: hex(&f[0], &at)?,
            constant: f[1].clone(),
            json_name: f[2].clone(),
            text_name: f[3].clone(),
            first_version: version(&f[4], false, &at)?,
            last_version: version(&f[5], true, &at)?,
        })
    })
    .collect::<Result<Vec<_>, String>>()?;

    let mut enums = read_tsv(&dir.join("enums.tsv"), &["enum", "text_name", "tags"])?
        .into_iter()
        .map(|(_, f)| EnumDef {
            name: f[0].clone(),
            text_name: f[1].clone(),
            tags: f[2]
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            values: Vec::new(),
        })
        .collect::<Vec<_>>();

    let values = read_tsv(
        &dir.join("enum-values.tsv"),
        &[
            "enum",
            "variant",
            "value",
            "json_name",
            "first_version",
            "last_version",
        ],
    )?;
    for (at, f) in values {
        let def = enums
            .iter_mut()
            .find(|e| e.name == f[0])
            .ok_or_else(|| format!("{at}: enumeration {:?} is not in enums.tsv", f[0]))?;
        def.values.push(EnumValue {
            variant: f[1].clone(),
            value: hex(&f[2], &at)?,
            json_name: f[3].clone(),
            first_version: version(&f[4], false, &at)?,
            last_version: version(&f[5], true, &at)?,
        });
    }
    let spec = Spec { tags, enums };
    validate(&spec)?;
    Ok(spec)
}

/// Rows of a tab-separated file after its header, each with "file:line" for messages.
fn read_tsv(path: &Path, header: &[&str]) -> Result<Vec<(String, Vec<String>)>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut lines = text.lines().enumerate();
    let want = header.join("\t");
    match lines.next() {
        Some((_, h)) if h == want => {}
        _ => return Err(format!("{name}:1: the header must be {want:?}")),
    }
    let mut rows = Vec::new();
    for (i, line) in lines {
        let at = format!("{name}:{}", i + 1);
        let fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
        if fields.len() != header.len() {
            return Err(format!(
                "{at}: {} fields, expected {}",
                fields.len(),
                header.len()
            ));
        }
        rows.push((at, fields));
    }
    Ok(rows)
}

fn hex(field: &str, at: &str) -> Result<u32, String> {
    field
        .strip_prefix("0x")
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or_else(|| format!("{at}: {field:?} is not a 0x-prefixed hexadecimal value"))
}

fn version(field: &str, may_be_empty: bool, at: &str) -> Result<String, String> {
    if (may_be_empty && field.is_empty()) || VERSIONS.contains(&field) {
        Ok(field.to_owned())
    } else {
        Err(format!(
            "{at}: {field:?} is not a KMIP version ({VERSIONS:?})"
        ))
    }
}

/// Uniqueness and references: a mistake in the data fails here rather than in the compiler.
fn validate(spec: &Spec) -> Result<(), String> {
    let mut values = BTreeSet::new();
    let mut consts = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut folded = BTreeSet::new();
    let mut texts = BTreeSet::new();
    for t in &spec.tags {
        let ok = values.insert(t.value)
            && consts.insert(t.constant.as_str())
            && names.insert(t.json_name.as_str())
            && folded.insert(fold(&t.json_name))
            && texts.insert(t.text_name.as_str());
        if !ok {
            return Err(format!(
                "tags.tsv: tag 0x{:06X} repeats a value or a name",
                t.value
            ));
        }
    }
    if !spec.tags.is_sorted_by_key(|t| t.value) {
        return Err("tags.tsv: rows must be sorted by value".into());
    }
    let mut enum_names = BTreeSet::new();
    let mut typed = BTreeSet::new();
    for e in &spec.enums {
        if !enum_names.insert(e.name.as_str()) {
            return Err(format!("enums.tsv: {} appears twice", e.name));
        }
        for tag in &e.tags {
            if !consts.contains(tag.as_str()) {
                return Err(format!("enums.tsv: {}: no tag constant {tag}", e.name));
            }
            if !typed.insert(tag.as_str()) {
                return Err(format!("enums.tsv: tag {tag} is typed by two enumerations"));
            }
        }
        let mut vals = BTreeSet::new();
        let mut vars = BTreeSet::new();
        for v in &e.values {
            if !vals.insert(v.value) || !vars.insert(v.variant.as_str()) {
                return Err(format!(
                    "enum-values.tsv: {}::{} repeats a value or a variant",
                    e.name, v.variant
                ));
            }
        }
    }
    if !spec.enums.iter().any(|e| e.name == "Operation") {
        return Err("enums.tsv: the Operation enumeration is required".into());
    }
    Ok(())
}

/// Lower-case letters and digits only: the key of lenient name look-ups.
fn fold(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Writing Rust

/// A tuple as rustfmt lays it out in an array at indent 4: on one line when its elements fit
/// rustfmt's `fn_call_width` (60) and the line fits 100 columns, else one element per line.
fn tuple(out: &mut String, items: &[String]) {
    let flat = items.join(", ");
    if flat.len() <= 60 && 4 + flat.len() + 3 <= 100 {
        let _ = writeln!(out, "    ({flat}),");
    } else {
        out.push_str("    (\n");
        for item in items {
            let _ = writeln!(out, "        {item},");
        }
        out.push_str("    ),\n");
    }
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// `src/tags/table.rs`.
pub fn tag_table(spec: &Spec) -> Result<String, String> {
    let mut out = String::new();
    out.push_str(
        "// @generated by `cargo run -p xtask -- gen-tables` from crates/ekms-kmip/spec/tags.tsv\n\
         // and enum-values.tsv (facts of the KMIP 1.0-2.1 specifications). Do not edit by hand.\n\n",
    );
    out.push_str("//! Tag table of KMIP 1.0-2.1.\n\n");
    out.push_str("use super::Tag;\nimpl Tag {\n");
    for t in &spec.tags {
        let _ = writeln!(out, "    /// `{}` (\"{}\")", t.json_name, t.text_name);
        let _ = writeln!(
            out,
            "    pub const {}: Tag = Tag(0x{:06X});",
            t.constant, t.value
        );
    }
    out.push_str("}\n\n");

    out.push_str("/// (value, JSON name, specification text name), sorted by value.\n");
    out.push_str("pub(crate) static BY_VALUE: &[(u32, &str, &str)] = &[\n");
    for t in &spec.tags {
        let items = [
            format!("0x{:06X}", t.value),
            quoted(&t.json_name),
            quoted(&t.text_name),
        ];
        tuple(&mut out, &items);
    }
    out.push_str("];\n\n");

    let mut by_name: Vec<(&str, u32)> = spec
        .tags
        .iter()
        .map(|t| (t.json_name.as_str(), t.value))
        .collect();
    by_name.sort();
    out.push_str("/// (JSON name, value), sorted by name (byte order).\n");
    out.push_str("pub(crate) static BY_NAME: &[(&str, u32)] = &[\n");
    for (name, value) in by_name {
        tuple(&mut out, &[quoted(name), format!("0x{value:06X}")]);
    }
    out.push_str("];\n\n");

    let mut by_folded: Vec<(String, u32)> = spec
        .tags
        .iter()
        .map(|t| (fold(&t.json_name), t.value))
        .collect();
    by_folded.sort();
    out.push_str(
        "/// (folded name: lower-case, only letters and digits, value), sorted, for lenient \
         look-ups.\n",
    );
    out.push_str("pub(crate) static BY_FOLDED_NAME: &[(&str, u32)] = &[\n");
    for (name, value) in by_folded {
        tuple(&mut out, &[quoted(&name), format!("0x{value:06X}")]);
    }
    out.push_str("];\n\n");

    let mut by_text: Vec<(&str, u32)> = spec
        .tags
        .iter()
        .map(|t| (t.text_name.as_str(), t.value))
        .collect();
    by_text.sort();
    out.push_str(
        "/// (specification text name, value), sorted by name: the KMIP 1.x attribute names.\n",
    );
    out.push_str("pub(crate) static BY_TEXT_NAME: &[(&str, u32)] = &[\n");
    for (name, value) in by_text {
        tuple(&mut out, &[quoted(name), format!("0x{value:06X}")]);
    }
    out.push_str("];\n\n");

    let operation = spec
        .enums
        .iter()
        .find(|e| e.name == "Operation")
        .ok_or("enums.tsv: the Operation enumeration is required")?;
    let mut ops: Vec<&EnumValue> = operation.values.iter().collect();
    ops.sort_by_key(|v| v.value);
    out.push_str("/// KMIP operations as the JSON profile names their payload structures:\n");
    out.push_str("/// (Operation value, request name, response name), sorted by value.\n");
    out.push_str("pub(crate) static OPERATIONS: &[(u32, &str, &str)] = &[\n");
    for v in ops {
        let items = [
            format!("0x{:02X}", v.value),
            quoted(&v.json_name),
            quoted(&format!("{}Response", v.json_name)),
        ];
        tuple(&mut out, &items);
    }
    out.push_str("];\n");
    Ok(out)
}

/// `src/enums/generated.rs`.
pub fn enum_table(spec: &Spec) -> String {
    let mut out = String::new();
    out.push_str("//! Enumeration tables of KMIP 2.1 (and the 1.x values 2.x reserves).\n\n");
    out.push_str(
        "// @generated by `cargo run -p xtask -- gen-tables` from crates/ekms-kmip/spec/enums.tsv\n\
         // and enum-values.tsv (facts of the KMIP specifications). Do not edit by hand.\n\n",
    );
    for e in &spec.enums {
        out.push_str("kmip_enum! {\n");
        let _ = writeln!(out, "    /// KMIP \"{}\" enumeration.", e.text_name);
        // An enumeration without values (Opaque Data Type defines none) has no `repr` line and
        // an empty body; kept as the first generated file had it.
        if !e.values.is_empty() {
            out.push_str("    #[repr(u32)]");
        }
        out.push('\n');
        let _ = writeln!(out, "    {} {{", e.name);
        if e.values.is_empty() {
            out.push('\n');
        }
        for v in &e.values {
            let _ = writeln!(
                out,
                "        {} = 0x{:08X}, {};",
                v.variant,
                v.value,
                quoted(&v.json_name)
            );
        }
        out.push_str("    }\n}\n\n");
    }
    out.push_str("/// The enumeration type a tag carries, as a dispatch over `Tag` constants.\n");
    out.push_str("macro_rules! for_each_enum_tag {\n    ($m:ident) => {\n        $m! {\n");
    for e in &spec.enums {
        for tag in &e.tags {
            let _ = writeln!(out, "            {tag} => {},", e.name);
        }
    }
    out.push_str("        }\n    };\n}\n");
    out
}
