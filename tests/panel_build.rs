//! `panel build` and `panel import`, end to end.
//!
//! * LD clumping against plink 1.9 `--clump` on the CINECA synthetic chr22 cohort (2504
//!   samples, 829 variants with real LD, three with missing calls): summary statistics
//!   come from our own `gwas` on a phenotype with a few causal variants, and our clumps
//!   (index variants and members) must equal plink's for several parameter sets.
//! * A P+T panel built by the binary, then scored with `prs`.
//! * `panel import` on the shared PGS Catalog files, and its refusals.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use medgem_prs::io::OpenOptions;
use medgem_prs::panel::clump::{clump_traits, ClumpOptions};
use medgem_prs::panel::manifest::{panel_sha256, Manifest};
use medgem_prs::panel::sumstats::read_sumstats;

/// Sample IDs, and per variant its ID and ALT allele counts (`None` = missing call).
struct Cohort {
    ids: Vec<String>,
    variants: Vec<(String, Vec<Option<u8>>)>,
}

fn read_cohort(vcf: &Path) -> Cohort {
    let file = std::fs::File::open(vcf).unwrap();
    let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file));
    let mut ids = Vec::new();
    let mut variants = Vec::new();
    for line in reader.lines() {
        let line = line.unwrap();
        if line.starts_with("##") {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if line.starts_with("#CHROM") {
            ids = fields[9..].iter().map(|s| s.to_string()).collect();
            continue;
        }
        let g = fields[9..]
            .iter()
            .map(|gt| {
                let gt = gt.split(':').next().unwrap();
                if gt.contains('.') {
                    None
                } else {
                    Some(gt.split(['/', '|']).filter(|a| *a == "1").count() as u8)
                }
            })
            .collect();
        variants.push((fields[2].to_string(), g));
    }
    Cohort { ids, variants }
}

/// Everything the tests share: the cohort as a .bed, and phenotypes.
struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    bed: PathBuf,
    cohort: Cohort,
}

/// (variant index, effect) of each simulated trait; trait `weak` has no real signal.
const TRAITS: [(&str, &[(usize, f64)]); 3] = [
    (
        "q",
        &[(100, 0.3), (300, 0.25), (500, -0.3), (650, 0.2), (700, 0.2)],
    ),
    ("q2", &[(100, 0.25), (300, 0.2), (420, 0.2)]),
    ("weak", &[(200, 0.04)]),
];

