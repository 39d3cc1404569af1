//! The generic API server (upstream's `k8s.io/apiserver`): the handler
//! chain, REST endpoints generic over every resource, the registry store
//! with per-kind strategies, discovery, OpenAPI, health and metrics, and
//! [`server::GenericApiServer`], the building block of the delegation chain.

pub mod admission;
pub mod authn;
pub mod backend;
pub mod conversion;
pub mod discovery;
pub mod dynamic_ca;
pub mod endpoints;
pub mod fieldmanager;
pub mod fieldvalidation;
pub mod handler_chain;
pub mod informer;
pub mod metrics;
pub mod negotiation;
pub mod nonresource;
pub mod openapi;
pub mod registry;
pub mod request_info;
pub mod resource;
pub mod responses;
pub mod serve;
pub mod server;
pub mod storage_factory;
pub mod webhook;
