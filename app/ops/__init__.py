"""Operations: health and readiness probes, request ids, structured logs and metrics."""