fn setup() -> Option<Setup> {
    if !have_tool("plink2") || !have_tool("plink1.9") {
        eprintln!("NOTE: plink2/plink1.9 not on PATH: skipping the plink 1.9 --clump comparison");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    let out = Command::new("plink2")
        .args(["--vcf", vcf.to_str().unwrap(), "--make-bed", "--out"])
        .arg(d.join("ref"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "plink2 --make-bed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cohort = read_cohort(&vcf);
    let mut rng = Lcg(20250101);
    let mut table = String::from("IID");
    for (name, _) in TRAITS {
        table.push('\t');
        table.push_str(name);
    }
    table.push('\n');
    for (s, id) in cohort.ids.iter().enumerate() {
        table.push_str(id);
        for (_, effects) in TRAITS {
            let g: f64 = effects
                .iter()
                .map(|&(v, b)| b * f64::from(cohort.variants[v].1[s].unwrap_or(0)))
                .sum();
            table.push_str(&format!("\t{}", g + rng.normal()));
        }
        table.push('\n');
    }
    std::fs::write(d.join("pheno.tsv"), table).unwrap();
    let bed = d.join("ref.bed");
    for (name, _) in TRAITS {
        run_ok(&[
            "gwas",
            bed.to_str().unwrap(),
            "--phenotypes",
            d.join("pheno.tsv").to_str().unwrap(),
            "--pheno",
            name,
            "--out",
            d.join(format!("{name}.gwas.tsv")).to_str().unwrap(),
            "--quiet",
        ]);
    }
    Some(Setup {
        _dir: dir,
        dir: d,
        bed,
        cohort,
    })
}

/// Clumps as index ID -> member IDs.
type Clumps = BTreeMap<String, BTreeSet<String>>;

fn plink_clumps(s: &Setup, sumstats: &Path, o: &ClumpOptions) -> Clumps {
    plink_clumps_of(s, sumstats, o, None)
}

/// plink 1.9's clumps, with LD from the samples of a `--keep` file when given.
fn plink_clumps_of(s: &Setup, sumstats: &Path, o: &ClumpOptions, keep: Option<&Path>) -> Clumps {
    let prefix = s.dir.join("plink_clump");
    let mut cmd = Command::new("plink1.9");
    if let Some(k) = keep {
        cmd.arg("--keep").arg(k);
    }
    let out = cmd
        .arg("--bfile")
        .arg(s.dir.join("ref"))
        .arg("--clump")
        .arg(sumstats)
        .args(["--clump-snp-field", "ID", "--clump-field", "P"])
        .args(["--clump-p1", &o.p1.to_string()])
        .args(["--clump-p2", &o.p2.to_string()])
        .args(["--clump-r2", &o.r2.to_string()])
        .args(["--clump-kb", &o.kb.to_string()])
        .arg("--out")
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "plink1.9 --clump: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = std::fs::read_to_string(prefix.with_extension("clumped")).unwrap_or_default();
    let mut clumps = Clumps::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 12 {
            continue;
        }
        let members = if f[11] == "NONE" {
            BTreeSet::new()
        } else {
            f[11]
                .split(',')
                .map(|m| m.split('(').next().unwrap().to_string())
                .collect()
        };
        clumps.insert(f[2].to_string(), members);
    }
    clumps
}

fn our_clumps(s: &Setup, sumstats: &Path, o: &ClumpOptions) -> Clumps {
    our_clumps_of(s, sumstats, o, None)
}

fn our_clumps_of(
    s: &Setup,
    sumstats: &Path,
    o: &ClumpOptions,
    ld_samples: Option<&[String]>,
) -> Clumps {
    let rows = read_sumstats(sumstats).unwrap().rows;
    let run = clump_traits(
        &s.bed,
        &OpenOptions::default(),
        ld_samples,
        &[&rows],
        o,
        false,
    )
    .unwrap();
    assert_eq!(run.n_samples, ld_samples.map_or(2504, |l| l.len()));
    run.traits[0]
        .clumps
        .iter()
        .map(|c| {
            (
                rows[c.index].id.clone(),
                c.members.iter().map(|&m| rows[m].id.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn clumping_matches_plink_1_9() {
    let Some(s) = setup() else { return };
    let sets = [
        (1e-3, 1e-3, 0.1, 250.0),
        (0.05, 0.05, 0.1, 250.0),
        (0.01, 0.5, 0.5, 250.0),
        (0.5, 0.5, 0.2, 100.0),
        (1.0, 1.0, 0.05, 500.0),
        (1.0, 1.0, 0.01, 1000.0),
    ];
    for (name, _) in TRAITS {
        let sumstats = s.dir.join(format!("{name}.gwas.tsv"));
        for (p1, p2, r2, kb) in sets {
            let o = ClumpOptions { p1, p2, r2, kb };
            let theirs = plink_clumps(&s, &sumstats, &o);
            let ours = our_clumps(&s, &sumstats, &o);
            if name != "weak" && p1 >= 1e-3 {
                assert!(!theirs.is_empty(), "{name} {o:?}: plink found no clumps");
            }
            let (ti, oi): (BTreeSet<_>, BTreeSet<_>) =
                (theirs.keys().collect(), ours.keys().collect());
            assert_eq!(
                oi,
                ti,
                "{name} {o:?}: index variants differ; ours only {:?}, plink only {:?}",
                oi.difference(&ti).collect::<Vec<_>>(),
                ti.difference(&oi).collect::<Vec<_>>()
            );
            assert_eq!(ours, theirs, "{name} {o:?}: clump members differ");
        }
    }
    // The same clumps from the VCF the .bed was made from.
    let o = ClumpOptions {
        p1: 0.05,
        p2: 0.05,
        r2: 0.1,
        kb: 250.0,
    };
    let sumstats = s.dir.join("q.gwas.tsv");
    let rows = read_sumstats(&sumstats).unwrap().rows;
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    let run = clump_traits(&vcf, &OpenOptions::default(), None, &[&rows], &o, false).unwrap();
    let from_vcf: Clumps = run.traits[0]
        .clumps
        .iter()
        .map(|c| {
            let members = c.members.iter().map(|&m| rows[m].id.clone()).collect();
            (rows[c.index].id.clone(), members)
        })
        .collect();
    assert_eq!(from_vcf, plink_clumps(&s, &sumstats, &o), "VCF reference");
    // LD from a subset of the reference samples (plink: --keep).
    let subset: Vec<String> = s.cohort.ids.iter().step_by(3).cloned().collect();
    let keep = s.dir.join("keep.txt");
    let lines: Vec<String> = subset.iter().map(|id| format!("0 {id}")).collect();
    std::fs::write(&keep, lines.join("\n") + "\n").unwrap();
    let mut differs = false;
    for (p1, r2, kb) in [(0.05, 0.1, 250.0), (1.0, 0.05, 500.0)] {
        let o = ClumpOptions { p1, p2: p1, r2, kb };
        let theirs = plink_clumps_of(&s, &sumstats, &o, Some(&keep));
        let ours = our_clumps_of(&s, &sumstats, &o, Some(&subset));
        assert_eq!(ours, theirs, "q {o:?} on {} samples", subset.len());
        differs |= ours != our_clumps(&s, &sumstats, &o);
    }
    assert!(differs, "the sample subset should change some clump");
}

/// A sample's ALT dosage sum over a scoring file's rows, when all are called.
fn expected_sum(s: &Setup, file: &Path, sample: usize) -> Option<f64> {
    let parsed = medgem_prs::panel::scorefile::read(file).unwrap();
    let mut sum = 0.0;
    for row in &parsed.rows {
        let id = row.id.as_deref().unwrap();
        let (_, g) = s.cohort.variants.iter().find(|(v, _)| v == id).unwrap();
        sum += row.weights[0] * f64::from(g[sample]?);
    }
    Some(sum)
}

#[test]
fn panel_build_then_prs() {
    let Some(s) = setup() else { return };
    let d = &s.dir;
    std::fs::write(
        d.join("traits.tsv"),
        "id\tname\tcluster\tfile\n\
         q\tQuantitative trait\tblood\t\n\
         q2\tSecond trait\tblood\t\n\
         weak\tWeak trait\t\tweak.gwas.tsv\n",
    )
    .unwrap();
    let out = d.join("panel");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "panel",
            "build",
            "--sumstats",
            d.join("q.gwas.tsv").to_str().unwrap(),
            &format!("q2={}", d.join("q2.gwas.tsv").display()),
            "--trait-info",
            d.join("traits.tsv").to_str().unwrap(),
            "--ld-ref",
            s.bed.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "2",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let a = args(&[]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let res = run_ok(&a);
    let log = String::from_utf8_lossy(&res.stderr);
    assert!(log.contains("wrote panel 'panel'"), "{log}");

    let m = Manifest::read(&out).unwrap();
    assert_eq!(m.name, "panel");
    assert_eq!(m.thresholds, vec![5e-8, 1e-5, 1e-3]);
    let ids: Vec<&str> = m.traits.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["q", "q2", "weak"]);
    assert_eq!(m.traits[0].name, "Quantitative trait");
    assert_eq!(m.traits[0].cluster.as_deref(), Some("blood"));
    assert_eq!(m.traits[2].cluster, None);
    // q and q2 share causal variants: they are tiled side by side.
    let pos = |id: &str| m.tile_order.iter().position(|t| t == id).unwrap();
    assert_eq!(pos("q").abs_diff(pos("q2")), 1, "{:?}", m.tile_order);
    assert!(
        m.provenance.method.contains("r2=0.1 kb=250"),
        "{}",
        m.provenance.method
    );
    assert_eq!(panel_sha256(&out).unwrap().len(), 64);

    // The 1e-3 files hold exactly plink's index variants at p1 = p2 = 1e-3.
    let o = ClumpOptions {
        p1: 1e-3,
        p2: 1e-3,
        r2: 0.1,
        kb: 250.0,
    };
    for t in &m.traits {
        let file = out.join(&t.scores[2].file);
        let parsed = medgem_prs::panel::scorefile::read(&file).unwrap();
        let plink: BTreeSet<String> = plink_clumps(&s, &d.join(format!("{}.gwas.tsv", t.id)), &o)
            .into_keys()
            .collect();
        let ours: BTreeSet<String> = parsed
            .rows
            .iter()
            .filter(|r| r.weights[0] != 0.0)
            .map(|r| r.id.clone().unwrap())
            .collect();
        assert_eq!(ours, plink, "{}", t.id);
        assert_eq!(t.scores[2].variants as usize, plink.len());
        // Smaller thresholds hold subsets.
        assert!(t.scores[0].variants <= t.scores[1].variants);
        assert!(t.scores[1].variants <= t.scores[2].variants);
    }
    assert!(m.traits[0].scores[0].variants > 0, "q has genome-wide hits");
    let weak = &m.traits[2];
    assert_eq!(weak.scores[0].variants, 0, "weak has no hit at 5e-8");

    // Every file scores with `prs`.
    let files: Vec<PathBuf> = m.score_paths(&out);
    let prefix = d.join("scored");
    let mut prs: Vec<String> = vec!["prs".into(), s.bed.display().to_string(), "--scores".into()];
    prs.extend(files.iter().map(|f| f.display().to_string()));
    prs.extend(
        [
            "--keep-ambiguous",
            "--out",
            prefix.to_str().unwrap(),
            "--quiet",
        ]
        .iter()
        .map(|x| x.to_string()),
    );
    let prs: Vec<&str> = prs.iter().map(String::as_str).collect();
    run_ok(&prs);
    let table = Table::read(&prefix.with_extension("sscore"));
    let iids = table.strings("#IID");
    let mut checked = 0;
    for t in &m.traits {
        for score in &t.scores {
            let name = score.file.trim_end_matches(".txt.gz");
            let sums = table.f64s(&format!("{name}_SUM"));
            if score.variants == 0 {
                assert!(sums.iter().all(|&v| v == 0.0), "{name}: zero-weight file");
                continue;
            }
            for sample in [0usize, 1, 17, 1000, 2503] {
                assert_eq!(iids[sample], s.cohort.ids[sample]);
                if let Some(want) = expected_sum(&s, &out.join(&score.file), sample) {
                    assert!(
                        rel_diff(sums[sample], want) < 1e-9,
                        "{name} sample {sample}: {} vs {want}",
                        sums[sample]
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10, "only {checked} sums checked");

    // An existing panel is not replaced without --force, and is with it.
    let err = run_bad(&a);
    assert!(err.contains("not empty; use --force"), "{err}");
    let forced = args(&["--force", "--quiet", "--name", "renamed"]);
    let forced: Vec<&str> = forced.iter().map(String::as_str).collect();
    run_ok(&forced);
    assert_eq!(Manifest::read(&out).unwrap().name, "renamed");
    let leftovers: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary folders left: {leftovers:?}"
    );
}

#[test]
fn panel_build_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sumstats = d.join("t.tsv");
    std::fs::write(
        &sumstats,
        "CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tBETA\tSE\tP\n22\t1\tx\tA\tG\tG\t0.1\t10\t0.1\t0.1\t2\n",
    )
    .unwrap();
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    let out = d.join("out").display().to_string();
    let base = |extra: &[&str]| -> String {
        let mut a = vec![
            "panel",
            "build",
            "--ld-ref",
            vcf.to_str().unwrap(),
            "--out",
            &out,
        ];
        a.extend_from_slice(extra);
        run_bad(&a)
    };
    let s = sumstats.to_str().unwrap();
    let e = base(&["--sumstats", s]);
    assert!(
        e.contains("t.tsv: line 2: column P: invalid value '2'"),
        "{e}"
    );
    let e = base(&["--sumstats", s, "--thresholds", "0.1,0.1"]);
    assert!(e.contains("given twice"), "{e}");
    let e = base(&["--sumstats", s, "--clump-r2", "1.5"]);
    assert!(e.contains("clump r2"), "{e}");
    let e = base(&["--sumstats", &format!("a={s}"), &format!("a={s}")]);
    assert!(e.contains("trait id 'a' is also the id of"), "{e}");
    let e = base(&["--sumstats", d.join("missing.tsv").to_str().unwrap()]);
    assert!(e.contains("missing.tsv"), "{e}");
    assert!(!d.join("out").exists());
}

#[test]
fn panel_import_wraps_catalog_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog");
    let f = |n: &str| shared(&format!("scorefiles/{n}")).display().to_string();
    let inputs = [
        f("PGS001229_22.txt"),
        f("PGS000802_hmPOS_GRCh37.txt"),
        f("custom.txt"),
    ];
    let mut args = vec!["panel", "import", "--pgs"];
    args.extend(inputs.iter().map(String::as_str));
    let out_s = out.display().to_string();
    args.extend(["--out", &out_s, "--quiet"]);
    run_ok(&args);
    let m = Manifest::read(&out).unwrap();
    assert_eq!(m.name, "catalog");
    assert_eq!(m.genome_build, "GRCh37");
    assert!(m.thresholds.is_empty());
    let ids: Vec<&str> = m.traits.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["PGS001229", "PGS000802", "test"]);
    assert_eq!(m.tile_order, ids);
    assert_eq!(m.traits[0].name, "Standing height");
    assert_eq!(m.traits[0].scores[0].threshold, None);
    // Files are copied unchanged.
    assert_eq!(
        std::fs::read(out.join(&m.traits[0].scores[0].file)).unwrap(),
        std::fs::read(&inputs[0]).unwrap()
    );
    // The imported panel scores.
    let prefix = dir.path().join("s");
    let vcf = shared("pgs/cineca_synthetic_subset.vcf.gz");
    run_ok(&[
        "prs",
        vcf.to_str().unwrap(),
        "--scores",
        out.join(&m.traits[0].scores[0].file).to_str().unwrap(),
        "--out",
        prefix.to_str().unwrap(),
        "--quiet",
    ]);

    let bad = |files: &[String], expected: &str| {
        let o = dir.path().join("bad");
        let mut a = vec!["panel", "import", "--pgs"];
        a.extend(files.iter().map(String::as_str));
        let o_s = o.display().to_string();
        a.extend(["--out", &o_s]);
        let e = run_bad(&a);
        assert!(e.contains(expected), "{e}");
        assert!(!o.exists());
    };
    bad(
        &[
            f("PGS000001_hmPOS_GRCh38.txt.gz"),
            f("PGS000802_hmPOS_GRCh37.txt"),
        ],
        "genome build GRCh37 differs from GRCh38",
    );
    bad(
        &[f("PGS000001.txt.gz"), f("PGS000001_hmPOS_GRCh38.txt.gz")],
        "trait id 'PGS000001' is also the id of",
    );
    bad(&[f("multiscore.txt")], "import takes one score per file");
    // An existing non-empty panel folder is refused.
    let mut again = vec!["panel", "import", "--pgs"];
    again.extend(inputs.iter().map(String::as_str));
    again.extend(["--out", &out_s]);
    let e = run_bad(&again);
    assert!(e.contains("not empty"), "{e}");
}

/// Chromosome X: male (haploid) calls count one haplotype in plink's EM. Our r² must
/// fall on the same side of a threshold just below and just above plink 1.9's `--ld`
/// R-sq for the pair.
#[test]
fn chromosome_x_r2_matches_plink() {
    if !have_tool("plink2") || !have_tool("plink1.9") {
        eprintln!("NOTE: plink2/plink1.9 not on PATH: skipping the chromosome X comparison");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 300;
    let mut rng = Lcg(77);
    // Haplotypes in LD: B copies A 70% of the time.
    let mut hap = || {
        let a = u8::from(rng.uniform() < 0.4);
        let b = if rng.uniform() < 0.7 {
            a
        } else {
            u8::from(rng.uniform() < 0.5)
        };
        (a, b)
    };
    let (mut ga, mut gb) = (Vec::new(), Vec::new());
    let mut sex = String::from("#IID\tSEX\n");
    for i in 0..n {
        let male = i % 2 == 0;
        if male {
            let (a, b) = hap();
            ga.push(a.to_string());
            gb.push(b.to_string());
        } else {
            let ((a1, b1), (a2, b2)) = (hap(), hap());
            ga.push(format!("{a1}/{a2}"));
            gb.push(format!("{b1}/{b2}"));
        }
        sex.push_str(&format!("s{i}\t{}\n", if male { 1 } else { 2 }));
    }
    let samples: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    let vcf = format!(
        "##fileformat=VCFv4.2\n##contig=<ID=X>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{}\n\
         X\t5000000\tA\tG\tC\t.\t.\t.\tGT\t{}\nX\t5001000\tB\tT\tA\t.\t.\t.\tGT\t{}\n",
        samples.join("\t"),
        ga.join("\t"),
        gb.join("\t")
    );
    std::fs::write(d.join("x.vcf"), vcf).unwrap();
    std::fs::write(d.join("sex.txt"), sex).unwrap();
    let ok = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(Command::new("plink2")
        .arg("--vcf")
        .arg(d.join("x.vcf"))
        .arg("--update-sex")
        .arg(d.join("sex.txt"))
        .arg("--make-bed")
        .arg("--out")
        .arg(d.join("x")));
    let log = ok(Command::new("plink1.9")
        .arg("--bfile")
        .arg(d.join("x"))
        .args(["--ld", "A", "B", "--out"])
        .arg(d.join("ld")));
    let plink_r2: f64 = log
        .split("R-sq = ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no R-sq in plink's output:\n{log}"));
    let sumstats = d.join("x.tsv");
    std::fs::write(
        &sumstats,
        "CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tBETA\tSE\tP\n\
         X\t5000000\tA\tG\tC\tC\t0.3\t300\t0.1\t0.01\t1e-8\n\
         X\t5001000\tB\tT\tA\tA\t0.3\t300\t0.1\t0.01\t1e-4\n",
    )
    .unwrap();
    let rows = read_sumstats(&sumstats).unwrap().rows;
    for (r2, joins) in [(plink_r2 - 1e-4, true), (plink_r2 + 1e-4, false)] {
        let o = ClumpOptions {
            p1: 1e-3,
            p2: 1e-3,
            r2,
            kb: 250.0,
        };
        let run = clump_traits(
            &d.join("x.bed"),
            &OpenOptions::default(),
            None,
            &[&rows],
            &o,
            false,
        )
        .unwrap();
        let clumps = &run.traits[0].clumps;
        assert_eq!(
            clumps.len() == 1 && clumps[0].members == [1],
            joins,
            "r2 threshold {r2} (plink R-sq {plink_r2}): {clumps:?}"
        );
    }
}
