//! Dynamics in plain language: the crest factor graded with the mixing guides' thresholds.
//!
//! Crest factor here is the meter core's definition (`meter::engine`): sample peak (dBFS) minus
//! unweighted RMS (dBFS, averaged over channels), over the whole measurement. The guides'
//! rule of thumb for a finished mix: 12-18 dB is healthy, below 8 dB is over-compressed
//! (limited flat), between them dense; above 18 dB is very dynamic (fine for acoustic music, a
//! lot of work for a mastering limiter in pop). PLR (true peak minus integrated loudness, EBU
//! R128 s2 / Tech 3342 terms) and PSR (true peak of the last 3 s minus short-term loudness) are
//! shown beside it as numbers: they run a few dB below the crest factor on typical music
//! (K-weighting and gating), so the crest thresholds are not applied to them.

/// Below this crest factor a mix is over-compressed, dB.
pub const OVER_COMPRESSED_BELOW_DB: f64 = 8.0;
/// The healthy range of the crest factor, dB.
pub const HEALTHY_DB: (f64, f64) = (12.0, 18.0);

/// The grade of a crest factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamicsGrade {
    OverCompressed,
    Dense,
    Healthy,
    VeryDynamic,
}

impl DynamicsGrade {
    /// The grade as shown to the user.
    pub fn text(self) -> &'static str {
        match self {
            DynamicsGrade::OverCompressed => "over-compressed",
            DynamicsGrade::Dense => "dense",
            DynamicsGrade::Healthy => "healthy",
            DynamicsGrade::VeryDynamic => "very dynamic",
        }
    }

    /// Whether the grade calls for attention.
    pub fn is_problem(self) -> bool {
        self == DynamicsGrade::OverCompressed
    }
}

/// Grades a crest factor (dB); `None` without one.
pub fn grade(crest_factor_db: Option<f64>) -> Option<DynamicsGrade> {
    let crest = crest_factor_db.filter(|c| c.is_finite())?;
    Some(if crest < OVER_COMPRESSED_BELOW_DB {
        DynamicsGrade::OverCompressed
    } else if crest < HEALTHY_DB.0 {
        DynamicsGrade::Dense
    } else if crest <= HEALTHY_DB.1 {
        DynamicsGrade::Healthy
    } else {
        DynamicsGrade::VeryDynamic
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_follow_the_guides_thresholds() {
        assert_eq!(grade(Some(3.0)), Some(DynamicsGrade::OverCompressed)); // a sine: 3 dB
        assert_eq!(grade(Some(7.99)), Some(DynamicsGrade::OverCompressed));
        assert_eq!(grade(Some(8.0)), Some(DynamicsGrade::Dense));
        assert_eq!(grade(Some(12.0)), Some(DynamicsGrade::Healthy));
        assert_eq!(grade(Some(18.0)), Some(DynamicsGrade::Healthy));
        assert_eq!(grade(Some(18.1)), Some(DynamicsGrade::VeryDynamic));
        assert_eq!(grade(None), None);
        assert_eq!(grade(Some(f64::NAN)), None);
        assert!(DynamicsGrade::OverCompressed.is_problem());
        assert!(!DynamicsGrade::Healthy.is_problem());
    }
}
