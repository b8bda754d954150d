//! The registry's own round: consequences that fall due on a day are recorded on that day.
//! Today one kind: an exemption from availability recorded ahead of its start ends a
//! registration with cash or start benefit when it takes effect (§ 5;
//! `fdg_domain::PersonState::exemption_pending`). Each node runs the round at start and then
//! every [`ROUND`]; two nodes doing it at once is harmless, as the second finds nothing due
//! (`fdg.s5.nothing_due`). Every consequence goes through the one write path, so it is in the
//! event log with its cause (the feed shows it) and in the audit log as the registry's.

use std::time::Duration;

use fdg_domain::{Actor, Command, PersonId};

use crate::AppState;
use crate::service::write::{self, Acting, Failure, Recorded, WriteOptions};

/// How often each node looks for consequences that have fallen due.
pub const ROUND: Duration = Duration::from_secs(600);
/// Persons handled in one pass of the round (passes repeat until none is left).
const PASS: u32 = 500;

/// Who acts when the registry records a consequence by itself.
pub fn registry() -> Acting {
    Acting {
        actor: Actor::registry(),
        context: fdg_store::WriteContext::default(),
        audit_org: Actor::registry().label(),
        credential: "registry".into(),
        audit_person: None,
        purpose: "a consequence falling due (§ 5)".into(),
        agreement: None,
        test_before_use: false,
    }
}

/// Records every consequence due by today; returns how many persons it recorded one for.
pub async fn run_once(state: &AppState) -> Result<usize, Failure> {
    let acting = registry();
    let mut recorded = 0;
    loop {
        let today = state.clock.today();
        let due = state
            .store
            .consequences_due(today, PASS)
            .await
            .map_err(|cause| Failure::new("store", cause))?;
        let mut progressed = false;
        for id in &due {
            let Some(person_id) = PersonId::parse(id) else {
                continue;
            };
            let options = WriteOptions {
                person_id: Some(person_id),
                ..WriteOptions::default()
            };
            match write::record(state, &acting, Command::TakeEffect, options).await? {
                Ok(Recorded::Accepted(_) | Recorded::Replayed(_)) => {
                    recorded += 1;
                    progressed = true;
                }
                // Another node got there first, or the person changed since: nothing to do.
                Err(refusal) => tracing::debug!(?refusal, "no consequence recorded"),
            }
        }
        if due.len() < PASS as usize || !progressed {
            return Ok(recorded);
        }
    }
}

/// Runs the round at start and every [`ROUND`] until the process ends.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(ROUND);
        loop {
            tick.tick().await;
            match run_once(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(persons = n, "recorded consequences that fell due"),
                Err(e) => tracing::error!(error = %e, "the registry's round failed"),
            }
        }
    })
}
