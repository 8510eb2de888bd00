//! `ekms conformance run`: replays the OASIS KMIP test cases (the XML files of
//! `testdata/kmip-testcases/`) against a running server and says, case by case, whether its
//! answers are the ones the case states; `ekms conformance report` ([`report`]) turns a run
//! into docs/kmip.md's tables. The cases of profiles ekms does not claim ([`profiles`]) are
//! SKIP with the reason unless `--unclaimed`.
//!
//! Each file is one case: Request Messages, each followed by the Response Message a conforming
//! server returns. For each file the runner registers a fresh group (`POST /register`) unless
//! `--secret` is given (a sequence profile's files of one folder share one, see
//! [`profiles::Profile::sequence`]), connects to the KMIP socket (mutual TLS), and for each request:
//! replaces its placeholders ([`compare::Vars::substitute`]), adds the group secret as a
//! Credential, sends it (binary TTLV on the socket; the message-encoding cases `MSGENC-HTTPS`,
//! `MSGENC-JSON`, `MSGENC-XML` over HTTPS `POST /kmip` in their encoding) and compares the answer
//! with the expected message ([`compare::compare`]). It prints `PASS <case>`,
//! `FAIL <case> …` with the first difference, or `SKIP <case>: <reason>`, then
//! `N passed, N failed, N skipped`. A file that is not a case (malformed XML, an unknown tag or
//! type) is a FAIL naming its line, and the run goes on.

pub mod compare;
pub mod profiles;
mod report;

pub use report::report;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use ekms_client::{Client, ClientConfig, ClientIdentity, Secret};
use ekms_kmip::message::{Credential, Password};
use ekms_kmip::xml;
use ekms_kmip::{Tag, ToTtlv, Ttlv};

use self::compare::{Vars, add_credential, compare, unresolved};
use crate::cli::{ConformanceRunArgs, ConformanceTarget};
use crate::context::Context;
use crate::kmip_socket::{SocketTarget, TlsStream, https_trust, mutual_tls};

/// How long one answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// How a case's messages travel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Socket,
    Https(&'static str),
}

impl Route {
    fn of(case: &str) -> Route {
        if case.starts_with("MSGENC-HTTPS") {
            Route::Https("application/octet-stream")
        } else if case.starts_with("MSGENC-JSON") {
            Route::Https("application/json")
        } else if case.starts_with("MSGENC-XML") {
            Route::Https("text/xml")
        } else {
            Route::Socket
        }
    }
}

/// The outcome of one case.
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

impl Outcome {
    /// The line `ekms conformance run` prints for `case`.
    fn line(&self, case: &str) -> String {
        match self {
            Outcome::Pass => format!("PASS {case}"),
            Outcome::Fail(why) => format!("FAIL {case} {why}"),
            Outcome::Skip(why) => format!("SKIP {case}: {why}"),
        }
    }
}

/// Runs the cases of `args.target.paths` (files, or folders searched for `*.xml`).
pub async fn run(ctx: &Context, args: &ConformanceRunArgs) -> Result<()> {
    let session = Session::new(ctx, &args.target)?;
    let outcomes = session
        .play_all(&args.target, args.unclaimed, |line| println!("{line}"))
        .await?;
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| f(o)).count();
    let failed = count(|o| matches!(o, Outcome::Fail(_)));
    println!(
        "{} passed, {failed} failed, {} skipped",
        count(|o| matches!(o, Outcome::Pass)),
        count(|o| matches!(o, Outcome::Skip(_)))
    );
    if failed > 0 {
        bail!("{failed} of {} cases failed", outcomes.len());
    }
    Ok(())
}

/// The server's KMIP socket and HTTPS client.
struct Session {
    socket: SocketTarget,
    https: Client,
}

impl Session {
    fn new(ctx: &Context, target: &ConformanceTarget) -> Result<Session> {
        Ok(Session {
            socket: mutual_tls(ctx, &target.kmip, target.tls_server_name.as_deref())?,
            https: https_client(ctx, &target.https)?,
        })
    }

