//! One complete sign-in, and a point: virtual users looping over flows at one concurrency.

use super::*;

pub(crate) struct Target {
    pub(crate) server: Arc<ServerInfo>,
    pub(crate) receiver: Arc<Receiver>,
}

pub(crate) struct ServerInfo {
    pub(crate) authorize: url::Url,
    pub(crate) token: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) scope: String,
    pub(crate) login: LoginKind,
}

/// One complete sign-in; the steps' names and durations, or where it failed.
pub(crate) async fn flow(
    http: &reqwest::Client,
    target: &Target,
    phone: &str,
    user: &str,
) -> Result<(), StepError> {
    let server = &target.server;
    let verifier = random_b64url(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_b64url(16);
    let mut authorize = server.authorize.clone();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &server.client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", &server.scope)
        .append_pair("state", &state)
        .append_pair("nonce", &random_b64url(16))
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut browser = Browser {
        http,
        jar: Jar::default(),
    };
    let mut landing = browser
        .go("authorize", reqwest::Method::GET, authorize, None)
        .await?;
    let mut code_wait = None;
    let mut seen = Vec::new();
    let callback = loop {
        let (url, html) = match landing {
            Landing::Callback(url) => break url,
            Landing::Page { url, html } => (url, html),
        };
        if seen.len() >= MAX_PAGES {
            return fail("authorize", "too many pages");
        }
        let Some(form) = pick(&html) else {
            return fail(
                "authorize",
                format!("no form at {}: {}", url.path(), text_of(&html)),
            );
        };
        let step = form.kind.step();
        if seen.contains(&form.kind) {
            return fail(step, format!("{step} page shown again: {}", text_of(&html)));
        }
        seen.push(form.kind);
        let body = match form.kind {
            FormKind::Phone => {
                code_wait = Some(target.receiver.expect(phone));
                form_body(&form, |a| {
                    (a.get("type").is_some_and(|t| t == "tel")
                        || a.get("autocomplete").is_some_and(|t| t == "tel"))
                    .then(|| phone.to_owned())
                })
            }
            FormKind::Code => {
                let Some(rx) = code_wait.take() else {
                    return fail("code", "a code page before the phone page");
                };
                let code = match tokio::time::timeout(Duration::from_secs(10), rx).await {
                    Ok(Ok(code)) => code,
                    _ => return fail("code_wait", "no SMS within 10 s"),
                };
                form_body(&form, |a| {
                    a.get("autocomplete")
                        .is_some_and(|t| t == "one-time-code")
                        .then(|| code.clone())
                })
            }
            FormKind::Login => form_body(&form, |a| {
                if a.get("type").is_some_and(|t| t == "password") {
                    Some(REFERENCE_PASSWORD.to_owned())
                } else if a.get("name").is_some_and(|n| n == "login")
                    || a.get("autocomplete").is_some_and(|t| t == "username")
                {
                    Some(user.to_owned())
                } else {
                    None
                }
            }),
            FormKind::Other => form_body(&form, |_| None),
        };
        let action = if form.action.is_empty() {
            url.clone()
        } else {
            url.join(&form.action).map_err(|e| StepError {
                step,
                message: e.to_string(),
            })?
        };
        landing = if form.method == "post" {
            browser
                .go(step, reqwest::Method::POST, action, Some(body))
                .await?
        } else {
            let mut action = action;
            action.set_query(Some(&body));
            browser.go(step, reqwest::Method::GET, action, None).await?
        };
    };
    let params: HashMap<String, String> = callback.query_pairs().into_owned().collect();
    if params.get("state") != Some(&state) {
        return fail("callback", format!("state mismatch: {callback}"));
    }
    let Some(code) = params.get("code") else {
        return fail("callback", format!("no code: {callback}"));
    };
    let basic = STANDARD.encode(format!(
        "{}:{}",
        urlencode(&server.client_id),
        urlencode(&server.client_secret)
    ));
    let body = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ])
    .unwrap();
    let res = http
        .post(&server.token)
        .header(AUTHORIZATION, format!("Basic {basic}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| StepError {
            step: "token",
            message: format!("{e:?}"),
        })?;
    let status = res.status();
    let text = res.text().await.map_err(|e| StepError {
        step: "token",
        message: format!("{e:?}"),
    })?;
    if !status.is_success() {
        return fail("token", format!("HTTP {status}: {text}"));
    }
    let tokens: serde_json::Value = serde_json::from_str(&text).map_err(|e| StepError {
        step: "token",
        message: e.to_string(),
    })?;
    if !tokens["id_token"].is_string() || !tokens["access_token"].is_string() {
        return fail("token", format!("no tokens: {text}"));
    }
    Ok(())
}

/// RFC 6749 §2.3.1: client_secret_basic form-encodes id and secret first.
pub(crate) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ---------------------------------------------------------------- a point

/// How long each point warms up and measures, and the length of a CPU tick.
#[derive(Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
    pub(crate) tick_ms: f64,
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Users {
    New,
    Returning,
}

pub(crate) struct Point {
    pub(crate) flows: usize,
    pub(crate) flows_per_s: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) failed: HashMap<&'static str, usize>,
    pub(crate) samples: Vec<String>,
    pub(crate) user_ms: f64,
    pub(crate) sys_ms: f64,
    pub(crate) db_ms: Option<f64>,
    pub(crate) commits: Option<f64>,
    /// The server's context switches per flow.
    pub(crate) switches: Option<f64>,
    pub(crate) sms_connections: Option<f64>,
}

