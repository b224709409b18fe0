//! `jiesu`: the one binary of the jiesu 12345 hotline platform.
//!
//! ```text
//! jiesu serve                 run the platform (creates ./jiesu-data on first start)
//! jiesu user add NAME --role ROLE [--unit CODE]
//! jiesu token NAME            print a bearer token for NAME
//! jiesu import FILE           import historical requests from CSV
//! jiesu train classify --data FILE [--out MODEL]
//! jiesu eval classify --data FILE [--cv 5] [--model MODEL]
//! jiesu classify TEXT [--model MODEL]
//! jiesu bench intake          measure ticket creation through the HTTP API
//! jiesu gen --days N --per-day M (--out FILE | --load)   generated load
//! ```

mod bench;
mod classify;
mod dashboard;
mod demo;
mod generate;
mod import;
mod knowledge;
mod report;
mod setup;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use jiesu_core::Role;
use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::PathBuf;

/// mimalloc: request handling makes many small, short-lived allocations across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// jiesu: an open platform for city 12345 citizen hotlines (接诉即办).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Cmd,
}

/// Options every subcommand takes.
#[derive(Args, Clone)]
pub struct Common {
    /// Folder holding the database.
    #[arg(
        long,
        global = true,
        env = "JIESU_DATA_DIR",
        default_value = "./jiesu-data"
    )]
    pub data_dir: PathBuf,
    /// City whose divisions and units are loaded on first start: code ("1101") or name ("北京").
    #[arg(long, global = true, env = "JIESU_CITY", default_value = "北京")]
    pub city: String,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the platform: HTTP API on --addr.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, env = "JIESU_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Do not load the demo users and tickets on first start.
        #[arg(long)]
        no_demo: bool,
        /// Seconds between two passes of the time-limit scanner.
        #[arg(long, env = "JIESU_SCAN_EVERY", default_value_t = 30)]
        scan_every: u64,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCmd,
    },
    /// Print a new bearer token for a user (one line on stdout).
    Token {
        /// User name.
        name: String,
    },
    /// Import historical requests from a CSV file (jiesu's own columns or Baltimore 311).
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// Train a model.
    Train {
        #[command(subcommand)]
        command: classify::TrainCmd,
    },
    /// Propose the category of a text: top categories with probabilities and the words that
    /// weighed most.
    Classify(classify::ClassifyArgs),
    /// Evaluations of the smart assistant.
    Eval {
        #[command(subcommand)]
        command: EvalCmd,
    },
    /// Reports.
    Report {
        #[command(subcommand)]
        command: report::ReportCmd,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCmd,
    },
    /// Generated load: realistic orders on Beijing's daily curve, to a file or bulk-loaded.
    Gen(generate::GenArgs),
    /// The dashboard's counts, kept as events arrive.
    Rollups {
        #[command(subcommand)]
        command: RollupsCmd,
    },
}

#[derive(Subcommand)]
enum RollupsCmd {
    /// Recount them from the event log (after a change of the counting rules, or to check
    /// them); prints the number of rows written.
    Rebuild,
}

