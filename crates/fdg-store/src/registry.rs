//! The [`Store`] every backend offers, written once over a [`Backend`].
//!
//! A backend provides only what differs between databases: where reads run, where writes are
//! serialised, how a command's transaction is run (the shared [`crate::pipeline`]) and how
//! readers learn that the log grew. Everything else — which SQL answers which call, credential
//! caching, password hashing, recorded times from the registry's clock — lives here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use fdg_domain::agreement::{AgreementAction, AgreementState};
use fdg_domain::supervision::Params;
use fdg_domain::{Cpr, OrgKind, Role};
use jiff::Timestamp;

use crate::ops;
use crate::secrets::{
    hash_password, one_time_password, random_hex, token_hash, username_from, verify_password,
};
use crate::sql::Db;
use crate::{
    Agreement, AgreementHistory, BoxFut, DeliveryResult, NewAgreement, Org, ParkedBatch,
    PersonRecord, Principal, Result, Session, Store, StoreError, StoredEvent, SupervisionInput,
    SupervisionQuery, TimeSource, User, Webhook, WriteOutcome, WriteRequest,
};

/// A database's own part of the store (public only so [`Registry`] can name it; not
/// reachable from outside the crate).
pub trait Backend: Send + Sync + 'static {
    /// Runs `f` on a connection that reads committed data.
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> BoxFut<'_, Result<T>>;
    /// The node's writer: every write goes through it.
    fn writer(&self) -> &crate::writer::WriterHandle;
    /// Runs `f` where writes are serialised (after the writes queued before it).
    fn admin<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    ) -> BoxFut<'_, Result<T>> {
        self.writer().admin(f)
    }
    /// Decides and stores a command through the write pipeline.
    fn execute(&self, req: WriteRequest) -> BoxFut<'_, Result<WriteOutcome>> {
        self.writer().execute(req)
    }
    /// Decides and stores commands in order through the write pipeline.
    fn execute_in_order(
        &self,
        reqs: Vec<WriteRequest>,
    ) -> BoxFut<'_, Result<Vec<Result<WriteOutcome>>>> {
        self.writer().execute_in_order(reqs)
    }
    /// The newest committed position, for long polling.
    fn watch_head(&self) -> tokio::sync::watch::Receiver<u64> {
        self.writer().watch_head()
    }
    /// A person's id and stored state, by CPR digits or person id: the hot read. By default
    /// the shared query on a reader; a backend may answer it without leaving the runtime.
    fn person_row(
        &self,
        by_cpr: bool,
        key: String,
    ) -> BoxFut<'_, Result<Option<(String, String)>>> {
        self.read(move |db| ops::person_row(db, by_cpr, &key))
    }
    /// How long an authenticated credential is trusted without asking the database again.
    /// Changes made through this store (suspension, revocation) take effect at once; changes
    /// a backend is not told of (the CLI's, on SQLite) within this time.
    const CREDENTIAL_TTL: std::time::Duration;
}

/// Most credentials cached at once; the cache starts afresh beyond it.
const CREDENTIAL_CACHE_MAX: usize = 10_000;

/// The principals of recently authenticated tokens, shared with a backend that learns of
/// other nodes' changes (and forgets them all when told).
pub(crate) struct CredentialCache {
    entries: Mutex<HashMap<[u8; 32], (std::time::Instant, Principal)>>,
    /// Bumped whenever credentials change, so a lookup that raced a change is not cached.
    generation: AtomicU64,
    /// Whether cached entries may be used: false while a backend cannot hear of changes
    /// made elsewhere (its listening connection is down).
    trusted: AtomicBool,
}

impl CredentialCache {
    /// An empty cache; `trusted` says whether it may be used from the start.
    pub(crate) fn new(trusted: bool) -> Self {
        CredentialCache {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            trusted: AtomicBool::new(trusted),
        }
    }

    /// Forgets every cached credential.
    pub(crate) fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Trusts the cache again (after forgetting it), or stops using it.
    pub(crate) fn set_trusted(&self, trusted: bool) {
        self.forget();
        self.trusted.store(trusted, Ordering::SeqCst);
    }

