//! The `ferrokube` binary: reads kube-apiserver-style flags, prepares
//! certificates and the store, assembles the delegation chain
//! Aggregator -> KubeAPIServer -> APIExtensionsServer and serves it over
//! HTTPS until SIGTERM.

mod options;
mod pki;
mod server;
mod tls;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let options = options::Options::parse();
    let default_level = if options.verbosity >= 4 { "debug" } else { "info" };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},h2=info,hyper=info,tonic=info,tower=info")));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(server::run(options))
}
