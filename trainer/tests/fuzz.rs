//! A short, deterministic pass of the fuzzer over every reader (`fipmae bench fuzz` runs
//! it for longer): no panic, no non-finite rendering of an accepted recording.

use trainer::tools::fuzz::{run, Budget};

#[test]
fn mutated_inputs_never_panic_any_reader() -> anyhow::Result<()> {
    let reports = run(2026, Budget::Inputs(400))?;
    assert_eq!(reports.len(), 10);
    for r in &reports {
        assert_eq!(r.inputs, 400, "{}", r.name);
        assert!(
            r.findings.is_empty(),
            "{}: {} findings, e.g. {:?}",
            r.name,
            r.finding_count,
            r.findings
        );
    }
    // the mutations reach past the first check: some inputs are still accepted
    let accepted: u64 = reports.iter().map(|r| r.accepted).sum();
    assert!(accepted > 0);
    Ok(())
}
