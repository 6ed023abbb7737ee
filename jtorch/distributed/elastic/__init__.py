"""torch.distributed.elastic: the error-recording surface launched scripts use."""
