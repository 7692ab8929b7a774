//! `simulate-images`: arguments, their validation into a request, and dispatch.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use medgem_prs::sim::phantom::{self, PhantomRequest, FINDINGS, MAX_SIZE, MIN_SIZE};

use super::args::{choice, PhantomFormatChoice, QuietArg};

/// Make synthetic chest-radiograph phantoms with known findings, to try the imaging path
/// (training, prediction, evaluation on images) without patient data.
///
/// Each image is a drawing of a frontal chest film: the body outline, two dark lung
/// fields, a bright spine and mediastinum, the heart silhouette, faint ribs and clavicles,
/// smooth texture and noise, with position, size, rotation, brightness and contrast
/// jittered per image (so overall brightness says little about the findings). Four
/// findings are drawn independently; an image may have several or none:
///   nodule        a small bright round opacity in a lung (30 % of images)
///   effusion      bright fluid filling a lung base, its meniscus climbing the chest
///                 wall (30 %)
///   cardiomegaly  a heart wider than 0.55 of the chest, against 0.42-0.50 (30 %)
///   pneumothorax  a dark rim of air without lung markings at a lung's apex and outer
///                 edge, behind a thin pleural line (25 %)
///
/// Writes into DIR (atomically: a failed run leaves nothing; DIR must not exist or be
/// empty):
///   images/phantom_000001.png ...  one 8-bit grayscale image each (.dcm with
///                                  --format dicom: DX for presentation, 12 bits stored)
///   labels.tsv                     image (file name inside images/), then one 0/1
///                                  column per finding
///   README.md                      the generative model, its parameters and the command
///
/// Phantom i depends only on the seed and i: the same command gives identical files.
/// Synthetic drawings: not for clinical use.
///
/// Example:
///   medgem-prs simulate-images --count 2000 --size 64 --seed 7 --out phantoms
#[derive(Args, Debug)]
#[command(
    verbatim_doc_comment,
    about = "Make synthetic chest-radiograph phantoms with known findings, to try the imaging \
             path (training, prediction, evaluation on images) without patient data."
)]
pub struct SimulateImagesArgs {
    /// Number of images.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub count: usize,
    /// Side of the square images in pixels (16 to 1024).
    #[arg(long, default_value_t = 64, value_name = "PX")]
    pub size: usize,
    /// Random seed: the same seed and options give identical files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Output directory (must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Image file format.
    #[arg(
        long,
        default_value = "png",
        value_name = "FORMAT",
        value_parser = choice::<PhantomFormatChoice>()
    )]
    pub format: PhantomFormatChoice,
    #[command(flatten)]
    pub quiet: QuietArg,
}

/// A validated `simulate-images` run.
pub struct SimulateImagesRequest {
    phantoms: PhantomRequest,
    out: PathBuf,
    quiet: bool,
}

/// Checks `simulate-images`'s arguments.
pub fn request(args: SimulateImagesArgs) -> anyhow::Result<SimulateImagesRequest> {
    if args.count == 0 {
        bail!("--count must be at least 1");
    }
    if !(MIN_SIZE..=MAX_SIZE).contains(&args.size) {
        bail!(
            "--size {}: expected {MIN_SIZE} to {MAX_SIZE} pixels",
            args.size
        );
    }
    Ok(SimulateImagesRequest {
        phantoms: PhantomRequest {
            count: args.count,
            size: args.size,
            seed: args.seed,
            format: args.format.into(),
        },
        out: args.out,
        quiet: args.quiet.quiet,
    })
}

/// Draws the phantoms.
pub fn run(request: SimulateImagesRequest) -> anyhow::Result<()> {
    let SimulateImagesRequest {
        phantoms,
        out,
        quiet,
    } = request;
    let summary = phantom::write_phantoms(&phantoms, &out, !quiet)?;
    if !quiet {
        let counts: Vec<String> = FINDINGS
            .iter()
            .zip(summary.positives)
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        eprintln!(
            "medgem-prs: wrote {} phantoms of {}×{} pixels ({}) in {:.1} s to {}",
            summary.count,
            phantoms.size,
            phantoms.size,
            counts.join(", "),
            summary.seconds,
            summary.out.display()
        );
    }
    Ok(())
}
