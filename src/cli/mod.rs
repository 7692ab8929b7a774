//! The command line: clap definitions, one validation step per command that turns its
//! arguments into a request, and [`run`], which dispatches the request (by command, and by
//! modality for the model commands) to the function that hands it to the library. Nothing
//! here computes anything itself.
//!
//! Flags that several commands share are defined once in [`args`] and flattened into the
//! commands' argument structs, which live beside their commands' validation.

mod args;
mod evaluate;
mod gwas;
mod imaging;
mod model;
mod panel;
mod prs;
mod score;
mod simulate;
mod simulate_images;

use clap::{Parser, Subcommand};

use self::args::ThreadsArg;
use self::evaluate::EvaluateRequest;
use self::model::{PredictRequest, TrainRequest};
use self::panel::PanelCommand;

/// Genomic disease-risk prediction: plink2-exact polygenic scores from VCF/BCF, BGEN and
/// PLINK genotypes, and a Med-Gemini-Polygenic style transformer that predicts disease risk
/// from the genomic image of many scores.
#[derive(Parser, Debug)]
#[command(name = "medgem-prs", version, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

// The commands (no doc comment: on a subcommand enum it would become the about of `Cli`).
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
    #[command(
        verbatim_doc_comment,
        about = "The main job: linear polygenic scores of a panel, its genomic image and the \
                 transformer's risk predictions, for every sample of a cohort."
    )]
    Score(score::ScoreArgs),
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
    Prs(prs::PrsArgs),
    /// Combine `prs` outputs of shards scored by region (--region) or by sample chunk
    /// (--samples): sums per sample, concatenates sample chunks, recomputes averages.
    ///
    /// Example:
    ///   medgem-prs merge out/chr1 out/chr2 out/chr3 --out out/all
    #[command(
        verbatim_doc_comment,
        about = "Combine `prs` outputs of shards scored by region (--region) or by sample chunk \
                 (--samples): sums per sample, concatenates sample chunks, recomputes averages."
    )]
    Merge(prs::MergeArgs),
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
    Gwas(gwas::GwasArgs),
    /// Build panels: P+T from GWAS summary statistics (`panel build`), or from PGS Catalog
    /// scoring files (`panel import`).
    Panel(panel::PanelArgs),
    /// Build a bgenix-compatible .bgi index for a BGEN file, so that scoring reads only the
    /// variants a panel needs.
    Index(prs::IndexArgs),
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
    #[command(
        verbatim_doc_comment,
        about = "Make a synthetic biobank: genotypes with LD, GWAS traits with shared genetics, the \
                 14 outcomes of the paper as liability-threshold diseases, splits, and a panel built \
                 by gwas + panel build on the discovery split."
    )]
    Simulate(simulate::SimulateArgs),
    #[command(verbatim_doc_comment)]
    SimulateImages(simulate_images::SimulateImagesArgs),
    /// Train the genomic transformer on a cohort: linear scores of every panel trait ×
    /// threshold become a genomic image (one 8×8 tile per trait, channels = thresholds),
    /// which a ViT-style transformer reads with age, sex and BMI tokens and one query token
    /// per outcome.
    ///
    /// Outcomes come from --outcomes (outcomes.toml): each [[outcome]] names its column
    /// (id, any name), trained = true|false and its anchors, panel trait ids with a sign
    /// ('-': inversely related) and an optional ':weight'. Trained outcomes (0/1/NA
    /// columns) are learnt together (NA masked, classes weighted); zero-shot ones are
    /// queried from their anchors alone. Without --outcomes every 0/1/NA column that is not
    /// a covariate or the split is trained, without anchors. The split comes from the
    /// table's `split` column, or --splits, or a seeded 70/15/15 draw. AdamW with warm-up
    /// and cosine decay, early stopping on the mean validation AUC.
    ///
    /// Writes DIR/config.json (everything needed to rebuild the inputs), DIR/model.mpk
    /// (burn weights), DIR/MODEL_CARD.md and DIR/panel/ (a copy of the panel, so that
    /// `--model DIR` alone is enough later).
    ///
    /// With --modality image the same transformer core and training loop read 2D medical
    /// images instead: every image (PNG, JPEG or DICOM, after its rescale and VOI window)
    /// is letterboxed to --image-size pixels, cut into --patch patches (one token each),
    /// and one query per finding of --labels is trained (multi-label: `image` then 0/1/NA
    /// columns, optional `split`). Training batches are augmented (flips, small rotations,
    /// shifts, zooms, brightness and contrast) unless --no-augment.
    ///
    /// Examples:
    ///   medgem-prs train sim/genotypes.bed --phenotypes sim/phenotypes.tsv \
    ///       --outcomes sim/outcomes.toml --panel sim/panel --out models/mine --epochs 30
    ///   medgem-prs simulate-images --count 2000 --size 64 --seed 1 --out phantoms
    ///   medgem-prs train --modality image --images phantoms/images \
    ///       --labels phantoms/labels.tsv --out models/cxr
    #[command(
        verbatim_doc_comment,
        about = "Train the genomic transformer on a cohort: linear scores of every panel trait × \
                 threshold become a genomic image (one 8×8 tile per trait, channels = thresholds), \
                 which a ViT-style transformer reads with age, sex and BMI tokens and one query token \
                 per outcome."
    )]
    Train(model::TrainArgs),
    /// Predict outcome probabilities with a trained model: IID then one column per outcome
    /// (trained and zero-shot). Scores with the model directory's own copy of its panel
    /// (a --panel given is checked by sha256). --outcomes FILE and --query 'ID=ANCHORS' add
    /// outcomes the model never saw as zero-shot queries, without retraining; the trained
    /// outcomes' probabilities do not change. A zero-shot probability is calibrated only
    /// when its `prevalence` is given in --outcomes.
    ///
    /// With --modality image: every image of --images (a folder or one file; PNG, JPEG,
    /// DICOM), prepared as the model's config.json says; `image` then one column per
    /// finding.
    ///
    /// Examples:
    ///   medgem-prs predict cohort.vcf.gz --model models/mine \
    ///       --covariates covariates.tsv --out predictions.tsv
    ///   medgem-prs predict cohort.vcf.gz --model models/mine --query 'I10=4080,21001' \
    ///       --out predictions.tsv
    ///   medgem-prs predict --modality image --model models/cxr --images dicoms/ \
    ///       --out findings.tsv
    #[command(
        verbatim_doc_comment,
        about = "Predict outcome probabilities with a trained model: IID then one column per outcome \
                 (trained and zero-shot). Refuses a panel other than the model's (sha256)."
    )]
    Predict(model::PredictArgs),
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
    #[command(
        verbatim_doc_comment,
        about = "Compare a trained model with the linear baselines on the test split, as the paper \
                 did and further."
    )]
    Evaluate(evaluate::EvaluateArgs),
    /// Compute the genomic images a model reads: a table of every tile's value per channel,
    /// and with --png one PNG per sample plus the cohort average.
    ///
    /// Example:
    ///   medgem-prs encode cohort.vcf.gz --model models/mine --panel sim/panel \
    ///       --out images.tsv --png images/
    #[command(
        verbatim_doc_comment,
        about = "Compute the genomic images a model reads: a table of every tile's value per channel, \
                 and with --png one PNG per sample plus the cohort average."
    )]
    Encode(model::EncodeArgs),
    /// Measure training and inference speed of the transformer on synthetic random genomic
    /// images of T traits (default: the paper's 7,415), on the CPU or a GPU. Prints JSON.
    ///
    /// Example:
    ///   medgem-prs bench-model --traits 7415 --samples 2048 --device cuda
    #[command(
        verbatim_doc_comment,
        about = "Measure training and inference speed of the transformer on synthetic random genomic \
                 images of T traits (default: the paper's 7,415), on the CPU or a GPU. Prints JSON."
    )]
    BenchModel(model::BenchModelArgs),
    /// Measure CPU inference speed of a trained model (default: the embedded one): panel
    /// scores drawn from the model's normalisation statistics are rendered into genomic
    /// images (encode) and run through the CPU engine (forward pass), several times.
    /// Prints JSON with seconds per stage and samples/s.
    ///
    /// Example:
    ///   medgem-prs bench-inference --samples 200000 --repeats 5 --threads 2
    #[command(
        verbatim_doc_comment,
        about = "Measure CPU inference speed of a trained model (default: the embedded one): panel \
                 scores drawn from the model's normalisation statistics are rendered into genomic \
                 images (encode) and run through the CPU engine (forward pass), several times. Prints \
                 JSON with seconds per stage and samples/s."
    )]
    BenchInference(model::BenchInferenceArgs),
}

