#!/usr/bin/env nextflow
// medgem-prs at cohort scale: scatter the linear scores by chromosome region and sample
// chunk, merge them, run encode and predict per chunk, and gather everything.
// See README.md for the parameters. contract.sh runs the same script blocks without
// Nextflow (tests/nextflow_contract.rs runs it in CI).
nextflow.enable.dsl = 2

include { SAMPLE_CHUNKS }   from './modules/samples'
include { PRS_SHARD }       from './modules/prs'
include { MERGE_REGIONS }   from './modules/merge'
include { ENCODE_CHUNK }    from './modules/encode'
include { PREDICT_CHUNK }   from './modules/predict'
include { GATHER }          from './modules/gather'

workflow {
    if (!params.genotypes) {
        error "--genotypes: give a bgzipped, tabix-indexed VCF (cohort.vcf.gz with cohort.vcf.gz.tbi)"
    }
    genotypes = file(params.genotypes, checkIfExists: true)
    index     = file("${params.genotypes}.tbi", checkIfExists: true)
    panel     = file(params.panel, checkIfExists: true)
    // Options naming the model for encode/predict: empty means the built-in default.
    model_args = params.model ? "--model ${params.model} --panel ${params.panel}" : ''

    chunks = SAMPLE_CHUNKS(genotypes, params.chunk_size)
        .flatten()
        .map { f -> tuple(f.baseName, f) }

    regions = Channel.fromList(params.regions.toString().tokenize(','))

    shards = PRS_SHARD(regions.combine(chunks), genotypes, index, panel, params.threads)

    merged = MERGE_REGIONS(shards.groupTuple())

    images      = ENCODE_CHUNK(chunks, genotypes, index, model_args, params.threads)
    predictions = PREDICT_CHUNK(chunks, genotypes, index, model_args, params.threads)

    GATHER(
        merged.map { id, files -> files }.flatten().collect(),
        predictions.map { id, f -> f }.collect(),
        images.map { id, f -> f }.collect()
    )
}
