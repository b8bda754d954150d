//! The registry's reads and writes outside the write pipeline, written once over [`Db`]:
//! persons and events as read, feed cursors, webhooks, organisations, agreements, tokens,
//! certificates, users and sessions, and rebuilding the projections. A backend runs them on
//! its own connections (reads on readers, writes where it serialises writes).

use std::collections::HashMap;

use fdg_domain::agreement::AgreementState;
use fdg_domain::supervision::Params;
use fdg_domain::view::PersonOverview;
use fdg_domain::{Cpr, OrgKind, PersonScope, PersonState, Role};

use crate::pipeline::{LoggedEvent, PersonRow};
use crate::secrets::{random_hex, token_hash};
use crate::sql::{Begin, Db, RowRef, args};
use crate::{
    Agreement, AgreementChange, DeliveryResult, NewAgreement, Org, ParkedBatch, PersonRecord,
    Principal, Result, Session, StoreError, StoredEvent, User, Webhook,
};

pub(crate) fn parse_scope(json: Option<&str>) -> Result<PersonScope> {
    json.map(serde_json::from_str)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("scope: {e}")))
        .map(Option::unwrap_or_default)
}

/// The query behind a person read: the person's id and stored state, by CPR digits or id.
pub(crate) const PERSON_BY_CPR: &str = "SELECT person_id, state FROM persons WHERE cpr = ?1";
/// As [`PERSON_BY_CPR`], by person id.
pub(crate) const PERSON_BY_ID: &str = "SELECT person_id, state FROM persons WHERE person_id = ?1";

/// A person's id and stored state (JSON), by CPR digits or person id.
pub(crate) fn person_row(
    db: &mut dyn Db,
    by_cpr: bool,
    key: &str,
) -> Result<Option<(String, String)>> {
    let sql = if by_cpr { PERSON_BY_CPR } else { PERSON_BY_ID };
    db.query_opt(sql, args![key], |r| Ok((r.string(0)?, r.string(1)?)))
}

/// Persons in person-id order after `after` (exclusive), at most `limit`: a page of a scan of
/// every person (an export).
pub(crate) fn persons_after(db: &mut dyn Db, after: &str, limit: u32) -> Result<Vec<PersonRecord>> {
    let mut rows = Vec::new();
    db.query_each(
        "SELECT person_id, state FROM persons WHERE person_id > ?1 ORDER BY person_id LIMIT ?2",
        args![after, i64::from(limit)],
        &mut |r| {
            rows.push((r.string(0)?, r.string(1)?));
            Ok(())
        },
    )?;
    rows.into_iter()
        .map(|(id, state)| person_record(id, &state))
        .collect()
}

/// The person as a reader gets them, from their stored state.
pub(crate) fn person_record(person_id: String, state: &str) -> Result<PersonRecord> {
    let state: PersonState = serde_json::from_str(state)
        .map_err(|e| StoreError::Corrupt(format!("person state: {e}")))?;
    let overview = PersonOverview::build(&person_id, &state)
        .ok_or_else(|| StoreError::Corrupt(format!("person {person_id} has no identity")))?;
    Ok(PersonRecord {
        version: state.version,
        overview,
        // Derived afresh, so a change to how scopes are derived holds for every person at
        // once, not only for those written since.
        scope: PersonScope::of(&state),
        person_id,
    })
}

fn stored_event(r: &dyn RowRef) -> Result<StoredEvent> {
    Ok(StoredEvent {
        position: r.count(0)?,
        person_id: r.string(1)?,
        version: r.count(2)?,
        r#type: r.string(3)?,
        data_json: r.string(4)?,
        recorded_at: r.time(5)?,
        org: r.string(6)?,
        scope: parse_scope(r.opt_text(7)?)?,
    })
}

/// Events after a position, in position order, each with the scope it was written under.
pub(crate) fn events_after(db: &mut dyn Db, after: u64, limit: u32) -> Result<Vec<StoredEvent>> {
    db.query_all(
        "SELECT e.position, e.person_id, e.version, e.type, e.data, e.recorded_at,
                e.org, coalesce(e.scope, p.scope)
         FROM events e LEFT JOIN persons p ON p.person_id = e.person_id
         WHERE e.position > ?1 ORDER BY e.position LIMIT ?2",
        args![after, limit],
        stored_event,
    )
}

/// One person's events in stream order, with the person's scope now.
pub(crate) fn person_events(db: &mut dyn Db, person_id: &str) -> Result<Vec<StoredEvent>> {
    db.query_all(
        "SELECT e.position, e.person_id, e.version, e.type, e.data, e.recorded_at,
                e.org, p.scope
         FROM events e LEFT JOIN persons p ON p.person_id = e.person_id
         WHERE e.person_id = ?1 ORDER BY e.version",
        args![person_id],
        stored_event,
    )
}

