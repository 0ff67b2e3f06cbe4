//! `scalesim`: the simulation core on the command line, for batch runs, sweeps and tests.
//!
//! `run` and `limit` print aligned tables when standard output is a terminal and JSON otherwise
//! (`--format`/`--json` choose); `sweep` writes CSV or JSON lines, `plot` an SVG; the other
//! commands print JSON (or Markdown for `schema --markdown`, or the link fragment for `url`).
//! Progress bars go to standard error, only when it is a terminal. Bad input gives exit code 2
//! and one line on standard error saying what is wrong. The work itself lives in the library
//! (`scalesim::cli`, `scalesim::sweep`); this file reads the arguments and prints.

use clap::{CommandFactory, Parser, Subcommand};
use scalesim::capacity::{SearchOptions, Slo};
use scalesim::challenge;
use scalesim::cli::challenge as challenge_cli;
use scalesim::cli::plot::PlotSpec;
use scalesim::cli::sweep::SweepFormat;
use scalesim::cli::table::{self, Timing};
use scalesim::cli::{limit, plot, progress, sweep, Format};
use scalesim::scenario::{
    apply_set, decode, decode_link, encode_graph, encode_link, preset, schema_markdown, LiveChange,
    Scenario, TopologyFile, FIELDS, STAGES,
};
use scalesim::sim::{GeoPoint, Report, SeriesPoint, Sim, SimTime};
use scalesim::sweep::figures::{self, DEFAULT_FIGURES, FIGURES};
use scalesim::sweep::{Grid, Vary};
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "scalesim",
    version,
    about = "Simulate a web system growing from one server to millions of users"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a stage's preset scenario as JSON.
    Preset {
        /// Stage number, 1–11.
        stage: u8,
    },
    /// Run a scenario (a JSON file, or a preset): tables at a terminal, the JSON report in a pipe.
    Run {
        #[command(flatten)]
        source: Source,
        /// Add events processed, wall time and events per second (makes output non-deterministic).
        #[arg(long)]
        timing: bool,
        /// Leave the per-interval time series out of the report.
        #[arg(long)]
        no_series: bool,
        /// Output: `json` (the report) or `table` (default: table at a terminal, else json).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// Print the post-mortem (every incident the diagnosis found: timeline, counts, how it
        /// happened) as Markdown instead of the report: the text the app's "Copy post-mortem"
        /// copies.
        #[arg(long, conflicts_with_all = ["format", "json", "timing"])]
        postmortem: bool,
        /// Threads to run on (default: one per core; 1: one thread). At stage 11 the data
        /// centers run side by side between the world's own events; the report does not
        /// depend on it.
        #[arg(long)]
        threads: Option<u32>,
    },
    /// Run a scenario over a grid of changed fields, on every core: one row per run (CSV or
    /// JSON lines), the first --vary changing slowest and the seed fastest.
    Sweep {
        #[command(flatten)]
        source: Source,
        /// A field and its values: `PATH=A..B:STEPS` (STEPS evenly spaced values, A and B
        /// included, whole numbers for a whole-number field) or `PATH=V1,V2,…` (repeatable).
        #[arg(long = "vary", value_name = "SPEC")]
        varies: Vec<String>,
        /// Run every point with this many seeds (the scenario's, +1, …): one row per seed.
        #[arg(long, default_value_t = 1)]
        seeds: u32,
        /// Comma-separated figures to write (`list` prints them all).
        #[arg(long, value_name = "NAME,...")]
        figures: Option<String>,
        /// Rows as CSV (a header line first) or JSON lines.
        #[arg(long, value_enum, default_value = "csv")]
        format: SweepFormat,
        /// Write the rows to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// Threads to run on (default: one per core). The rows do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Draw a sweep's CSV as an SVG line chart: one line per value of --by, rows with the same
    /// line and x averaged (seeds, other varied fields).
    Plot {
        /// The sweep's CSV file (`-` for standard input).
        csv: String,
        /// Column on the horizontal axis.
        #[arg(long)]
        x: String,
        /// Column on the vertical axis.
        #[arg(long)]
        y: String,
        /// Column whose values make the lines (default: one line).
        #[arg(long)]
        by: Option<String>,
        /// The chart's title (default: "Y vs X").
        #[arg(long)]
        title: Option<String>,
        /// Write the SVG to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// Width in pixels.
        #[arg(long, default_value_t = 900)]
        width: u32,
        /// Height in pixels.
        #[arg(long, default_value_t = 560)]
        height: u32,
    },
    /// Print a shell completion script (e.g. `scalesim completions bash > /etc/bash_completion.d/scalesim`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// List every scenario field with its unit and bounds.
    Schema {
        /// Print the Markdown table (docs/scenario.md) instead of JSON.
        #[arg(long)]
        markdown: bool,
    },
    /// List the eleven stages and whether each is simulated yet.
    Stages,
    /// Print the shareable link fragment (the part after `#`) of a scenario JSON file.
    Url {
        /// Scenario JSON file (`-` for standard input).
        file: String,
        /// Add a time position to the link, in seconds of simulated time.
        #[arg(long)]
        time_s: Option<f64>,
    },
    /// Print the scenario JSON a shareable link describes.
    Decode {
        /// The link's fragment (`v1.s1~…`), or the whole URL.
        fragment: String,
    },
    /// Challenges graded by the simulation: list them, show one's starting architecture,
    /// check a solution (exit 0 when it passes, 1 when it fails, 2 on bad input).
    Challenge {
        #[command(subcommand)]
        action: ChallengeAction,
    },
    /// Find the most users a scenario sustains under an objective, and its bottleneck.
    Limit {
        /// Scenario JSON file (`-` for standard input).
        file: Option<String>,
        /// Start from this stage's preset instead of a file.
        #[arg(long, conflicts_with = "file")]
        preset: Option<u8>,
        /// Search every simulated stage's preset and print one row per stage (stage 11's p99 is
        /// judged against its users' own round trip; its row says so).
        #[arg(long, conflicts_with_all = ["file", "preset", "sets"])]
        all_presets: bool,
        /// With --all-presets: only these stages (e.g. `--stages 11` to search one row again).
        #[arg(
            long,
            requires = "all_presets",
            value_delimiter = ',',
            value_name = "N,..."
        )]
        stages: Vec<u8>,
        /// The objective over the measurement window: `p99_ms=200,error_ratio=0.001`.
        #[arg(
            long,
            value_name = "KEY=VALUE,...",
            default_value = "p99_ms=200,error_ratio=0.001"
        )]
        slo: String,
        /// Seeds to repeat the search with (the scenario's seed, +1, …).
        #[arg(long, default_value_t = SearchOptions::default().seeds)]
        seeds: u32,
        /// Simulated seconds skipped before measuring (a multiple of --window-s).
        #[arg(long, default_value_t = SearchOptions::default().warmup_s)]
        warmup_s: u32,
        /// Simulated seconds the objective is checked over (1–60).
        #[arg(long, default_value_t = SearchOptions::default().window_s)]
        window_s: u32,
        /// Keep the scenario's scheduled faults (removed by default).
        #[arg(long)]
        keep_faults: bool,
        /// Most users to try (default: as many as a scenario allows).
        #[arg(long)]
        max_users: Option<u64>,
        /// Override a field before searching (repeatable; see `scalesim schema`).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Include every run made (users, window p99, error ratio, pass).
        #[arg(long)]
        probes: bool,
        /// Add the wall time of each search (makes output non-deterministic).
        #[arg(long)]
        timing: bool,
        /// Output: `json`, `table` or `csv` (default: table at a terminal, else json).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
}

