//! What several commands share, defined once: flag groups that commands
//! `#[command(flatten)]`, the `clap::ValueEnum`s of the command line with their mapping to
//! library types (the library knows nothing of clap), and the value parsers that let clap
//! refuse bad values before anything runs.
//!
//! A command that gives a shared flag its own meaning keeps the one definition and
//! rewords its help with `#[command(mut_arg(...))]`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, Args, ValueEnum};

use medgem_prs::encode::FillMode;
use medgem_prs::imaging::Window;
use medgem_prs::io::ids::{read_sample_ids, SampleIdsError};
use medgem_prs::io::{DosageField, OpenOptions};
use medgem_prs::model::DeviceKind;
use medgem_prs::sim::phantom::PhantomFormat;
use medgem_prs::sim::phenotypes::Architecture;

/// The help of GENOTYPES, without the model commands' last sentence.
macro_rules! genotypes_help {
    () => {
        "Genotypes: VCF (plain or BGZF .vcf.gz, with .tbi/.csi for region queries), BCF, BGEN \
         v1.1/v1.2 (with .bgi for skipping), or a PLINK 1 .bed (or its prefix). The format is \
         recognised from the file's content"
    };
}

/// Help of the GENOTYPES positional.
pub const GENOTYPES_HELP: &str = genotypes_help!();

/// Help of the GENOTYPES positional of the model commands, where `--modality image` reads
/// images instead.
pub const MODEL_GENOTYPES_HELP: &str = concat!(genotypes_help!(), ". Not with --modality image");

/// GENOTYPES and how to read them, for the commands that always read genotypes.
#[derive(Args, Debug, Clone)]
pub struct GenotypeArgs {
    #[arg(value_name = "GENOTYPES", help = GENOTYPES_HELP)]
    pub genotypes: PathBuf,
    #[command(flatten)]
    pub options: GenotypeOptions,
}

/// GENOTYPES and how to read them, for `train`, `predict` and `evaluate`: required unless
/// `--modality image` (given explicitly: clap ignores default values here).
#[derive(Args, Debug, Clone)]
pub struct ModelGenotypeArgs {
    #[arg(
        value_name = "GENOTYPES",
        help = MODEL_GENOTYPES_HELP,
        required_unless_present = "modality",
        required_if_eq("modality", "genomic")
    )]
    pub genotypes: Option<PathBuf>,
    #[command(flatten)]
    pub options: GenotypeOptions,
}

/// Options of reading a genotype file, plus `--threads` and `--quiet`.
#[derive(Args, Debug, Clone)]
pub struct GenotypeOptions {
    #[command(flatten)]
    pub sample: SampleFileArg,
    /// VCF/BCF field to take dosages from: DS, GP, GT, or auto (DS, else GP, else GT).
    #[arg(
        long,
        value_name = "FIELD",
        default_value = "auto",
        ignore_case = true,
        value_parser = choice::<DosageChoice>()
    )]
    pub dosage_field: DosageChoice,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub quiet: QuietArg,
}

impl GenotypeOptions {
    /// How to open the genotype file: refuses a `--sample` file that does not exist.
    pub fn open_options(&self) -> anyhow::Result<OpenOptions> {
        Ok(OpenOptions {
            sample_file: self.sample.existing()?,
            dosage_field: self.dosage_field.into(),
            threads: self.threads.count(),
        })
    }
}

/// `--sample FILE`: the BGEN `.sample` file.
#[derive(Args, Debug, Clone)]
pub struct SampleFileArg {
    /// BGEN .sample file with the sample IDs (when the BGEN file has none, or to override).
    #[arg(long = "sample", value_name = "FILE")]
    pub sample_file: Option<PathBuf>,
}

impl SampleFileArg {
    /// The `--sample` file, refused when it does not exist.
    pub fn existing(&self) -> anyhow::Result<Option<PathBuf>> {
        if let Some(s) = &self.sample_file {
            if !s.exists() {
                bail!("{}: --sample file not found", s.display());
            }
        }
        Ok(self.sample_file.clone())
    }
}

/// `--threads N`: the size of rayon's global pool, set once by `cli::run`.
#[derive(Args, Debug, Clone, Copy)]
pub struct ThreadsArg {
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub threads: Option<usize>,
}

