//! Storage figures, printed (not asserted): write throughput of the embedded
//! store and of etcd side by side, list latency from the watch cache, watch
//! fan-out to 1,000 watchers, and the cache's memory per object.
//!
//! `cargo bench -p storage` (etcd figures need the `etcd` binary on PATH).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use storage::cacher::{Cacher, CacherConfig};
use storage::embedded::EmbeddedBackend;
use storage::etcd3::{EtcdBackend, EtcdConfig};
use storage::selection::default_attrs_func;
use storage::{Backend, EventType, Interface, ListOptions, Store, WatchOptions};

/// Counts live heap bytes, to measure what the cache retains.
struct Counting;
static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PREFIX: &str = "/registry/pods/";

/// A pod as kubectl would store it, about 1.3 KB of JSON.
fn pod(i: usize) -> Bytes {
    Bytes::from(format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"web-{i}","namespace":"default","uid":"6f1c2a8e-0000-4000-8000-{i:012}","labels":{{"app":"web","pod-template-hash":"5d8f7c9b4","tier":"frontend"}},"annotations":{{"kubernetes.io/psp":"restricted"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5d8f7c9b4","uid":"1b2c3d4e-0000-4000-8000-000000000001","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"containers":[{{"name":"web","image":"nginx:1.27","ports":[{{"containerPort":80,"protocol":"TCP"}}],"resources":{{"requests":{{"cpu":"100m","memory":"128Mi"}}}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","nodeName":"node-{n}","schedulerName":"default-scheduler","enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority","priority":0}},"status":{{"phase":"Running","podIP":"10.244.{n}.{m}","hostIP":"192.168.0.{n}","qosClass":"Burstable","startTime":"2026-12-01T10:00:00Z"}}}}"#,
        n = i % 250,
        m = i % 200,
    ))
}

fn value_256(i: usize) -> Bytes {
    let mut s = format!(r#"{{"kind":"ConfigMap","metadata":{{"name":"k{i}"}},"data":{{"v":""#);
    while s.len() < 254 {
        s.push('x');
    }
    s.push_str("\"}}");
    Bytes::from(s)
}

async fn writes_per_second(backend: Arc<dyn Backend>, writers: usize, duration: Duration) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (backend, done) = (backend.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while Instant::now() < deadline {
                    let key = format!("/bench/writes/{writers}/{w}/{i}");
                    backend.create(&key, value_256(i), None).await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    let start = Instant::now();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

async fn fill(backend: &Arc<dyn Backend>, count: usize) {
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (backend, next) = (backend.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= count {
                        return;
                    }
                    backend.create(&format!("{PREFIX}default/web-{i:07}"), pod(i), None).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

async fn bench_writes() {
    println!("== writes/s, 256-byte values (3 s each) ==");
    let dir = tempfile::tempdir().unwrap();
    let embedded: Arc<dyn Backend> = Arc::new(EmbeddedBackend::open(dir.path()).unwrap());
    let etcd = std::process::Command::new("etcd").arg("--version").output().is_ok().then(testkit::EtcdServer::start);
    let etcd_backend: Option<Arc<dyn Backend>> = etcd.as_ref().map(|e| {
        Arc::new(EtcdBackend::connect(&EtcdConfig { endpoints: vec![e.url.clone()], ..Default::default() }).unwrap())
            as Arc<dyn Backend>
    });
    for writers in [1, 64] {
        let ours = writes_per_second(embedded.clone(), writers, Duration::from_secs(3)).await;
        let theirs = match &etcd_backend {
            Some(b) => format!("{:>9.0}", writes_per_second(b.clone(), writers, Duration::from_secs(3)).await),
            None => "  (no etcd)".into(),
        };
        println!("{writers:>3} writers: embedded {ours:>9.0}   etcd {theirs}");
    }
}

async fn bench_lists() {
    println!("== LIST from the watch cache (pods of ~1.3 KB) ==");
    for count in [10_000, 100_000] {
        let dir = tempfile::tempdir().unwrap();
        let backend: Arc<dyn Backend> = Arc::new(EmbeddedBackend::open(dir.path()).unwrap());
        fill(&backend, count).await;
        let cacher = Cacher::new(Store::new(backend.clone(), PREFIX, default_attrs_func()), CacherConfig::default());
        cacher.wait_ready().await;
        for (label, rv) in [("rv=0", Some(0)), ("consistent", None)] {
            let mut times = Vec::new();
            for _ in 0..20 {
                let opts = ListOptions { recursive: true, resource_version: rv, ..Default::default() };
                let start = Instant::now();
                let list = cacher.get_list(PREFIX, &opts).await.unwrap();
                times.push(start.elapsed());
                assert_eq!(list.items.len(), count);
            }
            times.sort();
            println!(
                "{count:>7} objects, {label:<10}: p50 {:>9.2?}  p99 {:>9.2?}",
                percentile(&times, 0.5),
                percentile(&times, 0.99)
            );
        }
    }
}

async fn bench_memory() {
    println!("== watch cache memory per object ==");
    let dir = tempfile::tempdir().unwrap();
    let backend: Arc<dyn Backend> = Arc::new(EmbeddedBackend::open(dir.path()).unwrap());
    let count = 20_000;
    fill(&backend, count).await;
    let encoded: usize = (0..count).map(|i| pod(i).len() + 20).sum();
    let cacher = Cacher::new(Store::new(backend.clone(), PREFIX, default_attrs_func()), CacherConfig::default());
    cacher.wait_ready().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let with_cache = LIVE.load(Ordering::SeqCst);
    drop(cacher);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let without = LIVE.load(Ordering::SeqCst);
    let retained = (with_cache - without) as f64;
    println!(
        "{count} pods, {:.0} bytes encoded each: cache holds {:.0} bytes per object = {:.2}x the encoded size",
        encoded as f64 / count as f64,
        retained / count as f64,
        retained / encoded as f64
    );
}

async fn bench_fanout() {
    println!("== watch fan-out: 1,000 watchers behind the cache ==");
    let dir = tempfile::tempdir().unwrap();
    let backend: Arc<dyn Backend> = Arc::new(EmbeddedBackend::open(dir.path()).unwrap());
    let cacher =
        Arc::new(Cacher::new(Store::new(backend.clone(), PREFIX, default_attrs_func()), CacherConfig::default()));
    cacher.wait_ready().await;
    const WATCHERS: usize = 1000;
    const EVENTS: usize = 2000;
    let start_rv = cacher.current_resource_version().await.unwrap();
    let acked: Arc<std::sync::Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let mut watchers = Vec::new();
    for _ in 0..WATCHERS {
        let mut stream = cacher
            .watch(PREFIX, WatchOptions { resource_version: Some(start_rv), recursive: true, ..Default::default() })
            .await
            .unwrap();
        watchers.push(tokio::spawn(async move {
            let mut seen = Vec::with_capacity(EVENTS);
            while seen.len() < EVENTS {
                match stream.next().await {
                    Some(Ok(e)) if e.event_type == EventType::Added => seen.push((e.resource_version, Instant::now())),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                }
            }
            seen
        }));
    }
    let start = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..64)
        .map(|_| {
            let (cacher, next, acked) = (cacher.clone(), next.clone(), acked.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= EVENTS {
                        return;
                    }
                    let created = cacher.create(&format!("{PREFIX}default/web-{i:07}"), pod(i), None).await.unwrap();
                    acked.lock().unwrap().push((created.resource_version, Instant::now()));
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let acked: std::collections::HashMap<u64, Instant> = acked.lock().unwrap().iter().copied().collect();
    let mut latencies = Vec::with_capacity(WATCHERS * EVENTS);
    let mut delivered = 0;
    let mut last = start;
    for w in watchers {
        let seen = w.await.unwrap();
        delivered += seen.len();
        for (rv, at) in seen {
            last = last.max(at);
            latencies.push(at.saturating_duration_since(acked[&rv]));
        }
    }
    let elapsed = last.duration_since(start).as_secs_f64();
    latencies.sort();
    println!(
        "{EVENTS} events x {WATCHERS} watchers: {delivered} delivered ({} lost) in {elapsed:.2}s = {:.0} events/s; delivery after ack p50 {:.2?} p99 {:.2?}",
        WATCHERS * EVENTS - delivered,
        delivered as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        bench_writes().await;
        bench_lists().await;
        bench_memory().await;
        bench_fanout().await;
    });
}
