"""Knowledge-base search (A12): the operator answers a consultation on the spot from a point found by the
question as the caller put it. `analyzer` reads Chinese, `synonyms` holds the office's word groups,
`ranking` scores (BM25F, pure), `index` keeps the segmented index in SQL and answers a search."""