impl ThreadsArg {
    /// The threads asked for, or every core.
    pub fn count(&self) -> usize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

/// `-q, --quiet`.
#[derive(Args, Debug, Clone, Copy)]
pub struct QuietArg {
    /// No progress bars or informational messages.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--samples FILE`: score only some samples of the genotype file.
#[derive(Args, Debug, Clone)]
pub struct SamplesArg {
    /// Only these samples: a file with one IID per line, or FID IID per line (the second
    /// column is the IID, as in plink2 --keep), e.g. one chunk of a cohort in a pipeline.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
}

impl SamplesArg {
    /// The IDs of the `--samples` file, if one is given.
    pub fn read(&self) -> anyhow::Result<Option<Vec<String>>> {
        self.samples
            .as_deref()
            .map(|p| sample_ids(p, "--samples"))
            .transpose()
    }
}

/// Reads a sample-ID list given to `flag` (`--samples`, `--keep`, `--ld-samples`), with an
/// error naming the file and the flag.
pub fn sample_ids(path: &Path, flag: &str) -> anyhow::Result<Vec<String>> {
    read_sample_ids(path).map_err(|e| match e {
        SampleIdsError::Io(io) => anyhow::anyhow!(
            "{}: cannot read the {flag} file: {}",
            io.path.display(),
            io.source
        ),
        SampleIdsError::Empty { path } => anyhow::anyhow!(
            "{}: {flag} file lists no sample ids (expected one IID, or FID IID, per line)",
            path.display()
        ),
    })
}

/// `--model DIR`: a model directory, or the embedded default model.
#[derive(Args, Debug, Clone)]
pub struct ModelArg {
    /// Model directory written by `train` (default: the embedded default model, with its
    /// panel).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
}

/// `--panel DIR`: the panel a model was trained on.
#[derive(Args, Debug, Clone)]
pub struct PanelArg {
    /// The panel the model was trained on (default: the copy inside the model directory;
    /// checked by sha256 when given).
    #[arg(long, value_name = "DIR")]
    pub panel: Option<PathBuf>,
}

/// `--outcomes TOML` and `--query ID=ANCHORS`: outcomes to ask a trained model about,
/// zero-shot, without retraining.
#[derive(Args, Debug, Clone)]
pub struct QueryArgs {
    /// Outcome definitions (outcomes.toml: [[outcome]] id, name, trained, anchors,
    /// prevalence). Outcomes the model has not seen are added as zero-shot queries from
    /// their anchors; trained ones must match the model.
    #[arg(long, value_name = "TOML")]
    pub outcomes: Option<PathBuf>,
    /// A zero-shot query: an outcome id and its anchor traits, e.g. 'I10=4080,4079' or
    /// 'J45=-3062:0.5,30150' ('-': inversely related; ':w': a weight). Repeatable.
    #[arg(long, value_name = "ID=ANCHORS")]
    pub query: Vec<String>,
}

impl QueryArgs {
    /// The definitions of `--outcomes` then `--query`, parsed and checked together.
    pub fn read(&self) -> anyhow::Result<Vec<medgem_prs::model_dir::OutcomeDef>> {
        use medgem_prs::model_dir::outcomes;
        let mut defs = match &self.outcomes {
            Some(path) => outcomes::read_file(path)?,
            None => Vec::new(),
        };
        for q in &self.query {
            defs.push(outcomes::parse_query(q)?);
        }
        outcomes::check_defs(&defs)?;
        Ok(defs)
    }
}

/// `--image-table TSV`: the participant images of a mixed genomic + imaging model, with
/// the command's own `--images DIR`.
#[derive(Args, Debug, Clone)]
pub struct ImageTableArg {
    /// Mixed genomic + imaging models: a TSV with IID and image columns (other columns
    /// ignored) naming each participant's image in --images; with GENOTYPES, --images is
    /// the folder of these images.
    #[arg(long, value_name = "TSV", requires = "images")]
    pub image_table: Option<PathBuf>,
}

impl ImageTableArg {
    /// The participant images of a genomic command given `--images`: `None` without
    /// `--images`; an error when `--images` comes without `--image-table`.
    pub fn read(
        &self,
        images: Option<&Path>,
    ) -> anyhow::Result<Option<medgem_prs::model_dir::ParticipantImages>> {
        match (images, &self.image_table) {
            (None, _) => Ok(None),
            (Some(_), None) => bail!(
                "--images with GENOTYPES is for a mixed genomic + imaging model and needs \
                    --image-table TSV (columns IID and image); for an image-only model give \
                    --modality image"
            ),
            (Some(dir), Some(table)) => Ok(Some(medgem_prs::model_dir::ParticipantImages::read(
                dir, table,
            )?)),
        }
    }
}

/// `--covariates TSV`: age, sex, BMI (and PCs) of the samples.
#[derive(Args, Debug, Clone)]
pub struct CovariatesArg {
    /// Table with IID, age, sex, bmi (and PCs); without it they are treated as missing.
    #[arg(long, value_name = "TSV")]
    pub covariates: Option<PathBuf>,
}

/// `--min-overlap FRACTION`.
#[derive(Args, Debug, Clone, Copy)]
pub struct MinOverlapArg {
    /// Minimum fraction of each score's variants that must match; a score below it fails
    /// the run (pgsc_calc's --min_overlap).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.75, value_parser = fraction)]
    pub min_overlap: f64,
}

/// `--device cpu|cuda`.
#[derive(Args, Debug, Clone, Copy)]
pub struct DeviceArg {
    /// Where the transformer runs: cpu (NdArray) or cuda (needs a build with --features
    /// cuda).
    #[arg(
        long,
        default_value = "cpu",
        ignore_case = true,
        value_parser = choice::<DeviceChoice>()
    )]
    pub device: DeviceChoice,
}

