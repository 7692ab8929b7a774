//! Discrimination metrics for model selection.

/// Area under the ROC curve by the Mann–Whitney U statistic (Hanley & McNeil 1982): the
/// probability that a random case scores above a random control, ties counting one half.
///
/// Ties are handled with mid-ranks. Only entries with `present[i]` true count. Returns
/// `None` when there is not at least one case and one control, where the AUC is undefined.
pub fn auc(scores: &[f32], labels: &[f32], present: &[bool]) -> Option<f64> {
    let mut pairs: Vec<(f32, bool)> = scores
        .iter()
        .zip(labels)
        .zip(present)
        .filter(|(_, &p)| p)
        .map(|((&s, &l), _)| (s, l >= 0.5))
        .collect();
    let n_cases = pairs.iter().filter(|(_, case)| *case).count();
    let n_controls = pairs.len() - n_cases;
    if n_cases == 0 || n_controls == 0 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of the (1-based, mid-ranked) ranks of the cases.
    let mut case_rank_sum = 0.0f64;
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start + 1;
        while end < pairs.len() && pairs[end].0 == pairs[start].0 {
            end += 1;
        }
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        let cases = pairs[start..end].iter().filter(|(_, case)| *case).count();
        case_rank_sum += mid_rank * cases as f64;
        start = end;
    }
    let n1 = n_cases as f64;
    let u = case_rank_sum - n1 * (n1 + 1.0) / 2.0;
    Some(u / (n1 * n_controls as f64))
}

/// Mean of the defined AUCs; `None` when none is defined.
pub fn mean_auc(aucs: &[Option<f64>]) -> Option<f64> {
    let defined: Vec<f64> = aucs.iter().flatten().copied().collect();
    (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example_with_ties() {
        // Cases score 0.8, 0.4, 0.4; controls 0.4, 0.2, 0.1, 0.9.
        // Pairs (case > control = 1, tie = 1/2), per case over the 4 controls:
        //   0.8: 0.4 yes, 0.2 yes, 0.1 yes, 0.9 no  -> 3
        //   0.4: tie 0.4 -> 0.5, 0.2 yes, 0.1 yes    -> 2.5
        //   0.4: same                                -> 2.5
        // U = 8, AUC = 8 / (3 · 4) = 2/3.
        let scores = [0.8, 0.4, 0.4, 0.4, 0.2, 0.1, 0.9];
        let labels = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let present = [true; 7];
        let a = auc(&scores, &labels, &present).unwrap();
        assert!((a - 2.0 / 3.0).abs() < 1e-12, "{a}");
    }

    #[test]
    fn perfect_inverse_constant_and_masked() {
        let present = [true; 4];
        assert_eq!(
            auc(&[0.1, 0.2, 0.3, 0.4], &[0.0, 0.0, 1.0, 1.0], &present),
            Some(1.0)
        );
        assert_eq!(
            auc(&[0.1, 0.2, 0.3, 0.4], &[1.0, 1.0, 0.0, 0.0], &present),
            Some(0.0)
        );
        assert_eq!(auc(&[0.5; 4], &[1.0, 0.0, 1.0, 0.0], &present), Some(0.5));
        // Masking out the only control leaves the AUC undefined; masking a misranked case
        // makes it perfect.
        assert_eq!(
            auc(&[0.1, 0.2, 0.3], &[1.0, 1.0, 0.0], &[true, true, false]),
            None
        );
        assert_eq!(
            auc(
                &[0.9, 0.1, 0.5, 0.2],
                &[0.0, 1.0, 1.0, 0.0],
                &[false, false, true, true]
            ),
            Some(1.0)
        );
    }

    #[test]
    fn mean_skips_undefined() {
        assert_eq!(mean_auc(&[Some(0.5), None, Some(0.75)]), Some(0.625));
        assert_eq!(mean_auc(&[None]), None);
    }
}
