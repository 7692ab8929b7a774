//! Linear polygenic scores with plink2 `--score` arithmetic.