    fn trusted(&self) -> bool {
        self.trusted.load(Ordering::SeqCst)
    }
}

/// The registry's store on one backend.
pub struct Registry<B> {
    backend: B,
    clock: Arc<dyn TimeSource>,
    supervision: Params,
    credentials: Arc<CredentialCache>,
    /// Webhook signing secrets are stored encrypted under it, when given.
    secrets_key: Option<crate::SecretsKey>,
}

impl<B: Backend> Registry<B> {
    /// A webhook as stored, with its signing secret opened.
    fn unsealed(&self, mut hook: Webhook) -> Result<Webhook> {
        hook.secret = crate::secrets::unseal(
            self.secrets_key.as_ref(),
            &hook.secret,
            hook.agreement_id.to_string().as_bytes(),
        )?;
        Ok(hook)
    }

    pub(crate) fn new(
        backend: B,
        clock: Arc<dyn TimeSource>,
        supervision: Params,
        credentials: Arc<CredentialCache>,
    ) -> Self {
        Registry {
            backend,
            clock,
            supervision,
            credentials,
            secrets_key: None,
        }
    }

    /// The same store, keeping webhook signing secrets encrypted under `key`.
    pub fn with_secrets_key(mut self, key: Option<crate::SecretsKey>) -> Self {
        self.secrets_key = key;
        self
    }

    /// The store clock's now, as stored (RFC 3339): every recorded time comes from it.
    fn now(&self) -> String {
        self.clock.now().to_string()
    }

    fn forget_credentials(&self) {
        self.credentials.forget();
    }

    /// A credential's principal, from the cache while it is fresh.
    async fn principal(
        &self,
        key: [u8; 32],
        look_up: impl FnOnce(&mut dyn Db) -> Result<Option<Principal>> + Send + 'static,
    ) -> Result<Option<Principal>> {
        let now = std::time::Instant::now();
        let cache = &self.credentials;
        if cache.trusted()
            && let Some((at, p)) = cache
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&key)
            && now.duration_since(*at) < B::CREDENTIAL_TTL
        {
            return Ok(Some(p.clone()));
        }
        let generation = cache.generation.load(Ordering::SeqCst);
        let found = self.backend.read(look_up).await?;
        if let Some(p) = found
            .as_ref()
            .filter(|_| cache.trusted() && cache.generation.load(Ordering::SeqCst) == generation)
        {
            let mut cache = cache
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cache.len() > CREDENTIAL_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, (now, p.clone()));
        }
        Ok(found)
    }
}

