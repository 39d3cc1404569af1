//! The etcd3 backend: upstream's UnderlyingStorage, speaking etcd's v3 gRPC
//! API to one or more endpoints. Conditional writes are transactions on the
//! key's mod revision, TTLs are leases, and watches ask for the previous
//! value and for progress notifications.

mod leases;
mod proto;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use self::leases::LeaseManager;
use self::proto::{paths, request_op::Request, response_op::Response};
use crate::backend::{Backend, BackendEvent, BackendWatch, KeyValue, RangeResult, WriteOutcome};
use crate::{Result, StorageError};

/// How to reach etcd: kube-apiserver's `--etcd-servers` and
/// `--etcd-cafile/--etcd-certfile/--etcd-keyfile`.
#[derive(Debug, Clone, Default)]
pub struct EtcdConfig {
    /// Endpoint URLs such as `http://127.0.0.1:2379`.
    pub endpoints: Vec<String>,
    /// CA bundle that signs the servers' certificates.
    pub ca_file: Option<PathBuf>,
    /// Client certificate for mutual TLS.
    pub cert_file: Option<PathBuf>,
    /// Key of the client certificate.
    pub key_file: Option<PathBuf>,
}

/// A connection to an etcd cluster.
#[derive(Clone)]
pub struct EtcdBackend {
    channel: Channel,
    leases: LeaseManager,
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| StorageError::Backend(format!("cannot read {}: {e}", path.display())))
}

fn status_error(status: tonic::Status) -> StorageError {
    let message = status.message();
    if message.contains("required revision has been compacted") {
        StorageError::Expired { message: message.to_string() }
    } else {
        StorageError::Backend(format!("etcd: {message} ({:?})", status.code()))
    }
}

fn header_revision(header: &Option<proto::ResponseHeader>) -> u64 {
    header.as_ref().map_or(0, |h| h.revision.max(0) as u64)
}

fn to_kv(kv: proto::KeyValue) -> KeyValue {
    KeyValue {
        key: String::from_utf8_lossy(&kv.key).into_owned(),
        value: kv.value,
        create_revision: kv.create_revision.max(0) as u64,
        mod_revision: kv.mod_revision.max(0) as u64,
    }
}

fn range_op(key: &str) -> proto::RequestOp {
    proto::RequestOp { request: Some(Request::Range(proto::RangeRequest { key: key.into(), ..Default::default() })) }
}

impl EtcdBackend {
    /// Connects to the endpoints (lazily: the first call reports an
    /// unreachable cluster).
    pub fn connect(config: &EtcdConfig) -> Result<Self> {
        if config.endpoints.is_empty() {
            return Err(StorageError::Backend("no etcd endpoints given".into()));
        }
        let tls = match (&config.ca_file, &config.cert_file, &config.key_file) {
            (None, None, None) => None,
            (ca, cert, key) => {
                let mut tls = ClientTlsConfig::new();
                if let Some(ca) = ca {
                    tls = tls.ca_certificate(Certificate::from_pem(read_file(ca)?));
                }
                if let (Some(cert), Some(key)) = (cert, key) {
                    tls = tls.identity(Identity::from_pem(read_file(cert)?, read_file(key)?));
                }
                Some(tls)
            }
        };
        let mut endpoints = Vec::new();
        for url in &config.endpoints {
            let mut endpoint = Endpoint::from_shared(url.clone())
                .map_err(|e| StorageError::Backend(format!("bad etcd endpoint {url}: {e}")))?
                .connect_timeout(Duration::from_secs(5))
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(30))
                .keep_alive_while_idle(true);
            if let Some(tls) = &tls {
                endpoint =
                    endpoint.tls_config(tls.clone()).map_err(|e| StorageError::Backend(format!("etcd TLS: {e}")))?;
            }
            endpoints.push(endpoint);
        }
        let channel = Channel::balance_list(endpoints.into_iter());
        Ok(EtcdBackend { leases: LeaseManager::default(), channel })
    }

    fn grpc(&self) -> tonic::client::Grpc<Channel> {
        tonic::client::Grpc::new(self.channel.clone())
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX)
    }

    async fn unary<Req, Resp>(&self, path: &'static str, request: Req) -> Result<Resp>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = self.grpc();
        grpc.ready().await.map_err(|e| StorageError::Backend(format!("etcd unreachable: {e}")))?;
        let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
        let response = grpc
            .unary(tonic::Request::new(request), PathAndQuery::from_static(path), codec)
            .await
            .map_err(status_error)?;
        Ok(response.into_inner())
    }

    async fn txn(
        &self,
        compare: proto::Compare,
        success: proto::RequestOp,
        key: &str,
    ) -> Result<(proto::TxnResponse, Option<KeyValue>)> {
        let request =
            proto::TxnRequest { compare: vec![compare], success: vec![success], failure: vec![range_op(key)] };
        let response: proto::TxnResponse = self.unary(paths::TXN, request).await?;
        let current = if response.succeeded {
            None
        } else {
            response.responses.first().and_then(|r| match &r.response {
                Some(Response::Range(range)) => range.kvs.first().cloned().map(to_kv),
                _ => None,
            })
        };
        Ok((response, current))
    }

    async fn put_if(&self, compare: proto::Compare, key: &str, value: Bytes, ttl: Option<u64>) -> Result<WriteOutcome> {
        let lease = match ttl {
            Some(ttl) => self.leases.lease_for(self, ttl).await?,
            None => 0,
        };
        let put = proto::PutRequest { key: key.into(), value: value.clone(), lease, prev_kv: true };
        let (response, current) = self.txn(compare, proto::RequestOp { request: Some(Request::Put(put)) }, key).await?;
        if !response.succeeded {
            return Ok(WriteOutcome::ConditionFailed { current });
        }
        let revision = header_revision(&response.header);
        let prev_create = response.responses.first().and_then(|r| match &r.response {
            Some(Response::Put(put)) => put.prev_kv.as_ref().map(|p| p.create_revision.max(0) as u64),
            _ => None,
        });
        let kv = KeyValue {
            key: key.to_string(),
            value,
            create_revision: prev_create.unwrap_or(revision),
            mod_revision: revision,
        };
        Ok(WriteOutcome::Committed { kv, revision })
    }

    pub(crate) async fn grant_lease(&self, ttl: i64) -> Result<i64> {
        let response: proto::LeaseGrantResponse =
            self.unary(paths::LEASE_GRANT, proto::LeaseGrantRequest { ttl, id: 0 }).await?;
        if !response.error.is_empty() {
            return Err(StorageError::Backend(format!("etcd lease grant: {}", response.error)));
        }
        Ok(response.id)
    }
}

