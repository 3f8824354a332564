"""Operations: Prometheus metrics, OpenTelemetry traces, logs, progress on long work."""