/// The last position recorded before `at`.
pub(crate) fn position_before(db: &mut dyn Db, at: jiff::Timestamp) -> Result<u64> {
    // Stored times are RFC 3339 text with optional fractions, which do not sort as text
    // within a second; comparing with the second itself (no fraction, no Z) errs towards
    // replaying a little more, never less.
    let second = at.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    db.query_one(
        "SELECT coalesce(max(position), 0) FROM events WHERE recorded_at < ?1",
        args![&second],
        |r| r.count(0),
    )
}

/// The request hash stored under an idempotency key, if the key has been used.
pub(crate) fn idempotency_hash(db: &mut dyn Db, scope: &str, key: &str) -> Result<Option<Vec<u8>>> {
    db.query_opt(
        "SELECT request_hash FROM idempotency WHERE scope = ?1 AND key = ?2",
        args![scope, key],
        |r| Ok(r.bytes(0)?.to_vec()),
    )
}

/// The newest event's position and recorded time, if any.
pub(crate) fn head(db: &mut dyn Db) -> Result<Option<(u64, jiff::Timestamp)>> {
    db.query_opt(
        "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1",
        args![],
        |r| Ok((r.count(0)?, r.time(1)?)),
    )
}

/// An agreement's acknowledged feed position.
pub(crate) fn cursor(db: &mut dyn Db, agreement_id: i64) -> Result<u64> {
    Ok(db
        .query_opt(
            "SELECT position FROM feed_cursors WHERE agreement_id = ?1",
            args![agreement_id],
            |r| r.count(0),
        )?
        .unwrap_or(0))
}

/// Acknowledges a feed position.
pub(crate) fn set_cursor(
    db: &mut dyn Db,
    agreement_id: i64,
    position: u64,
    now: &str,
) -> Result<()> {
    db.execute(
        "INSERT INTO feed_cursors (agreement_id, position, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (agreement_id) DO UPDATE SET position = excluded.position,
           updated_at = excluded.updated_at",
        args![agreement_id, position, now],
    )?;
    Ok(())
}

/// Sets an agreement's webhook; returns its new signing secret.
pub(crate) fn set_webhook(
    db: &mut dyn Db,
    agreement_id: i64,
    url: &str,
    secret: &str,
    from_position: u64,
    now: &str,
) -> Result<()> {
    db.transaction(Begin::Write, |db| {
        load_agreement(db, agreement_id)?.ok_or(StoreError::NoSuchAgreement(agreement_id))?;
        db.execute(
            "INSERT INTO webhooks (agreement_id, url, secret, position, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (agreement_id) DO UPDATE SET url = excluded.url,
               secret = excluded.secret, position = excluded.position, attempts = 0,
               next_attempt = NULL, last_error = NULL, lease_holder = NULL, lease_until = NULL,
               types = NULL",
            args![agreement_id, url, secret, from_position, now],
        )?;
        Ok(())
    })
}

/// What [`subscribe`] did.
pub(crate) enum Subscribed {
    /// The agreement was subscribed at this URL already: its secret and position are kept.
    Kept,
    /// A new subscription, or a new URL: it is signed with the new secret.
    NewSecret,
}

/// Subscribes an agreement to its feed (see [`crate::Store::subscribe`]); `sealed` is the new
/// secret as stored, used only when the URL is new.
pub(crate) fn subscribe(
    db: &mut dyn Db,
    agreement_id: i64,
    url: &str,
    types: Option<&str>,
    sealed: &str,
    from_position: u64,
    now: &str,
) -> Result<Subscribed> {
    db.transaction(Begin::Write, |db| {
        load_agreement(db, agreement_id)?.ok_or(StoreError::NoSuchAgreement(agreement_id))?;
        let current = db.query_opt(
            "SELECT url FROM webhooks WHERE agreement_id = ?1",
            args![agreement_id],
            |r| r.string(0),
        )?;
        match current {
            Some(same) if same == url => {
                db.execute(
                    "UPDATE webhooks SET types = ?2 WHERE agreement_id = ?1",
                    args![agreement_id, types],
                )?;
                Ok(Subscribed::Kept)
            }
            Some(_) => {
                db.execute(
                    "UPDATE webhooks SET url = ?2, secret = ?3, types = ?4, attempts = 0,
                       next_attempt = NULL, last_error = NULL WHERE agreement_id = ?1",
                    args![agreement_id, url, sealed, types],
                )?;
                Ok(Subscribed::NewSecret)
            }
            None => {
                db.execute(
                    "INSERT INTO webhooks (agreement_id, url, secret, position, created_at, types)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    args![agreement_id, url, sealed, from_position, now, types],
                )?;
                Ok(Subscribed::NewSecret)
            }
        }
    })
}

/// Ends an agreement's subscription; whether it had one.
pub(crate) fn unsubscribe(db: &mut dyn Db, agreement_id: i64) -> Result<bool> {
    Ok(db.execute(
        "DELETE FROM webhooks WHERE agreement_id = ?1",
        args![agreement_id],
    )? == 1)
}

