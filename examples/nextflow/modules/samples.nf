// The cohort's sample IDs (from the VCF header), in chunks of chunk_size.
process SAMPLE_CHUNKS {
    input:
    path genotypes
    val chunk_size

    output:
    path 'chunk_*.txt'

    script:
    """
    zcat -f ${genotypes} | sed -n '/^#CHROM/{p;q}' | cut -f10- | tr '\\t' '\\n' | split -l ${chunk_size} -d -a 4 --additional-suffix=.txt - chunk_
    """
}
