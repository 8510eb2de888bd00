//! The OASIS KMIP profiles and whether ekms claims each. The one place that says so, with the
//! reason for each profile ekms does not claim, is the data file `profiles.toml` beside this
//! one (built into the binary). `ekms conformance run` plays a claimed profile's cases and
//! answers SKIP with the reason for the others (unless `--unclaimed`); `ekms conformance
//! report` prints the table with the counts of a run.

use std::sync::LazyLock;

use anyhow::{Result, anyhow};
use serde::Deserialize;

/// A profile's claim: `None` claimed, `Some(reason)` not claimed and why.
pub type Claim = Option<String>;

/// One profile: the file-name prefix of its cases, its name, its claim.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub prefix: String,
    pub name: String,
    #[serde(rename = "not_claimed")]
    pub claim: Claim,
    /// The profile's case files are one sequence (later files use objects earlier ones
    /// made): the runner plays them in name order in one group per folder.
    #[serde(default)]
    pub sequence: bool,
}

impl Profile {
    pub fn claimed(&self) -> bool {
        self.claim.is_none()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    profile: Vec<Profile>,
}

static PROFILES: LazyLock<Result<Vec<Profile>, String>> = LazyLock::new(|| {
    toml::from_str::<File>(include_str!("profiles.toml"))
        .map(|f| f.profile)
        .map_err(|e| e.to_string())
});

/// Every profile the published cases cover, in the order of docs/kmip.md's table.
pub fn all() -> Result<&'static [Profile]> {
    PROFILES
        .as_deref()
        .map_err(|e| anyhow!("the built-in profiles.toml does not parse: {e}"))
}

/// What a case's file name says: profile prefix, KMIP version, mandatory.
pub struct CaseName<'a> {
    pub profile: &'a str,
    /// `"1.4"`, `"2.1"`, …: from the name's last part (`-14`, `-21`).
    pub version: String,
    pub mandatory: bool,
}

/// Reads `SKFF-M-5-14` as profile `SKFF`, KMIP 1.4, mandatory; `None` for a name not of that
/// form (a case of one's own).
pub fn parse(case: &str) -> Option<CaseName<'_>> {
    let (at, mandatory) = [("-M-", true), ("-O-", false)]
        .iter()
        .filter_map(|(m, mandatory)| case.find(m).map(|at| (at, *mandatory)))
        .min_by_key(|(at, _)| *at)?;
    let last = case.rsplit('-').next()?;
    let mut digits = last.chars();
    let (major, minor) = (digits.next()?, digits.next()?);
    if digits.next().is_some() || !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return None;
    }
    Some(CaseName {
        profile: &case[..at],
        version: format!("{major}.{minor}"),
        mandatory,
    })
}

/// The profile of a case, if its name is of a known profile.
pub fn of(case: &str) -> Result<Option<&'static Profile>> {
    let Some(name) = parse(case) else {
        return Ok(None);
    };
    Ok(all()?.iter().find(|p| p.prefix == name.profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_give_profile_version_and_kind() {
        let n = parse("CS-BC-M-GCM-1-14").unwrap();
        assert_eq!(
            (n.profile, n.version.as_str(), n.mandatory),
            ("CS-BC", "1.4", true)
        );
        let n = parse("CS-RNG-O-1-14").unwrap();
        assert_eq!((n.profile, n.mandatory), ("CS-RNG", false));
        assert_eq!(parse("MSGENC-XML-M-1-21").unwrap().profile, "MSGENC-XML");
        assert!(parse("WRONG-1").is_none());
        assert!(of("OMOS-M-1-21").unwrap().is_some_and(Profile::claimed));
        assert!(of("PKCS11-M-1-21").unwrap().is_some_and(|p| !p.claimed()));
        assert!(of("NEW-M-1-21").unwrap().is_none());
        assert!(of("TL-M-3-21").unwrap().is_some_and(|p| p.sequence));
        assert!(of("OMOS-M-1-21").unwrap().is_some_and(|p| !p.sequence));
        assert_eq!(all().unwrap().len(), 18);
    }
}
