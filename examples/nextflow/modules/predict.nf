// Outcome probabilities of one sample chunk.
process PREDICT_CHUNK {
    tag "${chunk_id}"

    input:
    tuple val(chunk_id), path(chunk)
    path genotypes
    path index
    val model_args
    val threads

    output:
    tuple val(chunk_id), path("predictions_${chunk_id}.tsv")

    script:
    """
    medgem-prs predict ${genotypes} --samples ${chunk} ${model_args} --out predictions_${chunk_id}.tsv --threads ${threads} --quiet
    """
}