/// What `scalesim challenge` does.
#[derive(Subcommand)]
enum ChallengeAction {
    /// The challenges, one row each (JSON with --json).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a challenge's story, objectives and budget, and its starting architecture as a
    /// graph file (with --file only the graph file, to edit and check).
    Show {
        /// The challenge's number.
        id: u8,
        /// Print only the starting architecture's graph file.
        #[arg(long)]
        file: bool,
    },
    /// Grade a solution: each objective with its number; exit 0 when it passes.
    Check {
        /// The challenge's number.
        id: u8,
        /// The solution: a scenario or graph file (`-` for standard input).
        #[arg(required_unless_present = "url")]
        file: Option<String>,
        /// The solution as a shareable link (its fragment, or the whole URL).
        #[arg(long, value_name = "LINK", conflicts_with = "file")]
        url: Option<String>,
        /// Print the grade as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Where a run's scenario comes from, and the changes made to it.
#[derive(clap::Args)]
struct Source {
    /// Scenario JSON file (`-` for standard input).
    file: Option<String>,
    /// Start from this stage's preset instead of a file.
    #[arg(long, conflicts_with = "file")]
    preset: Option<u8>,
    /// Start from what a shareable link describes (its fragment, or the whole URL).
    #[arg(long, value_name = "FRAGMENT", conflicts_with_all = ["file", "preset"])]
    url: Option<String>,
    /// Override a field: `--set server.workers=16` (repeatable; see `scalesim schema`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Simulated duration in seconds (same as `--set duration_s=S`).
    #[arg(long)]
    duration_s: Option<u32>,
    /// Seed (same as `--set seed=N`).
    #[arg(long)]
    seed: Option<u64>,
}

impl Source {
    /// The scenario with every change applied, and the live changes its link carries (none
    /// from a file or a preset): `run` replays them at their times.
    fn scenario_and_live(self) -> Result<(Scenario, Vec<LiveChange>), String> {
        let live = match self.url.as_deref() {
            Some(link) => decode_link(link).map_err(|e| e.to_string())?.live,
            None => Vec::new(),
        };
        Ok((self.scenario()?, live))
    }

    /// The scenario with every change applied.
    fn scenario(self) -> Result<Scenario, String> {
        let mut scenario = match (self.file, self.preset, self.url) {
            (Some(path), _, _) => read_scenario(&path)?,
            (None, Some(stage), _) => preset_or_err(stage)?,
            (None, None, Some(link)) => decode(&link).map_err(|e| e.to_string())?,
            (None, None, None) => {
                return Err("give a scenario FILE, --preset N or --url FRAGMENT".into())
            }
        };
        let mut assignments = self.sets;
        if let Some(d) = self.duration_s {
            assignments.push(format!("duration_s={d}"));
        }
        if let Some(s) = self.seed {
            assignments.push(format!("seed={s}"));
        }
        for assignment in &assignments {
            scenario = apply_set(&scenario, assignment).map_err(|e| e.to_string())?;
        }
        Ok(scenario)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("bad arguments");
            eprintln!("{}", line.trim_start_matches("error: ").prepend_error());
            return ExitCode::from(2);
        }
    };
    match execute(cli.command) {
        Ok(Output::Text(out)) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Ok(Output::Printed) => ExitCode::SUCCESS,
        Ok(Output::Failed(out)) => {
            println!("{out}");
            ExitCode::from(1)
        }
        Err(message) => {
            eprintln!("{}", message.replace('\n', " ").prepend_error());
            ExitCode::from(2)
        }
    }
}

trait PrependError {
    fn prepend_error(&self) -> String;
}

impl PrependError for str {
    fn prepend_error(&self) -> String {
        format!("error: {self}")
    }
}

/// What a command leaves for `main` to print.
enum Output {
    /// Text to print.
    Text(String),
    /// The command has written its output itself (`run`'s report, streamed).
    Printed,
    /// Text to print, and exit code 1 (a challenge's solution that fails).
    Failed(String),
}

fn execute(command: Command) -> Result<Output, String> {
    let text = match command {
        Command::Preset { stage } => {
            let scenario = preset_or_err(stage)?;
            Ok(scenario.to_json_pretty())
        }
        Command::Run {
            source,
            timing,
            no_series,
            format,
            json,
            postmortem,
            threads,
        } => {
            let (scenario, changes) = source.scenario_and_live()?;
            let threads = match threads {
                Some(0) => return Err("--threads must be at least 1".into()),
                Some(n) => n,
                None => std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            };
            if postmortem {
                let mut sim = live_sim(&scenario, &changes, threads)?;
                let report = progress::run_with_bar(&mut sim);
                return Ok(Output::Text(scalesim::sim::postmortem::markdown(
                    &scenario.name,
                    &report.diagnosis,
                    report.sim_time_s,
                )));
            }
            let format = Format::chosen(format, json);
            if format == Format::Csv {
                return Err("run prints --format json or table".into());
            }
            run(&scenario, &changes, threads, timing, no_series, format)?;
            return Ok(Output::Printed);
        }
        Command::Sweep {
            source,
            varies,
            seeds,
            figures,
            format,
            output,
            threads,
        } => {
            if figures.as_deref() == Some("list") {
                return Ok(Output::Text(figure_list()));
            }
            let base = source.scenario()?;
            let varies = varies
                .iter()
                .map(|spec| Vary::parse(spec, &base))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let grid = Grid::new(varies, seeds).map_err(|e| e.to_string())?;
            let figures = match figures {
                Some(list) => figures::parse_list(&list)?,
                None => DEFAULT_FIGURES
                    .iter()
                    .filter_map(|name| figures::find(name))
                    .collect(),
            };
            let threads = match threads {
                Some(0) => return Err("--threads must be at least 1".into()),
                Some(n) => n,
                None => std::thread::available_parallelism().map_or(1, |n| n.get()),
            };
            let rows = sweep::run(&base, &grid, &figures, threads)?;
            let header = sweep::header(&grid, &figures);
            write_out(output.as_deref(), |out| match format {
                SweepFormat::Csv => sweep::write_csv(&header, &rows, out),
                SweepFormat::Jsonl => sweep::write_jsonl(&header, &rows, out),
            })?;
            return Ok(Output::Printed);
        }
        Command::Plot {
            csv,
            x,
            y,
            by,
            title,
            output,
            width,
            height,
        } => {
            let text = read_text(&csv)?;
            let spec = PlotSpec {
                x,
                y,
                by,
                title,
                size: (width.clamp(200, 4000), height.clamp(150, 4000)),
            };
            let svg = plot::svg(&text, &spec).map_err(|e| format!("{csv}: {e}"))?;
            write_out(output.as_deref(), |out| {
                out.write_all(svg.as_bytes()).map_err(|e| e.to_string())
            })?;
            return Ok(Output::Printed);
        }
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "scalesim", &mut out);
            return Ok(Output::Printed);
        }
        Command::Schema { markdown } => Ok(if markdown {
            schema_markdown().trim_end().to_string()
        } else {
            let fields: Vec<_> = FIELDS
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "path": f.path, "unit": f.unit, "bounds": f.bounds, "meaning": f.meaning
                    })
                })
                .collect();
            serde_json::to_string_pretty(&fields).expect("json")
        }),
        Command::Stages => {
            let stages: Vec<_> = STAGES
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "stage": s.number, "title": s.title, "summary": s.summary, "simulated": s.built
                    })
                })
                .collect();
            Ok(serde_json::to_string_pretty(&stages).expect("json"))
        }
        Command::Url { file, time_s } => {
            let text = read_text(&file)?;
            let scenario = Scenario::from_json(&text).map_err(|e| format!("{file}: {e}"))?;
            match time_s {
                Some(t) if !(0.0..=f64::from(scenario.duration_s)).contains(&t) => Err(format!(
                    "--time-s {t} is outside the run (0 to {} s)",
                    scenario.duration_s
                )),
                // A drawn architecture (a file with a `topology`) keeps its graph: a v2 link.
                _ => Ok(match read_graph(&file, &text)? {
                    Some(graph) => encode_graph(&graph, &[], time_s),
                    None => encode_link(&scenario, time_s),
                }),
            }
        }
        // A v2 link prints the graph file it carries; a v1 link the scenario.
        Command::Decode { fragment } => decode_link(&fragment)
            .map(|l| match l.graph {
                Some(g) => serde_json::to_string_pretty(&g).expect("a graph file serialises"),
                None => l.scenario.to_json_pretty(),
            })
            .map_err(|e| e.to_string()),
        Command::Challenge { action } => return challenge_command(action),
        Command::Limit {
            file,
            preset: stage,
            all_presets,
            stages,
            slo,
            seeds,
            warmup_s,
            window_s,
            keep_faults,
            max_users,
            sets,
            probes,
            timing,
            format,
            json,
        } => {
            let format = Format::chosen(format, json);
            let slo = Slo::parse(&slo).map_err(|e| e.to_string())?;
            let options = SearchOptions {
                seeds,
                warmup_s,
                window_s,
                keep_faults,
                max_users,
                ..SearchOptions::default()
            };
            options.validate().map_err(|e| e.to_string())?;
            if all_presets {
                return limit_all_presets(&slo, &options, &stages, timing, format)
                    .map(Output::Text);
            }
            let mut scenario = match (file, stage) {
                (Some(path), _) => read_scenario(&path)?,
                (None, Some(stage)) => preset_or_err(stage)?,
                (None, None) => {
                    return Err("give a scenario FILE, --preset N or --all-presets".into())
                }
            };
            for assignment in &sets {
                scenario = apply_set(&scenario, assignment).map_err(|e| e.to_string())?;
            }
            let started = Instant::now();
            let result =
                limit::find_limit_with_bar(&scenario, &slo, &options).map_err(|e| e.to_string())?;
            match format {
                Format::Table => return Ok(Output::Text(table::limit_tables(&result))),
                Format::Csv => return limit::csv_text(&[(&result).into()]).map(Output::Text),
                Format::Json => {}
            }
            let mut value = serde_json::to_value(&result).map_err(|e| e.to_string())?;
            if !probes {
                value.as_object_mut().map(|o| o.remove("probes"));
            }
            if timing {
                value["wall_s"] = serde_json::json!(started.elapsed().as_secs_f64());
            }
            Ok(serde_json::to_string_pretty(&value).expect("json"))
        }
    };
    text.map(Output::Text)
}

