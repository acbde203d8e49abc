//! Differential privacy, the optional alternative to suppression: a category table with discrete Laplace noise
//! from OpenDP (its `make_laplace` on integer vectors, whose privacy map is proven), each query charged to the
//! asking coordinator's ε budget for the quarter.
//!
//! One youth's closed case adds one to exactly one cell of a scope's category table, so the table's L1
//! sensitivity is 1 and noise of scale 1/ε gives ε-differential privacy. Quarters hold disjoint cases (a case
//! closes in one quarter), so budgets are per quarter. Totals are sums of the noisy cells (after clamping at 0):
//! post-processing, costing nothing more.

use crate::error::{Error, Result};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_laplace;
use opendp::measures::MaxDivergence;
use opendp::metrics::L1Distance;

/// ε is kept in millionths, so that spending adds up exactly.
pub const MICRO: f64 = 1_000_000.0;

/// ε in millionths, rounded up (a query never costs less than asked).
pub fn micro(epsilon: f64) -> i64 {
    (epsilon * MICRO).ceil() as i64
}

/// The smallest and largest ε one query may cost.
pub const EPSILON_RANGE: std::ops::RangeInclusive<f64> = 0.01..=10.0;

/// Checks a requested ε, naming `field`.
pub fn check_epsilon(field: &str, epsilon: f64) -> Result<()> {
    if !epsilon.is_finite() || !EPSILON_RANGE.contains(&epsilon) {
        return Err(Error::invalid(
            field,
            format!(
                "{epsilon} is not between {} and {}",
                EPSILON_RANGE.start(),
                EPSILON_RANGE.end()
            ),
        ));
    }
    Ok(())
}

/// `counts` with discrete Laplace noise for ε (sensitivity 1), clamped at 0.
pub fn noisy(counts: &[u64], epsilon: f64) -> Result<Vec<u64>> {
    check_epsilon("epsilon", epsilon)?;
    let failed = |e: opendp::error::Error| Error::Privacy(e.to_string());
    let measurement = make_laplace::<_, _, MaxDivergence>(
        VectorDomain::new(AtomDomain::<i64>::default()),
        L1Distance::<i64>::default(),
        1.0 / epsilon,
        None,
    )
    .map_err(failed)?;
    let spent = measurement.map(&1).map_err(failed)?;
    if spent > epsilon * (1.0 + 1e-9) {
        return Err(Error::Privacy(format!(
            "the mechanism costs ε = {spent}, more than {epsilon}"
        )));
    }
    let exact: Vec<i64> = counts.iter().map(|c| *c as i64).collect();
    let released = measurement.invoke(&exact).map_err(failed)?;
    Ok(released.into_iter().map(|v| v.max(0) as u64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_added_and_scales_with_epsilon() {
        let counts = vec![50u64; 2000];
        let spread = |epsilon: f64| {
            let noisy = noisy(&counts, epsilon).unwrap();
            noisy.iter().map(|v| (*v as f64 - 50.0).abs()).sum::<f64>() / noisy.len() as f64
        };
        // The mean absolute deviation of discrete Laplace with scale b is about b.
        let (wide, narrow) = (spread(0.1), spread(2.0));
        assert!((6.0..14.0).contains(&wide), "{wide}");
        assert!(narrow < 1.0, "{narrow}");
    }

    #[test]
    fn epsilon_out_of_range_is_refused() {
        for epsilon in [0.0, -1.0, 11.0, f64::NAN] {
            let err = noisy(&[1, 2], epsilon).unwrap_err();
            assert!(err.to_string().starts_with("epsilon: "), "{err}");
        }
    }
}
