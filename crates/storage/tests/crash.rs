//! Crash safety of the embedded store: a child process writes through the
//! storage interface and reports each acknowledged write; it is SIGKILLed at
//! random moments, and after every restart each acknowledged write must be
//! there and revisions must keep increasing.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use storage::embedded::EmbeddedBackend;
use storage::selection::default_attrs_func;
use storage::{Backend, GetOptions, Interface, Preconditions, Store, UpdateResult};

const CHILD_ENV: &str = "FERROKUBE_CRASH_CHILD_DIR";
const ROUNDS: usize = 20;

fn store(dir: &std::path::Path) -> (Arc<dyn Backend>, Store) {
    let backend: Arc<dyn Backend> = Arc::new(EmbeddedBackend::open(dir).unwrap());
    (backend.clone(), Store::new(backend, "/registry/configmaps/", default_attrs_func()))
}

fn object(name: &str, value: u64) -> Bytes {
    Bytes::from(format!(r#"{{"kind":"ConfigMap","metadata":{{"name":"{name}"}},"data":{{"n":"{value}"}}}}"#))
}

fn value_of(data: &[u8]) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(data).unwrap();
    v["data"]["n"].as_str().unwrap().parse().unwrap()
}

/// The child: creates keys and bumps a counter from 16 tasks until killed,
/// printing `create <key> <rev>` or `counter <n> <rev>` after each ack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let round: String = std::env::var("FERROKUBE_CRASH_ROUND").unwrap();
    let (_, store) = store(std::path::Path::new(&dir));
    let store = Arc::new(store);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    for task in 0..16u64 {
        let (store, tx, round) = (store.clone(), tx.clone(), round.clone());
        tokio::spawn(async move {
            for i in 0u64.. {
                if i % 4 == 0 {
                    let updated = store
                        .guaranteed_update(
                            "/registry/configmaps/counter",
                            &Preconditions::default(),
                            true,
                            Box::new(|cur| {
                                let next = cur.map_or(1, |c| value_of(&c.data) + 1);
                                Box::pin(async move {
                                    Ok(UpdateResult { data: object("counter", next), ttl_seconds: None })
                                })
                            }),
                        )
                        .await
                        .unwrap();
                    let _ = tx.send(format!("counter {} {}", value_of(&updated.data), updated.resource_version));
                } else {
                    let key = format!("/registry/configmaps/r{round}-t{task}-{i}");
                    let created = store.create(&key, object(&key, i), None).await.unwrap();
                    let _ = tx.send(format!("create {key} {}", created.resource_version));
                }
            }
        });
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    while let Some(line) = rx.recv().await {
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
    }
}

fn jitter_ms(max: u64) -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos() as u64 % max
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut acked: BTreeMap<String, u64> = BTreeMap::new();
    let mut counter_acked = 0u64;
    let mut highest_revision = 0u64;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env("FERROKUBE_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let kill_after = Duration::from_millis(jitter_ms(300));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(line) if line.ends_with("ready") => drop(ready_tx.send(())),
                    Ok(line) => lines.push(line),
                    Err(_) => break,
                }
            }
            lines
        });
        ready_rx.recv_timeout(Duration::from_secs(60)).expect("the child did not open the store");
        let started = Instant::now();
        std::thread::sleep(kill_after);
        child.kill().unwrap();
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        let mut round_acks = 0;
        for line in lines {
            let parts: Vec<&str> = line.split_whitespace().collect();
            if let ["create" | "counter", what, rev] = parts[..] {
                let rev: u64 = rev.parse().unwrap();
                assert!(rev > highest_revision, "round {round}: revision {rev} was handed out before the restart");
                if parts[0] == "create" {
                    acked.insert(what.to_string(), rev);
                } else {
                    counter_acked = counter_acked.max(what.parse().unwrap());
                }
                round_acks += 1;
            }
        }

        let reopening = Instant::now();
        let (backend, store) = store(dir.path());
        let reopened_in = reopening.elapsed();
        for (key, rev) in &acked {
            let got = store
                .get(key, &GetOptions::default())
                .await
                .unwrap_or_else(|e| panic!("round {round}: lost {key}: {e}"));
            assert_eq!(got.unwrap().resource_version, *rev, "round {round}: {key}");
        }
        if counter_acked > 0 {
            let counter = store.get("/registry/configmaps/counter", &GetOptions::default()).await.unwrap().unwrap();
            assert!(value_of(&counter.data) >= counter_acked, "round {round}: counter went back");
        }
        let current = backend.current_revision().await.unwrap();
        let max_acked = acked.values().copied().max().unwrap_or(0);
        assert!(current >= max_acked, "round {round}: revision {current} below an acknowledged {max_acked}");
        assert!(current >= highest_revision, "round {round}: the revision went backwards");
        highest_revision = current;
        drop((backend, store));
        eprintln!(
            "round {round}: killed after {:?}, {round_acks} acknowledged writes, revision {current}, reopened in {reopened_in:?}",
            started.elapsed()
        );
    }
    assert!(acked.len() > ROUNDS, "the child acknowledged too few writes to prove anything");
}
