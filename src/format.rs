//! Number formatting for people (thousands separators, sensible decimals), shared by the app and
//! the command line.

/// `1234567` → `"1,234,567"`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A 0–1 fraction as a whole percentage: `0.423` → `"42 %"`.
pub fn percent(fraction: f64) -> String {
    format!("{:.0} %", (fraction * 100.0).clamp(0.0, 100.0))
}

/// A factor without a needless decimal: `8` → `"8"`, `2.5` → `"2.5"`.
pub fn times(factor: f64) -> String {
    if factor.fract() == 0.0 {
        format!("{factor:.0}")
    } else {
        format!("{factor:.1}")
    }
}

/// A figure with few significant decimals: three below 1, one below 100, none above, with
/// thousands separators (`15,968`).
pub fn figure(x: f64) -> String {
    if !x.is_finite() {
        return "0".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a < 1.0 {
        format!("{x:.3}")
    } else if a < 100.0 {
        format!("{x:.1}")
    } else {
        let sign = if x < 0.0 { "-" } else { "" };
        format!("{sign}{}", grouped(a.round() as u64))
    }
}

/// `1 entry`, `2 entries`: a count with the word that fits it.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}
