//! Connection agreements (tilslutningsaftaler, § 10–§ 13): their states and the moves between
//! them.
//!
//! `test` is the § 10 test before use: writes are fully validated and answered, nothing is
//! stored. An operator moves the agreement to `active`. `suspended` is § 13: the web services
//! refuse the agreement's credentials and the organisation must use the browser tool; it can be
//! reinstated. `terminated` is final.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The state of a connection agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgreementState {
    /// § 10: test before use; nothing is stored.
    Test,
    /// In production use.
    Active,
    /// § 13: access to the web services closed.
    Suspended,
    /// Ended for good.
    Terminated,
}

impl AgreementState {
    /// The spelling used in the database, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementState::Test => "test",
            AgreementState::Active => "active",
            AgreementState::Suspended => "suspended",
            AgreementState::Terminated => "terminated",
        }
    }
}

impl fmt::Display for AgreementState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgreementState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "test" => Ok(AgreementState::Test),
            "active" => Ok(AgreementState::Active),
            "suspended" => Ok(AgreementState::Suspended),
            "terminated" => Ok(AgreementState::Terminated),
            _ => Err(format!(
                "unknown agreement state {s:?}; one of test, active, suspended, terminated"
            )),
        }
    }
}

/// What an operator does to an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementAction {
    /// test → active, after the § 10 test.
    Activate,
    /// active → suspended (§ 13).
    Suspend,
    /// suspended → active.
    Reinstate,
    /// any → terminated.
    Terminate,
}

impl AgreementAction {
    /// The state the action leads to from `from`, or why it cannot.
    pub fn apply(self, from: AgreementState) -> Result<AgreementState, String> {
        use AgreementAction::*;
        use AgreementState::*;
        match (self, from) {
            (Activate, Test) => Ok(Active),
            (Suspend, Active) => Ok(Suspended),
            (Reinstate, Suspended) => Ok(Active),
            (Terminate, Test | Active | Suspended) => Ok(Terminated),
            (action, from) => Err(format!(
                "an agreement in state {from} cannot be {}",
                match action {
                    Activate => "activated (only from test)",
                    Suspend => "suspended (only when active)",
                    Reinstate => "reinstated (only when suspended)",
                    Terminate => "terminated again",
                }
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_of_section_10_to_13() {
        use AgreementAction::*;
        use AgreementState::*;
        assert_eq!(Activate.apply(Test), Ok(Active));
        assert_eq!(Suspend.apply(Active), Ok(Suspended));
        assert_eq!(Reinstate.apply(Suspended), Ok(Active));
        assert_eq!(Terminate.apply(Suspended), Ok(Terminated));
        assert!(Activate.apply(Suspended).is_err());
        assert!(Suspend.apply(Test).is_err());
        assert!(Reinstate.apply(Active).is_err());
        for s in [Test, Active, Suspended, Terminated] {
            assert!(Terminate.apply(Terminated).is_err());
            assert_eq!(s.as_str().parse::<AgreementState>(), Ok(s));
        }
    }
}
