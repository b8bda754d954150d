//! Webhooks: an agreement's feed pushed as signed POSTs, so a consumer learns of changes
//! without polling. Delivery runs beside the server and never blocks a write.
//!
//! Each POST carries a batch of feed events (scoped exactly as the agreement's feed) in
//! position order, with `Fdg-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
//! under the webhook's secret. A 2xx answer advances the webhook; anything else is retried
//! with exponential back-off; after the last attempt the batch is parked and delivery moves
//! on. `fdg webhook parked` lists parked batches and `fdg webhook replay ID` sends one again.
//!
//! Receivers are outside the registry: `https://` only, and never an address inside this
//! network (loopback, private, link-local), unless the operator allows it for development
//! (`fdg serve --webhook-allow-http --webhook-allow-private`). A refused target fails the
//! delivery with the reason, like an unreachable one, and is retried and parked as such.

use std::time::Duration;

use axum::body::Bytes;
use fdg_domain::Actor;
use fdg_domain::agreement::AgreementState;
use fdg_store::audit::AuditEntry;
use fdg_store::{DeliveryResult, Store, Webhook};
use sha2::Digest;

use crate::AppState;
use crate::api::feed::{FeedEvent, view};

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// First retry delay; doubled per failed attempt.
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Attempts before a batch is parked.
    pub max_attempts: u32,
    /// Events scanned per batch.
    pub batch: u32,
    /// How often to look for work when nothing is committed.
    pub poll: Duration,
    /// Trusted roots for `https://` webhooks (PEM file).
    pub ca_file: std::path::PathBuf,
    /// How long this node holds a webhook it delivers before another node may take it over.
    pub lease: Duration,
    /// Deliver to plain `http://` URLs (development only).
    pub allow_http: bool,
    /// Deliver to addresses inside this network: loopback, private, link-local (development,
    /// or an operator's own relay).
    pub allow_private: bool,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(600),
            max_attempts: 8,
            batch: 100,
            poll: Duration::from_secs(5),
            ca_file: "/etc/ssl/certs/ca-certificates.crt".into(),
            lease: Duration::from_secs(30),
            allow_http: false,
            allow_private: false,
        }
    }
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&sha2::Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = sha2::Sha256::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    sha2::Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// The signature header value for `body` at unix time `t`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    let mac = hmac_sha256(secret.as_bytes(), &signed);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// The body of one delivery.
#[derive(Debug, serde::Serialize)]
struct Delivery<'a> {
    agreement: i64,
    events: &'a [FeedEvent],
    next_after: u64,
}

async fn post(
    config: &WebhookConfig,
    url: &str,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<u16, String> {
    let mut all = vec![("content-type", "application/json".to_owned())];
    all.extend(headers.iter().map(|(k, v)| (*k, v.clone())));
    let policy = crate::edge::http::Policy {
        allow_http: config.allow_http,
        allow_private: config.allow_private,
        // A receiver's answer is not read beyond a little: only its status counts.
        max_body: 64 * 1024,
    };
    let (status, _) =
        crate::edge::http::exchange(&config.ca_file, policy, "POST", url, &all, body).await?;
    Ok(status)
}

/// Who a delivery is for: the webhook, its agreement's organisation, and the clock.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The webhook.
    pub hook: &'a Webhook,
    /// The agreement's organisation (whose scope applies).
    pub actor: Actor,
    /// Today (for scoping).
    pub today: jiff::civil::Date,
    /// Now (for the signature and the audit).
    pub now: jiff::Timestamp,
}