impl<B: Backend> Store for Registry<B> {
    fn execute(&self, req: WriteRequest) -> BoxFut<'_, Result<WriteOutcome>> {
        self.backend.execute(req)
    }

    fn execute_in_order(
        &self,
        reqs: Vec<WriteRequest>,
    ) -> BoxFut<'_, Result<Vec<Result<WriteOutcome>>>> {
        self.backend.execute_in_order(reqs)
    }

    fn person_by_cpr<'a>(&'a self, cpr: &'a Cpr) -> BoxFut<'a, Result<Option<PersonRecord>>> {
        let row = self.backend.person_row(true, cpr.digits());
        Box::pin(async move {
            row.await?
                .map(|(id, state)| ops::person_record(id, &state))
                .transpose()
        })
    }

    fn person<'a>(&'a self, person_id: &'a str) -> BoxFut<'a, Result<Option<PersonRecord>>> {
        if !fdg_domain::ids::is_person_id(person_id) {
            return Box::pin(async { Ok(None) });
        }
        let row = self.backend.person_row(false, person_id.to_owned());
        Box::pin(async move {
            row.await?
                .map(|(id, state)| ops::person_record(id, &state))
                .transpose()
        })
    }

    fn events_after(&self, after: u64, limit: u32) -> BoxFut<'_, Result<Vec<StoredEvent>>> {
        self.backend
            .read(move |db| ops::events_after(db, after, limit))
    }

    fn watch_head(&self) -> tokio::sync::watch::Receiver<u64> {
        self.backend.watch_head()
    }

    fn position_before(&self, at: Timestamp) -> BoxFut<'_, Result<u64>> {
        self.backend.read(move |db| ops::position_before(db, at))
    }

    fn persons_after<'a>(
        &'a self,
        after: &'a str,
        limit: u32,
    ) -> BoxFut<'a, Result<Vec<PersonRecord>>> {
        let after = after.to_owned();
        self.backend
            .read(move |db| ops::persons_after(db, &after, limit))
    }

    fn idempotency_hash<'a>(
        &'a self,
        scope: &'a str,
        key: &'a fdg_domain::IdempotencyKey,
    ) -> BoxFut<'a, Result<Option<Vec<u8>>>> {
        let (scope, key) = (scope.to_owned(), key.as_str().to_owned());
        self.backend
            .read(move |db| ops::idempotency_hash(db, &scope, &key))
    }

    fn person_events<'a>(&'a self, person_id: &'a str) -> BoxFut<'a, Result<Vec<StoredEvent>>> {
        if !fdg_domain::ids::is_person_id(person_id) {
            return Box::pin(async { Ok(Vec::new()) });
        }
        let id = person_id.to_owned();
        self.backend.read(move |db| ops::person_events(db, &id))
    }

    fn cursor(&self, agreement_id: i64) -> BoxFut<'_, Result<u64>> {
        self.backend.read(move |db| ops::cursor(db, agreement_id))
    }

    fn set_cursor(&self, agreement_id: i64, position: u64) -> BoxFut<'_, Result<()>> {
        let now = self.now();
        self.backend
            .admin(move |db| ops::set_cursor(db, agreement_id, position, &now))
    }

    fn set_webhook<'a>(
        &'a self,
        agreement_id: i64,
        url: &'a str,
        from_position: u64,
    ) -> BoxFut<'a, Result<String>> {
        let (now, url) = (self.now(), url.to_owned());
        let secret = random_hex(32);
        let stored = match &self.secrets_key {
            Some(key) => key.seal(&secret, agreement_id.to_string().as_bytes()),
            None => secret.clone(),
        };
        Box::pin(async move {
            self.backend
                .admin(move |db| {
                    ops::set_webhook(db, agreement_id, &url, &stored, from_position, &now)
                })
                .await?;
            Ok(secret)
        })
    }

    fn subscribe<'a>(
        &'a self,
        agreement_id: i64,
        url: &'a str,
        types: Option<Vec<String>>,
        from_position: u64,
    ) -> BoxFut<'a, Result<Option<String>>> {
        let (now, url) = (self.now(), url.to_owned());
        let secret = random_hex(32);
        let sealed = match &self.secrets_key {
            Some(key) => key.seal(&secret, agreement_id.to_string().as_bytes()),
            None => secret.clone(),
        };
        let types = types.map(|t| t.join(","));
        Box::pin(async move {
            let done = self
                .backend
                .admin(move |db| {
                    ops::subscribe(
                        db,
                        agreement_id,
                        &url,
                        types.as_deref(),
                        &sealed,
                        from_position,
                        &now,
                    )
                })
                .await?;
            Ok(match done {
                ops::Subscribed::Kept => None,
                ops::Subscribed::NewSecret => Some(secret),
            })
        })
    }

    fn unsubscribe(&self, agreement_id: i64) -> BoxFut<'_, Result<bool>> {
        self.backend
            .admin(move |db| ops::unsubscribe(db, agreement_id))
    }

    fn webhooks(&self) -> BoxFut<'_, Result<Vec<Webhook>>> {
        Box::pin(async move {
            let hooks = self.backend.read(|db| ops::webhooks(db, None)).await?;
            hooks.into_iter().map(|h| self.unsealed(h)).collect()
        })
    }

    fn webhook(&self, agreement_id: i64) -> BoxFut<'_, Result<Option<Webhook>>> {
        Box::pin(async move {
            let hooks = self
                .backend
                .read(move |db| ops::webhooks(db, Some(agreement_id)))
                .await?;
            hooks
                .into_iter()
                .next()
                .map(|h| self.unsealed(h))
                .transpose()
        })
    }

    fn record_delivery(&self, agreement_id: i64, result: DeliveryResult) -> BoxFut<'_, Result<()>> {
        let now = self.now();
        self.backend
            .admin(move |db| ops::record_delivery(db, agreement_id, &result, &now))
    }

    fn lease_webhook<'a>(
        &'a self,
        agreement_id: i64,
        holder: &'a str,
        now: Timestamp,
        until: Timestamp,
    ) -> BoxFut<'a, Result<bool>> {
        let holder = holder.to_owned();
        self.backend
            .admin(move |db| ops::lease_webhook(db, agreement_id, &holder, now, until))
    }

    fn parked(&self, agreement_id: Option<i64>) -> BoxFut<'_, Result<Vec<ParkedBatch>>> {
        self.backend.read(move |db| ops::parked(db, agreement_id))
    }

    fn take_parked(&self, id: i64) -> BoxFut<'_, Result<Option<ParkedBatch>>> {
        let now = self.now();
        self.backend.admin(move |db| ops::take_parked(db, id, &now))
    }

    fn create_org<'a>(
        &'a self,
        kind: OrgKind,
        code: &'a str,
        name: &'a str,
    ) -> BoxFut<'a, Result<Org>> {
        let (now, code, name) = (self.now(), code.to_owned(), name.to_owned());
        self.backend
            .admin(move |db| ops::create_org(db, kind, &code, &name, &now))
    }

    fn orgs(&self) -> BoxFut<'_, Result<Vec<Org>>> {
        self.backend.read(ops::orgs)
    }

    fn create_token<'a>(
        &'a self,
        code: &'a str,
        kind: Option<OrgKind>,
    ) -> BoxFut<'a, Result<String>> {
        let new = NewAgreement {
            org_code: code.to_owned(),
            org_kind: kind,
            state: AgreementState::Active,
            processors: Vec::new(),
            may_write: vec!["*".into()],
            may_read: vec!["*".into()],
            valid_from: None,
            valid_to: None,
            requires_acting_person: false,
            reason: "fdg token create (active agreement with one token)".into(),
        };
        Box::pin(async move {
            let (_, token) = self.create_agreement(new, "cli").await?;
            Ok(token)
        })
    }

    fn create_agreement<'a>(
        &'a self,
        new: NewAgreement,
        by: &'a str,
    ) -> BoxFut<'a, Result<(Agreement, String)>> {
        let (now, by) = (self.now(), by.to_owned());
        self.backend
            .admin(move |db| ops::create_agreement(db, &new, &by, &now))
    }

    fn change_agreement<'a>(
        &'a self,
        id: i64,
        action: AgreementAction,
        reason: &'a str,
        by: &'a str,
    ) -> BoxFut<'a, Result<Agreement>> {
        let (now, reason, by) = (self.now(), reason.to_owned(), by.to_owned());
        let changed = self.backend.admin(move |db| {
            ops::change_agreement(db, id, |s| action.apply(s), &reason, &by, &now)
        });
        Box::pin(async move {
            let changed = changed.await;
            self.forget_credentials();
            changed
        })
    }

    fn agreement(&self, id: i64) -> BoxFut<'_, Result<Option<AgreementHistory>>> {
        self.backend.read(move |db| ops::agreement(db, id))
    }

    fn agreements(&self) -> BoxFut<'_, Result<Vec<Agreement>>> {
        self.backend.read(ops::agreements)
    }

    fn issue_token(&self, agreement_id: i64) -> BoxFut<'_, Result<String>> {
        let now = self.now();
        self.backend
            .admin(move |db| ops::issue_token(db, agreement_id, &now))
    }

    fn revoke_token(&self, token_id: i64) -> BoxFut<'_, Result<bool>> {
        let now = self.now();
        let revoked = self
            .backend
            .admin(move |db| ops::revoke_token(db, token_id, &now));
        Box::pin(async move {
            let revoked = revoked.await;
            self.forget_credentials();
            revoked
        })
    }

    fn add_certificate<'a>(
        &'a self,
        agreement_id: i64,
        fingerprint: &'a str,
        subject: &'a str,
    ) -> BoxFut<'a, Result<()>> {
        let (now, fingerprint, subject) =
            (self.now(), fingerprint.to_lowercase(), subject.to_owned());
        self.backend
            .admin(move |db| ops::add_certificate(db, agreement_id, &fingerprint, &subject, &now))
    }

    fn authenticate_certificate<'a>(
        &'a self,
        fingerprint: &'a str,
    ) -> BoxFut<'a, Result<Option<Principal>>> {
        let fingerprint = fingerprint.to_lowercase();
        self.backend
            .read(move |db| ops::certificate_principal(db, &fingerprint))
    }

    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFut<'a, Result<Option<Principal>>> {
        let hash = token_hash(token);
        Box::pin(self.principal(hash, move |db| ops::token_principal(db, &hash)))
    }

    fn create_user<'a>(
        &'a self,
        org_code: &'a str,
        org_kind: Option<OrgKind>,
        role: Role,
        name: &'a str,
        username: Option<&'a str>,
    ) -> BoxFut<'a, Result<(User, String)>> {
        let now = self.now();
        let (org_code, name) = (org_code.to_owned(), name.trim().to_owned());
        let username = username.map_or_else(|| username_from(&name), |u| u.trim().to_lowercase());
        Box::pin(async move {
            if name.is_empty() || username.is_empty() {
                return Err(StoreError::InvalidUser("a user needs a name".into()));
            }
            let password = one_time_password();
            let hash = hash_password(password.clone()).await?;
            let user = self
                .backend
                .admin(move |db| {
                    let new = ops::NewUser {
                        org_code: &org_code,
                        org_kind,
                        role,
                        name: &name,
                        username: &username,
                        password_hash: &hash,
                    };
                    ops::create_user(db, &new, &now)
                })
                .await?;
            Ok((user, password))
        })
    }

    fn login<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFut<'a, Result<Option<User>>> {
        let username = username.trim().to_lowercase();
        Box::pin(async move {
            let found = self
                .backend
                .read(move |db| ops::credentials(db, &username))
                .await?;
            // Verify against a dummy hash when the user is unknown, so timing does not tell.
            let (id, hash) = match found {
                Some((id, Some(hash))) => (Some(id), Some(hash)),
                _ => (None, None),
            };
            let ok = verify_password(password.to_owned(), hash).await?;
            match (ok, id) {
                (true, Some(id)) => self.backend.read(move |db| ops::load_user(db, id)).await,
                _ => Ok(None),
            }
        })
    }

    fn set_password<'a>(&'a self, user_id: i64, password: &'a str) -> BoxFut<'a, Result<()>> {
        let password = password.to_owned();
        Box::pin(async move {
            if password.chars().count() < 12 {
                return Err(StoreError::InvalidUser(
                    "a password needs at least 12 characters".into(),
                ));
            }
            let hash = hash_password(password).await?;
            self.backend
                .admin(move |db| ops::set_password(db, user_id, &hash))
                .await
        })
    }

    fn login_attempt<'a>(
        &'a self,
        username: &'a str,
        now: Timestamp,
        window: jiff::SignedDuration,
        max: u32,
    ) -> BoxFut<'a, Result<Option<Timestamp>>> {
        let username = username.to_owned();
        self.backend
            .admin(move |db| ops::login_attempt(db, &username, now, window, max))
    }

    fn login_succeeded<'a>(&'a self, username: &'a str) -> BoxFut<'a, Result<()>> {
        let username = username.to_owned();
        self.backend
            .admin(move |db| ops::login_succeeded(db, &username))
    }

    fn create_session(&self, user_id: i64, expires_at: Timestamp) -> BoxFut<'_, Result<String>> {
        let now = self.now();
        Box::pin(async move {
            let id = random_hex(32);
            let csrf = random_hex(16);
            let hash = token_hash(&id);
            let expires = expires_at.to_string();
            self.backend
                .admin(move |db| ops::create_session(db, &hash, user_id, &csrf, &expires, &now))
                .await?;
            Ok(id)
        })
    }

    fn session<'a>(&'a self, id: &'a str, now: Timestamp) -> BoxFut<'a, Result<Option<Session>>> {
        let hash = token_hash(id);
        self.backend.read(move |db| ops::session(db, &hash, now))
    }

    fn end_session<'a>(&'a self, id: &'a str) -> BoxFut<'a, Result<()>> {
        let hash = token_hash(id);
        self.backend
            .admin(move |db| ops::end_session(db, &hash, false))
    }

    fn link_user<'a>(
        &'a self,
        username: &'a str,
        external_id: Option<&'a str>,
    ) -> BoxFut<'a, Result<User>> {
        let (username, external_id) = (username.to_lowercase(), external_id.map(str::to_owned));
        self.backend
            .admin(move |db| ops::link_user(db, &username, external_id.as_deref()))
    }

    fn user_by_external_id<'a>(&'a self, external_id: &'a str) -> BoxFut<'a, Result<Option<User>>> {
        let external_id = external_id.to_owned();
        self.backend
            .read(move |db| ops::user_by_external_id(db, &external_id))
    }

    fn extend_session<'a>(&'a self, id: &'a str, until: Timestamp) -> BoxFut<'a, Result<()>> {
        let hash = token_hash(id);
        let until = until.to_string();
        self.backend
            .admin(move |db| ops::extend_session(db, &hash, &until))
    }

    fn end_other_sessions<'a>(&'a self, user_id: i64, keep: &'a str) -> BoxFut<'a, Result<u64>> {
        let hash = token_hash(keep);
        self.backend
            .admin(move |db| ops::end_other_sessions(db, user_id, &hash))
    }

    fn create_citizen_session<'a>(
        &'a self,
        cpr: &'a Cpr,
        expires_at: Timestamp,
    ) -> BoxFut<'a, Result<String>> {
        let (now, digits) = (self.now(), cpr.digits());
        Box::pin(async move {
            let id = random_hex(32);
            let hash = token_hash(&id);
            let expires = expires_at.to_string();
            self.backend
                .admin(move |db| ops::create_citizen_session(db, &hash, &digits, &expires, &now))
                .await?;
            Ok(id)
        })
    }

    fn end_citizen_session<'a>(&'a self, id: &'a str) -> BoxFut<'a, Result<()>> {
        let hash = token_hash(id);
        self.backend
            .admin(move |db| ops::end_session(db, &hash, true))
    }

    fn citizen_session<'a>(
        &'a self,
        id: &'a str,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Option<Cpr>>> {
        let hash = token_hash(id);
        self.backend
            .read(move |db| ops::citizen_session(db, &hash, now))
    }

    fn rebuild(&self) -> BoxFut<'_, Result<u64>> {
        let params = self.supervision;
        self.backend.admin(move |db| ops::rebuild(db, &params))
    }

    fn ping(&self) -> BoxFut<'_, Result<()>> {
        self.backend.read(|db| {
            db.query_one("SELECT 1", crate::sql::args![], |r| r.int(0))
                .map(drop)
        })
    }

    fn worklist(
        &self,
        query: crate::worklist::WorklistQuery,
    ) -> BoxFut<'_, Result<Vec<crate::worklist::WorkRow>>> {
        self.backend
            .read(move |db| crate::worklist::query(db, &query))
    }

    fn consequences_due(
        &self,
        today: jiff::civil::Date,
        limit: u32,
    ) -> BoxFut<'_, Result<Vec<String>>> {
        self.backend
            .read(move |db| crate::worklist::consequences_due(db, today, limit))
    }

    fn supervision<'a>(
        &'a self,
        query: &'a SupervisionQuery,
    ) -> BoxFut<'a, Result<SupervisionInput>> {
        let query = query.clone();
        self.backend
            .read(move |db| crate::supervision::read(db, &query))
    }

    fn supervision_replay<'a>(
        &'a self,
        position: u64,
        query: &'a SupervisionQuery,
    ) -> BoxFut<'a, Result<SupervisionInput>> {
        let (query, params) = (query.clone(), self.supervision);
        self.backend
            .read(move |db| crate::supervision::replay(db, position, &params, &query))
    }
}