/// Every webhook, or one agreement's.
pub(crate) fn webhooks(db: &mut dyn Db, agreement_id: Option<i64>) -> Result<Vec<Webhook>> {
    db.query_all(
        "SELECT agreement_id, url, secret, position, attempts, next_attempt, last_error, types
         FROM webhooks WHERE agreement_id = coalesce(?1, agreement_id) ORDER BY agreement_id",
        args![agreement_id],
        |r| {
            Ok(Webhook {
                agreement_id: r.int(0)?,
                url: r.string(1)?,
                secret: r.string(2)?,
                position: r.count(3)?,
                attempts: u32::try_from(r.int(4)?).unwrap_or(u32::MAX),
                next_attempt: r.opt_time(5)?,
                last_error: r.opt_string(6)?,
                types: r
                    .opt_string(7)?
                    .map(|t| t.split(',').map(str::to_owned).collect()),
            })
        },
    )
}

/// Records a delivery attempt.
pub(crate) fn record_delivery(
    db: &mut dyn Db,
    agreement_id: i64,
    result: &DeliveryResult,
    now: &str,
) -> Result<()> {
    match result {
        DeliveryResult::Delivered(position) => {
            db.execute(
                "UPDATE webhooks SET
                   position = CASE WHEN position > ?2 THEN position ELSE ?2 END,
                   attempts = 0, next_attempt = NULL, last_error = NULL
                 WHERE agreement_id = ?1",
                args![agreement_id, *position],
            )?;
        }
        DeliveryResult::Failed { error, retry_at } => {
            db.execute(
                "UPDATE webhooks SET attempts = attempts + 1, next_attempt = ?2,
                   last_error = ?3 WHERE agreement_id = ?1",
                args![agreement_id, &retry_at.to_string(), error],
            )?;
        }
        DeliveryResult::Parked { error, from, to } => db.transaction(Begin::Write, |db| {
            let attempts = db.query_one(
                "SELECT attempts + 1 FROM webhooks WHERE agreement_id = ?1",
                args![agreement_id],
                |r| r.int(0),
            )?;
            db.execute(
                "INSERT INTO webhook_parked (agreement_id, from_position, to_position,
                                             attempts, last_error, parked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                args![agreement_id, *from, *to, attempts, error, now],
            )?;
            db.execute(
                "UPDATE webhooks SET
                   position = CASE WHEN position > ?2 THEN position ELSE ?2 END,
                   attempts = 0, next_attempt = NULL, last_error = ?3
                 WHERE agreement_id = ?1",
                args![agreement_id, *to, error],
            )?;
            Ok(())
        })?,
    }
    Ok(())
}

/// Claims or renews a webhook's delivery lease; whether `holder` has it.
pub(crate) fn lease_webhook(
    db: &mut dyn Db,
    agreement_id: i64,
    holder: &str,
    now: jiff::Timestamp,
    until: jiff::Timestamp,
) -> Result<bool> {
    let n = db.execute(
        "UPDATE webhooks SET lease_holder = ?2, lease_until = ?4
         WHERE agreement_id = ?1
           AND (lease_holder IS NULL OR lease_holder = ?2 OR lease_until < ?3)",
        args![
            agreement_id,
            holder,
            now.as_millisecond(),
            until.as_millisecond()
        ],
    )?;
    Ok(n == 1)
}

const PARKED_COLUMNS: &str = "id, agreement_id, from_position, to_position, attempts, \
                              last_error, parked_at, replayed_at";

fn parked_row(r: &dyn RowRef) -> Result<ParkedBatch> {
    Ok(ParkedBatch {
        id: r.int(0)?,
        agreement_id: r.int(1)?,
        from_position: r.count(2)?,
        to_position: r.count(3)?,
        attempts: u32::try_from(r.int(4)?).unwrap_or(u32::MAX),
        last_error: r.string(5)?,
        parked_at: r.time(6)?,
        replayed_at: r.opt_time(7)?,
    })
}

/// Parked batches, all or one agreement's.
pub(crate) fn parked(db: &mut dyn Db, agreement_id: Option<i64>) -> Result<Vec<ParkedBatch>> {
    match agreement_id {
        Some(id) => db.query_all(
            &format!(
                "SELECT {PARKED_COLUMNS} FROM webhook_parked WHERE agreement_id = ?1 ORDER BY id"
            ),
            args![id],
            parked_row,
        ),
        None => db.query_all(
            &format!("SELECT {PARKED_COLUMNS} FROM webhook_parked ORDER BY id"),
            args![],
            parked_row,
        ),
    }
}

/// Takes a parked batch back for a replay, once.
pub(crate) fn take_parked(db: &mut dyn Db, id: i64, now: &str) -> Result<Option<ParkedBatch>> {
    db.transaction(Begin::Write, |db| {
        let batch = db.query_opt(
            &format!(
                "SELECT {PARKED_COLUMNS} FROM webhook_parked WHERE id = ?1 AND replayed_at IS NULL"
            ),
            args![id],
            parked_row,
        )?;
        if batch.is_some() {
            db.execute(
                "UPDATE webhook_parked SET replayed_at = ?2 WHERE id = ?1",
                args![id, now],
            )?;
        }
        Ok(batch)
    })
}

