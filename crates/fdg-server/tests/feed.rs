//! The event feed: paging, long polls, durable cursors, the bulk stream, notifications, racing writers, scoping as things stood, and webhooks.
//! In process (no socket, no fixed port), on the backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::app::*;

#[tokio::test]
async fn the_event_feed_pages_in_position_order() {
    let app = spawn_app().await;
    for cpr in ["070761-4285", "010190-1234", "020285-2345"] {
        let r = app
            .post(
                &app.state_token,
                "/api/v1/jobseeker-registrations",
                &registration(cpr),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let page = app
            .get(
                &app.state_token,
                &format!("/api/v1/events?after={after}&limit=2"),
            )
            .await;
        let events = page.body["events"].as_array().unwrap().clone();
        if events.is_empty() {
            break;
        }
        assert!(events.len() <= 2);
        for e in &events {
            seen.push(e["position"].as_u64().unwrap());
        }
        after = page.body["next_after"].as_u64().unwrap();
    }
    assert_eq!(seen.len(), 9);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    let bad = app.get(&app.state_token, "/api/v1/events?after=-1").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_long_poll_answers_as_soon_as_an_event_arrives() {
    let app = Arc::new(spawn_app().await);
    let poller = {
        let app = app.clone();
        tokio::spawn(async move {
            app.get(&app.state_token, "/api/v1/events?after=0&wait=20")
                .await
        })
    };
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration("070761-4285"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let page = poller.await.unwrap();
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !positions(&page).is_empty(),
        "the waiting reader got the new events"
    );
    // Nothing new and no wait: an empty page at once, next_after unchanged.
    let head = page.body["next_after"].as_u64().unwrap();
    let empty = app
        .get(&app.state_token, &format!("/api/v1/events?after={head}"))
        .await;
    assert!(positions(&empty).is_empty());
    assert_eq!(empty.body["next_after"], head);
}

#[tokio::test]
async fn a_consumer_resumes_from_its_durable_cursor() {
    let app = spawn_app().await;
    for cpr in ["070761-4285", "010190-1234"] {
        app.post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration(cpr),
        )
        .await;
    }
    let cursor = app.get(&app.state_token, "/api/v1/feed/cursor").await;
    assert_eq!(cursor.body["position"], 0);
    let first = app.get(&app.state_token, "/api/v1/feed/next?limit=2").await;
    let seen = positions(&first);
    assert_eq!(seen.len(), 2);
    let ack = app
        .call(
            Request::put("/api/v1/feed/cursor")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"position": seen[1]}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text);
    // "After a restart": the cursor is in the database, so the next page continues after it.
    let rest = app
        .get(&app.state_token, "/api/v1/feed/next?limit=1000")
        .await;
    let rest = positions(&rest);
    assert_eq!(rest.first().copied(), Some(seen[1] + 1));
    assert_eq!(rest.len(), 4);
    let beyond = app
        .call(
            Request::put("/api/v1/feed/cursor")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"position": 999}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(beyond.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_bulk_stream_and_filters_deliver_the_same_events_as_paging() {
    let app = spawn_app().await;
    for cpr in ["070761-4285", "010190-1234", "020285-2345"] {
        app.post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration(cpr),
        )
        .await;
    }
    let all = positions(&app.get(&app.state_token, "/api/v1/events?limit=1000").await);
    let stream = app
        .get(&app.state_token, "/api/v1/events/stream?after=0")
        .await;
    assert_eq!(stream.headers[header::CONTENT_TYPE], "application/x-ndjson");
    let lines: Vec<Value> = stream
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let streamed: Vec<u64> = lines
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(streamed, all);
    let registrations = app
        .get(
            &app.state_token,
            "/api/v1/events?types=job_seeker_registered",
        )
        .await;
    assert_eq!(positions(&registrations).len(), 3);
    let since_later = app
        .get(
            &app.state_token,
            "/api/v1/events?since=2026-11-27T11:00:00Z",
        )
        .await;
    assert!(positions(&since_later).is_empty());
    let since_earlier = app
        .get(
            &app.state_token,
            "/api/v1/events?since=2026-11-27T09:00:00Z",
        )
        .await;
    assert_eq!(positions(&since_earlier), all);
}

#[tokio::test]
async fn the_state_learns_of_the_municipality_s_registrations_and_cessations_as_notifications() {
    let app = spawn_app().await;
    let cpr = "020285-2345";
    let r = app
        .post(
            &app.municipal_token,
            "/api/v1/first-contacts",
            &first_contact(cpr, 2, true),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &app.municipal_token,
            "/api/v1/benefit-cessations",
            &json!({"cpr": cpr, "cessation_date": "2026-11-25"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let feed = app.get(&app.state_token, "/api/v1/events?limit=1000").await;
    let notes: Vec<(String, String)> = feed.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("notification").is_some())
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["notification"]["provision"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        notes,
        vec![
            ("job_seeker_registered".to_owned(), "§ 4, stk. 1".to_owned()),
            ("cash_benefit_ceased".to_owned(), "§ 3, stk. 3".to_owned()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_reader_racing_writers_sees_every_event_once_and_in_order() {
    let app = Arc::new(spawn_app().await);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let app = app.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    let n = w * 25 + i;
                    let cpr = format!("{:02}{:02}80-{:04}", n % 28 + 1, n / 28 + 1, 1000 + n);
                    let r = app
                        .post(
                            &app.state_token,
                            "/api/v1/jobseeker-registrations",
                            &registration(&cpr),
                        )
                        .await;
                    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
                }
            })
        })
        .collect();
    let reader = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut seen: Vec<u64> = Vec::new();
            let mut after = 0;
            // 100 registrations, 3 events each.
            while seen.len() < 300 {
                let page = app
                    .get(
                        &app.state_token,
                        &format!("/api/v1/events?after={after}&limit=7&wait=5"),
                    )
                    .await;
                assert_eq!(page.status, StatusCode::OK);
                seen.extend(positions(&page));
                after = page.body["next_after"].as_u64().unwrap();
            }
            seen
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    let seen = reader.await.unwrap();
    assert_eq!(seen.len(), 300);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
    let all = positions(&app.get(&app.state_token, "/api/v1/events?limit=1000").await);
    assert_eq!(seen, all, "nothing missed");
}

#[tokio::test]
async fn the_feed_scopes_each_event_as_things_stood_when_it_was_recorded() {
    let app = spawn_app().await;
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    let r = app
        .post(
            &app.state_token,
            "/api/v1/other-actor-assignments",
            &json!({"cpr": "070761-4285", "other_actor": "12345678", "from_date": "2026-11-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let assigned_at = r.body["facts"][0]["position"].as_u64().unwrap();
    app.post(
        &app.state_token,
        "/api/v1/periodic-conditions",
        &json!({"cpr": "070761-4285", "kind": "sygdom", "start_date": "2026-11-24"}),
    )
    .await;
    // The other actor's feed starts at its assignment: the history before it was not its.
    let feed = app
        .get(&app.other_actor_token, "/api/v1/events?limit=1000")
        .await;
    let seen = positions(&feed);
    assert_eq!(seen.first().copied(), Some(assigned_at), "{}", feed.text);
    assert_eq!(seen.len(), 2);
    // The person overview is a read of the present, which it may see in full.
    let all = positions(&app.get(&app.state_token, "/api/v1/events?limit=1000").await);
    assert_eq!(all.len(), 5);
}

#[tokio::test]
async fn suspending_an_agreement_ends_its_waiting_long_poll() {
    use fdg_domain::agreement::{AgreementAction, AgreementState};
    let app = Arc::new(spawn_app().await);
    let (id, token) = app
        .org_with_agreement(OrgKind::StateJobcenter, "STAT", AgreementState::Active, &[])
        .await;
    let poller = {
        let (app, token) = (app.clone(), token.clone());
        tokio::spawn(async move { app.get(&token, "/api/v1/events?after=0&wait=30").await })
    };
    app.store
        .change_agreement(id, AgreementAction::Suspend, "closed", "operator")
        .await
        .unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), poller)
        .await
        .expect("the wait ended well before its 30 s")
        .unwrap();
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["type"], "urn:fdg:problem:access-closed");
}

#[tokio::test]
async fn webhooks_push_signed_batches_retry_and_park() {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    let app = spawn_app().await;
    // A receiver that answers with the statuses queued, then 200.
    let statuses: Arc<Mutex<VecDeque<u16>>> = Arc::new(Mutex::new(VecDeque::from([500])));
    let (got, mut received) = tokio::sync::mpsc::unbounded_channel::<(String, Vec<u8>, u16)>();
    let receiver = {
        let statuses = statuses.clone();
        Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let statuses = statuses.clone();
                    let got = got.clone();
                    async move {
                        let status = statuses.lock().unwrap().pop_front().unwrap_or(200);
                        let sig = headers["fdg-signature"].to_str().unwrap().to_owned();
                        let _ = got.send((sig, body.to_vec(), status));
                        StatusCode::from_u16(status).unwrap()
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let agreement = app
        .store
        .agreements()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.org.code == "STAT")
        .unwrap();
    let secret = app.store.set_webhook(agreement.id, &url, 0).await.unwrap();
    fdg_server::webhook::spawn(
        app.state.clone(),
        fdg_server::webhook::WebhookConfig {
            base_delay: std::time::Duration::from_millis(5),
            max_delay: std::time::Duration::from_millis(20),
            max_attempts: 3,
            batch: 100,
            poll: std::time::Duration::from_millis(20),
            // The receiver is this test, on loopback over plain HTTP.
            allow_http: true,
            allow_private: true,
            ..Default::default()
        },
    );
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    let wait = std::time::Duration::from_secs(20);
    // First attempt refused, the retry delivered.
    let (_, first_body, first_status) = tokio::time::timeout(wait, received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_status, 500);
    let (sig, body, status) = tokio::time::timeout(wait, received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, first_body, "the same batch again");
    let (t, _) = sig.strip_prefix("t=").unwrap().split_once(',').unwrap();
    assert_eq!(
        sig,
        fdg_server::webhook::signature(&secret, t.parse().unwrap(), &body),
        "signed with the webhook's secret"
    );
    let delivered: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(delivered["events"].as_array().unwrap().len(), 3);
    assert_eq!(delivered["events"][2]["type"], "job_seeker_registered");

    // A batch that keeps failing is parked after three attempts, and delivery moves on.
    statuses.lock().unwrap().extend([500, 500, 500]);
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("010190-1234"),
    )
    .await;
    for _ in 0..3 {
        let (_, _, status) = tokio::time::timeout(wait, received.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status, 500);
    }
    let parked = tokio::time::timeout(wait, async {
        loop {
            let p = app.store.parked(Some(agreement.id)).await.unwrap();
            if !p.is_empty() {
                return p;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].attempts, 3);
    assert!(parked[0].last_error.contains("500"));
    // The deliveries were audited for the person.
    let person = delivered["events"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let entries = app.audit.for_person(&person, 100).await.unwrap();
    assert!(entries.iter().any(|e| e.entry.action == "webhook.delivery"));
}

/// A webhook is no way into the registry's own network: with the production defaults, a URL
/// over plain HTTP, or one whose host is on loopback, is refused at delivery with the reason,
/// and the receiver hears nothing; the batch is parked like an unreachable one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_may_not_reach_inside_the_network() {
    let app = spawn_app().await;
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let receiver = {
        let hits = hits.clone();
        Router::new().route(
            "/hook",
            axum::routing::post(move || {
                hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { StatusCode::OK }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let agreement = app
        .store
        .agreements()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.org.code == "STAT")
        .unwrap();
    app.post(
        &app.state_token,
        "/api/v1/jobseeker-registrations",
        &registration("070761-4285"),
    )
    .await;
    for (url, allow_http, reason) in [
        (
            format!("http://127.0.0.1:{port}/hook"),
            false,
            "http:// is not allowed",
        ),
        (
            format!("http://localhost:{port}/hook"),
            true,
            "inside this network",
        ),
    ] {
        app.store.set_webhook(agreement.id, &url, 0).await.unwrap();
        let delivery = fdg_server::webhook::spawn(
            app.state.clone(),
            fdg_server::webhook::WebhookConfig {
                base_delay: std::time::Duration::from_millis(5),
                max_delay: std::time::Duration::from_millis(10),
                max_attempts: 2,
                poll: std::time::Duration::from_millis(20),
                allow_http,
                ..Default::default()
            },
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let parked = loop {
            let parked = app.store.parked(Some(agreement.id)).await.unwrap();
            if let Some(p) = parked.into_iter().find(|p| p.last_error.contains(reason)) {
                break p;
            }
            assert!(std::time::Instant::now() < deadline, "not refused: {url}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        delivery.abort();
        assert!(
            parked.last_error.starts_with("refused"),
            "{}",
            parked.last_error
        );
    }
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the receiver heard nothing"
    );
}

/// An agreement subscribes itself to the event types it wants, idempotently, and its URL
/// receives only those; the operator is not needed. Refused for an organisation whose
/// agreement does not read the feed, and for nonsense.
#[tokio::test]
async fn an_agreement_subscribes_itself_to_event_types_and_receives_only_those() {
    let app = spawn_app().await;
    let (got, mut received) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let receiver = Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let got = got.clone();
            async move {
                let _ = got.send(body.to_vec());
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let put = |body: Value| {
        let app = &app;
        async move {
            app.call(
                Request::put("/api/v1/subscription")
                    .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
            .await
        }
    };
    // Nonsense is refused, naming what is wrong, in both languages.
    for bad in [
        json!({"url": "ftp://x", "types": ["job_seeker_deregistered"]}),
        json!({"url": url, "types": ["no_such_event"]}),
        json!({"url": url, "types": []}),
        json!({"url": format!("https://x/{}", "a".repeat(2000))}),
    ] {
        let r = put(bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert!(r.body["detail_da"].is_string(), "{}", r.text);
    }
    let wanted = json!({"url": url, "types": ["job_seeker_deregistered"]});
    let first = put(wanted.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(
        first.body["secret"].as_str().unwrap().len(),
        64,
        "{}",
        first.text
    );
    // The same again changes nothing and shows no secret.
    let again = put(wanted).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert!(again.body.get("secret").is_none(), "{}", again.text);
    assert_eq!(again.body["position"], first.body["position"]);
    // Another URL is signed with a new secret and carries on from the same position.
    let moved =
        put(json!({"url": format!("{url}/moved"), "types": ["job_seeker_deregistered"]})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_ne!(moved.body["secret"], first.body["secret"]);
    assert_eq!(moved.body["position"], first.body["position"]);
    let back = put(json!({"url": url, "types": ["job_seeker_deregistered"]})).await;
    assert!(back.body["secret"].is_string(), "{}", back.text);
    let shown = app.get(&app.state_token, "/api/v1/subscription").await;
    assert_eq!(shown.body["types"], json!(["job_seeker_deregistered"]));
    // The supervision authority never reads persons, so it may not subscribe to them.
    let refused = app
        .call(
            Request::put("/api/v1/subscription")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", app.supervisor_token),
                )
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"url": url}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);

    fdg_server::webhook::spawn(
        app.state.clone(),
        fdg_server::webhook::WebhookConfig {
            poll: std::time::Duration::from_millis(20),
            batch: 100,
            allow_http: true,
            allow_private: true,
            ..Default::default()
        },
    );
    let cpr = "070761-4285";
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-registrations",
            &registration(cpr),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &app.state_token,
            "/api/v1/jobseeker-deregistrations",
            &json!({"cpr": cpr, "name": "Jens Hansen", "deregistration_date": "2026-11-25",
                    "reason": "beskaeftigelse"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let body = tokio::time::timeout(std::time::Duration::from_secs(20), received.recv())
        .await
        .unwrap()
        .unwrap();
    let delivered: Value = serde_json::from_slice(&body).unwrap();
    let types: Vec<&str> = delivered["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["job_seeker_deregistered"], "{delivered}");
    // Every type the feed carries is one a subscription may name.
    let feed = app.get(&app.state_token, "/api/v1/events?after=0").await;
    for e in feed.body["events"].as_array().unwrap() {
        assert!(fdg_domain::Event::TYPE_NAMES.contains(&e["type"].as_str().unwrap()));
    }
    // Ended: nothing is subscribed any more.
    let end = app
        .call(
            Request::delete("/api/v1/subscription")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.state_token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(end.status, StatusCode::NO_CONTENT, "{}", end.text);
    let gone = app.get(&app.state_token, "/api/v1/subscription").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}