impl DeviceArg {
    /// The library's device.
    pub fn kind(&self) -> DeviceKind {
        self.device.into()
    }
}

/// `--modality genomic|image` of `train`, `predict` and `evaluate`.
#[derive(Args, Debug, Clone, Copy)]
pub struct ModalityArg {
    /// What the model reads: genomic (GENOTYPES, --phenotypes/--covariates) or image
    /// (--images, --labels).
    #[arg(long, default_value = "genomic", value_parser = choice::<Modality>())]
    pub modality: Modality,
}

/// For `#[command(mut_args(...))]` of a model command: every option of `genomic` conflicts
/// with every option of `image`, so that clap refuses a mix of the two modalities' inputs,
/// naming the two options given. `image` lists only what an image-only model reads and a
/// genomic one never does (`--labels`): `--images` also serves mixed genomic + imaging
/// models, beside GENOTYPES and `--image-table`.
pub fn modality_conflicts(
    genomic: &'static [&'static str],
    image: &'static [&'static str],
) -> impl FnMut(Arg) -> Arg {
    move |a| {
        if genomic.contains(&a.get_id().as_str()) {
            a.conflicts_with_all(image)
        } else {
            a
        }
    }
}

/// The value of an option that clap requires here (`required_if_eq`,
/// `required_unless_present`): an error, not a panic, should clap's rules ever let it
/// through.
pub fn required<T>(value: Option<T>, what: &str) -> anyhow::Result<T> {
    value.with_context(|| format!("missing {what}"))
}

/// What a model reads.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Modality {
    /// Genotypes, scored into the genomic image, plus covariates.
    #[default]
    Genomic,
    /// 2D medical images (PNG, JPEG, DICOM) with multi-label findings.
    Image,
}

/// `--device`: where the transformer runs.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    /// The CPU (burn's NdArray backend, or the CPU inference engine).
    Cpu,
    /// The first CUDA GPU (needs a build with --features cuda).
    #[value(alias = "gpu")]
    Cuda,
}

impl From<DeviceChoice> for DeviceKind {
    fn from(d: DeviceChoice) -> DeviceKind {
        match d {
            DeviceChoice::Cpu => DeviceKind::Cpu,
            DeviceChoice::Cuda => DeviceKind::Cuda,
        }
    }
}

/// `--dosage-field`: the VCF/BCF field dosages come from.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DosageChoice {
    /// The DS (dosage) field.
    #[value(name = "DS")]
    Ds,
    /// The GP (genotype probabilities) field.
    #[value(name = "GP")]
    Gp,
    /// The GT (hard call) field.
    #[value(name = "GT")]
    Gt,
    /// DS if the record has it, else GP, else GT.
    Auto,
}

