//! The one map from a parsed command to its handler.
//!
//! Every leaf of the command tree is matched here and nowhere else: handlers take their own
//! arguments and never dispatch. Commands computed locally (`ekms enclave`) run without
//! reading the config file; every other command first resolves its [`Context`].

use anyhow::Result;

use crate::cli::access::{AccessCommand, AuditCommand, GroupCommand};
use crate::cli::keys::{
    EcCommand, EcKeysCommand, KeysCommand, RsaCommand, RsaKeysCommand, SymCommand,
};
use crate::cli::{Command, ConformanceCommand, EnclaveCommand, GlobalArgs, TrustCommand};
use crate::context::Context;
use crate::report::HintContext;
use crate::{
    access, audit, bench, completions, conformance, enclave, keys, server, sign, symfile, trust,
};

/// Runs `command`; `hints` learns the server and config file in use once they are resolved.
pub async fn run(global: &GlobalArgs, command: &Command, hints: &mut HintContext) -> Result<()> {
    // Local computations need neither a server nor the config file.
    if let Command::Enclave(command) = command {
        return local(global.json, command);
    }
    if let Command::Completions(args) = command {
        return completions::print(args.shell);
    }
    // Recorded evidence is checked offline: no server, no config file.
    if let Command::Trust(args) = command
        && let Some(TrustCommand::VerifyEvidence(args)) = &args.command
    {
        return trust::verify_evidence(global.json, args);
    }
    let ctx = Context::from_args(global)?;
    hints.server_url = ctx.server_url.clone();
    hints.config_path = ctx.config_path.display().to_string();
    let ctx = &ctx;
    match command {
        Command::Register(args) => server::register(ctx, args).await,
        Command::Sym(SymCommand::Create(args)) => keys::create::sym(ctx, args).await,
        Command::Sym(SymCommand::Encrypt(args)) => symfile::sym_encrypt(ctx, args).await,
        Command::Sym(SymCommand::Decrypt(args)) => symfile::sym_decrypt(ctx, args).await,
        Command::Keys(KeysCommand::Get(args)) => keys::lifecycle::get(ctx, args).await,
        Command::Keys(KeysCommand::Locate(args)) => keys::lifecycle::locate(ctx, args).await,
        Command::Keys(KeysCommand::Activate(args)) => keys::lifecycle::activate(ctx, args).await,
        Command::Keys(KeysCommand::Revoke(args)) => keys::lifecycle::revoke(ctx, args).await,
        Command::Keys(KeysCommand::Destroy(args)) => keys::lifecycle::destroy(ctx, args).await,
        Command::Keys(KeysCommand::Rekey(args)) => keys::lifecycle::rekey(ctx, args).await,
        Command::Keys(KeysCommand::Import(args)) => keys::files::import(ctx, args).await,
        Command::Keys(KeysCommand::Export(args)) => keys::files::export(ctx, args).await,
        Command::Keys(KeysCommand::Wrap(args)) => keys::wrap::wrap(ctx, args).await,
        Command::Keys(KeysCommand::Unwrap(args)) => keys::wrap::unwrap(ctx, args).await,
        Command::Rsa(RsaCommand::Keys(RsaKeysCommand::Create(args))) => {
            keys::create::rsa(ctx, args).await
        }
        Command::Ec(EcCommand::Keys(EcKeysCommand::Create(args))) => {
            keys::create::ec(ctx, args).await
        }
        Command::Sign(args) => sign::sign(ctx, args).await,
        Command::Verify(args) => sign::verify(ctx, args).await,
        Command::Mac(args) => sign::mac(ctx, args).await,
        Command::Trust(args) => trust::trust(ctx, args).await,
        Command::Access(AccessCommand::Grant(args)) => {
            access::grant_or_revoke(ctx, args, true).await
        }
        Command::Access(AccessCommand::Revoke(args)) => {
            access::grant_or_revoke(ctx, args, false).await
        }
        Command::Access(AccessCommand::List(args)) => access::list(ctx, args).await,
        Command::Access(AccessCommand::Owned) => access::owned(ctx).await,
        Command::Access(AccessCommand::Obtained) => access::obtained(ctx).await,
        Command::Audit(args) => match &args.command {
            Some(AuditCommand::Retention(a)) => audit::retention(ctx, a).await,
            Some(AuditCommand::Export(a)) => audit::export(ctx, a).await,
            None => access::audit(ctx, args).await,
        },
        Command::Group(GroupCommand::RotateSecret(args)) => access::rotate_secret(ctx, args).await,
        Command::Group(GroupCommand::Delete(args)) => access::delete(ctx, args).await,
        Command::Group(GroupCommand::Join(args)) => server::join(ctx, args).await,
        Command::Bench(args) => bench::bench(ctx, args).await,
        Command::Conformance(ConformanceCommand::Run(args)) => conformance::run(ctx, args).await,
        Command::Conformance(ConformanceCommand::Report(args)) => {
            conformance::report(ctx, args).await
        }
        Command::Health => server::health(ctx).await,
        Command::Version => server::version(ctx).await,
        Command::Enclave(command) => local(ctx.json, command),
        Command::Completions(args) => completions::print(args.shell),
    }
}

/// `ekms enclave ...`: computed on this machine.
fn local(json: bool, command: &EnclaveCommand) -> Result<()> {
    match command {
        EnclaveCommand::MrSigner(args) => enclave::mr_signer(json, args),
        EnclaveCommand::Measure(args) => enclave::measure(json, args),
        EnclaveCommand::Sigstruct(args) => enclave::sigstruct(json, args),
        EnclaveCommand::ManifestCheck(args) => enclave::manifest_check(json, args),
    }
}
