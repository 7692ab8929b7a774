//! Command-line definitions. Arguments are turned into validated library configuration
//! before any work starts; nothing here computes anything itself.

mod evaluate;
mod gwas;
mod imaging;
mod model;
mod panel;
mod prs;
mod score;
mod simulate;
mod simulate_images;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use medgem_prs::genome::Region;

/// Genomic disease-risk prediction: plink2-exact polygenic scores from VCF/BCF, BGEN and
/// PLINK genotypes.
#[derive(Parser, Debug)]
#[command(name = "medgem-prs", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
// Parsed once per run: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// The main job: linear polygenic scores of a panel, its genomic image and the
    /// transformer's risk predictions, for every sample of a cohort.
    ///
    /// Without --panel and --model it uses the built-in default (trained on SYNTHETIC data;
    /// not for clinical use). With --panel only, it reports the linear scores alone. Runs
    /// match -> linear scores (plink2 arithmetic) -> genomic image -> model, and writes into
    /// --out (default medgem-prs-out/):
    ///   scores.tsv   IID; per trait × threshold: score, z, percentile (against the model's
    ///                training-split reference, or the cohort itself without a model); per
    ///                outcome: probability and relative risk against the reference prevalence
    ///   report.json  inputs, match summary, distributions, outcomes (machine-readable)
    ///   report.html  one self-contained page (opens offline)
    /// Without --covariates, age, sex and BMI take the model's missing-value path.
    ///
    /// Examples:
    ///   medgem-prs score cohort.vcf.gz
    ///   medgem-prs score cohort.bgen --sample cohort.sample --covariates covariates.tsv \
    ///       --show-sample S000034 --out results/
    ///   medgem-prs score cohort.bed --panel panels/mine --out linear-only/
    #[command(verbatim_doc_comment)]
    Score(ScoreArgs),
    /// Compute linear polygenic scores exactly as plink2 --score does.
    ///
    /// Scoring files (PGS Catalog format, raw or harmonised, custom files with
    /// chr_name/chr_position/effect_allele/effect_weight, or plink-style
    /// `ID effect_allele weight...` files, optionally gzipped) are matched against the
    /// genotypes with the PGS Catalog Calculator's rules, then scored in one streaming pass.
    ///
    /// Writes PREFIX.sscore (plink2 columns: #IID ALLELE_CT DENOM NAMED_ALLELE_DOSAGE_SUM
    /// <SCORE>_AVG... <SCORE>_SUM...), PREFIX.sscore.vars (variants used, as
    /// CHR:POS:REF:ALT), PREFIX.match.tsv.gz (one row per match candidate) and
    /// PREFIX.summary.tsv (match rates per score).
    ///
    /// Example:
    ///   medgem-prs prs cohort.vcf.gz --scores PGS000001_hmPOS_GRCh38.txt.gz --out out/cohort
    #[command(verbatim_doc_comment)]
    Prs(PrsArgs),
    /// Combine `prs` outputs of shards scored by region (--region) or by sample chunk
    /// (--samples): sums per sample, concatenates sample chunks, recomputes averages.
    ///
    /// Example:
    ///   medgem-prs merge out/chr1 out/chr2 out/chr3 --out out/all
    #[command(verbatim_doc_comment)]
    Merge(MergeArgs),
    /// Per-variant association tests of one phenotype, like plink2 --glm.
    ///
    /// Each ALT allele's dosage (additive) is tested in phenotype ~ intercept + covariates +
    /// dosage: by least squares (t test) for a quantitative phenotype, by logistic
    /// regression (Wald test, BETA = log-odds per ALT allele) for a 0/1 phenotype, with
    /// Firth's penalised regression when logistic regression does not converge. Samples
    /// missing the phenotype or a covariate are left out; a sample with a missing call is
    /// left out of that variant only (column N).
    ///
    /// The phenotype table is tab-separated with an IID column (also #IID); sex may be
    /// F/M, female/male, 0/1 (0 = female) or plink's 1 = male, 2 = female; NA or an empty
    /// field is missing.
    ///
    /// Writes FILE with columns CHROM POS ID REF ALT A1 A1_FREQ N BETA SE P (A1 = the ALT
    /// allele tested; FIRTH_YN added for binary phenotypes).
    ///
    /// Example:
    ///   medgem-prs gwas cohort.vcf.gz --phenotypes phenotypes.tsv --pheno t2d \
    ///       --covar age,sex,bmi,PC1,PC2 --out t2d.gwas.tsv
    #[command(verbatim_doc_comment)]
    Gwas(GwasArgs),
    /// Build panels: P+T from GWAS summary statistics (`panel build`), or from PGS Catalog
    /// scoring files (`panel import`).
    Panel(panel::PanelArgs),
    /// Build a bgenix-compatible .bgi index for a BGEN file, so that scoring reads only the
    /// variants a panel needs.
    Index(IndexArgs),
    /// Make a synthetic biobank: genotypes with LD, GWAS traits with shared genetics, the
    /// 14 outcomes of the paper as liability-threshold diseases, splits, and a panel built
    /// by gwas + panel build on the discovery split.
    ///
    /// Deterministic for a given seed and configuration. Writes into DIR (atomically: a
    /// failed run leaves nothing): genotypes.vcf.gz(+.tbi), genotypes.bgen(+.bgi, .sample),
    /// genotypes.bed/.bim/.fam, phenotypes.tsv (with a split column), splits.tsv, truth.tsv
    /// (latent genetic values and liabilities), truth_variants.tsv (causal variants),
    /// gwas/<trait>.tsv.gz, panel/ and a README.md describing the generative model.
    ///
    /// `--architecture nonlinear` (default) adds sex-specific genetic effects, age-dependent
    /// penetrance, gene×BMI and between-liability interactions to the outcomes;
    /// `--architecture additive` turns all of them off.
    ///
    /// Example (about a minute on 2 cores):
    ///   medgem-prs simulate --samples 10000 --variants 20000 --traits 64 --seed 7 --out sim
    #[command(verbatim_doc_comment)]
    Simulate(SimulateArgs),
    #[command(verbatim_doc_comment)]
    SimulateImages(simulate_images::SimulateImagesArgs),
    /// Train the genomic transformer on a cohort: linear scores of every panel trait ×
    /// threshold become a genomic image (one 8×8 tile per trait, channels = thresholds),
    /// which a ViT-style transformer reads with age, sex and BMI tokens and one query token
    /// per outcome.
    ///
    /// The 8 in-distribution outcomes the phenotype table labels (cad stroke t2d glaucoma
    /// copd ra mdd mortality; 0/1/NA) are trained together (NA masked, classes weighted);
    /// the 6 out-of-distribution ones are queried zero-shot from their anchor traits. The
    /// split comes from the table's `split` column, or --splits, or a seeded 70/15/15 draw.
    /// AdamW with warm-up and cosine decay, early stopping on the mean validation AUC.
    ///
    /// Writes DIR/config.json (everything needed to rebuild the inputs), DIR/model.mpk
    /// (burn weights) and DIR/MODEL_CARD.md.
    ///
    /// With --modality image the same transformer core and training loop read 2D medical
    /// images instead: every image (PNG, JPEG or DICOM, after its rescale and VOI window)
    /// is letterboxed to --image-size pixels, cut into --patch patches (one token each),
    /// and one query per finding of --labels is trained (multi-label: `image` then 0/1/NA
    /// columns, optional `split`). Training batches are augmented (flips, small rotations,
    /// shifts, zooms, brightness and contrast) unless --no-augment.
    ///
    /// Examples:
    ///   medgem-prs train sim/genotypes.bed --phenotypes sim/phenotypes.tsv --panel sim/panel \
    ///       --out models/mine --epochs 30
    ///   medgem-prs simulate-images --count 2000 --size 64 --seed 1 --out phantoms
    ///   medgem-prs train --modality image --images phantoms/images \
    ///       --labels phantoms/labels.tsv --out models/cxr
    #[command(verbatim_doc_comment)]
    Train(TrainArgs),
    /// Predict outcome probabilities with a trained model: IID then one column per outcome
    /// (trained and zero-shot). Refuses a panel other than the model's (sha256).
    ///
    /// With --modality image: every image of --images (a folder or one file; PNG, JPEG,
    /// DICOM), prepared as the model's config.json says; `image` then one column per
    /// finding.
    ///
    /// Examples:
    ///   medgem-prs predict cohort.vcf.gz --model models/mine --panel sim/panel \
    ///       --covariates covariates.tsv --out predictions.tsv
    ///   medgem-prs predict --modality image --model models/cxr --images dicoms/ \
    ///       --out findings.tsv
    #[command(verbatim_doc_comment)]
    Predict(PredictArgs),
    /// Compare a trained model with the linear baselines on the test split, as the paper
    /// did and further.
    ///
    /// Baselines, fitted on the train split (choices tuned by cross-validation on it, or on
    /// the validation split):
    ///   ensemble            ridge logistic regression on every trait × threshold score plus
    ///                       age, sex, BMI (and PCs); λ by --folds-fold cross-validation
    ///   single_prs          the outcome's leading anchor trait at its best threshold (by
    ///                       validation AUROC) plus the covariates
    ///   linear_probe        ridge logistic regression on the frozen model's pooled embedding
    ///   correlated_outcome  for a zero-shot outcome: the ensemble of the in-distribution
    ///                       outcome whose labels correlate most with it on the train split
    /// Metrics on the test split: AUROC with its 95% DeLong CI, the paired DeLong test
    /// against the model, AUPRC, Brier score, calibration slope and intercept; on the whole
    /// split ("full") and under the paper's balanced protocol ("balanced": --balanced cases
    /// and as many controls, --draws seeded draws, mean and spread reported).
    ///
    /// The split comes from the phenotype table's `split` column, or --splits, or a seeded
    /// 70/15/15 draw. Writes into --out: comparison.tsv (one row per outcome × method ×
    /// protocol), comparison.md (verdicts and tables), predictions.tsv (IID outcome method
    /// score label, to recompute every number), report.json, and per outcome
    /// roc_<outcome>.svg/.png and calibration_<outcome>.svg/.png.
    ///
    /// With --modality image (--images, --labels): the same outputs per finding, against
    ///   pixel_ridge         ridge logistic regression on the image's patch means (a
    ///                       linear model on a thumbnail), λ by cross-validation
    ///   linear_probe        as above
    /// on the test split of the model's own split (same seed) or the table's `split`.
    ///
    /// Examples:
    ///   medgem-prs evaluate sim/genotypes.vcf.gz --model models/mine --panel sim/panel \
    ///       --phenotypes sim/phenotypes.tsv --out eval/
    ///   medgem-prs evaluate --modality image --model models/cxr --images phantoms/images \
    ///       --labels phantoms/labels.tsv --out eval-cxr/
    #[command(verbatim_doc_comment)]
    Evaluate(EvaluateArgs),
    /// Compute the genomic images a model reads: a table of every tile's value per channel,
    /// and with --png one PNG per sample plus the cohort average.
    ///
    /// Example:
    ///   medgem-prs encode cohort.vcf.gz --model models/mine --panel sim/panel \
    ///       --out images.tsv --png images/
    #[command(verbatim_doc_comment)]
    Encode(EncodeArgs),
    /// Measure training and inference speed of the transformer on synthetic random genomic
    /// images of T traits (default: the paper's 7,415), on the CPU or a GPU. Prints JSON.
    ///
    /// Example:
    ///   medgem-prs bench-model --traits 7415 --samples 2048 --device cuda
    #[command(verbatim_doc_comment)]
    BenchModel(BenchModelArgs),
    /// Measure CPU inference speed of a trained model (default: the embedded one): panel
    /// scores drawn from the model's normalisation statistics are rendered into genomic
    /// images (encode) and run through the CPU engine (forward pass), several times.
    /// Prints JSON with seconds per stage and samples/s.
    ///
    /// Example:
    ///   medgem-prs bench-inference --samples 200000 --repeats 5 --threads 2
    #[command(verbatim_doc_comment)]
    BenchInference(BenchInferenceArgs),
}

