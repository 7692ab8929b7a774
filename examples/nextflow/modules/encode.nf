// Genomic images of one sample chunk (a table of tile values plus PNGs).
process ENCODE_CHUNK {
    tag "${chunk_id}"

    input:
    tuple val(chunk_id), path(chunk)
    path genotypes
    path index
    val model_args
    val threads

    output:
    tuple val(chunk_id), path("images_${chunk_id}.tsv")

    script:
    """
    medgem-prs encode ${genotypes} --samples ${chunk} ${model_args} --out images_${chunk_id}.tsv --threads ${threads} --quiet
    """
}