pub(crate) static PHONES: AtomicU64 = AtomicU64::new(0);

pub(crate) fn phone_for(users: Users, vu: usize) -> String {
    match users {
        Users::New => format!(
            "+447400{:06}",
            PHONES.fetch_add(1, Ordering::Relaxed) % 1_000_000
        ),
        Users::Returning => format!("+447911{:06}", vu),
    }
}

pub(crate) async fn db_cpu(server: &Server, tick_ms: f64) -> Option<HashMap<u32, f64>> {
    let db = server.database.as_ref()?;
    Some(
        db.backend_pids()
            .await
            .into_iter()
            .filter_map(|pid| cpu_ms(pid, tick_ms).map(|(u, s)| (pid, u + s)))
            .collect(),
    )
}

pub(crate) async fn run_point(
    server: &Server,
    target: &Target,
    http: &reqwest::Client,
    users: Users,
    concurrency: usize,
    timing: Timing,
) -> Point {
    let Timing {
        warmup,
        duration,
        tick_ms,
    } = timing;
    // The warm-up signs every returning user up once.
    let warm_until = Instant::now() + warmup;
    let measure_until = warm_until + duration;
    let results = Arc::new(Mutex::new((Vec::<f64>::new(), HashMap::new(), Vec::new())));
    let pid = server.child.id();
    let mut tasks = Vec::new();
    let target = Arc::new(Target {
        server: target.server.clone(),
        receiver: target.receiver.clone(),
    });
    for vu in 0..concurrency {
        let (http, target, results) = (http.clone(), target.clone(), results.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let started = Instant::now();
                if started >= measure_until {
                    break;
                }
                let phone = phone_for(users, vu);
                let outcome = flow(&http, &target, &phone, &format!("flowbench-{vu}")).await;
                let ended = Instant::now();
                if started < warm_until || ended > measure_until {
                    continue;
                }
                let mut r = results.lock().unwrap();
                match outcome {
                    Ok(()) => r.0.push((ended - started).as_secs_f64() * 1000.0),
                    Err(e) => {
                        *r.1.entry(e.step).or_insert(0usize) += 1;
                        if r.2.len() < 5 {
                            r.2.push(format!("{}: {}", e.step, e.message));
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep_until(warm_until.into()).await;
    let cpu0 = cpu_ms(pid, tick_ms).unwrap_or_default();
    let switches0 = context_switches(pid);
    let db0 = db_cpu(server, tick_ms).await;
    let commits0 = match &server.database {
        Some(db) => Some(db.commits().await),
        None => None,
    };
    let sms0 = target.receiver.connections.load(Ordering::Relaxed) as f64;
    let msg0 = target.receiver.messages.load(Ordering::Relaxed) as f64;
    tokio::time::sleep_until(measure_until.into()).await;
    let cpu1 = cpu_ms(pid, tick_ms).unwrap_or_default();
    let switches1 = context_switches(pid);
    let db1 = db_cpu(server, tick_ms).await;
    let sms1 = target.receiver.connections.load(Ordering::Relaxed) as f64;
    let msg1 = target.receiver.messages.load(Ordering::Relaxed) as f64;
    for task in tasks {
        task.await.unwrap();
    }
    // pg_stat_database is updated when backends go idle: read it after the tail.
    let commits1 = match &server.database {
        Some(db) => {
            tokio::time::sleep(Duration::from_millis(1200)).await;
            Some(db.commits().await)
        }
        None => None,
    };
    let (mut lat, failed, samples) = std::mem::take(&mut *results.lock().unwrap());
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let flows = lat.len();
    let pct = |p: f64| {
        if lat.is_empty() {
            0.0
        } else {
            lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)]
        }
    };
    let per_flow = |v: f64| if flows == 0 { 0.0 } else { v / flows as f64 };
    let db_ms = match (db0, db1) {
        (Some(a), Some(b)) => Some(per_flow(
            b.iter()
                .map(|(pid, ms)| ms - a.get(pid).copied().unwrap_or(0.0))
                .sum(),
        )),
        _ => None,
    };
    Point {
        flows,
        flows_per_s: flows as f64 / duration.as_secs_f64(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        failed,
        samples,
        user_ms: per_flow(cpu1.0 - cpu0.0),
        sys_ms: per_flow(cpu1.1 - cpu0.1),
        db_ms,
        commits: match (commits0, commits1) {
            (Some(a), Some(b)) => Some(per_flow(b - a)),
            _ => None,
        },
        switches: match (switches0, switches1) {
            (Some(a), Some(b)) => Some(per_flow(b - a)),
            _ => None,
        },
        sms_connections: (server.login == LoginKind::SmsCode && msg1 > msg0)
            .then(|| (sms1 - sms0) / (msg1 - msg0)),
    }
}

pub(crate) async fn discover(server: &Server) -> ServerInfo {
    let doc: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    ServerInfo {
        authorize: url::Url::parse(doc["authorization_endpoint"].as_str().unwrap()).unwrap(),
        token: doc["token_endpoint"].as_str().unwrap().to_owned(),
        client_id: server.client_id.clone(),
        client_secret: server.client_secret.clone(),
        scope: server.scope.clone(),
        login: server.login,
    }
}