    /// The group secret of `--secret`, else of a new group.
    async fn secret(&self, target: &ConformanceTarget) -> Result<Secret> {
        Ok(match &target.secret {
            Some(s) => Secret::new(s.clone()),
            None => {
                self.https
                    .register()
                    .await
                    .context("cannot register a group (POST /register)")?
                    .secret
            }
        })
    }

    /// Plays every case of `target.paths`, in order, handing each outcome's line to `each`;
    /// with `unclaimed`, also the cases of profiles ekms does not claim.
    async fn play_all(
        &self,
        target: &ConformanceTarget,
        unclaimed: bool,
        mut each: impl FnMut(&str),
    ) -> Result<Vec<(String, Outcome)>> {
        let files = case_files(&target.paths)?;
        if files.is_empty() {
            bail!("no case file (*.xml) under the paths given");
        }
        let mut out = Vec::new();
        // Per sequence profile and folder (a KMIP version's files): its group, and what its
        // files learnt of the objects they made (which keys the server generated, with which
        // padding), since later files use those objects.
        let mut sequences: HashMap<(String, Option<PathBuf>), (Secret, Vars)> = HashMap::new();
        for file in &files {
            let case = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string());
            let profile = profiles::of(&case)?;
            let skip = profile
                .and_then(|p| p.claim.as_deref())
                .filter(|_| !unclaimed);
            let outcome = match skip {
                Some(why) => Outcome::Skip(format!("not claimed: {why}")),
                None => {
                    let sequence = profile
                        .filter(|p| p.sequence)
                        .map(|p| (p.prefix.clone(), file.parent().map(Path::to_path_buf)));
                    let known = sequence.as_ref().and_then(|k| sequences.remove(k));
                    let started = match known {
                        Some(known) => Ok(known),
                        None => self
                            .secret(target)
                            .await
                            .context("no group for the case")
                            .map(|s| (s, Vars::default())),
                    };
                    match started {
                        Ok((secret, known)) => {
                            let mut vars = Vars {
                                generated: known.generated,
                                paddings: known.paddings,
                                ..Vars::default()
                            };
                            let outcome = match play(file, &case, &secret, self, &mut vars).await {
                                Ok(o) => o,
                                Err(e) => Outcome::Fail(format!("{e:#}")),
                            };
                            if let Some(k) = sequence {
                                sequences.insert(k, (secret, vars));
                            }
                            outcome
                        }
                        Err(e) => Outcome::Fail(format!("{e:#}")),
                    }
                }
            };
            each(&outcome.line(&case));
            out.push((case, outcome));
        }
        Ok(out)
    }
}

/// The `*.xml` files of `paths`, folders searched recursively, in name order per folder.
fn case_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read the folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            let (dirs, files): (Vec<_>, Vec<_>) = entries.into_iter().partition(|e| e.is_dir());
            out.extend(
                files
                    .into_iter()
                    .filter(|f| f.extension().is_some_and(|x| x == "xml")),
            );
            out.extend(case_files(&dirs)?);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The HTTPS client of `url`: the server trusted as the global options say.
fn https_client(ctx: &Context, url: &str) -> Result<Client> {
    let trust = https_trust(&ctx.trust)?;
    let identity = match &ctx.client_cert {
        Some((cert, key)) => Some(ClientIdentity::from_pem_files(cert, key)?),
        None => None,
    };
    Ok(Client::new(
        ClientConfig::new(url.to_string(), trust)
            .with_bearer_token(ctx.bearer_token.clone())
            .with_client_identity(identity),
    )?)
}