fn org_row(r: &dyn RowRef) -> Result<Org> {
    Ok(Org {
        id: r.int(0)?,
        kind: r.text(1)?.parse().map_err(StoreError::Corrupt)?,
        code: r.string(2)?,
        name: r.string(3)?,
    })
}

/// Creates an organisation.
pub(crate) fn create_org(
    db: &mut dyn Db,
    kind: OrgKind,
    code: &str,
    name: &str,
    now: &str,
) -> Result<Org> {
    db.transaction(Begin::Write, |db| {
        let exists = db.query_opt(
            "SELECT id FROM orgs WHERE kind = ?1 AND code = ?2",
            args![kind.as_str(), code],
            |r| r.int(0),
        )?;
        if exists.is_some() {
            return Err(StoreError::OrgExists(format!("{kind}:{code}")));
        }
        let id = db.query_one(
            "INSERT INTO orgs (kind, code, name, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
            args![kind.as_str(), code, name, now],
            |r| r.int(0),
        )?;
        Ok(Org {
            id,
            kind,
            code: code.to_owned(),
            name: name.to_owned(),
        })
    })
}

/// Every organisation.
pub(crate) fn orgs(db: &mut dyn Db) -> Result<Vec<Org>> {
    db.query_all(
        "SELECT id, kind, code, name FROM orgs ORDER BY kind, code",
        args![],
        org_row,
    )
}

fn find_org(db: &mut dyn Db, code: &str, kind: Option<OrgKind>) -> Result<Org> {
    let matching: Vec<Org> = db
        .query_all(
            "SELECT id, kind, code, name FROM orgs WHERE code = ?1",
            args![code],
            org_row,
        )?
        .into_iter()
        .filter(|o| kind.is_none_or(|k| k == o.kind))
        .collect();
    match matching.len() {
        1 => matching
            .into_iter()
            .next()
            .ok_or(StoreError::NoSuchOrg(code.into())),
        0 => Err(StoreError::NoSuchOrg(code.into())),
        _ => Err(StoreError::NoSuchOrg(format!(
            "{code} (several kinds share it: give --kind)"
        ))),
    }
}

fn insert_token(db: &mut dyn Db, agreement_id: i64, org_id: i64, now: &str) -> Result<String> {
    let token = format!("fdg_{}", random_hex(20));
    db.execute(
        "INSERT INTO tokens (org_id, agreement_id, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        args![org_id, agreement_id, &token_hash(&token)[..], now],
    )?;
    Ok(token)
}

/// One change of an agreement's state, with who and why.
pub(crate) struct Change<'a> {
    pub from: Option<AgreementState>,
    pub to: AgreementState,
    pub reason: &'a str,
    pub by: &'a str,
    pub now: &'a str,
}

fn record_change(db: &mut dyn Db, agreement_id: i64, c: &Change<'_>) -> Result<()> {
    db.execute(
        "INSERT INTO agreement_changes (agreement_id, from_state, to_state, reason, changed_by, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            agreement_id,
            c.from.map(AgreementState::as_str),
            c.to.as_str(),
            c.reason,
            c.by,
            c.now
        ],
    )?;
    Ok(())
}

fn state_of(s: &str) -> Result<AgreementState> {
    s.parse().map_err(StoreError::Corrupt)
}

/// An agreement from a row whose columns are the organisation's four, then the agreement's
/// state, processors, may-write, may-read, valid-from and valid-to.
fn agreement_row(r: &dyn RowRef, id: i64) -> Result<Agreement> {
    let list = |s: &str| -> Result<Vec<String>> {
        serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("agreement: {e}")))
    };
    let date = |s: Option<&str>| -> Result<Option<jiff::civil::Date>> {
        s.map(|d| {
            d.parse()
                .map_err(|e| StoreError::Corrupt(format!("agreement date: {e}")))
        })
        .transpose()
    };
    Ok(Agreement {
        id,
        org: org_row(r)?,
        state: state_of(r.text(4)?)?,
        processors: list(r.text(5)?)?,
        may_write: list(r.text(6)?)?,
        may_read: list(r.text(7)?)?,
        valid_from: date(r.opt_text(8)?)?,
        valid_to: date(r.opt_text(9)?)?,
        requires_acting_person: r.int(10)? != 0,
    })
}

/// An agreement with its organisation.
pub(crate) fn load_agreement(db: &mut dyn Db, id: i64) -> Result<Option<Agreement>> {
    db.query_opt(
        "SELECT o.id, o.kind, o.code, o.name,
                a.state, a.processors, a.may_write, a.may_read, a.valid_from, a.valid_to,
                a.requires_acting_person
         FROM agreements a JOIN orgs o ON o.id = a.org_id WHERE a.id = ?1",
        args![id],
        |r| agreement_row(r, id),
    )
}

