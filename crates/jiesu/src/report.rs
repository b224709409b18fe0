//! `jiesu report rates --month 2026-11`: the monthly ranking by the three rates.

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use jiesu_core::rates::{GroupBy, Weights};
use jiesu_server::api::reports::rates_table;
use jiesu_store::DynStore;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ReportCmd {
    /// 三率: response, resolution and satisfaction rates and the composite, ranked.
    Rates {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Rank units or streets.
        #[arg(long, value_enum, default_value_t = By::Unit)]
        by: By,
        /// Output: a table on screen, or CSV / XLSX.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// File to write CSV or XLSX to (CSV goes to stdout without it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Weights of response, resolution and satisfaction.
        #[arg(long, value_delimiter = ',', num_args = 3, default_values_t = [0.1, 0.5, 0.4])]
        weights: Vec<f64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum By {
    Unit,
    Street,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
pub enum Format {
    Table,
    Csv,
    Xlsx,
}

pub async fn run(store: DynStore, cmd: ReportCmd) -> anyhow::Result<()> {
    let ReportCmd::Rates {
        month,
        by,
        format,
        out,
        weights,
    } = cmd;
    let weights = Weights {
        response: weights[0],
        resolution: weights[1],
        satisfaction: weights[2],
    };
    let by = match by {
        By::Unit => GroupBy::Unit,
        By::Street => GroupBy::Street,
    };
    let reference = store.reference().await?;
    let table = rates_table(&store, &reference, &month, by, weights)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = match format {
        Format::Table => {
            let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
            println!(
                "{month} 三率排名 ({} rows; weights {} / {} / {})",
                table.rows.len(),
                weights.response,
                weights.resolution,
                weights.satisfaction
            );
            println!(
                "{:>4}  {:<12} {:<24} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8}",
                "rank", "code", "name", "派单", "回访", "响应率", "解决率", "满意率", "综合"
            );
            for r in &table.rows {
                println!(
                    "{:>4}  {:<12} {:<24} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8}",
                    r.row.rank,
                    r.row.code,
                    r.name,
                    r.row.counts.dispatched,
                    r.row.counts.valid_callbacks,
                    pct(r.row.response_rate),
                    pct(r.row.resolution_rate),
                    pct(r.row.satisfaction_rate),
                    pct(r.row.composite),
                );
            }
            return Ok(());
        }
        Format::Csv => table.to_csv(),
        Format::Xlsx => table.to_xlsx(),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    match out {
        Some(path) => {
            std::fs::write(&path, bytes)
                .with_context(|| format!("out: cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None if format == Format::Csv => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
        None => anyhow::bail!("out: XLSX needs --out FILE"),
    }
    Ok(())
}