/// Plays one case file; `vars` holds what earlier files of its sequence learnt, if any.
async fn play(
    file: &Path,
    case: &str,
    secret: &Secret,
    session: &Session,
    vars: &mut Vars,
) -> Result<Outcome> {
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let messages = xml::elements(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    for (i, m) in messages.iter().enumerate() {
        let want = if i % 2 == 0 {
            Tag::REQUEST_MESSAGE
        } else {
            Tag::RESPONSE_MESSAGE
        };
        if m.tag != want {
            bail!(
                "{} line {}: expected a {}, found a {}",
                file.display(),
                m.line,
                want.name().unwrap_or_default(),
                m.tag.name().unwrap_or_default()
            );
        }
    }
    let https = &session.https;
    let route = Route::of(case);
    let mut connection = match route {
        Route::Socket => Some(session.socket.connect().await?),
        Route::Https(_) => None,
    };
    for (n, pair) in messages.chunks(2).enumerate() {
        let [request, expected] = pair else {
            bail!("the last request has no expected response");
        };
        vars.now = now();
        if let Some((name, line)) = unresolved(request, vars) {
            bail!(
                "message {} (line {line}): the placeholder {name} has no value: no earlier answer gave one",
                n + 1
            );
        }
        let mut message = request.to_ttlv_with(&mut |e| vars.substitute(e))?;
        let credential = Credential::username_and_password(
            "conformance",
            Some(Password::from(secret.expose().to_string())),
        );
        add_credential(&mut message, credential.to_ttlv());
        vars.request = Some(message.clone());
        let answer = exchange(route, connection.as_mut(), https, &message)
            .await
            .with_context(|| format!("message {}", n + 1))?;
        if let Err(d) = compare(expected, &answer, vars) {
            return Ok(Outcome::Fail(format!(
                "message {} (line {}): {d}{}",
                n + 1,
                expected.line,
                server_said(&answer)
            )));
        }
    }
    Ok(Outcome::Pass)
}

/// What the answer's first failed batch item says, for a FAIL line: `; the server said
/// <reason>: <message>` (empty when every item succeeded).
fn server_said(answer: &Ttlv) -> String {
    let failed = answer
        .children(Tag::BATCH_ITEM)
        .find(|i| i.child(Tag::RESULT_STATUS).and_then(Ttlv::as_enum) != Some(0));
    let Some(item) = failed else {
        return String::new();
    };
    let reason = item
        .child(Tag::RESULT_REASON)
        .and_then(|r| xml::value_text(&r.value, Tag::RESULT_REASON))
        .unwrap_or_default();
    let message = item
        .child(Tag::RESULT_MESSAGE)
        .and_then(Ttlv::as_text)
        .unwrap_or_default();
    format!("; the server said {reason}: {message}")
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Sends `message` on its route and decodes the answer.
async fn exchange(
    route: Route,
    connection: Option<&mut TlsStream>,
    https: &Client,
    message: &Ttlv,
) -> Result<Ttlv> {
    let answer = match (route, connection) {
        (Route::Socket, Some(c)) => {
            let bytes = ekms_kmip::binary::try_to_vec(message)
                .map_err(|e| anyhow!("cannot encode the request: {e}"))?;
            let mut answer = Vec::new();
            tokio::time::timeout(
                ANSWER_TIMEOUT,
                crate::kmip_socket::exchange(c, &bytes, &mut answer),
            )
            .await
            .map_err(|_| anyhow!("no answer within {ANSWER_TIMEOUT:?}"))??;
            return ekms_kmip::binary::decode(&answer)
                .map_err(|e| anyhow!("the answer is not binary TTLV: {e}"));
        }
        (Route::Https(content_type), _) => {
            let body = match content_type {
                "application/json" => ekms_kmip::json::to_vec(message),
                "text/xml" => xml::to_vec(message),
                _ => ekms_kmip::binary::try_to_vec(message)
                    .map_err(|e| anyhow!("cannot encode the request: {e}"))?,
            };
            let answer =
                tokio::time::timeout(ANSWER_TIMEOUT, https.kmip_message_raw(body, content_type))
                    .await
                    .map_err(|_| anyhow!("no answer within {ANSWER_TIMEOUT:?}"))??;
            match content_type {
                "application/json" => ekms_kmip::json::from_slice(&answer),
                "text/xml" => xml::from_slice(&answer),
                _ => ekms_kmip::binary::decode(&answer),
            }
            .map_err(|e| anyhow!("the answer is not {content_type}: {e}"))?
        }
        (Route::Socket, None) => bail!("no connection to the KMIP socket"),
    };
    Ok(answer)
}