fn compare(key: &str, target: i32, union: proto::compare::TargetUnion) -> proto::Compare {
    proto::Compare { result: proto::compare_result::EQUAL, target, key: key.into(), target_union: Some(union) }
}

#[async_trait]
impl Backend for EtcdBackend {
    async fn get(&self, key: &str) -> Result<(Option<KeyValue>, u64)> {
        let response: proto::RangeResponse =
            self.unary(paths::RANGE, proto::RangeRequest { key: key.into(), ..Default::default() }).await?;
        let revision = header_revision(&response.header);
        Ok((response.kvs.into_iter().next().map(to_kv), revision))
    }

    async fn range(&self, start: &str, end: &str, revision: u64, limit: usize) -> Result<RangeResult> {
        let request = proto::RangeRequest {
            key: start.into(),
            range_end: end.into(),
            limit: limit as i64,
            revision: revision as i64,
            ..Default::default()
        };
        let response: proto::RangeResponse = match self.unary(paths::RANGE, request).await {
            Err(StorageError::Backend(message)) if message.contains("future revision") => {
                let current = self.current_revision().await?;
                return Err(StorageError::TooLargeResourceVersion { requested: revision, current });
            }
            other => other?,
        };
        let read_at = if revision == 0 { header_revision(&response.header) } else { revision };
        Ok(RangeResult {
            kvs: response.kvs.into_iter().map(to_kv).collect(),
            more: response.more,
            count: response.count.max(0) as u64,
            revision: read_at,
        })
    }

    async fn count(&self, start: &str, end: &str) -> Result<u64> {
        let request =
            proto::RangeRequest { key: start.into(), range_end: end.into(), count_only: true, ..Default::default() };
        let response: proto::RangeResponse = self.unary(paths::RANGE, request).await?;
        Ok(response.count.max(0) as u64)
    }

    async fn create(&self, key: &str, value: Bytes, ttl_seconds: Option<u64>) -> Result<WriteOutcome> {
        let absent = compare(key, proto::compare_target::CREATE, proto::compare::TargetUnion::CreateRevision(0));
        self.put_if(absent, key, value, ttl_seconds).await
    }

    async fn update(&self, key: &str, value: Bytes, expected: u64, ttl_seconds: Option<u64>) -> Result<WriteOutcome> {
        let unchanged =
            compare(key, proto::compare_target::MOD, proto::compare::TargetUnion::ModRevision(expected as i64));
        self.put_if(unchanged, key, value, ttl_seconds).await
    }