/// One row per simulated stage: its limit, bounds, bottleneck and what broke above it
/// (`scalesim::cli::limit::all_presets`).
fn limit_all_presets(
    slo: &Slo,
    options: &SearchOptions,
    only: &[u8],
    timing: bool,
    format: Format,
) -> Result<String, String> {
    let started = Instant::now();
    let (rows, threads) = limit::all_presets(slo, options, only, timing)?;
    match format {
        Format::Table => {
            let mut text = table::stages_table(&rows);
            if timing {
                let wall_s = started.elapsed().as_secs_f64();
                text.push_str(&format!("Wall time: {wall_s:.1} s on {threads} threads\n"));
            }
            return Ok(text.trim_end().to_string());
        }
        Format::Csv => {
            let lines: Vec<limit::CsvLine> = rows.iter().map(Into::into).collect();
            return limit::csv_text(&lines);
        }
        Format::Json => {}
    }
    let mut value = serde_json::json!({
        "slo": slo,
        "seeds": options.seeds,
        "run_s": options.warmup_s + options.window_s,
        "stages": rows,
    });
    if timing {
        value["wall_s"] = serde_json::json!(started.elapsed().as_secs_f64());
        value["threads"] = serde_json::json!(threads);
    }
    Ok(serde_json::to_string_pretty(&value).expect("json"))
}