/// Options shared by commands that read genotypes.
#[derive(Args, Debug, Clone)]
pub struct GenotypeArgs {
    /// Genotypes: VCF (plain or BGZF .vcf.gz, with .tbi/.csi for region queries), BCF,
    /// BGEN v1.1/v1.2 (with .bgi for skipping), or a PLINK 1 .bed (or its prefix).
    /// The format is recognised from the file's content.
    pub genotypes: PathBuf,
    /// BGEN .sample file with the sample IDs (when the BGEN file has none, or to override).
    #[arg(long = "sample", value_name = "FILE")]
    pub sample_file: Option<PathBuf>,
    /// VCF/BCF field to take dosages from: DS, GP, GT, or auto (DS, else GP, else GT).
    #[arg(long, value_name = "FIELD", default_value = "auto")]
    pub dosage_field: String,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bars or informational messages.
    #[arg(long, short)]
    pub quiet: bool,
}

/// [`GenotypeArgs`] of the model commands, where `--modality image` takes no genotypes.
#[derive(Args, Debug, Clone)]
pub struct ModelGenotypeArgs {
    /// Genotypes: VCF (plain or BGZF .vcf.gz, with .tbi/.csi for region queries), BCF,
    /// BGEN v1.1/v1.2 (with .bgi for skipping), or a PLINK 1 .bed (or its prefix).
    /// The format is recognised from the file's content. Not with --modality image.
    pub genotypes: Option<PathBuf>,
    /// BGEN .sample file with the sample IDs (when the BGEN file has none, or to override).
    #[arg(long = "sample", value_name = "FILE")]
    pub sample_file: Option<PathBuf>,
    /// VCF/BCF field to take dosages from: DS, GP, GT, or auto (DS, else GP, else GT).
    #[arg(long, value_name = "FIELD", default_value = "auto")]
    pub dosage_field: String,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bars or informational messages.
    #[arg(long, short)]
    pub quiet: bool,
}