/// Creates an agreement, records its first state and issues its first token.
pub(crate) fn create_agreement(
    db: &mut dyn Db,
    new: &NewAgreement,
    by: &str,
    now: &str,
) -> Result<(Agreement, String)> {
    db.transaction(Begin::Write, |db| {
        let org = find_org(db, &new.org_code, new.org_kind)?;
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let (from, to) = (
            new.valid_from.map(|d| d.to_string()),
            new.valid_to.map(|d| d.to_string()),
        );
        let id = db.query_one(
            "INSERT INTO agreements (org_id, state, processors, may_write, may_read,
                                     valid_from, valid_to, created_at, requires_acting_person)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
            args![
                org.id,
                new.state.as_str(),
                &json(&new.processors),
                &json(&new.may_write),
                &json(&new.may_read),
                from.as_deref(),
                to.as_deref(),
                now,
                i64::from(new.requires_acting_person)
            ],
            |r| r.int(0),
        )?;
        record_change(
            db,
            id,
            &Change {
                from: None,
                to: new.state,
                reason: &new.reason,
                by,
                now,
            },
        )?;
        let token = insert_token(db, id, org.id, now)?;
        let agreement = load_agreement(db, id)?.ok_or(StoreError::NoSuchAgreement(id))?;
        Ok((agreement, token))
    })
}

/// Moves an agreement to the state `to(current)` gives, recording the change.
pub(crate) fn change_agreement(
    db: &mut dyn Db,
    id: i64,
    to: impl FnOnce(AgreementState) -> std::result::Result<AgreementState, String>,
    reason: &str,
    by: &str,
    now: &str,
) -> Result<Agreement> {
    db.transaction(Begin::Write, |db| {
        let current = load_agreement(db, id)?.ok_or(StoreError::NoSuchAgreement(id))?;
        let next = to(current.state).map_err(StoreError::InvalidTransition)?;
        db.execute(
            "UPDATE agreements SET state = ?1 WHERE id = ?2",
            args![next.as_str(), id],
        )?;
        db.credentials_changed()?;
        if current.state == AgreementState::Test {
            // The cursor of the test before use points into the sandbox's positions; in
            // production the feed starts from the beginning.
            db.execute(
                "DELETE FROM feed_cursors WHERE agreement_id = ?1",
                args![id],
            )?;
        }
        record_change(
            db,
            id,
            &Change {
                from: Some(current.state),
                to: next,
                reason,
                by,
                now,
            },
        )?;
        load_agreement(db, id)?.ok_or(StoreError::NoSuchAgreement(id))
    })
}

/// An agreement and every change of its state.
pub(crate) fn agreement(
    db: &mut dyn Db,
    id: i64,
) -> Result<Option<(Agreement, Vec<AgreementChange>)>> {
    let Some(a) = load_agreement(db, id)? else {
        return Ok(None);
    };
    let changes = db.query_all(
        "SELECT from_state, to_state, reason, changed_by, changed_at
         FROM agreement_changes WHERE agreement_id = ?1 ORDER BY id",
        args![id],
        |r| {
            Ok(AgreementChange {
                from: r.opt_text(0)?.map(state_of).transpose()?,
                to: state_of(r.text(1)?)?,
                reason: r.string(2)?,
                changed_by: r.string(3)?,
                changed_at: r.time(4)?,
            })
        },
    )?;
    Ok(Some((a, changes)))
}

/// Every agreement.
pub(crate) fn agreements(db: &mut dyn Db) -> Result<Vec<Agreement>> {
    let ids = db.query_all("SELECT id FROM agreements ORDER BY id", args![], |r| {
        r.int(0)
    })?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(load_agreement(db, id)?);
    }
    Ok(out)
}

/// Another token for an agreement that is not terminated.
pub(crate) fn issue_token(db: &mut dyn Db, agreement_id: i64, now: &str) -> Result<String> {
    db.transaction(Begin::Write, |db| {
        let a =
            load_agreement(db, agreement_id)?.ok_or(StoreError::NoSuchAgreement(agreement_id))?;
        if a.state == AgreementState::Terminated {
            return Err(StoreError::InvalidTransition(
                "a terminated agreement gets no new tokens".into(),
            ));
        }
        insert_token(db, agreement_id, a.org.id, now)
    })
}

/// Revokes a token; whether it was valid.
pub(crate) fn revoke_token(db: &mut dyn Db, token_id: i64, now: &str) -> Result<bool> {
    db.transaction(Begin::Write, |db| {
        let n = db.execute(
            "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            args![now, token_id],
        )?;
        db.credentials_changed()?;
        Ok(n == 1)
    })
}

/// The principal of a valid token, by the token's hash: one query (it runs on every request
/// where credentials are not cached).
pub(crate) fn token_principal(db: &mut dyn Db, hash: &[u8]) -> Result<Option<Principal>> {
    db.query_opt(
        "SELECT o.id, o.kind, o.code, o.name,
                a.state, a.processors, a.may_write, a.may_read, a.valid_from, a.valid_to,
                a.requires_acting_person, a.id, t.id
         FROM tokens t JOIN agreements a ON a.id = t.agreement_id JOIN orgs o ON o.id = a.org_id
         WHERE t.token_hash = ?1 AND t.revoked_at IS NULL",
        args![hash],
        |r| {
            let agreement = agreement_row(r, r.int(11)?)?;
            Ok(Principal {
                org: agreement.org.clone(),
                token_id: r.int(12)?,
                agreement,
            })
        },
    )
}

