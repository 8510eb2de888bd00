//! Renders `deploy/sgx/ekms-server.manifest.template`, the Gramine manifest template, the way
//! `gramine-manifest` does (Jinja, through minijinja), so that the manifest emulation generates
//! and the one a real enclave is built from come from the same text.
//!
//! `gramine-manifest` gives the template `-D` variables and a `gramine` object
//! (`gramine.runtimedir()`, `gramine.libos`); here the `gramine` object returns fixed paths,
//! those of Gramine's Ubuntu package, since no Gramine is installed in emulation, and the server
//! adds the variables only it sets (`ekms_env`, `entrypoint_sha256`, `extra_trusted`).

use anyhow::Context;
use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior};
use std::collections::BTreeMap;

/// The template, embedded: the binary carries the text its manifests are rendered from.
pub const TEMPLATE: &str = include_str!("../../../../deploy/sgx/ekms-server.manifest.template");

/// Where Gramine's Ubuntu package puts its glibc, standing in for `gramine.runtimedir()`.
pub const EMULATED_RUNTIME_DIR: &str = "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc";
/// Where Gramine's Ubuntu package puts its library OS, standing in for `gramine.libos`.
pub const EMULATED_LIBOS: &str = "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so";

/// Renders the template with `vars` (as `gramine-manifest -D NAME=VALUE` would, plus any value
/// ekms-server sets) and the emulated `gramine` object.
pub fn render(vars: BTreeMap<&str, Value>) -> anyhow::Result<String> {
    let mut env = Environment::new();
    // An unknown variable is an error in gramine-manifest (StrictUndefined) too.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template("ekms-server.manifest.template", TEMPLATE)
        .context("the embedded manifest template is not valid Jinja")?;
    let template = env
        .get_template("ekms-server.manifest.template")
        .context("the embedded manifest template is missing")?;
    let mut context: BTreeMap<&str, Value> = vars;
    context.insert("gramine", gramine_object());
    let mut text = template
        .render(Value::from(context))
        .context("cannot render the manifest template")?;
    // Jinja drops the template's final newline; a TOML file ends with one.
    text.push('\n');
    Ok(text)
}