impl ModelGenotypeArgs {
    /// The genotype options of a genomic run; an error when GENOTYPES is missing.
    pub fn required(&self) -> anyhow::Result<GenotypeArgs> {
        let Some(genotypes) = self.genotypes.clone() else {
            anyhow::bail!(
                "missing GENOTYPES: a genomic model reads a genotype file (for images use \
                 --modality image --images DIR)"
            );
        };
        Ok(GenotypeArgs {
            genotypes,
            sample_file: self.sample_file.clone(),
            dosage_field: self.dosage_field.clone(),
            threads: self.threads,
            quiet: self.quiet,
        })
    }
}

/// What a model reads.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Modality {
    /// Genotypes, scored into the genomic image, plus covariates.
    #[default]
    Genomic,
    /// 2D medical images (PNG, JPEG, DICOM) with multi-label findings.
    Image,
}

#[derive(Args, Debug)]
pub struct PrsArgs {
    #[command(flatten)]
    pub genotypes: GenotypeArgs,
    /// Scoring files; several files, and several score columns per file, are scored in one
    /// pass.
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub scores: Vec<PathBuf>,
    /// Output prefix: PREFIX.sscore, PREFIX.sscore.vars, PREFIX.match.tsv.gz,
    /// PREFIX.summary.tsv.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    /// Minimum fraction of each score's variants that must match; a score below it fails
    /// the run (pgsc_calc's --min_overlap).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.75)]
    pub min_overlap: f64,
    /// Keep strand-ambiguous A/T and C/G variants (excluded by default).
    #[arg(long)]
    pub keep_ambiguous: bool,
    /// Keep matches at multi-allelic sites (excluded by default).
    #[arg(long)]
    pub keep_multiallelic: bool,
    /// Do not match variants whose alleles only agree after a strand flip.
    #[arg(long)]
    pub ignore_strand_flips: bool,
    /// Drop missing genotypes instead of imputing ploidy × allele frequency; DENOM then
    /// equals ALLELE_CT, as in plink2.
    #[arg(long)]
    pub no_mean_imputation: bool,
    /// Allele frequencies for mean imputation (plink2 .afreq or plink 1.9 .frq); by
    /// default they are computed from the scored samples. Give the whole cohort's
    /// frequencies when scoring sample chunks, so that the chunks merge exactly.
    #[arg(long, value_name = "FILE")]
    pub read_freq: Option<PathBuf>,
    /// Only score variants in CHR or CHR:START-END (1-based, inclusive); uses the
    /// .tbi/.csi/.bgi index when there is one.
    #[arg(long, value_name = "REGION")]
    pub region: Option<Region>,
    /// Only score these samples: a file with one sample ID per line (first column).
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
    /// Split sample IDs written FID<CHAR>IID (e.g. `_` for plink2-exported VCFs) into
    /// #FID and IID columns, as plink2 --id-delim does.
    #[arg(long, value_name = "CHAR")]
    pub id_delim: Option<char>,
}