    async fn delete(&self, key: &str, expected: u64) -> Result<WriteOutcome> {
        let unchanged =
            compare(key, proto::compare_target::MOD, proto::compare::TargetUnion::ModRevision(expected as i64));
        let delete = proto::DeleteRangeRequest { key: key.into(), prev_kv: true, ..Default::default() };
        let (response, current) =
            self.txn(unchanged, proto::RequestOp { request: Some(Request::DeleteRange(delete)) }, key).await?;
        if !response.succeeded {
            return Ok(WriteOutcome::ConditionFailed { current });
        }
        let revision = header_revision(&response.header);
        let prev = response.responses.into_iter().next().and_then(|r| match r.response {
            Some(Response::DeleteRange(d)) => d.prev_kvs.into_iter().next().map(to_kv),
            _ => None,
        });
        match prev {
            Some(kv) => Ok(WriteOutcome::Committed { kv, revision }),
            None => Ok(WriteOutcome::ConditionFailed { current: None }),
        }
    }

    async fn watch(&self, start: &str, end: &str, after: u64) -> Result<BackendWatch> {
        let (requests, request_rx) = mpsc::unbounded_channel();
        let create = proto::WatchCreateRequest {
            key: start.into(),
            range_end: end.into(),
            start_revision: after as i64 + 1,
            progress_notify: true,
            prev_kv: true,
        };
        let _ = requests.send(proto::WatchRequest {
            request_union: Some(proto::watch_request::RequestUnion::CreateRequest(create)),
        });
        let mut grpc = self.grpc();
        grpc.ready().await.map_err(|e| StorageError::Backend(format!("etcd unreachable: {e}")))?;
        let codec = tonic_prost::ProstCodec::<proto::WatchRequest, proto::WatchResponse>::default();
        let response = grpc
            .streaming(
                tonic::Request::new(UnboundedReceiverStream::new(request_rx)),
                PathAndQuery::from_static(paths::WATCH),
                codec,
            )
            .await
            .map_err(status_error)?;
        let mut responses = response.into_inner();
        let first = responses.message().await.map_err(status_error)?;
        match first {
            Some(r) if r.canceled && r.compact_revision > 0 => {
                return Err(StorageError::too_old(after, r.compact_revision as u64));
            }
            Some(r) if r.canceled => {
                return Err(StorageError::Backend(format!("etcd refused the watch: {}", r.cancel_reason)));
            }
            Some(_) => {}
            None => return Err(StorageError::Backend("etcd closed the watch stream".into())),
        }
        let (out, events) = mpsc::channel(1024);
        let (progress, mut progress_rx) = mpsc::unbounded_channel::<()>();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    message = responses.message() => {
                        let batch = match message {
                            Ok(Some(r)) => watch_events(r, after),
                            Ok(None) => Err(StorageError::Backend("etcd closed the watch stream".into())),
                            Err(status) => Err(status_error(status)),
                        };
                        match batch {
                            Ok(batch) => for event in batch {
                                if out.send(Ok(event)).await.is_err() { return; }
                            },
                            Err(e) => { let _ = out.send(Err(e)).await; return; }
                        }
                    }
                    request = progress_rx.recv() => if request.is_some() {
                        let progress = proto::WatchRequest {
                            request_union: Some(proto::watch_request::RequestUnion::ProgressRequest(proto::WatchProgressRequest {})),
                        };
                        let _ = requests.send(progress);
                    },
                    _ = out.closed() => return,
                }
            }
        });
        Ok(BackendWatch { events, progress })
    }

    async fn compact(&self, revision: u64) -> Result<()> {
        let request = proto::CompactionRequest { revision: revision as i64, physical: false };
        match self.unary::<_, proto::CompactionResponse>(paths::COMPACT, request).await {
            Ok(_) | Err(StorageError::Expired { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn current_revision(&self) -> Result<u64> {
        let request = proto::RangeRequest { key: vec![0], count_only: true, ..Default::default() };
        let response: proto::RangeResponse = self.unary(paths::RANGE, request).await?;
        Ok(header_revision(&response.header))
    }
}

/// Translates one watch response into backend events.
fn watch_events(response: proto::WatchResponse, after: u64) -> Result<Vec<BackendEvent>> {
    if response.canceled {
        return Err(if response.compact_revision > 0 {
            StorageError::too_old(after, response.compact_revision as u64)
        } else {
            StorageError::Backend(format!("etcd canceled the watch: {}", response.cancel_reason))
        });
    }
    if response.events.is_empty() {
        return Ok(vec![BackendEvent::Progress { revision: header_revision(&response.header) }]);
    }
    Ok(response
        .events
        .into_iter()
        .filter_map(|event| {
            let kv = event.kv?;
            let prev = event.prev_kv.map(to_kv);
            Some(if event.r#type == proto::event_type::DELETE {
                BackendEvent::Delete {
                    key: String::from_utf8_lossy(&kv.key).into_owned(),
                    revision: kv.mod_revision.max(0) as u64,
                    prev,
                }
            } else {
                BackendEvent::Put { kv: to_kv(kv), prev }
            })
        })
        .collect())
}
