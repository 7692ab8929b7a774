// Sums one sample chunk's region shards into that chunk's scores.
process MERGE_REGIONS {
    tag "${chunk_id}"

    input:
    tuple val(chunk_id), path(shards)

    output:
    tuple val(chunk_id), path("merged_${chunk_id}.*")

    script:
    """
    medgem-prs merge \$(ls shard_*.sscore | sed 's/[.]sscore\$//') --out merged_${chunk_id}
    """
}