#[derive(Args, Debug)]
pub struct GwasArgs {
    #[command(flatten)]
    pub genotypes: GenotypeArgs,
    /// Phenotype table (TSV with an IID column).
    #[arg(long, value_name = "TSV")]
    pub phenotypes: PathBuf,
    /// Phenotype column to test, or several, comma-separated: quantitative phenotypes
    /// sharing their samples are then tested together in one pass over the genotypes.
    #[arg(long, value_name = "NAME[,NAME...]")]
    pub pheno: String,
    /// Covariate columns, comma-separated (e.g. age,sex,bmi,PC1,PC2).
    #[arg(long, value_name = "LIST")]
    pub covar: Option<String>,
    /// Output table; with several phenotypes, a prefix: PREFIX.<pheno>.tsv each.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// gzip the output tables (several phenotypes: PREFIX.<pheno>.tsv.gz; one phenotype:
    /// compress FILE).
    #[arg(long)]
    pub gz: bool,
    /// Only analyse the samples whose IID is listed in FILE (one per line; a second
    /// column, as in plink's FID IID files, is taken as the IID).
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,
    /// Only analyse the samples of this split (the phenotype table's `split` column), e.g.
    /// `--split discovery` on a `simulate` cohort.
    #[arg(long, value_name = "NAME")]
    pub split: Option<String>,
    /// Treat the phenotype as binary (0/1) even if detection would not (default: binary
    /// when every value is 0, 1 or NA).
    #[arg(long, conflicts_with = "quantitative")]
    pub binary: bool,
    /// Treat the phenotype as quantitative, even if it holds only 0 and 1.
    #[arg(long)]
    pub quantitative: bool,
    /// Only test variants in CHR or CHR:START-END (1-based, inclusive); uses the
    /// .tbi/.csi/.bgi index when there is one.
    #[arg(long, value_name = "REGION")]
    pub region: Option<Region>,
    /// Genotype sample IDs are FID<CHAR>IID (e.g. `_` for plink2-exported VCFs): match the
    /// part after the first CHAR to the table's IID.
    #[arg(long, value_name = "CHAR")]
    pub id_delim: Option<char>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Output prefixes of the shards to merge.
    #[arg(required = true, num_args = 1..)]
    pub prefixes: Vec<PathBuf>,
    /// Output prefix of the merged result.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    /// No informational messages.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// BGEN file to index.
    pub bgen: PathBuf,
    /// Index file to write (default: BGEN.bgi).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No informational messages.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Score(args) => score::run(args),
        Command::Prs(args) => prs::run(args),
        Command::Merge(args) => prs::merge(args),
        Command::Gwas(args) => gwas::run(args),
        Command::Index(args) => prs::index(args),
        Command::Simulate(args) => simulate::run(args),
        Command::SimulateImages(args) => simulate_images::run(args),
        Command::Train(args) => model::train(args),
        Command::Predict(args) => model::predict(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Encode(args) => model::encode(args),
        Command::BenchModel(args) => model::bench(args),
        Command::BenchInference(args) => model::bench_inference(args),
        Command::Panel(args) => panel::run(args),
    }
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Number of samples.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub samples: usize,
    /// Number of biallelic SNPs, spread over chromosomes 1-22 in proportion to their length.
    #[arg(long, default_value_t = 20_000, value_name = "M")]
    pub variants: usize,
    /// Number of GWAS traits (named ones first, then synthetic ones per cluster; thousands
    /// are fine).
    #[arg(long, default_value_t = 64, value_name = "T")]
    pub traits: usize,
    /// Random seed: the same seed and options give identical files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Output directory (must not exist or be empty, unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Outcome model: `nonlinear` (interactions, the default) or `additive` (none).
    #[arg(long, default_value = "nonlinear", value_name = "KIND")]
    pub architecture: String,
    /// Multiplies every non-linear term of the outcomes (1 = the sizes in the README).
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub interaction_strength: f64,
    /// Fractions of the discovery, train, validation and test splits.
    #[arg(long, default_value = "0.4,0.4,0.08,0.12", value_name = "D,T,V,T")]
    pub split_fractions: String,
    /// Founder haplotypes the cohort is a mosaic of.
    #[arg(long, default_value_t = 256, value_name = "K")]
    pub founders: usize,
    /// Causal variants per genetic factor (shared within a cluster).
    #[arg(long, default_value_t = 150, value_name = "N")]
    pub causal_per_factor: usize,
    /// Causal variants of each trait's private genetics.
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub causal_per_trait: usize,
    /// Causal variants of each outcome's private genetics (not seen by any trait).
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub causal_per_outcome: usize,
    /// Genotype formats to write, comma-separated: vcf, bgen, bed.
    #[arg(long, default_value = "vcf,bgen,bed", value_name = "LIST")]
    pub formats: String,
    /// Skip the discovery GWAS and the panel.
    #[arg(long)]
    pub no_panel: bool,
    /// p-value thresholds of the panel's scoring files.
    #[arg(long, default_value = "5e-8,1e-5,1e-3", value_name = "LIST")]
    pub thresholds: String,
    /// Clumping r² threshold of the panel.
    #[arg(long, default_value_t = 0.1, value_name = "R2")]
    pub clump_r2: f64,
    /// Clumping window of the panel, in kb each side.
    #[arg(long, default_value_t = 250.0, value_name = "KB")]
    pub clump_kb: f64,
    /// Discovery samples used as the clumping LD reference.
    #[arg(long, default_value_t = 5_000, value_name = "N")]
    pub ld_samples: usize,
    /// Replace a non-empty output directory.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bars or messages.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub genotypes: ModelGenotypeArgs,
    /// What the model reads: genomic (GENOTYPES, --phenotypes/--covariates) or image
    /// (--images, --labels).
    #[arg(long, value_enum, default_value = "genomic")]
    pub modality: Modality,
    /// Phenotype table: IID, age, sex, bmi, optional split and PC columns, outcome columns.
    /// Genomic models.
    #[arg(long, value_name = "TSV")]
    pub phenotypes: Option<PathBuf>,
    /// Panel directory (manifest.toml and scoring files), e.g. from `panel build`.
    /// Genomic models.
    #[arg(long, value_name = "DIR")]
    pub panel: Option<PathBuf>,
    #[command(flatten)]
    pub image: ImageTrainArgs,
    /// Model directory to write (must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Model name recorded in config.json (default: the directory name).
    #[arg(long)]
    pub name: Option<String>,
    /// Maximum passes over the training split.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// cpu (NdArray) or cuda (needs a build with --features cuda).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Tile fill: uniform (the paper) or regional (64 genomic segments per tile).
    #[arg(long, default_value = "uniform")]
    pub fill: String,
    /// Samples per optimiser step (default: 256 genomic, 16 image).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Peak learning rate (AdamW).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Fraction of the steps spent warming up before the cosine decay.
    #[arg(long, default_value_t = 0.05)]
    pub warmup: f64,
    /// Stop after this many epochs without a better mean validation AUC.
    #[arg(long, default_value_t = 5)]
    pub patience: usize,
    /// Seed of initialisation, shuffling, dropout and a random split: a fixed seed
    /// reproduces the run exactly on the CPU.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// IID split table (train, validation, test), overriding the phenotype table's.
    #[arg(long, value_name = "TSV")]
    pub splits: Option<PathBuf>,
    /// Token width of the transformer.
    #[arg(long, default_value_t = 32)]
    pub d_model: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    /// Feed-forward width.
    #[arg(long, default_value_t = 64)]
    pub d_ff: usize,
    #[arg(long, default_value_t = 0.1)]
    pub dropout: f64,
    /// Leave out the linear readout (a weighted sum of the tiles and covariates added to
    /// each logit, beside the transformer): the transformer alone, for ablations.
    #[arg(long)]
    pub no_linear_readout: bool,
    /// Write a checkpoint here after every epoch.
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from the last checkpoint in --checkpoint-dir.
    #[arg(long, requires = "checkpoint_dir")]
    pub resume: bool,
    /// Minimum fraction of each scoring file's variants found in the genotypes.
    #[arg(long, default_value_t = 0.75)]
    pub min_overlap: f64,
    /// Description of the training data for the model card.
    #[arg(long)]
    pub data_description: Option<String>,
}

