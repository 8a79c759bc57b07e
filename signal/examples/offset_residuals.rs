//! The carrier-offset estimator's residual per class and SNR: what the renderer leaves in a
//! burst after `offset_correction`, the offset the classifier still has to learn.
//!
//! ```text
//! cargo run --release -p fipmae-signal --example offset_residuals -- [fixed|ranges] [MAX_OFFSET] [BURSTS]
//! ```
//!
//! Prints a Markdown table: for each class and SNR (−10, 0, 3, 5, 10, 20 dB) the median and
//! the 90th percentile of |estimate − truth|, cycles/sample, over `BURSTS` (default 200)
//! bursts with offsets drawn U[−MAX_OFFSET, MAX_OFFSET] (default 0: bursts as the old, fixed
//! test set has them).

use signal::offset::{derotate, OffsetEstimator};
use signal::{synthesize, Modulation, SignalConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ranges = match args.first().map(String::as_str) {
        None | Some("fixed") => false,
        Some("ranges") => true,
        Some(other) => {
            eprintln!("error: the first argument is `fixed` or `ranges`, not {other:?}");
            std::process::exit(2);
        }
    };
    let parse = |i: usize, default: f64| -> f64 {
        match args.get(i).map(|s| s.parse::<f64>()) {
            None => default,
            Some(Ok(v)) if v.is_finite() && v >= 0.0 => v,
            Some(_) => {
                eprintln!("error: argument {} must be a finite number ≥ 0", i + 1);
                std::process::exit(2);
            }
        }
    };
    let max = parse(1, 0.0);
    let count = parse(2, 200.0).max(1.0) as u64;
    let mut config = if ranges {
        SignalConfig::standard()
    } else {
        SignalConfig::standard_fixed()
    };
    // the offset is added here, from its own draw, so every SNR sees the same ones
    config.channel.max_freq_offset = 0.0;
    let est = OffsetEstimator::new(config.num_samples, config.samples_per_symbol);
    let snrs = [-10.0, 0.0, 3.0, 5.0, 10.0, 20.0];
    print!("| class |");
    for s in snrs {
        print!(" {s} dB |");
    }
    println!();
    println!("|---|{}", "---|".repeat(snrs.len()));
    for class in Modulation::ALL {
        print!("| {} |", class.name());
        for snr in snrs {
            let mut errors: Vec<f64> = (0..count)
                .map(|i| {
                    // a fixed low-discrepancy draw in [−max, max]
                    let f = max * (2.0 * ((i as f64 * 0.618_033_988_75).fract()) - 1.0);
                    let b = synthesize(class, &config, 7, i, snr);
                    // turned forward by f: `derotate` by −f
                    let x = derotate(&b.noisy, -f);
                    (est.estimate(&x).cycles_per_sample - f).abs()
                })
                .collect();
            errors.sort_by(f64::total_cmp);
            let q = |p: f64| errors[((errors.len() - 1) as f64 * p) as usize];
            print!(" {:.0e} / {:.0e} |", q(0.5), q(0.9));
        }
        println!();
    }
}