impl Command {
    /// The command's `--threads` option, if it has one.
    fn threads(&self) -> Option<&ThreadsArg> {
        match self {
            Command::Score(a) => Some(&a.genotypes.options.threads),
            Command::Prs(a) => Some(&a.genotypes.options.threads),
            Command::Gwas(a) => Some(&a.genotypes.options.threads),
            Command::Encode(a) => Some(&a.genotypes.options.threads),
            Command::Train(a) => Some(&a.genotypes.options.threads),
            Command::Predict(a) => Some(&a.genotypes.options.threads),
            Command::Evaluate(a) => Some(&a.genotypes.options.threads),
            Command::Simulate(a) => Some(&a.threads),
            Command::BenchModel(a) => Some(&a.threads),
            Command::BenchInference(a) => Some(&a.threads),
            Command::Panel(p) => match &p.command {
                PanelCommand::Build(b) => Some(&b.threads),
                PanelCommand::Import(_) => None,
            },
            Command::Merge(_) | Command::Index(_) | Command::SimulateImages(_) => None,
        }
    }
}

/// Parses the command line; a usage error exits with code 2 (after printing it), as clap
/// does.
pub fn parse() -> Cli {
    Cli::parse()
}

/// Runs a parsed command line: sets the thread pool, validates the arguments into the
/// command's request, then runs the request.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    set_thread_pool(cli.command.threads());
    match cli.command {
        Command::Score(a) => score::run(score::request(a)?),
        Command::Prs(a) => prs::run(prs::request(a)?),
        Command::Merge(a) => prs::merge(prs::merge_request(a)?),
        Command::Index(a) => prs::index(prs::index_request(a)),
        Command::Gwas(a) => gwas::run(gwas::request(a)?),
        Command::Panel(p) => match p.command {
            PanelCommand::Build(a) => panel::build(panel::build_request(a)?),
            PanelCommand::Import(a) => panel::import(panel::import_request(a)?),
        },
        Command::Simulate(a) => simulate::run(simulate::request(a)?),
        Command::SimulateImages(a) => simulate_images::run(simulate_images::request(a)?),
        Command::Train(a) => match model::train_request(a)? {
            TrainRequest::Genomic(r) => model::train(r),
            TrainRequest::Image(r) => imaging::train(r),
        },
        Command::Predict(a) => match model::predict_request(a)? {
            PredictRequest::Genomic(r) => model::predict(r),
            PredictRequest::Image(r) => imaging::predict(r),
        },
        Command::Evaluate(a) => match evaluate::request(a)? {
            EvaluateRequest::Genomic(r) => evaluate::run(r),
            EvaluateRequest::Image(r) => imaging::evaluate(r),
        },
        Command::Encode(a) => model::encode(model::encode_request(a)?),
        Command::BenchModel(a) => model::bench(model::bench_request(a)?),
        Command::BenchInference(a) => model::bench_inference(model::bench_inference_request(a)?),
    }
}

/// Sizes rayon's global pool once per run, from the command's `--threads` (every core
/// without it). Commands without the option leave rayon's default.
fn set_thread_pool(threads: Option<&ThreadsArg>) {
    if let Some(t) = threads {
        // Fails only when the pool exists already, which nothing before this does.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(t.count())
            .build_global();
    }
}