/// Options of `train --modality image`.
#[derive(Args, Debug, Clone)]
pub struct ImageTrainArgs {
    /// Folder of images (PNG, JPEG, DICOM) named in --labels. Image models.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Label table: `image` (file name inside --images), one 0/1/NA column per finding,
    /// optionally `split` (train/validation/test). Image models.
    #[arg(long, value_name = "TSV")]
    pub labels: Option<PathBuf>,
    /// Side of the square model input in pixels (images are letterboxed and resized).
    #[arg(long, default_value_t = 64, value_name = "PX")]
    pub image_size: usize,
    /// 1 (grayscale) or 3 (RGB).
    #[arg(long, default_value_t = 1)]
    pub channels: usize,
    /// Patch side in pixels: each patch is one token (--image-size must be a multiple).
    #[arg(long, default_value_t = 16, value_name = "PX")]
    pub patch: usize,
    /// Feature maps of the convolutional stem before the patch projection (3×3 conv, GELU,
    /// 2×2 max-pool); 0 for a plain ViT patch projection.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub stem: usize,
    /// DICOM VOI window CENTER,WIDTH in modality units (e.g. 40,400 for CT soft tissue),
    /// instead of each file's own window.
    #[arg(long, value_name = "C,W")]
    pub window: Option<String>,
    /// Train on the images as they are (default: random flips, small rotations, shifts,
    /// zooms and intensity changes per batch).
    #[arg(long)]
    pub no_augment: bool,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    #[command(flatten)]
    pub genotypes: ModelGenotypeArgs,
    /// What the model reads: genomic (GENOTYPES, --phenotypes/--covariates) or image
    /// (--images, --labels).
    #[arg(long, value_enum, default_value = "genomic")]
    pub modality: Modality,
    /// Only these samples (one ID per line), e.g. one chunk of a cohort in a pipeline.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
    /// Model directory written by `train` (default: the embedded default model, with its
    /// panel).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// The panel the model was trained on.
    #[arg(long, value_name = "DIR")]
    pub panel: Option<PathBuf>,
    /// Table with IID, age, sex, bmi (and PCs); without it they are treated as missing.
    #[arg(long, value_name = "TSV")]
    pub covariates: Option<PathBuf>,
    /// Output TSV: IID (image models: `image`), then one probability per outcome.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// With --modality image: a folder of images (PNG, JPEG, DICOM; DICOM files may have
    /// no extension), or a single image file.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    #[arg(long, default_value_t = 0.75)]
    pub min_overlap: f64,
}

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub genotypes: ModelGenotypeArgs,
    /// What the model reads: genomic (GENOTYPES, --phenotypes/--covariates) or image
    /// (--images, --labels).
    #[arg(long, value_enum, default_value = "genomic")]
    pub modality: Modality,
    /// Model directory written by `train` (default: the embedded default model, with its
    /// panel).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// The panel the model was trained on.
    #[arg(long, value_name = "DIR")]
    pub panel: Option<PathBuf>,
    /// Phenotype table: IID, age, sex, bmi (PCs), outcome columns (0/1/NA) and optionally
    /// a `split` column.
    #[arg(long, value_name = "TSV")]
    pub phenotypes: Option<PathBuf>,
    /// With --modality image: the folder of images named in --labels.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// With --modality image: the label table (`image`, findings, optional `split`).
    #[arg(long, value_name = "TSV")]
    pub labels: Option<PathBuf>,
    /// `IID split` file (train/validation/test), overriding the table's split column.
    #[arg(long, value_name = "TSV")]
    pub splits: Option<PathBuf>,
    /// Output directory (created if needed; its evaluate files are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Cases (and controls) per balanced draw, as in the paper; 0 turns the balanced
    /// protocol off. An outcome with fewer test cases uses all of them.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub balanced: usize,
    /// Seeded balanced draws per outcome.
    #[arg(long, default_value_t = 20, value_name = "R")]
    pub draws: usize,
    /// Cross-validation folds for the ridge penalties.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub folds: usize,
    /// Seed of the balanced draws, the cross-validation folds and (without a split column)
    /// the random split.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// cpu or cuda (for the model's forward pass).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    #[arg(long, default_value_t = 0.75)]
    pub min_overlap: f64,
}

