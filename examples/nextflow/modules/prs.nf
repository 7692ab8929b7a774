// Linear scores of every panel file, for one chromosome region and one sample chunk.
process PRS_SHARD {
    tag "${region} ${chunk_id}"

    input:
    tuple val(region), val(chunk_id), path(chunk)
    path genotypes
    path index
    path panel
    val threads

    output:
    tuple val(chunk_id), path("shard_${region}_${chunk_id}.*")

    script:
    """
    medgem-prs prs ${genotypes} --scores ${panel}/*.txt.gz --region ${region} --samples ${chunk} --out shard_${region}_${chunk_id} --threads ${threads} --quiet
    """
}
