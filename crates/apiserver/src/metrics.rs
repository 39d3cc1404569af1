//! `/metrics` in Prometheus text format with upstream's metric names.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The labels upstream puts on apiserver_request_total: the duration
/// labels plus the HTTP code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Verb, group, version, resource, subresource, scope, component.
    #[prometheus(flatten)]
    pub request: DurationLabels,
    /// The HTTP status code.
    pub code: String,
}

/// Duration labels: the request labels without the code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DurationLabels {
    /// The verb.
    pub verb: String,
    /// The API group.
    pub group: String,
    /// The API version.
    pub version: String,
    /// The resource.
    pub resource: String,
    /// The subresource.
    pub subresource: String,
    /// resource, namespace or cluster.
    pub scope: String,
    /// Always `apiserver`.
    pub component: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    durations: Family<DurationLabels, Histogram>,
    inflight: Family<InflightLabels, Gauge>,
}

/// Labels of apiserver_current_inflight_requests.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InflightLabels {
    /// readOnly or mutating.
    pub request_kind: String,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<DurationLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0,
                20.0, 30.0, 45.0, 60.0,
            ])
        });
        let inflight = Family::<InflightLabels, Gauge>::default();
        registry.register(
            "apiserver_request",
            "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
            requests.clone(),
        );
        registry.register(
            "apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
            durations.clone(),
        );
        registry.register(
            "apiserver_current_inflight_requests",
            "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.",
            inflight.clone(),
        );
        Metrics { registry: Mutex::new(registry), requests, durations, inflight }
    }
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, labels: DurationLabels, code: u16, elapsed: Duration) {
        self.durations.get_or_create(&labels).observe(elapsed.as_secs_f64());
        let labels = RequestLabels { request: labels, code: code.to_string() };
        self.requests.get_or_create(&labels).inc();
    }

    /// The gauge of requests in flight of one kind.
    pub fn inflight(&self, kind: &str) -> Gauge {
        self.inflight.get_or_create(&InflightLabels { request_kind: kind.to_string() }).clone()
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
