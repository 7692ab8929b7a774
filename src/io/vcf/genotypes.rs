//! Format-independent pieces of dosage decoding: which FORMAT field to use, how a called
//! genotype becomes dosages, and the VCF ordering of genotypes that `GP` (and `GL`/`PL`)
//! values follow.

use crate::io::{DosageField, Dosages};

/// Ploidy assumed where no GT tells it.
pub(crate) const DEFAULT_PLOIDY: u8 = 2;

/// The field dosages are taken from for one record, given which of DS, GP and GT it has.
/// `None` leaves every sample missing: the forced field, or all three, is absent.
pub(crate) fn choose_field(
    option: DosageField,
    has_ds: bool,
    has_gp: bool,
    has_gt: bool,
) -> Option<DosageField> {
    let present = |f: DosageField, has: bool| has.then_some(f);
    match option {
        DosageField::Auto => present(DosageField::Ds, has_ds)
            .or(present(DosageField::Gp, has_gp))
            .or(present(DosageField::Gt, has_gt)),
        DosageField::Ds => present(DosageField::Ds, has_ds),
        DosageField::Gp => present(DosageField::Gp, has_gp),
        DosageField::Gt => present(DosageField::Gt, has_gt),
    }
}

/// Sets sample `s` from a called GT: its ploidy and, unless an allele is missing, the copies
/// of each of `out`'s alleles among `alleles` (the called allele indexes).
pub(crate) fn set_called(
    out: &mut Dosages,
    s: usize,
    ploidy: u8,
    missing: bool,
    alleles: &[usize],
) {
    out.set_ploidy(s, ploidy);
    if !missing {
        for a in 0..out.n_alleles() {
            out.set(a, s, 0.0);
        }
        for &a in alleles {
            out.set(a, s, out.get(a, s) + 1.0);
        }
    }
}

/// More genotypes than this for one ploidy and allele count is refused rather than
/// enumerated (a corrupt ploidy or allele count would otherwise exhaust memory).
const MAX_GENOTYPES: usize = 1 << 16;

/// Allele copy numbers of every genotype of one ploidy over `n_alleles` alleles, in the
/// order VCF lists per-genotype values (VCF 4.3 §1.6.2, `GL`): the genotype with sorted
/// alleles `a_1 <= ... <= a_P` has index `Σ_m C(a_m + m - 1, m)`, which for diploids is
/// `F(j/k) = k(k+1)/2 + j`: 0/0, 0/1, 1/1, 0/2, 1/2, 2/2, ...
#[derive(Debug)]
pub(crate) struct GenotypeTable {
    pub(crate) ploidy: usize,
    n_alleles: usize,
    /// `n_genotypes × n_alleles` copy numbers, genotype-major.
    counts: Vec<u8>,
}

impl GenotypeTable {
    pub(crate) fn new(ploidy: usize, n_alleles: usize) -> Result<GenotypeTable, String> {
        if ploidy == 0 || ploidy > usize::from(u8::MAX) || n_alleles == 0 {
            return Err(format!(
                "cannot order genotypes for ploidy {ploidy} and {n_alleles} alleles"
            ));
        }
        let mut counts = Vec::new();
        // Sorted alleles of the current genotype; successors in colexicographic order
        // enumerate genotypes in increasing VCF index.
        let mut alleles = vec![0usize; ploidy];
        loop {
            if counts.len() / n_alleles >= MAX_GENOTYPES {
                return Err(format!(
                    "too many genotypes for ploidy {ploidy} and {n_alleles} alleles"
                ));
            }
            let start = counts.len();
            counts.resize(start + n_alleles, 0);
            for &a in &alleles {
                counts[start + a] += 1;
            }
            let Some(i) = (0..ploidy).find(|&i| {
                if i + 1 == ploidy {
                    alleles[i] + 1 < n_alleles
                } else {
                    alleles[i] < alleles[i + 1]
                }
            }) else {
                break;
            };
            alleles[i] += 1;
            alleles[..i].fill(0);
        }
        Ok(GenotypeTable {
            ploidy,
            n_alleles,
            counts,
        })
    }

    pub(crate) fn n_genotypes(&self) -> usize {
        self.counts.len() / self.n_alleles
    }

    /// Copies of allele `allele` in genotype `genotype`.
    #[inline]
    pub(crate) fn count(&self, genotype: usize, allele: usize) -> u8 {
        self.counts[genotype * self.n_alleles + allele]
    }

    /// Sets sample `s` from its GP values, one probability per genotype of this table:
    /// each allele's dosage is its expected copy number, `Σ_g P(g) · copies(g, a)`, and the
    /// ploidy is the table's. A GP of the wrong length is an error message.
    pub(crate) fn set_expected(
        &self,
        out: &mut Dosages,
        s: usize,
        probabilities: &[f64],
    ) -> Result<(), String> {
        if probabilities.len() != self.n_genotypes() {
            return Err(format!(
                "GP has {} values, expected {} for ploidy {} and {} alleles",
                probabilities.len(),
                self.n_genotypes(),
                self.ploidy,
                self.n_alleles
            ));
        }
        for a in 0..self.n_alleles {
            let dosage: f64 = probabilities
                .iter()
                .enumerate()
                .map(|(g, p)| p * f64::from(self.count(g, a)))
                .sum();
            out.set(a, s, dosage);
        }
        out.set_ploidy(s, self.ploidy as u8);
        Ok(())
    }
}