/// Delivers the scoped events after `after` (up to `up_to`, at most one batch) of an
/// agreement to its URL; returns the last position scanned, or why it failed with the last
/// position it would have covered. Deliveries are audited per person before they are sent.
pub async fn deliver_range(
    store: &dyn Store,
    audit: &dyn fdg_store::audit::AuditLog,
    config: &WebhookConfig,
    target: &Target<'_>,
    after: u64,
    up_to: Option<u64>,
) -> Result<Option<u64>, (String, u64)> {
    let rows = store
        .events_after(after, config.batch)
        .await
        .map_err(|e| (e.to_string(), after))?;
    let rows: Vec<_> = rows
        .into_iter()
        .take_while(|e| up_to.is_none_or(|u| e.position <= u))
        .collect();
    let Some(scanned_to) = rows.last().map(|e| e.position) else {
        return Ok(None);
    };
    // A subscription to some event types gets only those (positions move on past the rest).
    let types: Option<Vec<&str>> = target
        .hook
        .types
        .as_ref()
        .map(|t| t.iter().map(String::as_str).collect());
    let (events, delivered) = view(&target.actor, target.today, rows, types.as_deref())
        .map_err(|e| (format!("{:?}", e.problem().r#type), scanned_to))?;
    if events.is_empty() {
        return Ok(Some(scanned_to));
    }
    let body = serde_json::to_vec(&Delivery {
        agreement: target.hook.agreement_id,
        events: &events,
        next_after: scanned_to,
    })
    .map_err(|e| (e.to_string(), scanned_to))?;
    let headers = [
        (
            "fdg-signature",
            signature(&target.hook.secret, target.now.as_second(), &body),
        ),
        (
            "fdg-delivery",
            format!("{}:{}-{}", target.hook.agreement_id, after + 1, scanned_to),
        ),
    ];
    // The data leaves only after its delivery is audited.
    let entries = delivered
        .into_iter()
        .map(|p| AuditEntry {
            at: target.now,
            org: target.actor.label(),
            credential: format!("agreement:{} (webhook)", target.hook.agreement_id),
            acting_person: None,
            on_behalf_of: None,
            action: "webhook.delivery".into(),
            person_id: Some(p),
            purpose: "reuse of registered data (§ 1, nr. 1)".into(),
            outcome: "ok".into(),
        })
        .collect();
    audit
        .append(entries)
        .await
        .map_err(|e| (e.to_string(), scanned_to))?;
    match post(config, &target.hook.url, &headers, Bytes::from(body)).await {
        Ok(status) if (200..300).contains(&status) => Ok(Some(scanned_to)),
        Ok(status) => Err((format!("answered {status}"), scanned_to)),
        Err(e) => Err((e, scanned_to)),
    }
}

async fn run_once(
    state: &AppState,
    config: &WebhookConfig,
    node: &str,
) -> Result<(), fdg_store::StoreError> {
    // Back-off runs on the wall clock, whatever business clock the registry uses: it is a
    // real wait for a real receiver, not a time the registry records.
    #[allow(clippy::disallowed_methods)]
    let wall = jiff::Timestamp::now();
    let now = state.clock.now();
    for hook in state.store.webhooks().await? {
        if hook.next_attempt.is_some_and(|t| t > wall) {
            continue;
        }
        let Some((agreement, _)) = state.store.agreement(hook.agreement_id).await? else {
            continue;
        };
        // A suspended or terminated agreement gets nothing.
        if agreement.state != AgreementState::Active
            || !agreement.valid_on(state.clock.today())
            || !agreement.may_read("events")
        {
            continue;
        }
        // One node delivers a webhook at a time: this one, while its lease runs, and from the
        // position recorded last (perhaps by the node that held it before).
        let until = wall + jiff::SignedDuration::try_from(config.lease).unwrap_or_default();
        if !state
            .store
            .lease_webhook(hook.agreement_id, node, wall, until)
            .await?
        {
            continue;
        }
        let Some(hook) = state.store.webhook(hook.agreement_id).await? else {
            continue;
        };
        let actor = Actor {
            kind: agreement.org.kind,
            code: agreement.org.code.clone(),
        };
        let target = Target {
            hook: &hook,
            actor,
            today: state.clock.today(),
            now,
        };
        let result = deliver_range(
            state.store.as_ref(),
            state.audit.as_ref(),
            config,
            &target,
            hook.position,
            None,
        )
        .await;
        let outcome = match result {
            Ok(None) => continue,
            Ok(Some(to)) => DeliveryResult::Delivered(to),
            Err((error, to)) if hook.attempts + 1 >= config.max_attempts => {
                tracing::warn!(agreement = hook.agreement_id, %error, "webhook batch parked");
                DeliveryResult::Parked {
                    error,
                    from: hook.position + 1,
                    to,
                }
            }
            Err((error, _)) => {
                let delay = config
                    .base_delay
                    .saturating_mul(1u32 << hook.attempts.min(20))
                    .min(config.max_delay);
                let retry_at = wall + jiff::SignedDuration::try_from(delay).unwrap_or_default();
                DeliveryResult::Failed { error, retry_at }
            }
        };
        state
            .store
            .record_delivery(hook.agreement_id, outcome)
            .await?;
    }
    Ok(())
}

/// Runs deliveries until the process ends: after each commit, and every `poll` interval.
pub fn spawn(state: AppState, config: WebhookConfig) -> tokio::task::JoinHandle<()> {
    // This process's name in webhook leases.
    let mut id = [0u8; 8];
    let _ = getrandom::fill(&mut id);
    let node = format!("node-{}", fdg_store::hex(&id));
    tokio::spawn(async move {
        let mut head = state.store.watch_head();
        loop {
            if let Err(e) = run_once(&state, &config, &node).await {
                tracing::error!(error = %e, "webhook delivery round failed");
            }
            let _ = tokio::time::timeout(config.poll, head.changed()).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
