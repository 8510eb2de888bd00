//! docs/server.md matches the binary's settings: every flag `ekms-server --help` lists is
//! documented there, and every flag's variable is the one the documented naming rule gives
//! (or is named in the page itself), so the page cannot fall behind a new or renamed setting.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// `(flag, variable)` for each setting `--help` lists (the variable, if it has one).
fn settings() -> Vec<(String, Option<String>)> {
    let out = Command::new(env!("CARGO_BIN_EXE_ekms-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("--").filter(|_| line.starts_with("  ")) {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            found.push((format!("--{name}"), None));
        } else if let Some(at) = t.find("[env: ") {
            let var: String = t[at + 6..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(last) = found.last_mut() {
                last.1 = Some(var);
            }
        }
    }
    found
}

#[test]
fn every_flag_and_variable_of_the_binary_is_documented() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/server.md"),
    )
    .unwrap();
    let settings = settings();
    assert!(settings.len() > 30, "too few settings parsed: {settings:?}");
    let mut missing = Vec::new();
    for (flag, var) in &settings {
        if flag == "--help" || flag == "--version" {
            continue;
        }
        if !doc.contains(&format!("`{flag}")) {
            missing.push(format!("{flag} is not in docs/server.md"));
        }
        let Some(var) = var else { continue };
        // docs/server.md: `EKMS_` and the flag's name in upper case, `_` for `-`.
        let by_rule = format!("EKMS_{}", flag[2..].to_uppercase().replace('-', "_"));
        if *var != by_rule && !doc.contains(var.as_str()) {
            missing.push(format!(
                "{flag}'s variable {var} neither follows the rule ({by_rule}) nor is in docs/server.md"
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