fn challenge_command(action: ChallengeAction) -> Result<Output, String> {
    let find = |id: u8| {
        challenge::challenge(id).ok_or_else(|| {
            format!(
                "no challenge {id}: challenges are 1 to {}",
                challenge::CHALLENGE_COUNT
            )
        })
    };
    match action {
        ChallengeAction::List { json } => {
            let all = challenge::challenges();
            Ok(Output::Text(if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "id": c.id, "title": c.title, "stage": c.stage,
                            "objectives": c.objectives, "budget_usd_per_hour": c.budget_usd_per_hour,
                        })
                    })
                    .collect();
                serde_json::to_string_pretty(&rows).expect("json")
            } else {
                challenge_cli::list_table(&all)
            }))
        }
        ChallengeAction::Show { id, file } => {
            let c = find(id)?;
            let graph = c.start_file()?;
            let graph = serde_json::to_string_pretty(&graph).expect("a graph file serialises");
            if file {
                return Ok(Output::Text(graph));
            }
            let objectives: Vec<String> = c
                .objectives
                .iter()
                .map(|o| format!("  - {}", o.label()))
                .collect();
            Ok(Output::Text(format!(
                "Challenge {}: {} (stage {})\n\n{}\n\nObjectives, on seeds {:?}:\n{}\n  - cost ≤ ${:.2}/h\n\nStarting architecture (scalesim challenge show {id} --file > start.json; edit; scalesim challenge check {id} start.json):\n{graph}",
                c.id,
                c.title,
                c.stage,
                c.story,
                c.seeds,
                objectives.join("\n"),
                c.budget_usd_per_hour,
            )))
        }
        ChallengeAction::Check {
            id,
            file,
            url,
            json,
        } => {
            let c = find(id)?;
            let candidate = match (file, url) {
                (Some(path), _) => read_scenario(&path)?,
                (None, Some(link)) => decode(&link).map_err(|e| e.to_string())?,
                (None, None) => return Err("give a solution FILE or --url LINK".into()),
            };
            let grade = c.grade(&candidate);
            let text = if json {
                serde_json::to_string_pretty(&grade).expect("json")
            } else {
                challenge_cli::grade_text(&c, &grade).trim_end().to_string()
            };
            Ok(if grade.pass {
                Output::Text(text)
            } else {
                Output::Failed(text)
            })
        }
    }
}

