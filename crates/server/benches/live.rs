//! Live-poke propagation: a hub on PostgreSQL (two instances on one
//! database) with 1,000 enrolled devices, each holding a live WebSocket, all
//! simulated in this one tokio runtime. Each round device A pushes one op to
//! instance 1; device B1 (socket on instance 1) and device B2 (socket on
//! instance 2, so its poke crosses LISTEN/NOTIFY) pull when poked. Measured:
//! push start -> the pull that returns the op, for B1 and B2; the push's own
//! answer; push start -> every socket poked. Prints figures, asserts none.
//!
//! `cargo bench -p stockroom-server --bench live [-- --devices N --rounds N]`
//! PostgreSQL from STOCKROOM_TEST_POSTGRES_URL (default
//! postgres://postgres@127.0.0.1:5432); a database is made and dropped.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use serde_json::json;
use stockroom_protocol::ops::{AccountEntry, AccountEntryKind, PaymentMethod};
use stockroom_protocol::snapshot::LivePoke;
use stockroom_protocol::sync::{
    EnrolCodeResponse, EnrolRequest, EnrolResponse, FeedChange, PullResponse, PushRequest, PushResponse, RawOpEnvelope,
    SCHEMA_VERSION,
};
use stockroom_protocol::{Hlc, Op, OpEnvelope, PROTOCOL_VERSION};
use stockroom_server::accounts::{self, NewUser};
use stockroom_server::policy::Role;
use stockroom_server::AppState;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// A round that takes longer than this is reported as stuck.
const STUCK: Duration = Duration::from_secs(30);
const PASSWORD: &str = "bench password 1";

struct Options {
    devices: usize,
    rounds: usize,
}

fn options() -> Result<Options> {
    let mut options = Options {
        devices: 1000,
        rounds: 300,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--devices" => options.devices = args.next().context("--devices N")?.parse()?,
            "--rounds" => options.rounds = args.next().context("--rounds N")?.parse()?,
            // cargo bench passes --bench; ignore what is not ours.
            _ => {}
        }
    }
    if options.devices < 3 {
        bail!("--devices must be at least 3 (A, B1, B2)");
    }
    Ok(options)
}

#[derive(Clone)]
struct Device {
    device_id: Uuid,
    epoch: u32,
    token: String,
    user_id: Uuid,
}

fn main() -> Result<()> {
    let options = options()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(bench(options))
}