/// Binds a client certificate to an agreement.
pub(crate) fn add_certificate(
    db: &mut dyn Db,
    agreement_id: i64,
    fingerprint: &str,
    subject: &str,
    now: &str,
) -> Result<()> {
    db.transaction(Begin::Write, |db| {
        load_agreement(db, agreement_id)?.ok_or(StoreError::NoSuchAgreement(agreement_id))?;
        db.execute(
            "INSERT INTO agreement_certificates (fingerprint, agreement_id, subject, added_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (fingerprint) DO UPDATE SET agreement_id = excluded.agreement_id,
               subject = excluded.subject, added_at = excluded.added_at, revoked_at = NULL",
            args![fingerprint, agreement_id, subject, now],
        )?;
        Ok(())
    })
}

/// The principal of a bound certificate.
pub(crate) fn certificate_principal(
    db: &mut dyn Db,
    fingerprint: &str,
) -> Result<Option<Principal>> {
    let Some(agreement_id) = db.query_opt(
        "SELECT agreement_id FROM agreement_certificates
         WHERE fingerprint = ?1 AND revoked_at IS NULL",
        args![fingerprint],
        |r| r.int(0),
    )?
    else {
        return Ok(None);
    };
    let agreement =
        load_agreement(db, agreement_id)?.ok_or(StoreError::NoSuchAgreement(agreement_id))?;
    Ok(Some(Principal {
        org: agreement.org.clone(),
        token_id: 0,
        agreement,
    }))
}

/// A new user, as `create_user` records it.
pub(crate) struct NewUser<'a> {
    pub org_code: &'a str,
    pub org_kind: Option<OrgKind>,
    pub role: Role,
    pub name: &'a str,
    pub username: &'a str,
    pub password_hash: &'a str,
}

/// Creates a user who must change the one-time password hashed in `new`.
pub(crate) fn create_user(db: &mut dyn Db, new: &NewUser<'_>, now: &str) -> Result<User> {
    db.transaction(Begin::Write, |db| {
        let org = find_org(db, new.org_code, new.org_kind)?;
        let role = new.role;
        if !role.fits(org.kind) {
            return Err(StoreError::InvalidUser(format!(
                "a user of a {} cannot have the role {role}",
                org.kind
            )));
        }
        let taken = db
            .query_opt(
                "SELECT id FROM users WHERE username = ?1",
                args![new.username],
                |r| r.int(0),
            )?
            .is_some();
        if taken {
            return Err(StoreError::InvalidUser(format!(
                "the username {} is taken; give another with --username",
                new.username
            )));
        }
        let id = db.query_one(
            "INSERT INTO users (org_id, username, name, role, password_hash,
                                must_change_password, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            args![
                org.id,
                new.username,
                new.name,
                role.as_str(),
                new.password_hash,
                true,
                now
            ],
            |r| r.int(0),
        )?;
        Ok(User {
            id,
            org,
            username: new.username.to_owned(),
            name: new.name.to_owned(),
            role,
            must_change_password: true,
        })
    })
}

/// A user who is not disabled, by username: id and password hash.
pub(crate) fn credentials(
    db: &mut dyn Db,
    username: &str,
) -> Result<Option<(i64, Option<String>)>> {
    db.query_opt(
        "SELECT id, password_hash FROM users WHERE username = ?1 AND disabled_at IS NULL",
        args![username],
        |r| Ok((r.int(0)?, r.opt_string(1)?)),
    )
}

/// A user by id.
pub(crate) fn load_user(db: &mut dyn Db, id: i64) -> Result<Option<User>> {
    db.query_opt(
        "SELECT o.id, o.kind, o.code, o.name, u.username, u.name, u.role, u.must_change_password
         FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?1",
        args![id],
        |r| {
            Ok(User {
                id,
                org: org_row(r)?,
                username: r.string(4)?,
                name: r.string(5)?,
                role: r.text(6)?.parse().map_err(StoreError::Corrupt)?,
                must_change_password: r.boolean(7)?,
            })
        },
    )
}

/// Sets a user's password hash and clears must-change.
pub(crate) fn set_password(db: &mut dyn Db, user_id: i64, hash: &str) -> Result<()> {
    db.execute(
        "UPDATE users SET password_hash = ?1, must_change_password = ?2 WHERE id = ?3",
        args![hash, false, user_id],
    )?;
    Ok(())
}

/// The longest username the throttle counts.
const MAX_USERNAME_BYTES: usize = 256;