impl From<DosageChoice> for DosageField {
    fn from(d: DosageChoice) -> DosageField {
        match d {
            DosageChoice::Ds => DosageField::Ds,
            DosageChoice::Gp => DosageField::Gp,
            DosageChoice::Gt => DosageField::Gt,
            DosageChoice::Auto => DosageField::Auto,
        }
    }
}

/// `train --fill`: how a trait's tile is filled.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillChoice {
    /// Every pixel of a tile holds the trait's score (the paper).
    Uniform,
    /// 64 genomic segments per tile, each pixel the score of one segment.
    Regional,
}

impl From<FillChoice> for FillMode {
    fn from(f: FillChoice) -> FillMode {
        match f {
            FillChoice::Uniform => FillMode::Uniform,
            FillChoice::Regional => FillMode::Regional,
        }
    }
}

/// `simulate --architecture`: the outcome model.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchitectureChoice {
    /// Sex-specific effects, age-dependent penetrance, gene×BMI and between-liability
    /// interactions.
    Nonlinear,
    /// No interactions: liabilities are sums of their parts.
    Additive,
}

impl From<ArchitectureChoice> for Architecture {
    fn from(a: ArchitectureChoice) -> Architecture {
        match a {
            ArchitectureChoice::Nonlinear => Architecture::Nonlinear,
            ArchitectureChoice::Additive => Architecture::Additive,
        }
    }
}

/// `simulate-images --format`: the image file format.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhantomFormatChoice {
    /// 8-bit grayscale PNG.
    Png,
    /// DICOM digital X-ray (explicit VR little endian, 12 bits stored, window 2040/4080).
    Dicom,
}

impl From<PhantomFormatChoice> for PhantomFormat {
    fn from(f: PhantomFormatChoice) -> PhantomFormat {
        match f {
            PhantomFormatChoice::Png => PhantomFormat::Png,
            PhantomFormatChoice::Dicom => PhantomFormat::Dicom,
        }
    }
}

/// The value parser of a [`ValueEnum`]: clap's own, with an error that lists the choices in
/// words ("invalid value 'x' for '--architecture <KIND>': expected nonlinear or additive").
pub fn choice<E: ValueEnum + Clone + Send + Sync + 'static>() -> Choice<E> {
    Choice(EnumValueParser::new())
}

/// See [`choice`].
#[derive(Clone)]
pub struct Choice<E: ValueEnum + Clone + Send + Sync + 'static>(EnumValueParser<E>);

impl<E: ValueEnum + Clone + Send + Sync + 'static> TypedValueParser for Choice<E> {
    type Value = E;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<E, clap::Error> {
        self.0.parse_ref(cmd, arg, value).map_err(|_| {
            let names: Vec<String> = E::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|p| p.get_name().to_string())
                .collect();
            let expected = match names.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => String::new(),
            };
            let arg = arg.map_or_else(|| "...".to_string(), |a| a.to_string());
            cmd.clone().error(
                ErrorKind::InvalidValue,
                format!(
                    "invalid value '{}' for '{arg}': expected {expected}",
                    value.to_string_lossy()
                ),
            )
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            E::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// `--threads`: a count of at least 1.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e} (expected a whole number of at least 1)")),
    }
}

/// `--min-overlap`: a fraction in [0, 1].
fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err("expected a fraction between 0 and 1".into()),
    }
}

/// `--window C,W`: a DICOM VOI window.
pub fn window(text: &str) -> Result<Window, String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let parse = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    match parts.as_slice() {
        [c, w] => match (parse(c), parse(w)) {
            (Some(center), Some(width)) if width >= 1.0 => Ok(Window { center, width }),
            _ => Err("expected CENTER,WIDTH with a width of at least 1".into()),
        },
        _ => Err("expected CENTER,WIDTH, e.g. 40,400".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_or_say_what_was_expected() {
        assert_eq!(
            window("40, 400"),
            Ok(Window {
                center: 40.0,
                width: 400.0
            })
        );
        assert!(window("40").unwrap_err().contains("e.g. 40,400"));
        assert!(window("40,0").unwrap_err().contains("at least 1"));
    }

    #[test]
    fn counts_and_fractions_are_checked() {
        assert_eq!(at_least_one("3"), Ok(3));
        assert!(at_least_one("0").is_err() && at_least_one("x").is_err());
        assert_eq!(fraction("0.5"), Ok(0.5));
        assert!(fraction("1.5").is_err() && fraction("NaN").is_err());
    }
}
