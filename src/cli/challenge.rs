//! `scalesim challenge`: the list of challenges and a grade, as text for a terminal.

use super::table::{percent, real, table};
use crate::challenge::{Challenge, Grade, Objective, ObjectiveResult};
use crate::format::figure;

/// `challenge list`: one row per challenge.
pub fn list_table(all: &[Challenge]) -> String {
    let mut t = table(&["#", "title", "stage", "objectives", "budget $/h"]);
    for c in all {
        let objectives: Vec<String> = c.objectives.iter().map(Objective::label).collect();
        t.add_row(vec![
            c.id.to_string(),
            c.title.clone(),
            c.stage.to_string(),
            objectives.join("; "),
            format!("{:.2}", c.budget_usd_per_hour),
        ]);
    }
    if let Some(column) = t.column_mut(1) {
        column.set_cell_alignment(comfy_table::CellAlignment::Left);
    }
    if let Some(column) = t.column_mut(3) {
        column.set_cell_alignment(comfy_table::CellAlignment::Left);
    }
    t.to_string()
}

/// A measured number in its objective's unit.
pub fn measured_text(r: &ObjectiveResult) -> String {
    let Some(value) = r.measured else {
        return "—".to_string();
    };
    match r.objective.unit() {
        "ratio" => percent(value),
        "ms" => format!("{} ms", real(value)),
        "s" => format!("{} s", figure(value)),
        _ => figure(value),
    }
}

/// `challenge check`: every objective with its number, the cost and the verdict.
pub fn grade_text(c: &Challenge, g: &Grade) -> String {
    let mut out = format!("Challenge {}: {}\n", c.id, c.title);
    if let Some(error) = &g.error {
        out.push_str(&format!("FAIL: {error}\n"));
        return out;
    }
    let mut t = table(&["objective", "measured", "", "note"]);
    for r in &g.objectives {
        t.add_row(vec![
            r.label.clone(),
            measured_text(r),
            if r.pass { "pass" } else { "FAIL" }.to_string(),
            r.note.clone().unwrap_or_default(),
        ]);
    }
    t.add_row(vec![
        format!("cost ≤ ${:.2}/h", g.budget_usd_per_hour),
        format!("${:.3}/h", g.cost_usd_per_hour),
        if g.within_budget { "pass" } else { "FAIL" }.to_string(),
        String::new(),
    ]);
    out.push_str(&t.to_string());
    out.push('\n');
    let seeds: Vec<String> = g.seeds.iter().map(u64::to_string).collect();
    out.push_str(&format!(
        "Worst of seeds {} (each run {} s).\n",
        seeds.join(", "),
        c.script.duration_s
    ));
    if g.pass {
        out.push_str(&format!(
            "PASS {} ({} of 3 stars: ≤ budget, ≤ 75 %, ≤ 50 % of it)\n",
            "★".repeat(usize::from(g.stars)),
            g.stars
        ));
    } else {
        out.push_str("FAIL\n");
        if let Some(broke) = &g.broke_first {
            out.push_str(&format!("What broke first: {broke}\n"));
        }
    }
    out
}