/// Counts a login attempt; when the username is locked, until when.
pub(crate) fn login_attempt(
    db: &mut dyn Db,
    username: &str,
    now: jiff::Timestamp,
    window: jiff::SignedDuration,
    max: u32,
) -> Result<Option<jiff::Timestamp>> {
    let now_ms = now.as_millisecond();
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    // No username is this long: such an attempt is refused as locked, and nothing is stored.
    if username.len() > MAX_USERNAME_BYTES {
        return Ok(Some(now + window));
    }
    db.transaction(Begin::Write, |db| {
        // Attempts older than the window are forgotten: the table holds one window's worth.
        db.execute(
            "DELETE FROM login_failures WHERE since < ?1",
            args![now_ms.saturating_sub(window_ms)],
        )?;
        // Only accounts are counted, so the table holds at most one row per user, whatever a
        // visitor sends. (After five tries, being locked tells that the username exists; the
        // usernames follow from people's names anyway.)
        let account = db.query_opt(
            "SELECT 1 FROM users WHERE username = ?1",
            args![username],
            |_| Ok(()),
        )?;
        if account.is_none() {
            return Ok(None);
        }
        let counted = db.query_opt(
            "SELECT attempts, since FROM login_failures WHERE username = ?1",
            args![username],
            |r| Ok((r.int(0)?, r.int(1)?)),
        )?;
        match counted {
            None => {
                db.execute(
                    "INSERT INTO login_failures (username, attempts, since) VALUES (?1, 1, ?2)",
                    args![username, now_ms],
                )?;
                Ok(None)
            }
            Some((attempts, since)) if attempts >= i64::from(max) => Ok(Some(
                jiff::Timestamp::from_millisecond(since.saturating_add(window_ms)).unwrap_or(now),
            )),
            Some(_) => {
                db.execute(
                    "UPDATE login_failures SET attempts = attempts + 1 WHERE username = ?1",
                    args![username],
                )?;
                Ok(None)
            }
        }
    })
}

/// Forgets a username's counted attempts.
pub(crate) fn login_succeeded(db: &mut dyn Db, username: &str) -> Result<()> {
    db.execute(
        "DELETE FROM login_failures WHERE username = ?1",
        args![username],
    )?;
    Ok(())
}

/// Stores a session (by the id's hash), removing expired ones.
pub(crate) fn create_session(
    db: &mut dyn Db,
    hash: &[u8],
    user_id: i64,
    csrf: &str,
    expires_at: &str,
    now: &str,
) -> Result<()> {
    db.execute("DELETE FROM sessions WHERE expires_at < ?1", args![now])?;
    db.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        args![hash, user_id, csrf, now, expires_at],
    )?;
    // A user has at most MAX_SESSIONS open: logging in again ends the oldest.
    db.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND id_hash NOT IN
           (SELECT id_hash FROM sessions WHERE user_id = ?1
            ORDER BY created_at DESC, id_hash LIMIT ?2)",
        args![user_id, MAX_SESSIONS],
    )?;
    Ok(())
}

/// The most sessions one user, or one citizen, has open at once.
pub(crate) const MAX_SESSIONS: i64 = 10;

/// The live session with this id hash at `now`.
pub(crate) fn session(
    db: &mut dyn Db,
    hash: &[u8],
    now: jiff::Timestamp,
) -> Result<Option<Session>> {
    let Some((user_id, csrf, created_at, expires_at)) = db.query_opt(
        "SELECT s.user_id, s.csrf, s.created_at, s.expires_at FROM sessions s
         JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = ?1 AND u.disabled_at IS NULL",
        args![hash],
        |r| Ok((r.int(0)?, r.string(1)?, r.time(2)?, r.time(3)?)),
    )?
    else {
        return Ok(None);
    };
    if expires_at <= now {
        return Ok(None);
    }
    Ok(load_user(db, user_id)?.map(|user| Session {
        user,
        csrf,
        created_at,
        expires_at,
    }))
}

/// Links a user to an identity provider's identifier (or unlinks); a linked user loses the
/// local password.
pub(crate) fn link_user(
    db: &mut dyn Db,
    username: &str,
    external_id: Option<&str>,
) -> Result<User> {
    db.transaction(Begin::Write, |db| {
        let id = db
            .query_opt(
                "SELECT id FROM users WHERE username = ?1",
                args![username],
                |r| r.int(0),
            )?
            .ok_or_else(|| StoreError::InvalidUser(format!("no user {username}")))?;
        if let Some(external) = external_id {
            let taken = db.query_opt(
                "SELECT username FROM users WHERE external_id = ?1 AND id <> ?2",
                args![external, id],
                |r| r.string(0),
            )?;
            if let Some(other) = taken {
                return Err(StoreError::InvalidUser(format!(
                    "that identity is already linked to {other}"
                )));
            }
            db.execute(
                "UPDATE users SET external_id = ?1, password_hash = NULL, must_change_password = ?2
                 WHERE id = ?3",
                args![external, false, id],
            )?;
            db.execute("DELETE FROM sessions WHERE user_id = ?1", args![id])?;
        } else {
            db.execute(
                "UPDATE users SET external_id = NULL WHERE id = ?1",
                args![id],
            )?;
        }
        load_user(db, id)?.ok_or_else(|| StoreError::InvalidUser(format!("no user {username}")))
    })
}

