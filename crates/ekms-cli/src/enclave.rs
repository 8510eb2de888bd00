//! `ekms enclave ...`: enclave identities computed on the user's machine, with no server, so
//! that the values given to `ekms trust` (`--mr-enclave`, `--mr-signer`) can be derived from
//! what the user has: the signer's public key, the manifest (emulation), the SIGSTRUCT (SGX);
//! and the comparison of a served manifest with one the user rendered (`manifest-check`).

use std::path::Path;

use anyhow::{Context as _, Result};
use ekms_client::ekms_attest::{self, Sigstruct};
use serde_json::json;

use crate::cli::{ManifestCheckArgs, MeasureArgs, MrSignerArgs, SigstructArgs};
use crate::output::print_json;
use crate::report::Explained;

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

/// `ekms enclave mr-signer`.
pub fn mr_signer(json: bool, args: &MrSignerArgs) -> Result<()> {
    let key = read(&args.key, "signer key")?;
    let mr_signer = ekms_attest::mr_signer(&key).map_err(|e| Explained {
        message: format!("{}: {e}", args.key.display()),
        hint: Some(
            "give the enclave signer's RSA-3072 public key, PEM (PUBLIC KEY or RSA PUBLIC KEY) or DER; a server returns it as enclave_public_key from /certificates"
                .to_string(),
        ),
    })?;
    if json {
        print_json(&json!({"mr_signer": hex::encode(mr_signer)}))
    } else {
        println!("{}", hex::encode(mr_signer));
        Ok(())
    }
}

/// `ekms enclave measure`.
pub fn measure(json: bool, args: &MeasureArgs) -> Result<()> {
    let manifest = read(&args.manifest, "manifest")?;
    let size = match &args.enclave_size {
        Some(text) => Some(
            ekms_client::manifest::parse_size(text).map_err(|e| Explained {
                message: format!("--enclave-size: {e}"),
                hint: Some("give a power of two, e.g. 1G or 512M".to_string()),
            })?,
        ),
        None => None,
    };
    let settings = ekms_client::manifest::settings(&manifest).ok();
    let enclave_size = match (size, &settings) {
        (Some(s), _) => s,
        (None, Some(s)) => s.enclave_size,
        (None, None) => {
            return Err(Explained {
                message: format!(
                    "{} declares no usable sgx.enclave_size",
                    args.manifest.display()
                ),
                hint: Some("pass --enclave-size SIZE (e.g. 1G)".to_string()),
            }
            .into());
        }
    };
    let mr_enclave =
        ekms_client::manifest::measure(&manifest, Some(enclave_size)).map_err(|e| Explained {
            message: format!("{}: {e}", args.manifest.display()),
            hint: None,
        })?;
    if json {
        print_json(&json!({
            "mr_enclave": hex::encode(mr_enclave),
            "enclave_size": enclave_size,
            "layout": "ekms emulation (docs/measurement.md)",
        }))
    } else {
        println!("{}", hex::encode(mr_enclave));
        eprintln!(
            "note: ekms's emulated measurement (docs/measurement.md), enclave size {enclave_size}; a real SGX enclave's mr_enclave is in its SIGSTRUCT (`ekms enclave sigstruct`)"
        );
        Ok(())
    }
}

/// `ekms enclave sigstruct`.
pub fn sigstruct(json: bool, args: &SigstructArgs) -> Result<()> {
    let bytes = read(&args.file, "SIGSTRUCT")?;
    let sig = Sigstruct::parse(&bytes).map_err(|e| Explained {
        message: format!("{} is not a SIGSTRUCT: {e}", args.file.display()),
        hint: Some(
            "give the .sig file gramine-sgx-sign wrote next to the manifest (1808 bytes)"
                .to_string(),
        ),
    })?;
    let verifies = sig.verify_signature();
    if args.measurement {
        // The deploy scripts print this block so the operator can diff it against the block
        // the running server prints; the JSON form already carries the same fields.
        if verifies {
            println!("{}", sig.measurement_block());
        }
    } else if json {
        print_json(&json!({
            "mr_enclave": hex::encode(sig.mr_enclave()),
            "mr_signer": hex::encode(sig.mr_signer()),
            "isv_prod_id": sig.isv_prod_id,
            "isv_svn": sig.isv_svn,
            "attributes": {
                "flags": format!("{:#018x}", sig.attributes.flags),
                "xfrm": format!("{:#018x}", sig.attributes.xfrm),
            },
            "attribute_mask": {
                "flags": format!("{:#018x}", sig.attribute_mask.flags),
                "xfrm": format!("{:#018x}", sig.attribute_mask.xfrm),
            },
            "debug": sig.attributes.is_debug(),
            "signature_verifies": verifies,
        }))?;
    } else {
        println!("mr_enclave: {}", hex::encode(sig.mr_enclave()));
        println!("mr_signer: {}", hex::encode(sig.mr_signer()));
        println!("isv_prod_id: {}", sig.isv_prod_id);
        println!("isv_svn: {}", sig.isv_svn);
        println!(
            "attributes: flags {:#018x}, xfrm {:#018x} (mask: flags {:#018x}, xfrm {:#018x})",
            sig.attributes.flags,
            sig.attributes.xfrm,
            sig.attribute_mask.flags,
            sig.attribute_mask.xfrm
        );
        println!("debug: {}", sig.attributes.is_debug());
        if verifies {
            println!("signature: Ok");
        } else {
            println!("signature: Ko (it does not verify with the key the SIGSTRUCT carries)");
        }
    }
    if verifies {
        Ok(())
    } else {
        Err(Explained {
            message: format!(
                "the signature of {} does not verify: the file was modified or damaged",
                args.file.display()
            ),
            hint: Some(
                "do not derive expected values from it; get the SIGSTRUCT again from its publisher"
                    .to_string(),
            ),
        }
        .into())
    }
}

/// `ekms enclave manifest-check`.
pub fn manifest_check(json: bool, args: &ManifestCheckArgs) -> Result<()> {
    let served = read(&args.served, "served manifest")?;
    let rendered = read(&args.rendered, "rendered manifest")?;
    let lines = ekms_client::manifest::compare(&served, &rendered).map_err(|e| Explained {
        message: e.to_string(),
        hint: Some("give two Gramine manifests (TOML)".to_string()),
    })?;
    let differ = lines.iter().filter(|d| !d.is_ok()).count();
    if json {
        let items: Vec<serde_json::Value> = lines
            .iter()
            .map(|d| json!({"name": d.name, "ok": d.is_ok(), "served": d.served, "rendered": d.rendered}))
            .collect();
        print_json(&json!({"same": differ == 0, "lines": items}))?;
    } else {
        for d in &lines {
            println!("{}", d.line());
        }
    }
    if differ == 0 {
        return Ok(());
    }
    Err(Explained {
        message: format!(
            "{differ} setting(s) or trusted file(s) of {} differ from {}",
            args.served.display(),
            args.rendered.display()
        ),
        hint: Some(
            "the server does not run what you built: rebuild from the same sources and template (docs/measurement.md), or find out why its manifest differs before trusting it"
                .to_string(),
        ),
    }
    .into())
}
