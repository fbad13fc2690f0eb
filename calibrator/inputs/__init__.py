"""What a calibration reads: labelled queries (eval sets, qrels), vectors, the embeddings API."""