async fn bench(options: Options) -> Result<()> {
    let server = std::env::var("STOCKROOM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
    let name = format!("stockroom_hub_bench_{}", Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&format!("{server}/postgres")).await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
    let outcome = run_bench(&options, &format!("{server}/{name}")).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await?;
    admin.close().await;
    outcome
}

async fn serve(url: &str) -> Result<(String, AppState)> {
    let state = AppState::new(stockroom_server::open(url).await?);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("127.0.0.1:{}", listener.local_addr()?.port());
    tokio::spawn(stockroom_server::run(listener, state.clone(), std::future::pending()));
    Ok((base, state))
}

async fn run_bench(options: &Options, url: &str) -> Result<()> {
    let (instance_1, state_1) = serve(url).await?;
    let (instance_2, _state_2) = serve(url).await?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "live bench: {} devices, {} rounds, 2 hub instances on one PostgreSQL database; cores {}; loadavg {}",
        options.devices,
        options.rounds,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.trim()
    );

    let http = reqwest::Client::new();
    let started = Instant::now();
    let devices = enrol_devices(&http, &state_1, &instance_1, options.devices).await?;
    println!(
        "enrolled {} devices (one by password, the rest by one-time codes) in {:.1} s",
        devices.len(),
        started.elapsed().as_secs_f64()
    );

    // Every socket but A's. B1 on instance 1, B2 on instance 2, the rest
    // alternating. Each counts itself into `reached` when poked at `target`.
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let reached = Arc::new(AtomicUsize::new(0));
    let all_poked = Arc::new(Notify::new());
    let n_sockets = devices.len() - 1;
    let started = Instant::now();
    let (found_1, mut found_rx_1) = mpsc::unbounded_channel();
    let (found_2, mut found_rx_2) = mpsc::unbounded_channel();
    for (index, device) in devices.iter().enumerate().skip(1) {
        let instance = if index % 2 == 1 { &instance_1 } else { &instance_2 };
        let mut request = format!("ws://{instance}/v1/sync/live").into_client_request()?;
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {}", device.token).parse()?);
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("socket {index}"))?;
        let puller = match index {
            1 => Some((instance_1.clone(), found_1.clone())),
            2 => Some((instance_2.clone(), found_2.clone())),
            _ => None,
        };
        let counting = Counting {
            target: target.clone(),
            reached: reached.clone(),
            all_poked: all_poked.clone(),
            n_sockets,
        };
        tokio::spawn(listen(
            socket,
            counting,
            puller.map(|(base, found)| Puller {
                http: http.clone(),
                base,
                token: device.token.clone(),
                found,
            }),
        ));
    }
    println!("{n_sockets} sockets open in {:.1} s", started.elapsed().as_secs_f64());

    let pusher = &devices[0];
    let mut same_instance = Vec::new();
    let mut cross_instance = Vec::new();
    let mut push_answer = Vec::new();
    let mut fan_out = Vec::new();
    for round in 1..=options.rounds as u64 {
        let op = envelope(pusher, round);
        reached.store(0, Ordering::SeqCst);
        target.store(round, Ordering::SeqCst);
        let start = Instant::now();
        let pushed: PushResponse = http
            .post(format!("http://{instance_1}/v1/sync/push"))
            .bearer_auth(&pusher.token)
            .json(&PushRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: SCHEMA_VERSION,
                device_id: pusher.device_id,
                epoch: pusher.epoch,
                ops: vec![op.clone()],
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        push_answer.push(start.elapsed());
        if pushed.acked_through_seq != round {
            bail!("round {round}: push acknowledged {}", pushed.acked_through_seq);
        }
        same_instance.push(wait_for(&mut found_rx_1, op.op_id, start).await?);
        cross_instance.push(wait_for(&mut found_rx_2, op.op_id, start).await?);
        tokio::time::timeout(STUCK, all_poked.notified())
            .await
            .with_context(|| format!("round {round}: not every socket was poked"))?;
        fan_out.push(start.elapsed());
    }

    println!();
    println!(
        "| measured from push start, {} rounds | p50 | p99 | max |",
        options.rounds
    );
    println!("|---|---|---|---|");
    report("push answered (instance 1)", &mut push_answer);
    report("B1 pull returns the op (socket on instance 1)", &mut same_instance);
    report(
        "B2 pull returns the op (socket on instance 2, via NOTIFY)",
        &mut cross_instance,
    );
    report(&format!("all {n_sockets} sockets poked"), &mut fan_out);
    Ok(())
}

/// Enrols the first device with a password (an owner's), then the rest with
/// one-time codes it makes: no password hashing per device.
async fn enrol_devices(http: &reqwest::Client, state: &AppState, base: &str, n_devices: usize) -> Result<Vec<Device>> {
    let now_ms = state.clock.now_ms();
    for (username, role) in [("bench-owner", Role::Owner), ("bench-till", Role::Cashier)] {
        let user = NewUser {
            tenant_name: "Bench Chain".into(),
            username: username.into(),
            display_name: username.into(),
            role,
            password: PASSWORD.into(),
        };
        accounts::add_user(&*state.store, user, now_ms).await?;
    }
    let owner = enrol(
        http,
        base,
        &EnrolRequest {
            protocol_version: PROTOCOL_VERSION,
            username: "bench-owner".into(),
            password: PASSWORD.into(),
            ..EnrolRequest::default()
        },
    )
    .await?;
    let enrolled = futures_util::stream::iter(1..n_devices)
        .map(|_| async {
            let code: EnrolCodeResponse = http
                .post(format!("http://{base}/v1/enrol/codes"))
                .bearer_auth(&owner.token)
                .json(&json!({ "username": "bench-till" }))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let request = EnrolRequest {
                protocol_version: PROTOCOL_VERSION,
                enrolment_code: Some(code.code),
                ..EnrolRequest::default()
            };
            enrol(http, base, &request).await
        })
        .buffer_unordered(16)
        .collect::<Vec<Result<Device>>>()
        .await;
    let mut devices = vec![owner];
    for device in enrolled {
        devices.push(device?);
    }
    Ok(devices)
}

