//! Opening the data folder, first-start loading, users, and `serve`.

use crate::Common;
use anyhow::{Context, bail};
use jiesu_core::Role;
use jiesu_server::{AppState, SystemClock};
use jiesu_store::{DynStore, Reference, SqliteStore, Store, StoreError, User};
use std::net::SocketAddr;
use std::sync::Arc;

/// Opens the database in the data folder, creating it and loading the city's reference data
/// on first use.
pub async fn open(common: &Common) -> anyhow::Result<DynStore> {
    std::fs::create_dir_all(&common.data_dir)
        .with_context(|| format!("data-dir: cannot create {}", common.data_dir.display()))?;
    let path = common.data_dir.join("jiesu.db");
    let store = SqliteStore::open(&path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    if store.meta("city").await?.is_none() {
        let city = jiesu_reference::city(&common.city)
            .with_context(|| format!("city: '{}'", common.city))?;
        let reference = Reference {
            divisions: city.divisions,
            units: city.units,
            catalog: city.catalog,
        };
        store.replace_reference(&reference).await?;
        store.set_meta("city", &city.city_code).await?;
        store.set_meta("city_name", &city.city_name).await?;
        store
            .set_meta("reference", jiesu_reference::PROVENANCE)
            .await?;
        tracing::info!(
            city = %city.city_name,
            divisions = reference.divisions.len(),
            units = reference.units.len(),
            catalog = reference.catalog.len(),
            "reference data loaded: {}",
            jiesu_reference::PROVENANCE
        );
    }
    Ok(Arc::new(store))
}

/// Adds a user after checking the name, role and unit.
pub async fn add_user(
    store: &dyn Store,
    name: &str,
    role: Role,
    unit: Option<&str>,
    password: &str,
) -> anyhow::Result<()> {
    let valid_name = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || name.chars().count() > 64 || !name.chars().all(valid_name) {
        bail!("name: use 1 to 64 letters, digits, '_', '-' or '.'");
    }
    if password.chars().count() < 8 {
        bail!("password: must be at least 8 characters");
    }
    match (role, unit) {
        (Role::Unit, None) => bail!("unit: a unit user needs --unit CODE"),
        (Role::Unit, Some(code)) => {
            let reference = store.reference().await?;
            if !reference.units.iter().any(|u| u.code == code) {
                bail!("unit: no unit with code '{code}' (see GET /api/v1/units)");
            }
        }
        (_, Some(_)) => bail!("unit: only users with --role unit belong to a unit"),
        (_, None) => {}
    }
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || jiesu_server::auth::hash_password(&password))
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = User {
        name: name.to_string(),
        role,
        unit: unit.map(String::from),
        password_hash: hash,
    };
    match store.create_user(&user).await {
        Err(StoreError::Conflict(_)) => bail!("name: user '{name}' already exists"),
        other => Ok(other?),
    }
}

/// Runs the platform until Ctrl-C or SIGTERM.
pub async fn serve(
    common: &Common,
    addr: SocketAddr,
    demo: bool,
    scan_every: std::time::Duration,
) -> anyhow::Result<()> {
    let store = open(common).await?;
    if demo && store.meta("demo").await?.is_none() {
        crate::demo::load(&store).await?;
        store.set_meta("demo", "loaded").await?;
    }
    // `jiesu train classify` writes here; a new file is put in use without a restart.
    let model_file = common.data_dir.join("models").join("category.json");
    let options = jiesu_server::Options {
        model_file: Some(model_file),
        index_dir: Some(common.data_dir.join("search")),
    };
    let state = AppState::with_options(store.clone(), Arc::new(SystemClock), options)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let index_sync =
        jiesu_server::jobs::spawn_index_sync(state.clone(), std::time::Duration::from_secs(2));
    let model_watch =
        jiesu_server::jobs::spawn_model_watch(state.clone(), std::time::Duration::from_secs(5));
    let scanner = jiesu_server::jobs::spawn_scanner(state.clone(), scan_every);
    let spike_watch =
        jiesu_server::jobs::spawn_spike_watch(state.clone(), std::time::Duration::from_secs(20));
    let term_counter =
        jiesu_server::jobs::spawn_term_counter(state.clone(), std::time::Duration::from_secs(5));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("addr: cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    // The first line on stdout is for people and scripts alike.
    println!("jiesu listening on http://{local}");
    tracing::info!(
        tickets = store.count_tickets().await?,
        "serving http://{local}"
    );
    axum::serve(listener, jiesu_server::app(state))
        .with_graceful_shutdown(shutdown())
        .await?;
    scanner.abort();
    spike_watch.abort();
    term_counter.abort();
    model_watch.abort();
    index_sync.abort();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
