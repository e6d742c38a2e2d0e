"""Hallmark trainer: embeds a feedback link or OML-style fingerprints into a causal LM with LoRA and
exports GGUF. Run as `python -m hallmark_trainer` with one JSON spec on stdin; see ../PROTOCOL.md."""