async fn enrol(http: &reqwest::Client, base: &str, request: &EnrolRequest) -> Result<Device> {
    let enrolled: EnrolResponse = http
        .post(format!("http://{base}/v1/enrol"))
        .json(request)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(Device {
        device_id: enrolled.device_id,
        epoch: enrolled.epoch,
        token: enrolled.session_token,
        user_id: enrolled.user_id,
    })
}

struct Counting {
    target: Arc<AtomicU64>,
    reached: Arc<AtomicUsize>,
    all_poked: Arc<Notify>,
    n_sockets: usize,
}

/// A listening device that pulls when poked and reports each op it pulls.
struct Puller {
    http: reqwest::Client,
    base: String,
    token: String,
    found: mpsc::UnboundedSender<(Uuid, Instant)>,
}

async fn listen<S>(mut socket: S, counting: Counting, mut puller: Option<Puller>)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut last = 0;
    let mut cursor = String::new();
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else { continue };
        let Ok(poke) = serde_json::from_str::<LivePoke>(&text) else {
            continue;
        };
        let target = counting.target.load(Ordering::SeqCst);
        if poke.position >= target && last < target {
            let reached = counting.reached.fetch_add(1, Ordering::SeqCst) + 1;
            if reached == counting.n_sockets {
                counting.all_poked.notify_one();
            }
        }
        last = last.max(poke.position);
        if let Some(puller) = &mut puller {
            if let Err(error) = pull(puller, &mut cursor).await {
                eprintln!("pull failed: {error:#}");
            }
        }
    }
}

async fn pull(puller: &mut Puller, cursor: &mut String) -> Result<()> {
    loop {
        let page: PullResponse<RawOpEnvelope> = puller
            .http
            .get(format!("http://{}/v1/sync/pull", puller.base))
            .query(&[("since", cursor.as_str()), ("limit", "500")])
            .bearer_auth(&puller.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let now = Instant::now();
        for entry in &page.changes {
            if let FeedChange::Op(op) = &entry.change {
                let _ = puller.found.send((op.op_id, now));
            }
        }
        *cursor = page.next;
        if !page.more {
            return Ok(());
        }
    }
}

/// Waits until the puller reports `op_id`; the time from `start`.
async fn wait_for(
    found: &mut mpsc::UnboundedReceiver<(Uuid, Instant)>,
    op_id: Uuid,
    start: Instant,
) -> Result<Duration> {
    loop {
        let (seen, at) = tokio::time::timeout(STUCK, found.recv())
            .await
            .context("the listening device never pulled the op")?
            .context("the listening device stopped")?;
        if seen == op_id {
            return Ok(at.saturating_duration_since(start));
        }
    }
}

fn envelope(device: &Device, seq: u64) -> OpEnvelope {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    OpEnvelope {
        op_id: Uuid::now_v7(),
        device_id: device.device_id,
        epoch: device.epoch,
        seq,
        hlc: Hlc::new(now_ms, 0),
        user_id: device.user_id,
        type_version: 1,
        op: Op::PaymentReceived(AccountEntry {
            id: Uuid::now_v7(),
            customer_id: Uuid::from_u128(77),
            kind: AccountEntryKind::Payment,
            amount_minor: -100,
            currency: "EUR".into(),
            ref_id: None,
            method: Some(PaymentMethod::Cash),
        }),
    }
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |quantile: f64| {
        let index = ((samples.len() as f64 * quantile).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[index].as_secs_f64() * 1000.0
    };
    println!(
        "| {what} | {:.1} ms | {:.1} ms | {:.1} ms |",
        at(0.50),
        at(0.99),
        samples.last().map_or(0.0, |max| max.as_secs_f64() * 1000.0)
    );
}
