"""Matches `torch._library`: schemas and `custom_op` objects behind `torch.library`."""
