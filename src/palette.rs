//! The colours of the animated requests and their legend (outcomes, and where a success was
//! answered), chosen so that no two are confused by people with red–green colour-vision
//! deficiency.
//!
//! The outcomes take Okabe and Ito's eight colours for colour-blind readers, with a dark grey in
//! place of black (black dots vanish in the dark theme); the four kinds of success (CDN hit or
//! miss, cache hit or miss) take colours picked to stay clear of all eight. The tests below check every pair under
//! normal vision and simulated protanopia and deuteranopia (Viénot, Brettel and Mollon, 1999),
//! as a distance in CIELAB.

use crate::sim::Outcome;

/// A static asset served by the CDN edge from its copy.
pub const CDN_HIT: &str = "#86efac";
/// A static asset the edge fetched from the origin.
pub const CDN_ORIGIN: &str = "#4338ca";
/// A read a cache node answered.
pub const CACHE_HIT: &str = "#99f6e4";
/// A read the cache missed: the database answered.
pub const CACHE_MISS: &str = "#365314";

/// The colour of an outcome, as CSS hex.
pub fn outcome_colour(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "#009e73",
        Outcome::QueueFull => "#e69f00",
        Outcome::Timeout => "#cc79a7",
        Outcome::ServerDown => "#d55e00",
        Outcome::DnsDown => "#f0e442",
        Outcome::NoHealthyServer => "#0072b2",
        Outcome::DbDown => "#56b4e9",
        Outcome::SessionStoreDown => "#4d4d4d",
        Outcome::RateLimited => "#7a0177",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every outcome once.
    const ALL: [Outcome; 9] = [
        Outcome::Ok,
        Outcome::QueueFull,
        Outcome::Timeout,
        Outcome::ServerDown,
        Outcome::DnsDown,
        Outcome::NoHealthyServer,
        Outcome::DbDown,
        Outcome::SessionStoreDown,
        Outcome::RateLimited,
    ];

    type Matrix = [[f64; 3]; 3];
    const NORMAL: Matrix = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    /// Viénot, Brettel and Mollon (1999), in linear sRGB.
    const PROTANOPIA: Matrix = [
        [0.11238, 0.88762, 0.0],
        [0.11238, 0.88762, 0.0],
        [0.00401, -0.00401, 1.0],
    ];
    const DEUTERANOPIA: Matrix = [
        [0.29275, 0.70725, 0.0],
        [0.29275, 0.70725, 0.0],
        [-0.02234, 0.02234, 1.0],
    ];

    fn linear(channel: u8) -> f64 {
        let c = f64::from(channel) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }

    /// CIELAB (D65) of a hex colour as seen through `vision`.
    fn lab(hex: &str, vision: &Matrix) -> [f64; 3] {
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex colour");
        let rgb = [linear(byte(1)), linear(byte(3)), linear(byte(5))];
        let seen: Vec<f64> = vision
            .iter()
            .map(|row| (0..3).map(|j| row[j] * rgb[j]).sum::<f64>().clamp(0.0, 1.0))
            .collect();
        let (r, g, b) = (seen[0], seen[1], seen[2]);
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        let (fx, fy, fz) = (f(x), f(y), f(z));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// Every colour a dot can have, named.
    fn every_colour() -> Vec<(String, &'static str)> {
        let mut all: Vec<(String, &'static str)> = ALL
            .iter()
            .map(|o| (format!("{o:?}"), outcome_colour(*o)))
            .collect();
        for (name, colour) in [
            ("CDN hit", CDN_HIT),
            ("CDN origin", CDN_ORIGIN),
            ("cache hit", CACHE_HIT),
            ("cache miss", CACHE_MISS),
        ] {
            all.push((name.to_string(), colour));
        }
        all
    }

    /// The closest pair of dot colours under `vision`, as a CIE76 distance.
    fn closest_pair(vision: &Matrix) -> (f64, String, String) {
        let all = every_colour();
        let mut best = (f64::INFINITY, String::new(), String::new());
        for (i, (a, ca)) in all.iter().enumerate() {
            for (b, cb) in &all[i + 1..] {
                let (la, lb) = (lab(ca, vision), lab(cb, vision));
                let d = (0..3).map(|k| (la[k] - lb[k]).powi(2)).sum::<f64>().sqrt();
                if d < best.0 {
                    best = (d, a.clone(), b.clone());
                }
            }
        }
        best
    }

    /// The previous palette's closest pairs were 13.9 (server down vs session store down,
    /// normal vision) and 9.3 (queue full vs no healthy server, deuteranopia), and a CDN miss
    /// (a success) was nearly the colour of a database failure; this one keeps every pair of the
    /// thirteen at least 15 apart for all three (rate limited, added with the rate limiter: plum, 21.8 from its nearest).
    #[test]
    fn no_two_outcomes_look_alike_with_or_without_red_green_deficiency() {
        for (name, vision) in [
            ("normal vision", NORMAL),
            ("protanopia", PROTANOPIA),
            ("deuteranopia", DEUTERANOPIA),
        ] {
            let (d, a, b) = closest_pair(&vision);
            assert!(d >= 15.0, "{name}: {a:?} and {b:?} are only {d:.1} apart");
        }
    }

    #[test]
    fn every_dot_class_has_its_own_colour() {
        let all = every_colour();
        for (i, (a, ca)) in all.iter().enumerate() {
            for (b, cb) in &all[i + 1..] {
                assert_ne!(ca, cb, "{a} and {b}");
            }
        }
    }
}
