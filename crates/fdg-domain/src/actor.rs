//! Who is acting: the organisation kinds (`docs/access.md`, section 1) and the clock.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The kinds of organisation that use the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrgKind {
    /// Staten i jobcenteret.
    StateJobcenter,
    /// Kommunen i jobcenteret (code = kommunekode).
    MunicipalJobcenter,
    /// Anden aktør (code = CVR number).
    OtherActor,
    /// Ydelsescenter (§ 3, stk. 4).
    BenefitCenter,
    /// A-kasse.
    UnemploymentFund,
    /// The operator (Arbejdsmarkedsstyrelsen).
    Operator,
    /// The supervision authority (visitationstilsyn, § 1, nr. 3).
    Supervisor,
}

impl OrgKind {
    /// Every kind.
    pub const ALL: [OrgKind; 7] = [
        OrgKind::StateJobcenter,
        OrgKind::MunicipalJobcenter,
        OrgKind::OtherActor,
        OrgKind::BenefitCenter,
        OrgKind::UnemploymentFund,
        OrgKind::Operator,
        OrgKind::Supervisor,
    ];

    /// The spelling used by the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::StateJobcenter => "state-jobcenter",
            OrgKind::MunicipalJobcenter => "municipal-jobcenter",
            OrgKind::OtherActor => "other-actor",
            OrgKind::BenefitCenter => "benefit-center",
            OrgKind::UnemploymentFund => "unemployment-fund",
            OrgKind::Operator => "operator",
            OrgKind::Supervisor => "supervisor",
        }
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = OrgKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown organisation kind {s:?}; one of {}", all.join(", "))
            })
    }
}

/// The organisation on whose behalf a command is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Its kind.
    pub kind: OrgKind,
    /// Its code: kommunekode, CVR, a-kasse number, or a free code for the others.
    pub code: String,
}

impl Actor {
    /// The state job centre's self-service, through which citizens register themselves
    /// (Jobnet, § 4, stk. 2).
    pub fn jobnet() -> Actor {
        Actor {
            kind: OrgKind::StateJobcenter,
            code: "JOBNET".into(),
        }
    }

    /// The registry itself, recording the consequences that fall due on a day (a future-dated
    /// exemption from availability taking effect, § 5): never an organisation that logs in.
    pub fn registry() -> Actor {
        Actor {
            kind: OrgKind::Operator,
            code: "FDG".into(),
        }
    }

    /// `kind:code`, as recorded on every event.
    pub fn label(&self) -> String {
        format!("{}:{}", self.kind, self.code)
    }
}

/// The decision's notion of "today" (valid time), given by the caller: the domain reads no clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Today's date in Denmark.
    pub today: Date,
}

/// What a user of the browser tool may do (`docs/access.md`, section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Records and reads for their organisation.
    Caseworker,
    /// Manages the users of their own organisation.
    OrgAdmin,
    /// Administers organisations, agreements and users (the operator organisation only).
    Operator,
    /// Reads supervision reports (the supervision authority only).
    Supervisor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [
        Role::Caseworker,
        Role::OrgAdmin,
        Role::Operator,
        Role::Supervisor,
    ];

    /// The spelling used by the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Caseworker => "caseworker",
            Role::OrgAdmin => "org-admin",
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
        }
    }

    /// Whether a user of an organisation of `kind` may have this role.
    pub fn fits(self, kind: OrgKind) -> bool {
        match self {
            Role::Operator => kind == OrgKind::Operator,
            Role::Supervisor => kind == OrgKind::Supervisor,
            Role::Caseworker | Role::OrgAdmin => true,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role {s:?}; one of caseworker, org-admin, operator, supervisor")
            })
    }
}