#[derive(Args, Debug)]
pub struct EncodeArgs {
    #[command(flatten)]
    pub genotypes: GenotypeArgs,
    /// Only these samples (one ID per line), e.g. one chunk of a cohort in a pipeline.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
    /// Model directory written by `train` (default: the embedded default model, with its
    /// panel).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// The panel the model was trained on.
    #[arg(long, value_name = "DIR")]
    pub panel: Option<PathBuf>,
    /// Output TSV: IID, then each tile's mean pixel value per channel.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write one PNG per sample and cohort_average.png into this directory.
    #[arg(long, value_name = "DIR")]
    pub png: Option<PathBuf>,
    /// Enlarge PNGs by this factor (nearest neighbour).
    #[arg(long, default_value_t = 4)]
    pub upscale: usize,
    #[arg(long, default_value_t = 0.75)]
    pub min_overlap: f64,
}

#[derive(Args, Debug)]
pub struct BenchModelArgs {
    /// Traits (tiles) of the synthetic genomic image.
    #[arg(long, default_value_t = 7415)]
    pub traits: usize,
    /// Synthetic training samples (inference is timed on them too).
    #[arg(long, default_value_t = 2048)]
    pub samples: usize,
    #[arg(long, default_value_t = 2)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    #[arg(long, default_value_t = 32)]
    pub d_model: usize,
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    #[arg(long, default_value_t = 64)]
    pub d_ff: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Args, Debug)]