#[derive(Subcommand)]
enum EvalCmd {
    /// Category classifier on a labelled CSV (title, detail, label): accuracy, macro-F1,
    /// per-class precision/recall and the confusion matrix; --cv K cross-validates.
    Classify(classify::EvalArgs),
    /// Address → district / street on a labelled CSV (text,district_code,street_code,ambiguous).
    Address {
        /// The labelled file; the shipped test set when absent.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// 一件多诉 hot problems: clusters the messages of a votes file (id,user,title,time,detail,
    /// dislikes,likes) into problems and prints the hottest.
    Hot {
        /// The messages, e.g. ../shared/data/teddy2020c/messages_with_votes.csv.
        #[arg(long)]
        data: PathBuf,
        /// How many problems to print.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Knowledge-base search and the answer bot on messages with official replies: how often a
    /// message's detail finds its reply first and in the top 3, and the bot's threshold table.
    Answers {
        /// Messages with replies, e.g. ../shared/data/teddy2020c/messages_with_replies.csv.
        #[arg(long)]
        data: PathBuf,
    },
    /// Precision and recall of merge proposals on hand-labelled pairs of messages.
    Merges {
        /// The messages the pairs refer to (a votes file).
        #[arg(long)]
        data: PathBuf,
        /// The labelled pairs (id_a,id_b,same,note).
        #[arg(long, default_value = "crates/jiesu-cluster/data/pairs.csv")]
        pairs: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user. The password is read from stdin when piped, otherwise generated and printed.
    Add {
        /// Login name.
        name: String,
        /// agent, dispatcher, unit, supervisor, editor, analyst or admin.
        #[arg(long)]
        role: Role,
        /// The unit of a `unit` user (its code, see GET /api/v1/units).
        #[arg(long)]
        unit: Option<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JIESU_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot start the async runtime");
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let common = cli.common;
    match cli.command {
        Cmd::Serve {
            addr,
            no_demo,
            scan_every,
        } => {
            let every = std::time::Duration::from_secs(scan_every.max(1));
            setup::serve(&common, addr, !no_demo, every).await
        }
        Cmd::User {
            command: UserCmd::Add { name, role, unit },
        } => {
            let store = setup::open(&common).await?;
            let piped = !std::io::stdin().is_terminal();
            let password = if piped {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the password from stdin")?;
                let s = s.trim_end_matches(['\r', '\n']).to_string();
                if s.is_empty() {
                    anyhow::bail!(
                        "password: stdin was empty; pipe a password or run without a pipe to generate one"
                    );
                }
                s
            } else {
                jiesu_server::auth::new_password()
            };
            setup::add_user(store.as_ref(), &name, role, unit.as_deref(), &password).await?;
            if piped {
                println!("user {name} added ({role})");
            } else {
                println!("user {name} added ({role}); password (shown once): {password}");
            }
            Ok(())
        }
        Cmd::Token { name } => {
            let store = setup::open(&common).await?;
            let user = store.user(&name).await.map_err(|_| {
                anyhow::anyhow!("name: no user '{name}' (add one with `jiesu user add`)")
            })?;
            let (token, hash) = jiesu_server::auth::new_token();
            store.add_token(&hash, &user.name).await?;
            println!("{token}");
            Ok(())
        }
        Cmd::Import { file } => {
            let store = setup::open(&common).await?;
            import::run(store, &file).await
        }
        Cmd::Eval {
            command: EvalCmd::Address { data },
        } => eval_address(&common, data.as_deref()),
        Cmd::Eval {
            command: EvalCmd::Answers { data },
        } => knowledge::eval_answers(&data),
        Cmd::Eval {
            command: EvalCmd::Hot { data, top },
        } => {
            let report = jiesu_cluster::eval::hot_problems(&data, top)
                .with_context(|| format!("data: {}", data.display()))?;
            println!("{report}");
            Ok(())
        }
        Cmd::Eval {
            command: EvalCmd::Merges { data, pairs },
        } => {
            let report = jiesu_cluster::eval::pair_precision(&data, &pairs).with_context(|| {
                format!("data: {} / pairs: {}", data.display(), pairs.display())
            })?;
            println!("{report}");
            Ok(())
        }
        Cmd::Train { command } => classify::train(&common, command),
        Cmd::Eval {
            command: EvalCmd::Classify(args),
        } => classify::eval(&common, args),
        Cmd::Classify(args) => classify::classify(&common, args),
        Cmd::Report { command } => {
            let store = setup::open(&common).await?;
            report::run(store, command).await
        }
        Cmd::Bench {
            command: bench::BenchCmd::Dashboard { rounds },
        } => dashboard::run(&common, rounds).await,
        Cmd::Bench { command } => bench::run(command).await,
        Cmd::Gen(args) => generate::run(&common, args).await,
        Cmd::Rollups {
            command: RollupsCmd::Rebuild,
        } => {
            let store = setup::open(&common).await?;
            if store.meta("rollups_history").await?.is_some() {
                anyhow::bail!(
                    "data-dir: its rollups hold history loaded by `jiesu gen --load` without \
                     events; rebuilding from the event log would drop it"
                );
            }
            let rows = jiesu_store::RollupStore::rebuild_rollups(store.as_ref()).await?;
            println!("rollups rebuilt from the event log: {rows} rows");
            Ok(())
        }
    }
}

/// `jiesu eval address`: accuracy and speed of the address resolver.
fn eval_address(common: &Common, data: Option<&std::path::Path>) -> anyhow::Result<()> {
    use jiesu_assist::address::{Gazetteer, TEST_SET};
    let text = match data {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("data: cannot read {}", path.display()))?,
        None => TEST_SET.to_string(),
    };
    let city =
        jiesu_reference::city(&common.city).with_context(|| format!("city: '{}'", common.city))?;
    let gazetteer = Gazetteer::new(&city.divisions);
    let e = gazetteer
        .evaluate(&text)
        .map_err(|b| anyhow::anyhow!("data: line {}: {}", b.line, b.message))?;
    let rounds = 200;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(gazetteer.evaluate(&text).ok());
    }
    let per_second = (e.total * rounds) as f64 / started.elapsed().as_secs_f64();
    println!(
        "address resolver on {} labelled strings ({})",
        e.total, city.city_name
    );
    println!("  accuracy   {:.4} ({} right)", e.accuracy(), e.right);
    println!(
        "  ambiguous  {} of {} reported as ambiguous",
        e.ambiguous_right, e.ambiguous_total
    );
    println!("  speed      {per_second:.0} strings/s on one core");
    for w in e.wrong.iter().take(20) {
        println!("  wrong: {w}");
    }
    Ok(())
}