/// `gramine.runtimedir()` and `gramine.libos`, with the package's paths.
fn gramine_object() -> Value {
    let mut gramine: BTreeMap<&str, Value> = BTreeMap::new();
    gramine.insert(
        "runtimedir",
        Value::from_function(|| EMULATED_RUNTIME_DIR.to_string()),
    );
    gramine.insert("libos", Value::from(EMULATED_LIBOS));
    Value::from(gramine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::enclave::manifest::tests::config;
    use crate::enclave::manifest::{Manifest, loader_settings};
    use crate::enclave::selfcheck::{self, mount_of, mounts};
    use std::path::Path;

    /// The rules every manifest of ekms keeps (docs/measurement.md): a fixed command line,
    /// fixed environment values only, DCAP attestation, no `insecure__` option, the key dir
    /// sealed to mr_enclave, the groups on a plain mount, nothing else writable.
    fn assert_rules(text: &str, data_dir: &str, key_dir: &str) -> toml::Table {
        let doc: toml::Table = text.parse().unwrap();
        // No key anywhere opens the enclave to the host: no insecure__ option, no passthrough.
        fn keys(prefix: &str, value: &toml::Value, out: &mut Vec<String>) {
            let items: Vec<(String, &toml::Value)> = match value {
                toml::Value::Table(t) => t.iter().map(|(k, v)| (k.clone(), v)).collect(),
                toml::Value::Array(a) => a.iter().map(|v| (String::new(), v)).collect(),
                _ => return,
            };
            for (k, v) in items {
                let name = format!("{prefix}.{k}");
                out.push(name.clone());
                keys(&name, v, out);
            }
        }
        let mut all = Vec::new();
        keys("", &toml::Value::Table(doc.clone()), &mut all);
        assert!(all.len() > 20, "{all:?}");
        for key in &all {
            assert!(
                !key.contains("insecure__") && !key.ends_with(".passthrough"),
                "{key}"
            );
        }
        let loader = doc["loader"].as_table().unwrap();
        assert_eq!(
            loader["argv"].as_array().unwrap(),
            &vec![toml::Value::String("ekms-server".into())]
        );
        for key in ["argv_src_file", "env_src_file"] {
            assert!(!loader.contains_key(key), "loader.{key}");
        }
        for (name, value) in loader["env"].as_table().unwrap() {
            assert!(value.is_str(), "loader.env.{name} is a fixed string");
        }
        let sgx = doc["sgx"].as_table().unwrap();
        assert_eq!(sgx["remote_attestation"].as_str(), Some("dcap"));
        assert_eq!(sgx["file_check_policy"].as_str(), Some("strict"));
        let all = mounts(&doc).unwrap();
        let key = mount_of(&all, Path::new(key_dir)).unwrap();
        assert!(key.sealed_to_enclave(), "{key:?}");
        let groups = Path::new(data_dir).join("groups");
        let g = mount_of(&all, &groups).unwrap();
        assert_eq!(
            (g.kind.as_str(), g.path.as_path()),
            ("chroot", groups.as_path())
        );
        // Writable: the sealed key dir and the allowed files, which are the groups and at most
        // the operator's settings file.
        for allowed in sgx["allowed_files"].as_array().unwrap() {
            let uri = allowed.as_str().unwrap();
            assert!(
                [
                    format!("file:{}/", groups.display()),
                    "file:/etc/ekms/ekms.toml".to_string(),
                    "file:/ekms/ekms-server.manifest.sgx".to_string(),
                    "file:/ekms/ekms-server.sig".to_string(),
                ]
                .contains(&uri.to_string()),
                "{uri}"
            );
        }
        doc
    }

    #[test]
    fn the_emulated_manifest_is_the_template_with_the_effective_settings() {
        // The deployed layout: groups and sealed state in two directories. (The files measured
        // settings name: manifest.rs's tests.)
        let c = config(&["--key-dir", "/srv/sealed", "--data-dir", "/srv/ekms"]);
        let m = Manifest::generate(&[7u8; 32], &c.measured().unwrap()).unwrap();
        let doc = assert_rules(&m.text, "/srv/ekms", "/srv/sealed");
        assert_eq!(doc["sgx"]["debug"].as_bool(), Some(false));
        assert_eq!(
            doc["libos"]["entrypoint"].as_str(),
            Some("/ekms/ekms-server")
        );
        assert_eq!(
            m.trusted_files[0],
            ("file:/ekms/ekms-server".to_string(), hex::encode([7u8; 32]))
        );
        assert!(m.unhashed_files.iter().any(|u| u.contains("runtime/glibc")));
        // It states exactly what the server runs with, and the self-check accepts it.
        m.check_settings(Path::new("/"), &c).unwrap();
        assert!(!m.text.contains("EKMS_SERVER_CONFIG"), "not measured");
        assert!(!m.text.contains("EKMS_MANIFEST"), "not measured");
        selfcheck::check(&m, &c, &[7u8; 32]).unwrap();
        // The embedded layout (key dir = data dir) keeps the groups on their plain mount.
        let embedded = config(&["--data-dir", "/srv/ekms"]);
        let m = Manifest::generate(&[7u8; 32], &embedded.measured().unwrap()).unwrap();
        assert_rules(&m.text, "/srv/ekms", "/srv/ekms");
    }

    #[test]
    fn rendered_as_gramine_manifest_does_it_states_every_measured_setting() {
        let vars = |debug: &str| {
            BTreeMap::from([
                ("entrypoint", Value::from("/ekms/ekms-server")),
                ("arch_libdir", Value::from("/lib/x86_64-linux-gnu")),
                ("debug", Value::from(debug)),
            ])
        };
        let text = render(vars("0")).unwrap();
        let doc = assert_rules(&text, "/var/lib/ekms", "/var/lib/ekms/sealed");
        assert_eq!(doc["sgx"]["debug"].as_bool(), Some(false));
        let (argv, env) = loader_settings(&text).unwrap();
        assert_eq!(env["EKMS_SERVER_CONFIG"], "/etc/ekms/ekms.toml");
        assert_eq!(env["EKMS_MANIFEST"], "/ekms/ekms-server.manifest.sgx");
        let allowed = doc["sgx"]["allowed_files"].as_array().unwrap();
        assert!(allowed.contains(&toml::Value::String("file:/ekms/ekms-server.sig".into())));
        // Every measured setting is stated, with the value the server runs with in the image.
        let expected = config(&[
            "--quote-source",
            "gramine",
            "--data-dir",
            "/var/lib/ekms",
            "--key-dir",
            "/var/lib/ekms/sealed",
        ])
        .measured()
        .unwrap();
        for m in &expected {
            assert_eq!(env.get(&m.env), m.value.as_ref(), "{}", m.env);
        }
        let stated = Config::stated(&argv, &env).unwrap().measured().unwrap();
        assert_eq!(stated, expected);
        // Unsigned: Gramine's files have no hash until gramine-sgx-sign writes them.
        let m = Manifest::parse(text).unwrap();
        assert!(m.trusted_files.is_empty());
        assert_eq!(m.unhashed_files[0], "file:/ekms/ekms-server");
        let debug: toml::Table = render(vars("1")).unwrap().parse().unwrap();
        assert_eq!(debug["sgx"]["debug"].as_bool(), Some(true));
        // gramine-manifest refuses an undefined variable; so does this rendering.
        assert!(render(BTreeMap::new()).is_err());
    }
}