pub struct BenchInferenceArgs {
    /// Model directory (default: the embedded default model).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Samples per repeat.
    #[arg(long, default_value_t = 100_000)]
    pub samples: usize,
    /// Timed repeats (best and median are reported).
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub genotypes: GenotypeArgs,
    /// Only these samples (one ID per line), e.g. one chunk of a cohort in a pipeline.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
    /// Panel directory. Default: the built-in panel (or, with --model, required: the panel
    /// the model was trained on). With --panel and no --model: linear scores only.
    #[arg(long, value_name = "DIR")]
    pub panel: Option<PathBuf>,
    /// Model directory written by `train` (default: the built-in model, unless --panel is
    /// given alone).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Table with IID, age, sex, bmi (and PCs); without it they are treated as missing.
    #[arg(long, value_name = "TSV")]
    pub covariates: Option<PathBuf>,
    /// Output directory (created; scores.tsv, report.json, report.html are replaced).
    #[arg(long, value_name = "DIR", default_value = "medgem-prs-out")]
    pub out: PathBuf,
    /// Also show this sample's genomic image, scores and risk profile in report.html
    /// (repeatable). (`--sample` is the BGEN .sample file, as in every command.)
    #[arg(long = "show-sample", value_name = "ID")]
    pub show_sample: Vec<String>,
    /// cpu or cuda (needs a build with --features cuda).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Minimum fraction of a scoring file's variants that must match.
    #[arg(long, default_value_t = 0.75)]
    pub min_overlap: f64,
}