/// The enabled user linked to `external_id`.
pub(crate) fn user_by_external_id(db: &mut dyn Db, external_id: &str) -> Result<Option<User>> {
    let id = db.query_opt(
        "SELECT id FROM users WHERE external_id = ?1 AND disabled_at IS NULL",
        args![external_id],
        |r| r.int(0),
    )?;
    match id {
        Some(id) => load_user(db, id),
        None => Ok(None),
    }
}

/// Moves a session's end later (never earlier).
pub(crate) fn extend_session(db: &mut dyn Db, hash: &[u8], until: &str) -> Result<()> {
    db.execute(
        "UPDATE sessions SET expires_at = ?2 WHERE id_hash = ?1 AND expires_at < ?2",
        args![hash, until],
    )?;
    Ok(())
}

/// Ends every session of a user but one.
pub(crate) fn end_other_sessions(db: &mut dyn Db, user_id: i64, keep: &[u8]) -> Result<u64> {
    db.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND id_hash <> ?2",
        args![user_id, keep],
    )
}

/// Ends a session (`citizen` for a citizen's).
pub(crate) fn end_session(db: &mut dyn Db, hash: &[u8], citizen: bool) -> Result<()> {
    let sql = if citizen {
        "DELETE FROM citizen_sessions WHERE id_hash = ?1"
    } else {
        "DELETE FROM sessions WHERE id_hash = ?1"
    };
    db.execute(sql, args![hash])?;
    Ok(())
}

/// Stores a citizen's session, removing expired ones.
pub(crate) fn create_citizen_session(
    db: &mut dyn Db,
    hash: &[u8],
    cpr: &str,
    expires_at: &str,
    now: &str,
) -> Result<()> {
    db.execute(
        "DELETE FROM citizen_sessions WHERE expires_at < ?1",
        args![now],
    )?;
    db.execute(
        "INSERT INTO citizen_sessions (id_hash, cpr, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        args![hash, cpr, now, expires_at],
    )?;
    db.execute(
        "DELETE FROM citizen_sessions WHERE cpr = ?1 AND id_hash NOT IN
           (SELECT id_hash FROM citizen_sessions WHERE cpr = ?1
            ORDER BY created_at DESC, id_hash LIMIT ?2)",
        args![cpr, MAX_SESSIONS],
    )?;
    Ok(())
}

/// The citizen of a live session at `now`.
pub(crate) fn citizen_session(
    db: &mut dyn Db,
    hash: &[u8],
    now: jiff::Timestamp,
) -> Result<Option<Cpr>> {
    let Some((cpr, expires)) = db.query_opt(
        "SELECT cpr, expires_at FROM citizen_sessions WHERE id_hash = ?1",
        args![hash],
        |r| Ok((r.string(0)?, r.time(1)?)),
    )?
    else {
        return Ok(None);
    };
    if expires <= now {
        return Ok(None);
    }
    Cpr::parse(&cpr)
        .map(Some)
        .map_err(|_| StoreError::Corrupt("citizen session cpr".into()))
}

/// Writes the person projection row. The overview is not stored: it is built from the state
/// when read, so a command rewrites one copy of the history, not two.
pub(crate) fn save_person(db: &mut dyn Db, row: &PersonRow<'_>) -> Result<()> {
    db.execute(
        "INSERT INTO persons (person_id, cpr, version, state, scope)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (person_id) DO UPDATE SET
           cpr = excluded.cpr, version = excluded.version, state = excluded.state,
           scope = excluded.scope",
        args![row.person_id, &row.cpr, row.version, &row.state, &row.scope],
    )?;
    Ok(())
}

/// Rebuilds the person projections and the supervision sums from the log, in one transaction;
/// returns the number of events replayed.
pub(crate) fn rebuild(db: &mut dyn Db, params: &Params) -> Result<u64> {
    db.transaction(Begin::Write, |db| {
        let mut states: HashMap<String, PersonState> = HashMap::new();
        let mut count = 0u64;
        db.query_each(
            "SELECT person_id, version, data, recorded_at, org FROM events ORDER BY position",
            args![],
            &mut |r| {
                let event = logged_event(r)?;
                event.apply_to(states.entry(event.person_id.clone()).or_default())?;
                count += 1;
                Ok(())
            },
        )?;
        db.execute("DELETE FROM persons", args![])?;
        db.execute("DELETE FROM worklist", args![])?;
        for (person_id, state) in &states {
            save_person(db, &PersonRow::of(person_id, state)?)?;
            let days = fdg_domain::worklist::Days::compute(state, params);
            let row = crate::worklist::WorklistRow::of(state, days);
            crate::worklist::save(db, person_id, &row)?;
        }
        crate::supervision::recompute(db, params)?;
        Ok(count)
    })
}

/// An event read for folding (`person_id, version, data, recorded_at, org`).
pub(crate) fn logged_event(r: &dyn RowRef) -> Result<LoggedEvent> {
    Ok(LoggedEvent {
        person_id: r.string(0)?,
        version: r.count(1)?,
        data: r.string(2)?,
        recorded_at: r.string(3)?,
        org: r.string(4)?,
    })
}