fn preset_or_err(stage: u8) -> Result<Scenario, String> {
    match preset(stage) {
        Some(s) => Ok(s),
        None if (1..=11).contains(&stage) => Err(format!("stage {stage} is not simulated yet")),
        None => Err(format!("no stage {stage}: stages are 1 to 11")),
    }
}

fn read_text(path: &str) -> Result<String, String> {
    if path == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| format!("cannot read {path}: {e}"))
}

/// The graph a scenario file's text carries, if it is in the graph form (read after
/// [`Scenario::from_json`] accepted it).
fn read_graph(path: &str, text: &str) -> Result<Option<TopologyFile>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
    if value.get("topology").is_none() {
        return Ok(None);
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| format!("{path}: {e}"))
}

fn read_scenario(path: &str) -> Result<Scenario, String> {
    let text = read_text(path)?;
    Scenario::from_json(&text).map_err(|e| format!("{path}: {e}"))
}

/// Writes through `write` to the file, or to standard output (buffered) without one.
fn write_out(
    file: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<(), String>,
) -> Result<(), String> {
    let (mut out, name): (Box<dyn Write>, String) = match file {
        Some(path) => (
            Box::new(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
            )),
            path.display().to_string(),
        ),
        None => (
            Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            "standard output".into(),
        ),
    };
    write(&mut out)
        .and_then(|()| out.flush().map_err(|e| e.to_string()))
        .map_err(|e| format!("cannot write {name}: {e}"))
}