/// Genotype tables for the ploidies met while decoding one record.
#[derive(Default)]
pub(crate) struct GenotypeTables {
    n_alleles: usize,
    tables: Vec<GenotypeTable>,
}

impl GenotypeTables {
    pub(crate) fn new(n_alleles: usize) -> GenotypeTables {
        GenotypeTables {
            n_alleles,
            tables: Vec::new(),
        }
    }

    pub(crate) fn get(&mut self, ploidy: usize) -> Result<&GenotypeTable, String> {
        let i = match self.tables.iter().position(|t| t.ploidy == ploidy) {
            Some(i) => i,
            None => {
                self.tables
                    .push(GenotypeTable::new(ploidy, self.n_alleles)?);
                self.tables.len() - 1
            }
        };
        Ok(&self.tables[i])
    }

    /// The ploidy a GP vector of `n_values` implies when no GT says otherwise: diploid,
    /// unless it holds exactly one value per allele (haploid).
    pub(crate) fn implied_ploidy(&self, n_values: usize) -> usize {
        let diploid = self.n_alleles * (self.n_alleles + 1) / 2;
        if n_values != diploid && n_values == self.n_alleles {
            1
        } else {
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genotypes(t: &GenotypeTable) -> Vec<Vec<u8>> {
        (0..t.n_genotypes())
            .map(|g| (0..t.n_alleles).map(|a| t.count(g, a)).collect())
            .collect()
    }

    #[test]
    fn diploid_order_matches_vcf_formula() {
        let t = GenotypeTable::new(2, 3).unwrap();
        // 0/0, 0/1, 1/1, 0/2, 1/2, 2/2
        assert_eq!(
            genotypes(&t),
            vec![
                vec![2, 0, 0],
                vec![1, 1, 0],
                vec![0, 2, 0],
                vec![1, 0, 1],
                vec![0, 1, 1],
                vec![0, 0, 2]
            ]
        );
        // F(j/k) = k(k+1)/2 + j for 4 alleles.
        let t = GenotypeTable::new(2, 4).unwrap();
        for k in 0..4 {
            for j in 0..=k {
                let g = k * (k + 1) / 2 + j;
                let mut want = vec![0u8; 4];
                want[j] += 1;
                want[k] += 1;
                assert_eq!(genotypes(&t)[g], want, "genotype {j}/{k}");
            }
        }
    }

    #[test]
    fn haploid_and_triploid_orders() {
        let t = GenotypeTable::new(1, 3).unwrap();
        assert_eq!(
            genotypes(&t),
            vec![vec![1, 0, 0], vec![0, 1, 0], vec![0, 0, 1]]
        );
        // Triploid biallelic: 0/0/0, 0/0/1, 0/1/1, 1/1/1.
        let t = GenotypeTable::new(3, 2).unwrap();
        assert_eq!(
            genotypes(&t),
            vec![vec![3, 0], vec![2, 1], vec![1, 2], vec![0, 3]]
        );
        // Triploid with 3 alleles: C(5,3) = 10 genotypes; index of 0/1/2 is
        // C(0,1) + C(2,2) + C(4,3) = 0 + 1 + 4 = 5.
        let t = GenotypeTable::new(3, 3).unwrap();
        assert_eq!(t.n_genotypes(), 10);
        assert_eq!(genotypes(&t)[5], vec![1, 1, 1]);
    }

    #[test]
    fn absurd_sizes_are_refused() {
        assert!(GenotypeTable::new(0, 2).is_err());
        assert!(GenotypeTable::new(2, 0).is_err());
        assert!(GenotypeTable::new(200, 200).is_err());
    }

    #[test]
    fn field_choice() {
        use DosageField::*;
        assert_eq!(choose_field(Auto, true, true, true), Some(Ds));
        assert_eq!(choose_field(Auto, false, true, true), Some(Gp));
        assert_eq!(choose_field(Auto, false, false, true), Some(Gt));
        assert_eq!(choose_field(Auto, false, false, false), None);
        assert_eq!(choose_field(Gp, true, false, true), None);
        assert_eq!(choose_field(Gt, true, true, true), Some(Gt));
    }

    #[test]
    fn implied_ploidy_from_gp_length() {
        let t = GenotypeTables::new(2);
        assert_eq!(t.implied_ploidy(3), 2);
        assert_eq!(t.implied_ploidy(2), 1);
        assert_eq!(GenotypeTables::new(1).implied_ploidy(1), 2);
    }
}
