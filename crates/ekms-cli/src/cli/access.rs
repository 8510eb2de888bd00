//! Arguments of `ekms access`, `ekms audit` and `ekms group`.

use clap::{Args, Subcommand, ValueEnum};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `ekms access ...`.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Give a user (or `*`: every user of the group) rights on an object (the owner only;
    /// `--key '*'` with `create`/`audit`: group rights, the administrator only)
    Grant(GrantArgs),
    /// Take rights back
    Revoke(GrantArgs),
    /// Who may do what on an object (`*`: the group rights), with its owner
    List(ListArgs),
    /// The objects you own
    Owned,
    /// The rights granted to you (or to `*`)
    Obtained,
}

/// `ekms access grant|revoke`.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// Unique identifier of the object, or `*` for the group rights
    #[arg(long, short = 'k', value_name = "ID|*")]
    pub key: String,
    /// The user, or `*` for every user of the group
    #[arg(long, short = 'u', value_name = "USER|*")]
    pub user: String,
    /// Rights, comma-separated, in any case (e.g. get,encrypt,decrypt; group rights: create,audit)
    #[arg(long, value_name = "LIST", value_enum, ignore_case = true, value_delimiter = ',', required = true, num_args = 1..)]
    pub operations: Vec<RightArg>,
}

/// The rights a grant names, as the server spells them; clap lists them when a name is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum RightArg {
    Get,
    Export,
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Mac,
    #[value(alias = "macverify")]
    MacVerify,
    Wrap,
    Unwrap,
    Rekey,
    Activate,
    Revoke,
    Destroy,
    #[value(alias = "getattributes")]
    GetAttributes,
    #[value(alias = "setattributes")]
    SetAttributes,
    /// A group right: create keys in the group
    Create,
    /// A group right: read the group's audit trail
    Audit,
}

impl RightArg {
    /// The name sent to the server.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

/// `ekms access list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Unique identifier of the object, or `*` for the group rights
    #[arg(value_name = "ID|*")]
    pub id: String,
}

/// `ekms audit`: the trail with filters, or one of its subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Only this user's requests
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Only this operation (e.g. Create, Decrypt, Grant)
    #[arg(long, value_name = "OP")]
    pub operation: Option<String>,
    /// Only this object
    #[arg(long, value_name = "ID")]
    pub object: Option<String>,
    /// Only events at or after this time (RFC 3339, e.g. 2026-01-31T12:00:00Z)
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub since: Option<OffsetDateTime>,
    /// At most this many events (newest first)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// `ekms audit retention|export`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show the group's audit retention policy or, with a bound given, set it (the
    /// administrator only): rows older than --max-age-days are pruned by the server; at
    /// --max-rows the group refuses audited work until rows are exported and pruned
    Retention(RetentionArgs),
    /// Write the oldest audit rows (JSON lines, as `ekms audit --json` reads them from the
    /// server) to a file, then prune them from the group (the administrator only)
    Export(ExportArgs),
}

/// `ekms audit retention`.
#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Days an audit row is kept (0: pruned at the server's next sweep)
    #[arg(long, value_name = "N")]
    pub max_age_days: Option<u64>,
    /// The most audit rows the group keeps
    #[arg(long, value_name = "N")]
    pub max_rows: Option<u64>,
    /// Remove both bounds
    #[arg(long, conflicts_with_all = ["max_age_days", "max_rows"])]
    pub clear: bool,
}

/// `ekms audit export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only rows written before this time (RFC 3339) [default: every row]
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub before: Option<OffsetDateTime>,
    /// The file to write (created; an existing file is refused)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: std::path::PathBuf,
    /// Write the file but prune nothing
    #[arg(long)]
    pub no_prune: bool,
}

/// `ekms group ...`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Give the group a new secret: stored in the config file, then confirmed, after which the
    /// old secret stops working (and the group's data key is replaced)
    RotateSecret(RotateArgs),
    /// Delete the group and everything in it, and remove its secret from the config file
    Delete(DeleteArgs),
    /// Join a group another user registered: check its secret with the server, then store it
    /// in the config file with the server URL and the trust choice
    Join(JoinArgs),
}

/// `ekms group join`. The secret is read from a file or standard input, never from the command
/// line, where other local users and the shell history would see it.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// File holding the group secret (one line) [default: standard input]
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<std::path::PathBuf>,
    /// Replace a group secret already in the config file
    #[arg(long)]
    pub force: bool,
}

/// `ekms group rotate-secret`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Also print the new secret (it is stored in the config file either way)
    #[arg(long)]
    pub show_secret: bool,
}

/// `ekms group delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Confirm: every key of the group is lost
    #[arg(long)]
    pub yes: bool,
}

fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z): {e}"))
}