/// `sweep --figures list`: every figure with its unit and meaning, the defaults marked.
fn figure_list() -> String {
    let width = FIGURES.iter().map(|f| f.name.len()).max().unwrap_or(0);
    FIGURES
        .iter()
        .map(|f| {
            let default = if DEFAULT_FIGURES.contains(&f.name) {
                "*"
            } else {
                " "
            };
            format!("{default} {:width$}  {:10}  {}", f.name, f.unit, f.meaning)
        })
        .chain(std::iter::once(
            "(* written when --figures is not given)".to_string(),
        ))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The simulation of `scenario` on up to `threads` threads (see `Sim::set_threads`) with the
/// live `changes` of a link (a kill, a partition …) applied at their times: run to the last
/// change's time, ready to run on to the end.
fn live_sim(scenario: &Scenario, changes: &[LiveChange], threads: u32) -> Result<Sim, String> {
    match changes.last() {
        None => Sim::new(scenario)
            .map(|mut sim| {
                sim.set_threads(threads);
                sim
            })
            .map_err(|e| e.to_string()),
        Some(last) => {
            scalesim::sim::live::replay_on(scenario, changes, SimTime(last.at_ns), threads)
                .map_err(|e| e.to_string())
        }
    }
}

/// Runs the scenario (a bar of simulated seconds on a terminal) with a link's live changes
/// and writes its report to standard output, as JSON or as tables.
fn run(
    scenario: &Scenario,
    changes: &[LiveChange],
    threads: u32,
    timing: bool,
    no_series: bool,
    format: Format,
) -> Result<(), String> {
    let mut sim = live_sim(scenario, changes, threads)?;
    // Nothing here prints request paths: record none (sampling does not change the run, and
    // recording every request's hops is work the report never reads).
    sim.set_path_sample_every(u64::MAX);
    let started = Instant::now();
    let mut report = progress::run_with_bar(&mut sim);
    let wall_s = started.elapsed().as_secs_f64();
    let events = sim.events_processed();
    let spans = sim.span_stats();
    // The report holds all that is printed: the run's state can go before printing.
    drop(sim);
    if format == Format::Table {
        let timing = timing.then_some(Timing {
            events,
            wall_s,
            threads,
        });
        print!("{}", table::run_tables(&report, timing));
        return Ok(());
    }
    if no_series {
        report.series.clear();
    }
    let timing = timing.then(|| {
        serde_json::json!({
            "events_processed": events,
            "wall_s": wall_s,
            "events_per_s": events as f64 / wall_s.max(1e-9),
            "sim_speed_x": report.sim_time_s / wall_s.max(1e-9),
            "threads": threads,
            "data_center_spans": spans,
        })
    });
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::new(stdout);
    print_report(report, timing, &mut out)
        .and_then(|()| writeln!(out).map_err(|e| e.to_string()))
        .and_then(|()| out.flush().map_err(|e| e.to_string()))
        .map_err(|e| format!("cannot write the report: {e}"))
}

/// Writes the report as pretty JSON with its keys sorted at every level (as a
/// `serde_json::Value` orders them: the form the app's export has too), plus `timing` if given.
///
/// The report is turned into a `Value` without its series, and the series are written one
/// point at a time, so neither the whole report as a `Value` nor its text is ever held (the
/// series can have 100,000 points).
fn print_report(
    mut report: Report,
    timing: Option<Value>,
    out: &mut impl Write,
) -> Result<(), String> {
    let series = std::mem::take(&mut report.series);
    let geo_series = report
        .geo
        .as_mut()
        .map(|g| std::mem::take(&mut g.series))
        .unwrap_or_default();
    let Value::Object(mut rest) = serde_json::to_value(&report).map_err(|e| e.to_string())? else {
        return Err("the report is not a JSON object".into());
    };
    drop(report);
    if let Some(timing) = timing {
        rest.insert("timing".into(), timing);
    }
    let printed = Printed {
        rest: &rest,
        series: &series,
        geo_series: &geo_series,
    };
    serde_json::to_writer_pretty(out, &printed).map_err(|e| e.to_string())
}

/// The report's entries (series left empty), the series to put back in, written as one object.
struct Printed<'a> {
    rest: &'a Map<String, Value>,
    series: &'a [SeriesPoint],
    geo_series: &'a [GeoPoint],
}

impl Serialize for Printed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.rest.len()))?;
        for (key, value) in self.rest {
            match (key.as_str(), value) {
                ("series", _) => map.serialize_entry(key, &Points(self.series))?,
                ("geo", Value::Object(geo)) => map.serialize_entry(
                    key,
                    &GeoPrinted {
                        rest: geo,
                        series: self.geo_series,
                    },
                )?,
                _ => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

/// The report's `geo` object with its series put back.
struct GeoPrinted<'a> {
    rest: &'a Map<String, Value>,
    series: &'a [GeoPoint],
}

impl Serialize for GeoPrinted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.rest.len()))?;
        for (key, value) in self.rest {
            if key == "series" {
                map.serialize_entry(key, &Points(self.series))?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// Series points written one at a time, each with its keys sorted (through its own `Value`).
struct Points<'a, T>(&'a [T]);

impl<T: Serialize> Serialize for Points<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for point in self.0 {
            let value = serde_json::to_value(point).map_err(S::Error::custom)?;
            seq.serialize_element(&value)?;
        }
        seq.end()
    }
}
