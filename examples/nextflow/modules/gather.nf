// The cohort's results: linear scores (sample chunks concatenated by merge), predictions
// and image tables (chunks concatenated, one header).
process GATHER {
    publishDir params.outdir, mode: 'copy'

    input:
    path merged
    path predictions
    path images

    output:
    path 'cohort.*'

    script:
    """
    medgem-prs merge \$(ls merged_*.sscore | sed 's/[.]sscore\$//') --out cohort
    awk 'FNR > 1 || NR == 1' \$(ls predictions_*.tsv) > cohort.predictions.tsv
    awk 'FNR > 1 || NR == 1' \$(ls images_*.tsv) > cohort.images.tsv
    """
}
